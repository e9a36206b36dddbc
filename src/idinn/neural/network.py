r"""The policy network: MLP construction, activations, input standardisation, time features.

The policy of a neural controller is

.. math:: q_t = \lfloor \mathrm{relu}(\mathrm{MLP}_\theta(x_t)) \rfloor,
   \qquad x_t = [(s_t - m) / \sigma, \phi_t]

with the state :math:`s_t = (I_t, \text{pipelines})` of :mod:`idinn.dynamics`, a fixed
standardisation :math:`(m, \sigma)` (:func:`input_standardization`) and calendar features
:math:`\phi_t` (:func:`time_features`). The floor is a straight-through estimator
(:func:`ste_orders`), so the cost of simulated paths can be differentiated in
:math:`\theta` (Böttcher, Asikis & Fragkos 2023). For capacities and review periods an
:class:`OrderHead` after the MLP makes every order feasible by construction; fixed order
costs get the straight-through indicator :func:`order_indicator`
(docs/neural_extensions.md).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from .._validation import check_int, fail
from ..dynamics import SourcingParams

#: Gradient passed through the output relu where the network output is <= 0 (no order).
#: A plain relu (0) lets a policy that orders nothing stall; a full straight-through
#: estimator (1) pushes outputs ever further below zero. 0.1 keeps a weak signal.
STE_NEGATIVE_SLOPE = 0.1

# Activation codes understood by the fused kernels (:mod:`idinn.neural._kernels`).
ACT_IDENTITY, ACT_RELU, ACT_CELU, ACT_ELU, ACT_LEAKY_RELU, ACT_TANH, ACT_SIGMOID, ACT_SOFTPLUS, ACT_SILU = range(9)

# torch activation class -> (kernel code, attribute holding its parameter)
_ACTIVATIONS: dict[type[torch.nn.Module], tuple[int, str | None]] = {
    torch.nn.Identity: (ACT_IDENTITY, None),
    torch.nn.ReLU: (ACT_RELU, None),
    torch.nn.CELU: (ACT_CELU, "alpha"),
    torch.nn.ELU: (ACT_ELU, "alpha"),
    torch.nn.LeakyReLU: (ACT_LEAKY_RELU, "negative_slope"),
    torch.nn.Tanh: (ACT_TANH, None),
    torch.nn.Sigmoid: (ACT_SIGMOID, None),
    torch.nn.Softplus: (ACT_SOFTPLUS, None),
    torch.nn.SiLU: (ACT_SILU, None),
}


# ------------------------------------------------------------------ activations
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
    """Plain-data description of a supported activation (for ``save``).

    Raises
    ------
    TypeError
        For an activation that cannot be rebuilt from plain data.
    """
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
    """Inverse of :func:`activation_to_config`."""
    by_name = {c.__name__: c for c in _ACTIVATIONS}
    name = cfg.get("name")
    if name not in by_name:
        raise ValueError(f"Unknown activation {name!r} in saved controller.")
    kwargs = {k: v for k, v in cfg.items() if k != "name"}
    return by_name[name](**kwargs)


def check_hidden_layers(hidden_layers: Any, owner: str) -> list[int]:
    """``hidden_layers`` as a non-empty list of widths >= 1."""
    if isinstance(hidden_layers, int | str) or not hasattr(hidden_layers, "__iter__"):
        fail("hidden_layers", owner, "a list of ints >= 1", hidden_layers, TypeError)
    layers = list(hidden_layers)
    if not layers:
        fail("hidden_layers", owner, "a non-empty list of ints >= 1", hidden_layers)
    for w in layers:
        check_int(w, "hidden_layers", owner, minimum=1)
    return [int(w) for w in layers]


def check_activation(activation: Any, owner: str) -> torch.nn.Module:
    """``activation`` if it is a ``torch.nn.Module``."""
    if not isinstance(activation, torch.nn.Module):
        fail("activation", owner, "a torch.nn.Module such as torch.nn.ReLU()", activation, TypeError)
    return activation


# ------------------------------------------------------------------ network
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


def build_mlp(n_in: int, hidden: list[int], n_out: int, activation: torch.nn.Module) -> torch.nn.Sequential:
    """``Linear -> act -> ... -> Linear`` (the output relu and floor are applied by the policy)."""
    layers: list[torch.nn.Module] = []
    width = n_in
    for h in hidden:
        layers += [torch.nn.Linear(width, h), activation]
        width = h
    layers.append(torch.nn.Linear(width, n_out))
    return torch.nn.Sequential(*layers)


def init_weights(net: torch.nn.Sequential, generator: torch.Generator) -> None:
    """PyTorch's default ``Linear`` initialisation :math:`U(\\pm 1/\\sqrt{n_{in}})`, drawn from ``generator``."""
    with torch.no_grad():
        for m in net:
            if isinstance(m, torch.nn.Linear):
                bound = 1.0 / math.sqrt(m.in_features)
                m.weight.uniform_(-bound, bound, generator=generator)
                m.bias.uniform_(-bound, bound, generator=generator)


def ste_orders(out: torch.Tensor) -> torch.Tensor:
    """Orders :math:`\\lfloor \\mathrm{relu}(o) \\rfloor` with a straight-through gradient.

    The gradient with respect to :math:`o` is 1 where :math:`o > 0` and
    :data:`STE_NEGATIVE_SLOPE` elsewhere, exactly as in the fused kernels.
    """
    q = torch.floor(torch.relu(out))
    surrogate = torch.where(out > 0, out, STE_NEGATIVE_SLOPE * out)
    return surrogate + (q - surrogate).detach()


def interval_loss(out: torch.Tensor, orders: torch.Tensor, margin: float = 0.2) -> torch.Tensor:
    r"""Squared distance of the outputs :math:`o` to the interval that orders :math:`q`.

    :math:`\lfloor \mathrm{relu}(o) \rfloor = q` for :math:`o \in [q, q+1)` (any
    :math:`o < 1` for :math:`q = 0`); the loss is zero on :math:`[q + m, q + 1 - m]` (no
    lower bound for :math:`q = 0`) and quadratic outside, so the network only has to land
    in the right interval, not on a point.
    """
    low = torch.where(orders > 0, orders + margin, torch.full_like(orders, -math.inf))
    high = orders + 1 - margin
    return (torch.relu(low - out) ** 2 + torch.relu(out - high) ** 2).mean()


# ------------------------------------------------------------------ constrained orders
#: Gradient passed through the capacity bound where the output is above it (as
#: :data:`STE_NEGATIVE_SLOPE` below zero): the order is pinned at :math:`u_k`, a weak
#: signal still says in which direction the unconstrained output would move.
STE_CAPACITY_SLOPE = 0.1

#: Temperature :math:`\tau` of the surrogate gradient of the order indicator (see
#: :func:`order_indicator`).
INDICATOR_TEMPERATURE = 0.5


class OrderHead(torch.nn.Module):
    r"""Output head that makes the orders feasible by construction.

    Maps the raw outputs :math:`o` of the MLP (and, for review periods, the network
    input) to outputs :math:`o'` such that the orders :math:`\lfloor \mathrm{relu}(o')
    \rfloor` (:func:`ste_orders`)

    * never exceed a capacity: :math:`o'_k = \min(o_k, u_k + \tfrac12)`, so
      :math:`\lfloor \mathrm{relu}(o'_k) \rfloor \le u_k` whatever the weights (the
      half-unit margin keeps the floor exact in float32); the gradient is 1 below the
      bound and :data:`STE_CAPACITY_SLOPE` above it (straight-through, like the lower
      bound at zero);
    * are zero off review: :math:`o'_k = m_k(\phi)\, o_k` with the review mask
      :math:`m_k = \mathbf 1[(t - o_k) \bmod R_k = 0]` read from the one-hot phase
      :math:`t \bmod C` among the input features (columns ``phase_start`` to
      ``phase_start + C``).

    The fused training kernels (:mod:`idinn.neural._kernels`) model neither bound nor
    the fixed order cost; a network with this head always trains through autograd
    (:func:`idinn.neural.rollout.torch_rollout_cost`).

    Parameters
    ----------
    capacities : sequence of (int or None)
        :math:`u_k` per supplier (``None``: uncapped), or empty for none.
    n_outputs : int
        Number of suppliers :math:`K`.
    review_mask : ndarray of shape (C, K), optional
        :math:`m_k(t)` for :math:`t = 0, \dots, C - 1` (1: may order).
    phase_start : int
        First input column of the one-hot phase (used with ``review_mask``).
    """

    def __init__(
        self,
        capacities: Any,
        n_outputs: int,
        review_mask: np.ndarray | None = None,
        phase_start: int = 0,
    ) -> None:
        super().__init__()
        caps = list(capacities) if capacities else [None] * n_outputs
        upper = [math.inf if u is None else float(u) + 0.5 for u in caps]
        self.register_buffer("upper", torch.tensor(upper, dtype=torch.float32))
        self.capped = any(u is not None for u in caps)
        mask = np.ones((1, n_outputs), dtype=np.float32) if review_mask is None else np.asarray(review_mask, np.float32)
        self.register_buffer("review_mask", torch.from_numpy(mask.copy()))
        self.periodic = review_mask is not None
        self.phase_start = int(phase_start)

    def forward(self, out: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if self.capped:
            upper = self.upper.to(out.device)
            bounded = torch.minimum(out, upper)
            surrogate = torch.where(out > upper, upper + STE_CAPACITY_SLOPE * (out - upper), out)
            out = surrogate + (bounded - surrogate).detach()
        if self.periodic:
            if x is None:
                raise ValueError("OrderHead with review periods needs the network input (the phase features).")
            cycle = self.review_mask.shape[0]
            phase = x[:, self.phase_start : self.phase_start + cycle]
            out = out * (phase @ self.review_mask.to(out.device))
        return out


class HeadedPolicy(torch.nn.Module):
    """``body`` (Standardize + MLP, possibly with input compression) followed by an :class:`OrderHead`."""

    def __init__(self, body: torch.nn.Module, head: OrderHead) -> None:
        super().__init__()
        self.body = body
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x), x)


def order_indicator(out: torch.Tensor) -> torch.Tensor:
    r"""The indicator :math:`\mathbf 1[q > 0]` of the orders :math:`q = \lfloor \mathrm{relu}(o) \rfloor`, with a surrogate gradient.

    Forward: exactly :math:`\mathbf 1[o \ge 1]`, which equals :math:`\mathbf 1[q > 0]`
    as charged by :func:`idinn.dynamics.period_cost`. Backward: the derivative of the
    logistic :math:`\sigma((o - 1)/\tau)` with :math:`\tau` =
    :data:`INDICATOR_TEMPERATURE`, i.e. :math:`\sigma'(\cdot)/\tau`, largest (:math:`1/(4\tau)`)
    at the threshold :math:`o = 1` and negligible more than a few :math:`\tau` away.
    A straight-through estimator of the step function (Bengio, Léonard & Courville 2013,
    with a sigmoid surrogate as in Zenke & Ganguli 2018): the true derivative is 0
    almost everywhere, so the fixed cost would never reach the weights. With it, an
    output near the threshold -- a small order, or nearly one -- is pushed down by
    :math:`K_k \sigma'/\tau`, against the holding/shortage gradient that pushes it up:
    small orders that do not pay their fixed cost are learned away, large ones (far
    above the threshold) are left to the other cost terms.
    """
    step = (out >= 1.0).to(out.dtype)
    smooth = torch.sigmoid((out - 1.0) / INDICATOR_TEMPERATURE)
    return smooth + (step - smooth).detach()


# ------------------------------------------------------------------ inputs
def time_features(season_length: int | None, start: int, periods: int, horizon: int | None = None) -> np.ndarray:
    r"""Features :math:`\phi_t` of the calendar position, shape (periods, m).

    For seasonal demand: one-hot of :math:`t \bmod S` for seasons up to 24 periods,
    otherwise :math:`(\sin, \cos)(2\pi k t / S)` for :math:`k = 1, 2, 3`. For a finite
    horizon :math:`T`: one more column :math:`t / T` (the end of the horizon changes the
    optimal orders). Empty for stationary demand and the average or discounted objective.
    """
    t = np.arange(start, start + periods)
    extra = np.zeros((periods, 0), dtype=np.float32)
    if horizon is not None:
        extra = (np.minimum(t, horizon) / horizon).astype(np.float32)[:, None]
    if season_length is None:
        return extra
    if season_length <= 24:
        out = np.zeros((periods, season_length), dtype=np.float32)
        out[np.arange(periods), t % season_length] = 1.0
        return np.concatenate([out, extra], axis=1)
    cols = []
    for k in (1, 2, 3):
        angle = 2 * np.pi * k * (t % season_length) / season_length
        cols += [np.sin(angle), np.cos(angle)]
    return np.concatenate([np.stack(cols, axis=1).astype(np.float32), extra], axis=1)


def with_time_features(state: torch.Tensor, feats: np.ndarray) -> torch.Tensor:
    """Network input ``[state, phi]`` for one period's features ``feats`` of shape (1, m)."""
    if feats.shape[1] == 0:
        return state
    phi = torch.from_numpy(feats).to(state.device).expand(state.shape[0], -1)
    return torch.cat([state, phi], 1)


def demand_moments(demand: Any) -> tuple[float, float]:
    """Mean and standard deviation of demand, averaged over a season."""
    periods = range(demand.season_length or 1)
    if demand.has_finite_support:
        means, variances = [], []
        for t in periods:
            v, p = demand.pmf(t)
            m = float(np.dot(v, p))
            means.append(m)
            variances.append(float(np.dot((v - m) ** 2, p)))
        return float(np.mean(means)), float(math.sqrt(np.mean(variances) + np.var(means)))
    mean = float(np.mean([demand.mean(t) for t in periods]))
    return mean, math.sqrt(max(mean, 1e-12))


def input_standardization(params: SourcingParams, mean: float, std: float) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Shift and scale of the state features :math:`[I_t, \text{pipelines}]`.

    Inventory: shift :math:`\mu`, scale :math:`\max(1, \sigma\sqrt{l_1 + 1})`; first
    supplier's pipeline: :math:`(\mu, \max(1, \sigma))`; other pipelines: :math:`(0, \max(1, \sigma))`.
    """
    shift = [mean]
    scale = [max(1.0, std * math.sqrt(params.lead_times[0] + 1))]
    for k, lt in enumerate(params.lead_times):
        shift += [mean if k == 0 else 0.0] * lt
        scale += [max(1.0, std)] * lt
    return torch.tensor(shift), torch.tensor(scale)


def build_policy_network(
    n_features: int,
    hidden_layers: list[int],
    n_outputs: int,
    activation: torch.nn.Module,
    params: SourcingParams,
    generator: torch.Generator,
    moments: tuple[float, float] | None = None,
) -> torch.nn.Sequential:
    """``Standardize`` followed by the MLP, weights drawn from ``generator``.

    Without ``moments`` the network sees the raw state (identity standardisation). With
    ``moments`` (mean, std of demand), inputs are standardised with
    :func:`input_standardization` and the output starts as the constant policy "order the
    mean demand from the first supplier" (output weights 0, bias :math:`\\mu + 1/2`), a
    stable start for training through the dynamics.
    """
    with torch.random.fork_rng(devices=[]):  # nn.Linear draws from the global RNG: undo it
        net = build_mlp(n_features, hidden_layers, n_outputs, activation)
    init_weights(net, generator)
    if moments is None:  # raw inputs, as in idinn 0.2
        shift, scale = torch.zeros(params.state_dim), torch.ones(params.state_dim)
    else:
        shift, scale = input_standardization(params, *moments)
    net = torch.nn.Sequential(Standardize(shift, scale), *net)
    if moments is not None:
        with torch.no_grad():
            net[-1].weight.zero_()
            net[-1].bias.copy_(torch.tensor([moments[0] + 0.5] + [0.0] * (n_outputs - 1)))
    return net


class Compress(torch.nn.Module):
    """The compressed input of idinn 0.2: :math:`(I_t + q^r_{t-l_r}, q^r_{t-l_r+1}, \\dots)`.

    The inventory is added to the oldest regular order in the pipeline (what arrives
    next); without a regular pipeline the input is unchanged.
    """

    def __init__(self, regular_lead_time: int) -> None:
        super().__init__()
        self.regular_lead_time = regular_lead_time

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.regular_lead_time == 0:
            return x
        return torch.cat([x[:, 1:2] + x[:, :1], x[:, 2:]], dim=1)


# ------------------------------------------------------------------ flat parameters
def linear_layers(net: torch.nn.Sequential) -> list[torch.nn.Linear]:
    """The ``Linear`` modules of ``net`` in order."""
    return [m for m in net if isinstance(m, torch.nn.Linear)]


def layer_sizes(net: torch.nn.Sequential) -> np.ndarray:
    """Widths ``[n_in, h_1, ..., n_out]`` (int64)."""
    lin = linear_layers(net)
    return np.array([lin[0].in_features] + [m.out_features for m in lin], dtype=np.int64)


def pack_parameters(net: torch.nn.Sequential | list[torch.nn.Linear], repeat_first_column: bool = False) -> np.ndarray:
    """Flat float32 vector in the kernels' layout (W_l row-major, then b_l, per layer).

    ``net`` is a ``Sequential`` or its ``Linear`` layers. ``repeat_first_column`` repeats the
    first layer's column 0 (a :class:`Compress` input folded into the layer, seen by the
    kernels as the full state).
    """
    parts = []
    for i, m in enumerate(net if isinstance(net, list) else linear_layers(net)):
        w = m.weight.detach()
        if i == 0 and repeat_first_column:
            w = torch.cat([w[:, :1], w], dim=1)
        parts += [w.reshape(-1), m.bias.detach().reshape(-1)]
    return torch.cat(parts).to(torch.float32).cpu().numpy().copy()


def unpack_gradient(
    net: torch.nn.Sequential | list[torch.nn.Linear], flat: np.ndarray, repeat_first_column: bool = False
) -> None:
    """Write a flat gradient (layout of :func:`pack_parameters`) into ``.grad`` of the parameters.

    With ``repeat_first_column`` the gradients of the first layer's columns 0 and 1 are summed
    into column 0 (the chain rule through the repeated column).
    """
    pos = 0
    t = torch.from_numpy(flat)
    for i, m in enumerate(net if isinstance(net, list) else linear_layers(net)):
        rows, cols = m.weight.shape
        packed = cols + int(i == 0 and repeat_first_column)
        g = t[pos : pos + rows * packed].reshape(rows, packed)
        if packed != cols:
            g = torch.cat([g[:, :1] + g[:, 1:2], g[:, 2:]], dim=1)
        pos += rows * packed
        gb = t[pos : pos + rows]
        pos += rows
        for p, gp in ((m.weight, g), (m.bias, gb)):
            gp = gp.to(p.dtype)
            p.grad = gp.clone() if p.grad is None else p.grad.copy_(gp)
