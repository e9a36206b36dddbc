"""Exact lost-sales DP: brute force on tiny instances, Zipkin's (2008) optima, refusals."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from idinn.demand import GeometricDemand, PoissonDemand, UniformDemand, demand_from_dict
from idinn.exact import evaluate_policy, solve_lost_sales_average_cost
from idinn.instances import load_lost_sales_testbed
from idinn.problem import SourcingProblem


def _tiny(lead_time=1, p=5.0, c=0.0):
    return SourcingProblem.single(lead_time=lead_time, holding_cost=1.0, shortage_cost=p, demand=UniformDemand(0, 2),
                                  order_cost=c, excess_demand="lost_sales")


@pytest.mark.parametrize("c", [0.0, 0.5])
def test_optimum_equals_brute_force_over_all_policies(c):
    # every stationary policy q(x) in {0..3} of x = I + q_{t-1} in 0..3 (0 above): 256 policies,
    # orders beyond the DP's bound included; each evaluated exactly
    prob = _tiny(c=c)
    best = math.inf
    for table in itertools.product(range(4), repeat=4):
        t = torch.tensor(list(table) + [0] * 8, dtype=torch.float32)

        def policy(s, t=t):
            return t[(s[:, 0] + s[:, 1]).long().clamp(max=11)][:, None]

        best = min(best, evaluate_policy(policy, prob).average_cost)
    sol = solve_lost_sales_average_cost(prob, tol=1e-10)
    assert sol.average_cost == pytest.approx(best, abs=1e-8)
    # the optimal table, evaluated exactly, gives the optimum too
    assert evaluate_policy(lambda s: torch.as_tensor(sol.orders(s.numpy())), prob).average_cost == pytest.approx(best, abs=1e-8)


def test_a_larger_bound_changes_nothing():
    prob = SourcingProblem.single(lead_time=2, holding_cost=1, shortage_cost=9, demand=PoissonDemand(5),
                                  excess_demand="lost_sales")
    a = solve_lost_sales_average_cost(prob)
    b = solve_lost_sales_average_cost(prob, max_position=a.max_position + 6)
    assert b.average_cost == pytest.approx(a.average_cost, abs=1e-6)
    assert a.dropped_mass < 1e-10


@pytest.mark.parametrize("name", ["poisson_L1_p4", "poisson_L2_p39", "geometric_L2_p4", "geometric_L1_p39"])
def test_zipkin_optima(name):
    inst = {i.name: i for i in load_lost_sales_testbed()}[name]
    sol = solve_lost_sales_average_cost(inst.problem())
    assert round(sol.average_cost, 2) == inst.costs["optimal"]
    assert sol.lower_bound <= sol.average_cost <= sol.upper_bound


def test_testbed_has_32_instances():
    rows = load_lost_sales_testbed()
    assert len(rows) == 32 and {r.lead_time for r in rows} == {1, 2, 3, 4}
    assert rows[0].name == "geometric_L1_p4" and rows[0].costs["optimal"] == 9.82


def test_state_space_too_large_is_refused_with_size_and_limit():
    prob = SourcingProblem.single(lead_time=4, holding_cost=1, shortage_cost=39, demand=GeometricDemand(5),
                                  excess_demand="lost_sales")
    with pytest.raises(MemoryError, match=r"would solve 424,270 states .* above the limit of 1e\+06 .*max_entries"):
        solve_lost_sales_average_cost(prob, max_entries=10**6)


def test_bad_problems_are_refused():
    backlog = SourcingProblem.single(lead_time=1, holding_cost=1, shortage_cost=4, demand=UniformDemand(0, 2))
    with pytest.raises(ValueError, match="must be a problem with excess_demand='lost_sales'"):
        solve_lost_sales_average_cost(backlog)
    with pytest.raises(ValueError, match="The 'lead_time' parameter of solve_lost_sales_average_cost must be an int >= 1"):
        solve_lost_sales_average_cost(_tiny(lead_time=0))
    with pytest.raises(ValueError, match="The 'tail_mass' parameter"):
        solve_lost_sales_average_cost(_tiny(), tail_mass=0)


def test_geometric_demand():
    d = GeometricDemand(5)
    assert demand_from_dict(d.to_dict()) == d and d.to_dict() == {"type": "geometric", "mean": 5.0}
    t = d.truncated(max_demand=3)
    values, probs = t.pmf()
    rho = 5 / 6
    assert np.allclose(probs, [1 - rho, (1 - rho) * rho, (1 - rho) * rho**2, rho**3])
    assert t.dropped_mass == pytest.approx(rho**4)
    assert demand_from_dict(t.to_dict()) == t
    draws = d.sample_array(np.random.default_rng(0), 4000, 10)
    assert draws.min() == 0 and abs(draws.mean() - 5) < 0.2
    torch_draws = d.sample_periods(4000, 10, torch.Generator().manual_seed(0))
    assert abs(float(torch_draws.mean()) - 5) < 0.2
    with pytest.raises(ValueError, match="The 'mean' parameter of GeometricDemand"):
        GeometricDemand(-1)


def _brute_force_with_fixed_cost(K, c, q_max=6, x_max=3, top=12):
    """Best stationary policy q(x) in {0..q_max} for x in 0..x_max (0 above) of the L = 1 chain
    x' = [x - D]^+ + q(x), D ~ U{0, 1, 2}: stationary law by numpy, every policy (7^4 of them)."""
    pmf = np.full(3, 1 / 3)
    h, p = 1.0, 5.0
    xs = np.arange(top + 1)
    cx = np.array([sum(pmf[d] * (h * max(x - d, 0) + p * max(d - x, 0)) for d in range(3)) for x in xs])
    best = math.inf
    for table in itertools.product(range(q_max + 1), repeat=x_max + 1):
        q = np.zeros(top + 1, dtype=int)
        q[: x_max + 1] = table
        P = np.zeros((top + 1, top + 1))
        for d in range(3):
            P[xs, np.minimum(np.maximum(xs - d, 0) + q, top)] += pmf[d]
        A = P.T - np.eye(top + 1)
        A[-1] = 1.0
        rhs = np.zeros(top + 1)
        rhs[-1] = 1.0
        pi = np.linalg.lstsq(A, rhs, rcond=None)[0]
        best = min(best, float(pi @ (cx + c * q + K * (q > 0))))
    return best


@pytest.mark.parametrize("K, c", [(3.0, 0.0), (8.0, 0.5)])
def test_fixed_cost_optimum_equals_brute_force_and_best_ss_is_above_it(K, c):
    from idinn.exact.lost_sales_policies import evaluate_lost_sales_ss, fit_lost_sales_ss

    prob = SourcingProblem.single(lead_time=1, holding_cost=1.0, shortage_cost=5.0, demand=UniformDemand(0, 2),
                                  order_cost=c, fixed_order_cost=K, excess_demand="lost_sales")
    sol = solve_lost_sales_average_cost(prob, tol=1e-11)
    assert sol.average_cost == pytest.approx(_brute_force_with_fixed_cost(K, c), abs=1e-8)
    # the fixed cost is charged: the optimum is above the one without it
    assert sol.average_cost > solve_lost_sales_average_cost(_tiny(c=c), tol=1e-11).average_cost + 0.1
    # the exact evaluator charges K too and agrees on the optimal table
    ev = evaluate_policy(lambda s: torch.as_tensor(sol.orders(s.numpy())), prob).average_cost
    assert ev == pytest.approx(sol.average_cost, abs=1e-7)
    best = fit_lost_sales_ss(prob)
    assert best.average_cost >= sol.average_cost - 1e-8
    s, S = best.parameters["reorder_point"], best.parameters["order_up_to_level"]
    for s2 in range(0, 8):
        for S2 in range(s2 + 1, 9):
            assert evaluate_lost_sales_ss(prob, s2, S2) >= best.average_cost - 1e-9
    policy = lambda st: torch.where(st.sum(1, keepdim=True) <= s, S - st.sum(1, keepdim=True), torch.zeros(1))  # noqa: E731
    assert evaluate_policy(policy, prob).average_cost == pytest.approx(best.average_cost, abs=1e-7)


def test_ss_controller_under_lost_sales():
    from idinn.single_controller import SSController
    from idinn.sourcing_model import SingleSourcingModel

    m = SingleSourcingModel(lead_time=1, holding_cost=1, shortage_cost=5, init_inventory=0,
                            demand_generator=UniformDemand(0, 2), fixed_order_cost=3, excess_demand="lost_sales")
    c = SSController().fit(m)
    assert c.expected_cost_ == pytest.approx(evaluate_policy(c, m).average_cost, abs=1e-7)
    assert c.expected_cost_ >= solve_lost_sales_average_cost(m, tol=1e-11).average_cost - 1e-8
    assert c.predict(current_inventory=0, past_orders=[0]) == c.order_up_to_level_
    fixed = SSController(reorder_point=1, order_up_to_level=4).fit(m)
    assert fixed.expected_cost_ == pytest.approx(evaluate_policy(fixed, m).average_cost, abs=1e-7)
