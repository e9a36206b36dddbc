"""Fixed order costs K_k, order capacities u_k and the (s, S) controller (issue 10)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import idinn
from idinn.demand import UniformDemand
from idinn.dynamics import SourcingParams, check_capacities, period_cost
from idinn.exact import evaluate_policy, evaluate_policy_finite_horizon, solve_finite_horizon
from idinn.exact.fixed_cost import loss_function, optimal_ss_policy, renewal_mass, ss_average_cost
from idinn.instances import load_zheng_federgruen, zheng_federgruen_pmf
from idinn.problem import SourcingProblem
from idinn.single_controller import BaseStockController, SSController
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


def single(**kw):
    args = dict(lead_time=0, holding_cost=1, shortage_cost=9, init_inventory=0, demand_generator=UniformDemand(0, 4))
    args.update(kw)
    return SingleSourcingModel(**args)


def dual(**kw):
    args = dict(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=5,
                holding_cost=1, shortage_cost=9, init_inventory=0, demand_generator=UniformDemand(0, 2))
    args.update(kw)
    return DualSourcingModel(**args)


# ------------------------------------------------------------------ the problem data
def test_params_fields_default_empty_and_zeros_normalise():
    base = SourcingParams((1, 0), (0.0, 5.0), 1.0, 9.0)
    assert base.fixed_order_costs == () and base.order_capacities == ()
    same = SourcingParams((1, 0), (0.0, 5.0), 1.0, 9.0, fixed_order_costs=(0, 0.0), order_capacities=(None, None))
    assert same == base and hash(same) == hash(base)
    p = SourcingParams((1, 0), (0.0, 5.0), 1.0, 9.0, fixed_order_costs=(2, 0), order_capacities=(None, 3))
    assert p.fixed_order_costs == (2.0, 0.0) and p.order_capacities == (None, 3)
    assert p.fixed_order_cost(0) == 2.0 and p.order_capacity(1) == 3 and p.order_capacity(0) is None


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"fixed_order_costs": (-1.0,)}, "The 'fixed_order_costs' parameter of SourcingParams must be a finite real number >= 0. Got -1.0 instead."),
        ({"fixed_order_costs": (math.nan,)}, "'fixed_order_costs' parameter of SourcingParams must be a finite real number"),
        ({"fixed_order_costs": (1.0, 2.0)}, "must be empty or of length 1 (one per supplier). Got (1.0, 2.0) instead."),
        ({"order_capacities": (0,)}, "The 'order_capacities' parameter of SourcingParams must be an int >= 1. Got 0 instead."),
        ({"order_capacities": (-2,)}, "must be an int >= 1. Got -2 instead."),
        ({"order_capacities": (2.5,)}, "'order_capacities' parameter of SourcingParams must be an int"),
        ({"order_capacities": 3}, "must be a tuple with one entry per supplier (or empty)"),
    ],
)
def test_params_refuse_bad_fixed_costs_and_capacities(kw, message):
    with pytest.raises((TypeError, ValueError)) as err:
        SourcingParams((0,), (0.0,), 1.0, 9.0, **kw)
    assert message in str(err.value)


def test_models_take_the_keywords_and_refuse_bad_ones():
    m = single(fixed_order_cost=64, order_capacity=7)
    assert (m.get_fixed_order_cost(), m.get_order_capacity()) == (64.0, 7)
    d = dual(regular_fixed_order_cost=10, expedited_fixed_order_cost=2, regular_order_capacity=5)
    assert d.params.fixed_order_costs == (10.0, 2.0) and d.params.order_capacities == (5, None)
    assert (d.get_regular_order_capacity(), d.get_expedited_order_capacity()) == (5, None)
    assert (d.get_regular_fixed_order_cost(), d.get_expedited_fixed_order_cost()) == (10.0, 2.0)
    with pytest.raises(ValueError, match=r"The 'fixed_order_cost' parameter of SingleSourcingModel must be a finite real number >= 0\. Got -1 instead\."):
        single(fixed_order_cost=-1)
    with pytest.raises(ValueError, match=r"'expedited_fixed_order_cost' parameter of DualSourcingModel"):
        dual(expedited_fixed_order_cost=float("nan"))
    with pytest.raises(ValueError, match=r"The 'order_capacity' parameter of SingleSourcingModel must be an int >= 1\. Got 0 instead\."):
        single(order_capacity=0)
    with pytest.raises(TypeError, match=r"'regular_order_capacity' parameter of DualSourcingModel must be None \(uncapped\) or an int >= 1"):
        dual(regular_order_capacity=2.5)


def test_capacity_below_the_mean_demand_is_refused():
    # mean demand 2: a total capacity of 2 cannot keep a random backlog bounded
    with pytest.raises(ValueError, match=r"The 'order_capacities' parameter of SingleSourcingModel must be a total "
                       r"capacity > the mean demand per period \(2\): otherwise the backlog grows without bound\. Got \[2\]"):
        single(order_capacity=2)
    with pytest.raises(ValueError, match=r"'order_capacities' parameter of SourcingProblem must be a total capacity"):
        SourcingProblem.dual(regular_lead_time=1, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=1,
                             holding_cost=1, shortage_cost=9, demand=UniformDemand(0, 4),
                             regular_order_capacity=1, expedited_order_capacity=1)
    single(order_capacity=3)  # above the mean: accepted
    dual(regular_order_capacity=1)  # the expedited supplier is uncapped: accepted
    # deterministic demand 2: a capacity of exactly 2 suffices
    single(order_capacity=2, demand_generator=UniformDemand(2, 2))


def test_problem_dict_round_trip_and_refusals():
    p = single(fixed_order_cost=64, order_capacity=7).problem
    d = p.to_dict()
    assert d["suppliers"] == [{"lead_time": 0, "order_cost": 0.0, "fixed_order_cost": 64.0, "capacity": 7}]
    assert SourcingProblem.from_dict(d) == p
    plain = single().problem.to_dict()
    assert plain["suppliers"] == [{"lead_time": 0, "order_cost": 0.0}]  # unchanged layout without them
    bad = dict(d, suppliers=[{"lead_time": 0, "fixed_order_cost": -3}])
    with pytest.raises(ValueError, match=r"The 'fixed_order_cost' parameter of SourcingProblem.from_dict must be a finite real number >= 0\. Got -3"):
        SourcingProblem.from_dict(bad)
    bad = dict(d, suppliers=[{"lead_time": 0, "capacity": 0}])
    with pytest.raises(ValueError, match=r"'capacity' parameter of SourcingProblem.from_dict must be an int >= 1\. Got 0"):
        SourcingProblem.from_dict(bad)


# ------------------------------------------------------------------------ the cost
def test_period_cost_charges_the_fixed_cost_once_per_order_placed():
    params = SourcingParams((2, 0), (1.0, 5.0), 2.0, 9.0, fixed_order_costs=(10.0, 3.0))
    inv = np.array([4.0, -1.0, 0.0])
    q = np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    # hand: 2*1 + 10 + h*4 = 20; 5*1 + 3 + b*1 = 17; nothing = 0
    np.testing.assert_array_equal(period_cost(inv, q, params), [20.0, 17.0, 0.0])
    out = period_cost(torch.tensor(inv), torch.tensor(q), params)
    assert out.tolist() == [20.0, 17.0, 0.0]


def test_zero_fixed_cost_reproduces_todays_results_exactly():
    rng = np.random.default_rng(0)
    inv = rng.integers(-5, 6, 50).astype(np.float64)
    q = rng.integers(0, 4, (50, 2)).astype(np.float64)
    p0 = SourcingParams((2, 0), (1.0, 5.0), 2.0, 9.0)
    pz = SourcingParams((2, 0), (1.0, 5.0), 2.0, 9.0, fixed_order_costs=(0.0, 0.0))
    np.testing.assert_array_equal(period_cost(inv, q, p0), period_cost(inv, q, pz))
    plain, zero = single(lead_time=1), single(lead_time=1, fixed_order_cost=0)
    bs = BaseStockController().fit(zero)  # K = 0 is no fixed cost: accepted
    assert evaluate_policy(bs, zero).average_cost == evaluate_policy(bs, plain).average_cost
    torch.manual_seed(0)
    a = bs.get_average_cost(plain, sourcing_periods=30, seed=3)
    b = bs.get_average_cost(zero, sourcing_periods=30, seed=3)
    assert float(a) == float(b)


def test_exact_evaluators_charge_the_fixed_cost():
    m = single(lead_time=1, fixed_order_cost=7, order_cost=2)
    bs = BaseStockController(base_stock_level=6)
    plain = single(lead_time=1, order_cost=2)
    bs.fit(plain)
    full = evaluate_policy(bs, m, position_only=False)
    ev0 = evaluate_policy(bs, plain, position_only=False)
    # a base-stock policy orders whenever demand was positive: P(D > 0) = 4/5 of periods
    assert full.average_cost == pytest.approx(ev0.average_cost + 7 * 0.8, abs=1e-9)
    assert evaluate_policy(bs, m, position_only=True).average_cost == pytest.approx(full.average_cost, abs=1e-9)
    fh = evaluate_policy_finite_horizon(bs, m, horizon=3)
    fh0 = evaluate_policy_finite_horizon(bs, plain, horizon=3)
    # period 0 from I=0, empty pipe: orders 6 (K charged); later periods order iff D > 0
    assert fh.total_cost == pytest.approx(fh0.total_cost + 7 * (1 + 0.8 + 0.8), abs=1e-9)


# ------------------------------------------------------------------- capacities
def test_simulator_and_evaluators_refuse_orders_above_capacity():
    m = single(order_capacity=3)
    m.step(torch.tensor([[3.0]]), demand=torch.tensor([1.0]))
    with pytest.raises(ValueError, match=r"The 'orders' parameter of SingleSourcingModel must be returning orders "
                       r"within the order capacities \[3\]\. Got \[4\.0\] instead\."):
        m.step(torch.tensor([[4.0]]))
    policy = lambda s: (8 - s.sum(1, keepdims=True)).clip(min=0)  # noqa: E731
    for fn, kw in ((evaluate_policy, {}), (evaluate_policy_finite_horizon, {"horizon": 2})):
        with pytest.raises(ValueError, match=r"within the order capacities \[3\]"):
            fn(policy, m.problem, **kw)
    assert check_capacities(np.array([[3, 9]]), SourcingParams((0, 0), (0, 0), 1, 1, order_capacities=(3, None)),
                            "x") is None


@settings(max_examples=40, deadline=None)
@given(st.integers(-20, 20), st.integers(0, 6), st.integers(0, 6), st.integers(3, 9))
def test_capacitated_policies_never_exceed_the_capacity(inventory, q1, q2, capacity):
    state = torch.tensor([[float(inventory), float(q1), float(q2)]])
    for policy in _capacity_controllers(capacity):
        orders = policy.policy(state)
        assert float(orders.max()) <= capacity


_CACHE: dict[int, list] = {}


def _capacity_controllers(capacity: int) -> list:
    """Every controller class that accepts capacities, fitted for a model capped at ``capacity``."""
    if capacity not in _CACHE:
        out = []
        for name in idinn.single_controller.__all__:
            cls = getattr(idinn.single_controller, name)
            if getattr(cls, "_accepts_order_capacities", False) and hasattr(cls, "fit"):
                out.append(cls().fit(single(lead_time=2, order_capacity=capacity)))
        assert out, "no single-sourcing controller accepts capacities"
        _CACHE[capacity] = out
    return _CACHE[capacity]


def test_controllers_and_solvers_that_cannot_model_them_refuse():
    from idinn.dual_controller import CappedDualIndexController
    from idinn.exact import solve_discounted, solve_dual_sourcing_average_cost

    fixed, capped = single(lead_time=1, fixed_order_cost=5), single(lead_time=1, order_capacity=4)
    with pytest.raises(ValueError, match=r"The 'sourcing_model' parameter of BaseStockController must be a model "
                       r"without fixed order costs .*SSController\)\. Got \[5\.0\] instead\."):
        BaseStockController().fit(fixed)
    with pytest.raises(ValueError, match=r"'sourcing_model' parameter of SSController must be a model without order "
                       r"capacities \(this controller does not honour them\)\. Got \[4\]"):
        SSController().fit(capped.problem)
    with pytest.raises(ValueError, match="parameter of SingleSourcingNeuralController must be a model without fixed"):
        idinn.single_controller.SingleSourcingNeuralController().fit(fixed, sourcing_periods=5, epochs=1)
    d = dual(expedited_fixed_order_cost=3)
    for cls in (CappedDualIndexController,):  # DynamicProgrammingController models them (exact.multi_dp)
        with pytest.raises(ValueError, match=f"parameter of {cls.__name__} must be a model without fixed order costs"):
            cls().fit(d)
    with pytest.raises(ValueError, match=r"'sourcing_model' parameter of solve_dual_sourcing_average_cost must be a "
                       r"problem without fixed order costs"):
        solve_dual_sourcing_average_cost(d)
    with pytest.raises(ValueError, match=r"parameter of solve_finite_horizon must be a problem without order capacities"):
        solve_finite_horizon(capped, horizon=3)
    with pytest.raises(ValueError, match=r"parameter of solve_discounted must be a problem without fixed order costs"):
        solve_discounted(fixed, discount=0.9)


# --------------------------------------------------------------- the (s, S) policy
def test_renewal_mass_and_loss_function_by_hand():
    # D in {0, 1} with p0 = 1/2: m(0) = 2, m(j) = (1/2 m(j-1)) / (1/2) = 2
    np.testing.assert_allclose(renewal_mass(np.array([0.5, 0.5]), 4), [2, 2, 2, 2])
    # D = 1 surely: m(j) = 1
    np.testing.assert_allclose(renewal_mass(np.array([0.0, 1.0]), 3), [1, 1, 1])
    g = loss_function(np.arange(-1, 3), np.array([0, 2]), np.array([0.5, 0.5]), 1.0, 9.0)
    # y=-1: 9*(0.5*1 + 0.5*3) = 18; y=0: 9*1 = 9; y=1: 0.5*1 + 9*0.5 = 5; y=2: 1*(0.5*2) = 1
    np.testing.assert_allclose(g, [18.0, 9.0, 5.0, 1.0])


def _brute_force(values, probs, lead_time, h, b, K, c=0.0):
    best = None
    for s, S in itertools.product(range(-6, 14), range(-5, 20)):
        if S > s:
            cost = ss_average_cost(s, S, values, probs, lead_time=lead_time, holding_cost=h, shortage_cost=b,
                                   fixed_order_cost=K, order_cost=c)
            if best is None or cost < best[2] - 1e-12:
                best = (s, S, cost)
    return best


@pytest.mark.parametrize("lead_time, K, high", [(0, 10.0, 4), (2, 25.0, 3), (1, 0.0, 4), (0, 3.0, 2)])
def test_optimal_ss_policy_matches_brute_force(lead_time, K, high):
    values = np.arange(high + 1)
    probs = np.full(high + 1, 1.0 / (high + 1))
    got = optimal_ss_policy(values, probs, lead_time=lead_time, holding_cost=1, shortage_cost=9, fixed_order_cost=K)
    s, S, cost = _brute_force(values, probs, lead_time, 1.0, 9.0, K)
    assert got.average_cost == pytest.approx(cost, abs=1e-9)
    assert ss_average_cost(got.reorder_point, got.order_up_to_level, values, probs, lead_time=lead_time,
                           holding_cost=1, shortage_cost=9, fixed_order_cost=K) == pytest.approx(cost, abs=1e-9)


def test_ss_controller_cost_agrees_with_exact_evaluation_and_simulation():
    m = single(lead_time=2, fixed_order_cost=20, order_cost=1.5, demand_generator=UniformDemand(1, 4))
    c = SSController().fit(m)
    assert c.order_up_to_level_ > c.reorder_point_
    for position_only in (True, False):
        ev = evaluate_policy(c, m, position_only=position_only)
        assert ev.average_cost == pytest.approx(c.expected_cost_, abs=1e-9)
    # the policy by hand: position 3 + pipeline [1, 0] = 4
    s, S = c.reorder_point_, c.order_up_to_level_
    state = torch.tensor([[float(s - 1), 1.0, 0.0], [float(s + 1), 0.0, 0.0]])
    assert c.policy(state).tolist() == [[float(S - s)], [0.0]]
    # fixed (s, S): the controller only evaluates
    fixed = SSController(reorder_point=s - 1, order_up_to_level=S + 2).fit(m)
    assert fixed.expected_cost_ == pytest.approx(evaluate_policy(fixed, m).average_cost, abs=1e-9)
    assert fixed.expected_cost_ > c.expected_cost_


def test_ss_controller_bad_input():
    with pytest.raises(ValueError, match=r"The 'order_up_to_level' parameter of SSController must be an int > reorder_point \(5\)\. Got 5 instead\."):
        SSController(reorder_point=5, order_up_to_level=5)
    with pytest.raises(ValueError, match=r"'order_up_to_level' parameter of SSController must be given together with reorder_point"):
        SSController(reorder_point=5)
    with pytest.raises(ValueError, match=r"'values' parameter of optimal_ss_policy must be a demand with positive mean"):
        optimal_ss_policy(np.array([0]), np.array([1.0]), lead_time=0, holding_cost=1, shortage_cost=9,
                          fixed_order_cost=1)


def test_zheng_federgruen_instances_reproduced():
    rows = load_zheng_federgruen()
    assert len(rows) == 24
    for row in rows[::5]:  # every fifth here; benchmarks/check_zheng_federgruen.py runs all 24
        values, probs = zheng_federgruen_pmf(row)
        r = optimal_ss_policy(values, probs, lead_time=row.lead_time, holding_cost=row.holding_cost,
                              shortage_cost=row.shortage_cost, fixed_order_cost=row.fixed_order_cost)
        assert (r.reorder_point, r.order_up_to_level) == (row.s_optimal, row.S_optimal)
        assert round(r.average_cost, 3) == row.optimal_cost


# ----------------------------------------------------- the modified base-stock policy
def test_modified_base_stock_optimum_by_exact_evaluation():
    from idinn.single_controller import ModifiedBaseStockController

    m = single(lead_time=1, order_capacity=3, order_cost=1.0)
    c = ModifiedBaseStockController().fit(m)
    S = c.base_stock_level_
    costs = {}
    for level in range(S - 3, S + 4):
        fixed = ModifiedBaseStockController(base_stock_level=level).fit(m)
        ev = evaluate_policy(fixed, m, position_only=False)
        assert ev.average_cost == pytest.approx(fixed.expected_cost_, abs=1e-8)
        costs[level] = ev.average_cost
    assert min(costs, key=costs.get) == S
    # the capacity costs something: the uncapacitated optimum is cheaper
    assert c.expected_cost_ > BaseStockController().fit(single(lead_time=1, order_cost=1.0)).expected_cost_
    # uncapped: the base-stock optimum
    free = ModifiedBaseStockController().fit(single(lead_time=1))
    bs = BaseStockController().fit(single(lead_time=1))
    assert (free.base_stock_level_, free.expected_cost_) == (bs.z_star, pytest.approx(bs.expected_cost_, abs=1e-9))


# ------------------------------------------------------------------------ TOML / CLI
def test_toml_takes_the_new_model_keywords_and_the_ss_controller():
    import tomllib

    from idinn.config import ConfigError, from_config, to_config, to_toml

    text = """
[model]
type = "single"
lead_time = 1
holding_cost = 1
shortage_cost = 9
init_inventory = 0
fixed_order_cost = 64
demand = { type = "uniform", low = 0, high = 4 }

[controller]
type = "ss"
"""
    rc = from_config(tomllib.loads(text), "t.toml")
    assert type(rc.controller) is SSController and rc.model.get_fixed_order_cost() == 64.0
    dual_text = text.replace('type = "single"\nlead_time = 1', 'type = "dual"\nregular_lead_time = 2\n'
                             'expedited_lead_time = 0\nregular_order_cost = 0\nexpedited_order_cost = 5')
    dual_text = dual_text.replace("fixed_order_cost = 64", "regular_fixed_order_cost = 10\nexpedited_order_capacity = 6")
    dual_text = dual_text.replace('type = "ss"', 'type = "capped_dual_index"')
    rc = from_config(tomllib.loads(dual_text), "d.toml")
    assert rc.model.params.fixed_order_costs == (10.0, 0.0) and rc.model.params.order_capacities == (None, 6)
    with pytest.raises(ConfigError, match="fixed_order_cost"):
        from_config(tomllib.loads(text.replace("= 64", '= "a lot"')), "t.toml")
    # to_config writes them back (and TOML round-trips the problem)
    problem = single(lead_time=1, fixed_order_cost=64, order_capacity=9).problem
    cfg = to_config(problem, "ss")
    assert cfg["model"]["fixed_order_cost"] == 64.0 and cfg["model"]["order_capacity"] == 9
    assert from_config(tomllib.loads(to_toml(cfg))).model.problem.params == problem.params


def test_cli_exact_optimum_uses_the_method_that_models_the_terms():
    from idinn.cli import exact_optimum

    name, value = exact_optimum(single(lead_time=1, fixed_order_cost=10))
    assert name == "optimal (s, S) policy" and value == SSController().fit(single(lead_time=1, fixed_order_cost=10)).expected_cost_
    assert exact_optimum(single(lead_time=1, order_capacity=3))[0] == "optimal modified base-stock policy"
    assert exact_optimum(single(lead_time=1, order_capacity=3, fixed_order_cost=1)) is None
    assert exact_optimum(dual(regular_fixed_order_cost=1)) is None
    assert exact_optimum(single(lead_time=1))[0] == "optimal base-stock policy"


def test_environment_action_space_respects_the_capacity_and_charges_the_fixed_cost():
    from idinn.envs import SourcingEnv

    problem = single(lead_time=0, order_capacity=3, fixed_order_cost=7).problem
    env = SourcingEnv(problem)
    assert env.action_space.nvec.tolist() == [4]  # orders 0..3
    with pytest.raises(ValueError, match=r"'max_order' parameter of SourcingEnv must be at most the supplier capacities \[3\]"):
        SourcingEnv(problem, max_order=5)
    env.reset(seed=0)
    _, reward, *_, info = env.step(np.array([3]))
    d = info["demand"]  # cost by hand: K + h (3 - D)^+ + b (D - 3)^+
    assert -reward == 7 + max(3 - d, 0) * 1 + max(d - 3, 0) * 9
