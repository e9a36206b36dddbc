"""Fitted heuristics reach the test bed's best cost of their family (fast instances only).

All nine U{0..4} instances x four families run in ``benchmarks/check_testbed_heuristics.py``.
"""

from __future__ import annotations

import pytest

from idinn.dual_controller import (
    CappedDualIndexController,
    DualIndexController,
    SingleIndexController,
    TailoredBaseSurgeController,
)
from idinn.instances import get_instance, make_model

FAMILIES = {
    "best_capped_dual_index_cost": CappedDualIndexController,
    "best_dual_index_cost": DualIndexController,
    "best_tailored_base_surge_cost": TailoredBaseSurgeController,
    "best_single_index_cost": SingleIndexController,
}


@pytest.mark.parametrize(
    ("name", "column"),
    [("lr2_ce20_u04", column) for column in FAMILIES] + [("lr3_ce10_u04", "best_capped_dual_index_cost")],
)
def test_fit_reaches_testbed_value(name, column):
    instance = get_instance(name)
    controller = FAMILIES[column]().fit(make_model(instance), seed=0)
    assert controller.best_cost_is_exact_
    assert controller.best_cost_ <= getattr(instance, column) + 1e-3
    # a heuristic never beats the dynamic-programming optimum
    assert controller.best_cost_ >= instance.optimal_cost - 1e-3
