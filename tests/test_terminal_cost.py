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


# ------------------------------------------------------------- the finite-horizon controllers
def test_base_stock_controller_levels_with_and_without_terminal_cost():
    # Lead time 0, c = 2.5, h = 1, b = 8, D ~ U{0..9}, T = 4, no discount. Crediting leftover
    # stock at its unit cost (v = c) and charging leftover backlog at it (p_T = c) makes the
    # myopic base-stock level optimal in every period (Veinott 1965, Mgmt. Sci. 12(3)):
    # the smallest y with F(y) >= b / (b + h) = 8/9, i.e. y = 8 (F(7) = 0.8 < 8/9 <= F(8) = 0.9).
    # Without the terminal terms the last period is a newsvendor with unit cost c and no
    # salvage: F(y) >= (b - c) / (b + h) = 0.61, i.e. y = 6 (F(5) = 0.6 < 0.61 <= F(6) = 0.7).
    from idinn.single_controller import FiniteHorizonBaseStockController
    from idinn.sourcing_model import SingleSourcingModel

    m = SingleSourcingModel(lead_time=0, holding_cost=1, shortage_cost=8, order_cost=2.5, init_inventory=0,
                            demand_generator=UniformDemand(0, 9))
    with_terminal = FiniteHorizonBaseStockController().fit(m, horizon=4, salvage_value=2.5, terminal_backlog_cost=2.5)
    assert with_terminal.base_stock_levels_.tolist() == [8.0, 8.0, 8.0, 8.0]
    plain = FiniteHorizonBaseStockController().fit(m, horizon=4)
    assert plain.base_stock_levels_[-1] == 6.0
    # the optimum with the terminal terms equals the exact evaluation of the controller with them
    ev = evaluate_policy_finite_horizon(with_terminal, m, horizon=4, salvage_value=2.5, terminal_backlog_cost=2.5)
    assert ev.total_cost == pytest.approx(with_terminal.optimal_cost_, abs=1e-9)
    # by hand: order 8 in period 0, then the demand in periods 1..3; L(8) in each of the 4
    # periods; the terminal term is -c (8 - D_3) whatever its sign (v = p_T = c)
    d = np.arange(10)
    L8 = np.mean(1 * np.maximum(8 - d, 0) + 8 * np.maximum(d - 8, 0))
    c = 2.5
    assert with_terminal.optimal_cost_ == pytest.approx(c * 8 + 4 * L8 + 3 * c * 4.5 - c * (8 - 4.5), abs=1e-9)


def test_dual_controller_takes_the_terminal_cost():
    from idinn.dual_controller import FiniteHorizonDPController
    from idinn.sourcing_model import DualSourcingModel

    m = DualSourcingModel(regular_lead_time=1, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=3,
                          holding_cost=1, shortage_cost=9, init_inventory=1, demand_generator=UniformDemand(0, 2))
    kw = dict(salvage_value=0.5, terminal_backlog_cost=30)
    c = FiniteHorizonDPController().fit(m, horizon=3, **kw)
    assert c.optimal_cost_ == pytest.approx(solve_finite_horizon(m, horizon=3, **kw).optimal_cost, abs=1e-12)
    assert evaluate_policy_finite_horizon(c, m, horizon=3, **kw).total_cost == pytest.approx(c.optimal_cost_, abs=1e-9)
    plain = FiniteHorizonDPController().fit(m, horizon=3)
    assert c.optimal_cost_ != pytest.approx(plain.optimal_cost_)
    with pytest.raises(ValueError, match="The 'terminal_backlog_cost' parameter"):
        FiniteHorizonDPController().fit(m, horizon=3, terminal_backlog_cost=-1)
