"""Parametric demand models: Poisson, and normal and gamma laws put on the integers.

Unbounded laws become finite by censoring at a maximum demand (see :mod:`idinn.demand._pmf`
for the two rules); :class:`_DiscretizedContinuous` is the one base of the discretized
continuous laws.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from .._validation import check_int, check_real, fail
from ._base import MAX_EXACT_DEMAND, BaseDemand, FiniteDemand, check_demand_value, sample_from_pmf
from ._pmf import _check_sampling, _resolve_truncation, poisson_censored_pmf, rounded_censored_pmf, smallest_max_demand

__all__ = [
    "PoissonDemand",
    "TruncatedPoissonDemand",
    "DiscretizedNormalDemand",
    "DiscretizedGammaDemand",
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
