"""Moved to :mod:`idinn.neural.network` (kept so that old imports keep working)."""

from .neural.network import (  # noqa: F401
    activation_code,
    activation_from_config,
    activation_to_config,
    build_mlp,
    check_activation,
    check_hidden_layers,
    layer_sizes,
    linear_layers,
    pack_parameters,
    unpack_gradient,
)
