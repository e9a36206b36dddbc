"""Classical dual-sourcing heuristics: order rules, search machinery, controllers, inputs."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from idinn._validation import NotFittedError
from idinn.demand import CustomDemand, UniformDemand
from idinn.dual_controller import (
    CappedDualIndexController,
    DualIndexController,
    SingleIndexController,
    TailoredBaseSurgeController,
)
from idinn.dual_controller._heuristic_search import (
    candidate_grid,
    check_candidate_range,
    expedited_inventory_position,
    full_inventory_position,
    levels_below_mean,
    simulate_candidates,
)
from idinn.dual_controller.capped_dual_index import capped_dual_index_orders
from idinn.dual_controller.dual_index import dual_index_orders
from idinn.dual_controller.single_index import single_index_orders
from idinn.dual_controller.tailored_base_surge import tailored_base_surge_orders
from idinn.dynamics import SourcingParams, inventory_position
from idinn.exact import evaluate_policy
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel

RULES = {
    "cdi": capped_dual_index_orders,
    "di": dual_index_orders,
    "tbs": tailored_base_surge_orders,
    "si": single_index_orders,
}


def params_for(l_r: int, l_e: int) -> SourcingParams:
    return SourcingParams(lead_times=(l_r, l_e), order_costs=(0.0, 10.0), holding_cost=5.0, shortage_cost=495.0)


def dual_model(l_r: int = 2, l_e: int = 0, c_e: float = 5.0, high: int = 4, init: int = 0) -> DualSourcingModel:
    return DualSourcingModel(
        regular_lead_time=l_r,
        expedited_lead_time=l_e,
        regular_order_cost=0,
        expedited_order_cost=c_e,
        holding_cost=5,
        shortage_cost=495,
        init_inventory=init,
        demand_generator=UniformDemand(0, high),
    )


# Hand-computed orders (regular, expedited). State layout [I, r_1..r_lr, e_1..e_le];
# IP^e = I + r_1..r_{le+1} + e_1..e_le, IP = I + all pipeline entries.
HAND_CASES = [
    # l_r=3, l_e=1, state [-2 | 1 0 3 | 2]: IP^e = -2+1+0+2 = 1, IP = 4
    ((3, 1), [-2, 1, 0, 3, 2], "cdi", (3, 9, 2), (2, 2)),  # q_e = 2, q_r = min(9-4, 2)
    ((3, 1), [-2, 1, 0, 3, 2], "di", (3, 9), (3, 2)),  # q_e = 2, q_r = 9-(4+2)
    ((3, 1), [-2, 1, 0, 3, 2], "tbs", (1, 3), (1, 2)),
    ((3, 1), [-2, 1, 0, 3, 2], "si", (5, 7), (2, 1)),  # q_e = 5-4, q_r = 7-5
    # positions above every level: only the constant base order remains
    ((3, 1), [5, 2, 2, 2, 1], "cdi", (3, 9, 2), (0, 0)),
    ((3, 1), [5, 2, 2, 2, 1], "di", (3, 9), (0, 0)),
    ((3, 1), [5, 2, 2, 2, 1], "tbs", (1, 3), (1, 0)),
    ((3, 1), [5, 2, 2, 2, 1], "si", (5, 7), (0, 0)),
    # l_r=2, l_e=0, state [0 | 1 2]: IP^e = 0+1 = 1, IP = 3
    ((2, 0), [0, 1, 2], "cdi", (4, 8, 3), (3, 3)),  # q_r = min(8-3, 3): ignores q_e
    ((2, 0), [0, 1, 2], "di", (4, 8), (2, 3)),  # q_r = 8-(3+3): counts q_e
    ((2, 0), [0, 1, 2], "tbs", (1, 4), (1, 3)),
    ((2, 0), [0, 1, 2], "si", (4, 8), (4, 1)),  # q_e = 4-3, q_r = 8-4
    # l_r=l_e=0, state [-1]: IP^e = IP = -1
    ((0, 0), [-1], "cdi", (2, 5, 1), (1, 3)),
    ((0, 0), [-1], "di", (2, 5), (3, 3)),
    ((0, 0), [-1], "tbs", (1, 2), (1, 3)),
    ((0, 0), [-1], "si", (2, 5), (3, 3)),
    # l_r=4, l_e=2, state [0 | 1 2 3 4 | 1 1]: IP^e = 0+(1+2+3)+(1+1) = 8, IP = 12
    ((4, 2), [0, 1, 2, 3, 4, 1, 1], "cdi", (9, 14, 1), (1, 1)),
    ((4, 2), [0, 1, 2, 3, 4, 1, 1], "di", (9, 16), (3, 1)),
    ((4, 2), [0, 1, 2, 3, 4, 1, 1], "tbs", (2, 9), (2, 1)),
    ((4, 2), [0, 1, 2, 3, 4, 1, 1], "si", (13, 15), (2, 1)),
    # l_r=l_e=1, state [1 | 2 | 0]: IP^e = IP = 3
    ((1, 1), [1, 2, 0], "cdi", (5, 6, 9), (3, 2)),
]


@pytest.mark.parametrize(("lead_times", "state", "family", "theta", "expected"), HAND_CASES)
def test_orders_match_hand_computation(lead_times, state, family, theta, expected):
    params = params_for(*lead_times)
    rule = RULES[family]
    t = rule(torch.tensor([state], dtype=torch.float32), params, *theta)
    n = rule(np.array([state], dtype=np.float64), params, *theta)
    assert isinstance(t, torch.Tensor) and t.shape == (1, 2) and t.dtype == torch.float32
    assert isinstance(n, np.ndarray) and n.shape == (1, 2)
    assert tuple(t[0].tolist()) == expected
    assert tuple(n[0].tolist()) == expected


@pytest.mark.parametrize("lead_times", [(0, 0), (2, 0), (3, 1), (4, 2), (2, 2)])
def test_positions_agree_with_dynamics(lead_times):
    params = params_for(*lead_times)
    rng = np.random.default_rng(1)
    state = rng.integers(-5, 6, size=(20, params.state_dim)).astype(np.float32)
    state[:, 1:] = np.abs(state[:, 1:])
    l_e = lead_times[1]
    np.testing.assert_array_equal(
        expedited_inventory_position(state, params), inventory_position(state, params, horizon=l_e + 1)
    )
    np.testing.assert_array_equal(full_inventory_position(state, params), inventory_position(state, params))
    ts = torch.as_tensor(state)
    assert torch.equal(full_inventory_position(ts, params), inventory_position(ts, params))


@pytest.mark.parametrize("family", sorted(RULES))
def test_per_row_parameters_equal_scalar_calls(family):
    params = params_for(3, 1)
    rule = RULES[family]
    states = np.array([c[1] for c in HAND_CASES if c[0] == (3, 1)][:2], dtype=np.float32)
    thetas = [(3, 9, 2), (1, 4, 0)] if family == "cdi" else [(1, 3), (2, 6)]
    per_row = [torch.tensor([t[j] for t in thetas], dtype=torch.float32) for j in range(len(thetas[0]))]
    batched = rule(torch.as_tensor(states), params, *per_row)
    for i, theta in enumerate(thetas):
        assert torch.equal(batched[i], rule(torch.as_tensor(states[i : i + 1]), params, *theta)[0])


def test_simulation_matches_step_by_step_model():
    model = dual_model(l_r=3, l_e=1, c_e=10, init=3)
    candidates = np.array([[3, 9, 2], [1, 5, 0], [6, 12, 4]])
    demand = model.demand_generator.sample_periods(4, 40, torch.Generator().manual_seed(3))
    got = simulate_candidates(capped_dual_index_orders, candidates, model.params, demand, 3.0, burn_in=5)
    for k, theta in enumerate(candidates.tolist()):
        model.reset(batch_size=4)
        costs = []
        for t in range(40):
            q = capped_dual_index_orders(model.get_state(), model.params, *theta)
            costs.append(model.step(q, demand[:, t]))
        expected = torch.stack(costs[5:]).double().mean().item()
        assert got[k] == pytest.approx(expected, rel=1e-9)


# Exact costs of the test bed's best parameters (lr2_ce5_u04): the definitions reproduce
# the test bed's best_*_cost columns.
@pytest.mark.parametrize(
    ("cls", "kwargs", "expected"),
    [
        (CappedDualIndexController, dict(s_e=4, s_r=8, q_r=1), 16.8484),
        (DualIndexController, dict(s_e=4, s_r=7), 17.0221),
        (TailoredBaseSurgeController, dict(q_r=1, s_e=4), 16.9030),
        (SingleIndexController, dict(s_e=5, s_r=6), 18.0),
    ],
)
def test_given_parameters_reproduce_testbed_cost(cls, kwargs, expected):
    model = dual_model(l_r=2, c_e=5)
    controller = cls(**kwargs).fit(model, sourcing_periods=50, search=False, seed=0)
    assert controller.best_cost_is_exact_
    assert controller.best_cost_ == pytest.approx(expected, abs=5e-5)
    for name, value in kwargs.items():
        assert getattr(controller, name) == value
    assert evaluate_policy(controller, model).average_cost == pytest.approx(controller.best_cost_, abs=1e-9)


def test_predict_uses_fitted_policy():
    controller = CappedDualIndexController(s_e=4, s_r=8, q_r=1).fit(dual_model(l_r=2), search=False, n_exact=0)
    # state [0 | 1 2]: q_e = 4 - 1 = 3, q_r = min(8 - 3, 1) = 1
    assert controller.predict(current_inventory=0, past_regular_orders=[1, 2]) == (1, 3)
    assert repr(controller) == "CappedDualIndexController(s_e=4, s_r=8, q_r=1)"


def test_fit_finds_brute_force_optimum_with_expedited_lead_time():
    model = dual_model(l_r=3, l_e=1, c_e=10)
    s_e_range, s_r_range = range(5, 9), range(8, 12)
    controller = DualIndexController().fit(
        model, sourcing_periods=500, s_e_range=s_e_range, s_r_range=s_r_range, seed=1, n_paths=64, n_exact=3
    )
    exact = {
        (e, r): evaluate_policy(lambda s, e=e, r=r: dual_index_orders(s, model.params, e, r), model).average_cost
        for e in s_e_range
        for r in s_r_range
    }
    best = min(exact, key=exact.get)
    assert (controller.s_e, controller.s_r) == best
    assert controller.best_cost_ == pytest.approx(exact[best], abs=1e-9)


def test_range_types_are_equivalent_and_fit_is_deterministic():
    model = dual_model(l_r=2, c_e=20)
    results = []
    for kind in (torch.arange, np.arange, lambda a, b: list(range(a, b)), range):
        c = CappedDualIndexController().fit(
            model, 200, s_e_range=kind(3, 5), s_r_range=kind(8, 10), q_r_range=kind(2, 4), seed=7, n_exact=1
        )
        results.append((c.s_e, c.s_r, c.q_r, c.search_result_.simulated_costs.tolist()))
    assert all(r == results[0] for r in results)
    assert len(results[0][3]) == 8


def test_automatic_ranges():
    assert levels_below_mean(2.0).tolist() == [0, 1]
    assert levels_below_mean(1.5).tolist() == [0, 1]
    assert levels_below_mean(0.0).tolist() == [0]
    model = dual_model(l_r=3, l_e=1, high=4)
    cdi = CappedDualIndexController()._default_ranges(model)
    assert [r.tolist() for r in cdi] == [list(range(9)), list(range(17)), list(range(5))]
    tbs = TailoredBaseSurgeController()._default_ranges(model)
    assert [r.tolist() for r in tbs] == [[0, 1], list(range(9))]
    si = SingleIndexController()._default_ranges(model)
    assert [r.tolist() for r in si] == [list(range(17)), list(range(17))]
    grid = candidate_grid(DualIndexController()._default_ranges(model), DualIndexController._keep)
    assert (grid[:, 0] <= grid[:, 1]).all() and len(grid) == sum(17 - e for e in range(9))
    custom = DualSourcingModel(2, 0, 0, 5, 5, 495, 0, CustomDemand({1: 0.5, 3: 0.25, 6: 0.25}))
    assert TailoredBaseSurgeController()._default_ranges(custom)[0].tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("cls", "kwargs", "exc", "message"),
    [
        (CappedDualIndexController, dict(s_e=-1), ValueError, "The 's_e' parameter of CappedDualIndexController must be an int >= 0. Got -1 instead."),
        (CappedDualIndexController, dict(q_r=2.0), TypeError, "The 'q_r' parameter of CappedDualIndexController must be an int >= 0. Got 2.0 instead."),
        (TailoredBaseSurgeController, dict(q_r=True), TypeError, "The 'q_r' parameter of TailoredBaseSurgeController must be an int >= 0. Got True instead."),
        (DualIndexController, dict(s_e=5, s_r=3), ValueError, "The 's_r' parameter of DualIndexController must be an int >= s_e (5). Got 3 instead."),
        (SingleIndexController, dict(s_e=2, s_r=1), ValueError, "The 's_r' parameter of SingleIndexController must be an int >= s_e (2). Got 1 instead."),
    ],
)
def test_bad_parameters(cls, kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        cls(**kwargs)


RULE_TEXT = "a non-empty range, list, array or tensor of ints >= 0"


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        (dict(s_e_range=[]), ValueError, f"The 's_e_range' parameter of CappedDualIndexController must be {RULE_TEXT}. Got [] instead."),
        (dict(s_r_range=range(0)), ValueError, f"The 's_r_range' parameter of CappedDualIndexController must be {RULE_TEXT}. Got range(0, 0) instead."),
        (dict(q_r_range=[-1, 2]), ValueError, f"The 'q_r_range' parameter of CappedDualIndexController must be {RULE_TEXT}. Got [-1, 2] instead."),
        (dict(q_r_range=torch.tensor([1.0, 2.0])), TypeError, "The 'q_r_range' parameter of CappedDualIndexController must be"),
        (dict(s_e_range=[1.5]), TypeError, "The 's_e_range' parameter of CappedDualIndexController must be"),
        (dict(s_e_range=torch.empty(0, dtype=torch.int64)), ValueError, "The 's_e_range' parameter of CappedDualIndexController must be"),
        (dict(sourcing_periods=1), ValueError, "The 'sourcing_periods' parameter of CappedDualIndexController must be an int >= 2. Got 1 instead."),
        (dict(search="yes"), TypeError, "The 'search' parameter of CappedDualIndexController must be a bool. Got 'yes' instead."),
        (dict(search=False, s_e_range=[1]), ValueError, "The 's_e_range' parameter of CappedDualIndexController must be None when search=False"),
        (dict(n_paths=0), ValueError, "The 'n_paths' parameter of CappedDualIndexController must be an int >= 1. Got 0 instead."),
        (dict(seed=-3), ValueError, "The 'seed' parameter of CappedDualIndexController must be an int >= 0. Got -3 instead."),
    ],
)
def test_bad_fit_arguments(kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        CappedDualIndexController().fit(dual_model(), **kwargs)


def test_incompatible_ranges_and_wrong_model():
    with pytest.raises(ValueError, match=re.escape("The 's_r_range' parameter of DualIndexController must be compatible with s_e_range")):
        DualIndexController().fit(dual_model(), s_e_range=[5, 6], s_r_range=[3, 4])
    single = SingleSourcingModel(lead_time=0, holding_cost=5, shortage_cost=495, init_inventory=0, demand_generator=UniformDemand(0, 4))
    with pytest.raises(TypeError, match=re.escape("The 'sourcing_model' parameter of SingleIndexController must be a DualSourcingModel")):
        SingleIndexController().fit(single)


@pytest.mark.parametrize("cls", [CappedDualIndexController, DualIndexController, TailoredBaseSurgeController, SingleIndexController])
def test_not_fitted(cls):
    with pytest.raises(NotFittedError):
        cls().predict(current_inventory=0)
    with pytest.raises(NotFittedError):
        cls().policy(torch.zeros(1, 3))


def test_check_candidate_range_normalises():
    assert check_candidate_range(torch.tensor([3, 1, 3]), "x", "o").tolist() == [1, 3]
    assert check_candidate_range(np.int64(4) * np.ones(1, dtype=np.int32), "x", "o").tolist() == [4]
    assert check_candidate_range(torch.tensor(2), "x", "o").tolist() == [2]
