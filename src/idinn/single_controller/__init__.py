"""Single-sourcing controllers."""

from .base import BaseSingleController
from .base_stock import BaseStockController
from .neural import SingleSourcingNeuralController

__all__ = ["BaseSingleController", "BaseStockController", "SingleSourcingNeuralController"]
