"""Dual-sourcing heuristics under lost sales: fitted by exact evaluation of every candidate."""

from __future__ import annotations

import numpy as np
import pytest

from idinn.demand import UniformDemand
from idinn.dual_controller import (
    CappedDualIndexController,
    DualIndexController,
    SingleIndexController,
    TailoredBaseSurgeController,
)
from idinn.dual_controller._search import simulate_candidates
from idinn.dual_controller.dual_index import dual_index_orders
from idinn.exact import evaluate_policy
from idinn.problem import SourcingProblem

SMALL = SourcingProblem.dual(regular_lead_time=1, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=3,
                             holding_cost=1, shortage_cost=20, demand=UniformDemand(0, 2), excess_demand="lost_sales")


@pytest.mark.parametrize("cls", [DualIndexController, CappedDualIndexController, SingleIndexController,
                                 TailoredBaseSurgeController])
def test_fit_ranks_every_candidate_exactly_under_lost_sales(cls):
    c = cls().fit(SMALL, sourcing_periods=50, n_paths=4, seed=0)
    result = c.search_result_
    assert c.best_cost_is_exact_ and len(result.exact_costs) == len(result.candidates)
    assert c.best_cost_ == pytest.approx(min(result.exact_costs.values()), abs=1e-12)
    assert c.best_cost_ == pytest.approx(evaluate_policy(c, SMALL).average_cost, abs=1e-9)


def test_lost_sales_cost_differs_from_backlog_when_stock_runs_out():
    # s_e = 0, s_r = 1: stock-outs happen, so lost sales and backlog differ; both exact
    backlog = SourcingProblem.dual(regular_lead_time=1, expedited_lead_time=0, regular_order_cost=0,
                                   expedited_order_cost=3, holding_cost=1, shortage_cost=20,
                                   demand=UniformDemand(0, 2))
    lost = DualIndexController(s_e=0, s_r=1).fit(SMALL, search=False, sourcing_periods=50, n_paths=4, seed=0)
    back = DualIndexController(s_e=0, s_r=1).fit(backlog, search=False, sourcing_periods=50, n_paths=4, seed=0)
    assert lost.best_cost_is_exact_ and back.best_cost_is_exact_
    assert abs(lost.best_cost_ - back.best_cost_) > 0.1


def test_simulated_candidates_charge_the_lost_sales_penalty():
    # no orders at all from I_0 = 0: every unit demanded is lost at p = 20 (E[D] = 1 per period)
    demand = np.array([[1.0, 2.0, 0.0, 1.0]])
    cost = simulate_candidates(dual_index_orders, np.array([[0, 0]]), SMALL.params, demand, 0.0, 0)
    assert cost[0] == pytest.approx(20 * (1 + 2 + 0 + 1) / 4)
