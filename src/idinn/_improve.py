"""Former home of the policy-improvement targets: re-exports :mod:`idinn.exact.improvement`."""

from .exact.improvement import (  # noqa: F401
    ChainTooLarge,
    default_box,
    discounted_values,
    finite_horizon_improvement_targets,
    improvement_targets,
)
