"""Conformance suite: every public controller class honours the same contract.

The classes are discovered, not listed: every concrete (has ``fit``, public name)
subclass of ``BaseController`` defined in idinn, after importing the controller packages
(``idinn.single_controller.__all__``, ``idinn.dual_controller.__all__`` and anything else
imported that subclasses ``BaseController``). A new class is covered automatically; it
only needs a cheap fit recipe in ``RECIPES`` below (the suite fails, naming the class,
until it has one).

Checks: ``fit`` returns self; ``predict`` before ``fit`` raises the "not fitted" error
that says to call fit; ``predict`` of one state gives Python ints and of a batch tensors;
``simulate``, ``plot``, ``get_average_cost`` (no autograd graph) and ``get_last_cost``
work and ``simulate`` leaves the user's model as it was; the exact evaluation of the
fitted policy agrees with a long simulation within its 99.99 % confidence interval;
``save`` then ``load`` (and ``idinn.load_controller``) give identical predictions from a
file read without executing code; ``reset`` forgets the fit; a period-dependent
controller is refused by the stationary evaluator.
"""

from __future__ import annotations

import importlib
import math
import pickle
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import matplotlib
import numpy as np
import pytest
import torch

import idinn
from idinn._controller import BaseController
from idinn.demand import UniformDemand
from idinn.dynamics import period_cost
from idinn.exact import evaluate_policy, evaluate_policy_discounted, evaluate_policy_finite_horizon
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel

matplotlib.use("Agg")

# ----------------------------------------------------------------------- discovery
_PACKAGES = ("idinn.single_controller", "idinn.dual_controller", "idinn.multi_controller")


def _all_subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_all_subclasses(sub))
    return out


def public_controller_classes() -> list[type]:
    """Every concrete public controller class of idinn (see the module docstring)."""
    found: dict[str, type] = {}
    for name in _PACKAGES:
        module = importlib.import_module(name)
        for public in module.__all__:
            obj = getattr(module, public)
            if isinstance(obj, type) and issubclass(obj, BaseController):
                found[obj.__qualname__] = obj
    for sub in _all_subclasses(BaseController):
        if sub.__module__.startswith("idinn.") and not sub.__module__.startswith("idinn.tests"):
            found.setdefault(sub.__qualname__, sub)
    concrete = [
        c for c in found.values()
        if not c.__name__.startswith("_") and callable(getattr(c, "fit", None)) and "." not in c.__qualname__
    ]
    return sorted(concrete, key=lambda c: c.__name__)


# ------------------------------------------------------------------------- recipes
def single_model(batch_size: int = 4) -> SingleSourcingModel:
    return SingleSourcingModel(lead_time=1, holding_cost=1, shortage_cost=9, init_inventory=2,
                               demand_generator=UniformDemand(0, 2), batch_size=batch_size)


def single_model_fixed_cost(batch_size: int = 4) -> SingleSourcingModel:
    """Single sourcing with a fixed order cost K = 3 (the (s, S) controller's problem)."""
    return SingleSourcingModel(lead_time=1, holding_cost=1, shortage_cost=9, init_inventory=2,
                               demand_generator=UniformDemand(0, 2), batch_size=batch_size, fixed_order_cost=3)


def single_model_capacity(batch_size: int = 4) -> SingleSourcingModel:
    """Single sourcing with an order capacity u = 2 (the modified base-stock controller's problem)."""
    return SingleSourcingModel(lead_time=1, holding_cost=1, shortage_cost=9, init_inventory=2,
                               demand_generator=UniformDemand(0, 2), batch_size=batch_size, order_capacity=2)


def lost_sales_model(batch_size: int = 4) -> SingleSourcingModel:
    return SingleSourcingModel(lead_time=1, holding_cost=1, shortage_cost=9, init_inventory=2,
                               demand_generator=UniformDemand(0, 2), batch_size=batch_size, excess_demand="lost_sales")


def dual_model(batch_size: int = 4) -> DualSourcingModel:
    return DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0,
                             expedited_order_cost=5, holding_cost=1, shortage_cost=9, init_inventory=2,
                             demand_generator=UniformDemand(0, 2), batch_size=batch_size)


def multi_model(batch_size: int = 4) -> Any:
    """Three suppliers, lead times (1, 0, 2), in the order given (the multi-supplier controllers' problem)."""
    return idinn.MultiSourcingModel(lead_times=[1, 0, 2], order_costs=[2, 5, 0], holding_cost=1, shortage_cost=9,
                                    demand_generator=UniformDemand(0, 2), init_inventory=2, batch_size=batch_size)


@dataclass(frozen=True)
class Recipe:
    """How to fit a class cheaply and how to evaluate its policy exactly.

    ``exact`` is ``("average",)``, ``("finite", horizon)`` or ``("discounted", gamma)``.
    """

    make_model: Callable[[int], Any]
    fit_kwargs: dict[str, Any] = field(default_factory=dict)
    init_kwargs: dict[str, Any] = field(default_factory=dict)
    exact: tuple[Any, ...] = ("average",)


_SEARCH = {"sourcing_periods": 60, "seed": 0, "n_paths": 8, "n_exact": 2}
_NEURAL = {"sourcing_periods": 10, "epochs": 3, "seed": 0, "validation_freq": 100}

RECIPES: dict[str, Recipe] = {
    "BaseStockController": Recipe(single_model),
    "FiniteHorizonBaseStockController": Recipe(single_model, {"horizon": 8}, exact=("finite", 8)),
    "DiscountedBaseStockController": Recipe(single_model, {"discount": 0.8}, exact=("discounted", 0.8)),
    # 60 cheap epochs (about 0.3 s) give a stable policy, so its exact check is a real one
    "SingleSourcingNeuralController": Recipe(single_model, {**_NEURAL, "epochs": 60}, {"hidden_layers": [4]}),
    "SSController": Recipe(single_model_fixed_cost),
    "ModifiedBaseStockController": Recipe(single_model_capacity),
    "LostSalesDPController": Recipe(lost_sales_model),
    "LostSalesPolicyController": Recipe(lost_sales_model),
    "DynamicProgrammingController": Recipe(dual_model),
    "FiniteHorizonDPController": Recipe(dual_model, {"horizon": 8}, exact=("finite", 8)),
    "DiscountedDPController": Recipe(dual_model, {"discount": 0.8}, exact=("discounted", 0.8)),
    "CappedDualIndexController": Recipe(dual_model, _SEARCH),
    "DualIndexController": Recipe(dual_model, _SEARCH),
    "SingleIndexController": Recipe(dual_model, _SEARCH),
    "TailoredBaseSurgeController": Recipe(dual_model, _SEARCH),
    "DualSourcingNeuralController": Recipe(
        # a short imitation of a heuristic gives a stable policy, so the exact check is real
        dual_model, {**_NEURAL, "imitation_steps": 50, "policy_iterations": 0}, {"hidden_layers": [4]}
    ),
    "MultiIndexController": Recipe(multi_model, {"sourcing_periods": 60, "n_paths": 8, "n_exact": 2}),
    # nfix: a short imitation of a fitted multi-index policy gives a stable policy
    "MultiSourcingNeuralController": Recipe(
        multi_model, {**_NEURAL, "imitation_steps": 50, "policy_iterations": 0}, {"hidden_layers": [4]}
    ),
    "MultiSourcingDPController": Recipe(multi_model),  # exact DP for K <= 5 suppliers (exactgen)
}

CLASSES = public_controller_classes()


def recipe_for(cls: type) -> Recipe:
    recipe = RECIPES.get(cls.__name__)
    if recipe is None:
        pytest.fail(
            f"{cls.__module__}.{cls.__name__} is a public controller class without a conformance recipe: "
            "add a cheap fit recipe for it to RECIPES in tests/test_conformance.py."
        )
    return recipe


_FITTED: dict[str, tuple[Any, Any]] = {}


def fitted(cls: type) -> tuple[Any, Any]:
    """(controller, model) fitted once per class by its recipe (shared by the checks)."""
    if cls.__name__ not in _FITTED:
        recipe = recipe_for(cls)
        model = recipe.make_model(4)
        controller = cls(**recipe.init_kwargs)
        out = controller.fit(model, **recipe.fit_kwargs)
        assert out is controller, f"{cls.__name__}.fit must return self"
        _FITTED[cls.__name__] = (controller, model)
    return _FITTED[cls.__name__]


def single(cls: type) -> bool:
    return cls._model_class is SingleSourcingModel


def multi(cls: type) -> bool:
    return cls._model_class is idinn.MultiSourcingModel


def sample_states(cls: type) -> list[dict[str, Any]]:
    """Predict arguments for a few states inside every table (pipelines in the model's layout)."""
    if multi(cls):  # multi_model: pipelines of lengths 1, 0, 2
        return [{"current_inventory": i, "past_orders": [[a], [], [b, c]]}
                for i, a, b, c in ((2, 0, 0, 0), (0, 1, 0, 1), (-1, 2, 1, 0), (3, 0, 2, 2))]
    if single(cls):
        # lost sales keep the on-hand stock >= 0 (their tables refuse a negative state)
        low = 1 if recipe_for(cls).make_model is lost_sales_model else -1
        return [{"current_inventory": i, "past_orders": [q]} for i, q in ((2, 0), (0, 1), (low, 2), (3, 0))]
    return [
        {"current_inventory": i, "past_regular_orders": r}
        for i, r in ((2, [0, 0]), (0, [1, 0]), (-1, [2, 1]), (3, [0, 2]))
    ]


def batched(cls: type, states: list[dict[str, Any]]) -> dict[str, Any]:
    inv = torch.tensor([float(s["current_inventory"]) for s in states])
    if multi(cls):
        pipes = [torch.tensor([s["past_orders"][k] for s in states], dtype=torch.float32).reshape(len(states), -1)
                 for k in range(3)]
        return {"current_inventory": inv, "past_orders": pipes}
    key = "past_orders" if single(cls) else "past_regular_orders"
    return {"current_inventory": inv, key: torch.tensor([s[key] for s in states], dtype=torch.float32)}


def periods_of(controller: Any) -> list[int]:
    return [0] if controller.is_stationary else [0, 1, 3]


def predictions(controller: Any, cls: type) -> list[Any]:
    out = []
    for t in periods_of(controller):
        args = batched(cls, sample_states(cls))
        q = controller.predict(**args, period=t)
        out.append(torch.cat(list(q), dim=1) if isinstance(q, tuple) else q)
    return out


ids = [c.__name__ for c in CLASSES]


# ------------------------------------------------------------------------ the checks
def test_discovery_finds_every_exported_controller():
    names = {c.__name__ for c in CLASSES}
    for package in _PACKAGES:
        module = importlib.import_module(package)
        for public in module.__all__:
            obj = getattr(module, public)
            if isinstance(obj, type) and issubclass(obj, BaseController) and callable(getattr(obj, "fit", None)):
                assert public in names
    assert {"BaseStockController", "DynamicProgrammingController", "CappedDualIndexController"} <= names
    assert not {"BaseSingleController", "BaseDualController", "TableController"} & names


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_every_class_has_a_recipe(cls):
    recipe_for(cls)


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_predict_before_fit_says_to_call_fit(cls):
    controller = cls(**recipe_for(cls).init_kwargs)
    with pytest.raises(idinn.NotFittedError, match=re.escape("is not fitted yet. Call 'fit'")):
        controller.predict(**sample_states(cls)[0])
    with pytest.raises(idinn.NotFittedError):
        controller.save("never-written.pt")


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_fit_predict_types(cls):
    controller, _ = fitted(cls)
    for t in periods_of(controller):
        q = controller.predict(**sample_states(cls)[0], period=t)
        if single(cls):
            assert type(q) is int and q >= 0
        else:
            n = 3 if multi(cls) else 2
            assert isinstance(q, tuple) and len(q) == n and all(type(x) is int and x >= 0 for x in q)
        qb = controller.predict(**batched(cls, sample_states(cls)), period=t)
        parts = [qb] if single(cls) else list(qb.split(1, dim=1)) if multi(cls) else list(qb)
        for part in parts:
            assert isinstance(part, torch.Tensor) and part.shape == (4, 1)
            assert torch.equal(part, part.round()) and bool((part >= 0).all())


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_simulate_plot_costs(cls):
    import matplotlib.pyplot as plt

    controller, _ = fitted(cls)
    model = recipe_for(cls).make_model(3)
    periods = 6
    cost = controller.get_average_cost(model, sourcing_periods=periods, seed=1)
    assert cost.dim() == 0 and not cost.requires_grad and math.isfinite(float(cost))
    assert torch.allclose(controller.get_total_cost(model, periods, seed=1), cost * periods)
    last = controller.get_last_cost(model)
    assert last.shape == (3, 1)
    before = model.get_past_inventories().clone()
    out = controller.simulate(model, sourcing_periods=periods, seed=2)
    assert len(out) == model.params.n_suppliers + 1
    assert all(isinstance(a, np.ndarray) and a.shape == (periods + 1,) for a in out)
    # the user's model keeps its paths and batch size
    assert model.batch_size == 3 and torch.equal(model.get_past_inventories(), before)
    again = controller.simulate(model, sourcing_periods=periods, seed=2)
    assert all(np.array_equal(a, b) for a, b in zip(out, again))
    fig, axes = controller.plot(model, sourcing_periods=periods, seed=2)
    assert len(axes) == len(out)
    plt.close(fig)


def _simulated_path_costs(controller: Any, cls: type, exact: tuple[Any, ...]) -> np.ndarray:
    """Per-path (discounted or average) costs of 256 simulated paths, via the paper API."""
    kind = exact[0]
    periods = {"average": 400, "finite": exact[-1], "discounted": 60}[kind]
    model = recipe_for(cls).make_model(256)
    controller.get_total_cost(model, sourcing_periods=periods, seed=7)
    inv = model.get_past_inventories()[:, 1:]
    orders = model._stacked("ord")[:, 1:]
    if model.params.excess_demand == "lost_sales":  # charge y_t = I_t + arrival - D_t (one supplier, empty pipeline)
        lead = model.params.lead_times[0]
        start, dem = model.get_past_inventories()[:, :-1], model.get_past_demands()[:, 1:]
        arrivals = torch.cat([torch.zeros(orders.shape[0], lead), orders[:, : periods - lead, 0]], dim=1)
        inv = start + arrivals - dem
    costs = torch.stack([period_cost(inv[:, t], orders[:, t], model.params) for t in range(periods)], dim=1)
    costs = costs.to(torch.float64).numpy()
    if kind == "average":
        return costs[:, 50:].mean(axis=1)  # after a burn-in
    if kind == "finite":
        return costs.sum(axis=1)
    return (costs * exact[1] ** np.arange(periods)).sum(axis=1)


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_exact_evaluation_agrees_with_simulation(cls):
    controller, _ = fitted(cls)
    exact = recipe_for(cls).exact
    model = recipe_for(cls).make_model(1)
    if exact[0] == "average":
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            evaluation = evaluate_policy(controller, model)
        value = evaluation.average_cost
        if evaluation.boundary_mass > 1e-6:
            # a barely trained network may drift out of any finite enumeration: then the
            # evaluator must say so (never a silently truncated number)
            assert any("truncated" in str(w.message) for w in caught)
            return
    elif exact[0] == "finite":
        value = evaluate_policy_finite_horizon(controller, model, exact[1]).total_cost
    else:
        value = evaluate_policy_discounted(controller, model, exact[1]).discounted_cost
    sims = _simulated_path_costs(controller, cls, exact)
    half_width = 4 * sims.std(ddof=1) / math.sqrt(len(sims)) + 1e-9
    # the 350-period average still carries the initial transient: allow O(1/T) on top
    slack = 0.02 * abs(value) if exact[0] == "average" else 1e-6 * abs(value)
    assert abs(sims.mean() - value) <= half_width + slack, (sims.mean(), value, half_width)


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_period_dependent_controller_refused_by_stationary_evaluator(cls):
    controller, _ = fitted(cls)
    if controller.is_stationary:
        return
    with pytest.raises(ValueError, match="must be a stationary policy|depend on the period"):
        evaluate_policy(controller, recipe_for(cls).make_model(1))
    with pytest.raises(ValueError, match="depend on the period"):
        controller.policy(torch.zeros(1, 1 + sum(controller._fitted_params().lead_times)))


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_save_load_identical_predictions(cls, tmp_path):
    controller, _ = fitted(cls)
    path = tmp_path / f"{cls.__name__}.pt"
    controller.save(path)
    # the file is plain data: torch's restricted unpickler reads it
    torch.load(path, weights_only=True)
    expected = predictions(controller, cls)
    loaded = cls(**recipe_for(cls).init_kwargs).load(path)
    assert isinstance(loaded, cls)
    for a, b in zip(expected, predictions(loaded, cls)):
        assert torch.equal(a, b)
    anywhere = idinn.load_controller(path)
    assert type(anywhere) is cls
    for a, b in zip(expected, predictions(anywhere, cls)):
        assert torch.equal(a, b)
    assert anywhere.is_stationary == controller.is_stationary


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_pickle_round_trip(cls):
    controller, _ = fitted(cls)
    clone = pickle.loads(pickle.dumps(controller))
    for a, b in zip(predictions(controller, cls), predictions(clone, cls)):
        assert torch.equal(a, b)


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_reset_forgets_the_fit(cls):
    controller, _ = fitted(cls)
    clone = pickle.loads(pickle.dumps(controller))
    assert clone.reset() is None
    assert clone.sourcing_model is None
    with pytest.raises(idinn.NotFittedError):
        clone.predict(**sample_states(cls)[0])


# ------------------------------------------------------------- save/load refusals
def test_load_refuses_other_files(tmp_path):
    controller, _ = fitted(RECIPES and CLASSES[[c.__name__ for c in CLASSES].index("BaseStockController")])
    path = tmp_path / "c.pt"
    controller.save(path)
    from idinn.dual_controller import DynamicProgrammingController
    from idinn.single_controller import BaseStockController

    with pytest.raises(ValueError, match="holds a BaseStockController, not a DynamicProgrammingController"):
        DynamicProgrammingController().load(path)
    with pytest.raises(FileNotFoundError):
        BaseStockController().load(tmp_path / "missing.pt")
    evil = tmp_path / "evil.pt"
    torch.save({"format": "idinn-controller", "class": "BaseStockController", "x": object.__new__(_Evil)}, evil)
    with pytest.raises(ValueError, match="never runs code"):
        idinn.load_controller(evil)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(ValueError, match="is not a saved idinn controller"):
        BaseStockController().load(other)


class _Evil:
    def __reduce__(self):  # pragma: no cover - never called by a safe loader
        return (print, ("code ran",))
