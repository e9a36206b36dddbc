"""Controllers for :math:`K \\le 5` suppliers (:class:`idinn.MultiSourcingModel`)."""

from .base import BaseMultiController
from .multi_index import MultiIndexController

__all__ = ["BaseMultiController", "MultiIndexController"]
