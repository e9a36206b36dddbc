"""Reading and checking recorded demand series.

Used by :class:`idinn.demand.TraceDemand` and :class:`idinn.demand.EmpiricalDemand`.
Nothing is dropped or repaired silently: a missing, negative, fractional or non-numeric
value is an error that names the file, the data row (1-based, the header excluded), the
line of the file and the column.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Mapping

import numpy as np
import torch

from ._validation import fail, is_integral

__all__ = ["as_demand_series", "read_demand_column"]


def as_demand_series(values: object, name: str, owner: str) -> np.ndarray:
    """Return ``values`` as a 1-d ``int64`` array of demands >= 0, or raise.

    Integral floats such as ``3.0`` (common in exported spreadsheets) are accepted;
    ``2.5``, ``nan``, negative values and bools are refused with the index of the first
    offending entry.

    Parameters
    ----------
    values : array-like of int
        The observed demands.
    name, owner : str
        Parameter and class named in the error message.

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    if isinstance(values, np.ndarray):
        arr = values
    elif isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        fail(name, owner, "a 1-d sequence of integers >= 0", values, TypeError)
    else:
        items = list(values)
        arr = np.empty(len(items), dtype=object)
        for i, v in enumerate(items):
            arr[i] = v
    if arr.ndim != 1:
        fail(name, owner, "a 1-d sequence of integers >= 0", f"an array of shape {arr.shape}")
    if arr.shape[0] == 0:
        fail(name, owner, "a non-empty 1-d sequence of integers >= 0", list(arr))
    if arr.dtype.kind in "iuf":
        # Fast path for numeric arrays: locate the first bad entry without a Python loop.
        bad = ~np.isfinite(arr) | (arr < 0) if arr.dtype.kind == "f" else arr < 0
        if arr.dtype.kind == "f":
            bad |= np.isfinite(arr) & (np.floor(arr) != arr)
        if not bad.any():
            return arr.astype(np.int64)
        i = int(np.argmax(bad))
        fail(name, owner, f"a 1-d sequence of integers >= 0 (entry {i} is not)", arr[i].item())
    out = np.empty(arr.shape[0], dtype=np.int64)
    for i, v in enumerate(arr.tolist()):
        if isinstance(v, bool) or not is_integral(v):
            exc = ValueError if isinstance(v, int | float) and not isinstance(v, bool) else TypeError
            fail(name, owner, f"a 1-d sequence of integers >= 0 (entry {i} is not)", v, exc)
        if v < 0:
            fail(name, owner, f"a 1-d sequence of integers >= 0 (entry {i} is not)", v)
        out[i] = int(v)
    return out


def _parse_cell(text: str, where: str) -> int:
    cell = text.strip()
    if cell == "":
        raise ValueError(f"{where}: missing value. Every demand must be an integer >= 0.")
    try:
        x = float(cell)
    except ValueError:
        raise ValueError(
            f"{where}: {cell!r} is not a number. Every demand must be an integer >= 0."
        ) from None
    if not math.isfinite(x):
        raise ValueError(f"{where}: {cell!r} is not a finite number. Every demand must be an integer >= 0.")
    if not x.is_integer():
        raise ValueError(f"{where}: {cell!r} is not an integer. Every demand must be an integer >= 0.")
    if x < 0:
        raise ValueError(f"{where}: {cell!r} is negative. Every demand must be an integer >= 0.")
    return int(x)


def read_demand_column(
    path: str | os.PathLike[str], column: str, *, delimiter: str = ",", owner: str = "read_demand_column"
) -> np.ndarray:
    """Read one column of integer demands from a CSV file with a header row.

    Parameters
    ----------
    path : str or path-like
        CSV file; its first row names the columns. A UTF-8 byte-order mark is ignored.
    column : str
        Header name of the demand column.
    delimiter : str, default=","
        Field separator.
    owner : str, default="read_demand_column"
        Caller named in the message of a ``TypeError`` for ``column``.

    Returns
    -------
    ndarray of int64, shape (n,)
        The demands in file order.

    Raises
    ------
    OSError
        If the file cannot be opened (e.g. ``FileNotFoundError``, which names the path).
    TypeError
        If ``column`` is not a string.
    ValueError
        If the file is empty, has no column ``column``, has no data rows, or a data row
        holds a missing, non-numeric, non-finite, fractional or negative demand. The
        message names the file, the data row (1-based, header excluded), the line number
        in the file and the column. Blank lines at the very end of the file are ignored
        (they hold no row); a blank line between data rows is a missing value.
    """
    if not isinstance(column, str):
        fail("column", owner, "a str naming a column of the header row", column, TypeError)
    fname = os.fspath(path)
    with open(fname, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise ValueError(
                f"File {fname!r} is empty: expected a header row naming the column {column!r}."
            ) from None
        names = [h.strip() for h in header]
        if column not in names:
            raise ValueError(
                f"File {fname!r} has no column {column!r} in its header (line 1); "
                f"its columns are {names!r}."
            )
        j = names.index(column)
        rows: list[tuple[int, list[str]]] = [(reader.line_num, row) for row in reader]
    # Blank lines after the last data row carry nothing; drop only those.
    while rows and all(c.strip() == "" for c in rows[-1][1]):
        rows.pop()
    if not rows:
        raise ValueError(f"File {fname!r} has no data rows below its header: column {column!r} is empty.")
    out = np.empty(len(rows), dtype=np.int64)
    for k, (line, row) in enumerate(rows):
        where = f"File {fname!r}, data row {k + 1} (line {line}), column {column!r}"
        out[k] = _parse_cell(row[j] if j < len(row) else "", where)
    return out
