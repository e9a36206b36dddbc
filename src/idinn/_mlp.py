"""Multilayer perceptrons for neural controllers, and their link to the fused kernels."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from . import _fused
from ._validation import check_int, fail

# torch activation class -> (kernel code, attribute holding its parameter, default)
_ACTIVATIONS: dict[type[torch.nn.Module], tuple[int, str | None]] = {
    torch.nn.Identity: (_fused.ACT_IDENTITY, None),
    torch.nn.ReLU: (_fused.ACT_RELU, None),
    torch.nn.CELU: (_fused.ACT_CELU, "alpha"),
    torch.nn.ELU: (_fused.ACT_ELU, "alpha"),
    torch.nn.LeakyReLU: (_fused.ACT_LEAKY_RELU, "negative_slope"),
    torch.nn.Tanh: (_fused.ACT_TANH, None),
    torch.nn.Sigmoid: (_fused.ACT_SIGMOID, None),
    torch.nn.Softplus: (_fused.ACT_SOFTPLUS, None),
    torch.nn.SiLU: (_fused.ACT_SILU, None),
}


def activation_code(activation: torch.nn.Module) -> tuple[int, float] | None:
    """Kernel code and parameter of ``activation``, or ``None`` if only autograd can run it."""
    entry = _ACTIVATIONS.get(type(activation))
    if entry is None:
        return None
    code, attr = entry
    if isinstance(activation, torch.nn.Softplus) and (activation.beta != 1 or activation.threshold != 20):
        return None
    return code, float(getattr(activation, attr)) if attr else 0.0


def activation_to_config(activation: torch.nn.Module) -> dict[str, Any]:
    """Plain-data description of a supported activation (for ``save``)."""
    entry = _ACTIVATIONS.get(type(activation))
    if entry is None:
        raise TypeError(
            f"Cannot save a controller with activation {activation!r}: only "
            f"{sorted(c.__name__ for c in _ACTIVATIONS)} can be stored safely."
        )
    cfg: dict[str, Any] = {"name": type(activation).__name__}
    _, attr = entry
    if attr:
        cfg[attr] = float(getattr(activation, attr))
    if isinstance(activation, torch.nn.Softplus):
        cfg["beta"] = float(activation.beta)
        cfg["threshold"] = float(activation.threshold)
    return cfg


def activation_from_config(cfg: dict[str, Any]) -> torch.nn.Module:
    by_name = {c.__name__: c for c in _ACTIVATIONS}
    name = cfg.get("name")
    if name not in by_name:
        raise ValueError(f"Unknown activation {name!r} in saved controller.")
    kwargs = {k: v for k, v in cfg.items() if k != "name"}
    return by_name[name](**kwargs)


def check_hidden_layers(hidden_layers: Any, owner: str) -> list[int]:
    if isinstance(hidden_layers, int | str) or not hasattr(hidden_layers, "__iter__"):
        fail("hidden_layers", owner, "a list of ints >= 1", hidden_layers, TypeError)
    layers = list(hidden_layers)
    if not layers:
        fail("hidden_layers", owner, "a non-empty list of ints >= 1", hidden_layers)
    for w in layers:
        check_int(w, "hidden_layers", owner, minimum=1)
    return [int(w) for w in layers]


def check_activation(activation: Any, owner: str) -> torch.nn.Module:
    if not isinstance(activation, torch.nn.Module):
        fail("activation", owner, "a torch.nn.Module such as torch.nn.ReLU()", activation, TypeError)
    return activation


def build_mlp(n_in: int, hidden: list[int], n_out: int, activation: torch.nn.Module) -> torch.nn.Sequential:
    """``Linear -> act -> ... -> Linear`` (the output relu and floor are applied by the policy)."""
    layers: list[torch.nn.Module] = []
    width = n_in
    for h in hidden:
        layers += [torch.nn.Linear(width, h), activation]
        width = h
    layers.append(torch.nn.Linear(width, n_out))
    return torch.nn.Sequential(*layers)


def linear_layers(net: torch.nn.Sequential) -> list[torch.nn.Linear]:
    return [m for m in net if isinstance(m, torch.nn.Linear)]


def layer_sizes(net: torch.nn.Sequential) -> np.ndarray:
    lin = linear_layers(net)
    return np.array([lin[0].in_features] + [m.out_features for m in lin], dtype=np.int64)


def pack_parameters(net: torch.nn.Sequential) -> np.ndarray:
    """Flat float32 vector in the kernels' layout (W_l row-major, then b_l, per layer)."""
    parts = []
    for m in linear_layers(net):
        parts.append(m.weight.detach().reshape(-1))
        parts.append(m.bias.detach().reshape(-1))
    return torch.cat(parts).to(torch.float32).cpu().numpy().copy()


def unpack_gradient(net: torch.nn.Sequential, flat: np.ndarray) -> None:
    """Write a flat gradient into ``.grad`` of the network's parameters."""
    pos = 0
    t = torch.from_numpy(flat)
    for m in linear_layers(net):
        for p in (m.weight, m.bias):
            n = p.numel()
            g = t[pos : pos + n].reshape(p.shape).to(p.dtype)
            p.grad = g.clone() if p.grad is None else p.grad.copy_(g)
            pos += n
