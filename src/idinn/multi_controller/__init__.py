"""Controllers for :math:`K \\le 5` suppliers (:class:`idinn.MultiSourcingModel`)."""

from .base import BaseMultiController
from .multi_index import MultiIndexController

__all__ = ["BaseMultiController", "MultiIndexController"]

# Exact dynamic programming for up to five suppliers (helper exactgen).
from .dynamic_programming import MultiSourcingDPController  # noqa: E402

__all__ += ["MultiSourcingDPController"]
