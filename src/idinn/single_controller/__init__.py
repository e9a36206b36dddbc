"""Single-sourcing controllers."""

from .base import BaseSingleController
from .base_stock import BaseStockController
from .lost_sales_dp import LostSalesDPController
from .neural import SingleSourcingNeuralController
from .time_dp import DiscountedBaseStockController, FiniteHorizonBaseStockController

__all__ = [
    "BaseSingleController",
    "BaseStockController",
    "DiscountedBaseStockController",
    "FiniteHorizonBaseStockController",
    "LostSalesDPController",
    "SingleSourcingNeuralController",
]
