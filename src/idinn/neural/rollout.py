"""Batched rollouts of MLP controllers: the autograd path and the bridge to the fused kernels.

Both compute the same objective :math:`J = \\sum_t \\delta_t \\frac{1}{B} \\sum_b c^{(b)}_t`
for the policy :math:`q_t = \\lfloor \\mathrm{relu}(\\mathrm{MLP}(x_t)) \\rfloor`
(straight-through floor). The fused path (:mod:`idinn.neural._kernels`) is used whenever
the network is a plain MLP with a supported activation on the CPU; everything else
(custom activations, CUDA tensors) runs through autograd with
:func:`idinn.dynamics.transition` and :func:`idinn.dynamics.period_cost`. The kernels
model neither fixed order costs nor capacities nor review periods: a network with an
:class:`~idinn.neural.network.OrderHead` (which every controller fitted to such a
problem has) is not a plain ``Sequential`` and trains through autograd, where the fixed
costs get the surrogate gradient of :func:`fixed_cost_gradient`.
"""

from __future__ import annotations

import numpy as np
import torch

from ..dynamics import SourcingParams, advance, period_cost
from .network import (
    ACT_IDENTITY,
    Compress,
    OrderHead,
    Standardize,
    activation_code,
    order_indicator,
    pack_parameters,
    ste_orders,
    unpack_gradient,
)


def torch_rollout_cost(
    net: torch.nn.Module,
    params: SourcingParams,
    init_state: torch.Tensor,
    demands: torch.Tensor,
    time_feats: torch.Tensor | None = None,
    discounts: torch.Tensor | None = None,
) -> torch.Tensor:
    """Differentiable total cost of a rollout (autograd path; any device).

    Parameters
    ----------
    init_state : (B, state_dim) tensor (may require grad)
    demands : (B, T) tensor
    time_feats : (T, m) tensor, optional
    discounts : (T,) tensor, optional

    Returns
    -------
    torch.Tensor, scalar
        :math:`J`; wrap the call in ``torch.no_grad()`` to evaluate without a graph.
    """
    state = init_state
    horizon = demands.shape[1]
    total = torch.zeros((), device=demands.device)
    for t in range(horizon):
        x = state if time_feats is None or time_feats.shape[1] == 0 else torch.cat(
            [state, time_feats[t].expand(state.shape[0], -1)], dim=1
        )
        out = net(x)
        q = ste_orders(out)
        state, y = advance(state, q, demands[:, t], params)
        c = (period_cost(y, q, params) + fixed_cost_gradient(out, params)).mean()
        total = total + (c if discounts is None else discounts[t] * c)
    return total


def fixed_cost_gradient(out: torch.Tensor, params: SourcingParams) -> torch.Tensor:
    r"""Zero in value; carries the surrogate gradient of the fixed order costs.

    :func:`idinn.dynamics.period_cost` charges :math:`\sum_k K_k \mathbf 1[q^k_t > 0]`,
    whose derivative is 0 almost everywhere. This term,
    :math:`\sum_k K_k (\iota_k - \mathrm{sg}(\iota_k))` with
    :math:`\iota_k` = :func:`idinn.neural.network.order_indicator` of the output
    :math:`o_k` and :math:`\mathrm{sg}` the stop-gradient, adds exactly 0 to the cost
    and the indicator's surrogate gradient :math:`K_k \sigma'((o_k - 1)/\tau)/\tau` to its
    derivative (straight-through estimator).

    Parameters
    ----------
    out : (B, K) tensor
        Network outputs (after the :class:`~idinn.neural.network.OrderHead`).

    Returns
    -------
    (B,) tensor of zeros (a scalar 0 when there is no fixed cost).
    """
    total = torch.zeros((), device=out.device)
    for k, fixed in enumerate(params.fixed_order_costs):
        if fixed != 0:
            ind = order_indicator(out[:, k])
            total = total + fixed * (ind - ind.detach())
    return total


def _plain_modules(net: torch.nn.Sequential) -> tuple[list[torch.nn.Module], bool]:
    """The modules of ``net`` with a leading :class:`Compress` (and the ``Sequential`` after it) unwrapped.

    Returns the flat module list and whether a compression with a regular pipeline came first.
    """
    mods = list(net)
    merge = False
    if mods and isinstance(mods[0], Compress):
        merge = mods[0].regular_lead_time > 0
        rest: list[torch.nn.Module] = []
        for m in mods[1:]:
            rest += list(m) if isinstance(m, torch.nn.Sequential) else [m]
        mods = rest
    return mods, merge


class FusedMLP:
    """What the fused kernels need for one network (sizes, activation code, standardisation)."""

    def __init__(self, net: torch.nn.Sequential) -> None:
        mods, self.merge_arrival = _plain_modules(net)
        if mods and isinstance(mods[0], Standardize):
            self.in_shift = mods[0].shift.detach().cpu().numpy().astype(np.float32)
            self.in_scale = mods[0].scale.detach().cpu().numpy().astype(np.float32)
            mods = mods[1:]
        else:
            self.in_shift = self.in_scale = None
        if self.merge_arrival:
            # Compress (idinn 0.2's compressed input) is linear: the kernels see the full state
            # with the inventory's standardisation and first-layer column repeated for q_{t-l}.
            if self.in_shift is not None and self.in_scale is not None:
                self.in_shift = np.concatenate([self.in_shift[:1], [0.0], self.in_shift[1:]]).astype(np.float32)
                self.in_scale = np.concatenate([self.in_scale[:1], self.in_scale[:1], self.in_scale[1:]]).astype(
                    np.float32)
        hidden_acts = [m for m in mods if not isinstance(m, torch.nn.Linear)]
        codes = {activation_code(a) for a in hidden_acts}
        if len(codes) != 1 and hidden_acts:
            raise ValueError("fused rollout needs one activation type")
        code = codes.pop() if hidden_acts else (ACT_IDENTITY, 0.0)
        if code is None:
            raise ValueError("activation not supported by the fused kernels")
        self.net = net
        self.linears = [m for m in mods if isinstance(m, torch.nn.Linear)]
        self.act, self.alpha = code
        self.sizes = np.array([self.linears[0].in_features + int(self.merge_arrival)]
                              + [m.out_features for m in self.linears], dtype=np.int64)

    @staticmethod
    def supports(net: torch.nn.Module) -> bool:
        """True for a CPU ``Sequential`` of ``Linear`` layers and one supported activation (``Compress`` first allowed)."""
        if not isinstance(net, torch.nn.Sequential):
            return False
        try:
            if any(p.device.type != "cpu" for p in net.parameters()):
                return False
            FusedMLP(net)
        except ValueError:
            return False
        mods = _plain_modules(net)[0]
        mods = mods[1:] if mods and isinstance(mods[0], Standardize) else mods
        if any(isinstance(m, OrderHead) for m in mods):  # capacities / review periods: autograd only
            return False
        return all(isinstance(m, torch.nn.Linear) or activation_code(m) is not None for m in mods)

    def packed_parameters(self) -> np.ndarray:
        """Flat float32 parameters in the kernels' layout (first-layer column 0 repeated when compressed)."""
        return pack_parameters(self.linears, self.merge_arrival)

    def unpack_gradient(self, flat: np.ndarray) -> None:
        """Write a flat gradient (layout of :meth:`packed_parameters`) into ``.grad`` (repeated columns summed)."""
        unpack_gradient(self.linears, flat, self.merge_arrival)

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

    def kernel_args(
        self,
        params: SourcingParams,
        init_state: np.ndarray,
        demands: np.ndarray,
        time_feats: np.ndarray,
        discounts: np.ndarray,
    ) -> tuple:
        """The arguments every fused kernel takes (network, dynamics, inputs), as contiguous arrays."""
        shift, scale, lt, oc, h, b = self._args(params)
        return (
            self.packed_parameters(), self.sizes, self.act, self.alpha, lt, oc, h, b,
            np.ascontiguousarray(init_state, dtype=np.float32),
            np.ascontiguousarray(demands, dtype=np.float32),
            np.ascontiguousarray(time_feats, dtype=np.float32),
            shift,
            scale,
            np.ascontiguousarray(discounts, dtype=np.float64),
        )

    def forward_costs(
        self,
        params: SourcingParams,
        init_state: np.ndarray,
        demands: np.ndarray,
        time_feats: np.ndarray,
        discounts: np.ndarray,
    ) -> np.ndarray:
        """Per-period batch-mean costs, shape (T,) (no gradient, memory independent of T)."""
        from . import _kernels

        return _kernels.rollout_forward(
            *self.kernel_args(params, init_state, demands, time_feats, discounts),
            params.excess_demand == "lost_sales",
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
        from . import _kernels, _kernels_dual

        if _kernels_dual.handles(params):  # plain backlog: the sgemm kernel (issue 14)
            return _kernels_dual.fused_cost_and_grad(self, params, init_state, demands, time_feats, discounts)

        total, grad, grad_init = _kernels.rollout_grad(
            *self.kernel_args(params, init_state, demands, time_feats, discounts),
            params.excess_demand == "lost_sales",
        )
        self.unpack_gradient(grad)
        return float(total), grad_init
