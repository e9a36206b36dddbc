"""Reading a long demand-history table: one row per (sku, period or date, quantity).

Nothing is repaired silently. Per SKU, a negative, fractional or missing quantity, a
repeated period, or a gap between periods makes that SKU's history unusable (its rows in
the portfolio then fail with the reason); every other SKU is read. Gaps are filled with
zero demand only when asked (``fill_missing=True``). The series are split, sorted and
checked by the library's one history reader, :mod:`idinn._demand_io`.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .._validation import _message

__all__ = ["read_table", "read_demand_history", "rename_history_columns", "HISTORY_COLUMNS"]



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

    The one reader of long demand histories is :func:`idinn._demand_io.read_demand_histories`
    (also behind :func:`idinn._demand_io.read_demand_history`, ``TraceDemand.from_csv`` and
    the configuration files); this function reads the table (DataFrame, CSV or Parquet),
    maps its column names and reports every SKU whose history is unusable, with the reason.

    Parameters
    ----------
    source : DataFrame or path
        Columns ``sku``, ``quantity`` and ``period`` (integers) or ``date`` (ISO dates; the
        period is the smallest gap between two dates: a day, a week, calendar months; every
        gap must be a multiple of it).
    fill_missing : bool, default=False
        Fill missing periods with zero demand instead of refusing the SKU.
    columns : dict of str to str, optional
        The table's own names of the columns, by role: keys among ``"sku"``, ``"date"``,
        ``"period"``, ``"quantity"`` (``{"sku": "sku_id", "quantity": "demand"}``); roles
        not named keep their default name.

    Returns
    -------
    histories : dict of str to (periods, quantities)
        int64 arrays sorted by period (periods counted on the table's grid, 0 = its first).
    errors : dict of str to str
        SKUs whose history is unusable, with the reason (a bad quantity cell with its row,
        a repeated period, the missing periods named).

    Raises
    ------
    ValueError
        Problems of the whole table: an absent column, an empty sku or date cell, dates
        off a regular grid.
    """
    from .._demand_io import read_demand_histories

    sku_column = (columns or {}).get("sku", "sku") if isinstance(columns, dict) else "sku"
    frame = rename_history_columns(read_table(source, "demand_history", sku_column), columns)
    missing = [c for c in ("sku", "quantity") if c not in frame.columns]
    if missing or ("period" not in frame.columns and "date" not in frame.columns):
        what = f"; {missing!r} missing" if missing else ""
        raise ValueError(
            f"The demand history must have the columns 'sku', 'quantity' and one of 'period' or 'date'{what}. "
            f"Got columns {list(frame.columns)!r} instead."
        )
    pcol = "period" if "period" in frame.columns else "date"
    frame = frame[["sku", pcol, "quantity"]].copy()
    frame["sku"] = frame["sku"].astype(str)
    col = frame[pcol]
    if col.dtype.kind == "f" and col.notna().all() and bool((col == col.round()).all()):
        frame[pcol] = col.astype(np.int64)  # periods read as floats (1.0) from a file
    histories, errors = read_demand_histories(frame, key="sku", date=pcol, quantity="quantity",
                                              missing="zero" if fill_missing else "refuse")
    return {str(k): v for k, v in histories.items()}, {str(k): v for k, v in errors.items()}
