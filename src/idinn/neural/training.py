"""Training configuration and the driver that runs the training stages in order.

A ``fit`` of a neural controller is :func:`train` with a :class:`TrainConfig` (the
numbers) and a list of stages (:mod:`idinn.neural.stages`): warm start by imitation of
a heuristic, exact approximate policy iteration, gradient training through the
dynamics. Each stage is a small object with a ``name`` and ``run(run)``; they share one
:class:`TrainingRun` (the network, the model, the generator, the callbacks).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import numbers
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from .._validation import check_int, check_real, check_seed, fail
from .callbacks import Callback, Session

logger = logging.getLogger("idinn.neural")


def check_bool(value: Any, name: str, owner: str) -> bool:
    """``value`` if it is a bool (``"no"`` or ``1`` are refused, not read as true)."""
    if not isinstance(value, bool | np.bool_):
        fail(name, owner, "a bool (True or False)", value, TypeError)
    return bool(value)


def check_writer(writer: Any, owner: str) -> None:
    """``tensorboard_writer`` must be None or have ``add_scalar``."""
    if writer is not None and not hasattr(writer, "add_scalar"):
        fail("tensorboard_writer", owner, "a torch.utils.tensorboard.SummaryWriter", writer, TypeError)


@dataclass(frozen=True)
class TrainConfig:
    """Every number and switch of one neural ``fit`` (the paper's arguments and ours).

    The fields carry the meaning of the ``fit`` arguments of the same name
    (:meth:`idinn.single_controller.SingleSourcingNeuralController.fit`,
    :meth:`idinn.dual_controller.DualSourcingNeuralController.fit`).

    Attributes
    ----------
    sourcing_periods : int
        Periods :math:`T` per training rollout.
    epochs : int
        Gradient steps of the gradient stage.
    validation_sourcing_periods : int or None
        Periods of the validation rollout (``None``: no validation, no model selection).
    validation_freq, log_freq : int
        Validate / log every this many epochs.
    init_inventory_freq : int
        Update the learned initial inventory every this many epochs.
    init_inventory_lr, parameters_lr : float
        Learning rates (RMSprop for :math:`I_0`, ``optimizer`` for the network).
    seed : int or None
        Seeds the private generator of weights and demand.
    discount : float in (0, 1) or None
        Discounted objective.
    progress : bool or None
        tqdm bar (None: when stderr is a terminal).
    warm_start : bool
        Continue from the current weights.
    validation : {"auto", "exact", "simulation"}
        How validation costs are measured (exact falls back to common random numbers when
        the policy's chain exceeds ``max_validation_states``; said once).
    finite_horizon : bool
        Minimise the total cost of exactly ``sourcing_periods`` periods.
    learn_init_inventory : bool
        Learn :math:`I_0` (average-cost objective only).
    imitation_steps, policy_iteration_steps : int
        Regression steps of the warm start / of each policy-iteration round.
    policy_iterations : int
        Rounds of exact approximate policy iteration (0: none).
    revert_tolerance : float or None
        Reload the best weights when a validation exceeds the best by this fraction.
    optimizer : {"adam", "rmsprop"}
    patience : int or None
        Early stop after this many validations without improvement.
    max_grad_norm : float or None
        Clip the gradient norm of each step.
    tune_threads : bool, default=True
        While training, run torch and BLAS on one thread and flush denormal floats to zero
        (small networks gain nothing from threads; denormals slow products by orders of
        magnitude). Every setting is restored afterwards, including a flush-denormal mode
        the user had turned on. ``False`` leaves the process settings alone.
    max_validation_states : int, default=50000
        Largest Markov chain evaluated exactly for validation.
    burn_in_periods : int, default=0
        The costs of the first this many periods of every training and simulated
        validation rollout are not counted (their orders are still trained for their
        effect on the later costs): the objective is then the cost of a system already
        running rather than one started empty (long lead times, lost sales).
    """

    sourcing_periods: int
    epochs: int
    validation_sourcing_periods: int | None = None
    validation_freq: int = 50
    log_freq: int = 100
    init_inventory_freq: int = 4
    init_inventory_lr: float = 0.1
    parameters_lr: float = 3e-2
    seed: int | None = None
    discount: float | None = None
    progress: bool | None = None
    warm_start: bool = False
    validation: str = "auto"
    finite_horizon: bool = False
    learn_init_inventory: bool = True
    imitation_steps: int = 2000
    policy_iterations: int = 0
    policy_iteration_steps: int = 1000
    revert_tolerance: float | None = None
    optimizer: str = "adam"
    patience: int | None = None
    max_grad_norm: float | None = None
    tune_threads: bool = True
    max_validation_states: int = 50_000
    burn_in_periods: int = 0

    def checked(self, owner: str) -> "TrainConfig":
        """A copy with every field validated (errors name ``owner``'s ``fit`` argument)."""
        c: dict[str, Any] = {}
        c["sourcing_periods"] = check_int(self.sourcing_periods, "sourcing_periods", owner, minimum=1)
        c["epochs"] = check_int(self.epochs, "epochs", owner, minimum=1)
        if self.validation_sourcing_periods is not None:
            c["validation_sourcing_periods"] = check_int(
                self.validation_sourcing_periods, "validation_sourcing_periods", owner, minimum=1
            )
        for name in ("validation_freq", "log_freq", "init_inventory_freq", "imitation_steps",
                     "policy_iteration_steps", "max_validation_states"):
            c[name] = check_int(getattr(self, name), name, owner, minimum=1)
        c["policy_iterations"] = check_int(self.policy_iterations, "policy_iterations", owner, minimum=0)
        c["burn_in_periods"] = check_int(self.burn_in_periods, "burn_in_periods", owner, minimum=0)
        if c["burn_in_periods"] >= c["sourcing_periods"]:
            fail("burn_in_periods", owner, f"an int below sourcing_periods ({c['sourcing_periods']})",
                 self.burn_in_periods)
        c["init_inventory_lr"] = check_real(self.init_inventory_lr, "init_inventory_lr", owner, minimum=0)
        c["parameters_lr"] = check_real(self.parameters_lr, "parameters_lr", owner, exclusive_minimum=0)
        c["seed"] = check_seed(self.seed, "seed", owner)
        if self.discount is not None:
            c["discount"] = check_real(self.discount, "discount", owner, exclusive_minimum=0, exclusive_maximum=1)
        if self.patience is not None:
            c["patience"] = check_int(self.patience, "patience", owner, minimum=1)
        if self.revert_tolerance is not None:
            c["revert_tolerance"] = check_real(self.revert_tolerance, "revert_tolerance", owner, minimum=0)
        if self.max_grad_norm is not None:
            c["max_grad_norm"] = check_real(self.max_grad_norm, "max_grad_norm", owner, exclusive_minimum=0)
        for name in ("warm_start", "finite_horizon", "learn_init_inventory", "tune_threads"):
            c[name] = check_bool(getattr(self, name), name, owner)
        if self.progress is not None:
            c["progress"] = check_bool(self.progress, "progress", owner)
        if self.optimizer not in ("adam", "rmsprop"):
            fail("optimizer", owner, "'adam' or 'rmsprop'", self.optimizer)
        if self.validation not in ("auto", "exact", "simulation"):
            fail("validation", owner, "one of 'auto', 'exact', 'simulation'", self.validation)
        return dataclasses.replace(self, **c)


# ---------------------------------------------------------------- process settings
def flush_denormal_enabled() -> bool:
    """Whether denormal floats are flushed to zero on this thread (probed, torch has no getter)."""
    tiny = torch.tensor([1e-310], dtype=torch.float64)
    return bool((tiny * 1.0).item() == 0.0)


@contextlib.contextmanager
def thread_settings(enabled: bool = True) -> Iterator[None]:
    """One torch thread, one BLAS thread and flushed denormals inside; everything restored after.

    The networks here are small: several threads buy nothing and, on a busy machine,
    their spin-waiting made training steps tens of times slower; denormal floats (weights
    or activations decaying towards 0) slow CPU matrix products by orders of magnitude.
    """
    if not enabled:
        yield
        return
    import scipy.linalg.cython_blas  # noqa: F401 - the BLAS numba's kernels call: loaded now, so it is limited too
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    flushed_before = flush_denormal_enabled()
    torch.set_num_threads(1)
    blas = threadpool_limits(limits=1, user_api="blas")  # numba's BLAS calls, numpy, scipy
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        blas.restore_original_limits()
        torch.set_num_threads(threads)
        torch.set_flush_denormal(flushed_before)


# ---------------------------------------------------------------- stages
class TrainingRun:
    """What the stages of one ``fit`` share.

    Attributes
    ----------
    controller : neural controller
        Holds the network (``controller.model``) and the policy (``controller.policy``).
    model : sourcing model
        The problem being trained on (its ``init_inventory`` may be learned).
    config : TrainConfig
    session : idinn.neural.callbacks.Session
        Callbacks, clock and the stop request.
    generator : torch.Generator
        The one source of randomness of this fit.
    """

    def __init__(self, controller: Any, model: Any, config: TrainConfig, session: Session, generator: torch.Generator):
        self.controller = controller
        self.model = model
        self.config = config
        self.session = session
        self.generator = generator
        self.params = model.params
        self.demand = model.demand_generator

    @property
    def net(self) -> torch.nn.Module:
        """The module from ``[state, phi]`` to raw outputs (``controller.policy_network``)."""
        return self.controller.policy_network

    @property
    def stop_requested(self) -> bool:
        return self.session.stop_requested

    def report(self, stage: str, epoch: int, epochs: int, **costs: float | None) -> bool:
        return self.session.report(stage, epoch, epochs, **costs)

    def child_generator(self) -> torch.Generator:
        """A generator seeded from this run's (for a fixed validation set)."""
        return torch.Generator().manual_seed(int(torch.randint(0, 2**62, (1,), generator=self.generator)))


class Stage(Protocol):
    """One step of a training recipe."""

    name: str

    def run(self, run: TrainingRun) -> None: ...


def train(
    controller: Any,
    model: Any,
    config: TrainConfig,
    stages: Sequence[Stage],
    callbacks: Sequence[Callback] = (),
    generator: torch.Generator | None = None,
) -> TrainingRun:
    """Run ``stages`` in order (stopping early on a cancel or Ctrl-C).

    The network must already be built (``controller.model``). Sets
    ``controller.cancelled_``. Thread and denormal settings follow ``config.tune_threads``.
    """
    if generator is None:
        generator = torch.Generator()
        if config.seed is None:
            generator.seed()
        else:
            generator.manual_seed(config.seed)
    controller.cancelled_ = False
    with thread_settings(config.tune_threads), Session(callbacks) as session:
        run = TrainingRun(controller, model, config, session, generator)
        try:
            for stage in stages:
                if session.stop_requested:
                    break
                stage.run(run)
        finally:
            controller.cancelled_ = session.stop_requested
            if session.stop_requested:
                logger.warning(
                    "%s.fit stopped early (%s); the best weights so far are kept.",
                    type(controller).__name__, "Ctrl-C" if session.interrupted else "a callback asked to stop",
                )
    return run


def is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)
