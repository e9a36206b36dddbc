"""Shared pieces of :mod:`idinn.config`: the error type, key and type checks, the TOML writer."""

from __future__ import annotations

import difflib
import inspect
import json
import math
import re
from typing import Any

from ._validation import _message

SECTIONS = ("model", "controller", "training", "evaluation", "plot")


class ConfigError(ValueError):
    """A configuration that cannot describe a model, a controller or a run."""


# ------------------------------------------------------------------------ key checks
def _snake(name: str) -> str:
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _check_keys(table: dict[str, Any], valid: list[str] | tuple[str, ...], where: str, what: str) -> None:
    """Refuse a key of ``table`` that is not in ``valid``, naming it and the valid keys."""
    for key in table:
        if key not in valid:
            close = difflib.get_close_matches(str(key), list(valid), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            listed = ", ".join(repr(v) for v in sorted(valid)) if valid else "none"
            raise ConfigError(f"{where}: unknown key {key!r} in {what}.{hint} The valid keys are: {listed}.")


def _table(cfg: dict[str, Any], name: str, where: str, required: bool = False) -> dict[str, Any]:
    sec = cfg.get(name)
    if sec is None:
        if required:
            raise ConfigError(f"{where}: missing table [{name}]. Add it (see docs/cli.md for its keys).")
        return {}
    if not isinstance(sec, dict):
        raise ConfigError(f"{where}: [{name}] must be a table (name = value lines under [{name}]). Got {sec!r} instead.")
    return dict(sec)


_BASIC = {"int": "an int", "float": "a real number", "bool": "a bool (true or false)", "str": "a string",
          "list": "an array", "dict": "a table"}


def _kinds(annotation: Any, default: Any) -> set[str] | None:
    """Basic TOML kinds a parameter accepts, from its annotation (``None``: anything)."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    if annotation is inspect.Parameter.empty or not text:
        if default is None or default is inspect.Parameter.empty:
            return None
        text = type(default).__name__
    kinds: set[str] = set()
    depth, token, tokens = 0, "", []
    for ch in text:  # split on top-level "|"
        depth += ch in "[("
        depth -= ch in "])"
        if ch == "|" and depth == 0:
            tokens.append(token)
            token = ""
        else:
            token += ch
    tokens.append(token)
    for tok in (t.strip() for t in tokens):
        base = tok.split("[", 1)[0].split(".")[-1]
        if base == "None":
            continue
        if base in ("int", "float", "bool", "str"):
            kinds.add(base)
        elif base in ("list", "tuple", "Sequence", "range"):
            kinds.add("list")
        elif base in ("dict", "Mapping"):
            kinds.add("dict")
        else:
            return None  # Any or a class: the callee checks
    return kinds or None


def _check_kind(value: Any, kinds: set[str] | None, name: str, owner: str, where: str) -> None:
    if kinds is None:
        return
    ok = (
        ("bool" in kinds and isinstance(value, bool))
        or ("int" in kinds and isinstance(value, int) and not isinstance(value, bool))
        or ("float" in kinds and isinstance(value, int | float) and not isinstance(value, bool))
        or ("str" in kinds and isinstance(value, str))
        or ("list" in kinds and isinstance(value, list))
        or ("dict" in kinds and isinstance(value, dict))
    )
    if not ok:
        order = [k for k in ("bool", "int", "float", "str", "list", "dict") if k in kinds]
        if "float" in kinds and "int" in kinds:
            order.remove("int")
        rule = " or ".join(_BASIC[k] for k in order)
        raise ConfigError(f"{where}: {_message(name, owner, rule, value)}")


def _init_keys(cls: type) -> dict[str, inspect.Parameter]:
    sig = inspect.signature(cls.__init__)
    return {n: p for n, p in list(sig.parameters.items())[1:] if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}

def _plain(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    return value

def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    value = _plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "inf" if value > 0 else ("-inf" if value < 0 else "nan")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise ConfigError(f"to_toml: cannot write {value!r} ({type(value).__name__}) in TOML.")


def to_toml(cfg: dict[str, Any], header: str | None = None) -> str:
    """TOML text of a configuration (tables in the order of :data:`SECTIONS`).

    ``tomllib.loads(to_toml(cfg)) == cfg`` for every configuration of plain values.
    ``[model] demand`` is written as its own table ``[model.demand]``.
    """
    lines: list[str] = []
    if header:
        lines += [f"# {line}" for line in header.splitlines()] + [""]
    for name in sorted(cfg, key=lambda n: SECTIONS.index(n) if n in SECTIONS else len(SECTIONS)):
        section = cfg[name]
        if not isinstance(section, dict):
            raise ConfigError(f"to_toml: [{name}] must be a table. Got {section!r} instead.")
        lines.append(f"[{_toml_key(name)}]")
        subtables = {k: v for k, v in section.items() if isinstance(v, dict) and name == "model"}
        for k, v in section.items():
            if k not in subtables:
                lines.append(f"{_toml_key(str(k))} = {_toml_value(v)}")
        for k, v in subtables.items():
            lines += ["", f"[{_toml_key(name)}.{_toml_key(str(k))}]"]
            lines += [f"{_toml_key(str(kk))} = {_toml_value(vv)}" for kk, vv in v.items()]
        lines.append("")
    return "\n".join(lines)
