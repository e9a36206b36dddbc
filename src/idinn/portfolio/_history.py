"""Reading a long demand-history table: one row per (sku, period or date, quantity).

Nothing is repaired silently. Per SKU, a negative, fractional or missing quantity, a
repeated period, or a gap between periods makes that SKU's history unusable (its rows in
the portfolio then fail with the reason); every other SKU is read. Gaps are filled with
zero demand only when asked (``fill_missing=True``).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .._validation import _message

__all__ = ["read_table", "read_demand_history", "rename_history_columns", "HISTORY_COLUMNS"]

_FREQS = {1: "D", 7: "W"}


def read_table(source: Any, name: str, sku_column: str = "sku") -> Any:
    """A pandas DataFrame from a DataFrame or a CSV / Parquet path (by suffix).

    The ``sku_column`` of a CSV file is read as text (``"007"`` stays ``"007"``).
    """
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return source.copy()
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if not os.path.exists(path):
            raise FileNotFoundError(f"The {name} file {path!r} does not exist.")
        low = path.lower()
        if low.endswith((".parquet", ".pq")):
            return pd.read_parquet(path)
        if low.endswith((".csv", ".csv.gz", ".txt")):
            return pd.read_csv(path, dtype={sku_column: str})
        raise ValueError(f"The {name} file {path!r} must end in .csv or .parquet (got neither).")
    raise TypeError(
        f"The {name!r} parameter of solve_portfolio must be a pandas DataFrame or a path to a "
        f".csv or .parquet file. Got {type(source).__name__} instead."
    )


def _period_index(frame: Any) -> tuple[np.ndarray, str, Any]:
    """Integer period of every row (from ``period`` or ``date``), the column used, and a
    function naming an integer period as the user wrote it (the period number, or the date
    ``YYYY-MM-DD`` that starts it) for messages."""
    import pandas as pd

    if "period" in frame.columns:
        col = frame["period"]
        num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64)
        return num, "period", lambda k: str(int(k))
    if "date" in frame.columns:
        dates = pd.to_datetime(frame["date"], errors="coerce")
        uniq = np.sort(dates.dropna().unique())
        days = np.diff(uniq.astype("datetime64[D]").astype(np.int64)) if uniq.size > 1 else np.array([1])
        step = int(np.bincount(days[days > 0]).argmax()) if (days > 0).any() else 1
        freq = _FREQS.get(step, "M" if 28 <= step <= 31 else None)
        if freq is not None:
            ordinal = dates.dt.to_period(freq).map(lambda p: np.nan if pd.isna(p) else p.ordinal)
            origin = pd.Timestamp(uniq[0]) if uniq.size else pd.Timestamp(0)
            first = origin.to_period(freq).ordinal

            def name(k: int, freq: str = freq) -> str:
                if freq == "M":  # a month: "2024-03"
                    return str(pd.Period(ordinal=int(k), freq=freq))
                # a day or week: the date on the history's own weekday
                return str((origin + pd.Timedelta(days=(int(k) - first) * step)).date())
        else:
            origin = pd.Timestamp(uniq[0]) if uniq.size else pd.Timestamp(0)
            ordinal = (dates - origin).dt.days / step

            def name(k: int) -> str:
                return str((origin + pd.Timedelta(days=int(k) * step)).date())
        return np.asarray(ordinal, dtype=np.float64), "date", name
    raise ValueError(
        "The demand history must have the columns 'sku', 'quantity' and one of 'period' or 'date'. "
        f"Got columns {list(frame.columns)!r} instead."
    )


def _missing_text(periods: np.ndarray, column: str, name: Any, shown: int = 5) -> str:
    """``"2 missing period(s) between date 2024-01-01 and 2024-01-09: 2024-01-03, 2024-01-04"``.

    The periods absent from a sorted series of integer ``periods``, named by ``name``.
    """
    gaps = np.flatnonzero(np.diff(periods) > 1)
    absent = [k for g in gaps.tolist() for k in range(int(periods[g]) + 1, int(periods[g + 1]))]
    listed = ", ".join(name(k) for k in absent[:shown]) + (f", ... ({len(absent) - shown} more)" if len(absent) > shown else "")
    first, last = name(int(periods[0])), name(int(periods[-1]))
    return f"{len(absent)} missing period(s) between {column} {first} and {last}: {listed}"


#: Roles of a demand-history column that ``columns=`` may map to the user's own names.
HISTORY_COLUMNS = ("sku", "date", "period", "quantity")


def rename_history_columns(frame: Any, columns: Any, owner: str = "solve_portfolio") -> Any:
    """``frame`` with the user's column names renamed to ``sku``/``date``/``period``/``quantity``.

    ``columns`` maps a role to the column that holds it, e.g. ``{"sku": "sku_id",
    "date": "day", "quantity": "demand"}``; ``None`` or ``{}`` keeps the names. An unknown
    role, a name that is not a string or a column that does not exist is refused.
    """
    if columns is None:
        return frame
    if not isinstance(columns, dict):
        raise TypeError(_message("history_columns", owner, "None or a dict such as {'sku': 'sku_id'}", columns))
    for role, col in columns.items():
        if role not in HISTORY_COLUMNS:
            raise ValueError(_message("history_columns", owner, f"a dict whose keys are among {list(HISTORY_COLUMNS)}",
                                      columns))
        if not isinstance(col, str) or col not in frame.columns:
            raise ValueError(
                f"The 'history_columns' parameter of {owner} names the {role} column {col!r}, which the demand "
                f"history does not have. Got columns {list(frame.columns)!r}."
            )
    if "date" in columns and "period" in columns:
        raise ValueError(_message("history_columns", owner, "a dict naming 'date' or 'period', not both", columns))
    mapping = {col: role for role, col in columns.items() if col != role}
    clash = [role for role in mapping.values() if role in frame.columns and role not in columns.values()]
    frame = frame.drop(columns=clash).rename(columns=mapping)
    if "date" in columns and "period" in frame.columns:
        frame = frame.drop(columns="period")
    if "period" in columns and "date" in frame.columns:
        frame = frame.drop(columns="date")
    return frame


def read_demand_history(
    source: Any, *, fill_missing: bool = False, columns: dict[str, str] | None = None
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, str]]:
    """Per-SKU demand series from a long table, sorted by period.

    Parameters
    ----------
    source : DataFrame or path
        Columns ``sku``, ``quantity`` and ``period`` (integers) or ``date`` (dates; the
        step is the most common gap between dates: daily, weekly, monthly or a fixed
        number of days).
    fill_missing : bool, default=False
        Fill missing periods with zero demand instead of refusing the SKU.
    columns : dict of str to str, optional
        The table's own names of the columns, by role: keys among ``"sku"``, ``"date"``,
        ``"period"``, ``"quantity"`` (``{"sku": "sku_id", "quantity": "demand"}``); roles
        not named keep their default name.

    Returns
    -------
    histories : dict of str to (periods, quantities)
        int64 arrays, sorted by period.
    errors : dict of str to str
        SKUs whose history is unusable, with the reason (file row = 0-based table row).
    """
    import pandas as pd

    sku_column = (columns or {}).get("sku", "sku") if isinstance(columns, dict) else "sku"
    frame = rename_history_columns(read_table(source, "demand_history", sku_column), columns)
    missing = [c for c in ("sku", "quantity") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"The demand history must have the columns 'sku', 'quantity' and one of 'period' or 'date'; "
            f"{missing!r} missing. Got columns {list(frame.columns)!r} instead."
        )
    period, pcol, name = _period_index(frame)
    qty = pd.to_numeric(frame["quantity"], errors="coerce").to_numpy(dtype=np.float64)
    skus = frame["sku"].astype(str).to_numpy()
    errors: dict[str, str] = {}
    bad_q = ~np.isfinite(qty) | (qty < 0) | (np.floor(qty) != qty)
    bad_p = ~np.isfinite(period) | (np.floor(period) != period)
    for mask, col, rule in ((bad_q, "quantity", "an integer >= 0"), (bad_p, pcol, "a valid period")):
        for i in np.flatnonzero(mask):
            sku = skus[i]
            if sku not in errors:
                errors[sku] = f"row {int(i)} of the demand history: {col!r} must be {rule}, got {frame[col].iloc[i]!r}"
    order = np.lexsort((np.nan_to_num(period), skus))
    skus, period, qty = skus[order], period[order], qty[order]
    uniq, start = np.unique(skus, return_index=True)
    stops = np.append(start[1:], skus.size)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for sku, a, b in zip(uniq.tolist(), start.tolist(), stops.tolist()):
        if sku in errors:
            continue
        p = period[a:b].astype(np.int64)
        q = qty[a:b].astype(np.int64)
        step = np.diff(p)
        if (step == 0).any():
            errors[sku] = f"{pcol} {name(int(p[1:][step == 0][0]))} appears twice for this sku"
            continue
        if (step > 1).any():
            if not fill_missing:
                errors[sku] = (
                    f"{_missing_text(p, pcol, name)} "
                    "(pass fill_missing=True / --fill-missing to count them as zero demand)"
                )
                continue
            full = np.arange(p[0], p[-1] + 1)
            filled = np.zeros(full.size, dtype=np.int64)
            filled[p - p[0]] = q
            p, q = full, filled
        out[sku] = (p, q)
    return out, errors
