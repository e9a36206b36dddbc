"""idinn: inventory-dynamics control with neural networks."""

from __future__ import annotations

from typing import Any

__version__ = "1.0.0.dev0"

__all__ = ["load_controller", "NotFittedError", "MultiSourcingModel", "__version__"]


def __getattr__(name: str) -> Any:
    """``load_controller``, ``NotFittedError`` and ``MultiSourcingModel``, imported on first use (``import idinn`` stays light)."""
    if name == "load_controller":
        from ._controller import load_controller

        return load_controller
    if name == "NotFittedError":
        from ._validation import NotFittedError

        return NotFittedError
    if name == "MultiSourcingModel":
        from .multi_sourcing_model import MultiSourcingModel

        return MultiSourcingModel
    raise AttributeError(f"module 'idinn' has no attribute {name!r}")
