"""The general exact engine (idinn.exact.multi_dp): up to five suppliers, lost sales,
fixed order costs, capacities and review periods."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
import torch

from idinn.demand import UniformDemand
from idinn.dynamics import SourcingParams, advance, period_cost
from idinn.exact import (
    evaluate_policy,
    solve_dual_sourcing_average_cost,
    solve_lost_sales_average_cost,
    solve_multi_sourcing_average_cost,
)
from idinn.exact._multi_space import aggregated_step, reduce_state
from idinn.problem import SourcingProblem


def _problem(lead_times, order_costs, h=5.0, b=495.0, high=4, **kw):
    params = SourcingParams(lead_times=tuple(lead_times), order_costs=tuple(order_costs), holding_cost=h,
                            shortage_cost=b, **kw)
    return SourcingProblem(params=params, demand=UniformDemand(0, high))


def _brute_force(problem, inv_range, qmax, sweeps=4000):
    """Average cost by relative value iteration on FULL states with the full action grid,
    stepping with idinn.dynamics.advance / period_cost (an independent check)."""
    params = problem.params
    values, probs = problem.demand.pmf()
    T = params.review_cycle
    lo, hi = inv_range
    pipe = sum(params.lead_times)
    states = np.array([(i, *p) for i in range(lo, hi + 1) for p in itertools.product(range(qmax + 1), repeat=pipe)],
                      dtype=np.int64)
    index = {tuple(s): n for n, s in enumerate(states.tolist())}
    actions = np.array(list(itertools.product(range(qmax + 1), repeat=params.n_suppliers)), dtype=np.int64)
    n, m, k = len(states), len(actions), len(values)
    S = np.repeat(np.repeat(states, m, axis=0), k, axis=0)
    A = np.repeat(np.tile(actions, (n, 1)), k, axis=0)
    D = np.tile(values, n * m)
    nxt, y = advance(S, A, D, params)
    assert nxt[:, 1:].max(initial=0) <= qmax
    nxt[:, 0] = np.clip(nxt[:, 0], lo, hi)
    target = np.array([index[tuple(r)] for r in nxt.tolist()]).reshape(n, m, k)
    cost = (period_cost(y.astype(float), A.astype(float), params).reshape(n, m, k) @ probs)
    caps = [params.order_capacity(j) for j in range(params.n_suppliers)]
    allowed = [np.array([all((params.may_order(j, phi) or a[j] == 0) and (caps[j] is None or a[j] <= caps[j])
                             for j in range(params.n_suppliers))
                         for a in actions.tolist()]) for phi in range(T)]
    v = np.zeros((T, n))
    start = index[tuple(problem.init_state.tolist())]
    for _ in range(sweeps):
        new = np.empty_like(v)
        nxt_v = v[0]
        for phi in range(T - 1, -1, -1):
            q = cost + nxt_v[target] @ probs
            q[:, ~allowed[phi]] = np.inf
            new[phi] = q.min(axis=1)
            nxt_v = new[phi]
        delta = new[0] - v[0]
        v = new - new[0, start]
    return 0.5 * (delta.min() + delta.max()) / T, (delta.max() - delta.min()) / T


def test_aggregated_step_agrees_with_the_dynamics():
    rng = np.random.default_rng(0)
    for rule in ("backlog", "lost_sales"):
        params = SourcingParams(lead_times=(0, 2, 3, 1), order_costs=(7, 3, 1, 5), holding_cost=2, shortage_cost=11,
                                excess_demand=rule, fixed_order_costs=(4, 0, 9, 1))
        n = 200
        states = rng.integers(0, 6, size=(n, params.state_dim))
        if rule == "backlog":
            states[:, 0] -= 3
        orders = rng.integers(0, 4, size=(n, 4)) * (rng.random((n, 4)) < 0.7)
        demand = rng.integers(0, 9, size=n)
        nxt, y = advance(states, orders, demand, params)
        red_next, red_y, red_cost = aggregated_step(reduce_state(states, params.lead_times), orders, demand, params)
        np.testing.assert_array_equal(red_next, reduce_state(nxt, params.lead_times))
        np.testing.assert_array_equal(red_y, y)
        np.testing.assert_allclose(red_cost, period_cost(y.astype(float), orders.astype(float), params))


def test_reduce_state_by_hand():
    # lead times (2, 0, 3): state [I, a1, a2, c1, c2, c3] -> (I + a1 + c1, a2 + c2, c3)
    s = np.array([[-2, 1, 4, 3, 5, 7]])
    assert reduce_state(s, (2, 0, 3)).tolist() == [[2, 9, 7]]
    assert reduce_state(np.array([[5]]), (0, 0)).tolist() == [[5]]


def test_equals_the_dual_sourcing_solver():
    p = SourcingProblem.dual(regular_lead_time=3, expedited_lead_time=1, regular_order_cost=0,
                             expedited_order_cost=10, holding_cost=5, shortage_cost=95, demand=UniformDemand(0, 4))
    ours = solve_multi_sourcing_average_cost(p)
    ref = solve_dual_sourcing_average_cost(p)
    assert ours.converged and ours.boundary_mass == 0.0
    assert ours.average_cost == pytest.approx(ref.optimal_cost, abs=1e-5)
    assert ours.policy_cost == pytest.approx(ours.average_cost, abs=1e-6)
    assert evaluate_policy(ours, p).average_cost == pytest.approx(ours.average_cost, abs=1e-6)


def test_paper_dual_optimum():
    p = _problem((2, 0), (0, 20))
    assert solve_multi_sourcing_average_cost(p).average_cost == pytest.approx(23.0714, abs=1e-4)


@pytest.mark.parametrize("lead_time", [1, 3])
def test_equals_the_lost_sales_solver(lead_time):
    p = SourcingProblem.single(lead_time=lead_time, holding_cost=1, shortage_cost=9, order_cost=0,
                               demand=UniformDemand(0, 4), excess_demand="lost_sales")
    ours = solve_multi_sourcing_average_cost(p)
    ref = solve_lost_sales_average_cost(p)
    assert ours.average_cost == pytest.approx(ref.average_cost, abs=1e-6)
    assert evaluate_policy(ours, p).average_cost == pytest.approx(ours.average_cost, abs=1e-6)


@pytest.mark.parametrize("rule", ["backlog", "lost_sales"])
def test_fixed_costs_match_brute_force(rule):
    p = _problem((1, 0), (1, 4), h=1, b=12, high=2, fixed_order_costs=(5, 2), excess_demand=rule)
    ours = solve_multi_sourcing_average_cost(p, max_orders=5)
    lo = 0 if rule == "lost_sales" else -5
    ref, gap = _brute_force(p, (lo, 9), 5)
    assert gap < 1e-8
    assert ours.average_cost == pytest.approx(ref, abs=1e-6)
    assert ours.boundary_mass == 0.0
    # fixed costs make orders lumpy: a positive order of the slow supplier is at least 2
    q = ours.order_table[..., 0]
    assert q.max() >= 2 and not np.any(q == 1)


def test_capacities_are_honoured_and_cost_more():
    free = _problem((2, 0), (0, 20), b=95)
    capped = _problem((2, 0), (0, 20), b=95, order_capacities=(3, 2))
    a = solve_multi_sourcing_average_cost(free)
    c = solve_multi_sourcing_average_cost(capped)
    assert c.order_table[..., 0].max() <= 3 and c.order_table[..., 1].max() <= 2
    assert c.max_orders == (3, 2)
    assert c.average_cost > a.average_cost + 1e-3
    assert evaluate_policy(c, capped).average_cost == pytest.approx(c.average_cost, abs=1e-6)


def test_larger_bounds_do_not_change_the_optimum():
    p = _problem((0, 1, 2), (20, 10, 0), b=95)
    auto = solve_multi_sourcing_average_cost(p)
    wide = solve_multi_sourcing_average_cost(p, x_bounds=(auto.x_bounds[0] - 6, auto.x_bounds[1] + 6),
                                             max_orders=[q + 3 for q in auto.max_orders])
    assert wide.n_states > auto.n_states
    assert wide.average_cost == pytest.approx(auto.average_cost, abs=1e-6)


def test_three_suppliers_checked_by_exact_evaluation():
    p = _problem((0, 1, 2), (20, 10, 0), b=95)
    sol = solve_multi_sourcing_average_cost(p)
    ev = evaluate_policy(sol, p)
    assert ev.average_cost == pytest.approx(sol.average_cost, abs=1e-6)
    assert sol.average_cost == pytest.approx(22.824, abs=1e-6)


def test_review_periods_match_brute_force():
    # slow supplier reviewed every 2nd period (offset 1), fast supplier every period
    p = _problem((1, 0), (1, 4), h=1, b=12, high=2, review_periods=(2, 1), review_offsets=(1, 0))
    sol = solve_multi_sourcing_average_cost(p, max_orders=6)
    ref, gap = _brute_force(p, (-5, 10), 6, sweeps=3000)
    assert sol.average_cost == pytest.approx(ref, abs=1e-6)
    assert not sol.is_stationary and sol.n_states == 2 * np.prod(sol.order_table.shape[1:-1])
    assert np.all(sol.order_table[0, ..., 0] == 0)  # phase 0: slow supplier not reviewed
    every = solve_multi_sourcing_average_cost(_problem((1, 0), (1, 4), h=1, b=12, high=2))
    assert sol.average_cost > every.average_cost + 1e-3
    with pytest.raises(ValueError, match="period"):
        sol.policy(np.zeros((1, 2)))


def test_too_big_is_refused_with_states_and_memory():
    p = _problem((0, 2, 4, 6, 8), (30, 20, 10, 5, 0))
    msg = re.escape("aggregated states") + ".*" + re.escape("GiB") + ".*" + re.escape("max_states=...")
    with pytest.raises(MemoryError, match=msg):
        solve_multi_sourcing_average_cost(p, max_states=10_000)


def test_more_than_five_suppliers_refused():
    p = _problem((0,) * 6, (1,) * 6)
    with pytest.raises(ValueError, match=re.escape("at most 5 suppliers")):
        solve_multi_sourcing_average_cost(p)


# ----------------------------------------------------------------- exact policy evaluation
def test_evaluate_policy_three_suppliers_by_hand():
    p = _problem((0, 1, 2), (20, 10, 0))
    # order up to 4 from the lead-time-0 supplier only: cost 20 E[D] + 5 E[4 - D] = 40 + 10
    fast = lambda s: torch.stack([(4 - s[:, 0]).clamp(min=0), 0 * s[:, 0], 0 * s[:, 0]], dim=1)
    assert evaluate_policy(fast, p).average_cost == pytest.approx(50.0, abs=1e-9)
    # order up to S = 8 on the full position from the free lead-time-2 supplier: the newsvendor
    # cost of D over 3 periods
    slow = lambda s: torch.stack([0 * s[:, 0], 0 * s[:, 0], (8 - s.sum(1)).clamp(min=0)], dim=1)
    d3 = np.convolve(np.convolve(np.full(5, 0.2), np.full(5, 0.2)), np.full(5, 0.2))
    y = 8 - np.arange(len(d3))
    expected = float(d3 @ (5 * np.clip(y, 0, None) + 495 * np.clip(-y, 0, None)))
    assert evaluate_policy(slow, p).average_cost == pytest.approx(expected, abs=1e-9)


def test_evaluate_policy_with_review_periods():
    p = _problem((1, 0), (1, 4), h=1, b=12, high=2, review_periods=(2, 1), review_offsets=(1, 0))
    sol = solve_multi_sourcing_average_cost(p, max_orders=6)
    ev = evaluate_policy(sol, p)
    assert ev.average_cost == pytest.approx(sol.average_cost, abs=1e-6)
    # the phase is part of the chain: more states than the stationary rule would visit
    assert ev.n_states > len(np.unique(ev.states, axis=0))
    # a stationary rule ordering from the slow supplier in period 0 is refused, never zeroed
    with pytest.raises(ValueError, match=re.escape("ordering nothing from supplier 0 in period 0")):
        evaluate_policy(lambda s: np.ones((len(s), 2)), p)


# ----------------------------------------------------------------- shipped optima
@pytest.mark.parametrize("table", ["three_supplier", "dual_lost_sales", "dual_fixed_cost"])
def test_shipped_optima_are_reproduced(table):
    from idinn.instances import load_exact_optima

    rows = load_exact_optima(table)
    assert len(rows) == {"three_supplier": 4, "dual_lost_sales": 3, "dual_fixed_cost": 36}[table]
    cheap = [r for r in rows if r.n_states <= 1000]
    assert cheap
    for row in cheap:
        sol = solve_multi_sourcing_average_cost(row.problem())
        assert sol.average_cost == pytest.approx(row.optimal_cost, abs=1e-5), row.name
        assert sol.n_states == row.n_states


def test_fixed_cost_table_at_zero_is_the_published_test_bed():
    from idinn.instances import get_instance, load_exact_optima

    zero = [r for r in load_exact_optima("dual_fixed_cost") if r.name.endswith("_Kr0_Ke0")]
    assert len(zero) == 9
    for row in zero:
        assert row.optimal_cost == pytest.approx(get_instance(row.name[: -len("_Kr0_Ke0")]).optimal_cost, abs=1e-4)
    # a fixed cost never lowers the optimum
    table = {r.name: r.optimal_cost for r in load_exact_optima("dual_fixed_cost")}
    for name, cost in table.items():
        base = name.split("_Kr")[0] + "_Kr0_Ke0"
        assert cost >= table[base] - 1e-9


def test_three_supplier_optimum_checked_by_full_chain():
    from idinn.instances import load_exact_optima

    row = next(r for r in load_exact_optima("three_supplier") if r.name == "l012_b495")
    p = row.problem()
    sol = solve_multi_sourcing_average_cost(p)
    assert evaluate_policy(sol, p).average_cost == pytest.approx(row.optimal_cost, abs=1e-5)


def test_dual_lost_sales_optimum_checked_by_full_chain():
    from idinn.instances import load_exact_optima

    row = load_exact_optima("dual_lost_sales")[0]
    p = row.problem()
    assert p.params.excess_demand == "lost_sales"
    sol = solve_multi_sourcing_average_cost(p)
    assert evaluate_policy(sol, p).average_cost == pytest.approx(row.optimal_cost, abs=1e-5)


# ----------------------------------------------------------------- controllers
def test_dp_controller_dispatches_lost_sales_fixed_costs_and_review_periods(tmp_path):
    from idinn import load_controller
    from idinn.dual_controller import DynamicProgrammingController
    from idinn.exact import MultiSourcingSolution
    from idinn.instances import load_exact_optima

    row = load_exact_optima("dual_fixed_cost")[3]  # lr2_ce5_u04_Kr50_Ke50
    ctrl = DynamicProgrammingController().fit(row.problem())
    assert isinstance(ctrl.result_, MultiSourcingSolution) and ctrl.is_stationary
    assert ctrl.optimal_cost_ == pytest.approx(row.optimal_cost, abs=1e-5)
    assert evaluate_policy(ctrl, row.problem()).average_cost == pytest.approx(row.optimal_cost, abs=1e-5)
    path = tmp_path / "dp.idinn"
    ctrl.save(path)
    again = load_controller(path)
    s = torch.tensor([[0.0, 1.0, 0.0], [-3.0, 0.0, 2.0]])
    assert torch.equal(again.policy(s), ctrl.policy(s)) and again.optimal_cost_ == ctrl.optimal_cost_
    with pytest.raises(TypeError, match="min_position"):
        DynamicProgrammingController().fit(row.problem(), min_position=-5)

    lost = load_exact_optima("dual_lost_sales")[1]
    ctrl = DynamicProgrammingController().fit(lost.problem())
    assert ctrl.optimal_cost_ == pytest.approx(lost.optimal_cost, abs=1e-5)

    weekly = _problem((2, 0), (0, 20), review_periods=(3, 1))
    ctrl = DynamicProgrammingController().fit(weekly)
    assert not ctrl.is_stationary
    assert evaluate_policy(ctrl, weekly).average_cost == pytest.approx(ctrl.optimal_cost_, abs=1e-6)
    q1 = ctrl.predict(current_inventory=0, past_regular_orders=[0, 0], period=1)
    assert q1[0] == 0  # regular supplier reviewed in periods 0, 3, 6, ... only
    with pytest.raises(ValueError, match="period"):
        ctrl.policy(torch.zeros(1, 3))


def test_dp_controller_backlog_path_is_unchanged():
    from idinn.dual_controller import DynamicProgrammingController
    from idinn.exact import DualSourcingDPResult

    ctrl = DynamicProgrammingController().fit(_problem((2, 0), (0, 20)))
    assert isinstance(ctrl.result_, DualSourcingDPResult)
    assert ctrl.optimal_cost_ == pytest.approx(23.0714, abs=1e-4)


def test_multi_sourcing_dp_controller(tmp_path):
    from idinn import MultiSourcingModel, load_controller
    from idinn.multi_controller import MultiSourcingDPController

    model = MultiSourcingModel(lead_times=[0, 1, 2], order_costs=[20, 10, 0], holding_cost=5, shortage_cost=95,
                               demand_generator=UniformDemand(0, 4), batch_size=8,
                               order_capacities=[None, 3, 3])
    ctrl = MultiSourcingDPController()
    assert ctrl.fit(model) is ctrl
    assert ctrl.policy_table_[..., 1:].max() <= 3
    ev = evaluate_policy(ctrl, model)
    assert ev.average_cost == pytest.approx(ctrl.optimal_cost_, abs=1e-6)
    uncapped = solve_multi_sourcing_average_cost(_problem((0, 1, 2), (20, 10, 0), b=95))
    assert ctrl.optimal_cost_ >= uncapped.average_cost - 1e-9
    q = ctrl.predict(current_inventory=-2, past_orders=[[], [1], [0, 2]])
    assert isinstance(q, tuple) and len(q) == 3 and q[0] >= 1  # short: the fast supplier delivers now
    sim = ctrl.get_average_cost(model, sourcing_periods=200, seed=0)
    assert abs(float(sim) - ctrl.optimal_cost_) < 0.15 * ctrl.optimal_cost_
    path = tmp_path / "multi.idinn"
    ctrl.save(path)
    loaded = load_controller(path)
    assert type(loaded) is MultiSourcingDPController
    states = torch.tensor([[0.0, 1.0, 0.0, 2.0], [3.0, 0.0, 1.0, 1.0]])
    assert torch.equal(loaded.policy(states), ctrl.policy(states))
    ctrl.reset()
    with pytest.raises(Exception, match="not fitted"):
        ctrl.predict(current_inventory=0)


def test_multi_sourcing_dp_controller_review_periods_in_simulation():
    from idinn import MultiSourcingModel
    from idinn.multi_controller import MultiSourcingDPController

    model = MultiSourcingModel(lead_times=[2, 0], order_costs=[0, 20], holding_cost=5, shortage_cost=495,
                               demand_generator=UniformDemand(0, 4), batch_size=4, review_periods=[2, 1])
    ctrl = MultiSourcingDPController().fit(model)
    assert not ctrl.is_stationary
    # the simulator refuses off-review orders, so a finished simulation shows they were honoured
    cost = ctrl.get_average_cost(model, sourcing_periods=50, seed=1)
    assert np.isfinite(float(cost))
    assert evaluate_policy(ctrl, model).average_cost == pytest.approx(ctrl.optimal_cost_, abs=1e-6)


def test_lead_time_zero_newsvendor():
    # one supplier, lead time 0, U{0..4}, h = 5, b = 495: order up to 4, cost 5 * E[4 - D] = 10
    sol = solve_multi_sourcing_average_cost(_problem((0,), (0,)))
    assert sol.average_cost == pytest.approx(10.0, abs=1e-7)
    assert sol.orders(np.array([[1]])).tolist() == [[3]]


def test_five_suppliers_with_dominated_duplicates():
    # a dearer supplier with the same lead time is never used: K = 5 equals K = 3
    five = _problem((0, 0, 1, 1, 2), (20, 25, 10, 12, 0), b=95)
    sol = solve_multi_sourcing_average_cost(five)
    assert sol.average_cost == pytest.approx(22.824, abs=1e-6)
    assert sol.order_table[..., 1].max() == 0 and sol.order_table[..., 3].max() == 0
    # capping the cheap lead-time-0 supplier at 1 brings the dearer one in
    capped = _problem((0, 0, 1, 1, 2), (20, 25, 10, 12, 0), b=95, order_capacities=(1, None, None, None, None))
    sol_c = solve_multi_sourcing_average_cost(capped)
    assert sol_c.order_table[..., 0].max() == 1 and sol_c.order_table[..., 1].max() > 0
    assert sol_c.average_cost > sol.average_cost
    assert evaluate_policy(sol_c, capped).average_cost == pytest.approx(sol_c.average_cost, abs=1e-6)


def test_lost_sales_capacity_review_period_and_pipeline_match_brute_force():
    params = SourcingParams(lead_times=(1, 0), order_costs=(1, 4), holding_cost=1, shortage_cost=12,
                            excess_demand="lost_sales", order_capacities=(2, None), fixed_order_costs=(2, 0),
                            review_periods=(2, 1), review_offsets=(0, 0))
    p = SourcingProblem(params=params, demand=UniformDemand(0, 2), init_inventory=2, init_pipeline=(1,))
    sol = solve_multi_sourcing_average_cost(p, max_orders=(2, 5))
    ref, gap = _brute_force(p, (0, 10), 5, sweeps=3000)
    assert gap < 1e-8
    assert sol.average_cost == pytest.approx(ref, abs=1e-6)
    assert sol.order_table[..., 0].max() == 2  # the capacity binds
    free = solve_multi_sourcing_average_cost(p.replace(params=SourcingParams(
        lead_times=(1, 0), order_costs=(1, 4), holding_cost=1, shortage_cost=12, excess_demand="lost_sales",
        fixed_order_costs=(2, 0), review_periods=(2, 1))), max_orders=5)
    assert free.average_cost < sol.average_cost - 1e-6
    assert evaluate_policy(sol, p).average_cost == pytest.approx(sol.average_cost, abs=1e-6)


def test_bad_arguments_are_refused_before_any_work():
    p = _problem((2, 0), (0, 20), order_capacities=(3, None))
    owner = "solve_multi_sourcing_average_cost"
    with pytest.raises(ValueError, match=re.escape(f"The 'max_orders' parameter of {owner} must be at most the "
                                                   "order capacities [3, None]. Got [5, 5] instead.")):
        solve_multi_sourcing_average_cost(p, max_orders=5)
    with pytest.raises(ValueError, match=re.escape(f"The 'max_orders' parameter of {owner} must be an int or 2 ints")):
        solve_multi_sourcing_average_cost(p, max_orders=[1, 2, 3])
    with pytest.raises(ValueError, match=re.escape(f"The 'x_bounds' parameter of {owner} must be a range containing")):
        solve_multi_sourcing_average_cost(p, x_bounds=(1, 10))
    lost = _problem((1,), (0,), excess_demand="lost_sales")
    with pytest.raises(ValueError, match=re.escape("with low >= 0 (lost sales)")):
        solve_multi_sourcing_average_cost(lost, x_bounds=(-2, 10))
    with pytest.raises(ValueError, match=re.escape(f"The 'tolerance' parameter of {owner}")):
        solve_multi_sourcing_average_cost(p, tolerance=0)
    with pytest.raises(ValueError, match="finite support"):
        from idinn.demand import PoissonDemand

        solve_multi_sourcing_average_cost(SourcingProblem(params=p.params, demand=PoissonDemand(3)))
