"""Moved to :mod:`idinn.neural._kernels` (kept so that old imports keep working)."""

from .neural._kernels import rollout_forward, rollout_grad, step_cost  # noqa: F401
from .neural.network import (  # noqa: F401
    ACT_CELU,
    ACT_ELU,
    ACT_IDENTITY,
    ACT_LEAKY_RELU,
    ACT_RELU,
    ACT_SIGMOID,
    ACT_SILU,
    ACT_SOFTPLUS,
    ACT_TANH,
    STE_NEGATIVE_SLOPE,
)
