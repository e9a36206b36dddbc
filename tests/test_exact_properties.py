"""Property-based tests of the exact methods over random small instances (issue 15, item 5)."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idinn.demand import CustomDemand
from idinn.dual_controller import DualIndexController, TailoredBaseSurgeController
from idinn.dynamics import transition
from idinn.exact import evaluate_policy, solve_dual_sourcing_average_cost
from idinn.sourcing_model import DualSourcingModel

# a few examples in the suite; IDINN_HYPOTHESIS_EXAMPLES=300 for a thorough run
FAST = settings(
    max_examples=int(os.environ.get("IDINN_HYPOTHESIS_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def demands(draw):
    support = draw(st.lists(st.integers(0, 4), min_size=1, max_size=3, unique=True))
    weights = draw(st.lists(st.integers(1, 4), min_size=len(support), max_size=len(support)))
    total = sum(weights)
    return CustomDemand({v: w / total for v, w in zip(support, weights)})


@st.composite
def dual_models(draw):
    return DualSourcingModel(
        regular_lead_time=draw(st.integers(1, 2)),
        expedited_lead_time=0,
        regular_order_cost=draw(st.integers(0, 5)),
        expedited_order_cost=draw(st.integers(0, 8)),
        holding_cost=draw(st.integers(1, 3)),
        shortage_cost=draw(st.integers(1, 30)),
        init_inventory=draw(st.integers(-3, 6)),
        demand_generator=draw(demands()),
    )


def positive_demand(model):
    return int(model.demand_generator.pmf()[0].max()) > 0


@FAST
@given(dual_models())
def test_dp_optimum_is_at_most_every_fitted_heuristics_exact_cost(model):
    if not positive_demand(model):
        return  # refused by the DP (tested in test_exact_scale)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        dp = solve_dual_sourcing_average_cost(model)
        heuristic = DualIndexController().fit(model, sourcing_periods=40, n_paths=4, n_exact=2, seed=0)
        cost = evaluate_policy(heuristic, model).average_cost
    assert dp.boundary_mass == 0.0
    assert dp.lower_bound <= cost + 1e-6 * max(1.0, abs(cost))


@FAST
@given(dual_models(), st.integers(0, 4), st.integers(0, 8))
def test_exact_evaluation_returns_a_number_or_inf_never_nan(model, q_r, s_e):
    policy = TailoredBaseSurgeController(q_r=q_r, s_e=s_e)
    policy.sourcing_model = model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ev = evaluate_policy(policy, model)
    assert not np.isnan(ev.average_cost) and not np.isnan(ev.boundary_mass)
    assert ev.average_cost >= 0.0
    if ev.average_cost != float("inf"):
        orders = model.params.order_costs
        recomposed = (
            sum(c * q for c, q in zip(orders, ev.mean_orders))
            + model.params.holding_cost * ev.expected_inventory
            + model.params.shortage_cost * ev.expected_backlog
        )
        assert ev.average_cost == pytest.approx(recomposed, rel=1e-9, abs=1e-9)


@FAST
@given(dual_models(), st.integers(0, 2**32 - 1))
def test_dp_policy_stays_inside_its_table_from_the_initial_state(model, seed):
    if not positive_demand(model):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        dp = solve_dual_sourcing_average_cost(model)
    rng = np.random.default_rng(seed)
    values, probs = model.demand_generator.pmf()
    state = np.tile(model.problem.init_state, (8, 1))
    for _ in range(60):
        orders = dp.orders(state)  # raises when a state leaves the table
        demand = rng.choice(values, size=8, p=probs)
        state = transition(state, orders, demand, model.params)
