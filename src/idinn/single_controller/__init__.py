"""Single-sourcing controllers."""

from .base import BaseSingleController
from .base_stock import BaseStockController
from .neural import SingleSourcingNeuralController
from .time_dp import DiscountedBaseStockController, FiniteHorizonBaseStockController

__all__ = [
    "BaseSingleController",
    "BaseStockController",
    "DiscountedBaseStockController",
    "FiniteHorizonBaseStockController",
    "SingleSourcingNeuralController",
]
