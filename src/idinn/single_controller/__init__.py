"""Single-sourcing controllers."""

from .base import BaseSingleController
from .base_stock import BaseStockController
from .modified_base_stock import ModifiedBaseStockController
from .lost_sales_dp import LostSalesDPController
from .lost_sales_policies import LostSalesPolicyController
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
    "LostSalesPolicyController",
    "SingleSourcingNeuralController",
    "SSController",
]
