"""idinn.portfolio: exact values, executors, resuming, bad rows, service-level targets."""

from __future__ import annotations

import concurrent.futures as cf
import json

import numpy as np
import pandas as pd
import pytest

from idinn.demand import CustomDemand, TruncatedPoissonDemand, UniformDemand
from idinn.exact import evaluate_policy
from idinn.portfolio import RESULT_COLUMNS, parts_directory, sample_portfolio, solve_portfolio
from idinn.portfolio import _run
from idinn.portfolio._neural import state_kpis
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


def _solve(frame, history=None, **kw):
    kw.setdefault("progress_bar", False)
    return solve_portfolio(frame, history, **kw)


def _single_row(sku, lead, h, b, **demand):
    row = {"sku": sku, "model": "single", "lead_time": lead, "holding_cost": h, "shortage_cost": b}
    row.update(demand)
    return row


def _orders_state_kpis(model, policy, ev):
    """Fill rate and CSL from the enumerated states of evaluate_policy (the neural rows' path)."""
    import torch

    values, probs = model.demand_generator.pmf()
    states = np.array(ev.states)
    q = np.asarray(policy(torch.as_tensor(states, dtype=torch.float32)), dtype=np.float64).reshape(len(states), -1)
    return state_kpis(states, np.array(ev.probabilities), q, model.params.lead_times, values, probs)


# ------------------------------------------------------------------------ single sourcing
@pytest.mark.parametrize(
    "lead, h, b, demand, columns",
    [
        (0, 5.0, 495.0, UniformDemand(0, 4), {"demand_type": "uniform", "demand_low": 0, "demand_high": 4}),
        (2, 1.0, 19.0, TruncatedPoissonDemand(2.5), {"demand_type": "poisson", "demand_rate": 2.5}),
        (3, 2.0, 3.0, CustomDemand({0: 0.2, 1: 0.5, 5: 0.3}),
         {"demand_type": "custom", "demand_values": "0;1;5", "demand_probabilities": "0.2;0.5;0.3"}),
    ],
)
def test_base_stock_rows_match_controller_and_exact_evaluation(lead, h, b, demand, columns):
    from idinn.single_controller import BaseStockController

    frame = pd.DataFrame([_single_row("x", lead, h, b, order_cost=1.5, **columns)])
    res = _solve(frame).iloc[0]
    assert res.status == "ok", res.message
    model = SingleSourcingModel(lead_time=lead, holding_cost=h, shortage_cost=b, init_inventory=0,
                                demand_generator=demand)
    ctrl = BaseStockController().fit(model)
    assert res.S == ctrl.z_star
    # the controller's exact fit: holding + shortage (+ c E[D], c = 0 in its model)
    assert res.cost_holding + res.cost_shortage == pytest.approx(ctrl.expected_cost_, rel=1e-12)
    ev = evaluate_policy(ctrl, model)
    assert res.cost_holding + res.cost_shortage == pytest.approx(ev.average_cost, rel=1e-9, abs=1e-9)
    assert res.average_on_hand == pytest.approx(ev.expected_inventory, abs=1e-9)
    assert res.average_backlog == pytest.approx(ev.expected_backlog, abs=1e-9)
    assert res.cost_ordering == pytest.approx(1.5 * demand.mean(), rel=1e-12)
    fill, csl = _orders_state_kpis(model, ctrl.policy, ev)
    assert res.fill_rate == pytest.approx(fill, abs=1e-9)
    assert res.cycle_service_level == pytest.approx(csl, abs=1e-9)
    assert res.optimality_gap == 0.0


def test_base_stock_brute_force_level_and_hand_computed_kpis():
    # D in {0, 2} with probability 1/2 each, lead time 0, h = 1, b = 3: critical ratio 3/4
    # -> S = 2 (P(D <= 0) = 1/2 < 3/4 <= P(D <= 2)); on hand E[(2-D)^+] = 1, no backlog.
    row = _single_row("a", 0, 1.0, 3.0, demand_type="custom", demand_values="0;2", demand_probabilities="0.5;0.5")
    res = _solve(pd.DataFrame([row])).iloc[0]
    costs = {s: 1.0 * 0.5 * max(s - 0, 0) + 1.0 * 0.5 * max(s - 2, 0) + 3.0 * 0.5 * max(2 - s, 0) for s in range(6)}
    assert res.S == min(costs, key=costs.get) == 2
    assert (res.cost_total, res.fill_rate, res.cycle_service_level, res.average_on_hand) == (1.0, 1.0, 1.0, 1.0)


def test_service_level_targets_give_the_cheapest_level_meeting_them():
    # D in {0, 2}, lead time 0: fill(S) = E[min(S, D)] / E[D] = min(S, 2) / 2 and
    # CSL(S) = P(D <= S): fill target 0.75 needs S = 2; CSL target 0.5 is met by S = 0.
    common = {"demand_type": "custom", "demand_values": "0;2", "demand_probabilities": "0.5;0.5"}
    rows = [
        {**_single_row("fill", 0, 1.0, None, **common), "target_fill_rate": 0.75},
        {**_single_row("csl", 0, 1.0, None, **common), "target_cycle_service_level": 0.5},
        {**_single_row("fill-half", 0, 1.0, None, **common), "target_fill_rate": 0.5},
    ]
    res = _solve(pd.DataFrame(rows)).set_index("sku")
    assert res.loc["fill", "S"] == 2 and res.loc["fill", "fill_rate"] == 1.0
    assert res.loc["csl", "S"] == 0 and res.loc["csl", "cycle_service_level"] == 0.5
    assert res.loc["fill-half", "S"] == 1 and res.loc["fill-half", "fill_rate"] == 0.5
    assert res.loc["fill-half", "cost_holding"] == 0.5  # E[(1 - D)^+] = 1/2
    assert np.isnan(res.loc["fill", "optimality_gap"])  # no known optimum of the constrained problem


# -------------------------------------------------------------------------- dual sourcing
DUAL = {"sku": "d", "model": "dual", "regular_lead_time": 2, "expedited_lead_time": 0, "regular_order_cost": 0,
        "expedited_order_cost": 20, "holding_cost": 5, "shortage_cost": 495, "demand_type": "uniform",
        "demand_low": 0, "demand_high": 4}


def test_dp_row_matches_dynamic_programming_controller():
    from idinn.dual_controller import DynamicProgrammingController

    res = _solve(pd.DataFrame([dict(DUAL, method="dp")])).iloc[0]
    model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0,
                              expedited_order_cost=20, holding_cost=5, shortage_cost=495, init_inventory=0,
                              demand_generator=UniformDemand(0, 4))
    ctrl = DynamicProgrammingController().fit(model)
    assert res.status == "ok" and res.policy == "dp"
    assert res.cost_total == pytest.approx(ctrl.optimal_cost_, abs=1e-6)
    assert res.cost_total == pytest.approx(23.0714, abs=1e-4)
    ev = evaluate_policy(ctrl, model)
    assert res.average_on_hand == pytest.approx(ev.expected_inventory, abs=1e-7)
    assert res.cost_ordering == pytest.approx(20 * ev.mean_orders[1], abs=1e-7)
    fill, csl = _orders_state_kpis(model, ctrl.policy, ev)
    assert res.fill_rate == pytest.approx(fill, abs=1e-7)
    assert res.cycle_service_level == pytest.approx(csl, abs=1e-7)
    assert res.optimality_gap == 0.0


@pytest.mark.parametrize("family", ["capped_dual_index", "dual_index", "tailored_base_surge", "single_index"])
def test_heuristic_rows_are_exactly_evaluated(family):
    from idinn.dual_controller.capped_dual_index import capped_dual_index_orders
    from idinn.dual_controller.dual_index import dual_index_orders
    from idinn.dual_controller.single_index import single_index_orders
    from idinn.dual_controller.tailored_base_surge import tailored_base_surge_orders

    rule, names = {
        "capped_dual_index": (capped_dual_index_orders, ("s_e", "s_r", "q_r")),
        "dual_index": (dual_index_orders, ("s_e", "s_r")),
        "tailored_base_surge": (tailored_base_surge_orders, ("q_r", "s_e")),
        "single_index": (single_index_orders, ("s_e", "s_r")),
    }[family]
    row = dict(DUAL, method=family, regular_lead_time=3, expedited_lead_time=1)
    res = _solve(pd.DataFrame([row])).iloc[0]
    assert res.status == "ok", res.message
    params = json.loads(res.policy_parameters)
    model = DualSourcingModel(regular_lead_time=3, expedited_lead_time=1, regular_order_cost=0,
                              expedited_order_cost=20, holding_cost=5, shortage_cost=495, init_inventory=0,
                              demand_generator=UniformDemand(0, 4))
    theta = [params[n] for n in names]
    ev = evaluate_policy(lambda s: rule(s.numpy(), model.params, *theta), model)
    assert res.cost_total == pytest.approx(ev.average_cost, rel=1e-9)
    assert res.average_backlog == pytest.approx(ev.expected_backlog, abs=1e-9)
    assert res.optimality_gap >= 0 and res.optimal_cost == pytest.approx(32.824, abs=1e-3)


def test_capped_dual_index_matches_the_published_example():
    # CappedDualIndexController's documented fit on this instance: (4, 9, 3), cost 23.2456
    res = _solve(pd.DataFrame([dict(DUAL, method="capped_dual_index")])).iloc[0]
    assert (res.s_e, res.s_r, res.q_r) == (4, 9, 3)
    assert res.cost_total == pytest.approx(23.2456, abs=1e-4)
    assert res.optimality_gap == pytest.approx(23.245562 / 23.071429 - 1, abs=1e-5)


def test_dual_fill_rate_target_is_met_by_the_cheapest_member():
    row = dict(DUAL, shortage_cost=None, target_fill_rate=0.99, method="capped_dual_index")
    res = _solve(pd.DataFrame([row])).iloc[0]
    assert res.status == "ok" and res.fill_rate >= 0.99
    assert res.cost_shortage == 0.0
    # one unit less of expedited level misses the target (exact evaluation of that policy)
    from idinn.dual_controller.capped_dual_index import capped_dual_index_orders

    model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0,
                              expedited_order_cost=20, holding_cost=5, shortage_cost=0, init_inventory=0,
                              demand_generator=UniformDemand(0, 4))
    def policy(s_e):
        return lambda s: capped_dual_index_orders(s.numpy(), model.params, s_e, int(res.s_r), int(res.q_r))

    ev = evaluate_policy(policy(int(res.s_e)), model)
    assert res.cost_total == pytest.approx(ev.average_cost, rel=1e-9)
    fill, _ = _orders_state_kpis(model, policy(int(res.s_e)), ev)
    assert res.fill_rate == pytest.approx(fill, abs=1e-9)
    lower = policy(int(res.s_e) - 1)
    assert _orders_state_kpis(model, lower, evaluate_policy(lower, model))[0] < 0.99


# ------------------------------------------------------------------------------ bad rows
def test_bad_rows_get_their_reason_and_good_rows_are_solved():
    good = _single_row("good", 1, 1.0, 9.0, demand_type="poisson", demand_rate=2.0)
    rows = [
        good,
        _single_row("neg-cost", 1, -1.0, 9.0, demand_type="poisson", demand_rate=2.0),
        dict(good, sku="bad-method", method="magic"),
        _single_row("no-history", 1, 1.0, 9.0, demand_type="empirical"),
        _single_row("frac-lead", 1.5, 1.0, 9.0, demand_type="poisson", demand_rate=2.0),
        dict(good, sku="lost", excess_demand="lost_sales"),
        dict(DUAL, sku="dual-ok"),
        dict(good, sku="multi", model="multi", lead_time_1=0, lead_time_2=2),
    ]
    res = _solve(pd.DataFrame(rows)).set_index("sku")
    assert list(res.index) == [r["sku"] for r in rows]
    assert res.loc["good", "status"] == "ok" and res.loc["dual-ok", "status"] == "ok"
    msg = res["message"]
    assert res.loc["neg-cost", "status"] == "error"
    assert msg["neg-cost"] == ("The 'holding_cost' column of the portfolio row 1 (sku 'neg-cost') must be a "
                               "finite real number >= 0. Got -1.0 instead.")
    assert "'method' column" in msg["bad-method"] and "'magic'" in msg["bad-method"]
    assert "missing demand history" in msg["no-history"]
    assert msg["frac-lead"] == ("The 'lead_time' column of the portfolio row 4 (sku 'frac-lead') must be an "
                                "integer >= 0. Got 1.5 instead.")
    assert res.loc["lost", "status"] == "ok" and res.loc["lost", "policy"] == "dp"  # the exact lost-sales DP
    assert res.loc["multi", "status"] == "error" and msg["multi"] == (  # two suppliers: a dual row
        "The 'lead_time_3' column of the portfolio row 7 (sku 'multi') must be given: a multi row has 3 to 5 "
        "suppliers in columns lead_time_1..lead_time_K (two suppliers: model 'dual'). Got None instead.")
    # the good rows are the same as when solved alone
    alone = _solve(pd.DataFrame([good])).iloc[0]
    assert res.loc["good", "cost_total"] == alone.cost_total


def test_demand_history_gives_empirical_demand_and_refuses_gaps():
    hist = pd.DataFrame({"sku": ["e"] * 4 + ["g"] * 3, "period": [1, 2, 3, 4, 1, 2, 4], "quantity": [0, 2, 2, 4, 1, 1, 1]})
    rows = [_single_row("e", 0, 1.0, 1.0), _single_row("g", 0, 1.0, 1.0)]
    res = _solve(pd.DataFrame(rows), hist).set_index("sku")
    # empirical D: 0 (1/4), 2 (1/2), 4 (1/4); ratio 1/2 -> S = 2, cost E|2 - D| = 1
    assert res.loc["e", "S"] == 2 and res.loc["e", "cost_total"] == 1.0
    assert res.loc["g", "status"] == "error" and "missing period" in res.loc["g", "message"]
    filled = _solve(pd.DataFrame(rows), hist, fill_missing=True).set_index("sku")
    assert filled.loc["g", "status"] == "ok"  # D: 0 (1/4), 1 (3/4)
    assert filled.loc["g", "S"] == 1


def test_bad_arguments_raise_before_any_work(tmp_path):
    frame = pd.DataFrame([DUAL])
    with pytest.raises(ValueError, match="'method' parameter of solve_portfolio"):
        solve_portfolio(frame, method="magic")
    with pytest.raises(ValueError, match="'executor' parameter"):
        solve_portfolio(frame, executor="gpu")
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        solve_portfolio(frame, output=tmp_path / "out.xlsx")
    with pytest.raises(FileNotFoundError):
        solve_portfolio(tmp_path / "nope.csv")


# ---------------------------------------------------------------------------- executors
@pytest.fixture(scope="module")
def sample_frames():
    skus, history = sample_portfolio()
    return pd.read_csv(skus, dtype={"sku": str}), pd.read_csv(history)


def test_serial_processes_dask_and_any_executor_give_identical_tables(sample_frames):
    from distributed import Client, LocalCluster

    skus, hist = sample_frames
    cols = [c for c in RESULT_COLUMNS if c != "fit_time_s"]
    serial = _solve(skus, hist, seed=3)
    assert list(serial.columns) == RESULT_COLUMNS
    assert (serial.status == "ok").sum() == len(serial) - 1  # the 'multi' row M-501 is too large for the DP
    assert serial.status[serial.sku == "M-501"].item() == "not_supported"
    assert serial.cost_total[serial.sku == "M-500"].item() == pytest.approx(22.824, abs=1e-6)  # shipped optimum
    procs = _solve(skus, hist, seed=3, executor="processes", n_workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        with Client(cluster) as client:
            dask = _solve(skus, hist, seed=3, executor=client)
    with cf.ThreadPoolExecutor(2) as pool:
        threads = _solve(skus, hist, seed=3, executor=pool)
    for other in (procs, dask, threads):
        pd.testing.assert_frame_equal(serial[cols], other[cols])


def test_killed_run_resumes_without_redoing_finished_skus(tmp_path, monkeypatch, sample_frames):
    skus, hist = sample_frames
    out = tmp_path / "results.parquet"

    class Stop(Exception):
        pass

    def stop_after_five(done, failed, total):
        if done >= 5:
            raise Stop

    with pytest.raises(Stop):
        _solve(skus, hist, output=out, progress=stop_after_five)
    assert not out.exists() and parts_directory(out).is_dir()  # an interrupted run keeps its parts
    finished = pd.concat([pd.read_parquet(p) for p in parts_directory(out).glob("part-*")])
    assert len(finished) >= 5
    solved = []
    real = _run.solve_chunk

    def counting(chunk, seed):
        solved.extend(s.sku for s in chunk)
        return real(chunk, seed)

    monkeypatch.setattr(_run, "solve_chunk", counting)
    # a changed row is solved again; unchanged finished rows are not
    changed = skus.copy()
    redo = str(finished.sku[finished.status == "ok"].iloc[0])
    changed.loc[changed.sku.astype(str) == redo, "holding_cost"] += 1
    calls = []
    res = _solve(changed, hist, output=out, progress=lambda d, f, t: calls.append(d))
    assert calls[0] == len(finished) - 1
    assert sorted(solved) == sorted(set(skus.sku) - set(finished.sku) | {redo})
    pd.testing.assert_frame_equal(res, pd.read_parquet(out))
    full = _solve(changed, hist)
    cols = [c for c in RESULT_COLUMNS if c != "fit_time_s"]
    pd.testing.assert_frame_equal(res[cols], full[cols])
    # the run succeeded: its parts are removed
    assert not parts_directory(out).exists()
