"""Neural model selection: exact validation, and its fallback to common random numbers."""

from __future__ import annotations

import math
import warnings

import pytest

from idinn.demand import UniformDemand
from idinn.exact import evaluate_policy
from idinn.neural import TrainConfig
from idinn.neural.gradient import GradientTraining
from idinn.single_controller import SingleSourcingNeuralController
from idinn.sourcing_model import SingleSourcingModel


def model(lead_time: int) -> SingleSourcingModel:
    return SingleSourcingModel(
        lead_time=lead_time, holding_cost=5, shortage_cost=495, batch_size=32, init_inventory=10,
        demand_generator=UniformDemand(0, 4),
    )


def test_exact_validation_values_are_the_exact_costs_of_the_kept_weights():
    m = model(0)
    ctrl = SingleSourcingNeuralController().fit(
        m, sourcing_periods=50, validation_sourcing_periods=1000, epochs=400, seed=1, progress=False
    )
    assert ctrl.best_cost_ == pytest.approx(evaluate_policy(ctrl, m).average_cost, rel=1e-12)


def test_a_chain_too_large_for_exact_validation_falls_back_to_simulation_once():
    m = model(2)
    ctrl = SingleSourcingNeuralController()
    config = TrainConfig(
        sourcing_periods=30, epochs=120, validation_sourcing_periods=200, validation_freq=10, seed=3,
        progress=False, max_validation_states=5,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ctrl._fit_neural(m, config, [GradientTraining()])
    said = [w for w in caught if "exact validation stops here" in str(w.message)]
    assert len(said) == 1  # said once, not at every validation
    assert "more than 5 states" in str(said[0].message) and "max_validation_states" in str(said[0].message)
    vals = [h["val"] for h in ctrl.history_ if "val" in h]
    assert len(vals) == 13 and all(math.isfinite(v) for v in vals)  # no silent inf: every candidate measured
    assert ctrl.best_cost_ == pytest.approx(min(vals))
