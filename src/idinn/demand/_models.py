"""Data-driven and non-stationary demand models: empirical, seasonal, recorded traces.

A demand model is *stationary* when ``season_length`` is ``None``. Non-stationary models
set ``season_length`` to the length of their cycle (or of their horizon) and answer
``pmf(period)`` and ``mean(period)`` per period.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from .._validation import check_int, fail
from ._base import BaseDemand, UniformDemand, check_demand_value
from ._parametric import (  # noqa: F401 - re-exported for the old import path
    DiscretizedGammaDemand,
    DiscretizedNormalDemand,
    PoissonDemand,
    TruncatedPoissonDemand,
    _CheckedFiniteDemand,
)
from ._pmf import _check_sampling

__all__ = [
    "EmpiricalDemand",
    "SeasonalDemand",
    "TraceDemand",
]


def _short_list(values: np.ndarray, limit: int = 8) -> str:
    items = [str(int(v)) for v in values[:limit]]
    if len(values) > limit:
        items.append(f"... ({len(values)} values)")
    return "[" + ", ".join(items) + "]"


class EmpiricalDemand(_CheckedFiniteDemand):
    """I.i.d. draws from observed demands: the pmf is their relative frequencies.

    Parameters
    ----------
    history : array-like of int
        Observed demands, a non-empty 1-d sequence of integers >= 0 (integral floats
        such as ``3.0`` are accepted, ``2.5`` is refused).

    Attributes
    ----------
    history : ndarray of int64, shape (n,)
        The observations, in the order given.

    Examples
    --------
    >>> from idinn.demand import EmpiricalDemand
    >>> d = EmpiricalDemand([3, 1, 3, 5])
    >>> d.pmf()
    (array([1, 3, 5]), array([0.25, 0.5 , 0.25]))
    >>> d.mean()
    3.0
    """

    type_name = "empirical"

    def __init__(self, history: object) -> None:
        from .._demand_io import as_demand_series

        self.history = as_demand_series(history, "history", "EmpiricalDemand")
        values, counts = np.unique(self.history, return_counts=True)
        check_demand_value(int(values[-1]), "history", "EmpiricalDemand")
        self._set_computed_pmf(values, counts / counts.sum(), "EmpiricalDemand")

    def _params(self) -> dict[str, Any]:
        return {"history": self.history.tolist()}

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str],
        column: str,
        *,
        delimiter: str = ",",
        key: str | None = None,
        sku: object = None,
        date: str | None = None,
        missing: str = "refuse",
        period: str | None = None,
        encoding: str = "utf-8-sig",
    ) -> EmpiricalDemand:
        """Build from one demand series of a CSV file with a header row.

        The keywords are those of :meth:`TraceDemand.from_csv`: ``key`` and ``sku`` pick
        one series of a long-format file, ``date`` sorts it and finds missing periods.
        """
        from .._demand_io import read_demand_series

        return cls(read_demand_series(path, column, delimiter=delimiter, key=key, sku=sku, date=date,
                                      missing=missing, period=period, encoding=encoding, owner="EmpiricalDemand.from_csv"))

    def __repr__(self) -> str:
        return f"EmpiricalDemand(history={_short_list(self.history)})"


class SeasonalDemand(BaseDemand):
    r"""Non-stationary demand that cycles through a schedule of per-period models.

    Period :math:`t` draws from ``schedule[t % S]`` with season length
    :math:`S` = ``len(schedule)``, independently across periods.

    Parameters
    ----------
    schedule : sequence of BaseDemand
        One stationary demand model per period of the season (finite or not, e.g.
        :class:`UniformDemand`, :class:`PoissonDemand`).

    Attributes
    ----------
    schedule : tuple of BaseDemand
    season_length : int
        :math:`S`.

    Examples
    --------
    >>> import torch
    >>> from idinn.demand import SeasonalDemand
    >>> d = SeasonalDemand.uniform(lows=[0, 10], highs=[0, 10])
    >>> d.sample_periods(1, 5, torch.Generator().manual_seed(0), start_period=1)
    tensor([[10.,  0., 10.,  0., 10.]])
    >>> d.mean(3)
    10.0
    """

    type_name = "seasonal"

    def __init__(self, schedule: Sequence[BaseDemand]) -> None:
        owner = "SeasonalDemand"
        if isinstance(schedule, str | bytes | Mapping) or not isinstance(schedule, Sequence):
            fail("schedule", owner, "a list of demand models", schedule, TypeError)
        if len(schedule) == 0:
            fail("schedule", owner, "a non-empty list of demand models", list(schedule))
        for i, entry in enumerate(schedule):
            if not isinstance(entry, BaseDemand):
                fail("schedule", owner, f"a list of demand models (entry {i} is not)", entry, TypeError)
            if entry.season_length is not None:
                fail("schedule", owner, f"a list of stationary demand models (entry {i} is not)", entry)
        self.schedule = tuple(schedule)
        self.season_length = len(self.schedule)

    def _params(self) -> dict[str, Any]:
        return {"schedule": [e.to_dict() for e in self.schedule]}

    @classmethod
    def _from_params(cls, params: dict[str, Any]) -> BaseDemand:
        from ._base import _check_keys, demand_from_dict
        import inspect

        _check_keys(cls, params, inspect.signature(cls).parameters)
        sched = params["schedule"]
        if isinstance(sched, str | bytes | Mapping) or not isinstance(sched, Sequence):
            fail("schedule", "demand_from_dict (type 'seasonal')", "a list of demand dicts", sched, TypeError)
        return cls([e if isinstance(e, BaseDemand) else demand_from_dict(e) for e in sched])

    @classmethod
    def uniform(cls, lows: Sequence[int], highs: Sequence[int]) -> SeasonalDemand:
        """Season of :class:`UniformDemand` (``lows[i]``, ``highs[i]``), one per period."""
        _check_same_length(lows, highs, "lows", "highs")
        return cls([UniformDemand(lo, hi) for lo, hi in zip(lows, highs)])

    @classmethod
    def poisson(cls, rates: Sequence[float]) -> SeasonalDemand:
        """Season of :class:`PoissonDemand` (``rates[i]``), one per period."""
        if isinstance(rates, str | bytes) or not isinstance(rates, Sequence):
            fail("rates", "SeasonalDemand.poisson", "a list of rates", rates, TypeError)
        return cls([PoissonDemand(r) for r in rates])

    def entry(self, period: int) -> BaseDemand:
        """The demand model of ``period``: ``schedule[period % season_length]``."""
        check_int(period, "period", "SeasonalDemand", minimum=0)
        return self.schedule[period % self.season_length]

    @property
    def has_finite_support(self) -> bool:
        return all(e.has_finite_support for e in self.schedule)

    def pmf(self, period: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Pmf of ``schedule[period % season_length]``."""
        e = self.entry(period)
        if not e.has_finite_support:
            raise ValueError(
                f"Period {period} of SeasonalDemand uses {e!r} (schedule entry "
                f"{period % self.season_length}), which has unbounded support. Use "
                "SeasonalDemand.truncated(tail_mass=1e-9) for a season of finite models."
            )
        return e.pmf(0)

    def mean(self, period: int = 0) -> float:
        """Mean of ``schedule[period % season_length]``."""
        return self.entry(period).mean(0)

    def get_min_demand(self) -> int:
        """Smallest demand of any period of the season."""
        return min(int(self.pmf(p)[0][0]) for p in range(self.season_length))

    def get_max_demand(self) -> int:
        """Largest demand of any period of the season."""
        return max(int(self.pmf(p)[0][-1]) for p in range(self.season_length))

    def truncated(self, tail_mass: float | None = None, max_demand: int | None = None) -> SeasonalDemand:
        """Same season with every unbounded entry replaced by ``entry.truncated(...)``."""
        out = []
        for i, e in enumerate(self.schedule):
            if e.has_finite_support:
                out.append(e)
            elif hasattr(e, "truncated"):
                out.append(e.truncated(tail_mass=tail_mass, max_demand=max_demand))
            else:
                fail("schedule", "SeasonalDemand", f"entries with a 'truncated' method (entry {i} has none)", e)
        return SeasonalDemand(out)

    def sample_periods(
        self,
        batch_size: int,
        periods: int,
        generator: torch.Generator | None = None,
        start_period: int = 0,
    ) -> torch.Tensor:
        """Draw period :math:`t` (column ``t``) from ``schedule[(start_period + t) % S]``."""
        b, t, g, s = _check_sampling("SeasonalDemand", batch_size, periods, generator, start_period)
        idx = (s + np.arange(t)) % self.season_length
        out = torch.empty((b, t), dtype=torch.float32)
        for j in np.unique(idx):
            cols = torch.as_tensor(np.flatnonzero(idx == j))
            out[:, cols] = self.schedule[int(j)].sample_periods(b, len(cols), g)
        return out

    def _sample_array(self, rng: np.random.Generator, n: int, t: int, s: int) -> np.ndarray:
        idx = (s + np.arange(t)) % self.season_length
        out = np.empty((n, t), dtype=np.int64)
        for j in np.unique(idx):
            cols = np.flatnonzero(idx == j)
            out[:, cols] = self.schedule[int(j)]._sample_array(rng, n, len(cols), 0)
        return out

    def __repr__(self) -> str:
        return f"SeasonalDemand([{', '.join(repr(e) for e in self.schedule)}])"


def _check_same_length(a: object, b: object, name_a: str, name_b: str) -> None:
    owner = "SeasonalDemand.uniform"
    for v, n in ((a, name_a), (b, name_b)):
        if isinstance(v, str | bytes) or not isinstance(v, Sequence):
            fail(n, owner, "a list of ints", v, TypeError)
    if len(a) != len(b):  # type: ignore[arg-type]
        fail(name_b, owner, f"a list as long as '{name_a}' ({len(a)})", b)  # type: ignore[arg-type]


class TraceDemand(BaseDemand):
    """Recorded demand series, replayed or sampled in random windows.

    The series is one season of length :math:`n` that repeats: period :math:`t` of a
    replay is ``series[t % n]``.

    Parameters
    ----------
    series : array-like of int
        Recorded demands, a non-empty 1-d sequence of integers >= 0.
    mode : {"replay", "windows"}, default="replay"
        ``"replay"``: every sample path is the series itself, starting at
        ``start_period`` (no randomness; the generator is not used). ``"windows"``: each
        sample path starts at its own offset :math:`o_b`, drawn uniformly from
        ``0..n-1`` with the generator, and reads ``series[(o_b + t) % n]`` for
        :math:`t = 0..T-1` of one ``sample_periods`` call (``start_period`` is then
        irrelevant). Draw a whole horizon in one call to keep windows contiguous: a
        simulation that asks for one period at a time gets a fresh offset each period,
        i.e. i.i.d. draws from the series' values.

    Attributes
    ----------
    series : ndarray of int64, shape (n,)
    mode : str
    season_length : int
        :math:`n` = ``len(series)``.

    Examples
    --------
    >>> from idinn.demand import TraceDemand
    >>> d = TraceDemand([4, 0, 7])
    >>> d.sample_periods(2, 4, start_period=1)
    tensor([[0., 7., 4., 0.],
            [0., 7., 4., 0.]])
    >>> d.pmf(2)
    (array([7]), array([1.]))
    """

    _MODES = ("replay", "windows")
    type_name = "trace"

    def __init__(self, series: object, mode: str = "replay") -> None:
        from .._demand_io import as_demand_series

        if not isinstance(mode, str) or mode not in self._MODES:
            fail("mode", "TraceDemand", "one of 'replay', 'windows'", mode)
        self.series = as_demand_series(series, "series", "TraceDemand")
        check_demand_value(int(self.series.max()), "series", "TraceDemand")
        self.mode = mode
        self.season_length = int(self.series.shape[0])

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str],
        column: str,
        mode: str = "replay",
        *,
        delimiter: str = ",",
        key: str | None = None,
        sku: object = None,
        date: str | None = None,
        missing: str = "refuse",
        period: str | None = None,
        encoding: str = "utf-8-sig",
    ) -> TraceDemand:
        """Load the series from a CSV file with a header row.

        Parameters
        ----------
        path : str or path-like
        column : str
            Header name of the demand column.
        mode : {"replay", "windows"}, default="replay"
        delimiter : str, default=","
        key : str, optional
            Column naming the series (SKU id) of a long-format file (one row per SKU and
            period); required when the file holds several series.
        sku : str, optional
            The series to read (compared as text); may be left out when there is one.
        date : str, optional
            Column of ISO dates (``YYYY-MM-DD``) or integer period numbers: the series
            is sorted by it, and a period missing inside it is refused or filled (see
            ``missing``). Without it the rows are read in file order.
        missing : {"refuse", "zero"}, default="refuse"
            A missing period is an error, or zero demand.
        period : {"day", "week", "month", "quarter", "year"}, optional
            Length of a period; default: inferred from the dates (their smallest gap).
        encoding : str, default="utf-8-sig"

        Raises
        ------
        ValueError
            For an empty file, an absent column, no data rows, a missing, non-numeric
            (``1_000`` included), non-finite, fractional, negative or too large value, a
            file that is not valid text in ``encoding``, several series without
            ``key``/``sku``, or a missing period. The message names the file, the data row
            (1-based, header excluded) with its line number, and the column; nothing is
            dropped silently. Examples of long-format files are in ``docs/demand.md``.
        """
        from .._demand_io import read_demand_series

        if not isinstance(mode, str) or mode not in cls._MODES:
            fail("mode", "TraceDemand", "one of 'replay', 'windows'", mode)
        series = read_demand_series(path, column, delimiter=delimiter, key=key, sku=sku, date=date,
                                    missing=missing, period=period, encoding=encoding, owner="TraceDemand.from_csv")
        return cls(series, mode=mode)

    def pmf(self, period: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Replay: point mass at ``series[period % n]``. Windows: the series' frequencies."""
        check_int(period, "period", "TraceDemand", minimum=0)
        if self.mode == "replay":
            return np.array([self.series[period % self.season_length]], dtype=np.int64), np.ones(1)
        values, counts = np.unique(self.series, return_counts=True)
        return values.astype(np.int64), counts / counts.sum()

    def mean(self, period: int = 0) -> float:
        """Replay: ``series[period % n]``. Windows: the series' average."""
        check_int(period, "period", "TraceDemand", minimum=0)
        if self.mode == "replay":
            return float(self.series[period % self.season_length])
        return float(self.series.mean())

    def get_min_demand(self) -> int:
        return int(self.series.min())

    def get_max_demand(self) -> int:
        return int(self.series.max())

    def sample_periods(
        self,
        batch_size: int,
        periods: int,
        generator: torch.Generator | None = None,
        start_period: int = 0,
    ) -> torch.Tensor:
        n = self.season_length
        if self.mode == "replay":
            b, t, _, s = _check_sampling("TraceDemand", batch_size, periods, generator, start_period)
            idx = torch.as_tensor((s + np.arange(t)) % n)
            row = torch.as_tensor(self.series, dtype=torch.float32)[idx]
            return row.unsqueeze(0).repeat(b, 1)
        b, t, g, _ = _check_sampling("TraceDemand", batch_size, periods, generator, start_period)
        offsets = torch.randint(0, n, (b, 1), generator=g)
        idx = (offsets + torch.arange(t)) % n
        return torch.as_tensor(self.series, dtype=torch.float32)[idx]

    def _sample_array(self, rng: np.random.Generator, n: int, t: int, s: int) -> np.ndarray:
        size = self.season_length
        if self.mode == "replay":
            return np.broadcast_to(self.series[(s + np.arange(t)) % size], (n, t)).copy()
        offsets = rng.integers(0, size, size=(n, 1))
        return self.series[(offsets + np.arange(t)) % size].astype(np.int64)

    def _params(self) -> dict[str, Any]:
        return {"series": self.series.tolist(), "mode": self.mode}

    def __repr__(self) -> str:
        return f"TraceDemand(series={_short_list(self.series)}, mode={self.mode!r})"
