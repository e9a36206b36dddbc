"""Demand models.

Every demand model draws integer demand paths with an explicit ``torch.Generator`` and,
when its support is finite, exposes its probability mass function (pmf) so that the exact
methods (newsvendor quantiles, dynamic programming, Markov-chain policy evaluation) can use
it without sampling.

A demand model is *stationary* when ``season_length`` is ``None``. Non-stationary models
set ``season_length`` to the length of their cycle (or of their horizon) and answer
``pmf(period)`` and ``mean(period)`` per period.
"""

from __future__ import annotations

import math
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch

from ._validation import check_int, check_real, fail, is_integral

__all__ = [
    "BaseDemand",
    "FiniteDemand",
    "UniformDemand",
    "CustomDemand",
    "PoissonDemand",
    "TruncatedPoissonDemand",
    "DiscretizedNormalDemand",
    "DiscretizedGammaDemand",
    "EmpiricalDemand",
    "SeasonalDemand",
    "TraceDemand",
]


class BaseDemand(ABC):
    """Interface of every demand model.

    Attributes
    ----------
    season_length : int or None
        ``None`` for i.i.d. (stationary) demand; otherwise the number of periods after
        which the per-period distribution repeats.
    """

    season_length: int | None = None

    @abstractmethod
    def sample_periods(
        self,
        batch_size: int,
        periods: int,
        generator: torch.Generator | None = None,
        start_period: int = 0,
    ) -> torch.Tensor:
        """Draw demand for ``periods`` consecutive periods.

        Parameters
        ----------
        batch_size : int
            Number of independent sample paths :math:`B`.
        periods : int
            Number of periods :math:`T`.
        generator : torch.Generator, optional
            Source of randomness. ``None`` uses a fresh, randomly seeded generator (never
            the global torch RNG).
        start_period : int, default=0
            Calendar index of the first period (used by non-stationary models).

        Returns
        -------
        torch.Tensor of shape (batch_size, periods), dtype float32
            Integer-valued demands :math:`D_t`.
        """

    def sample(
        self, batch_size: int, batch_width: int = 1, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Draw a ``(batch_size, batch_width)`` tensor of demands (reference API)."""
        owner = type(self).__name__
        check_int(batch_size, "batch_size", owner, minimum=1)
        check_int(batch_width, "batch_width", owner, minimum=1)
        return self.sample_periods(batch_size, batch_width, generator)

    @property
    def has_finite_support(self) -> bool:
        """Whether :meth:`pmf` is available."""
        return True

    @abstractmethod
    def pmf(self, period: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Support and probabilities of the demand in ``period``.

        Returns
        -------
        values : ndarray of int64, shape (n,)
            Sorted support points.
        probabilities : ndarray of float64, shape (n,)
            Their probabilities (sum to one).
        """

    def mean(self, period: int = 0) -> float:
        """Expected demand :math:`E[D_t]` in ``period``."""
        values, probs = self.pmf(period)
        return float(np.dot(values, probs))

    def enumerate_support(self) -> dict[int, float]:
        """``{value: probability}`` of the (first-period) demand."""
        values, probs = self.pmf(0)
        return {int(v): float(p) for v, p in zip(values, probs)}

    def get_min_demand(self) -> int:
        return int(self.pmf(0)[0][0])

    def get_max_demand(self) -> int:
        return int(self.pmf(0)[0][-1])


def _fresh_generator() -> torch.Generator:
    g = torch.Generator()
    g.seed()
    return g


def sample_from_pmf(
    values: np.ndarray,
    probabilities: np.ndarray,
    shape: tuple[int, ...],
    generator: torch.Generator | None,
) -> torch.Tensor:
    """Inverse-CDF sampling of an integer pmf with an explicit generator."""
    if generator is None:
        generator = _fresh_generator()
    cdf = torch.as_tensor(np.cumsum(probabilities), dtype=torch.float64)
    cdf[-1] = 1.0
    u = torch.rand(shape, generator=generator, dtype=torch.float64)
    idx = torch.searchsorted(cdf, u, right=True).clamp_(max=len(values) - 1)
    return torch.as_tensor(values, dtype=torch.float32)[idx]


class FiniteDemand(BaseDemand):
    """I.i.d. demand with a finite support given as arrays.

    Parameters
    ----------
    values : array-like of int
        Support points (any order, no duplicates).
    probabilities : array-like of float
        Their probabilities: each >= 0, summing to 1 (within 1e-9).
    """

    def __init__(self, values: object, probabilities: object) -> None:
        owner = type(self).__name__
        vals = np.asarray(values)
        probs = np.asarray(probabilities, dtype=float) if np.size(probabilities) else np.asarray([], dtype=float)
        if vals.size == 0:
            fail("demand_prob", owner, "a non-empty mapping {demand value: probability}", {})
        if vals.shape != probs.shape or vals.ndim != 1:
            fail("probabilities", owner, "a 1-d array as long as 'values'", probabilities)
        for v in vals.tolist():
            if not is_integral(v) or isinstance(v, float):
                fail("demand_prob", owner, "keyed by integer demand values", v, TypeError)
        for p in probs.tolist():
            if not math.isfinite(p) or p < 0:
                fail("demand_prob", owner, "a mapping to finite probabilities >= 0", p)
        if abs(probs.sum() - 1.0) > 1e-9:
            fail("demand_prob", owner, "a mapping whose probabilities sum to 1", float(probs.sum()))
        ivals = vals.astype(np.int64)
        if len(np.unique(ivals)) != len(ivals):
            fail("values", owner, "free of duplicates", vals.tolist())
        order = np.argsort(ivals)
        self._values = ivals[order]
        self._probs = probs[order] / probs.sum()

    def pmf(self, period: int = 0) -> tuple[np.ndarray, np.ndarray]:
        return self._values.copy(), self._probs.copy()

    def sample_periods(
        self,
        batch_size: int,
        periods: int,
        generator: torch.Generator | None = None,
        start_period: int = 0,
    ) -> torch.Tensor:
        return sample_from_pmf(self._values, self._probs, (batch_size, periods), generator)


class UniformDemand(FiniteDemand):
    """Discrete uniform demand on the integers ``low, low + 1, ..., high`` (both included).

    Parameters
    ----------
    low : int
        Smallest demand, >= 0 [:math:`\\underline{d}`].
    high : int
        Largest demand, >= ``low`` [:math:`\\overline{d}`].

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> UniformDemand(low=0, high=4).mean()
    2.0
    """

    def __init__(self, low: int, high: int) -> None:
        self.low = check_int(low, "low", "UniformDemand", minimum=0)
        self.high = check_int(high, "high", "UniformDemand")
        if self.high < self.low:
            fail("high", "UniformDemand", f"an int >= low ({self.low})", high)
        n = self.high - self.low + 1
        super().__init__(np.arange(self.low, self.high + 1), np.full(n, 1.0 / n))

    def sample_periods(
        self,
        batch_size: int,
        periods: int,
        generator: torch.Generator | None = None,
        start_period: int = 0,
    ) -> torch.Tensor:
        if generator is None:
            generator = _fresh_generator()
        return torch.randint(
            self.low, self.high + 1, (batch_size, periods), generator=generator
        ).to(torch.float32)

    def __repr__(self) -> str:
        return f"UniformDemand(low={self.low}, high={self.high})"


class CustomDemand(FiniteDemand):
    """Demand with a user-given pmf.

    Parameters
    ----------
    demand_prob : dict of {int: float}
        ``{demand value: probability}``; values are integers >= 0, probabilities are
        >= 0 and sum to 1.

    Examples
    --------
    >>> from idinn.demand import CustomDemand
    >>> CustomDemand({1: 0.5, 3: 0.5}).mean()
    2.0
    """

    def __init__(self, demand_prob: Mapping[int, float]) -> None:
        if not isinstance(demand_prob, Mapping):
            fail("demand_prob", "CustomDemand", "a mapping {demand value: probability}", demand_prob, TypeError)
        if len(demand_prob) == 0:
            fail("demand_prob", "CustomDemand", "a non-empty mapping {demand value: probability}", dict(demand_prob))
        for v in demand_prob:
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                fail("demand_prob", "CustomDemand", "keyed by integer demand values", v, TypeError)
            if v < 0:
                fail("demand_prob", "CustomDemand", "keyed by demand values >= 0", v)
        for p in demand_prob.values():
            if isinstance(p, bool) or not isinstance(p, int | float | np.integer | np.floating):
                fail("demand_prob", "CustomDemand", "a mapping to real probabilities", p, TypeError)
        self.demand_prob = dict(demand_prob)
        super().__init__(list(demand_prob.keys()), list(demand_prob.values()))

    def __repr__(self) -> str:
        return f"CustomDemand({self.demand_prob!r})"


# ---------------------------------------------------------------------------------------
# Parametric, data-driven and non-stationary demand models.
#
# Conventions shared by the classes below:
#
# * Unbounded distributions become finite by *censoring* at a maximum demand
#   :math:`\overline{d}`: the finite model is the law of :math:`\min(D, \overline{d})`, so
#   the tail mass :math:`P(D > \overline{d})` is added to the probability of
#   :math:`\overline{d}` (reported as ``dropped_mass``). Censoring keeps
#   :math:`P(D \le k)` exact for every :math:`k < \overline{d}`, hence every newsvendor
#   quantile below :math:`\overline{d}`; renormalising would perturb all of them.
# * A continuous demand :math:`X` is put on the integers by rounding half up: integer
#   :math:`k` receives :math:`P(k - 0.5 \le X < k + 0.5)`, demand 0 receives all of
#   :math:`P(X < 0.5)` (negative values are censored at 0) and :math:`\overline{d}` receives
#   :math:`P(X \ge \overline{d} - 0.5)`; that is, :math:`D = \min(\max(\lfloor X + 0.5
#   \rfloor, 0), \overline{d})`.
# ---------------------------------------------------------------------------------------

DEFAULT_TAIL_MASS = 1e-9


def _check_generator(generator: object, owner: str) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        fail("generator", owner, "a torch.Generator or None", generator, TypeError)
    return generator


def _check_sampling(
    owner: str, batch_size: object, periods: object, generator: object, start_period: object
) -> tuple[int, int, torch.Generator, int]:
    """Validate the arguments of ``sample_periods``; return them with a generator."""
    b = check_int(batch_size, "batch_size", owner, minimum=1)
    t = check_int(periods, "periods", owner, minimum=1)
    g = _check_generator(generator, owner)
    s = check_int(start_period, "start_period", owner, minimum=0)
    return b, t, (_fresh_generator() if g is None else g), s


def _resolve_truncation(
    tail_mass: object, max_demand: object, owner: str
) -> tuple[float | None, int | None]:
    """Exactly one of ``tail_mass`` and ``max_demand`` (``tail_mass`` defaults to 1e-9)."""
    if max_demand is not None:
        if tail_mass is not None:
            fail("tail_mass", owner, "None when 'max_demand' is given (pass one of the two)", tail_mass)
        return None, check_int(max_demand, "max_demand", owner, minimum=0)
    if tail_mass is None:
        tail_mass = DEFAULT_TAIL_MASS
    return check_real(tail_mass, "tail_mass", owner, exclusive_minimum=0, exclusive_maximum=1), None


def smallest_max_demand(tail: Callable[[int], float], tail_mass: float, guess: float) -> int:
    r"""Smallest :math:`\overline{d} \ge 0` with ``tail(d) <= tail_mass``.

    Parameters
    ----------
    tail : callable int -> float
        Non-increasing tail function, :math:`d \mapsto P(D > d)` of the (rounded) demand.
    tail_mass : float
        Largest tail probability allowed, in (0, 1) [:math:`\varepsilon`].
    guess : float
        Starting point (e.g. from an inverse survival function); may be ``nan``.

    Returns
    -------
    int
    """
    d = 0 if not math.isfinite(guess) else max(0, int(math.ceil(guess)))
    while d > 0 and tail(d - 1) <= tail_mass:
        d -= 1
    while tail(d) > tail_mass:
        d += 1
    return d


def poisson_censored_pmf(rate: float, max_demand: int) -> tuple[np.ndarray, np.ndarray, float]:
    r"""Pmf of :math:`\min(D, \overline{d})` for :math:`D \sim \mathrm{Poisson}(\lambda)`.

    Parameters
    ----------
    rate : float
        Poisson rate, >= 0 [:math:`\lambda`].
    max_demand : int
        Censoring point, >= 0 [:math:`\overline{d}`].

    Returns
    -------
    values : ndarray of int64, shape (max_demand + 1,)
        ``0, 1, ..., max_demand``.
    probabilities : ndarray of float64, shape (max_demand + 1,)
        :math:`e^{-\lambda}\lambda^k/k!` for :math:`k < \overline{d}` and
        :math:`P(D \ge \overline{d})` at :math:`\overline{d}`.
    dropped_mass : float
        :math:`P(D > \overline{d})`, the tail mass moved onto :math:`\overline{d}`.
    """
    from scipy.stats import poisson

    values = np.arange(max_demand + 1, dtype=np.int64)
    probs = poisson.pmf(values, rate)
    probs[-1] = poisson.sf(max_demand - 1, rate) if max_demand > 0 else 1.0
    return values, probs, float(poisson.sf(max_demand, rate))


def rounded_censored_pmf(
    cdf: Callable[[np.ndarray], np.ndarray],
    sf: Callable[[np.ndarray], np.ndarray],
    max_demand: int,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Put a continuous demand :math:`X` on ``0, ..., max_demand`` by rounding half up.

    Integer :math:`k` gets :math:`P(k - 0.5 \le X < k + 0.5)`; 0 also gets everything
    below :math:`-0.5` and ``max_demand`` everything from ``max_demand - 0.5`` up.
    Interior masses are differences of ``cdf`` below the median and of ``sf`` above it,
    so that small tail probabilities keep their relative accuracy.

    Parameters
    ----------
    cdf, sf : callable ndarray -> ndarray
        Cumulative distribution and survival functions of :math:`X`.
    max_demand : int
        Largest demand kept, >= 0 [:math:`\overline{d}`].

    Returns
    -------
    values : ndarray of int64, shape (max_demand + 1,)
    probabilities : ndarray of float64, shape (max_demand + 1,)
    """
    values = np.arange(max_demand + 1, dtype=np.int64)
    if max_demand == 0:
        return values, np.ones(1)
    edges = np.arange(max_demand, dtype=np.float64) + 0.5  # upper edges of 0..max_demand-1
    F = np.asarray(cdf(edges), dtype=np.float64)
    S = np.asarray(sf(edges), dtype=np.float64)
    probs = np.empty(max_demand + 1)
    probs[0] = F[0]
    probs[-1] = S[-1]
    from_cdf = F[1:] - F[:-1]
    from_sf = S[:-1] - S[1:]
    probs[1:-1] = np.where(F[:-1] < 0.5, from_cdf, from_sf)
    return values, np.clip(probs, 0.0, None)


class _CheckedFiniteDemand(FiniteDemand):
    """FiniteDemand whose ``pmf`` and ``sample_periods`` validate their arguments."""

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

    def __init__(self, rate: float) -> None:
        self.rate = check_real(rate, "rate", "PoissonDemand", minimum=0)

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

    def __init__(self, rate: float, tail_mass: float | None = None, max_demand: int | None = None) -> None:
        owner = "TruncatedPoissonDemand"
        self.rate = check_real(rate, "rate", owner, minimum=0)
        self.tail_mass, d = _resolve_truncation(tail_mass, max_demand, owner)
        if d is None:
            from scipy.stats import poisson

            eps = self.tail_mass
            rate = self.rate
            d = smallest_max_demand(lambda k: float(poisson.sf(k, rate)), eps, float(poisson.isf(eps, rate)))
        self.max_demand = d
        values, probs, self.dropped_mass = poisson_censored_pmf(self.rate, d)
        super().__init__(values, probs)

    def __repr__(self) -> str:
        return f"TruncatedPoissonDemand(rate={self.rate!r}, max_demand={self.max_demand})"


class DiscretizedNormalDemand(_CensoredDemand):
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

    def __init__(
        self, mean: float, std: float, tail_mass: float | None = None, max_demand: int | None = None
    ) -> None:
        from scipy.stats import norm

        owner = "DiscretizedNormalDemand"
        self.mu = check_real(mean, "mean", owner, minimum=0)
        self.sigma = check_real(std, "std", owner, exclusive_minimum=0)
        self.tail_mass, d = _resolve_truncation(tail_mass, max_demand, owner)
        dist = norm(loc=self.mu, scale=self.sigma)
        if d is None:
            eps = self.tail_mass
            d = smallest_max_demand(lambda k: float(dist.sf(k + 0.5)), eps, float(dist.isf(eps)) - 0.5)
        self.max_demand = d
        self.dropped_mass = float(dist.sf(d + 0.5))
        self.negative_mass = float(dist.cdf(-0.5))
        super().__init__(*rounded_censored_pmf(dist.cdf, dist.sf, d))

    def __repr__(self) -> str:
        return f"DiscretizedNormalDemand(mean={self.mu!r}, std={self.sigma!r}, max_demand={self.max_demand})"


class DiscretizedGammaDemand(_CensoredDemand):
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

    def __init__(
        self, shape: float, scale: float, tail_mass: float | None = None, max_demand: int | None = None
    ) -> None:
        from scipy.stats import gamma

        owner = "DiscretizedGammaDemand"
        self.shape = check_real(shape, "shape", owner, exclusive_minimum=0)
        self.scale = check_real(scale, "scale", owner, exclusive_minimum=0)
        self.tail_mass, d = _resolve_truncation(tail_mass, max_demand, owner)
        dist = gamma(a=self.shape, scale=self.scale)
        if d is None:
            eps = self.tail_mass
            d = smallest_max_demand(lambda k: float(dist.sf(k + 0.5)), eps, float(dist.isf(eps)) - 0.5)
        self.max_demand = d
        self.dropped_mass = float(dist.sf(d + 0.5))
        super().__init__(*rounded_censored_pmf(dist.cdf, dist.sf, d))

    def __repr__(self) -> str:
        return (
            f"DiscretizedGammaDemand(shape={self.shape!r}, scale={self.scale!r}, "
            f"max_demand={self.max_demand})"
        )


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

    def __init__(self, history: object) -> None:
        from ._demand_io import as_demand_series

        self.history = as_demand_series(history, "history", "EmpiricalDemand")
        values, counts = np.unique(self.history, return_counts=True)
        super().__init__(values, counts / counts.sum())

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
        encoding: str = "utf-8-sig",
    ) -> EmpiricalDemand:
        """Build from one demand series of a CSV file with a header row.

        The keywords are those of :meth:`TraceDemand.from_csv`: ``key`` and ``sku`` pick
        one series of a long-format file, ``date`` sorts it and finds missing periods.
        """
        from ._demand_io import read_demand_series

        return cls(read_demand_series(path, column, delimiter=delimiter, key=key, sku=sku, date=date,
                                      missing=missing, encoding=encoding, owner="EmpiricalDemand.from_csv"))

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

    def __init__(self, series: object, mode: str = "replay") -> None:
        from ._demand_io import as_demand_series

        if not isinstance(mode, str) or mode not in self._MODES:
            fail("mode", "TraceDemand", "one of 'replay', 'windows'", mode)
        self.series = as_demand_series(series, "series", "TraceDemand")
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
        encoding : str, default="utf-8-sig"

        Raises
        ------
        ValueError
            For an empty file, an absent column, no data rows, a missing, non-numeric
            (``1_000`` included), non-finite, fractional, negative or too large value, a
            file that is not valid text in ``encoding``, several series without
            ``key``/``sku``, or a missing period. The message names the file, the data row
            (1-based, header excluded) with its line number, and the column; nothing is
            dropped silently. See :func:`idinn._demand_io.read_demand_history`.
        """
        from ._demand_io import read_demand_series

        if not isinstance(mode, str) or mode not in cls._MODES:
            fail("mode", "TraceDemand", "one of 'replay', 'windows'", mode)
        series = read_demand_series(path, column, delimiter=delimiter, key=key, sku=sku, date=date,
                                    missing=missing, encoding=encoding, owner="TraceDemand.from_csv")
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

    def __repr__(self) -> str:
        return f"TraceDemand(series={_short_list(self.series)}, mode={self.mode!r})"
