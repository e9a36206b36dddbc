"""Neural controllers: network, differentiable rollout, fused kernels and training stages.

``TrainingProgress`` is what ``fit(..., callbacks=[...])`` reports; see
``docs/controllers/neural.md``.
"""

from .callbacks import TrainingProgress

__all__ = ["TrainingProgress"]
