"""Single-sourcing controllers: base-stock (exact, brute force), neural (determinism, quality,
the paper's example verbatim), predict/simulate/plot."""

from __future__ import annotations

import itertools
import math
import random
import re
from fractions import Fraction
from functools import lru_cache

import numpy as np
import pytest
import torch

from idinn.demand import CustomDemand, UniformDemand
from idinn.single_controller import BaseStockController, SingleSourcingNeuralController
from idinn.sourcing_model import SingleSourcingModel

NOT_FITTED = (
    "This {} instance is not fitted yet. Call 'fit' with a sourcing model "
    "(or 'load' a saved controller) before using this method."
)

# --------------------------------------------------------------------------------------
# Base-stock: brute force over S with exact (rational) expected costs.
# --------------------------------------------------------------------------------------

DEMANDS = {
    "U(0,4)": (lambda: UniformDemand(0, 4), {d: Fraction(1, 5) for d in range(5)}),
    "U(1,3)": (lambda: UniformDemand(1, 3), {d: Fraction(1, 3) for d in range(1, 4)}),
    "U(0,3)": (lambda: UniformDemand(0, 3), {d: Fraction(1, 4) for d in range(4)}),  # ties when h = b
    "Custom": (
        lambda: CustomDemand({0: 0.2, 2: 0.5, 5: 0.3}),
        {0: Fraction(2, 10), 2: Fraction(5, 10), 5: Fraction(3, 10)},
    ),
}
COSTS = [(5, 495), (1, 1), (2, 7), (3, 1)]


@lru_cache(maxsize=None)
def lead_time_demand_by_enumeration(name: str, n: int) -> tuple[tuple[int, Fraction], ...]:
    """P(D_1 + ... + D_n = s) by enumerating every demand tuple (itertools.product)."""
    pmf = DEMANDS[name][1]
    out: dict[int, Fraction] = {}
    for combo in itertools.product(pmf, repeat=n):
        p = Fraction(1)
        for d in combo:
            p *= pmf[d]
        out[sum(combo)] = out.get(sum(combo), Fraction(0)) + p
    assert sum(out.values()) == 1
    return tuple(sorted(out.items()))


def brute_force_base_stock(name: str, lead_time: int, h: int, b: int) -> tuple[int, Fraction, dict[int, Fraction]]:
    """Smallest S minimising E[h (S - D^(l+1))^+ + b (D^(l+1) - S)^+], tried over every S in range."""
    dist = lead_time_demand_by_enumeration(name, lead_time + 1)
    lo, hi = dist[0][0], dist[-1][0]
    costs = {
        s: sum((p * (h * max(s - d, 0) + b * max(d - s, 0)) for d, p in dist), Fraction(0))
        for s in range(lo - 2, hi + 3)
    }
    best = min(costs.values())
    level = min(s for s, c in costs.items() if c == best)
    return level, best, costs


def single_model(lead_time, demand, h, b, order_cost=0, init_inventory=0, batch_size=1):
    return SingleSourcingModel(
        lead_time=lead_time,
        holding_cost=h,
        shortage_cost=b,
        init_inventory=init_inventory,
        demand_generator=demand,
        batch_size=batch_size,
        order_cost=order_cost,
    )


@pytest.mark.parametrize("h,b", COSTS)
@pytest.mark.parametrize("demand_name", list(DEMANDS))
@pytest.mark.parametrize("lead_time", [0, 1, 2, 3, 4])
def test_base_stock_level_and_cost_equal_brute_force(lead_time, demand_name, h, b):
    level, cost, _ = brute_force_base_stock(demand_name, lead_time, h, b)
    ctrl = BaseStockController().fit(single_model(lead_time, DEMANDS[demand_name][0](), h, b))
    assert ctrl.z_star == level
    assert ctrl.base_stock_level_ == level
    assert ctrl.expected_cost_ == pytest.approx(float(cost), rel=1e-12, abs=1e-12)


def test_base_stock_tie_takes_the_smallest_level():
    # U{0..3}, l = 0, h = b = 1: F(1) = 1/2 = b / (b + h), so S = 1 and S = 2 both cost 1.
    _, _, costs = brute_force_base_stock("U(0,3)", 0, 1, 1)
    assert costs[1] == costs[2] == 1
    assert BaseStockController().fit(single_model(0, UniformDemand(0, 3), 1, 1)).z_star == 1


def test_base_stock_paper_example(paper_single_model):
    ctrl = BaseStockController().fit(paper_single_model)
    assert ctrl.z_star == 4
    assert ctrl.expected_cost_ == pytest.approx(10.0, abs=1e-12)
    # By hand: S = 4 > every demand, so the cost is h E[4 - D] = 5 * 2 = 10.
    assert BaseStockController().fit(paper_single_model, num_samples=10, seed=0).z_star == 4  # reference kwargs


def test_base_stock_expected_cost_includes_order_cost():
    # Custom demand, l = 1, h = 2, b = 7, c = 3: newsvendor cost + c E[D] with E[D] = 2.5.
    level, cost, _ = brute_force_base_stock("Custom", 1, 2, 7)
    ctrl = BaseStockController().fit(single_model(1, CustomDemand({0: 0.2, 2: 0.5, 5: 0.3}), 2, 7, order_cost=3))
    assert ctrl.z_star == level
    assert ctrl.expected_cost_ == pytest.approx(float(cost) + 3 * 2.5, rel=1e-12)


@pytest.mark.parametrize("given", [3, 5, 9])
def test_base_stock_given_level_cost_equals_brute_force(given):
    _, _, costs = brute_force_base_stock("U(0,4)", 2, 2, 7)
    ctrl = BaseStockController(base_stock_level=given).fit(single_model(2, UniformDemand(0, 4), 2, 7))
    assert ctrl.z_star == given
    assert ctrl.expected_cost_ == pytest.approx(float(costs[given]), rel=1e-12)


def test_base_stock_simulated_cost_matches_exact_cost():
    """Long simulation from I_0 = S* (empty pipeline) approaches the exact cost."""
    model = single_model(2, UniformDemand(0, 4), 1, 9, init_inventory=0, batch_size=200)
    ctrl = BaseStockController().fit(model)
    level, cost, _ = brute_force_base_stock("U(0,4)", 2, 1, 9)
    assert ctrl.z_star == level == 9
    model.init_inventory.data.fill_(float(level))
    simulated = float(ctrl.get_average_cost(model, 400, seed=0).detach())
    assert simulated == pytest.approx(float(cost), rel=0.03)


def test_base_stock_predict_by_hand():
    ctrl = BaseStockController(base_stock_level=6).fit(single_model(2, UniformDemand(0, 4), 1, 9))
    # q = max(0, S - I - pipeline), pipeline = last l = 2 past orders, left-padded with 0.
    assert ctrl.predict(1) == 5  # no pipeline: 6 - 1
    assert ctrl.predict(1, past_orders=[2]) == 3  # pipeline [0, 2]
    assert ctrl.predict(1, past_orders=[5, 1, 2]) == 2  # pipeline [1, 2]
    assert ctrl.predict(-3, past_orders=[1, 1]) == 7
    assert ctrl.predict(8, past_orders=[0, 0]) == 0  # never negative
    q = ctrl.predict(torch.tensor([[1.0], [-3.0], [8.0]]), past_orders=torch.tensor([[0.0, 2.0], [1.0, 1.0], [0.0, 0.0]]))
    assert q.shape == (3, 1) and q.tolist() == [[3], [7], [0]]
    q = ctrl.predict(torch.tensor([1.0, 2.0]), past_orders=[1, 2])  # one pipeline for every row
    assert q.tolist() == [[2], [1]]
    t = ctrl.predict(2, output_tensor=True)
    assert isinstance(t, torch.Tensor) and t.tolist() == [[4]]


def test_base_stock_predict_lead_time_zero(paper_single_model):
    ctrl = BaseStockController().fit(paper_single_model)
    assert [ctrl.predict(i) for i in range(-2, 7)] == [6, 5, 4, 3, 2, 1, 0, 0, 0]
    assert ctrl.predict(2, past_orders=[5]) == 2  # no pipeline at l = 0


def test_base_stock_simulate_by_hand(paper_single_model):
    ctrl = BaseStockController().fit(paper_single_model)
    inv, orders = ctrl.simulate(paper_single_model, 30, seed=2)
    assert inv.shape == (31,) and orders.shape == (31,)
    assert paper_single_model.batch_size == 32  # restored
    demands = UniformDemand(0, 4).sample_periods(1, 30, torch.Generator().manual_seed(2))[0].numpy()
    assert inv[0] == 10 and orders[0] == 0
    for t in range(30):
        assert orders[t + 1] == max(0, 4 - inv[t])
        assert inv[t + 1] == inv[t] + orders[t + 1] - demands[t]


def test_base_stock_predict_before_fit():
    with pytest.raises(ValueError, match=re.escape(NOT_FITTED.format("BaseStockController"))):
        BaseStockController().predict(3)
    with pytest.raises(ValueError, match=re.escape(NOT_FITTED.format("BaseStockController"))):
        BaseStockController(base_stock_level=3).predict(3)


# --------------------------------------------------------------------------------------
# Neural controller: determinism and the global RNG.
# --------------------------------------------------------------------------------------


def small_fit(seed: int) -> tuple[SingleSourcingNeuralController, SingleSourcingModel]:
    model = SingleSourcingModel(
        lead_time=1, holding_cost=2, shortage_cost=9, init_inventory=5,
        demand_generator=UniformDemand(0, 4), batch_size=16,
    )
    ctrl = SingleSourcingNeuralController(hidden_layers=[4], activation=torch.nn.CELU())
    ctrl.fit(model, sourcing_periods=20, epochs=100, validation_sourcing_periods=50, seed=seed, progress=False)
    return ctrl, model


def test_neural_fit_is_deterministic_and_leaves_global_rngs_alone():
    torch_state, np_state, py_state = torch.get_rng_state(), np.random.get_state(), random.getstate()

    a, model_a = small_fit(seed=3)
    b, model_b = small_fit(seed=3)
    cost_a = float(a.get_average_cost(model_a, 200, seed=0).detach())
    cost_b = float(b.get_average_cost(model_b, 200, seed=0).detach())
    a.simulate(model_a, 20, seed=1)
    a.get_total_cost(model_a, 10)

    assert torch.equal(torch.get_rng_state(), torch_state)
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1]) and after[2:] == np_state[2:]
    assert random.getstate() == py_state

    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert sa.keys() == sb.keys()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert a.best_cost_ == b.best_cost_ and a.best_cost_ is not None
    assert a.history_ == b.history_ and len(a.history_) == 100
    assert torch.equal(model_a.init_inventory, model_b.init_inventory)
    assert cost_a == cost_b
    assert math.isfinite(cost_a)

    c, _ = small_fit(seed=4)  # another seed, other weights
    assert not all(torch.equal(sa[k], c.model.state_dict()[k]) for k in sa)


# --------------------------------------------------------------------------------------
# The paper's example, verbatim (its fit also serves the quality test).
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paper_run(tmp_path_factory):
    """Run the code blocks of the JOSS paper (single sourcing) verbatim in a temporary directory."""
    workdir = tmp_path_factory.mktemp("paper")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(workdir)  # SummaryWriter(comment=...) writes ./runs/

        import torch
        from idinn.sourcing_model import SingleSourcingModel
        from idinn.single_controller import SingleSourcingNeuralController
        from idinn.demand import UniformDemand

        single_sourcing_model = SingleSourcingModel(
            lead_time=0,
            holding_cost=5,
            shortage_cost=495,
            batch_size=32,
            init_inventory=10,
            demand_generator=UniformDemand(low=0, high=4)
        )

        single_controller = SingleSourcingNeuralController(
            hidden_layers=[2],
            activation=torch.nn.CELU(alpha=1)
        )

        from torch.utils.tensorboard import SummaryWriter

        single_controller.fit(
            sourcing_model=single_sourcing_model,
            sourcing_periods=50,
            validation_sourcing_periods=1000,
            epochs=2000,
            tensorboard_writer=SummaryWriter(comment="_single_1"),
            seed=1
        )

        average_cost = single_controller.get_average_cost(single_sourcing_model, sourcing_periods=1000)

        figure_and_axes = single_controller.plot(sourcing_model=single_sourcing_model, sourcing_periods=100)

        order_at_10 = single_controller.predict(current_inventory=10)

    return dict(
        workdir=workdir,
        model=single_sourcing_model,
        controller=single_controller,
        average_cost=average_cost,
        figure_and_axes=figure_and_axes,
        order_at_10=order_at_10,
    )


def test_paper_example_runs_verbatim(paper_run, close_figures):
    runs = list((paper_run["workdir"] / "runs").glob("*_single_1"))
    assert len(runs) == 1
    assert list(runs[0].glob("events.out.tfevents*"))
    assert float(paper_run["average_cost"].detach()) == pytest.approx(10.0, rel=0.05)  # unseeded
    fig, axes = paper_run["figure_and_axes"]
    assert len(axes) == 2 and fig is axes[0].figure
    assert paper_run["order_at_10"] == 0


def test_paper_example_quality(paper_run):
    """The fitted policy is the optimal base-stock policy S = 4, at the optimal cost 10."""
    ctrl, model = paper_run["controller"], paper_run["model"]
    assert [ctrl.predict(i) for i in range(5)] == [4, 3, 2, 1, 0]
    cost = float(ctrl.get_average_cost(model, 1000, seed=123).detach())
    assert cost == pytest.approx(10.0, rel=0.01)
    assert ctrl.best_cost_ == pytest.approx(10.0, rel=0.02)


# --------------------------------------------------------------------------------------
# predict / simulate / plot of the neural controller.
# --------------------------------------------------------------------------------------


def test_neural_predict_types(paper_run):
    ctrl = paper_run["controller"]
    q = ctrl.predict(2)
    assert type(q) is int and q == 2
    assert type(ctrl.predict(2.0)) is int
    assert type(ctrl.predict(np.int64(2))) is int
    batch = ctrl.predict(torch.tensor([0.0, 1.0, 5.0, -2.0]))
    assert isinstance(batch, torch.Tensor) and batch.shape == (4, 1)
    assert batch[:, 0].tolist() == [ctrl.predict(0), ctrl.predict(1), ctrl.predict(5), ctrl.predict(-2)]
    assert ctrl.predict(torch.tensor([[0.0], [1.0]])).shape == (2, 1)
    t = ctrl.predict(1, output_tensor=True)
    assert isinstance(t, torch.Tensor) and t.shape == (1, 1) and t.tolist() == [[3]]


@pytest.mark.parametrize(
    "bad,exc,message",
    [
        (float("nan"), ValueError, "must be finite (not NaN or infinite). Got nan instead."),
        (float("inf"), ValueError, "must be finite (not NaN or infinite). Got inf instead."),
        ("3", TypeError, "must be a number or a tensor of numbers. Got '3' instead."),
        (torch.tensor([1.0, float("nan")]), ValueError, "must be finite (not NaN or infinite). Got [1.0, nan] instead."),
        (True, TypeError, "must be a number or a tensor of numbers. Got True instead."),
    ],
)
def test_neural_predict_bad_inventory(paper_run, bad, exc, message):
    full = "The 'current_inventory' parameter of SingleSourcingNeuralController " + message
    with pytest.raises(exc, match=re.escape(full)):
        paper_run["controller"].predict(bad)


def test_neural_predict_before_fit():
    ctrl = SingleSourcingNeuralController()
    message = NOT_FITTED.format("SingleSourcingNeuralController")
    assert "Call 'fit'" in message
    with pytest.raises(ValueError, match=re.escape(message)):
        ctrl.predict(3)
    model = SingleSourcingModel(0, 1, 1, 0, UniformDemand(0, 1))
    for call in (lambda: ctrl.get_average_cost(model, 10), lambda: ctrl.simulate(model, 10)):
        with pytest.raises(ValueError, match=re.escape(message)):
            call()


def test_neural_simulate_and_plot(paper_run, close_figures):
    ctrl, model = paper_run["controller"], paper_run["model"]
    inv, orders = ctrl.simulate(model, 25, seed=9)
    assert inv.shape == (26,) and orders.shape == (26,)
    assert model.batch_size == 32
    demands = UniformDemand(0, 4).sample_periods(1, 25, torch.Generator().manual_seed(9))[0].numpy()
    for t in range(25):
        assert orders[t + 1] == ctrl.predict(float(inv[t]))
        assert inv[t + 1] == inv[t] + orders[t + 1] - demands[t]
    again, _ = ctrl.simulate(model, 25, seed=9)
    np.testing.assert_array_equal(inv, again)

    fig, axes = ctrl.plot(model, sourcing_periods=25, seed=9)
    assert len(axes) == 2
    assert [a.get_title() for a in axes] == ["Inventory", "Order"]


def test_base_stock_fit_refuses_unknown_keywords(paper_single_model):
    with pytest.raises(TypeError, match="unexpected keyword argument 'num_sample'"):
        BaseStockController().fit(paper_single_model, num_sample=10)
    with pytest.raises(TypeError, match=re.escape("The 'seed' parameter of BaseStockController must be an int >= 0. Got '1' instead.")):
        BaseStockController().fit(paper_single_model, seed="1")


def test_quantities_beyond_float32_exact_integers_refused(paper_single_model):
    with pytest.raises(ValueError, match="between -16777216 and 16777216"):
        BaseStockController(base_stock_level=2**24 + 1)
    c = BaseStockController().fit(paper_single_model)
    with pytest.raises(ValueError, match=re.escape("The 'current_inventory' parameter of BaseStockController must be at most 16777216 in absolute value")):
        c.predict(16777217)
    with pytest.raises(ValueError, match="at most 16777216 in absolute value"):
        c.predict([1, -16777217])
    assert c.predict(-16777216) == 4 + 16777216  # the limit itself is exact
