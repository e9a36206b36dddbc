r"""Geometric demand on :math:`\{0, 1, \dots\}` (Zipkin 2008's second lost-sales test bed)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from .._validation import check_int, check_real, fail
from ._base import BaseDemand
from ._parametric import _CensoredDemand
from ._pmf import _check_sampling, _resolve_truncation, smallest_max_demand

__all__ = ["GeometricDemand", "TruncatedGeometricDemand"]

_MAX_MEAN = 1e5


def _check_mean(mean: object, owner: str) -> float:
    m = check_real(mean, "mean", owner, minimum=0)
    if m > _MAX_MEAN:
        fail("mean", owner, f"<= {_MAX_MEAN:.0f}", mean)
    return m


class GeometricDemand(BaseDemand):
    r"""I.i.d. geometric demand on :math:`\{0, 1, \dots\}` with mean :math:`\mu`.

    :math:`P(D = k) = (1 - \rho)\rho^k` with :math:`\rho = \mu / (1 + \mu)`, so
    :math:`E[D] = \mu` and :math:`P(D \ge k) = \rho^k` (Zipkin 2008, *Oper. Res.* 56(5),
    test bed with :math:`\mu = 5`). The support is unbounded: :meth:`pmf` raises and the
    exact methods use :meth:`truncated`, which states the tail mass it moves.

    Parameters
    ----------
    mean : float
        Mean demand per period, >= 0 [:math:`\mu`].

    Examples
    --------
    >>> from idinn.demand import GeometricDemand
    >>> d = GeometricDemand(mean=5)
    >>> finite = d.truncated(tail_mass=1e-6)
    >>> finite.max_demand, round(finite.dropped_mass, 9)
    (75, 9.6e-07)
    """

    type_name = "geometric"

    def __init__(self, mean: float) -> None:
        self.mean_demand = _check_mean(mean, "GeometricDemand")

    @property
    def ratio(self) -> float:
        r""":math:`\rho = \mu / (1 + \mu)`."""
        return self.mean_demand / (1.0 + self.mean_demand)

    def _params(self) -> dict[str, Any]:
        return {"mean": self.mean_demand}

    @property
    def has_finite_support(self) -> bool:
        return False

    def _no_pmf(self) -> ValueError:
        return ValueError(f"{self!r} has unbounded support, so it has no finite pmf. Use "
                          f"{self!r}.truncated(tail_mass=1e-9) (or truncated(max_demand=...)).")

    def pmf(self, period: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Not available: raises ``ValueError`` (use :meth:`truncated`)."""
        check_int(period, "period", "GeometricDemand", minimum=0)
        raise self._no_pmf()

    def mean(self, period: int = 0) -> float:
        check_int(period, "period", "GeometricDemand", minimum=0)
        return self.mean_demand

    def get_min_demand(self) -> int:
        return 0

    def get_max_demand(self) -> int:
        raise self._no_pmf()

    def truncated(self, tail_mass: float | None = None, max_demand: int | None = None) -> TruncatedGeometricDemand:
        """Finite model :math:`\\min(D, \\overline{d})`; see :class:`TruncatedGeometricDemand`."""
        return TruncatedGeometricDemand(self.mean_demand, tail_mass=tail_mass, max_demand=max_demand)

    def sample_periods(
        self, batch_size: int, periods: int, generator: torch.Generator | None = None, start_period: int = 0
    ) -> torch.Tensor:
        b, t, g, _ = _check_sampling("GeometricDemand", batch_size, periods, generator, start_period)
        rho = self.ratio
        if rho == 0:
            return torch.zeros((b, t))
        u = 1.0 - torch.rand((b, t), generator=g, dtype=torch.float64)  # in (0, 1]
        return torch.floor(torch.log(u) / math.log(rho)).to(torch.float32)  # inverse CDF: P(D >= k) = rho^k

    def _sample_array(self, rng: np.random.Generator, n: int, t: int, s: int) -> np.ndarray:
        return (rng.geometric(1.0 - self.ratio, size=(n, t)) - 1).astype(np.int64)

    def __repr__(self) -> str:
        return f"GeometricDemand(mean={self.mean_demand!r})"


class TruncatedGeometricDemand(_CensoredDemand):
    r"""Geometric demand censored at :math:`\overline{d}`: the law of :math:`\min(D, \overline{d})`.

    :math:`P(k) = (1-\rho)\rho^k` for :math:`k < \overline{d}` and
    :math:`P(\overline{d}) = \rho^{\overline{d}}`; ``dropped_mass`` is
    :math:`P(D > \overline{d}) = \rho^{\overline{d}+1}`, added to ``max_demand``.

    Parameters
    ----------
    mean : float
        Mean of the untruncated law [:math:`\mu`].
    tail_mass, max_demand
        As for :class:`~idinn.demand.TruncatedPoissonDemand` (give one; default tail 1e-9).
    """

    type_name = "truncated_geometric"

    def __init__(self, mean: float, tail_mass: float | None = None, max_demand: int | None = None) -> None:
        owner = "TruncatedGeometricDemand"
        self.mean_demand = _check_mean(mean, owner)
        self.tail_mass, d = _resolve_truncation(tail_mass, max_demand, owner)
        rho = self.mean_demand / (1.0 + self.mean_demand)
        if d is None:
            eps = self.tail_mass
            guess = math.log(eps) / math.log(rho) - 1 if rho > 0 else 0.0
            d = smallest_max_demand(lambda k: rho ** (k + 1), eps, guess)
        self.max_demand = d
        values = np.arange(d + 1, dtype=np.int64)
        probs = (1.0 - rho) * rho ** values.astype(np.float64)
        probs[-1] = rho**d
        self.dropped_mass = float(rho ** (d + 1))
        self._set_computed_pmf(values, probs, owner)

    def _params(self) -> dict[str, Any]:
        return {"mean": self.mean_demand, "max_demand": self.max_demand}

    def __repr__(self) -> str:
        return f"TruncatedGeometricDemand(mean={self.mean_demand!r}, max_demand={self.max_demand})"
