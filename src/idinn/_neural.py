"""Moved to :mod:`idinn.neural` (kept so that old imports keep working)."""

from .neural.controller import NeuralController as NeuralControllerMixin  # noqa: F401
from .neural.network import demand_moments, input_standardization, interval_loss, time_features  # noqa: F401
