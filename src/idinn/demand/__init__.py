"""Demand models.

Every demand model draws integer demand paths with an explicit random generator
(:meth:`~BaseDemand.sample_periods` with a ``torch.Generator``,
:meth:`~BaseDemand.sample_array` with a ``numpy.random.Generator``) and, when its support
is finite, exposes its probability mass function (pmf) so that the exact methods
(newsvendor quantiles, dynamic programming, Markov-chain policy evaluation) can use it
without sampling.

Every model is plain data: :meth:`~BaseDemand.to_dict` writes it as a JSON/TOML-able
dict and :func:`demand_from_dict` rebuilds an equal model (models compare by value).

A demand model is *stationary* when ``season_length`` is ``None``. Non-stationary models
set ``season_length`` to the length of their cycle (or of their horizon) and answer
``pmf(period)`` and ``mean(period)`` per period.

Layout: :mod:`idinn.demand._base` (interface, finite models, dict round trip),
:mod:`idinn.demand._pmf` (censoring and pmf formulas), :mod:`idinn.demand._parametric`
(Poisson, discretized normal and gamma), :mod:`idinn.demand._models` (empirical, seasonal,
recorded traces).
"""

from ._base import (  # noqa: F401 - sample_from_pmf kept at its old path
    MAX_EXACT_DEMAND,
    BaseDemand,
    CustomDemand,
    FiniteDemand,
    UniformDemand,
    demand_from_dict,
    demand_types,
    sample_from_pmf,
)
from ._parametric import DiscretizedGammaDemand, DiscretizedNormalDemand, PoissonDemand, TruncatedPoissonDemand
from ._models import EmpiricalDemand, SeasonalDemand, TraceDemand
from ._pmf import (  # noqa: F401 - the pmf formulas, kept at their old paths
    DEFAULT_TAIL_MASS,
    poisson_censored_pmf,
    rounded_censored_pmf,
    smallest_max_demand,
)

from ._geometric import GeometricDemand, TruncatedGeometricDemand

__all__ = [
    "BaseDemand",
    "FiniteDemand",
    "UniformDemand",
    "CustomDemand",
    "PoissonDemand",
    "TruncatedPoissonDemand",
    "DiscretizedNormalDemand",
    "DiscretizedGammaDemand",
    "GeometricDemand",
    "TruncatedGeometricDemand",
    "EmpiricalDemand",
    "SeasonalDemand",
    "TraceDemand",
    "demand_from_dict",
    "demand_types",
    "MAX_EXACT_DEMAND",
]
