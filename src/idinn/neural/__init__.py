"""Neural controllers: network, differentiable rollout, fused kernels and training stages.

- :mod:`.network` -- the MLP, activations, input standardisation, time features;
- :mod:`.rollout` -- the autograd rollout and the bridge to the fused kernels (:mod:`._kernels`);
- :mod:`.training` -- :class:`TrainConfig`, :func:`train`, process thread settings;
- :mod:`.stages`, :mod:`.gradient` -- the stages (warm start, policy iteration, gradient);
- :mod:`.validation` -- exact validation with a common-random-number fallback;
- :mod:`.callbacks` -- :class:`TrainingProgress`, cancellation and Ctrl-C;
- :mod:`.io` -- save and load (our format, and networks saved by idinn 0.2);
- :mod:`.controller` -- :class:`NeuralController`, the ``torch.nn.Module`` both neural controllers share.

See ``docs/controllers/neural.md``.
"""

from .callbacks import TrainingProgress
from .training import TrainConfig, thread_settings, train

__all__ = ["TrainingProgress", "TrainConfig", "train", "thread_settings"]
