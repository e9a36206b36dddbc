"""Censoring rules, sampling-argument checks and pmf formulas of the parametric models."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from .._validation import check_int, check_real, fail
from ._base import _fresh_generator

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
