"""Terminal cost in finite horizons: salvage value v and end-of-horizon backlog cost p_T (issue 10, item 7)."""

from __future__ import annotations

import numpy as np
import pytest

from idinn.demand import CustomDemand, UniformDemand
from idinn.exact import evaluate_policy_finite_horizon, solve_finite_horizon
from idinn.problem import SourcingProblem


def _policy(solution, lead_time, horizon):
    """The solution's orders; no order in the last l periods (they arrive after the horizon)."""

    def orders(states, t):
        s = states.numpy().astype(np.int64)
        if t >= horizon - lead_time:
            return np.zeros((len(s), 1), dtype=np.int64)
        return solution.orders(s, t)

    return orders


def test_newsvendor_with_salvage_value_critical_fractile():
    # One period, lead time 0, no holding or backlog cost during the period: the textbook
    # newsvendor with unit cost c = 2, shortage penalty p = 10 and salvage value v = 1
    # orders up to the smallest y with F(y) >= (p - c) / (p - v) = 8/9 (Porteus 2002,
    # Snyder & Shen 2019 sec. 4.3); for D uniform on 0..9, F(7) = 0.8 < 8/9 <= F(8) = 0.9.
    p = SourcingProblem.single(lead_time=0, holding_cost=0, shortage_cost=0, order_cost=2, demand=UniformDemand(0, 9))
    sol = solve_finite_horizon(p, horizon=1, salvage_value=1, terminal_backlog_cost=10)
    assert sol.orders(np.array([[0]]), 0).tolist() == [[8]]
    # cost by hand: c*8 - v*E[(8 - D)^+] + p*E[(D - 8)^+] = 16 - 3.6 + 1.0
    assert sol.optimal_cost == pytest.approx(13.4, abs=1e-12)
    ev = evaluate_policy_finite_horizon(_policy(sol, 0, 1), p, horizon=1, salvage_value=1, terminal_backlog_cost=10)
    assert ev.total_cost == pytest.approx(13.4, abs=1e-12) and ev.terminal_cost == pytest.approx(-3.6 + 1.0)
    # without the terminal terms nothing is worth ordering (h = b = 0)
    assert solve_finite_horizon(p, horizon=1).orders(np.array([[0]]), 0).tolist() == [[0]]


@pytest.mark.parametrize("lead_time, horizon", [(0, 1), (0, 4), (1, 1), (1, 4), (2, 2)])
def test_dp_optimum_equals_exact_evaluation_of_its_policy(lead_time, horizon):
    p = SourcingProblem.single(lead_time=lead_time, holding_cost=1, shortage_cost=9, order_cost=2,
                               demand=CustomDemand({0: 0.3, 2: 0.5, 5: 0.2}), init_inventory=2)
    kw = dict(salvage_value=1.5, terminal_backlog_cost=20, discount=0.9)
    sol = solve_finite_horizon(p, horizon=horizon, **kw)
    ev = evaluate_policy_finite_horizon(_policy(sol, lead_time, horizon), p, horizon=horizon, **kw)
    assert ev.total_cost == pytest.approx(sol.optimal_cost, abs=1e-9)
    # the terminal terms change the optimum (higher last order-up-to level than without)
    plain = solve_finite_horizon(p, horizon=horizon, discount=0.9)
    assert sol.optimal_cost != pytest.approx(plain.optimal_cost)


def test_terminal_cost_fixed_by_the_initial_state_when_no_order_arrives_in_time():
    # lead time 2, horizon 1: I_1 = I_0 + pipeline[0] - D_0; E[(I_1)^-] with I_0 = 1, pipe (0, 0), D in {0, 2, 5}
    p = SourcingProblem.single(lead_time=2, holding_cost=0, shortage_cost=0, order_cost=1,
                               demand=CustomDemand({0: 0.3, 2: 0.5, 5: 0.2}), init_inventory=1)
    sol = solve_finite_horizon(p, horizon=1, salvage_value=0.5, terminal_backlog_cost=4)
    # -0.5 * (0.3 * 1) + 4 * (0.5 * 1 + 0.2 * 4)
    assert sol.optimal_cost == pytest.approx(-0.15 + 5.2, abs=1e-12)
    ev = evaluate_policy_finite_horizon(lambda s: s[:, :1] * 0, p, horizon=1, salvage_value=0.5, terminal_backlog_cost=4)
    assert ev.total_cost == pytest.approx(-0.15 + 5.2, abs=1e-12)


def test_zero_terminal_cost_changes_nothing_and_bad_input_is_refused():
    p = SourcingProblem.single(lead_time=1, holding_cost=1, shortage_cost=9, order_cost=2, demand=UniformDemand(0, 4))
    a = solve_finite_horizon(p, horizon=3)
    b = solve_finite_horizon(p, horizon=3, salvage_value=0, terminal_backlog_cost=0)
    assert a.optimal_cost == b.optimal_cost
    with pytest.raises(ValueError, match=r"The 'salvage_value' parameter of solve_finite_horizon must be <= "
                       r"holding_cost \+ the smallest unit order cost \(3\); above it ordering only to salvage the "
                       r"stock would pay without bound\. Got 3\.5 instead\."):
        solve_finite_horizon(p, horizon=3, salvage_value=3.5)
    with pytest.raises(ValueError, match=r"The 'terminal_backlog_cost' parameter of evaluate_policy_finite_horizon "
                       r"must be a finite real number >= 0\. Got -1 instead\."):
        evaluate_policy_finite_horizon(lambda s: s[:, :1] * 0, p, horizon=2, terminal_backlog_cost=-1)
    with pytest.raises(ValueError, match=r"'salvage_value' parameter of solve_finite_horizon must be a finite real"):
        solve_finite_horizon(p, horizon=3, salvage_value=float("nan"))
