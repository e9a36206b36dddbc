r"""Fused rollouts of MLP controllers through the inventory dynamics (numba).

Training a neural controller differentiates the total cost
:math:`J(\theta) = \sum_{t<T} \frac{1}{B}\sum_{b} c_t^{(b)}` through the dynamics of
:mod:`idinn.dynamics`. With PyTorch's autograd a period costs dozens of tiny kernel
launches; for the small networks of this field that overhead dominates. These kernels run
the whole rollout of a batch of sample paths, forward and backward through time, in
compiled code (matrix products through BLAS), and return the exact same gradients as
autograd (checked in ``tests/test_fused.py``).

Parameters are packed in one flat float32 vector: for each linear layer :math:`l`, the
weight :math:`W_l` (out x in, row-major) then the bias :math:`b_l`.

The policy is :math:`q_t = \lfloor \mathrm{relu}(\mathrm{MLP}_\theta(x_t)) \rfloor` with a
straight-through estimator (floor and relu pass gradients unchanged), where
:math:`x_t = [s_t, \phi_t]` is the standardised state row :math:`(s_t - m) / \sigma` followed by optional time
features.

The transition and cost below restate :func:`idinn.dynamics.transition` and
:func:`idinn.dynamics.period_cost` for scalars; the tests pin them to each other.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Activation codes understood by the kernels.
ACT_IDENTITY = 0
ACT_RELU = 1
ACT_CELU = 2
ACT_ELU = 3
ACT_LEAKY_RELU = 4
ACT_TANH = 5
ACT_SIGMOID = 6
ACT_SOFTPLUS = 7
ACT_SILU = 8

#: Gradient passed through the output relu where the network output is <= 0 (no order).
#: A plain relu (0) lets a policy that orders nothing stall; a full straight-through
#: estimator (1) pushes outputs ever further below zero. 0.1 keeps a weak signal.
STE_NEGATIVE_SLOPE = 0.1


@njit(cache=True, fastmath=False)
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


@njit(cache=True, fastmath=False)
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
def _layer_offsets(sizes: np.ndarray) -> np.ndarray:
    n_layers = sizes.size - 1
    offs = np.zeros(n_layers + 1, dtype=np.int64)
    for l in range(n_layers):
        offs[l + 1] = offs[l] + sizes[l + 1] * sizes[l] + sizes[l + 1]
    return offs


@njit(cache=True)
def _step_dynamics(
    state: np.ndarray,
    q: np.ndarray,
    demand: np.ndarray,
    nxt: np.ndarray,
    lead_times: np.ndarray,
) -> None:
    """Scalar restatement of :func:`idinn.dynamics.transition` (batched by row)."""
    n_paths = state.shape[0]
    for p in range(n_paths):
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
        nxt[p, 0] = state[p, 0] + arrivals - demand[p]


@njit(cache=True)
def _policy_orders(out: np.ndarray, q: np.ndarray) -> None:
    flat_o = out.ravel()
    flat_q = q.ravel()
    for i in range(flat_o.size):
        x = flat_o[i]
        flat_q[i] = math.floor(x) if x > 0 else 0.0


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
) -> np.ndarray:
    """Simulate without gradients.

    Returns
    -------
    costs : ndarray, shape (T,)
        Batch-mean cost of each period, multiplied by ``discounts[t]``.
    """
    n_paths, horizon = demands.shape
    n_state = init_state.shape[1]
    n_layers = sizes.size - 1
    offs = _layer_offsets(sizes)
    n_sup = lead_times.size
    state = init_state.copy()
    nxt = np.empty_like(state)
    q = np.empty((n_paths, n_sup), dtype=np.float32)
    x = np.empty((n_paths, sizes[0]), dtype=np.float32)
    costs = np.zeros(horizon)
    for t in range(horizon):
        x[:, :n_state] = (state - in_shift) / in_scale
        x[:, n_state:] = time_feats[t]
        a = x
        for l in range(n_layers):
            w = theta[offs[l] : offs[l] + sizes[l + 1] * sizes[l]].reshape((sizes[l + 1], sizes[l]))
            bias = theta[offs[l] + sizes[l + 1] * sizes[l] : offs[l + 1]]
            z = np.dot(a, w.T) + bias
            if l < n_layers - 1:
                a = np.empty_like(z)
                _activate(z, a, act, alpha)
            else:
                a = z
        _policy_orders(a, q)
        _step_dynamics(state, q, demands[:, t], nxt, lead_times)
        total = 0.0
        for p in range(n_paths):
            inv = nxt[p, 0]
            c = holding_cost * inv if inv > 0 else -shortage_cost * inv
            for k in range(n_sup):
                c += order_costs[k] * q[p, k]
            total += c
        costs[t] = discounts[t] * total / n_paths
        state, nxt = nxt, state
    return costs


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
) -> tuple[float, np.ndarray, np.ndarray]:
    r"""Total cost and its gradient by backpropagation through time.

    The objective is :math:`J = \sum_t \delta_t \frac{1}{B}\sum_b c^{(b)}_t` (with
    :math:`\delta_t` = ``discounts[t]``).

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
    offs = _layer_offsets(sizes)
    n_sup = lead_times.size
    n_in = sizes[0]
    # Storage per layer: inputs a_l (l = 0..L-1) and pre-activations z_l (l = 0..L-1).
    a_base = np.zeros(n_layers + 1, dtype=np.int64)
    for l in range(n_layers):
        a_base[l + 1] = a_base[l] + horizon * n_paths * sizes[l]
    z_base = np.zeros(n_layers + 1, dtype=np.int64)
    for l in range(n_layers):
        z_base[l + 1] = z_base[l] + horizon * n_paths * sizes[l + 1]
    a_store = np.empty(a_base[n_layers], dtype=np.float32)
    z_store = np.empty(z_base[n_layers], dtype=np.float32)
    states = np.empty((horizon + 1, n_paths, n_state), dtype=np.float32)
    orders = np.empty((horizon, n_paths, n_sup), dtype=np.float32)
    states[0] = init_state
    total = 0.0
    for t in range(horizon):
        x = a_store[a_base[0] + t * n_paths * n_in : a_base[0] + (t + 1) * n_paths * n_in].reshape((n_paths, n_in))
        x[:, :n_state] = (states[t] - in_shift) / in_scale
        x[:, n_state:] = time_feats[t]
        a = x
        for l in range(n_layers):
            w = theta[offs[l] : offs[l] + sizes[l + 1] * sizes[l]].reshape((sizes[l + 1], sizes[l]))
            bias = theta[offs[l] + sizes[l + 1] * sizes[l] : offs[l + 1]]
            zl = z_store[z_base[l] + t * n_paths * sizes[l + 1] : z_base[l] + (t + 1) * n_paths * sizes[l + 1]].reshape(
                (n_paths, sizes[l + 1])
            )
            zl[:, :] = np.dot(a, w.T) + bias
            if l < n_layers - 1:
                a = a_store[
                    a_base[l + 1] + t * n_paths * sizes[l + 1] : a_base[l + 1] + (t + 1) * n_paths * sizes[l + 1]
                ].reshape((n_paths, sizes[l + 1]))
                _activate(zl, a, act, alpha)
            else:
                a = zl
        _policy_orders(a, orders[t])
        _step_dynamics(states[t], orders[t], demands[:, t], states[t + 1], lead_times)
        period = 0.0
        for p in range(n_paths):
            inv = states[t + 1, p, 0]
            c = holding_cost * inv if inv > 0 else -shortage_cost * inv
            for k in range(n_sup):
                c += order_costs[k] * orders[t, p, k]
            period += c
        total += discounts[t] * period / n_paths

    grad = np.zeros_like(theta)
    lam_next = np.zeros((n_paths, n_state), dtype=np.float32)  # dJ/ds_{t+1} from the future
    lam = np.zeros((n_paths, n_state), dtype=np.float32)
    dq = np.empty((n_paths, n_sup), dtype=np.float32)
    for t in range(horizon - 1, -1, -1):
        scale = discounts[t] / n_paths
        # g = dJ/ds_{t+1} including this period's cost.
        g = lam_next
        for p in range(n_paths):
            inv = states[t + 1, p, 0]
            if inv > 0:
                g[p, 0] += holding_cost * scale
            elif inv < 0:
                g[p, 0] -= shortage_cost * scale
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
        # Straight-through floor, relu at the output.
        zl_out = z_store[
            z_base[n_layers - 1] + t * n_paths * sizes[n_layers] : z_base[n_layers - 1] + (t + 1) * n_paths * sizes[n_layers]
        ].reshape((n_paths, sizes[n_layers]))
        dz = np.empty((n_paths, n_sup), dtype=np.float32)
        for p in range(n_paths):
            for k in range(n_sup):
                dz[p, k] = dq[p, k] if zl_out[p, k] > 0 else STE_NEGATIVE_SLOPE * dq[p, k]
        for l in range(n_layers - 1, -1, -1):
            w = theta[offs[l] : offs[l] + sizes[l + 1] * sizes[l]].reshape((sizes[l + 1], sizes[l]))
            a_in = a_store[a_base[l] + t * n_paths * sizes[l] : a_base[l] + (t + 1) * n_paths * sizes[l]].reshape(
                (n_paths, sizes[l])
            )
            gw = grad[offs[l] : offs[l] + sizes[l + 1] * sizes[l]].reshape((sizes[l + 1], sizes[l]))
            gw += np.dot(np.ascontiguousarray(dz.T), a_in)
            gb = grad[offs[l] + sizes[l + 1] * sizes[l] : offs[l + 1]]
            gb += dz.sum(axis=0)
            da = np.dot(dz, w)
            if l > 0:
                z_prev = z_store[z_base[l - 1] + t * n_paths * sizes[l] : z_base[l - 1] + (t + 1) * n_paths * sizes[l]].reshape(
                    (n_paths, sizes[l])
                )
                _activation_grad(z_prev, da, act, alpha)
                dz = da
            else:
                lam += da[:, :n_state] / in_scale
        lam_next, lam = lam, lam_next
    grad_init = lam_next.sum(axis=0)
    return total, grad, grad_init
