"""Moved to :mod:`idinn.neural.rollout` (kept so that old imports keep working)."""

from .neural.network import Standardize, ste_orders  # noqa: F401
from .neural.rollout import FusedMLP, torch_rollout_cost  # noqa: F401
