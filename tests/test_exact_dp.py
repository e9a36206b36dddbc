"""Average-cost dynamic programming for dual sourcing (idinn.exact.dual_sourcing_dp)."""

from __future__ import annotations

import itertools
import re
import time

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from idinn.demand import CustomDemand, UniformDemand
from idinn.dynamics import SourcingParams, period_cost, transition
from idinn.exact import (
    default_truncation,
    dual_sourcing_relative_value_iteration,
    expected_newsvendor_cost,
    reduce_dual_state,
    solve_dual_sourcing_average_cost,
)
from idinn.instances import load_testbed, make_model
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel

TESTBED = load_testbed()


def uniform(low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
    v = np.arange(low, high + 1)
    return v, np.full(len(v), 1.0 / len(v))


# ------------------------------------------------------------------ published optima
@pytest.mark.parametrize("inst", TESTBED, ids=[i.name for i in TESTBED])
def test_testbed_optimal_cost(inst):
    res = solve_dual_sourcing_average_cost(make_model(inst))
    # published values are rounded to 4 decimals
    assert res.optimal_cost == pytest.approx(inst.optimal_cost, abs=1e-3)
    assert abs(res.optimal_cost - inst.optimal_cost) <= 6e-5
    assert res.lower_bound <= inst.optimal_cost + 5e-5
    assert res.upper_bound >= inst.optimal_cost - 5e-5
    assert res.upper_bound - res.lower_bound <= 1e-7 * res.lower_bound
    # the exact cost of the returned policy lies in the certified bounds
    assert res.lower_bound - 1e-9 <= res.policy_cost <= res.upper_bound + 1e-9
    assert res.converged
    assert res.boundary_mass == 0.0
    # never worse than the best heuristic of the test bed
    assert res.optimal_cost <= inst.best_capped_dual_index_cost + 1e-4


def test_speed_lr4_u04():
    params = SourcingParams((4, 0), (0.0, 10.0), 5.0, 495.0)
    start = time.perf_counter()
    res = dual_sourcing_relative_value_iteration(params, *uniform(0, 4))
    assert time.perf_counter() - start < 2.0
    assert res.optimal_cost == pytest.approx(20.6122, abs=1e-4)


# ----------------------------------------------------------------- hand-computed
def test_never_expedite_is_regular_base_stock():
    # c_e far above b: only the regular supplier is used; base stock over D^(3), D ~ U{0..4},
    # S = 11 (P(D^(3) <= 11) = 124/125 >= 0.99): 5 * E(11 - D^(3))^+ + 495 * P(D^(3) = 12)
    # = 5 * (5 + 1/125) + 495 / 125 = 29.0
    params = SourcingParams((2, 0), (0.0, 10_000.0), 5.0, 495.0)
    res = dual_sourcing_relative_value_iteration(params, *uniform(0, 4))
    assert res.optimal_cost == pytest.approx(29.0, abs=1e-6)
    assert np.all(res.policy_table[..., 1][res.stationary_probabilities > 0] == 0)


def test_free_expediting_is_expedited_base_stock():
    # c_e = c_r = 0: expediting is as cheap and faster; newsvendor over one period:
    # S = 4, cost 5 * E(4 - D) = 10
    params = SourcingParams((3, 0), (0.0, 0.0), 5.0, 495.0)
    res = dual_sourcing_relative_value_iteration(params, *uniform(0, 4))
    assert res.optimal_cost == pytest.approx(10.0, abs=1e-6)


def test_deterministic_demand_costs_nothing_but_orders():
    # D = 3 always, c_r = 1 < c_e: order 3 regularly, hold nothing -> g* = 3
    params = SourcingParams((2, 1), (1.0, 2.0), 2.0, 20.0)
    res = dual_sourcing_relative_value_iteration(params, [3], [1.0], init_position=6)
    assert res.optimal_cost == pytest.approx(3.0, abs=1e-7)


def test_expected_newsvendor_cost_by_hand():
    v, p = uniform(0, 4)
    g = expected_newsvendor_cost(np.array([4, 2, -1]), v, p, 5.0, 495.0)
    # y=4: 5*2; y=2: 5*(2+1)/5 + 495*(1+2)/5; y=-1: 495*(E D + 1)
    np.testing.assert_allclose(g, [10.0, 3.0 + 297.0, 495.0 * 3.0])


def test_reduce_dual_state_by_hand():
    # l_r = 4, l_e = 1: [I, r1, r2, r3, r4, e1]; z = I + e1 + r1 + r2, pipeline (r3, r4)
    s = np.array([[-3, 1, 2, 3, 4, 5], [0, 0, 0, 0, 0, 0]])
    np.testing.assert_array_equal(reduce_dual_state(s, 4, 1), [[5, 3, 4], [0, 0, 0]])
    # l_r = 1, l_e = 0: z = I + r1
    np.testing.assert_array_equal(reduce_dual_state(np.array([[2, 7]]), 1, 0), [[9]])


def test_default_truncation_documented_formula():
    params = SourcingParams((4, 0), (0.0, 10.0), 5.0, 495.0)
    # S_e = 4, q = 4, spread 4, L = 4; S_r = 17 (newsvendor level of D^(5) at 0.99)
    assert default_truncation(params, *uniform(0, 4)) == {
        "min_position": 4 - 5 * 4 - 1,
        "max_position": max(4 + 4, 17),
        "max_regular_order": 4,
    }
    assert default_truncation(params, *uniform(0, 4), init_position=30)["max_position"] == 30


# -------------------------------------------------------- independent cross-checks
def _full_state_lp(params, values, probs, inv_range, q_max):
    """Optimal average cost of the full-state MDP (no reduction) by linear programming."""
    lr, le = params.lead_times
    pipe = list(itertools.product(range(q_max + 1), repeat=lr + le))
    states = np.array([(i, *p) for i in range(inv_range[0], inv_range[1] + 1) for p in pipe])
    index = {tuple(s): k for k, s in enumerate(states)}
    actions = np.array(list(itertools.product(range(q_max + 1), repeat=2)))
    n, na, nd = len(states), len(actions), len(values)
    s_rep = np.repeat(states, na * nd, axis=0)
    a_rep = np.tile(np.repeat(actions, nd, axis=0), (n, 1))
    d_rep = np.tile(values, n * na)
    nxt = transition(s_rep, a_rep, d_rep, params)
    cost = period_cost(nxt[:, 0].astype(float), a_rep.astype(float), params)
    nxt[:, 0] = np.clip(nxt[:, 0], *inv_range)
    target = np.array([index[tuple(r)] for r in nxt])
    var = np.repeat(np.arange(n * na), nd)
    c = np.bincount(var, weights=cost * np.tile(probs, n * na), minlength=n * na)
    inflow = sp.csr_matrix((np.tile(probs, n * na), (target, var)), shape=(n, n * na))
    outflow = sp.csr_matrix((np.ones(n * na), (np.repeat(np.arange(n), na), np.arange(n * na))), shape=(n, n * na))
    a_eq = sp.vstack([outflow - inflow, sp.csr_matrix(np.ones((1, n * na)))])
    b_eq = np.r_[np.zeros(n), 1.0]
    out = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    assert out.status == 0
    return out.fun


@pytest.mark.parametrize(
    ("lead_times", "costs", "inv_range"),
    [((2, 0), (0.0, 2.0), (-6, 9)), ((2, 1), (0.5, 1.5), (-6, 9)), ((1, 0), (0.0, 1.0), (-6, 9))],
)
def test_matches_full_state_linear_program(lead_times, costs, inv_range):
    params = SourcingParams(lead_times, costs, 1.0, 9.0)
    v, p = uniform(0, 2)
    res = dual_sourcing_relative_value_iteration(params, v, p)
    lp = _full_state_lp(params, v, p, inv_range, q_max=3)
    assert res.optimal_cost == pytest.approx(lp, abs=1e-6)


def test_beats_every_dual_index_policy_on_small_instance():
    # brute force over the dual-index class (z_e, z_r): the optimum is no worse, and the
    # best dual-index cost is within a few percent
    from idinn.exact import evaluate_policy
    import torch

    model = DualSourcingModel(2, 0, 0, 2, 1, 9, 0, UniformDemand(0, 2))
    res = solve_dual_sourcing_average_cost(model)
    best = np.inf
    for ze in range(0, 5):
        for zr in range(ze, ze + 6):
            def di(s, ze=ze, zr=zr):
                qe = (ze - s[:, 0] - s[:, 1]).clamp(min=0)
                return torch.stack([(zr - s.sum(1) - qe).clamp(min=0), qe], 1)
            best = min(best, evaluate_policy(di, model).average_cost)
    assert res.optimal_cost <= best + 1e-9
    assert best <= 1.05 * res.optimal_cost


def test_long_simulation_agrees():
    model = DualSourcingModel(3, 1, 0, 4, 2, 18, 0, CustomDemand({0: 0.3, 2: 0.5, 5: 0.2}))
    res = solve_dual_sourcing_average_cost(model)
    rng = np.random.default_rng(7)
    paths, periods, burn = 2000, 600, 100
    state = np.zeros((paths, 1 + 3 + 1), dtype=np.int64)
    total = np.zeros(paths)
    v, p = model.demand_generator.pmf()
    for t in range(periods):
        q = res.orders(state)
        d = rng.choice(v, size=paths, p=p)
        nxt = transition(state, q, d, model.params)
        if t >= burn:
            total += period_cost(nxt[:, 0].astype(float), q.astype(float), model.params)
        state = nxt
    per_path = total / (periods - burn)
    se = per_path.std(ddof=1) / np.sqrt(paths)
    assert abs(per_path.mean() - res.optimal_cost) < 4 * se + 1e-3


def test_wider_bounds_do_not_change_the_answer():
    params = SourcingParams((3, 0), (0.0, 10.0), 5.0, 495.0)
    a = dual_sourcing_relative_value_iteration(params, *uniform(0, 4))
    b = dual_sourcing_relative_value_iteration(
        params, *uniform(0, 4), min_position=-30, max_position=30, max_regular_order=9
    )
    assert b.optimal_cost == pytest.approx(a.optimal_cost, abs=1e-6)
    assert b.boundary_mass == 0.0


# ------------------------------------------------------------- result and truncation
def test_result_table_and_lookup():
    params = SourcingParams((3, 0), (0.0, 5.0), 5.0, 495.0)
    res = dual_sourcing_relative_value_iteration(params, *uniform(0, 4))
    t = res.truncation
    assert res.policy_table.shape == (t["max_position"] - t["min_position"] + 1, 5, 5, 2)
    assert res.relative_values.shape == res.policy_table.shape[:-1]
    assert res.stationary_probabilities.sum() == pytest.approx(1.0)
    assert res.lead_time_gap == 3
    # the table is looked up through the reduced state: [I, r1, r2, r3] -> z = I + r1, (r2, r3)
    full = np.array([[-2, 3, 1, 0]])
    np.testing.assert_array_equal(res.orders(full)[0], res.policy_table[1 - t["min_position"], 1, 0])
    # below-target positions are expedited up to a common level
    assert res.orders(np.array([[-5, 0, 0, 0]]))[0, 1] > 0


def test_state_outside_table_raises():
    params = SourcingParams((2, 0), (0.0, 5.0), 5.0, 495.0)
    res = dual_sourcing_relative_value_iteration(params, *uniform(0, 4))
    with pytest.raises(ValueError, match=re.escape("State [1000.0, 0.0, 0.0]")) as err:
        res.orders(np.array([[1000, 0, 0]]))
    assert f"z in [{res.min_position}, {res.max_position}]" in str(err.value)
    with pytest.raises(ValueError, match="integer-valued"):
        res.orders(np.array([[0.5, 0, 0]]))


def test_narrow_bounds_warn_and_name_the_bound():
    params = SourcingParams((4, 0), (0.0, 10.0), 5.0, 495.0)
    with pytest.warns(RuntimeWarning, match=r"Widen max_position \(currently 5"):
        res = dual_sourcing_relative_value_iteration(
            params, *uniform(0, 4), min_position=-3, max_position=5, max_regular_order=2
        )
    assert res.boundary_mass > 1e-6
    assert res.boundary_mass_by_bound["max_position"] > 0


def test_not_converged_warns():
    params = SourcingParams((4, 0), (0.0, 10.0), 5.0, 495.0)
    with pytest.warns(RuntimeWarning, match="raise 'max_iterations'"):
        res = dual_sourcing_relative_value_iteration(params, *uniform(0, 4), max_iterations=3, validation_freq=1)
    assert not res.converged
    assert res.lower_bound <= 20.6122 <= res.upper_bound


# ------------------------------------------------------------------------ bad input
def test_equal_lead_times_refused():
    params = SourcingParams((2, 2), (0.0, 1.0), 1.0, 9.0)
    msg = (
        "The 'expedited_lead_time' parameter of dual_sourcing_relative_value_iteration must be an int < "
        "regular_lead_time (2)"
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        dual_sourcing_relative_value_iteration(params, [0, 1], [0.5, 0.5])


def test_bad_arguments():
    params = SourcingParams((2, 0), (0.0, 1.0), 1.0, 9.0)
    with pytest.raises(ValueError, match=re.escape("'tolerance' parameter of dual_sourcing_relative_value_iteration")):
        dual_sourcing_relative_value_iteration(params, [0, 1], [0.5, 0.5], tolerance=0)
    with pytest.raises(ValueError, match=re.escape("The 'demand_values' parameter of dual_sourcing_relative_value_iteration must be integers")):
        dual_sourcing_relative_value_iteration(params, [0, 1.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="summing to 1"):
        dual_sourcing_relative_value_iteration(params, [0, 1], [0.5, 0.6])
    with pytest.raises(ValueError, match=re.escape("'min_position' parameter")):
        dual_sourcing_relative_value_iteration(params, [0, 1], [0.5, 0.5], min_position=3)
    with pytest.raises(TypeError, match=re.escape("'params' parameter")):
        dual_sourcing_relative_value_iteration(SourcingParams((1,), (0.0,), 1.0, 1.0), [0], [1.0])


def test_model_checks():
    single = SingleSourcingModel(1, 1, 9, 0, UniformDemand(0, 2))
    with pytest.raises(TypeError, match=re.escape("The 'sourcing_model' parameter of solve_dual_sourcing_average_cost")):
        solve_dual_sourcing_average_cost(single)
