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

import os
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import torch

from ._demand_periods import _Periods
from ._demand_tables import _frame_table, _need_column, _read_csv, _Table
from ._validation import fail, is_integral

__all__ = [
    "as_demand_series", "read_demand_column", "read_demand_series", "read_demand_history", "read_demand_histories",
    "MISSING_RULES", "PERIODS",
]

#: What a reader does with a period missing inside a dated series.
MISSING_RULES = ("refuse", "zero")
#: Lengths of a period that a reader can be told (``period=``) instead of inferring it.
PERIODS = ("day", "week", "month", "quarter", "year")
_INT64_MAX = int(np.iinfo(np.int64).max)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


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


# ------------------------------------------------------------------------ series
def _several_series_hint(columns: list[str]) -> str:
    return (
        "Pass key=<the column that names each series> (one of "
        f"{columns!r}) and sku=<the series to read>, or date=<the date column> if the file holds one series."
    )


def _split_series(
    table: _Table, quantity: str, key: str | None, date: str | None, missing: str, sku: Any = None,
    period: str | None = None, problems: dict[Any, str] | None = None, firsts: dict[Any, int] | None = None,
) -> dict[Any, np.ndarray]:
    """The demand series of ``table``, one per value of ``key`` (``None``: one series).

    With ``sku``, only that series (compared as text) is assembled and checked; the
    period grid is still inferred from the dates of the whole table.

    With ``problems`` (a dict, the portfolio's mode), a problem of one series -- a bad
    demand cell, two rows for one period, a missing period under ``missing="refuse"`` --
    is written to ``problems[key]`` and that series is left out, instead of raising;
    problems of the whole table (an absent column, dates off a regular grid) still raise.
    ``firsts`` receives each series' first period on the grid (0 = the table's first).
    """
    import pandas as pd

    _need_column(table, quantity, "demand")
    if date is not None:
        _need_column(table, date, "date")
    if key is not None:
        _need_column(table, key, "key")
    n = table.n_rows
    if n == 0:
        raise ValueError(f"{table.source} has no data rows below its header: column {quantity!r} is empty.")
    if key is None and date is None:
        suspects = []
        for name in table.columns:
            if name == quantity:
                continue
            cells = table.column(name)
            text = (cells != "") & ~cells.str.fullmatch(_NUMBER.pattern)
            if bool(text.any()) and 1 < cells.nunique() < n:
                suspects.append(name)
        if suspects:
            example = list(pd.unique(table.column(suspects[0])))[:3]
            raise ValueError(
                f"{table.source} seems to hold several series: column(s) {suspects!r} repeat their values "
                f"(e.g. {example!r}). " + _several_series_hint(table.columns)
            )
    rows = np.arange(n)
    if key is not None:
        keys = table.column(key)
        empty = np.flatnonzero((keys == "").to_numpy(dtype=bool))
        if empty.size:
            raise ValueError(f"{table.where(int(empty[0]), key)}: missing series key. Every row needs its series.")
        if sku is not None:
            chosen = (keys == str(sku)).to_numpy(dtype=bool)
            if not chosen.any():
                raise ValueError(
                    f"{table.source} has no series {sku!r} in column {key!r}; its series are "
                    f"{_short(list(pd.unique(keys)))}."
                )
            rows = np.flatnonzero(chosen)
        codes, uniques = pd.factorize(keys.iloc[rows], sort=False)
        codes = np.asarray(codes, dtype=np.int64)
    else:
        codes, uniques = np.zeros(len(rows), dtype=np.int64), [None]
    bad_cells: dict[int, str] | None = None if problems is None else {}
    qty = _parse_quantities(table, quantity, rows, bad_cells)
    bad_codes: dict[int, str] = {}
    for i, msg in (bad_cells or {}).items():
        bad_codes.setdefault(int(codes[i]), msg)
    if date is None:
        ords = np.arange(len(rows), dtype=np.int64)
        periods = None
    else:
        periods = _Periods(table, date, period)
        ords = periods.ordinal[rows]
    order = np.lexsort((ords, codes))  # by series, then date (stable: file order breaks ties)
    c_s, o_s, q_s = codes[order], ords[order], qty[order]
    starts = np.flatnonzero(np.r_[True, c_s[1:] != c_s[:-1]])
    ends = np.r_[starts[1:], len(order)]
    first, last = o_s[starts], o_s[ends - 1]
    length, count = last - first + 1, ends - starts
    if periods is not None and problems is not None:
        for j in np.flatnonzero((c_s[1:] == c_s[:-1]) & (o_s[1:] == o_s[:-1])).tolist():
            bad_codes.setdefault(int(c_s[j]), f"{date} {periods.label(int(o_s[j]))} appears twice for this sku")
        if missing == "refuse":
            for g in np.flatnonzero(length != count).tolist():
                if int(c_s[starts[g]]) in bad_codes:
                    continue
                present = np.zeros(int(length[g]), dtype=bool)
                present[o_s[starts[g]:ends[g]] - first[g]] = True
                gaps = np.flatnonzero(~present)
                listed = ", ".join(periods.label(int(first[g]) + int(k)) for k in gaps[:5])
                more = f", ... ({gaps.size - 5} more)" if gaps.size > 5 else ""
                bad_codes[int(c_s[starts[g]])] = (
                    f"{gaps.size} missing period(s) between {date} {periods.label(int(first[g]))} and "
                    f"{periods.label(int(last[g]))}: {listed}{more} "
                    "(pass fill_missing=True / --fill-missing to count them as zero demand)"
                )
    elif periods is not None:
        dup = np.flatnonzero((c_s[1:] == c_s[:-1]) & (o_s[1:] == o_s[:-1]))
        if dup.size:
            j = int(dup[0])
            a, b = int(rows[order[j]]), int(rows[order[j + 1]])
            label = periods.label(int(o_s[j]))
            if key is None:
                raise ValueError(
                    f"{table.source} holds several series: date {label} appears in {table.label(a)} and "
                    f"{table.label(b)}. " + _several_series_hint(table.columns)
                )
            raise ValueError(
                f"{table.source}: series {uniques[c_s[j]]!r} has two rows for date {label}: {table.label(a)} and "
                f"{table.label(b)}. Add them up into one row per period."
            )
        gappy = np.flatnonzero(length != count)
        if gappy.size and missing == "refuse":
            g = int(gappy[0])
            present = np.zeros(int(length[g]), dtype=bool)
            present[o_s[starts[g]:ends[g]] - first[g]] = True
            gaps = np.flatnonzero(~present)
            who = "the series " if key is None else f"series {uniques[g]!r} "
            shown = ", ".join(periods.label(int(first[g]) + int(k)) for k in gaps[:3])
            more = "" if gaps.size <= 3 else f" and {gaps.size - 3} more"
            raise ValueError(
                f"{table.source}: {who}has {gaps.size} missing period(s) between "
                f"{periods.label(int(first[g]))} and {periods.label(int(last[g]))}: {shown}{more}. "
                "Pass missing='zero' to count a missing period as zero demand, or add its row."
            )
    offsets = np.r_[0, np.cumsum(length)[:-1]]
    group = np.repeat(np.arange(len(starts)), count)
    flat = np.zeros(int(length.sum()), dtype=np.int64)
    flat[offsets[group] + (o_s - first[group])] = q_s
    pieces = np.split(flat, offsets[1:]) if len(starts) > 1 else [flat]
    out = {}
    for st, f0, piece in zip(starts, first, pieces):
        code = int(c_s[st])
        if code in bad_codes:
            problems[uniques[code]] = bad_codes[code]  # type: ignore[index]
            continue
        out[uniques[code]] = piece
        if firsts is not None:
            firsts[uniques[code]] = int(f0)
    return out


def _parse_quantities(table: _Table, quantity: str, rows: np.ndarray, bad: dict[int, str] | None = None) -> np.ndarray:
    """Demand cells of ``rows`` as int64; the first bad cell (in row order) raises, or, with
    ``bad``, every bad cell's message is stored under its position in ``rows`` (value 0)."""
    ints = table.numeric(quantity)
    if ints is not None:  # an integer column: only negative values need a message
        qty = ints[rows].copy()
        fast = qty >= 0
        cells = None
    else:
        cells = table.column(quantity)
        if len(rows) != table.n_rows:
            cells = cells.iloc[rows]
        fast = cells.str.fullmatch(r"\d{1,18}").to_numpy(dtype=bool)
        qty = np.empty(len(rows), dtype=np.int64)
        if fast.any():
            qty[fast] = cells[fast].astype(np.int64).to_numpy()
    if cells is None and not fast.all():
        cells = table.column(quantity).iloc[rows]
    for i in np.flatnonzero(~fast):
        try:
            qty[i] = _parse_cell(cells.iat[int(i)], table.where(int(rows[i]), quantity))
        except ValueError as err:
            if bad is None:
                raise
            bad[int(i)] = str(err)
            qty[i] = 0
    return qty


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


def read_demand_histories(
    frame: Any, *, key: str, date: str, quantity: str, missing: str = "refuse"
) -> tuple[dict[Any, tuple[np.ndarray, np.ndarray]], dict[Any, str]]:
    """Like :func:`read_demand_history`, but a bad series is reported, not raised (portfolios).

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``key``, ``date`` (dates or integer period numbers) and ``quantity``.
    key, date, quantity, missing
        As in :func:`read_demand_history`.

    Returns
    -------
    histories : dict of {key: (periods, quantities)}
        int64 arrays: the periods on the table's grid (0 = its first period) and the
        demands, from the series' first to its last period.
    problems : dict of {key: str}
        Series left out, with the reason: a bad demand cell (its row and column), two rows
        for one period, or the missing periods (named) under ``missing="refuse"``.

    Raises
    ------
    ValueError
        For problems of the whole table: an absent column, an empty key or date cell,
        dates off a regular grid of periods.
    """
    owner = "read_demand_histories"
    _check_options(missing, owner, None, key=key, date=date)
    problems: dict[Any, str] = {}
    firsts: dict[Any, int] = {}
    series = _split_series(_frame_table(frame), quantity, key, date, missing, problems=problems, firsts=firsts)
    out = {k: (np.arange(firsts[k], firsts[k] + len(v), dtype=np.int64), v) for k, v in series.items()}
    return out, problems


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
        names = [k for k in dict.fromkeys(table.column(key)) if k != ""]
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
