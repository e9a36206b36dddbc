"""Reading and checking recorded demand series.

Used by :class:`idinn.demand.TraceDemand`, :class:`idinn.demand.EmpiricalDemand`, the
configuration files of the command line (:mod:`idinn.config`) and the portfolio tables.
Nothing is dropped, repaired or reordered silently:

* a missing, negative, fractional, non-numeric or too large value is an error that names
  the file, the data row (1-based, the header excluded), the line of the file and the
  column; a cell such as ``1_000`` or ``1,000`` is *not* read as a number;
* a file that is not valid text in its encoding is refused with the line of the first
  bad byte and the ``encoding`` to pass instead;
* a long-format history (one row per series and period, e.g. columns ``date``,
  ``sku_id``, ``demand``) is split by its series key, each series is sorted by date, and
  a period missing inside a series is refused (``missing="refuse"``, the default) or
  counted as zero demand (``missing="zero"``); a file that holds several series is
  refused when no key is given.

The file is tokenised with :mod:`csv` (which knows the line of every row, even with
quoted line breaks); dates, grouping and sorting use pandas.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import torch

from ._validation import fail, is_integral

__all__ = [
    "as_demand_series", "read_demand_column", "read_demand_series", "read_demand_history", "MISSING_RULES", "PERIODS",
]

#: What a reader does with a period missing inside a dated series.
MISSING_RULES = ("refuse", "zero")
#: Lengths of a period that a reader can be told (``period=``) instead of inferring it.
PERIODS = ("day", "week", "month", "quarter", "year")
_INT64_MAX = int(np.iinfo(np.int64).max)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


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
        if v > _INT64_MAX:
            fail(name, owner, f"a 1-d sequence of integers <= {_INT64_MAX} (entry {i} is not)", v)
        out[i] = int(v)
    return out


def _parse_cell(text: str, where: str) -> int:
    """One demand cell as an int >= 0; ``where`` starts the error message.

    Accepted: plain decimal notation, optionally with an integral fraction or exponent
    (``7``, ``7.0``, ``1e1``). Refused: digit separators (``1_000``, ``1,000``), text,
    ``nan``/``inf``, fractions, negative values and values beyond int64.
    """
    cell = text.strip()
    tail = " Every demand must be an integer >= 0."
    if cell == "":
        raise ValueError(f"{where}: missing value.{tail}")
    if not _NUMBER.fullmatch(cell):
        if cell.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise ValueError(f"{where}: {cell!r} is not a finite number.{tail}")
        if re.fullmatch(r"[+-]?[\d.]+(?:[_,' ][\d.]+)+", cell):
            raise ValueError(
                f"{where}: {cell!r} is not a number: digit separators ('_', ',', \"'\", ' ') are not read;"
                f" write the digits alone, e.g. {re.sub(r'[^0-9.+-]', '', cell)!r}.{tail}"
            )
        raise ValueError(f"{where}: {cell!r} is not a number.{tail}")
    try:
        x = Decimal(cell)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only decimals
        raise ValueError(f"{where}: {cell!r} is not a number.{tail}") from None
    if x != x.to_integral_value():
        raise ValueError(f"{where}: {cell!r} is not an integer.{tail}")
    if x < 0:
        raise ValueError(f"{where}: {cell!r} is negative.{tail}")
    if x > _INT64_MAX:
        raise ValueError(
            f"{where}: {cell!r} is too large: a demand must be at most {_INT64_MAX} (the int64 limit).{tail}"
        )
    return int(x)


# ------------------------------------------------------------------------ raw tables
class _Table:
    """Cells of a CSV file or data frame as strings, with where each row came from."""

    def __init__(self, source: str, columns: list[str], rows: list[list[str]], row_label: list[str]) -> None:
        self.source = source
        self.columns = columns
        self.rows = rows
        self.row_label = row_label

    def column(self, name: str) -> list[str]:
        j = self.columns.index(name)
        return [row[j] if j < len(row) else "" for row in self.rows]

    def where(self, i: int, column: str) -> str:
        return f"{self.source}, {self.row_label[i]}, column {column!r}"


def _decode(raw: bytes, fname: str, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        label = "UTF-8" if encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig") else encoding
        raise ValueError(
            f"File {fname!r} is not valid {label} text: byte 0x{raw[exc.start]:02x} on line {line} cannot be "
            f"decoded. Save the file as UTF-8, or pass encoding='latin-1' (or the encoding it was written in)."
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
        text = _decode(fh.read(), fname, encoding)
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
    labels = [f"data row {k + 1} (line {line})" for k, (line, _) in enumerate(rows)]
    return _Table(f"File {fname!r}", names, [r for _, r in rows], labels)


def _frame_table(frame: Any) -> _Table:
    import pandas as pd

    names = [str(c) for c in frame.columns]
    rows = []
    for values in frame.itertuples(index=False, name=None):
        rows.append(["" if _is_missing(v) else (v.isoformat() if isinstance(v, pd.Timestamp) else str(v))
                     for v in values])
    labels = [f"row {k + 1} (index {label!r})" for k, label in enumerate(frame.index)]
    return _Table("The demand-history table", names, rows, labels)


def _is_missing(v: object) -> bool:
    try:
        import pandas as pd

        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _need_column(table: _Table, column: str, what: str) -> None:
    if column not in table.columns:
        line = " (line 1)" if table.source.startswith("File ") else ""
        raise ValueError(
            f"{table.source} has no column {column!r} in its header{line}; its columns are {table.columns!r}."
            + ("" if what == "demand" else f" Pass {what}=<one of these> to name the {what} column.")
        )


# ------------------------------------------------------------------------ dates
class _Periods:
    """Dates (or integer period numbers) of a table put on a regular grid of periods.

    ``ordinal[i]`` is the period number of row ``i`` on the grid; ``label(k)`` writes
    period ``k`` back as a date for messages.
    """

    def __init__(self, table: _Table, column: str, period: str | None = None) -> None:
        import pandas as pd

        self.period = period
        cells = [c.strip() for c in table.column(column)]
        for i, c in enumerate(cells):
            if c == "":
                raise ValueError(f"{table.where(i, column)}: missing date. Every row needs its period.")
        self.kind = "int" if all(_INTEGER.fullmatch(c) for c in cells) else "date"
        if self.kind == "int":
            if period is not None:
                raise ValueError(
                    f"{table.source}: column {column!r} holds period numbers, not dates; leave period out "
                    f"(it is {period!r}), or write the dates as YYYY-MM-DD."
                )
            raw = np.array([int(c) for c in cells], dtype=np.int64)
            self._origin, self._unit = int(raw.min()), 1
            uniq = np.unique(raw)
            steps = np.diff(uniq)
            self._unit = int(steps.min()) if steps.size else 1
            self._check_regular(table, column, uniq, steps, lambda v: str(int(v)))
            self.ordinal = (raw - self._origin) // self._unit
            return
        stamps = pd.to_datetime(pd.Series(cells), format="ISO8601", errors="coerce")
        bad = np.flatnonzero(stamps.isna().to_numpy())
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"{table.where(i, column)}: {cells[i]!r} is not a date in ISO 8601 form (YYYY-MM-DD) "
                "nor an integer period number. Write dates as YYYY-MM-DD."
            )
        ns = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        uniq = np.unique(ns)
        steps = np.diff(uniq)
        day = 86_400 * 10**9
        months_per = {"month": 1, "quarter": 3, "year": 12}
        if period in months_per or (period is None and steps.size and steps.min() >= 28 * day):
            # Months, quarters, years: count in calendar months.
            months = (stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy(dtype=np.int64)
            umonths = np.unique(months)
            if umonths.size != uniq.size:
                raise ValueError(
                    f"{table.source}: column {column!r} holds two different dates in one calendar month, "
                    "but its other dates are a month or more apart. Give one date per period."
                )
            self.kind = "month"
            self._origin = int(umonths.min())
            msteps = np.diff(umonths)
            self._unit = months_per[period] if period is not None else int(msteps.min()) if msteps.size else 1
            self._check_regular(table, column, umonths, msteps, self._month_label)
            self.ordinal = (months - self._origin) // self._unit
            return
        self._origin = int(ns.min())
        if period is not None:
            self._unit = {"day": day, "week": 7 * day}[period]
        else:
            self._unit = int(steps.min()) if steps.size else day
        self._check_regular(table, column, uniq, steps, self._ns_label)
        self.ordinal = (ns - self._origin) // self._unit

    @staticmethod
    def _ns_label(v: int) -> str:
        import pandas as pd

        ts = pd.Timestamp(int(v))
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()

    @staticmethod
    def _month_label(m: int) -> str:
        return f"{int(m) // 12:04d}-{int(m) % 12 + 1:02d}"

    def _check_regular(self, table: _Table, column: str, uniq: np.ndarray, steps: np.ndarray, fmt: Any) -> None:
        off = np.flatnonzero(steps % self._unit) if steps.size else np.array([], dtype=np.int64)
        if off.size:
            j = int(off[0])
            what = (
                f"a period is {self._gap(int(self._unit))} (period={self.period!r})" if self.period is not None
                else f"the smallest gap between two consecutive dates is {self._gap(int(self._unit))}"
            )
            raise ValueError(
                f"{table.source}: the dates in column {column!r} are not on a regular grid of periods: {what}, but "
                f"{fmt(uniq[j])} to {fmt(uniq[j + 1])} is {self._gap(int(steps[j]))}. "
                "Give one row per period (every day, week or month)."
            )

    def _gap(self, v: int) -> str:
        if self.kind == "int":
            return f"{v} period(s)"
        if self.kind == "month":
            return f"{v} month(s)"
        days = v / 86_400e9
        return f"{days:g} day(s)"

    def label(self, k: int) -> str:
        v = self._origin + int(k) * self._unit
        if self.kind == "int":
            return str(v)
        if self.kind == "month":
            return self._month_label(v)
        return self._ns_label(v)


# ------------------------------------------------------------------------ series
def _several_series_hint(columns: list[str]) -> str:
    return (
        "Pass key=<the column that names each series> (one of "
        f"{columns!r}) and sku=<the series to read>, or date=<the date column> if the file holds one series."
    )


def _split_series(
    table: _Table, quantity: str, key: str | None, date: str | None, missing: str, sku: Any = None,
    period: str | None = None,
) -> dict[Any, np.ndarray]:
    """The demand series of ``table``, one per value of ``key`` (``None``: one series).

    With ``sku``, only that series (compared as text) is assembled and checked; the
    period grid is still inferred from the dates of the whole table.
    """
    _need_column(table, quantity, "demand")
    if date is not None:
        _need_column(table, date, "date")
    if key is not None:
        _need_column(table, key, "key")
    if not table.rows:
        raise ValueError(f"{table.source} has no data rows below its header: column {quantity!r} is empty.")
    qty_cells = table.column(quantity)
    qty = np.empty(len(qty_cells), dtype=np.int64)
    for i, cell in enumerate(qty_cells):
        qty[i] = int(cell) if cell.isdigit() and len(cell) < 19 else _parse_cell(cell, table.where(i, quantity))
    if key is None and date is None:
        suspects = []
        for name in table.columns:
            if name == quantity:
                continue
            cells = [c.strip() for c in table.column(name)]
            if any(c and not _NUMBER.fullmatch(c) for c in cells) and 1 < len(set(cells)) < len(cells):
                suspects.append(name)
        if suspects:
            example = list(dict.fromkeys(c.strip() for c in table.column(suspects[0])))[:3]
            raise ValueError(
                f"{table.source} seems to hold several series: column(s) {suspects!r} repeat their values "
                f"(e.g. {example!r}). " + _several_series_hint(table.columns)
            )
    keys = [c.strip() for c in table.column(key)] if key is not None else [None] * len(qty)
    if key is not None:
        for i, k in enumerate(keys):
            if k == "":
                raise ValueError(f"{table.where(i, key)}: missing series key. Every row needs its series.")
    groups: dict[Any, list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    if sku is not None:
        chosen = [k for k in groups if k == sku or str(k) == str(sku)]
        if not chosen:
            raise ValueError(
                f"{table.source} has no series {sku!r} in column {key!r}; its series are {_short(list(groups))}."
            )
        groups = {chosen[0]: groups[chosen[0]]}
    if date is None:
        return {k: qty[np.asarray(rows)] for k, rows in groups.items()}
    periods = _Periods(table, date, period)
    out: dict[Any, np.ndarray] = {}
    for k, rows in groups.items():
        idx = np.asarray(rows)
        order = idx[np.argsort(periods.ordinal[idx], kind="stable")]
        ords = periods.ordinal[order]
        dup = np.flatnonzero(np.diff(ords) == 0)
        if dup.size:
            a, b = int(order[dup[0]]), int(order[dup[0] + 1])
            label = periods.label(int(ords[dup[0]]))
            if key is None:
                raise ValueError(
                    f"{table.source} holds several series: date {label} appears in "
                    f"{table.row_label[a]} and {table.row_label[b]}. " + _several_series_hint(table.columns)
                )
            raise ValueError(
                f"{table.source}: series {k!r} has two rows for date {label}: "
                f"{table.row_label[a]} and {table.row_label[b]}. "
                "Add them up into one row per period."
            )
        first = int(ords[0])
        n = int(ords[-1]) - first + 1
        series = np.zeros(n, dtype=np.int64)
        series[ords - first] = qty[order]
        if n != len(ords):
            present = np.zeros(n, dtype=bool)
            present[ords - first] = True
            gaps = np.flatnonzero(~present)
            if missing == "refuse":
                who = "the series " if key is None else f"series {k!r} "
                shown = ", ".join(periods.label(first + int(g)) for g in gaps[:3])
                more = "" if gaps.size <= 3 else f" and {gaps.size - 3} more"
                raise ValueError(
                    f"{table.source}: {who}has {gaps.size} missing period(s) between "
                    f"{periods.label(first)} and {periods.label(int(ords[-1]))}: {shown}{more}. "
                    "Pass missing='zero' to count a missing period as zero demand, or add its row."
                )
        out[k] = series
    return out


def _check_options(missing: object, owner: str, period: object = None, **names: object) -> None:
    if not isinstance(missing, str) or missing not in MISSING_RULES:
        fail("missing", owner, "one of 'refuse', 'zero'", missing)
    if period is not None:
        if not isinstance(period, str) or period not in PERIODS:
            fail("period", owner, "None (inferred from the dates) or one of " + ", ".join(map(repr, PERIODS)), period)
        if names.get("date") is None:
            fail("date", owner, f"the date column when 'period' is given (period={period!r})", None)
    for name, value in names.items():
        if value is not None and not isinstance(value, str):
            fail(name, owner, "a str naming a column of the header row, or None", value, TypeError)


def read_demand_history(
    path_or_frame: Any,
    *,
    key: str | None,
    date: str | None,
    quantity: str,
    missing: str = "refuse",
    period: str | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
) -> dict[Any, np.ndarray]:
    """Read a long-format demand history into one series per key (SKU).

    The table has one row per series and period, e.g. columns ``date``, ``sku_id``,
    ``demand``, in any row order. Each series is sorted by date; a period missing inside
    a series (between its first and last date) is refused or counted as zero demand.

    Parameters
    ----------
    path_or_frame : str, path-like or pandas.DataFrame
        CSV file with a header row (read with :mod:`csv`, all cells as text, so that
        nothing is converted behind your back), or a data frame.
    key : str or None
        Column naming the series (SKU id). ``None``: the whole table is one series,
        returned under the key ``None``; a table whose dates repeat is then refused.
    date : str or None
        Column of ISO 8601 dates (``YYYY-MM-DD``) or integer period numbers. Periods are
        the smallest gap between two dates of the table (a day, a week; calendar months
        when dates are 28 days or more apart); every gap must be a multiple of it.
        ``None``: rows are taken in table order and nothing can be said about missing
        periods.
    quantity : str
        Column of demands, integers >= 0 (``7``, ``7.0`` and ``1e1`` are read;
        ``1_000``, ``1,000``, ``2.5``, ``-1``, ``nan`` and text are refused).
    missing : {"refuse", "zero"}, default="refuse"
        What to do with a period missing inside a series.
    period : {"day", "week", "month", "quarter", "year"}, optional
        The length of a period, when the dates cannot show it (e.g. every series misses
        the same week); ``None`` infers it as described under ``date``.
    delimiter : str, default=","
        Field separator of a CSV file.
    encoding : str, default="utf-8-sig"
        Text encoding of a CSV file (UTF-8, with or without byte-order mark).

    Returns
    -------
    dict of {key: ndarray of int64, shape (n_k,)}
        One demand series per key, from its first to its last period, in the order the
        keys first appear in the table. Keys read from a CSV file are strings.

    Raises
    ------
    OSError
        If the file cannot be opened.
    ValueError
        For an empty table, an absent column, a bad cell (naming the file, data row,
        line and column), a file that is not valid text, dates off a regular grid, two
        rows for one series and date, several series without ``key``, or a missing
        period with ``missing="refuse"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from idinn._demand_io import read_demand_history
    >>> sales = pd.DataFrame({"date": ["2024-01-15", "2024-01-01", "2024-01-08", "2024-01-01"],
    ...                       "sku": ["A", "A", "A", "B"], "demand": [3, 1, 2, 9]})
    >>> read_demand_history(sales, key="sku", date="date", quantity="demand")
    {'A': array([1, 2, 3]), 'B': array([9])}
    """
    owner = "read_demand_history"
    _check_options(missing, owner, period, key=key, date=date)
    if not isinstance(quantity, str):
        fail("quantity", owner, "a str naming a column of the header row", quantity, TypeError)
    if hasattr(path_or_frame, "columns") and hasattr(path_or_frame, "itertuples"):
        table = _frame_table(path_or_frame)
    elif isinstance(path_or_frame, str | os.PathLike):
        table = _read_csv(path_or_frame, delimiter=delimiter, encoding=encoding, first_column=quantity)
    else:
        fail("path_or_frame", owner, "a CSV file path or a pandas.DataFrame", path_or_frame, TypeError)
    return _split_series(table, quantity, key, date, missing, period=period)


def read_demand_series(
    path: str | os.PathLike[str],
    column: str,
    *,
    key: str | None = None,
    sku: Any = None,
    date: str | None = None,
    missing: str = "refuse",
    period: str | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
    owner: str = "read_demand_series",
) -> np.ndarray:
    """Read one demand series from a CSV file with a header row.

    Parameters
    ----------
    path : str or path-like
    column : str
        Header name of the demand column.
    key : str, optional
        Column naming the series (SKU id) of a long-format file.
    sku : str, optional
        Which series to read when ``key`` is given (compared as text); may be left out
        when the file holds one series.
    date, missing, period, delimiter, encoding
        As in :func:`read_demand_history`.
    owner : str
        Caller named in the messages of parameter errors.

    Returns
    -------
    ndarray of int64, shape (n,)
        The demands, sorted by date when ``date`` is given, else in file order.

    Raises
    ------
    ValueError
        As :func:`read_demand_history`, and for a file with several series when ``key``
        or ``sku`` is not given.
    """
    if not isinstance(column, str):
        fail("column", owner, "a str naming a column of the header row", column, TypeError)
    _check_options(missing, owner, period, key=key, date=date)
    if sku is not None and key is None:
        fail("key", owner, f"the column that holds the series keys when 'sku' is given (sku={sku!r})", None)
    table = _read_csv(path, delimiter=delimiter, encoding=encoding, first_column=column)
    if key is not None and sku is None:
        _need_column(table, key, "key")
        names = list(dict.fromkeys(c.strip() for c in table.column(key)))
        if len(names) > 1:
            raise ValueError(
                f"{table.source} holds {len(names)} series in column {key!r} ({_short(names)}). "
                "Pass sku=<one of them> to read one series."
            )
    series = _split_series(table, column, key, date, missing, sku=sku, period=period)
    return next(iter(series.values()))


def _short(items: list[Any], limit: int = 8) -> str:
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")


def read_demand_column(
    path: str | os.PathLike[str], column: str, *, delimiter: str = ",", owner: str = "read_demand_column"
) -> np.ndarray:
    """Read one column of integer demands from a single-series CSV file (file order).

    Same as :func:`read_demand_series` without a key or date: a file that seems to hold
    several series is refused.
    """
    return read_demand_series(path, column, delimiter=delimiter, owner=owner)
