"""Lost sales (Zipkin 2008): the dynamics, the exact evaluators and the refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from idinn.demand import UniformDemand
from idinn.dynamics import SourcingParams, advance, period_cost, transition
from idinn.exact import evaluate_policy, evaluate_policy_finite_horizon, solve_discounted
from idinn.problem import SourcingProblem
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel

LS = dict(holding_cost=1.0, shortage_cost=4.0, excess_demand="lost_sales")
# docs/dynamics.md, "Lost sales": l = 1, h = 1, p = 4, I_0 = 2
ORDERS, DEMANDS = [3, 1, 0], [5, 1, 4]
STATES = [[2, 0], [0, 3], [2, 1], [0, 0]]
COSTS = [12.0, 2.0, 4.0]


def test_hand_trajectory_numpy():
    p = SourcingParams(lead_times=(1,), order_costs=(0.0,), **LS)
    s = np.array([STATES[0]])
    for t in range(3):
        s, y = advance(s, np.array([[ORDERS[t]]]), np.array([DEMANDS[t]]), p)
        assert s.tolist() == [STATES[t + 1]]
        assert period_cost(y, np.array([[ORDERS[t]]]), p).tolist() == [COSTS[t]]
        assert transition(np.array([STATES[t]]), np.array([[ORDERS[t]]]), np.array([DEMANDS[t]]), p).tolist() == [STATES[t + 1]]


def test_hand_trajectory_model():
    m = SingleSourcingModel(lead_time=1, init_inventory=2, demand_generator=UniformDemand(0, 4), **LS)
    for t in range(3):
        cost = m.step(torch.tensor([[float(ORDERS[t])]]), torch.tensor([float(DEMANDS[t])]))
        assert cost.tolist() == [COSTS[t]]
        assert m.get_state().tolist() == [[float(x) for x in STATES[t + 1]]]
    assert m.get_past_inventories().tolist() == [[2.0, 0.0, 2.0, 0.0]]
    assert m.excess_demand == "lost_sales" and "lost_sales" in repr(m)


def test_dual_lost_sales_one_period_by_hand():
    m = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
                          init_inventory=1, demand_generator=UniformDemand(0, 4), **LS)
    cost = m.step(torch.tensor([[4.0, 1.0]]), torch.tensor([5.0]))  # y = 1 + 0 + 1 - 5 = -3: 3 lost
    assert cost.tolist() == [20.0 + 4.0 * 3]
    assert m.get_state().tolist() == [[0.0, 0.0, 4.0]]


def test_lost_sales_gradient_through_the_autograd_dynamics():
    p = SourcingParams(lead_times=(0,), order_costs=(0.0,), **LS)
    q = torch.tensor([[1.0], [6.0]], requires_grad=True)
    nxt, y = advance(torch.tensor([[2.0], [2.0]]), q, torch.tensor([5.0, 5.0]), p)
    period_cost(y, q, p).sum().backward()
    assert nxt[:, 0].tolist() == [0.0, 3.0]
    assert q.grad.tolist() == [[-4.0], [1.0]]  # short: -p per unit; long: +h per unit


def test_backlog_is_unchanged():
    p = SourcingParams(lead_times=(1,), order_costs=(0.0,), holding_cost=1.0, shortage_cost=4.0)
    nxt, y = advance(np.array([[2, 0]]), np.array([[3]]), np.array([5]), p)
    assert nxt.tolist() == [[-3, 3]] and y.tolist() == [-3]


def test_exact_evaluation_of_order_up_to_two_with_zero_lead_time():
    # l = 0, order up to 2: y = 2 - D, D ~ U{0..4}: cost = (2 + 1 + 0 + 4 + 8) / 5 = 3
    prob = SourcingProblem.single(lead_time=0, demand=UniformDemand(0, 4), **LS)
    ev = evaluate_policy(lambda s: (2 - s[:, :1]).clamp(min=0), prob)
    assert math.isclose(ev.average_cost, 3.0, rel_tol=1e-12)
    assert math.isclose(ev.expected_backlog, (1 + 2) / 5, rel_tol=1e-12)  # expected units lost
    fh = evaluate_policy_finite_horizon(lambda s: (2 - s[:, :1]).clamp(min=0), prob, horizon=3)
    assert math.isclose(fh.total_cost, 9.0, rel_tol=1e-12)


def test_exact_evaluation_matches_a_long_simulation():
    prob = SourcingProblem.single(lead_time=1, demand=UniformDemand(0, 4), init_inventory=2, **LS)
    ev = evaluate_policy(lambda s: (5 - s.sum(1, keepdim=True)).clamp(min=0), prob)
    p, rng = prob.params, np.random.default_rng(3)
    s, total, n = np.tile(prob.init_state, (2000, 1)), 0.0, 200
    for _ in range(n):
        q = np.maximum(5 - s.sum(1, keepdims=True), 0)
        s, y = advance(s, q, rng.integers(0, 5, 2000), p)
        total += period_cost(y.astype(float), q.astype(float), p).mean()
    assert abs(total / n - ev.average_cost) < 0.05


@pytest.mark.parametrize("bad, match", [
    (dict(excess_demand="lost"), "The 'excess_demand' parameter of SingleSourcingModel must be one of"),
    (dict(excess_demand="lost_sales", shortage_cost=-1.0), "The 'shortage_cost' parameter of SingleSourcingModel"),
    (dict(excess_demand="lost_sales", shortage_cost=float("nan")), "The 'shortage_cost' parameter"),
    (dict(excess_demand="lost_sales", init_inventory=-1), "must be an int >= 0 under lost sales"),
])
def test_bad_input_is_refused(bad, match):
    kw = dict(lead_time=1, holding_cost=1.0, shortage_cost=4.0, init_inventory=0, demand_generator=UniformDemand(0, 4))
    with pytest.raises(ValueError, match=match):
        SingleSourcingModel(**{**kw, **bad})


def test_rule_name_on_params_and_problem_dict():
    with pytest.raises(ValueError, match="The 'excess_demand' parameter of SourcingParams must be one of"):
        SourcingParams(lead_times=(1,), order_costs=(0.0,), holding_cost=1, shortage_cost=1, excess_demand="Lost")
    prob = SourcingProblem.single(lead_time=2, demand=UniformDemand(0, 4), **LS)
    again = SourcingProblem.from_dict(prob.to_dict())
    assert again == prob and again.params.excess_demand == "lost_sales"


def test_backlog_methods_refuse_lost_sales():
    from idinn.single_controller import BaseStockController  # the neural controllers accept lost sales

    m = SingleSourcingModel(lead_time=1, init_inventory=0, demand_generator=UniformDemand(0, 4), **LS)
    with pytest.raises(ValueError, match="solve_discounted must be a problem with excess_demand='backlog'"):
        solve_discounted(m, discount=0.9)
    with pytest.raises(ValueError, match="BaseStockController assumes backlogging; for lost sales use"):
        BaseStockController().fit(m)
