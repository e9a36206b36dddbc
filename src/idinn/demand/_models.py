"""Parametric, data-driven and non-stationary demand models.

A demand model is *stationary* when ``season_length`` is ``None``. Non-stationary models
set ``season_length`` to the length of their cycle (or of their horizon) and answer
``pmf(period)`` and ``mean(period)`` per period.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from .._validation import check_int, check_real, fail
from ._base import MAX_EXACT_DEMAND, BaseDemand, FiniteDemand, UniformDemand, check_demand_value, sample_from_pmf
from ._pmf import _check_sampling, _resolve_truncation, poisson_censored_pmf, rounded_censored_pmf, smallest_max_demand

__all__ = [
    "PoissonDemand",
    "TruncatedPoissonDemand",
    "DiscretizedNormalDemand",
    "DiscretizedGammaDemand",
    "EmpiricalDemand",
    "SeasonalDemand",
    "TraceDemand",
]


class _CheckedFiniteDemand(FiniteDemand):
    """FiniteDemand whose ``pmf`` and ``sample_periods`` validate their arguments."""

    def _set_computed_pmf(self, values: np.ndarray, probs: np.ndarray, owner: str) -> None:
        """Store a pmf computed by the library (sorted, distinct, >= 0, summing to 1)."""
        check_demand_value(int(values[-1]), "max_demand", owner)
        self._values = np.asarray(values, dtype=np.int64)
        self._given_probs = np.asarray(probs, dtype=np.float64)
        self._probs = self._given_probs / self._given_probs.sum()

    def pmf(self, period: int = 0) -> tuple[np.ndarray, np.ndarray]:
        check_int(period, "period", type(self).__name__, minimum=0)
        return super().pmf(period)

    def mean(self, period: int = 0) -> float:
        check_int(period, "period", type(self).__name__, minimum=0)
        return float(np.dot(self._values, self._probs))

    def sample_periods(
        self,
        batch_size: int,
        periods: int,
        generator: torch.Generator | None = None,
        start_period: int = 0,
    ) -> torch.Tensor:
        b, t, g, _ = _check_sampling(type(self).__name__, batch_size, periods, generator, start_period)
        return sample_from_pmf(self._values, self._probs, (b, t), g)


class _CensoredDemand(_CheckedFiniteDemand):
    """Finite model of an unbounded demand, censored at ``max_demand``.

    Attributes
    ----------
    tail_mass : float or None
        The tail mass the support was chosen for (``None`` when ``max_demand`` was given).
    max_demand : int
        Largest support point [:math:`\\overline{d}`].
    dropped_mass : float
        :math:`P(D > \\overline{d})` under the untruncated distribution. This mass is not
        renormalised away: it is **added to the probability of** ``max_demand``, so the
        model is the law of :math:`\\min(D, \\overline{d})` and :math:`P(D \\le k)` is exact
        for every :math:`k < \\overline{d}`. It is at most ``tail_mass`` when that was given.
    """

    tail_mass: float | None
    max_demand: int
    dropped_mass: float


class _DiscretizedContinuous(_CensoredDemand):
    """A continuous law rounded half up and censored at ``max_demand`` (shared by the
    discretized normal and gamma models; see ``rounded_censored_pmf``).

    Subclasses set ``_param_names`` (their two constructor arguments as pairs
    ``(argument, attribute)``) and implement ``_distribution()`` returning a frozen
    ``scipy.stats`` distribution.
    """

    _param_names: tuple[tuple[str, str], ...]

    def _distribution(self) -> Any:
        raise NotImplementedError

    def _censor(self, tail_mass: float | None, max_demand: int | None) -> None:
        owner = type(self).__name__
        self.tail_mass, d = _resolve_truncation(tail_mass, max_demand, owner)
        dist = self._distribution()
        if d is None:
            eps = self.tail_mass
            guess = float(dist.isf(eps)) - 0.5
            if math.isfinite(guess) and guess > MAX_EXACT_DEMAND:
                fail("tail_mass", owner, f"large enough that the censoring point stays <= 2**24 = {MAX_EXACT_DEMAND} "
                     f"(this law would need {guess:.0f}); pass a larger tail_mass or max_demand", tail_mass)
            d = smallest_max_demand(lambda k: float(dist.sf(k + 0.5)), eps, guess)
        check_demand_value(d, "max_demand", owner)
        self.max_demand = d
        self.dropped_mass = float(dist.sf(d + 0.5))
        self._set_computed_pmf(*rounded_censored_pmf(dist.cdf, dist.sf, d), owner)

    def _params(self) -> dict[str, Any]:
        return {**{arg: getattr(self, attr) for arg, attr in self._param_names}, "max_demand": self.max_demand}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"


_MAX_POISSON_RATE = float(MAX_EXACT_DEMAND - 8 * 4096)  # 2**24 lies 8 standard deviations above


def _check_rate(rate: object, owner: str) -> float:
    r = check_real(rate, "rate", owner, minimum=0)
    if r > _MAX_POISSON_RATE:
        fail("rate", owner, f"<= {_MAX_POISSON_RATE:.0f} so that draws stay below 2**24 = {MAX_EXACT_DEMAND}, "
             "the largest integer float32 (the simulator's number type) holds exactly", rate)
    return r


class PoissonDemand(BaseDemand):
    r"""I.i.d. Poisson demand, :math:`P(D = k) = e^{-\lambda}\lambda^k / k!`.

    Its support is unbounded, so :attr:`has_finite_support` is ``False`` and :meth:`pmf`
    raises; the exact methods use :meth:`truncated`, a finite model censored at a maximum
    demand with the tail mass it moves stated as ``dropped_mass``. Sampling draws exact
    Poisson variates (``torch.poisson``), not the truncated ones.

    Parameters
    ----------
    rate : float
        Mean demand per period, >= 0 [:math:`\lambda`].

    Examples
    --------
    >>> import torch
    >>> from idinn.demand import PoissonDemand
    >>> d = PoissonDemand(rate=2.0)
    >>> d.mean()
    2.0
    >>> d.sample_periods(2, 3, torch.Generator().manual_seed(0)).shape
    torch.Size([2, 3])
    >>> finite = d.truncated(tail_mass=1e-6)
    >>> finite.max_demand, finite.dropped_mass < 1e-6
    (12, True)
    """

    type_name = "poisson"

    def __init__(self, rate: float) -> None:
        self.rate = _check_rate(rate, "PoissonDemand")

    def _params(self) -> dict[str, Any]:
        return {"rate": self.rate}

    @property
    def has_finite_support(self) -> bool:
        return False

    def _no_pmf(self) -> ValueError:
        return ValueError(
            f"{self!r} has unbounded support, so it has no finite pmf. Use "
            f"{self!r}.truncated(tail_mass=1e-9) (or truncated(max_demand=...)) for a finite "
            "model censored at a maximum demand."
        )

    def pmf(self, period: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Not available: raises ``ValueError`` (use :meth:`truncated`)."""
        check_int(period, "period", "PoissonDemand", minimum=0)
        raise self._no_pmf()

    def mean(self, period: int = 0) -> float:
        """:math:`E[D_t] = \\lambda`."""
        check_int(period, "period", "PoissonDemand", minimum=0)
        return self.rate

    def get_min_demand(self) -> int:
        return 0

    def get_max_demand(self) -> int:
        raise self._no_pmf()

    def truncated(
        self, tail_mass: float | None = None, max_demand: int | None = None
    ) -> TruncatedPoissonDemand:
        """Finite model :math:`\\min(D, \\overline{d})`; see :class:`TruncatedPoissonDemand`.

        Parameters
        ----------
        tail_mass : float, optional
            Choose the smallest :math:`\\overline{d}` with :math:`P(D > \\overline{d})`
            <= ``tail_mass``; in (0, 1), default 1e-9 when ``max_demand`` is not given.
        max_demand : int, optional
            Censor at this demand instead (then leave ``tail_mass`` out).
        """
        return TruncatedPoissonDemand(self.rate, tail_mass=tail_mass, max_demand=max_demand)

    def sample_periods(
        self,
        batch_size: int,
        periods: int,
        generator: torch.Generator | None = None,
        start_period: int = 0,
    ) -> torch.Tensor:
        b, t, g, _ = _check_sampling("PoissonDemand", batch_size, periods, generator, start_period)
        rates = torch.full((b, t), self.rate, dtype=torch.float64)
        return torch.poisson(rates, generator=g).to(torch.float32)

    def _sample_array(self, rng: np.random.Generator, n: int, t: int, s: int) -> np.ndarray:
        return rng.poisson(self.rate, size=(n, t)).astype(np.int64)

    def __repr__(self) -> str:
        return f"PoissonDemand(rate={self.rate!r})"


class TruncatedPoissonDemand(_CensoredDemand):
    r"""Poisson demand censored at :math:`\overline{d}`: the law of :math:`\min(D, \overline{d})`.

    Support ``0, 1, ..., max_demand``; :math:`P(k) = e^{-\lambda}\lambda^k/k!` for
    :math:`k < \overline{d}` and :math:`P(\overline{d}) = P(D \ge \overline{d})`.

    Parameters
    ----------
    rate : float
        Poisson rate, >= 0 [:math:`\lambda`].
    tail_mass : float, optional
        Choose the smallest :math:`\overline{d}` with :math:`P(D > \overline{d})` <=
        ``tail_mass`` [:math:`\varepsilon`]; in (0, 1), default 1e-9 when ``max_demand``
        is not given.
    max_demand : int, optional
        Censoring point :math:`\overline{d}` >= 0; give this *or* ``tail_mass``.

    Attributes
    ----------
    max_demand : int
        The censoring point :math:`\overline{d}` (given or chosen).
    dropped_mass : float
        :math:`P(D > \overline{d})` under the Poisson law; it is **added to the
        probability of** ``max_demand`` (not renormalised away).

    Examples
    --------
    >>> from idinn.demand import TruncatedPoissonDemand
    >>> d = TruncatedPoissonDemand(rate=2.0, max_demand=3)
    >>> d.pmf()[1].round(4).tolist()
    [0.1353, 0.2707, 0.2707, 0.3233]
    >>> round(d.dropped_mass, 4)
    0.1429
    """

    type_name = "truncated_poisson"

    def __init__(self, rate: float, tail_mass: float | None = None, max_demand: int | None = None) -> None:
        owner = "TruncatedPoissonDemand"
        self.rate = _check_rate(rate, owner)
        self.tail_mass, d = _resolve_truncation(tail_mass, max_demand, owner)
        if d is None:
            from scipy.stats import poisson

            eps = self.tail_mass
            rate = self.rate
            d = smallest_max_demand(lambda k: float(poisson.sf(k, rate)), eps, float(poisson.isf(eps, rate)))
        self.max_demand = d
        values, probs, self.dropped_mass = poisson_censored_pmf(self.rate, d)
        self._set_computed_pmf(values, probs, owner)

    def _params(self) -> dict[str, Any]:
        return {"rate": self.rate, "max_demand": self.max_demand}

    def __repr__(self) -> str:
        return f"TruncatedPoissonDemand(rate={self.rate!r}, max_demand={self.max_demand})"


class DiscretizedNormalDemand(_DiscretizedContinuous):
    r"""Normal demand :math:`X \sim N(\mu, \sigma^2)` rounded to the integers 0..:math:`\overline{d}`.

    Rounding rule: :math:`D = \min(\max(\lfloor X + 0.5 \rfloor, 0), \overline{d})`, i.e.
    integer :math:`k` receives :math:`P(k - 0.5 \le X < k + 0.5)`, demand 0 receives all of
    :math:`P(X < 0.5)` (the negative part is censored at 0, see ``negative_mass``) and
    :math:`\overline{d}` receives :math:`P(X \ge \overline{d} - 0.5)`. Note that
    :meth:`mean` is the mean of :math:`D`, which differs from :math:`\mu` when the
    censoring at 0 matters.

    Parameters
    ----------
    mean : float
        Mean of the underlying normal, >= 0 [:math:`\mu`] (stored as ``mu``).
    std : float
        Standard deviation of the underlying normal, > 0 [:math:`\sigma`] (stored as
        ``sigma``).
    tail_mass : float, optional
        Choose the smallest :math:`\overline{d}` with :math:`P(X \ge \overline{d} + 0.5)`
        <= ``tail_mass``; in (0, 1), default 1e-9 when ``max_demand`` is not given.
    max_demand : int, optional
        Censoring point :math:`\overline{d}` >= 0; give this *or* ``tail_mass``.

    Attributes
    ----------
    max_demand : int
        The censoring point :math:`\overline{d}` (given or chosen).
    dropped_mass : float
        :math:`P(X \ge \overline{d} + 0.5)`, the upper tail beyond the last rounding
        interval; it is **added to the probability of** ``max_demand`` (not renormalised
        away).
    negative_mass : float
        :math:`P(X < -0.5)`, the mass of negative rounded demands; it is added to the
        probability of demand 0.

    Examples
    --------
    >>> from idinn.demand import DiscretizedNormalDemand
    >>> d = DiscretizedNormalDemand(mean=0.0, std=1.0, max_demand=2)
    >>> d.pmf()[1].round(4).tolist()
    [0.6915, 0.2417, 0.0668]
    """

    type_name = "discretized_normal"
    _param_names = (("mean", "mu"), ("std", "sigma"))

    def __init__(
        self, mean: float, std: float, tail_mass: float | None = None, max_demand: int | None = None
    ) -> None:
        self.mu = check_real(mean, "mean", "DiscretizedNormalDemand", minimum=0)
        self.sigma = check_real(std, "std", "DiscretizedNormalDemand", exclusive_minimum=0)
        self._censor(tail_mass, max_demand)
        self.negative_mass = float(self._distribution().cdf(-0.5))

    def _distribution(self) -> Any:
        from scipy.stats import norm

        return norm(loc=self.mu, scale=self.sigma)


class DiscretizedGammaDemand(_DiscretizedContinuous):
    r"""Gamma demand :math:`X \sim \Gamma(k, \theta)` rounded to the integers 0..:math:`\overline{d}`.

    Same rounding rule as :class:`DiscretizedNormalDemand`:
    :math:`D = \min(\lfloor X + 0.5 \rfloor, \overline{d})`, so demand 0 receives
    :math:`P(X < 0.5)`, integer :math:`k` receives :math:`P(k - 0.5 \le X < k + 0.5)` and
    :math:`\overline{d}` receives :math:`P(X \ge \overline{d} - 0.5)`. The gamma law has
    mean :math:`k\theta` and variance :math:`k\theta^2`.

    Parameters
    ----------
    shape : float
        Shape parameter, > 0 [:math:`k`].
    scale : float
        Scale parameter, > 0 [:math:`\theta`].
    tail_mass : float, optional
        Choose the smallest :math:`\overline{d}` with :math:`P(X \ge \overline{d} + 0.5)`
        <= ``tail_mass``; in (0, 1), default 1e-9 when ``max_demand`` is not given.
    max_demand : int, optional
        Censoring point :math:`\overline{d}` >= 0; give this *or* ``tail_mass``.

    Attributes
    ----------
    max_demand : int
        The censoring point :math:`\overline{d}` (given or chosen).
    dropped_mass : float
        :math:`P(X \ge \overline{d} + 0.5)`; it is **added to the probability of**
        ``max_demand`` (not renormalised away).

    Examples
    --------
    >>> from idinn.demand import DiscretizedGammaDemand
    >>> d = DiscretizedGammaDemand(shape=1.0, scale=2.0, max_demand=2)
    >>> d.pmf()[1].round(4).tolist()
    [0.2212, 0.3064, 0.4724]
    """

    type_name = "discretized_gamma"
    _param_names = (("shape", "shape"), ("scale", "scale"))

    def __init__(
        self, shape: float, scale: float, tail_mass: float | None = None, max_demand: int | None = None
    ) -> None:
        self.shape = check_real(shape, "shape", "DiscretizedGammaDemand", exclusive_minimum=0)
        self.scale = check_real(scale, "scale", "DiscretizedGammaDemand", exclusive_minimum=0)
        self._censor(tail_mass, max_demand)

    def _distribution(self) -> Any:
        from scipy.stats import gamma

        return gamma(a=self.shape, scale=self.scale)


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
    def from_csv(cls, path: str | os.PathLike[str], column: str, *, delimiter: str = ",") -> EmpiricalDemand:
        """Build from one column of a CSV file with a header row.

        Errors name the file, the data row and line, and the column (see
        :class:`TraceDemand.from_csv <TraceDemand>`).
        """
        from .._demand_io import read_demand_column

        return cls(read_demand_column(path, column, delimiter=delimiter, owner="EmpiricalDemand.from_csv"))

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
    ) -> TraceDemand:
        """Load the series from one column of a CSV file with a header row.

        Parameters
        ----------
        path : str or path-like
        column : str
            Header name of the demand column.
        mode : {"replay", "windows"}, default="replay"
        delimiter : str, default=","

        Raises
        ------
        ValueError
            For an empty file, an absent column, no data rows, or a missing,
            non-numeric, non-finite, fractional or negative value. The message names the
            file, the data row (1-based, header excluded) with its line number in the
            file, and the column; nothing is dropped silently.
        """
        from .._demand_io import read_demand_column

        if not isinstance(mode, str) or mode not in cls._MODES:
            fail("mode", "TraceDemand", "one of 'replay', 'windows'", mode)
        series = read_demand_column(path, column, delimiter=delimiter, owner="TraceDemand.from_csv")
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
