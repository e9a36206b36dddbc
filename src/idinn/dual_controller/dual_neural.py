"""Import path of idinn 0.2 (``idinn.dual_controller.dual_neural``); the class lives in :mod:`.neural`."""

from .neural import DualSourcingNeuralController

__all__ = ["DualSourcingNeuralController"]
