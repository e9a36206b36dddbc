"""Former home of the exact methods' pmf helpers; they live in :mod:`idinn.exact._pmf` now.

Kept as thin aliases because other modules import these names.
"""

from __future__ import annotations

import numpy as np

from ._pmf import convolve_pmf, newsvendor_level, stationary_pmf

__all__ = ["finite_pmf", "convolve_pmf", "newsvendor_level"]


def finite_pmf(demand: object, name: str, owner: str) -> tuple[np.ndarray, np.ndarray]:
    """Support and probabilities of a stationary, finite-support demand model (see :func:`~idinn.exact.demand_pmf`)."""
    return stationary_pmf(demand, owner=owner, name=name)
