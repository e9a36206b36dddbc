"""Single-sourcing controllers."""

from .base import BaseSingleController
from .base_stock import BaseStockController
from .modified_base_stock import ModifiedBaseStockController
from .lost_sales_dp import LostSalesDPController
from .neural import SingleSourcingNeuralController
from .ss_policy import SSController
from .time_dp import DiscountedBaseStockController, FiniteHorizonBaseStockController

__all__ = [
    "BaseSingleController",
    "BaseStockController",
    "DiscountedBaseStockController",
    "FiniteHorizonBaseStockController",
    "ModifiedBaseStockController",
    "LostSalesDPController",
    "SingleSourcingNeuralController",
    "SSController",
]
