"""Dates of a demand history put on a regular grid of periods (used by :mod:`idinn._demand_io`)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

_INTEGER = re.compile(r"[+-]?\d+")


class _Periods:
    """Dates (or integer period numbers) of a table put on a regular grid of periods.

    ``ordinal[i]`` is the period number of row ``i`` on the grid; ``label(k)`` writes
    period ``k`` back as a date for messages.
    """

    def __init__(self, table: Any, column: str, period: str | None = None) -> None:
        import pandas as pd

        self.period = period
        ints = table.numeric(column) if hasattr(table, "numeric") else None  # integer column: no text to parse
        if ints is None:
            cells = table.column(column)
            empty = np.flatnonzero((cells == "").to_numpy(dtype=bool))
            if empty.size:
                raise ValueError(f"{table.where(int(empty[0]), column)}: missing date. Every row needs its period.")
        self.kind = "int" if ints is not None or bool(cells.str.fullmatch(_INTEGER.pattern).all()) else "date"
        if self.kind == "int":
            if period is not None:
                raise ValueError(
                    f"{table.source}: column {column!r} holds period numbers, not dates; leave period out "
                    f"(it is {period!r}), or write the dates as YYYY-MM-DD."
                )
            raw = ints if ints is not None else cells.astype(np.int64).to_numpy()
            self._origin, self._unit = int(raw.min()), 1
            uniq = np.unique(raw)
            steps = np.diff(uniq)
            self._unit = int(steps.min()) if steps.size else 1
            self._check_regular(table, column, uniq, steps, lambda v: str(int(v)))
            self.ordinal = (raw - self._origin) // self._unit
            return
        stamps = pd.to_datetime(cells, format="ISO8601", errors="coerce")
        bad = np.flatnonzero(stamps.isna().to_numpy())
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"{table.where(i, column)}: {cells.iat[i]!r} is not a date in ISO 8601 form (YYYY-MM-DD) "
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

    def _check_regular(self, table: Any, column: str, uniq: np.ndarray, steps: np.ndarray, fmt: Any) -> None:
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
