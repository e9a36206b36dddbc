"""Portfolio rows of the general exact engine: multi rows, dual rows with lost sales / fixed
costs / capacities / review periods, single rows with review periods or mixed terms.

Costs are checked against the optima shipped in src/idinn/data (computed by the general
engine and re-checked by exact policy evaluation there), against the controllers' own exact
costs, and the KPIs against the exact chain's cost (period_cost, computed independently).
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import pytest

from idinn.portfolio import solve_portfolio

U04 = {"demand_type": "uniform", "demand_low": 0, "demand_high": 4}


def _solve(rows, **kw):
    kw.setdefault("progress_bar", False)
    return solve_portfolio(pd.DataFrame(rows), **kw).set_index("sku")


def _optima(name):
    with resources.as_file(resources.files("idinn") / "data" / name) as path:
        return pd.read_csv(path).set_index("name")


def _check_components(res):
    ok = res[res.status == "ok"]
    total = ok.cost_ordering + ok.cost_holding + ok.cost_shortage
    np.testing.assert_allclose(total, ok.cost_total, rtol=1e-9, atol=1e-9)


def test_three_supplier_rows_equal_the_shipped_optima_and_multi_index_is_evaluated_exactly():
    opt = _optima("three_supplier_optima.csv")
    rows = []
    for name in ("l012_b95", "l012_b495", "l024_b495"):
        lead = [int(v) for v in opt.loc[name, "lead_times"].split(";")]
        cost = [float(v) for v in opt.loc[name, "order_costs"].split(";")]
        row = {"sku": name, "model": "multi", "holding_cost": 5, "shortage_cost": float(opt.loc[name, "shortage_cost"])}
        row.update({f"lead_time_{k + 1}": lead[k] for k in range(3)})
        row.update({f"order_cost_{k + 1}": cost[k] for k in range(3)})
        rows.append(row | U04)
    rows.append(dict(rows[0], sku="mi", method="multi_index"))
    res = _solve(rows)
    assert (res.status == "ok").all(), res.message.tolist()
    for name in ("l012_b95", "l012_b495", "l024_b495"):
        assert res.loc[name, "policy"] == "dp"
        assert res.loc[name, "cost_total"] == pytest.approx(opt.loc[name, "optimal_cost"], abs=2e-6)
        assert res.loc[name, "optimality_gap"] < 1e-9
    # the multi-index row: the fitted controller's exact cost, and its gap to the shipped optimum
    from idinn.demand import UniformDemand
    from idinn.dynamics import SourcingParams
    from idinn.exact import evaluate_policy
    from idinn.multi_controller import MultiIndexController
    from idinn.problem import SourcingProblem
    from idinn.portfolio._solve import row_seed

    problem = SourcingProblem(params=SourcingParams(lead_times=(0, 1, 2), order_costs=(20, 10, 0), holding_cost=5,
                                                    shortage_cost=95), demand=UniformDemand(0, 4))
    ctrl = MultiIndexController().fit(problem, seed=row_seed(0, "mi"))
    exact = evaluate_policy(ctrl, problem).average_cost
    assert res.loc["mi", "policy"] == "multi_index"
    assert res.loc["mi", "cost_total"] == pytest.approx(exact, rel=1e-9)
    assert res.loc["mi", "optimal_cost"] == pytest.approx(opt.loc["l012_b95", "optimal_cost"], abs=2e-6)
    assert res.loc["mi", "optimality_gap"] == pytest.approx(exact / res.loc["mi", "optimal_cost"] - 1, rel=1e-6)
    assert res.loc["mi", "optimality_gap"] > 0
    _check_components(res)


def test_dual_lost_sales_and_fixed_cost_rows_equal_the_shipped_optima():
    lost = _optima("dual_lost_sales_optima.csv")
    fixed = _optima("dual_fixed_cost_optima.csv")
    base = {"regular_lead_time": 2, "expedited_lead_time": 0, "regular_order_cost": 0, "holding_cost": 5,
            "shortage_cost": 495} | U04
    rows = [dict(base, sku=f"ls{ce}", excess_demand="lost_sales", expedited_order_cost=ce) for ce in (5, 10, 20)]
    rows.append(dict(base, sku="K10_0", expedited_order_cost=5, regular_fixed_order_cost=10))
    rows.append(dict(base, sku="K50_50", expedited_order_cost=5, regular_fixed_order_cost=50,
                     expedited_fixed_order_cost=50))
    res = _solve(rows)
    assert (res.status == "ok").all(), res.message.tolist()
    assert (res.policy == "dp").all()
    for ce in (5, 10, 20):
        want = lost.loc[f"lr2_ce{ce}_u04_lost_sales", "optimal_cost"]
        assert res.loc[f"ls{ce}", "cost_total"] == pytest.approx(want, abs=2e-6)
        # lost sales: every unit of demand is met or lost
        assert res.loc[f"ls{ce}", "fill_rate"] * 2.0 + res.loc[f"ls{ce}", "average_lost_sales"] == pytest.approx(2.0)
        assert res.loc[f"ls{ce}", "average_backlog"] == 0.0
    assert res.loc["K10_0", "cost_total"] == pytest.approx(fixed.loc["lr2_ce5_u04_Kr10_Ke0", "optimal_cost"], abs=2e-6)
    assert res.loc["K50_50", "cost_total"] == pytest.approx(fixed.loc["lr2_ce5_u04_Kr50_Ke50", "optimal_cost"],
                                                            abs=2e-6)
    _check_components(res)


def test_single_review_period_row_is_the_exact_rs_optimum_and_mixed_terms_get_the_dp():
    from idinn.demand import UniformDemand
    from idinn.exact import solve_multi_sourcing_average_cost
    from idinn.problem import SourcingProblem
    from idinn.single_controller import BaseStockController

    row = {"sku": "rs", "lead_time": 1, "review_period": 3, "review_offset": 1, "holding_cost": 1,
           "shortage_cost": 9} | U04
    rows = [row, dict(row, sku="rs-dp", method="dp"),
            {"sku": "ls-K", "lead_time": 1, "excess_demand": "lost_sales", "fixed_order_cost": 10, "holding_cost": 1,
             "shortage_cost": 9} | U04]
    res = _solve(rows)
    assert (res.status == "ok").all(), res.message.tolist()
    problem = SourcingProblem.single(lead_time=1, holding_cost=1, shortage_cost=9, demand=UniformDemand(0, 4),
                                     review_period=3, review_offset=1)
    ctrl = BaseStockController().fit(problem)
    assert res.loc["rs", "policy"] == "base_stock" and res.loc["rs", "S"] == ctrl.z_star
    assert res.loc["rs", "cost_total"] == pytest.approx(ctrl.expected_cost_, rel=1e-9)
    # (R, S) is optimal: the general DP finds the same cost
    assert res.loc["rs-dp", "policy"] == "dp"
    assert res.loc["rs-dp", "cost_total"] == pytest.approx(res.loc["rs", "cost_total"], rel=1e-9)
    ls = SourcingProblem.single(lead_time=1, holding_cost=1, shortage_cost=9, demand=UniformDemand(0, 4),
                                fixed_order_cost=10, excess_demand="lost_sales")
    assert res.loc["ls-K", "policy"] == "dp"
    assert res.loc["ls-K", "cost_total"] == pytest.approx(solve_multi_sourcing_average_cost(ls).average_cost, abs=1e-6)
    assert res.loc["ls-K", "cost_ordering"] > 0 and res.loc["ls-K", "average_lost_sales"] > 0
    _check_components(res)


def test_dual_review_period_row_gets_the_heuristics_and_new_rows_are_checked():
    base = {"regular_lead_time": 2, "expedited_lead_time": 0, "expedited_order_cost": 10, "holding_cost": 5,
            "shortage_cost": 95} | U04
    multi = {"lead_time_1": 0, "lead_time_2": 1, "lead_time_3": 2, "order_cost_1": 20,
             "order_cost_2": 10, "holding_cost": 5, "shortage_cost": 95} | U04
    rows = [
        dict(base, sku="rev-dp", regular_review_period=2),
        dict(base, sku="rev-di", regular_review_period=2, method="dual_index"),
        dict(base, sku="bad-offset", regular_review_period=2, regular_review_offset=2),
        dict(base, sku="bare-K", fixed_order_cost=5),
        dict(base, sku="ls-di", excess_demand="lost_sales", method="dual_index"),
        dict(multi, sku="multi-neural", method="neural"),
        dict(multi, sku="multi-target", review_period_2=2, shortage_cost=None, target_fill_rate=0.9),
        dict(multi, sku="too-big", method="dp", lead_time_3=9, lead_time_4=12, order_cost_4=0),
        dict(multi, sku="gap", order_cost_5=1.0),
        dict(multi, sku="bare", review_period=2),
    ]
    res = _solve(rows)
    msg = res.message
    assert res.loc["rev-dp", "policy"] == "dp" and res.loc["rev-di", "policy"] == "dual_index"
    # the heuristic is evaluated exactly on the (state, phase) chain; the DP is the optimum
    assert res.loc["rev-di", "cost_total"] >= res.loc["rev-dp", "cost_total"] - 1e-9
    assert res.loc["rev-di", "optimal_cost"] == pytest.approx(res.loc["rev-dp", "cost_total"], rel=1e-9)
    assert res.loc["bad-offset", "status"] == "error" and msg["bad-offset"] == (
        "The 'regular_review_offset' column of the portfolio row 2 (sku 'bad-offset') must be an integer in "
        "[0, regular_review_period) = [0, 2). Got 2 instead.")
    assert res.loc["bare-K", "status"] == "error" and "regular_fixed_order_cost" in msg["bare-K"]
    # the dual heuristics accept lost sales (ranked by exact cost): judged against the exact optimum of the row
    assert res.loc["ls-di", "status"] == "ok" and res.loc["ls-di", "policy"] == "dual_index"
    assert res.loc["ls-di", "cost_total"] >= res.loc["ls-di", "optimal_cost"] - 1e-9
    assert res.loc["multi-neural", "status"] == "not_supported"
    assert res.loc["multi-target", "status"] == "not_supported" and "review period" in msg["multi-target"]
    assert res.loc["too-big", "status"] == "not_supported" and "aggregated states" in msg["too-big"]
    assert res.loc["gap", "status"] == "error" and msg["gap"] == (
        "The 'order_cost_5' column of the portfolio row 8 (sku 'gap') must be empty: the row has 3 suppliers "
        "(lead_time_1..lead_time_3). Got 1.0 instead.")
    assert res.loc["bare", "status"] == "error" and "review_period_1..review_period_3" in msg["bare"]
    _check_components(res)
