"""Controllers for :math:`K \\le 5` suppliers (:class:`idinn.MultiSourcingModel`)."""

from .base import BaseMultiController

__all__ = ["BaseMultiController"]

# Exact dynamic programming for up to five suppliers (helper exactgen).
from .dynamic_programming import MultiSourcingDPController  # noqa: E402

__all__ += ["MultiSourcingDPController"]
