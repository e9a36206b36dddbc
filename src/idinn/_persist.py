"""Saving and loading controllers in a format that never executes code from the file.

A saved controller is one ``torch.save`` file holding a dict of plain values only
(``str``, ``int``, ``float``, ``bool``, ``None``, lists, dicts with string keys and
``torch.Tensor`` s)::

    {"format": "idinn-controller", "version": 1, "class": "BaseStockController",
     "hyperparameters": {...},          # constructor arguments
     "problem": {...},                  # SourcingProblem.to_dict() it was fitted for
     "state": {...}}                    # what fit learned (the class's _fitted_state())

It is read back with ``torch.load(weights_only=True)``, torch's restricted unpickler, which
builds tensors and plain containers only: a crafted file cannot run code. NumPy arrays
travel as tensors (exact for every integer and float64 dtype), dataclasses (exact
solutions) as dicts of their fields, rebuilt only as classes of the solution's own module.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

FORMAT = "idinn-controller"
VERSION = 1

_ND = "__ndarray__"
_DC = "__dataclass__"
_TUP = "__tuple__"
_MAP = "__mapping__"


def encode(value: Any) -> Any:
    """``value`` as plain data that ``torch.load(weights_only=True)`` reads back.

    Raises
    ------
    TypeError
        For a value of another type (naming it).
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError("cannot save a NumPy array of Python objects")
        return {_ND: torch.from_numpy(np.ascontiguousarray(value).copy()), "dtype": str(value.dtype)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return {_DC: type(value).__qualname__, "module": type(value).__module__, "fields": fields}
    if isinstance(value, tuple):
        return {_TUP: [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        if all(isinstance(k, str) for k in value) and not any(k.startswith("__") for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {_MAP: [[encode(k), encode(v)] for k, v in value.items()]}
    raise TypeError(f"cannot save a value of type {type(value).__name__}")


def decode(value: Any, dataclass_home: type | None = None) -> Any:
    """Inverse of :func:`encode`.

    Dataclasses are rebuilt only when ``dataclass_home`` is given, and only as dataclasses
    found by name in the module that defines ``dataclass_home`` (the expected solution
    class and the private structures it holds).
    """
    if isinstance(value, list):
        return [decode(v, dataclass_home) for v in value]
    if not isinstance(value, dict):
        return value
    if _ND in value:
        arr = value[_ND].numpy()
        return arr.astype(np.dtype(value["dtype"]), copy=True)
    if _TUP in value:
        return tuple(decode(v, dataclass_home) for v in value[_TUP])
    if _MAP in value:
        return {decode(k, dataclass_home): decode(v, dataclass_home) for k, v in value[_MAP]}
    if _DC in value:
        cls = _dataclass_named(value[_DC], value.get("module"), dataclass_home)
        fields = {k: decode(v, dataclass_home) for k, v in value["fields"].items()}
        return cls(**fields)
    return {k: decode(v, dataclass_home) for k, v in value.items()}


def _dataclass_named(name: str, module: Any, home: type | None) -> type:
    """The dataclass ``module.name`` of a saved solution, found without importing anything.

    Only the expected class ``home`` and dataclasses of idinn modules that are already
    imported (the structures ``home`` holds) qualify.
    """
    if home is None:
        raise ValueError(f"unexpected saved dataclass {name!r}")
    if name == home.__qualname__ and module in (None, home.__module__):
        return home
    places = [home.__module__]
    if isinstance(module, str) and module.startswith("idinn."):
        places.insert(0, module)
    for place in places:
        candidate = vars(sys.modules[place]).get(name) if place in sys.modules else None
        if isinstance(candidate, type) and dataclasses.is_dataclass(candidate):
            return candidate
    raise ValueError(f"unexpected saved dataclass {name!r} (not a structure of {home.__qualname__})")


def read_payload(path: str | Path, owner: str) -> dict[str, Any]:
    """The dict saved in ``path``, read safely; refuses files that are not saved controllers.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not a saved idinn controller (or one that would need code to be read).
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"No such file: {str(p)!r} ({owner}).")
    try:
        payload = torch.load(str(p), weights_only=True, map_location="cpu")
    except Exception as exc:  # noqa: BLE001 - any failure means "not a file we wrote"
        raise ValueError(
            f"{str(p)!r} is not a saved idinn controller; {owner} refused to read it (it reads plain data "
            f"only and never runs code from a file): {exc}"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or "class" not in payload:
        raise ValueError(f"{str(p)!r} is not a saved idinn controller ({owner}).")
    version = payload.get("version", 1)
    if not isinstance(version, int) or version > VERSION:
        raise ValueError(
            f"{str(p)!r} was saved by a newer idinn (format version {version}; this one reads up to "
            f"{VERSION}). Upgrade idinn to load it."
        )
    return payload


def write_payload(path: str | Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` (plain data, see :func:`encode`) with ``torch.save``."""
    torch.save(payload, str(path))
