"""Controllers for :math:`K \\le 5` suppliers (:class:`idinn.MultiSourcingModel`)."""

from .base import BaseMultiController

__all__ = ["BaseMultiController"]
