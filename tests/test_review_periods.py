"""Review periods per supplier: the SourcingParams fields, their checks and round trip."""

import numpy as np
import pytest

from idinn.demand import UniformDemand
from idinn.dynamics import SourcingParams, check_review_periods
from idinn.problem import SourcingProblem


def weekly_regular() -> SourcingParams:
    return SourcingParams((2, 0), (0.0, 20.0), 5.0, 495.0, review_periods=(7, 1), review_offsets=(3, 0))


def test_may_order_follows_the_cycle():
    p = weekly_regular()
    assert [t for t in range(16) if p.may_order(0, t)] == [3, 10]
    assert all(p.may_order(1, t) for t in range(16))
    assert p.review_cycle == 7 and p.has_review_periods


def test_every_period_is_the_same_problem_as_none():
    assert SourcingParams((2, 0), (0.0, 20.0), 5.0, 495.0, review_periods=(1, 1)) == SourcingParams(
        (2, 0), (0.0, 20.0), 5.0, 495.0)


@pytest.mark.parametrize(("periods", "offsets", "fragment"), [
    ((0, 1), (), "'review_periods'"),
    ((7,), (), "'review_periods'"),
    ((7, 1), (7, 0), "within [0, R_k)"),
    ((), (1, 0), "empty unless 'review_periods'"),
])
def test_bad_review_periods_are_refused(periods, offsets, fragment):
    with pytest.raises(ValueError, match=fragment.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        SourcingParams((2, 0), (0.0, 20.0), 5.0, 495.0, review_periods=periods, review_offsets=offsets)


def test_an_order_outside_review_is_refused_never_zeroed():
    p = weekly_regular()
    check_review_periods(np.array([[4, 1]]), p, 10, "X")  # period 10 = 3 + 7: allowed
    check_review_periods(np.array([[0, 1]]), p, 4, "X")  # nothing ordered from the regular supplier
    with pytest.raises(ValueError, match="supplier 0 in period 4"):
        check_review_periods(np.array([[2, 1]]), p, 4, "X")


def test_round_trip_through_dict():
    prob = SourcingProblem(params=weekly_regular(), demand=UniformDemand(0, 4))
    d = prob.to_dict()
    assert d["suppliers"][0]["review_period"] == 7 and d["suppliers"][0]["review_offset"] == 3
    assert SourcingProblem.from_dict(d) == prob


def test_exact_methods_refuse_review_periods_until_they_model_them():
    from idinn.exact import solve_dual_sourcing_average_cost

    prob = SourcingProblem(params=weekly_regular(), demand=UniformDemand(0, 4))
    with pytest.raises(ValueError, match="review periods"):
        solve_dual_sourcing_average_cost(prob)


# --------------------------------------------------------------------------- the simulators
import re  # noqa: E402

import torch  # noqa: E402

from idinn import MultiSourcingModel  # noqa: E402
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel  # noqa: E402


def weekly_dual_model() -> DualSourcingModel:
    """Regular supplier (l_r = 2) reviewed every 7 days from day 3, expedited (l_e = 0) any day."""
    return DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=1,
                             expedited_order_cost=2, holding_cost=1, shortage_cost=10, init_inventory=5,
                             demand_generator=UniformDemand(0, 4), regular_review_period=7, regular_review_offset=3)


def test_hand_computed_trajectory_weekly_regular_daily_expedited():
    """Regular: 10 units on its review days (3 and 10); expedited: up to 3 on I_t + r_1 every day."""
    m = weekly_dual_model()
    assert m.get_review_periods() == (7, 1) and m.get_review_offsets() == (3, 0)
    demand = [2, 3, 1, 4, 0, 2, 3, 3, 1, 2, 4]
    costs = []
    for t, d in enumerate(demand):
        state = m.get_state().detach()
        q_r = 10.0 if (t - 3) % 7 == 0 else 0.0
        q_e = max(3.0 - float(state[0, 0] + state[0, 1]), 0.0)
        costs.append(m.step(torch.tensor([[q_r, q_e]]), torch.tensor([float(d)])).item())
    # by hand: t=2 expedites 3; t=3 orders 10 regular (arrives at t=5) and expedites 1 (I=2);
    # t=4 expedites 4 (I=-1); t=5 the 10 arrive; t=10 orders 10 regular and expedites 1
    assert m.get_past_inventories()[0].tolist() == [5, 3, 0, 2, -1, 3, 11, 8, 5, 4, 2, -1]
    assert m.get_past_regular_orders()[0].tolist() == [0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 10]
    assert m.get_past_expedited_orders()[0].tolist() == [0, 0, 0, 3, 1, 4, 0, 0, 0, 0, 0, 1]
    # period 3: c_r 10 + c_e 1*2 + backlog 1*10; period 5: holding 11
    assert costs[3] == 10 + 2 + 10 and costs[5] == 11 and costs[10] == 10 + 2 + 10


def test_the_simulator_refuses_an_order_off_review_and_counts_from_each_reset():
    m = weekly_dual_model()
    for _ in range(4):  # periods 0..3
        m.order(0, 1)
    msg = "The 'orders' parameter of DualSourcingModel must be ordering nothing from supplier 0 in period 4"
    with pytest.raises(ValueError, match=re.escape(msg)):
        m.order(2, 0)
    assert m.periods == 4  # refused before any state change
    m.reset()
    for _ in range(3):
        m.order(0, 0)
    m.order(5, 0)  # period 3 of the new simulation: a review day
    assert m.get_past_regular_orders()[0].tolist() == [0, 0, 0, 0, 5]


def test_single_and_multi_models_check_review_periods():
    s = SingleSourcingModel(lead_time=1, holding_cost=1, shortage_cost=9, init_inventory=0,
                            demand_generator=UniformDemand(0, 2), review_period=3, review_offset=2)
    with pytest.raises(ValueError, match=re.escape("supplier 0 in period 0 (it is reviewed every 3 periods from "
                                                   "period 2)")):
        s.order(1)
    s.order(0)
    s.order(0)
    s.order(4)  # period 2
    m = MultiSourcingModel(lead_times=[0, 1, 3], order_costs=[3, 2, 1], holding_cost=1, shortage_cost=9,
                           demand_generator=UniformDemand(0, 2), review_periods=[1, 2, 4], review_offsets=[0, 1, 0])
    m.order([1, 0, 2])  # period 0: suppliers 0 and 2
    with pytest.raises(ValueError, match="supplier 2 in period 1"):
        m.order([1, 1, 1])
    m.order([1, 1, 0])
    assert m.periods == 2


def test_review_period_keywords_are_checked_with_their_names():
    with pytest.raises(ValueError, match=re.escape("The 'regular_review_offset' parameter of DualSourcingModel must "
                                                   "be an int in [0, regular_review_period) = [0, 7). Got 7 instead.")):
        DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=1, expedited_order_cost=2,
                          holding_cost=1, shortage_cost=10, init_inventory=5, demand_generator=UniformDemand(0, 4),
                          regular_review_period=7, regular_review_offset=7)
    with pytest.raises(ValueError, match=re.escape("The 'review_period' parameter of SourcingProblem must be an "
                                                   "int >= 1. Got 0 instead.")):
        SourcingProblem.single(lead_time=0, holding_cost=1, shortage_cost=1, demand=UniformDemand(0, 2),
                               review_period=0)
    p = SourcingProblem.dual(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=1, expedited_order_cost=2,
                             holding_cost=1, shortage_cost=10, demand=UniformDemand(0, 4), init_inventory=5,
                             regular_review_period=7, regular_review_offset=3)
    assert p == weekly_dual_model().problem


# ------------------------------------------------------------------------- the heuristics
from idinn.dual_controller import (  # noqa: E402
    CappedDualIndexController,
    DualIndexController,
    SingleIndexController,
    TailoredBaseSurgeController,
)
from idinn.single_controller import BaseStockController  # noqa: E402
from idinn.single_controller.base_stock import periodic_review_base_stock  # noqa: E402


def test_periodic_review_base_stock_by_hand():
    """l = 0, R = 2, D in {0, 1} equally likely, h = 1, b = 9:
    C(S) = (E g(S - D) + E g(S - D1 - D2)) / 2 with g(x) = x^+ + 9 x^-:
    C(0) = (4.5 + 9) / 2, C(1) = (0.5 + 2.5) / 2 = 1.5, C(2) = (1.5 + 1) / 2 = 1.25, C(3) = (2.5 + 2) / 2."""
    demand = UniformDemand(0, 1)
    assert periodic_review_base_stock(demand, 0, 2, 1.0, 9.0) == (2, 1.25)
    for level, cost in [(0, 6.75), (1, 1.5), (3, 2.25)]:
        assert periodic_review_base_stock(demand, 0, 2, 1.0, 9.0, level=level) == (level, pytest.approx(cost))
    # R = 1 is the newsvendor optimum
    from idinn.single_controller.base_stock import optimal_base_stock

    assert periodic_review_base_stock(UniformDemand(0, 4), 2, 1, 5.0, 495.0) == optimal_base_stock(
        UniformDemand(0, 4), 2, 5.0, 495.0)


def test_base_stock_controller_is_the_r_s_policy():
    m = SingleSourcingModel(lead_time=0, holding_cost=1, shortage_cost=9, init_inventory=0, order_cost=2,
                            demand_generator=UniformDemand(0, 1), review_period=2, review_offset=1, batch_size=2048)
    c = BaseStockController().fit(m)
    assert (c.z_star, c.expected_cost_) == (2, 1.25 + 2 * 0.5) and not c.is_stationary
    assert c.predict(0, period=1) == 2 and c.predict(0, period=2) == 0
    simulated = float(c.get_average_cost(m, 400, seed=0))  # includes the start-up periods
    assert simulated == pytest.approx(c.expected_cost_, abs=0.05)


def test_dual_heuristics_order_regularly_on_review_days_only():
    m = weekly_dual_model()
    for cls in (DualIndexController, CappedDualIndexController, SingleIndexController, TailoredBaseSurgeController):
        c = cls().fit(m, sourcing_periods=200, n_paths=8, n_exact=1, seed=0)
        assert not c.is_stationary
        _, regular, expedited = c.simulate(m, 30, seed=1)  # the simulator refuses orders off review
        days = np.flatnonzero(regular[1:])
        assert set(days) <= {3, 10, 17, 24} and len(days) >= 3, cls.__name__
        assert expedited[1:].sum() > 0
    # tailored base surge: the constant regular order is placed once a week, so up to 7 x mean - 1
    tbs = TailoredBaseSurgeController().fit(m, sourcing_periods=100, n_paths=4, n_exact=1, seed=0)
    assert tbs.search_result_.candidates[:, 0].max() == 13


def test_dual_heuristics_refuse_review_periods_on_the_expedited_supplier():
    m = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=1, expedited_order_cost=2,
                          holding_cost=1, shortage_cost=10, init_inventory=5, demand_generator=UniformDemand(0, 4),
                          expedited_review_period=2)
    with pytest.raises(ValueError, match="must be a model whose expedited supplier can order every period"):
        DualIndexController().fit(m)
