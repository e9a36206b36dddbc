"""Drop-in compatibility with idinn 0.2.0.post1 beyond the docs pages: the neural controllers
as ``torch.nn.Module``, ``init_layers`` / ``prepare_inputs`` / ``compressed``, ``reset()``,
``get_last_cost(sourcing_model)``, the DP controller's ``vf`` / ``qf`` and loading ``.pt`` files
written by the reference (weights only, never unpickling code).

The reference values come from ``tests/data`` (written with the reference by
``tests/data/make_v02_fixtures.py``); see ``/work/compat-spec.md`` and ``docs/compat.md``.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest
import torch

from idinn.demand import UniformDemand
from idinn.dual_controller import (
    CappedDualIndexController,
    DualSourcingNeuralController,
    DynamicProgrammingController,
)
from idinn.single_controller import BaseStockController, SingleSourcingNeuralController
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "v02_predictions.json").read_text())


def single_model(lead_time: int = 2, batch_size: int = 8) -> SingleSourcingModel:
    return SingleSourcingModel(
        lead_time=lead_time,
        holding_cost=5,
        shortage_cost=495,
        batch_size=batch_size,
        init_inventory=10,
        demand_generator=UniformDemand(low=0, high=4),
    )


def dual_model(regular_lead_time: int = 2, expedited_lead_time: int = 0, batch_size: int = 8) -> DualSourcingModel:
    return DualSourcingModel(
        regular_lead_time=regular_lead_time,
        expedited_lead_time=expedited_lead_time,
        regular_order_cost=1,
        expedited_order_cost=20,
        holding_cost=5,
        shortage_cost=495,
        batch_size=batch_size,
        init_inventory=6,
        demand_generator=UniformDemand(low=0, high=4),
    )


def quick_dual_fit(controller: DualSourcingNeuralController, model: DualSourcingModel, seed: int):
    # Our own keywords switch off the warm start and the exact stages: only the reference's
    # training through the dynamics runs (a few epochs), which is all these tests need.
    controller.fit(model, sourcing_periods=20, epochs=3, seed=seed, init_policy=None, policy_iterations=0)
    return controller


@pytest.fixture(scope="module")
def fitted_single():
    model = single_model()
    controller = SingleSourcingNeuralController(hidden_layers=[4], activation=torch.nn.CELU(alpha=1))
    controller.fit(model, sourcing_periods=20, epochs=20, seed=3)
    return controller, model


@pytest.fixture(scope="module")
def fitted_dual():
    model = dual_model()
    controller = DualSourcingNeuralController(hidden_layers=[8, 4], activation=torch.nn.CELU(alpha=1))
    return quick_dual_fit(controller, model, seed=4), model


def first_linear(net: torch.nn.Module) -> torch.nn.Linear:
    return next(m for m in net.modules() if isinstance(m, torch.nn.Linear))


def last_linear(net: torch.nn.Module) -> torch.nn.Linear:
    return [m for m in net.modules() if isinstance(m, torch.nn.Linear)][-1]


def as_pair(out) -> tuple[torch.Tensor, torch.Tensor]:
    """Reference dual ``forward`` returns ``(regular (B,1), expedited (B,1))``; accept (B, 2) too."""
    if isinstance(out, tuple):
        return out
    return out[:, :1], out[:, 1:2]


STATES = list(itertools.product([-7, -1, 0, 2, 5, 12], [[0, 0], [1, 3], [4, 4]]))


# ------------------------------------------------------------------ torch.nn.Module
@pytest.mark.parametrize("cls", [SingleSourcingNeuralController, DualSourcingNeuralController])
def test_neural_controllers_are_modules(cls):
    controller = cls()
    assert isinstance(controller, torch.nn.Module)
    assert list(controller.parameters()) == []  # no network before fit / init_layers
    assert controller.state_dict() == {} or all(isinstance(v, torch.Tensor) for v in controller.state_dict().values())


@pytest.mark.parametrize("kind", ["single", "dual"])
def test_module_protocol(kind, fitted_single, fitted_dual):
    controller, model = fitted_single if kind == "single" else fitted_dual
    params = list(controller.parameters())
    assert params and all(isinstance(p, torch.nn.Parameter) for p in params)
    state = controller.state_dict()
    assert state and all(k.startswith("model.") for k in state)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    assert controller.to("cpu") is controller
    assert controller.train() is controller and controller.training
    assert controller.eval() is controller and not controller.training

    # A second controller of the same architecture takes the first one's weights.
    if kind == "single":
        other = SingleSourcingNeuralController(hidden_layers=[4], activation=torch.nn.CELU(alpha=1))
        other.fit(model, sourcing_periods=20, epochs=1, seed=99)
    else:
        other = DualSourcingNeuralController(hidden_layers=[8, 4], activation=torch.nn.CELU(alpha=1))
        quick_dual_fit(other, model, seed=99)
    result = other.load_state_dict(controller.state_dict())
    assert not result.missing_keys and not result.unexpected_keys
    for inv, past in STATES:
        assert other.predict(inv, past) == controller.predict(inv, past)


def test_single_prepare_inputs_and_forward(fitted_single):
    controller, _ = fitted_single
    x = controller.prepare_inputs(3, [1, 2])
    torch.testing.assert_close(x, torch.tensor([[3.0, 1.0, 2.0]]))
    # Shorter pipelines are left-padded with zeros; longer ones keep the last l orders.
    torch.testing.assert_close(controller.prepare_inputs(3, [2]), torch.tensor([[3.0, 0.0, 2.0]]))
    torch.testing.assert_close(controller.prepare_inputs(3, [9, 1, 2]), torch.tensor([[3.0, 1.0, 2.0]]))
    for inv, past in STATES:
        q = controller.forward(controller.prepare_inputs(inv, past))
        assert tuple(q.shape) == (1, 1)
        assert int(q.item()) == controller.predict(inv, past)


def test_single_init_layers_without_arguments(fitted_single):
    _, model = fitted_single
    controller = SingleSourcingNeuralController(hidden_layers=[5, 3])
    controller.fit(model, sourcing_periods=10, epochs=1, seed=0)
    controller.init_layers()  # reference: rebuild the network for the fitted model's lead time
    assert first_linear(controller.model).in_features == 3
    assert [m.out_features for m in controller.model.modules() if isinstance(m, torch.nn.Linear)] == [5, 3, 1]
    assert type(controller.predict(current_inventory=2, past_orders=[1, 1])) is int


def test_dual_prepare_inputs_and_forward(fitted_dual):
    controller, model = fitted_dual
    x = controller.prepare_inputs(torch.tensor([[5.0]]), torch.tensor([[1.0, 2.0]]), None, sourcing_model=model)
    torch.testing.assert_close(x, torch.tensor([[5.0, 1.0, 2.0]]))
    for inv, past in STATES:
        x = controller.prepare_inputs(
            torch.tensor([[float(inv)]]), torch.tensor([past], dtype=torch.float32), None, sourcing_model=model
        )
        regular, expedited = as_pair(controller.forward(x))
        assert (int(regular.item()), int(expedited.item())) == controller.predict(inv, past)


@pytest.mark.parametrize(("compressed", "width"), [(False, 4), (True, 3)])
def test_dual_init_layers_reference_keywords(compressed, width):
    controller = DualSourcingNeuralController(hidden_layers=[6, 5], compressed=compressed)
    assert controller.compressed is compressed
    controller.init_layers(regular_lead_time=2, expedited_lead_time=1)
    assert first_linear(controller.model).in_features == width
    assert last_linear(controller.model).out_features == 2
    assert len(list(controller.parameters())) >= 6


def test_compressed_inputs_and_training():
    assert DualSourcingNeuralController().compressed is False
    model = dual_model(regular_lead_time=2, expedited_lead_time=1)
    controller = DualSourcingNeuralController(hidden_layers=[8, 4], compressed=True)
    controller.init_layers(regular_lead_time=2, expedited_lead_time=1)
    regular = torch.tensor([[1.0, 2.0]])
    x = controller.prepare_inputs(torch.tensor([[5.0]]), regular, torch.tensor([[7.0]]), sourcing_model=model)
    # Inventory folded into the oldest regular pipeline entry; the caller's tensor is untouched.
    torch.testing.assert_close(x, torch.tensor([[6.0, 2.0, 7.0]]))
    torch.testing.assert_close(regular, torch.tensor([[1.0, 2.0]]))
    quick_dual_fit(controller, model, seed=5)
    assert controller.compressed is True
    assert first_linear(controller.model).in_features == 3
    orders = controller.predict(current_inventory=3, past_regular_orders=[1, 2], past_expedited_orders=[0])
    assert len(orders) == 2 and all(type(q) is int and q >= 0 for q in orders)
    # Compressed inputs only see I + r_1: moving a unit between them changes nothing.
    assert controller.predict(4, [0, 2], [0]) == controller.predict(3, [1, 2], [0])


# ----------------------------------------------------------------------------- reset
def _fitted(kind: str):
    if kind == "base_stock":
        model = single_model()
        return BaseStockController().fit(model), model
    if kind == "single_neural":
        model = single_model()
        c = SingleSourcingNeuralController(hidden_layers=[3])
        return c.fit(model, sourcing_periods=10, epochs=2, seed=1), model
    model = dual_model()
    if kind == "cdi":
        return CappedDualIndexController().fit(model, sourcing_periods=100, seed=0), model
    if kind == "dp":
        return DynamicProgrammingController().fit(model), model
    return quick_dual_fit(DualSourcingNeuralController(hidden_layers=[4]), model, seed=2), model


KINDS = ["base_stock", "single_neural", "cdi", "dp", "dual_neural"]


@pytest.mark.parametrize("kind", KINDS)
def test_reset(kind):
    controller, _ = _fitted(kind)
    controller.predict(0, [0, 0])
    controller.reset()
    assert controller.sourcing_model is None
    with pytest.raises(AttributeError):
        controller.predict(0, [0, 0])
    if kind == "base_stock":
        assert controller.z_star is None
    elif kind == "cdi":
        assert (int(controller.s_e), int(controller.s_r), int(controller.q_r)) == (0, 0, 0)
    elif kind == "dp":
        assert controller.vf is None and controller.qf is None
    else:
        assert controller.model is None
        assert list(controller.parameters()) == []


# --------------------------------------------------------------------- get_last_cost
@pytest.mark.parametrize("kind", KINDS)
def test_get_last_cost(kind):
    controller, model = _fitted(kind)
    controller.get_total_cost(model, sourcing_periods=6, seed=0)
    last = controller.get_last_cost(model)
    inventory = model.get_current_inventory().detach()
    assert isinstance(last, torch.Tensor) and tuple(last.shape) == (model.batch_size, 1)
    expected = 5 * torch.relu(inventory) + 495 * torch.relu(-inventory)
    if isinstance(model, DualSourcingModel):
        expected = expected + 1 * model.get_last_regular_order().detach() + 20 * model.get_last_expedited_order().detach()
    torch.testing.assert_close(last.detach().to(torch.float32), expected.to(torch.float32))


# ------------------------------------------------------------------------- vf and qf
def test_dp_vf_qf_layout():
    controller = DynamicProgrammingController()
    assert controller.vf is None and controller.qf is None
    model = DualSourcingModel(
        regular_lead_time=2,
        expedited_lead_time=0,
        regular_order_cost=0,
        expedited_order_cost=20,
        holding_cost=5,
        shortage_cost=495,
        init_inventory=0,
        demand_generator=UniformDemand(low=0, high=4),
    )
    controller.fit(model, max_iterations=10000, tolerance=1e-6)
    reference = json.loads((DATA / "v02_dp_qf.json").read_text())
    # vf: the average cost per period; the reference's value iteration stops at 23.0798,
    # our exact optimum is 23.0714.
    assert isinstance(controller.vf, float)
    assert controller.vf == pytest.approx(23.0714, abs=1e-4)
    assert abs(controller.vf - reference["vf"]) < 0.02
    qf = controller.qf
    assert isinstance(qf, dict)
    for key, orders in qf.items():
        assert isinstance(key, tuple) and len(key) == 2 and all(type(k) is int for k in key)
        assert isinstance(orders, tuple) and len(orders) == 2 and all(type(q) is int and q >= 0 for q in orders)
        # Key (I + r_{t-2}, r_{t-1}): the expedited inventory position, then the pipeline.
        assert controller.predict(key[0], [0, key[1]]) == orders
        assert controller.predict(key[0] - 2, [2, key[1]]) == orders
    # Same optimal orders as the reference on every state both tables hold.
    shared = [(tuple(k), tuple(v)) for k, v in reference["qf"] if tuple(k) in qf]
    assert len(shared) >= 80
    assert all(qf[k] == v for k, v in shared)


# ----------------------------------------------------------- loading 0.2.0.post1 files
def test_load_v02_single_file():
    ref = REFERENCE["single"]
    controller = SingleSourcingNeuralController()
    loaded = controller.load(str(DATA / ref["file"]))
    assert loaded is controller
    assert controller.hidden_layers == ref["hidden_layers"]
    assert isinstance(controller.activation, torch.nn.CELU) and controller.activation.alpha == 1.0
    assert first_linear(controller.model).in_features == ref["lead_time"] + 1
    for row in ref["states"]:
        assert controller.predict(row["current_inventory"], row["past_orders"]) == row["order"], row
    batch = controller.predict(
        torch.tensor([[float(r["current_inventory"])] for r in ref["states"]]),
        torch.tensor([r["past_orders"] for r in ref["states"]], dtype=torch.float32),
    )
    assert batch.flatten().tolist() == [r["order"] for r in ref["states"]]


def test_load_v02_dual_file():
    ref = REFERENCE["dual"]
    path = DATA / ref["file"]
    # A 0.2 file does not record how its l_r + l_e + 1 inputs split between the two
    # pipelines: load assumes l_e = 0 (0.2's DP controller and app use it) unless the lead
    # times were given first with init_layers (the reference's own call).
    plain = DualSourcingNeuralController().load(path)
    assert first_linear(plain.model).in_features == ref["regular_lead_time"] + 1
    for row in ref["states"]:
        orders = plain.predict(row["current_inventory"], row["past_regular_orders"], row["past_expedited_orders"])
        assert list(orders) == row["orders"], row
    controller = DualSourcingNeuralController()
    controller.init_layers(regular_lead_time=ref["regular_lead_time"], expedited_lead_time=ref["expedited_lead_time"])
    assert controller.load(path) is controller
    assert controller.hidden_layers == ref["hidden_layers"]
    assert isinstance(controller.activation, torch.nn.CELU)
    for row in ref["states"]:
        orders = controller.predict(row["current_inventory"], row["past_regular_orders"], row["past_expedited_orders"])
        assert list(orders) == row["orders"], row


def test_load_v02_dual_file_refuses_other_lead_times():
    controller = DualSourcingNeuralController(hidden_layers=[8, 4])
    controller.init_layers(regular_lead_time=3, expedited_lead_time=0)
    with pytest.raises(ValueError):
        controller.load(DATA / REFERENCE["dual"]["file"])


def test_load_reads_weights_only(monkeypatch):
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    SingleSourcingNeuralController().load(DATA / REFERENCE["single"]["file"])
    dual = DualSourcingNeuralController()
    dual.init_layers(regular_lead_time=2, expedited_lead_time=0)
    dual.load(DATA / REFERENCE["dual"]["file"])
    assert all(flag is True for flag in calls), calls


class _Payload:
    """Pickles as a call to ``os.makedirs(marker)``: loading it must never run that call."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.makedirs, (self.marker,))


@pytest.mark.parametrize("cls", [SingleSourcingNeuralController, DualSourcingNeuralController])
def test_load_refuses_code_in_file(cls, tmp_path):
    marker = tmp_path / "code_was_run"
    path = tmp_path / "crafted.pt"
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())
    torch.save({"model": net, "hook": _Payload(str(marker))}, path)
    torch.save(_Payload(str(marker)), tmp_path / "plain.pt")
    for p in (path, tmp_path / "plain.pt"):
        with pytest.raises(ValueError):
            cls().load(p)
    assert not marker.exists()


# ------------------------------------------------------------------- every signature
SIGNATURES = json.loads((DATA / "v02_signatures.json").read_text())["signatures"]
# Not part of what users call: the abstract model base's constructor (users build the two
# concrete models), and the demand classes 0.2's sourcing_model module merely imported (their
# signatures are checked under idinn.demand; the names are checked below).
_DEMAND_REEXPORTS = ("idinn.sourcing_model.UniformDemand", "idinn.sourcing_model.CustomDemand")
SIGNATURE_CASES = sorted(
    (cls, method)
    for cls, methods in SIGNATURES.items()
    for method in methods
    if cls not in _DEMAND_REEXPORTS and (cls, method) != ("idinn.sourcing_model.BaseSourcingModel", "__init__")
)


def test_sourcing_model_module_exposes_demand_classes():
    """0.2's custom-demand page uses UniformDemand after importing only idinn.sourcing_model."""
    import idinn.demand
    import idinn.sourcing_model

    assert idinn.sourcing_model.UniformDemand is idinn.demand.UniformDemand
    assert idinn.sourcing_model.CustomDemand is idinn.demand.CustomDemand


@pytest.mark.parametrize(("qualname", "method"), SIGNATURE_CASES)
def test_reference_signature_accepted(qualname, method):
    """Every public method of 0.2's documented modules (its API page lists them all) exists
    here and accepts the same calls: each 0.2 parameter by name, the 0.2 positional
    parameters at the same positions, and every optional 0.2 parameter is optional here."""
    import importlib
    import inspect

    module_name, class_name = qualname.rsplit(".", 1)
    cls = getattr(importlib.import_module(module_name), class_name)
    ours = inspect.signature(getattr(cls, method))
    params = [p for p in ours.parameters.values() if p.name != "self"]
    by_name = {p.name: p for p in params}
    var_keyword = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for index, (name, kind, has_default) in enumerate(SIGNATURES[qualname][method]):
        if kind in ("VAR_POSITIONAL", "VAR_KEYWORD"):
            continue
        assert name in by_name or var_keyword, f"{class_name}.{method} lacks parameter {name!r}"
        if kind == "POSITIONAL_OR_KEYWORD":
            assert index < len(positional) and positional[index] == name, (
                f"{class_name}.{method}: 0.2 takes {name!r} as positional argument {index}; ours: {positional}"
            )
        if has_default and name in by_name:
            assert by_name[name].default is not inspect.Parameter.empty, f"{class_name}.{method}: {name!r} must be optional"
