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
