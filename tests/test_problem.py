"""Tests of the frozen problem specification: validation, equality and the dict round trip."""

from __future__ import annotations

import json
import re

import pytest

from idinn.demand import DiscretizedNormalDemand, PoissonDemand, SeasonalDemand, UniformDemand
from idinn.dynamics import SourcingParams
from idinn.problem import SourcingProblem, as_problem
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


def dual_problem() -> SourcingProblem:
    return SourcingProblem.dual(
        regular_lead_time=2, expedited_lead_time=0, regular_order_cost=100, expedited_order_cost=108,
        holding_cost=5, shortage_cost=495, demand=DiscretizedNormalDemand(mean=25, std=8), init_inventory=30,
    )


def test_dict_round_trip_through_json():
    for p in (
        dual_problem(),
        SourcingProblem.single(lead_time=3, holding_cost=1, shortage_cost=9, demand=PoissonDemand(2.0), init_inventory=-4),
        SourcingProblem(SourcingParams((1, 0), (0.0, 1.0), 1.0, 9.0), SeasonalDemand.uniform([0, 4], [2, 6]), 3, (2,)),
    ):
        d = p.to_dict()
        rebuilt = SourcingProblem.from_dict(json.loads(json.dumps(d)))
        assert rebuilt == p and hash(rebuilt) == hash(p)
        assert rebuilt.to_dict() == d


def test_dict_layout():
    p = SourcingProblem.single(lead_time=0, holding_cost=5, shortage_cost=495, demand=UniformDemand(0, 4), init_inventory=10)
    assert p.to_dict() == {
        "suppliers": [{"lead_time": 0, "order_cost": 0.0}],
        "holding_cost": 5.0,
        "shortage_cost": 495.0,
        "excess_demand": "backlog",
        "demand": {"type": "uniform", "low": 0, "high": 4},
        "init_inventory": 10,
        "init_pipeline": [],
    }
    # defaults may be left out of a hand-written dict
    short = {"suppliers": [{"lead_time": 0}], "holding_cost": 5, "shortage_cost": 495,
             "demand": {"type": "uniform", "low": 0, "high": 4}, "init_inventory": 10}
    assert SourcingProblem.from_dict(short) == p


def test_equality_is_by_value():
    assert dual_problem() == dual_problem()
    assert dual_problem() != dual_problem().replace(init_inventory=29)
    assert len({dual_problem(), dual_problem()}) == 1
    m = DualSourcingModel(2, 0, 100, 108, 5, 495, 30, DiscretizedNormalDemand(mean=25, std=8))
    assert as_problem(m) == dual_problem()


@pytest.mark.parametrize(
    "change, exc, msg",
    [
        ({"holding_cost": -1}, ValueError, "The 'holding_cost' parameter of SourcingProblem.from_dict must be a finite real number >= 0. Got -1 instead."),
        ({"seeed": 1}, ValueError, "The 'seeed' parameter of SourcingProblem.from_dict must be one of the keys"),
        ({"suppliers": [{"lead_time": 1, "capacity": 0}]}, ValueError,
         "The 'capacity' parameter of SourcingProblem.from_dict must be an int >= 1. Got 0 instead."),
        ({"suppliers": []}, TypeError, "The 'suppliers' parameter of SourcingProblem.from_dict must be a non-empty list"),
        ({"excess_demand": "lost"}, ValueError,
         "The 'excess_demand' parameter of SourcingParams must be one of ('backlog', 'lost_sales'). Got 'lost' instead."),
        ({"demand": {"type": "uniform", "low": 3, "high": 1}}, ValueError, "The 'high' parameter of UniformDemand must be an int >= low (3). Got 1 instead."),
    ],
)
def test_from_dict_refuses_bad_input(change, exc, msg):
    d = {**dual_problem().to_dict(), **change}
    with pytest.raises(exc, match=re.escape(msg)):
        SourcingProblem.from_dict(d)


def test_missing_key_named():
    d = dual_problem().to_dict()
    del d["demand"]
    with pytest.raises(ValueError, match=re.escape("The 'demand' parameter of SourcingProblem.from_dict must be given (required key)")):
        SourcingProblem.from_dict(d)


def test_excess_demand_declared_on_params():
    assert SourcingParams((1,), (0.0,), 1, 1).excess_demand == "backlog"
    assert SourcingParams((1,), (0.0,), 1, 1, excess_demand="lost_sales").excess_demand == "lost_sales"
    with pytest.raises(ValueError, match=re.escape("The 'excess_demand' parameter of SourcingParams must be one of")):
        SourcingParams((1,), (0.0,), 1, 1, excess_demand="backorder")


def test_quantities_beyond_float32_exact_integers_are_refused():
    msg = "The 'init_inventory' parameter of SingleSourcingModel must be an int between -16777216 and 16777216"
    with pytest.raises(ValueError, match=re.escape(msg)):
        SingleSourcingModel(0, 1, 1, init_inventory=16777217, demand_generator=UniformDemand(0, 1))
    with pytest.raises(ValueError, match="between -16777216 and 16777216"):
        SourcingProblem.single(lead_time=0, holding_cost=1, shortage_cost=1, demand=UniformDemand(0, 1), init_inventory=-16777217)
    # the limit itself is held exactly
    m = SingleSourcingModel(0, 1, 1, init_inventory=16777216, demand_generator=UniformDemand(0, 0))
    assert m.problem.init_inventory == 16777216


@pytest.mark.parametrize(
    "make, kwargs, state",
    [
        ("BaseStockController", {}, {"current_inventory": -1, "past_orders": [2]}),
        ("FiniteHorizonBaseStockController", {"horizon": 5}, {"current_inventory": 0, "past_orders": [1], "period": 1}),
        ("DynamicProgrammingController", {}, {"current_inventory": 0, "past_regular_orders": [1, 0]}),
        ("CappedDualIndexController", {"sourcing_periods": 40, "seed": 0, "n_paths": 4, "n_exact": 1},
         {"current_inventory": 0, "past_regular_orders": [1, 0]}),
        ("DiscountedDPController", {"discount": 0.8}, {"current_inventory": 1, "past_regular_orders": [0, 2], "period": 2}),
    ],
)
def test_classical_and_exact_controllers_fit_a_problem(make, kwargs, state):
    import idinn.dual_controller as dual
    import idinn.single_controller as single

    cls = getattr(single, make, None) or getattr(dual, make)
    if cls._model_class is SingleSourcingModel:
        problem = SourcingProblem.single(lead_time=1, holding_cost=1, shortage_cost=9, demand=UniformDemand(0, 2),
                                         init_inventory=2)
    else:
        problem = SourcingProblem.dual(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0,
                                       expedited_order_cost=5, holding_cost=1, shortage_cost=9,
                                       demand=UniformDemand(0, 2), init_inventory=2)
    from_problem = cls().fit(problem, **kwargs)
    from_model = cls().fit(type(from_problem.sourcing_model).from_problem(problem), **kwargs)
    assert from_problem.sourcing_model.problem == problem
    assert from_problem.predict(**state) == from_model.predict(**state)
