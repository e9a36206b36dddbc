"""Dual-sourcing controllers: neural, exact dynamic programming and classical heuristics."""

from .base import BaseDualController
from .capped_dual_index import CappedDualIndexController
from .dual_index import DualIndexController
from .dynamic_programming import DynamicProgrammingController
from .neural import DualSourcingNeuralController
from .single_index import SingleIndexController
from .tailored_base_surge import TailoredBaseSurgeController
from .time_dp import DiscountedDPController, FiniteHorizonDPController

__all__ = [
    "BaseDualController",
    "CappedDualIndexController",
    "DiscountedDPController",
    "FiniteHorizonDPController",
    "DualIndexController",
    "DualSourcingNeuralController",
    "DynamicProgrammingController",
    "SingleIndexController",
    "TailoredBaseSurgeController",
]
