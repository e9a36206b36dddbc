"""Per-session state: a private temporary folder and background jobs.

Everything a visitor's session writes (uploads, saved controllers) goes into its own
``tempfile.mkdtemp`` folder, removed when the session's state is garbage-collected
(Streamlit drops it after the browser tab closes) and at interpreter exit. Long work runs
in a :class:`Job`: a daemon thread whose progress the page polls, so the page stays
responsive and a cancel button can stop it.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

__all__ = ["SessionFolder", "session_folder", "Job", "describe_error"]


class SessionFolder:
    """A temporary folder owned by one browser session (removed with the object)."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="idinn-app-"))
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), True)

    def file(self, name: str) -> Path:
        """Path of ``name`` inside the folder (only the base name of ``name`` is used)."""
        return self.path / Path(name).name

    def cleanup(self) -> None:
        self._finalizer()


def session_folder() -> SessionFolder:
    """This session's folder, created on first use."""
    if "_idinn_folder" not in st.session_state:
        st.session_state["_idinn_folder"] = SessionFolder()
    return st.session_state["_idinn_folder"]


def describe_error(exc: BaseException) -> str:
    """A one-line message for the page (never a traceback)."""
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, KeyError):
        text = f"missing {text}"
    return text


class Job:
    """Work running in a background thread, with progress, result and cancellation.

    Parameters
    ----------
    target : callable
        ``target(job)`` does the work; it reports through :meth:`report` and checks
        :attr:`cancelled`; its return value becomes :attr:`result`.
    """

    def __init__(self, target: Callable[[Job], Any]) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self.events: list[dict[str, Any]] = []
        self.status = "running"
        self.result: Any = None
        self.error: str | None = None
        self.started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="idinn-app-job", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.result = self._target(self)
            self.status = "cancelled" if self._cancel.is_set() else "done"
        except Exception as exc:  # shown inline on the page, never as a traceback
            self.error = describe_error(exc)
            self.status = "failed"

    # ------------------------------------------------------------ worker side
    def report(self, **event: Any) -> None:
        """Record one progress event (thread-safe)."""
        with self._lock:
            self.events.append(event)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # -------------------------------------------------------------- page side
    def cancel(self) -> None:
        """Ask the work to stop at its next step boundary."""
        self._cancel.set()

    def snapshot(self) -> list[dict[str, Any]]:
        """A copy of the progress events so far."""
        with self._lock:
            return list(self.events)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work ends (tests); True when it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()
