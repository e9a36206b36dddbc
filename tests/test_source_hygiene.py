"""Source files compile without escape-sequence warnings and carry no control characters in their text."""

from __future__ import annotations

import pathlib
import re
import warnings

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
FILES = sorted(p for d in ("src", "benchmarks", "tests") for p in (ROOT / d).rglob("*.py"))
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # tab, newline and carriage return allowed


def test_every_source_file_is_checked():
    assert len(FILES) > 100 and any(p.name == "lost_sales.py" for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiles_without_warnings_and_without_control_characters(path):
    text = path.read_text(encoding="utf-8")
    bad = [(n + 1, repr(m.group())) for n, line in enumerate(text.splitlines()) for m in CONTROL.finditer(line)]
    assert not bad, f"control characters (a '\\b' or '\\f' lost in a non-raw docstring?) at lines {bad}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # invalid escape sequences: DeprecationWarning / SyntaxWarning
        compile(text, str(path), "exec")
