r"""Fused rollouts of MLP controllers through the inventory dynamics (numba).

Training a neural controller differentiates the total cost
:math:`J(\theta) = \sum_{t<T} \delta_t \frac{1}{B}\sum_{b} c_t^{(b)}` through the dynamics of
:mod:`idinn.dynamics`. With PyTorch's autograd a period costs dozens of tiny kernel
launches; for the small networks of this field that overhead dominates. These kernels run
the whole rollout of a batch of sample paths, forward and backward through time, in
compiled code (matrix products through BLAS), and return the same gradients as autograd
(checked in ``tests/test_fused.py``).

Parameters are packed in one flat float32 vector: for each linear layer :math:`l`, the
weight :math:`W_l` (out x in, row-major) then the bias :math:`b_l`.

The policy is :math:`q_t = \lfloor \mathrm{relu}(\mathrm{MLP}_\theta(x_t)) \rfloor` with a
straight-through estimator, :math:`x_t = [(s_t - m) / \sigma, \phi_t]`.

The period's transition and cost are written once, in :func:`step_cost` (a scalar
statement of :func:`idinn.dynamics.transition` and :func:`idinn.dynamics.period_cost`,
pinned to them by the tests); the forward and the backward pass both use what it
computes. In the backward pass only the products that carry the adjoint back through
time run period by period; the weight gradients :math:`\sum_t \delta z_t^\top a_t` are one
matrix product per layer over all periods at the end (large products run near the
machine's peak, small ones do not).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .network import (
    ACT_CELU,
    ACT_ELU,
    ACT_LEAKY_RELU,
    ACT_RELU,
    ACT_SIGMOID,
    ACT_SILU,
    ACT_SOFTPLUS,
    ACT_TANH,
    STE_NEGATIVE_SLOPE,
)


@njit(cache=True)
def _activate(z: np.ndarray, out: np.ndarray, act: int, alpha: float) -> None:
    flat_z = z.ravel()
    flat_o = out.ravel()
    for i in range(flat_z.size):
        x = flat_z[i]
        if act == ACT_RELU:
            y = x if x > 0 else 0.0
        elif act == ACT_CELU:
            y = x if x > 0 else alpha * (math.exp(x / alpha) - 1.0)
        elif act == ACT_ELU:
            y = x if x > 0 else alpha * (math.exp(x) - 1.0)
        elif act == ACT_LEAKY_RELU:
            y = x if x > 0 else alpha * x
        elif act == ACT_TANH:
            y = math.tanh(x)
        elif act == ACT_SIGMOID:
            y = 1.0 / (1.0 + math.exp(-x))
        elif act == ACT_SOFTPLUS:
            y = x if x > 20.0 else math.log1p(math.exp(x))
        elif act == ACT_SILU:
            y = x / (1.0 + math.exp(-x))
        else:
            y = x
        flat_o[i] = y


@njit(cache=True)
def _activation_grad(z: np.ndarray, g: np.ndarray, act: int, alpha: float) -> None:
    """In place: ``g *= act'(z)`` (same conventions as torch at the kinks)."""
    flat_z = z.ravel()
    flat_g = g.ravel()
    for i in range(flat_z.size):
        x = flat_z[i]
        if act == ACT_RELU:
            d = 1.0 if x > 0 else 0.0
        elif act == ACT_CELU:
            d = 1.0 if x > 0 else math.exp(x / alpha)
        elif act == ACT_ELU:
            d = 1.0 if x > 0 else alpha * math.exp(x)
        elif act == ACT_LEAKY_RELU:
            d = 1.0 if x > 0 else alpha
        elif act == ACT_TANH:
            t = math.tanh(x)
            d = 1.0 - t * t
        elif act == ACT_SIGMOID:
            s = 1.0 / (1.0 + math.exp(-x))
            d = s * (1.0 - s)
        elif act == ACT_SOFTPLUS:
            d = 1.0 if x > 20.0 else 1.0 / (1.0 + math.exp(-x))
        elif act == ACT_SILU:
            s = 1.0 / (1.0 + math.exp(-x))
            d = s * (1.0 + x * (1.0 - s))
        else:
            d = 1.0
        flat_g[i] *= d


@njit(cache=True)
def _activation_grad_into(z: np.ndarray, g: np.ndarray, act: int, alpha: float) -> None:
    """In place: ``z = g * act'(z)`` (the pre-activation is no longer needed)."""
    _activation_grad(z, g, act, alpha)
    flat_z = z.ravel()
    flat_g = g.ravel()
    for i in range(flat_z.size):
        flat_z[i] = flat_g[i]


@njit(cache=True)
def _layer_offsets(sizes: np.ndarray) -> np.ndarray:
    n_layers = sizes.size - 1
    offs = np.zeros(n_layers + 1, dtype=np.int64)
    for l in range(n_layers):
        offs[l + 1] = offs[l] + sizes[l + 1] * sizes[l] + sizes[l + 1]
    return offs


@njit(cache=True)
def step_cost(
    state: np.ndarray,
    q: np.ndarray,
    demand: np.ndarray,
    nxt: np.ndarray,
    lead_times: np.ndarray,
    order_costs: np.ndarray,
    holding_cost: float,
    shortage_cost: float,
    dcost_dinv: np.ndarray,
    lost_sales: bool = False,
    dnext_dy: np.ndarray | None = None,
) -> float:
    r"""One period for every path: next state, summed cost and :math:`\partial c / \partial I_{t+1}`.

    :math:`y_t = I_t + \sum_k q_{t-l_k}^{(k)} - D_t` (a zero lead time arrives at once),
    each pipeline shifts by one, and :math:`c_t = h (y_t)^+ + b (y_t)^- + \sum_k c_k
    q_t^{(k)}` (:func:`idinn.dynamics.advance`, :func:`idinn.dynamics.period_cost`). Under
    backlog :math:`I_{t+1} = y_t`; under lost sales (Zipkin 2008) :math:`I_{t+1} = [y_t]^+`
    and :math:`b` is the penalty :math:`p` per unit lost.

    Parameters
    ----------
    state, nxt : (B, n_state) arrays
        :math:`s_t` and, written here, :math:`s_{t+1}`.
    q : (B, n_suppliers) array
        Orders :math:`q_t`.
    demand : (B,) array
        :math:`D_t`.
    dcost_dinv : (B,) array
        Written here: :math:`\partial c_t / \partial y_t`: :math:`h` where :math:`y_t > 0`,
        :math:`-b` where :math:`< 0`, else 0.
    lost_sales : bool, default=False
        Excess demand is lost (``excess_demand="lost_sales"``) instead of backlogged.
    dnext_dy : (B,) array, optional
        Written here under lost sales: :math:`\partial I_{t+1} / \partial y_t =
        \mathbf 1[y_t > 0]` (torch's ``relu`` convention at the kink, as in
        :func:`idinn.dynamics.advance`).

    Returns
    -------
    float
        :math:`\sum_b c_t^{(b)}`.
    """
    total = 0.0
    for p in range(state.shape[0]):
        arrivals = 0.0
        pos = 1
        for k in range(lead_times.size):
            lt = lead_times[k]
            if lt == 0:
                arrivals += q[p, k]
            else:
                arrivals += state[p, pos]
                for j in range(1, lt):
                    nxt[p, pos + j - 1] = state[p, pos + j]
                nxt[p, pos + lt - 1] = q[p, k]
            pos += lt
        inv = np.float32(state[p, 0] + arrivals - demand[p])
        if lost_sales:
            nxt[p, 0] = inv if inv > 0 else 0.0
            if dnext_dy is not None:
                dnext_dy[p] = 1.0 if inv > 0 else 0.0
        else:
            nxt[p, 0] = inv
        if inv > 0:
            c = holding_cost * inv
            dcost_dinv[p] = holding_cost
        else:
            c = -shortage_cost * inv
            dcost_dinv[p] = -shortage_cost if inv < 0 else 0.0
        for k in range(lead_times.size):
            c += order_costs[k] * q[p, k]
        total += c
    return total


@njit(cache=True)
def _orders(out: np.ndarray, q: np.ndarray) -> None:
    r""":math:`q = \lfloor \mathrm{relu}(o) \rfloor`."""
    flat_o = out.ravel()
    flat_q = q.ravel()
    for i in range(flat_o.size):
        x = flat_o[i]
        flat_q[i] = math.floor(x) if x > 0 else 0.0


@njit(cache=True)
def _network_forward(
    theta: np.ndarray,
    offs: np.ndarray,
    sizes: np.ndarray,
    act: int,
    alpha: float,
    x: np.ndarray,
    a_store: np.ndarray,
    a_base: np.ndarray,
    z_store: np.ndarray,
    z_base: np.ndarray,
    slot: int,
) -> np.ndarray:
    """MLP on ``x`` (B, n_in); layer inputs and pre-activations kept in slot ``slot`` of the stores."""
    n_paths = x.shape[0]
    n_layers = sizes.size - 1
    a = x
    for l in range(n_layers):
        w = theta[offs[l] : offs[l] + sizes[l + 1] * sizes[l]].reshape((sizes[l + 1], sizes[l]))
        bias = theta[offs[l] + sizes[l + 1] * sizes[l] : offs[l + 1]]
        width = n_paths * sizes[l + 1]
        zl = z_store[z_base[l] + slot * width : z_base[l] + (slot + 1) * width].reshape((n_paths, sizes[l + 1]))
        np.dot(a, w.T, zl)
        for p in range(n_paths):
            for j in range(bias.size):
                zl[p, j] += bias[j]
        if l < n_layers - 1:
            a = a_store[a_base[l + 1] + slot * width : a_base[l + 1] + (slot + 1) * width].reshape(
                (n_paths, sizes[l + 1])
            )
            _activate(zl, a, act, alpha)
        else:
            a = zl
    return a


@njit(cache=True)
def _stores(sizes: np.ndarray, slots: int, n_paths: int) -> tuple:
    n_layers = sizes.size - 1
    a_base = np.zeros(n_layers + 1, dtype=np.int64)
    z_base = np.zeros(n_layers + 1, dtype=np.int64)
    for l in range(n_layers):
        a_base[l + 1] = a_base[l] + slots * n_paths * sizes[l]
        z_base[l + 1] = z_base[l] + slots * n_paths * sizes[l + 1]
    return np.empty(a_base[n_layers], dtype=np.float32), a_base, np.empty(z_base[n_layers], dtype=np.float32), z_base


@njit(cache=True)
def _rollout(
    theta: np.ndarray,
    sizes: np.ndarray,
    act: int,
    alpha: float,
    lead_times: np.ndarray,
    order_costs: np.ndarray,
    holding_cost: float,
    shortage_cost: float,
    init_state: np.ndarray,
    demands: np.ndarray,
    time_feats: np.ndarray,
    in_shift: np.ndarray,
    in_scale: np.ndarray,
    discounts: np.ndarray,
    lost_sales: bool,
    keep: bool,
) -> tuple:
    """Forward pass; with ``keep`` every period's activations, states, orders and slopes are kept."""
    n_paths, horizon = demands.shape
    n_state = init_state.shape[1]
    n_in = sizes[0]
    n_sup = lead_times.size
    offs = _layer_offsets(sizes)
    slots = horizon if keep else 1
    a_store, a_base, z_store, z_base = _stores(sizes, slots, n_paths)
    states = np.empty((slots + 1, n_paths, n_state), dtype=np.float32)
    orders = np.empty((slots, n_paths, n_sup), dtype=np.float32)
    slopes = np.empty((slots, n_paths), dtype=np.float32)
    clips = np.ones((slots, n_paths), dtype=np.float32)  # dI_{t+1}/dy_t (lost sales: 1[y_t > 0])
    states[0] = init_state
    costs = np.zeros(horizon)
    for t in range(horizon):
        s = t if keep else 0
        x = a_store[a_base[0] + s * n_paths * n_in : a_base[0] + (s + 1) * n_paths * n_in].reshape((n_paths, n_in))
        x[:, :n_state] = (states[s] - in_shift) / in_scale
        x[:, n_state:] = time_feats[t]
        out = _network_forward(theta, offs, sizes, act, alpha, x, a_store, a_base, z_store, z_base, s)
        _orders(out, orders[s])
        total = step_cost(
            states[s], orders[s], demands[:, t], states[s + 1], lead_times, order_costs, holding_cost,
            shortage_cost, slopes[s], lost_sales, clips[s],
        )
        costs[t] = discounts[t] * total / n_paths
        if not keep:
            states[0] = states[1]
    return costs, a_store, a_base, z_store, z_base, states, orders, slopes, clips


@njit(cache=True)
def rollout_forward(
    theta: np.ndarray,
    sizes: np.ndarray,
    act: int,
    alpha: float,
    lead_times: np.ndarray,
    order_costs: np.ndarray,
    holding_cost: float,
    shortage_cost: float,
    init_state: np.ndarray,
    demands: np.ndarray,
    time_feats: np.ndarray,
    in_shift: np.ndarray,
    in_scale: np.ndarray,
    discounts: np.ndarray,
    lost_sales: bool,
) -> np.ndarray:
    """Simulate without gradients (memory independent of the horizon).

    ``lost_sales``: excess demand is lost (:math:`I_{t+1} = [y_t]^+`) instead of backlogged.

    Returns
    -------
    costs : ndarray, shape (T,)
        Batch-mean cost of each period, multiplied by ``discounts[t]``.
    """
    return _rollout(
        theta, sizes, act, alpha, lead_times, order_costs, holding_cost, shortage_cost, init_state, demands,
        time_feats, in_shift, in_scale, discounts, lost_sales, False,
    )[0]


@njit(cache=True)
def rollout_grad(
    theta: np.ndarray,
    sizes: np.ndarray,
    act: int,
    alpha: float,
    lead_times: np.ndarray,
    order_costs: np.ndarray,
    holding_cost: float,
    shortage_cost: float,
    init_state: np.ndarray,
    demands: np.ndarray,
    time_feats: np.ndarray,
    in_shift: np.ndarray,
    in_scale: np.ndarray,
    discounts: np.ndarray,
    lost_sales: bool,
) -> tuple[float, np.ndarray, np.ndarray]:
    r"""Total cost and its gradient by backpropagation through time.

    The objective is :math:`J = \sum_t \delta_t \frac{1}{B}\sum_b c^{(b)}_t` (with
    :math:`\delta_t` = ``discounts[t]``). Under lost sales (``lost_sales``) the adjoint
    passes the clip :math:`I_{t+1} = [y_t]^+` with :math:`\partial I_{t+1}/\partial y_t
    = \mathbf 1[y_t > 0]` (the costs are charged on :math:`y_t`).

    Returns
    -------
    total : float
        :math:`J`.
    grad_theta : ndarray, shape like ``theta``
        :math:`\partial J / \partial \theta`.
    grad_init : ndarray, shape (n_state,)
        :math:`\partial J / \partial s_0` summed over paths.
    """
    n_paths, horizon = demands.shape
    n_state = init_state.shape[1]
    n_layers = sizes.size - 1
    n_sup = lead_times.size
    offs = _layer_offsets(sizes)
    costs, a_store, a_base, z_store, z_base, states, orders, slopes, clips = _rollout(
        theta, sizes, act, alpha, lead_times, order_costs, holding_cost, shortage_cost, init_state, demands,
        time_feats, in_shift, in_scale, discounts, lost_sales, True,
    )
    total = 0.0
    for t in range(horizon):
        total += costs[t]

    # Backward through time. The adjoint lam = dJ/ds_t has to pass through the network
    # period by period; each period's output gradients dz_l overwrite its pre-activations
    # z_l in z_store (no longer needed), so the weight gradients are taken at the end in
    # one product per layer over all periods.
    lam_next = np.zeros((n_paths, n_state), dtype=np.float32)  # dJ/ds_{t+1} from the future
    lam = np.zeros((n_paths, n_state), dtype=np.float32)
    dq = np.empty((n_paths, n_sup), dtype=np.float32)
    n_out = sizes[n_layers]
    da_flat = np.empty(n_paths * sizes.max(), dtype=np.float32)
    for t in range(horizon - 1, -1, -1):
        scale = discounts[t] / n_paths
        # g = dJ/ds_{t+1} including this period's cost; its first entry becomes dJ/dy_t.
        g = lam_next
        for p in range(n_paths):
            g[p, 0] = clips[t, p] * g[p, 0] + slopes[t, p] * scale
        # Adjoint of the orders and of s_t through the transition.
        lam[:, :] = 0.0
        for p in range(n_paths):
            lam[p, 0] = g[p, 0]
            pos = 1
            for k in range(n_sup):
                lt = lead_times[k]
                if lt == 0:
                    dq[p, k] = order_costs[k] * scale + g[p, 0]
                else:
                    lam[p, pos] += g[p, 0]
                    for j in range(1, lt):
                        lam[p, pos + j] += g[p, pos + j - 1]
                    dq[p, k] = order_costs[k] * scale + g[p, pos + lt - 1]
                pos += lt
        # Straight-through floor, relu at the output: dz replaces z in the store.
        dz = z_store[z_base[n_layers - 1] + t * n_paths * n_out : z_base[n_layers - 1] + (t + 1) * n_paths * n_out].reshape(
            (n_paths, n_out)
        )
        for p in range(n_paths):
            for k in range(n_sup):
                dz[p, k] = dq[p, k] if dz[p, k] > 0 else STE_NEGATIVE_SLOPE * dq[p, k]
        for l in range(n_layers - 1, -1, -1):
            w = theta[offs[l] : offs[l] + sizes[l + 1] * sizes[l]].reshape((sizes[l + 1], sizes[l]))
            if l > 0:
                da = da_flat[: n_paths * sizes[l]].reshape((n_paths, sizes[l]))
                np.dot(dz, w, da)
                z_prev = z_store[z_base[l - 1] + t * n_paths * sizes[l] : z_base[l - 1] + (t + 1) * n_paths * sizes[l]].reshape(
                    (n_paths, sizes[l])
                )
                _activation_grad_into(z_prev, da, act, alpha)  # z_prev <- da * act'(z_prev)
                dz = z_prev
            else:
                lam += np.dot(dz, np.ascontiguousarray(w[:, :n_state])) / in_scale
        lam_next, lam = lam, lam_next
    grad = np.zeros_like(theta)
    rows = horizon * n_paths
    for l in range(n_layers):
        dz_all = z_store[z_base[l] : z_base[l + 1]].reshape((rows, sizes[l + 1]))
        a_all = a_store[a_base[l] : a_base[l + 1]].reshape((rows, sizes[l]))
        gw = grad[offs[l] : offs[l] + sizes[l + 1] * sizes[l]].reshape((sizes[l + 1], sizes[l]))
        gw[:, :] = np.dot(np.ascontiguousarray(dz_all.T), a_all)
        grad[offs[l] + sizes[l + 1] * sizes[l] : offs[l + 1]] = dz_all.sum(axis=0)
    grad_init = lam_next.sum(axis=0)
    return total, grad, grad_init
