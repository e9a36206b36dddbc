"""Batched rollouts of MLP controllers: the fused numba path and the autograd path.

Both compute the same objective :math:`J = \\sum_t \\delta_t \\frac{1}{B} \\sum_b c^{(b)}_t`
for the policy :math:`q_t = \\lfloor \\mathrm{relu}(\\mathrm{MLP}(x_t)) \\rfloor`
(straight-through floor). The fused path is used whenever the network is a plain MLP with a
supported activation on the CPU; everything else (custom activations, GPU tensors) runs
through autograd with :func:`idinn.dynamics.transition`.
"""

from __future__ import annotations

import numpy as np
import torch

from . import _fused
from ._mlp import activation_code, layer_sizes, pack_parameters, unpack_gradient
from .dynamics import SourcingParams, period_cost, transition


def ste_orders(out: torch.Tensor) -> torch.Tensor:
    """Orders :math:`\\lfloor \\mathrm{relu}(o) \\rfloor` with a straight-through gradient.

    The gradient with respect to :math:`o` is 1 where :math:`o > 0` and
    ``_fused.STE_NEGATIVE_SLOPE`` elsewhere, exactly as in the fused kernels.
    """
    q = torch.floor(torch.relu(out))
    surrogate = torch.where(out > 0, out, _fused.STE_NEGATIVE_SLOPE * out)
    return surrogate + (q - surrogate).detach()


def torch_rollout_cost(
    net: torch.nn.Module,
    params: SourcingParams,
    init_state: torch.Tensor,
    demands: torch.Tensor,
    time_feats: torch.Tensor | None = None,
    discounts: torch.Tensor | None = None,
) -> torch.Tensor:
    """Differentiable total cost of a rollout (autograd path).

    Parameters
    ----------
    init_state : (B, state_dim) tensor (may require grad)
    demands : (B, T) tensor
    time_feats : (T, m) tensor, optional
    discounts : (T,) tensor, optional
    """
    state = init_state
    horizon = demands.shape[1]
    total = torch.zeros((), device=demands.device)
    for t in range(horizon):
        x = state if time_feats is None or time_feats.shape[1] == 0 else torch.cat(
            [state, time_feats[t].expand(state.shape[0], -1)], dim=1
        )
        q = ste_orders(net(x))
        state = transition(state, q, demands[:, t], params)
        c = period_cost(state[:, 0], q, params).mean()
        total = total + (c if discounts is None else discounts[t] * c)
    return total


class Standardize(torch.nn.Module):
    """Fixed affine input map :math:`x \\mapsto (x - m) / \\sigma` on the first ``len(m)`` features."""

    def __init__(self, shift: torch.Tensor, scale: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("shift", shift.to(torch.float32))
        self.register_buffer("scale", scale.to(torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = self.shift.shape[0]
        head = (x[:, :n] - self.shift) / self.scale
        return head if x.shape[1] == n else torch.cat([head, x[:, n:]], dim=1)


class FusedMLP:
    """Caches what the fused kernels need for one network (sizes, activation code)."""

    def __init__(self, net: torch.nn.Sequential) -> None:
        mods = list(net)
        if mods and isinstance(mods[0], Standardize):
            self.in_shift = mods[0].shift.detach().numpy().astype(np.float32)
            self.in_scale = mods[0].scale.detach().numpy().astype(np.float32)
            mods = mods[1:]
        else:
            self.in_shift = self.in_scale = None
        hidden_acts = [m for m in mods if not isinstance(m, torch.nn.Linear)]
        codes = {activation_code(a) for a in hidden_acts}
        if len(codes) != 1 and hidden_acts:
            raise ValueError("fused rollout needs one activation type")
        code = codes.pop() if hidden_acts else (_fused.ACT_IDENTITY, 0.0)
        if code is None:
            raise ValueError("activation not supported by the fused kernels")
        self.net = net
        self.act, self.alpha = code
        self.sizes = layer_sizes(net)

    @staticmethod
    def supports(net: torch.nn.Module) -> bool:
        if not isinstance(net, torch.nn.Sequential):
            return False
        try:
            if any(p.device.type != "cpu" for p in net.parameters()):
                return False
            FusedMLP(net)
        except ValueError:
            return False
        mods = list(net)[1:] if len(net) and isinstance(net[0], Standardize) else list(net)
        return all(isinstance(m, torch.nn.Linear) or activation_code(m) is not None for m in mods)

    def _args(self, params: SourcingParams) -> tuple:
        n = params.state_dim
        shift = np.zeros(n, np.float32) if self.in_shift is None else self.in_shift
        scale = np.ones(n, np.float32) if self.in_scale is None else self.in_scale
        return (
            shift,
            scale,
            np.asarray(params.lead_times, dtype=np.int64),
            np.asarray(params.order_costs, dtype=np.float64),
            float(params.holding_cost),
            float(params.shortage_cost),
        )

    def forward_costs(
        self,
        params: SourcingParams,
        init_state: np.ndarray,
        demands: np.ndarray,
        time_feats: np.ndarray,
        discounts: np.ndarray,
    ) -> np.ndarray:
        """Per-period batch-mean costs, shape (T,)."""
        shift, scale, lt, oc, h, b = self._args(params)
        return _fused.rollout_forward(
            pack_parameters(self.net), self.sizes, self.act, self.alpha, lt, oc, h, b,
            np.ascontiguousarray(init_state, dtype=np.float32),
            np.ascontiguousarray(demands, dtype=np.float32),
            np.ascontiguousarray(time_feats, dtype=np.float32),
            shift,
            scale,
            np.ascontiguousarray(discounts, dtype=np.float64),
        )

    def cost_and_grad(
        self,
        params: SourcingParams,
        init_state: np.ndarray,
        demands: np.ndarray,
        time_feats: np.ndarray,
        discounts: np.ndarray,
    ) -> tuple[float, np.ndarray]:
        """Total cost; writes parameter gradients into ``.grad``; returns dJ/ds_0 summed over paths."""
        shift, scale, lt, oc, h, b = self._args(params)
        total, grad, grad_init = _fused.rollout_grad(
            pack_parameters(self.net), self.sizes, self.act, self.alpha, lt, oc, h, b,
            np.ascontiguousarray(init_state, dtype=np.float32),
            np.ascontiguousarray(demands, dtype=np.float32),
            np.ascontiguousarray(time_feats, dtype=np.float32),
            shift,
            scale,
            np.ascontiguousarray(discounts, dtype=np.float64),
        )
        unpack_gradient(self.net, grad)
        return float(total), grad_init
