"""Finite-horizon dynamic programming and exact finite-horizon policy evaluation."""

from __future__ import annotations

import functools
import itertools
import re
import time
import warnings

import numpy as np
import pytest
import torch

from idinn.demand import CustomDemand, PoissonDemand, SeasonalDemand, TraceDemand, UniformDemand
from idinn.dual_controller import CappedDualIndexController
from idinn.dual_controller.time_dp import FiniteHorizonDPController
from idinn.dynamics import period_cost, transition
from idinn.exact import (
    FiniteHorizonSolution,
    evaluate_policy_finite_horizon,
    solve_dual_sourcing_average_cost,
    solve_finite_horizon,
)
from idinn.single_controller.base_stock import lead_time_demand_pmf
from idinn.single_controller.time_dp import FiniteHorizonBaseStockController, order_up_to_levels
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


def seasonal_issue_model(init_inventory: int = 6) -> DualSourcingModel:
    """The seasonal instance of the issue: l_r=2, l_e=0, c_e=20, h=5, b=495, means 1, 3, 5, 3."""
    return DualSourcingModel(
        regular_lead_time=2,
        expedited_lead_time=0,
        regular_order_cost=0,
        expedited_order_cost=20,
        holding_cost=5,
        shortage_cost=495,
        init_inventory=init_inventory,
        demand_generator=SeasonalDemand.uniform(lows=[0, 1, 3, 1], highs=[2, 5, 7, 5]),
    )


def table_policy(solution: FiniteHorizonSolution):
    return lambda s, t: torch.as_tensor(solution.orders(s.numpy(), t), dtype=torch.float32)


# ------------------------------------------------------------------------ brute force
def brute_force(model, horizon: int, discount: float, init_state, max_order: int) -> float:
    """Optimal expected cost by exhaustive recursion over the full state and all orders
    0..max_order of every supplier (no reduction, no truncation; the dynamics of
    idinn.dynamics)."""
    params = model.params
    demand = model.demand_generator
    actions = np.array(list(itertools.product(range(max_order + 1), repeat=params.n_suppliers)))

    @functools.lru_cache(maxsize=None)
    def value(t: int, state: tuple[int, ...]) -> float:
        if t == horizon:
            return 0.0
        values, probs = demand.pmf(t)
        n_a, k = len(actions), len(values)
        src = np.repeat(np.array([state]), n_a * k, axis=0)
        orders = np.repeat(actions, k, axis=0)
        nxt = transition(src, orders, np.tile(values, n_a), params)
        cost = period_cost(nxt[:, 0].astype(float), orders.astype(float), params)
        future = np.array([value(t + 1, tuple(int(x) for x in row)) for row in nxt])
        per_action = ((cost + discount * future).reshape(n_a, k) * probs).sum(axis=1)
        return float(per_action.min())

    return value(0, tuple(int(x) for x in init_state))


BRUTE_CASES = [
    # (model, horizon, discount, init_state)
    (SingleSourcingModel(0, 1, 9, 0, CustomDemand({0: 0.3, 2: 0.7}), order_cost=0.5), 3, 1.0, (0,)),
    (SingleSourcingModel(1, 1, 9, 1, SeasonalDemand.uniform([0, 1], [1, 2]), order_cost=0.5), 3, 0.9, (1, 1)),
    (SingleSourcingModel(2, 2, 7, 0, CustomDemand({0: 0.5, 1: 0.5})), 4, 1.0, (0, 1, 0)),
    (SingleSourcingModel(3, 1, 9, 2, UniformDemand(0, 1)), 2, 1.0, (2, 1, 0, 0)),  # horizon <= lead time
    (DualSourcingModel(1, 0, 0, 3, 1, 9, 0, SeasonalDemand.uniform([0, 1], [1, 2])), 3, 1.0, (0, 0)),
    (DualSourcingModel(2, 0, 1, 3, 1, 9, 1, CustomDemand({0: 0.5, 2: 0.5})), 3, 0.8, (1, 2, 0)),
    (DualSourcingModel(2, 0, 0, 2, 1, 19, -1, SeasonalDemand.uniform([0, 1, 0], [2, 2, 1])), 3, 1.0, (-1, 0, 1)),
    (DualSourcingModel(2, 1, 0, 2, 1, 9, 1, CustomDemand({0: 0.5, 1: 0.5})), 3, 1.0, (1, 1, 0, 1)),
    (DualSourcingModel(3, 1, 0, 1, 1, 9, 0, CustomDemand({0: 0.6, 1: 0.4})), 3, 0.9, (0, 1, 0, 0, 0)),
    (DualSourcingModel(1, 1, 1, 2, 1, 9, 1, CustomDemand({0: 0.5, 1: 0.5})), 3, 1.0, (0, 1, 0)),  # l_e == l_r
    (DualSourcingModel(0, 0, 2, 1, 1, 9, 1, CustomDemand({0: 0.5, 1: 0.5})), 3, 1.0, (1,)),
]


@pytest.mark.parametrize("case", range(len(BRUTE_CASES)))
def test_matches_brute_force_and_own_policy_evaluation(case):
    model, horizon, discount, s0 = BRUTE_CASES[case]
    solution = solve_finite_horizon(model, horizon, discount=discount, init_state=s0)
    assert solution.boundary_mass == 0.0
    # exact forward evaluation of the DP's own policy reproduces its value
    used = []
    policy = table_policy(solution)

    def recording(s, t):
        q = policy(s, t)
        used.append(int(q.max()))
        return q

    ev = evaluate_policy_finite_horizon(recording, model, horizon, discount=discount, init_state=s0)
    assert ev.total_cost == pytest.approx(solution.optimal_cost, rel=1e-9, abs=1e-9)
    # exhaustive recursion over every order 0..4 (the DP's policy orders less on every
    # reachable state, so the restriction cannot hide a better policy the DP would use)
    assert max(used) < 4
    brute = brute_force(model, horizon, discount, s0, max_order=4)
    assert solution.optimal_cost == pytest.approx(brute, rel=1e-12, abs=1e-12)


def test_all_markov_policies_enumerated():
    # T = 2, l = 0, D in {0, 1}: every deterministic Markov policy with orders 0..2
    # (3 first orders x 3^4 second-period rules on the 4 reachable inventories)
    model = SingleSourcingModel(0, 2, 5, 0, CustomDemand({0: 0.4, 1: 0.6}), order_cost=1)
    costs = []
    for q0 in range(3):
        for rule in itertools.product(range(3), repeat=4):  # inventory -1 .. 2 after period 0

            def policy(state, t, q0=q0, rule=rule):
                if t == 0:
                    return torch.full((state.shape[0], 1), float(q0))
                return torch.tensor([[float(rule[int(i) + 1])] for i in state[:, 0]])

            costs.append(evaluate_policy_finite_horizon(policy, model, 2).total_cost)
    solution = solve_finite_horizon(model, 2)
    assert solution.optimal_cost == pytest.approx(min(costs), abs=1e-12)
    assert min(costs) == pytest.approx(brute_force(model, 2, 1.0, (0,), 3), abs=1e-12)


# ------------------------------------------------------------------- hand-computed
def test_deterministic_trace_demand():
    # l = 1, I_0 = 0, demand 2, 0, 3: the backlog of period 0 is committed (2 b); ordering
    # 2 then 3 clears everything afterwards.
    model = SingleSourcingModel(1, 1, 10, 0, TraceDemand([2, 0, 3]))
    solution = solve_finite_horizon(model, 3)
    assert solution.committed_cost == pytest.approx(20.0)
    assert solution.optimal_cost == pytest.approx(20.0)
    orders = [solution.orders([[i, p]], t)[0, 0] for t, (i, p) in enumerate([(0, 0), (-2, 2), (0, 3)])]
    assert orders == [2, 3, 0]


def test_single_sourcing_levels_are_newsvendor_quantiles():
    # gamma = 1, c = 2, h = 1, b = 9, l = 1, D ~ U{0..4}: order costs telescope, so early
    # periods order up to the b/(b+h) = 0.9 quantile of D^(2) (CDF .04 .12 .24 .40 .60
    # .76 .88 .96 1 -> 7); the last active period (t = T - 2) to the (b - c)/(b + h) = 0.7
    # quantile (-> 5), as its order is not recovered; the period before it to 6 (stock
    # carried above 5 into the last active period saves no order there); the last period
    # orders nothing (its order arrives after the horizon).
    model = SingleSourcingModel(1, 1, 9, 0, UniformDemand(0, 4), order_cost=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        controller = FiniteHorizonBaseStockController().fit(model, horizon=8)
    assert controller.base_stock_levels_.tolist() == [7.0] * 5 + [6.0, 5.0, -np.inf]
    values, probs = lead_time_demand_pmf(UniformDemand(0, 4), 2)
    cdf = dict(zip(values.tolist(), np.cumsum(probs)))
    assert cdf[7] >= 0.9 > cdf[6] and cdf[5] >= 0.7 > cdf[4]
    assert controller.optimal_cost_ == pytest.approx(brute_force(model, 8, 1.0, (0, 0), max_order=8), rel=1e-12)
    # the whole table is order-up-to (no warning above) and the controller reproduces it
    table = controller.solution_.policy_tables
    z = controller.solution_.min_position + np.arange(table.shape[1])
    for t in range(8):
        states = torch.tensor(np.stack([z, np.zeros_like(z)], axis=1), dtype=torch.float32)
        np.testing.assert_array_equal(controller._policy_at(states, t).numpy()[:, 0], table[t, :, 0])
    ev = evaluate_policy_finite_horizon(controller, model, 8)
    assert ev.total_cost == pytest.approx(controller.optimal_cost_, rel=1e-9)


def test_order_up_to_levels_warns_on_other_tables():
    table = np.array([[[2], [1], [1]]])  # would be [2, 1, 0] under a base-stock level 2
    with pytest.warns(RuntimeWarning, match="not order-up-to in period 0 at inventory position 2"):
        levels = order_up_to_levels(table, 0)
    assert levels.tolist() == [2.0]


# --------------------------------------------------- connection to the average cost
def test_long_horizon_increments_approach_average_cost():
    model = DualSourcingModel(2, 0, 0, 20, 5, 495, 0, UniformDemand(0, 4))
    g = solve_dual_sourcing_average_cost(model, tolerance=1e-11).optimal_cost
    solution = solve_finite_horizon(model, 120)
    v = solution.value_tables[:, 0 - solution.min_position, 0]  # V_t(z=0, p_1=0), t = 0..T
    assert v[0] == pytest.approx(solution.optimal_cost)
    # V_0 - V_1 at s0 -> g* (relative value iteration gives 323/14 = 23.0714285714...)
    assert v[0] - v[1] == pytest.approx(g, abs=5e-8)
    assert solution.optimal_cost / 120 == pytest.approx(g, abs=1.0)


# ------------------------------------------------------------------ issue instance
def test_seasonal_issue_instance_and_best_capped_dual_index():
    model = seasonal_issue_model()
    start = time.perf_counter()
    solution = solve_finite_horizon(model, 52)
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0
    assert solution.boundary_mass == 0.0
    assert solution.optimal_cost == pytest.approx(1077.5360072509, abs=1e-6)
    # best stationary capped dual index on a grid around its optimum (found on the grid
    # s_e <= 10, s_r <= 21, q_r <= 7, see docs/exact_finite_horizon.md)
    costs = {}
    for s_e, s_r, q_r in itertools.product([4, 5, 6], [13, 14, 15], [5, 6, 7]):
        cdi = CappedDualIndexController(s_e=s_e, s_r=s_r, q_r=q_r)
        cdi.sourcing_model = model
        costs[(s_e, s_r, q_r)] = evaluate_policy_finite_horizon(cdi, model, 52).total_cost
    best = min(costs, key=costs.get)
    assert best == (5, 14, 6)
    assert costs[best] == pytest.approx(1556.1555432956, abs=1e-6)
    assert solution.optimal_cost < min(costs.values())
    # the controller's simulated cost agrees with the exact value (Monte-Carlo check)
    controller = FiniteHorizonDPController().fit(model, 52)
    sim = controller.get_total_cost(
        DualSourcingModel(2, 0, 0, 20, 5, 495, 6, model.demand_generator, batch_size=4096), 52, seed=3
    )
    assert float(sim.detach()) == pytest.approx(controller.optimal_cost_, rel=0.02)


def test_speed_lr2_uniform8_52_periods():
    model = DualSourcingModel(2, 0, 0, 20, 5, 495, 0, UniformDemand(0, 8))
    start = time.perf_counter()
    solution = solve_finite_horizon(model, 52)
    assert time.perf_counter() - start < 3.0
    assert solution.boundary_mass == 0.0
    assert solution.policy_tables.shape[:1] == (52,)


def test_expedited_lead_time_positive_seasonal():
    model = DualSourcingModel(3, 1, 0, 10, 5, 95, 2, SeasonalDemand.uniform([0, 2], [2, 4]))
    solution = solve_finite_horizon(model, 12, discount=0.97)
    assert solution.committed_cost > 0
    ev = evaluate_policy_finite_horizon(table_policy(solution), model, 12, discount=0.97)
    assert ev.total_cost == pytest.approx(solution.optimal_cost, rel=1e-9)
    # never worse than a capped dual index evaluated exactly
    cdi = CappedDualIndexController(s_e=5, s_r=8, q_r=3)
    cdi.sourcing_model = model
    assert solution.optimal_cost < evaluate_policy_finite_horizon(cdi, model, 12, discount=0.97).total_cost


# ------------------------------------------------------------------- evaluation
def test_evaluation_reports_per_period_quantities():
    # base stock 4 with l = 0, D ~ U{0..4}, I_0 = 0: every period orders D_{t-1} (4 first),
    # holds 4 - D: cost 5 * 2 = 10 per period
    model = SingleSourcingModel(0, 5, 495, 0, UniformDemand(0, 4))
    ev = evaluate_policy_finite_horizon(lambda s: (4 - s.sum(1, keepdim=True)).clamp(min=0), model, 4, discount=0.5)
    np.testing.assert_allclose(ev.period_costs, [10.0] * 4)
    assert ev.total_cost == pytest.approx(10 * (1 + 0.5 + 0.25 + 0.125))
    np.testing.assert_allclose(ev.mean_orders[:, 0], [4.0, 2.0, 2.0, 2.0])
    np.testing.assert_allclose(ev.expected_inventory, [2.0] * 4)
    np.testing.assert_allclose(ev.expected_backlog, [0.0] * 4)
    assert ev.n_states.tolist() == [1, 5, 5, 5]


def test_evaluation_of_a_stationary_controller_matches_simulation_mean():
    model = seasonal_issue_model()
    cdi = CappedDualIndexController(s_e=5, s_r=14, q_r=6)
    cdi.sourcing_model = model
    ev = evaluate_policy_finite_horizon(cdi, model, 8)
    sim_model = DualSourcingModel(2, 0, 0, 20, 5, 495, 6, model.demand_generator, batch_size=8192)
    sim = cdi.get_total_cost(sim_model, 8, seed=0)
    assert float(sim.detach()) == pytest.approx(ev.total_cost, rel=0.03)


# --------------------------------------------------------------- controller API
def test_controller_periods_and_states():
    model = seasonal_issue_model()
    controller = FiniteHorizonDPController().fit(model, horizon=4)
    assert controller.horizon_ == 4 and controller.discount_ == 1.0
    q_r, q_e = controller.predict(6, [0, 0], period=3)
    assert (q_r, q_e) == tuple(int(x) for x in controller.solution_.orders([[6, 0, 0]], 3)[0])
    with pytest.raises(ValueError, match=re.escape(
        "The 'period' parameter of FiniteHorizonDPController must be an int in [0, 3] "
        "(the fitted horizon is 4 periods). Got 4 instead."
    )):
        controller.predict(6, [0, 0], period=4)
    with pytest.raises(ValueError, match=re.escape("State [500, 0, 0] (reduced to position z=500, overtaken")):
        controller.predict(500, [0, 0])
    # simulating past the horizon fails loudly
    with pytest.raises(ValueError, match="fitted horizon is 4 periods"):
        controller.get_total_cost(model, 5, seed=0)
    assert np.isfinite(float(controller.get_total_cost(model, 4, seed=0).detach()))


def test_not_fitted_and_bad_fit_keywords():
    controller = FiniteHorizonDPController()
    with pytest.raises(ValueError, match="not fitted"):
        controller.optimal_cost_
    with pytest.raises(TypeError, match="unexpected keyword argument 'tolerance'"):
        controller.fit(seasonal_issue_model(), 3, tolerance=1)
    with pytest.raises(TypeError, match=re.escape(
        "The 'sourcing_model' parameter of FiniteHorizonDPController must be a DualSourcingModel."
    )):
        controller.fit(SingleSourcingModel(0, 1, 1, 0, UniformDemand(0, 1)), 3)


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"horizon": 0}, ValueError, "The 'horizon' parameter of solve_finite_horizon must be an int >= 1. Got 0 instead."),
        ({"horizon": 2.0}, TypeError, "The 'horizon' parameter of solve_finite_horizon must be an int >= 1. Got 2.0 instead."),
        ({"discount": 1.5}, ValueError, "The 'discount' parameter of solve_finite_horizon must be a finite real number > 0 and <= 1. Got 1.5 instead."),
        ({"init_state": [1, 2]}, ValueError, "The 'init_state' parameter of solve_finite_horizon must be 3 integers (net inventory, then pipelines >= 0). Got [1, 2] instead."),
        ({"init_state": [1, -2, 0]}, ValueError, "must be 3 integers (net inventory, then pipelines >= 0). Got [1, -2, 0] instead."),
        ({"min_position": 7}, ValueError, "The 'min_position' parameter of solve_finite_horizon must be an int <= the initial position z0 = 6. Got 7 instead."),
        ({"max_regular_order": -1}, ValueError, "The 'max_regular_order' parameter of solve_finite_horizon must be an int >= 0. Got -1 instead."),
    ],
)
def test_bad_input(kwargs, exc, message):
    args = {"horizon": 3, **kwargs}
    with pytest.raises(exc, match=re.escape(message)):
        solve_finite_horizon(seasonal_issue_model(), **args)


def test_bad_demand_and_model():
    model = DualSourcingModel(2, 0, 0, 20, 5, 495, 0, PoissonDemand(3))
    with pytest.raises(ValueError, match=re.escape(
        "The 'demand_generator' parameter of solve_finite_horizon must be a demand model with finite support"
    )):
        solve_finite_horizon(model, 3)
    with pytest.raises(TypeError, match="'sourcing_model' parameter of solve_finite_horizon"):
        solve_finite_horizon("model", 3)
    with pytest.raises(ValueError, match=re.escape("The 'max_regular_order' parameter of solve_finite_horizon must be None")):
        solve_finite_horizon(SingleSourcingModel(1, 1, 1, 0, UniformDemand(0, 1)), 3, max_regular_order=2)
    with pytest.raises(TypeError, match="'policy' parameter of evaluate_policy_finite_horizon"):
        evaluate_policy_finite_horizon(3, model, 3)
    with pytest.raises(ValueError, match=re.escape(
        "The 'policy' parameter of evaluate_policy_finite_horizon must be returning integer-valued orders."
    )):
        evaluate_policy_finite_horizon(lambda s: torch.full((s.shape[0], 2), 0.5), seasonal_issue_model(), 2)


def test_tight_bounds_warn_with_mass():
    model = seasonal_issue_model()
    with pytest.warns(RuntimeWarning, match="reaches the truncation with mass"):
        solution = solve_finite_horizon(model, 20, min_position=2, max_position=8)
    assert solution.boundary_mass > 1e-6
    assert solution.truncation["min_position"] == 2 and solution.truncation["max_position"] == 8
