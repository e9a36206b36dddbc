"""Import path of idinn 0.2 (``idinn.single_controller.single_neural``); the class lives in :mod:`.neural`."""

from .neural import SingleSourcingNeuralController

__all__ = ["SingleSourcingNeuralController"]
