"""Form fields drawn from :class:`~idinn.app._introspect.Field` s, and their parsing.

Widget values are passed to the library unchanged wherever possible, so that the
library's own checks (and their one wording) judge them; only text that must be parsed
first (lists, probability tables) is checked here, in the same wording.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from .._validation import _message
from ._introspect import Field

__all__ = ["FormError", "render_fields", "parse_field"]


class FormError(ValueError):
    """A form value that cannot be read; the message names the field and the rule."""


def _text_default(field: Field) -> str:
    d = field.default
    if d is None:
        return ""
    if field.kind == "pmf" and isinstance(d, dict):
        return ", ".join(f"{k}:{v}" for k, v in d.items())
    if isinstance(d, list | tuple):
        return ", ".join(str(x) for x in d)
    return str(d)


def render_fields(fields: list[Field], key: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Draw one widget per field; return ``{name: raw widget value}``.

    ``key`` makes the widget keys unique per form (and per session, as all widgets are).
    """
    overrides = overrides or {}
    raw: dict[str, Any] = {}
    for f in fields:
        k = f"{key}.{f.name}"
        default = overrides.get(f.name, f.default)
        if f.kind == "int":
            raw[f.name] = st.number_input(f.name, value=None if default is None else int(default), step=1, key=k)
        elif f.kind == "float":
            raw[f.name] = st.number_input(
                f.name, value=None if default is None else float(default), format="%g", key=k
            )
        elif f.kind == "bool":
            raw[f.name] = st.checkbox(f.name, value=bool(default), key=k)
        elif f.kind in ("choice", "module"):
            options = list(f.choices)
            name = type(default).__name__ if f.kind == "module" and default is not None else default
            raw[f.name] = st.selectbox(f.name, options, index=options.index(name) if name in options else 0, key=k)
        else:  # str, ints, floats, pmf
            help_text = {
                "ints": "comma-separated integers, e.g. 128, 64",
                "floats": "comma-separated numbers",
                "pmf": "value:probability pairs, e.g. 0:0.5, 2:0.5",
            }.get(f.kind)
            raw[f.name] = st.text_input(
                f.name, value=_text_default(Field(f.name, f.kind, default, f.required)), help=help_text, key=k
            )
    return raw


def _numbers(text: str, name: str, owner: str, cast: type, rule: str) -> list[Any]:
    try:
        return [cast(x) for x in str(text).replace(";", ",").split(",") if x.strip()]
    except ValueError:
        raise FormError(_message(name, owner, rule, text)) from None


def parse_field(field: Field, value: Any, owner: str) -> Any:
    """The Python value for ``field`` from its raw widget value (``None`` = library default).

    Raises
    ------
    FormError
        Naming the field and the rule, in the library's wording.
    """
    if field.kind in ("int", "float"):
        if value is None and field.required:
            raise FormError(_message(field.name, owner, "given (the field is empty)", None))
        return value
    if field.kind == "module":
        import torch

        return getattr(torch.nn, value)()
    if field.kind == "ints":
        if str(value).strip() == "":
            return None if not field.required else []
        return _numbers(value, field.name, owner, int, "a comma-separated list of integers")
    if field.kind == "floats":
        if str(value).strip() == "":
            return None if not field.required else []
        return _numbers(value, field.name, owner, float, "a comma-separated list of numbers")
    if field.kind == "pmf":
        rule = "value:probability pairs separated by commas (e.g. 0:0.5, 2:0.5)"
        out: dict[int, float] = {}
        for part in str(value).split(","):
            if not part.strip():
                continue
            k, sep, p = part.partition(":")
            try:
                if not sep:
                    raise ValueError
                out[int(k)] = float(p)
            except ValueError:
                raise FormError(_message(field.name, owner, rule, value)) from None
        if not out:
            raise FormError(_message(field.name, owner, rule, value))
        return out
    if field.kind == "str" and value == "" and not field.required:
        return field.default
    return value


def parse_fields(fields: list[Field], raw: dict[str, Any], owner: str) -> dict[str, Any]:
    """Keyword arguments from raw widget values; fields left at ``None`` are omitted."""
    out = {}
    for f in fields:
        v = parse_field(f, raw[f.name], owner)
        if v is not None:
            out[f.name] = v
    return out
