"""Progress reports, cancellation and Ctrl-C handling for neural training.

Every training stage reports a :class:`TrainingProgress` to the callbacks given to
``fit(..., callbacks=[...])``. A callback that returns ``True`` asks training to stop:
the stage in progress ends at its next step boundary, the later stages are skipped, the
best weights seen so far are kept and the controller's ``cancelled_`` attribute is set.
Ctrl-C (SIGINT) during ``fit`` does the same; a second Ctrl-C interrupts as usual.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .._validation import fail

logger = logging.getLogger("idinn.neural")

#: The stages, in the order they run.
STAGES = ("warm_start", "policy_iteration", "gradient")


@dataclass(frozen=True)
class TrainingProgress:
    """One progress report of a training stage.

    Attributes
    ----------
    stage : {"warm_start", "policy_iteration", "gradient"}
        The stage reporting: imitation of a heuristic policy, exact (approximate) policy
        iteration, or gradient training through the dynamics.
    epoch : int
        Steps done in this stage (regression steps, policy iterations or epochs), from 1.
    epochs : int
        Steps planned for this stage (the stage may stop earlier).
    train_cost : float or None
        Training loss: cost per period of this epoch's sample paths (gradient stage) or
        the regression loss (warm start); ``None`` where not measured.
    validation_cost : float or None
        Validation cost per period measured at this step (exact or common random numbers);
        ``None`` when this step did not validate.
    best_cost : float or None
        Best validation cost per period so far in this stage (``None`` before the first).
    elapsed_s : float
        Seconds since ``fit`` started.
    """

    stage: str
    epoch: int
    epochs: int
    train_cost: float | None
    validation_cost: float | None
    best_cost: float | None
    elapsed_s: float


Callback = Callable[[TrainingProgress], "bool | None"]


def check_callbacks(callbacks: Any, owner: str) -> tuple[Callback, ...]:
    """Validate ``callbacks`` (``None`` or a sequence of callables) before any work."""
    if callbacks is None:
        return ()
    if callable(callbacks):
        return (callbacks,)
    if isinstance(callbacks, str | bytes) or not isinstance(callbacks, Sequence):
        fail("callbacks", owner, "None or a sequence of callables cb(progress) -> bool | None", callbacks, TypeError)
    for cb in callbacks:
        if not callable(cb):
            fail("callbacks", owner, "None or a sequence of callables cb(progress) -> bool | None", cb, TypeError)
    return tuple(callbacks)


class Session:
    """State shared by the stages of one ``fit``: clock, callbacks and the stop request.

    Use as a context manager: inside it (main thread only) the first Ctrl-C sets
    :attr:`stop_requested` instead of raising ``KeyboardInterrupt`` inside a compiled kernel;
    the previous SIGINT handler is always restored.
    """

    def __init__(self, callbacks: Sequence[Callback] = ()) -> None:
        self.callbacks = tuple(callbacks)
        self.start = time.perf_counter()
        self.stop_requested = False
        self.interrupted = False
        self._previous_handler: Any = None
        self._installed = False

    # ------------------------------------------------------------ Ctrl-C
    def _on_sigint(self, signum: int, frame: Any) -> None:
        if self.interrupted:  # second Ctrl-C: the user insists
            raise KeyboardInterrupt
        self.interrupted = True
        self.stop_requested = True
        logger.warning("Ctrl-C: training stops at the next step and keeps the best weights so far.")

    def __enter__(self) -> "Session":
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous_handler = signal.signal(signal.SIGINT, self._on_sigint)
                self._installed = True
            except (ValueError, OSError):  # embedded interpreters without signals
                self._installed = False
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous_handler)
            self._installed = False

    # ------------------------------------------------------------ reports
    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self.start

    def report(
        self,
        stage: str,
        epoch: int,
        epochs: int,
        train_cost: float | None = None,
        validation_cost: float | None = None,
        best_cost: float | None = None,
    ) -> bool:
        """Send one report to every callback; True when training must stop."""
        if self.callbacks:
            progress = TrainingProgress(
                stage=stage,
                epoch=int(epoch),
                epochs=int(epochs),
                train_cost=None if train_cost is None else float(train_cost),
                validation_cost=None if validation_cost is None else float(validation_cost),
                best_cost=None if best_cost is None else float(best_cost),
                elapsed_s=self.elapsed_s,
            )
            for cb in self.callbacks:
                if cb(progress) is True:
                    if not self.stop_requested:
                        logger.info("a callback asked training to stop (%s, step %d)", stage, epoch)
                    self.stop_requested = True
        return self.stop_requested
