"""Raw tables of demand histories: CSV files and data frames as text cells (used by :mod:`idinn._demand_io`).

Every cell is kept as text, so that nothing is converted behind the user's back; each row
knows where it came from (file line or frame index) for the messages.
"""

from __future__ import annotations

import csv
import io
import os
from typing import Any

import numpy as np

class _Table:
    """Cells of a CSV file or data frame as text, and where each row came from.

    ``column(name)`` is a pandas Series of stripped strings (missing cells are ``""``);
    ``label(i)`` names data row ``i`` in messages.
    """

    def __init__(self, source: str, columns: list[str], cells: Any, n_rows: int, label: Any) -> None:
        self.source = source
        self.columns = columns
        self._cells = cells  # callable name -> list/Series of str
        self._cache: dict[str, Any] = {}
        self.n_rows = n_rows
        self.label = label

    def column(self, name: str) -> Any:
        import pandas as pd

        if name not in self._cache:
            col = pd.Series(self._cells(name), dtype=object)
            if len(col):  # strip each distinct cell once (long tables repeat their keys and dates)
                codes, uniques = pd.factorize(col)
                stripped = np.asarray(pd.Series(uniques, dtype=object).str.strip(), dtype=object)
                col = pd.Series(stripped[codes], dtype=object)
            self._cache[name] = col
        return self._cache[name]

    def where(self, i: int, column: str) -> str:
        return f"{self.source}, {self.label(i)}, column {column!r}"

    def numeric(self, name: str) -> np.ndarray | None:
        """The column as int64 when it is an integer column of a data frame (no text to parse), else None."""
        return None


def _decode(raw: bytes, fname: str, encoding: str, delimiter: str = ",") -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        label = "UTF-8" if encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig") else encoding
        # The column: count the delimiters before the byte on its line (quotes ignored).
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        field = raw[line_start: exc.start].count(delimiter.encode("ascii", "replace"))
        header = raw.split(b"\n", 1)[0].decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r")
        names = [h.strip() for h in header.split(delimiter)]
        where = f", column {names[field]!r}" if line > 1 and field < len(names) else ""
        raise ValueError(
            f"File {fname!r} is not valid {label} text: byte 0x{raw[exc.start]:02x} on line {line}{where} cannot "
            f"be decoded. Save the file as UTF-8, or pass encoding='latin-1' (or the encoding it was written in)."
        ) from None
    except LookupError:
        raise ValueError(
            f"Unknown text encoding {encoding!r} for file {fname!r}; use a Python codec name such as "
            "'utf-8' or 'latin-1'."
        ) from None


def _read_csv(
    path: str | os.PathLike[str], *, delimiter: str, encoding: str, first_column: str | None
) -> _Table:
    """Tokenise a CSV file with a header row; keep each data row's line number."""
    fname = os.fspath(path)
    with open(fname, "rb") as fh:
        text = _decode(fh.read(), fname, encoding, delimiter)
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        wanted = f" naming the column {first_column!r}" if first_column else ""
        raise ValueError(f"File {fname!r} is empty: expected a header row{wanted}.") from None
    except csv.Error as exc:
        raise ValueError(f"File {fname!r}, line 1: {exc}. Check the quoting of the header row.") from None
    names = [h.strip() for h in header]
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise ValueError(f"File {fname!r}, line {reader.line_num}: {exc}. Check the quoting of that row.") from None
    # Blank lines after the last data row carry nothing; drop only those.
    while rows and all(c.strip() == "" for c in rows[-1][1]):
        rows.pop()
    width = len(names)
    for k, (line, row) in enumerate(rows):
        if len(row) > width and any(c.strip() for c in row[width:]):
            raise ValueError(
                f"File {fname!r}, data row {k + 1} (line {line}) has {len(row)} fields but the header names "
                f"{width}. Quote a field that holds the delimiter {delimiter!r}, or name every column in the header."
            )
    lines = [line for line, _ in rows]
    data = [r for _, r in rows]

    def cells(name: str) -> list[str]:
        j = names.index(name)
        return [r[j] if j < len(r) else "" for r in data]

    return _Table(f"File {fname!r}", names, cells, len(data), lambda k: f"data row {k + 1} (line {lines[k]})")


def _frame_table(frame: Any) -> _Table:
    names = [str(c) for c in frame.columns]
    index = frame.index

    def cells(name: str) -> Any:
        col = frame[frame.columns[names.index(name)]]
        if col.dtype.kind == "M":
            text = col.dt.strftime("%Y-%m-%dT%H:%M:%S").str.replace("T00:00:00", "", regex=False)
        else:
            text = col.astype(str)
        return text.where(col.notna(), "").to_numpy(dtype=object)

    table = _Table("The demand-history table", names, cells, len(frame),
                   lambda k: f"row {k + 1} (index {index[k]!r})")

    def numeric(name: str) -> np.ndarray | None:
        col = frame[frame.columns[names.index(name)]]
        return col.to_numpy(dtype=np.int64) if col.dtype.kind in "iu" else None

    table.numeric = numeric  # type: ignore[method-assign]
    return table


def _need_column(table: _Table, column: str, what: str) -> None:
    if column not in table.columns:
        line = " (line 1)" if table.source.startswith("File ") else ""
        raise ValueError(
            f"{table.source} has no column {column!r} in its header{line}; its columns are {table.columns!r}."
            + ("" if what == "demand" else f" Pass {what}=<one of these> to name the {what} column.")
        )


