r"""Backpropagation through time with every matrix product in BLAS ``sgemm`` (numba).

This is the gradient kernel of :meth:`idinn.neural.rollout.FusedMLP.cost_and_grad` for
backlog problems without fixed order costs, capacities or review periods (the dual
test-bed network 3-128-64-32-16-8-4-2 is what it is tuned for; it serves every plain MLP).
Everything else falls back to :func:`idinn.neural._kernels.rollout_grad`. Both compute
the same objective and gradient (checked against autograd in
``tests/test_kernels_dual.py``):

.. math:: J(\theta) = \sum_{t<T} \delta_t \frac{1}{B} \sum_b c_t^{(b)}, \qquad
   q_t = \lfloor \mathrm{relu}(\mathrm{MLP}_\theta(x_t)) \rfloor,\;
   x_t = [(s_t - m)/\sigma, \phi_t],

with the floor passed straight through (slope :data:`STE_NEGATIVE_SLOPE` where the output
is <= 0), the backlog transition :math:`I_{t+1} = I_t + \sum_k q^{(k)}_{t-l_k} - D_t` and
the period cost :math:`c_t = h (I_{t+1})^+ + b (I_{t+1})^- + \sum_k c_k q^{(k)}_t`
(:func:`idinn.dynamics.transition`, :func:`idinn.dynamics.period_cost`).

What makes it fast (measured in ``benchmarks/run.py --only dual``, see docs/benchmarks.md):

* every product is one call of numba's ``numba_xxgemm`` (the BLAS that ``np.dot`` uses)
  with ``alpha``, ``beta`` and transposes, so nothing is copied or transposed: the bias
  is written into the output first and the product added onto it (``beta = 1``);
* the weight gradients :math:`\partial J/\partial W_l = \sum_t \delta z_{l,t}^\top a_{l,t}`
  are accumulated period by period (``beta = 1``) while :math:`\delta z_{l,t}` and
  :math:`a_{l,t}` are in cache: a (out x B) by (B x in) product per layer and period runs
  near the core's peak, the same sum as one tall product over all periods did not;
* the activation and its derivative are loops specialised per activation (vectorised),
  and for ReLU the derivative is read from the stored output (:math:`a > 0`), so the
  pre-activations are not stored;
* products with fewer than :data:`SMALL_MACS` multiply-adds run as plain loops (a BLAS call
  costs about a microsecond).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.np.linalg import _BLAS

from ..dynamics import SourcingParams
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

#: numba's wrapper of scipy's BLAS ``?gemm`` (column-major), resolved by name at load
#: time, so the compiled kernels can be cached on disk.
_xxgemm = _BLAS().numba_xxgemm(types.float32)
_S, _N, _T = ord("s"), ord("N"), ord("T")
#: Products smaller than this many multiply-adds run as plain loops instead of BLAS.
SMALL_MACS = 4096


@njit(cache=True)
def _gemm(trans_a: bool, trans_b: bool, m: int, n: int, k: int, a: np.ndarray, lda: int, b: np.ndarray, ldb: int,
          accumulate: bool, c: np.ndarray, ldc: int) -> None:
    r"""Row-major :math:`C \leftarrow \mathrm{op}(A)\,\mathrm{op}(B)` (``+ C`` with ``accumulate``); flat float32 views.

    ``C`` is (m, n) with row stride ``ldc``; :math:`\mathrm{op}(A)` is (m, k), stored as
    (m, k) with row stride ``lda`` or, transposed, as (k, m); likewise ``B`` (k, n).
    """
    if m * n * k < SMALL_MACS:
        sai, sap = (1, lda) if trans_a else (lda, 1)
        sbp, sbj = (1, ldb) if trans_b else (ldb, 1)
        for i in range(m):
            for j in range(n):
                acc = np.float32(0.0)
                for p in range(k):
                    acc += a[i * sai + p * sap] * b[p * sbp + j * sbj]
                if accumulate:
                    acc += c[i * ldc + j]
                c[i * ldc + j] = acc
        return
    one = np.ones(1, dtype=np.float32)
    bet = np.full(1, 1.0 if accumulate else 0.0, dtype=np.float32)
    # Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
    _xxgemm(_S, _T if trans_b else _N, _T if trans_a else _N, n, m, k, one.ctypes, b.ctypes, ldb, a.ctypes, lda,
            bet.ctypes, c.ctypes, ldc)


@njit(cache=True)
def _activate(z: np.ndarray, a: np.ndarray, act: int, alpha: float) -> None:
    """``a = act(z)`` on flat views; one loop per activation (vectorisable)."""
    n = z.size
    if act == ACT_RELU:
        for i in range(n):
            a[i] = max(z[i], np.float32(0.0))
    elif act == ACT_LEAKY_RELU:
        for i in range(n):
            a[i] = z[i] if z[i] > 0 else alpha * z[i]
    elif act == ACT_CELU:
        for i in range(n):
            a[i] = z[i] if z[i] > 0 else alpha * (math.exp(z[i] / alpha) - 1.0)
    elif act == ACT_ELU:
        for i in range(n):
            a[i] = z[i] if z[i] > 0 else alpha * (math.exp(z[i]) - 1.0)
    elif act == ACT_TANH:
        for i in range(n):
            a[i] = math.tanh(z[i])
    elif act == ACT_SIGMOID:
        for i in range(n):
            a[i] = 1.0 / (1.0 + math.exp(-z[i]))
    elif act == ACT_SOFTPLUS:
        for i in range(n):
            a[i] = z[i] if z[i] > 20.0 else math.log1p(math.exp(z[i]))
    elif act == ACT_SILU:
        for i in range(n):
            a[i] = z[i] / (1.0 + math.exp(-z[i]))
    else:
        for i in range(n):
            a[i] = z[i]


@njit(cache=True)
def _backprop_activation(g: np.ndarray, z: np.ndarray, a: np.ndarray, act: int, alpha: float) -> None:
    """In place ``g *= act'(z)`` on flat views (``a = act(z)``; ReLU reads only ``a``); torch's kink conventions."""
    n = g.size
    if act == ACT_RELU:
        for i in range(n):
            g[i] = g[i] if a[i] > 0 else np.float32(0.0)
    elif act == ACT_LEAKY_RELU:
        for i in range(n):
            g[i] = g[i] if z[i] > 0 else alpha * g[i]
    elif act == ACT_CELU:
        for i in range(n):
            g[i] = g[i] if z[i] > 0 else g[i] * math.exp(z[i] / alpha)
    elif act == ACT_ELU:
        for i in range(n):
            g[i] = g[i] if z[i] > 0 else g[i] * alpha * math.exp(z[i])
    elif act == ACT_TANH:
        for i in range(n):
            g[i] *= 1.0 - a[i] * a[i]
    elif act == ACT_SIGMOID:
        for i in range(n):
            g[i] *= a[i] * (1.0 - a[i])
    elif act == ACT_SOFTPLUS:
        for i in range(n):
            g[i] = g[i] if z[i] > 20.0 else g[i] / (1.0 + math.exp(-z[i]))
    elif act == ACT_SILU:
        for i in range(n):
            s = 1.0 / (1.0 + math.exp(-z[i]))
            g[i] *= s * (1.0 + z[i] * (1.0 - s))


@njit(cache=True)
def _offsets(sizes: np.ndarray, n_paths: int, slots: int) -> tuple:
    """Offsets of each layer's weights/bias in ``theta`` and of its per-period blocks in the stores."""
    n_layers = sizes.size - 1
    w_off = np.zeros(n_layers + 1, dtype=np.int64)
    a_off = np.zeros(n_layers + 1, dtype=np.int64)  # inputs a_l of layer l, l = 0..L-1
    z_off = np.zeros(n_layers + 1, dtype=np.int64)  # pre-activations z_l of layer l, l = 0..L-1
    for l in range(n_layers):
        w_off[l + 1] = w_off[l] + sizes[l + 1] * sizes[l] + sizes[l + 1]
        a_off[l + 1] = a_off[l] + slots * n_paths * sizes[l]
        z_off[l + 1] = z_off[l] + slots * n_paths * sizes[l + 1]
    return w_off, a_off, z_off


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
    r"""Total cost :math:`J` and its gradient by backpropagation through time (backlog only).

    Same arguments and results as :func:`idinn.neural._kernels.rollout_grad`.

    Parameters
    ----------
    theta : (P,) float32
        Packed parameters: per linear layer the weight (out x in, row-major), then the bias.
    sizes : (L+1,) int64
        Layer widths, inputs first.
    act, alpha : int, float
        Hidden activation code (:mod:`idinn.neural.network`) and its parameter.
    lead_times : (K,) int64; order_costs : (K,) float64
        :math:`l_k`, :math:`c_k`.
    holding_cost, shortage_cost : float
        :math:`h`, :math:`b`.
    init_state : (B, n_state) float32
        :math:`s_0` of each path.
    demands : (B, T) float32
        :math:`D_t` of each path.
    time_feats : (T, m) float32
        :math:`\phi_t`.
    in_shift, in_scale : (n_state,) float32
        :math:`m`, :math:`\sigma`.
    discounts : (T,) float64
        :math:`\delta_t`.

    Returns
    -------
    total : float
        :math:`J`.
    grad_theta : (P,) float32
        :math:`\partial J / \partial \theta`.
    grad_init : (n_state,) float32
        :math:`\partial J / \partial s_0` summed over paths.
    """
    n_paths, horizon = demands.shape
    n_state = init_state.shape[1]
    n_layers = sizes.size - 1
    n_in = sizes[0]
    n_out = sizes[n_layers]
    n_sup = lead_times.size
    keep_z = act != ACT_RELU
    w_off, a_off, z_off = _offsets(sizes, n_paths, horizon)
    # a_store: every layer's input per period; z_store: pre-activations (the output layer's
    # always, the hidden ones unless ReLU, whose derivative is read from the layer's output).
    a_store = np.empty(a_off[n_layers], dtype=np.float32)
    z_store = np.empty(z_off[n_layers] if keep_z else horizon * n_paths * n_out, dtype=np.float32)
    z_tmp = np.empty(n_paths * sizes.max(), dtype=np.float32)
    states = np.empty((horizon + 1, n_paths, n_state), dtype=np.float32)
    orders = np.empty((horizon, n_paths, n_sup), dtype=np.float32)
    slopes = np.empty((horizon, n_paths), dtype=np.float32)
    out_base = z_off[n_layers - 1] if keep_z else 0  # where the output layer's z_{L-1} blocks start
    states[0] = init_state
    total = 0.0
    # ---------------------------------------------------------------- forward
    for t in range(horizon):
        x = a_store[t * n_paths * n_in : (t + 1) * n_paths * n_in].reshape((n_paths, n_in))
        for p in range(n_paths):
            for i in range(n_state):
                x[p, i] = (states[t, p, i] - in_shift[i]) / in_scale[i]
            for i in range(n_in - n_state):
                x[p, n_state + i] = time_feats[t, i]
        for l in range(n_layers):
            fin, fout = sizes[l], sizes[l + 1]
            a_in = a_store[a_off[l] + t * n_paths * fin : a_off[l] + (t + 1) * n_paths * fin]
            if l == n_layers - 1:
                z = z_store[out_base + t * n_paths * fout : out_base + (t + 1) * n_paths * fout]
            elif keep_z:
                z = z_store[z_off[l] + t * n_paths * fout : z_off[l] + (t + 1) * n_paths * fout]
            else:
                z = z_tmp[: n_paths * fout]
            w = theta[w_off[l] : w_off[l] + fout * fin]
            bias = theta[w_off[l] + fout * fin : w_off[l + 1]]
            for p in range(n_paths):
                for j in range(fout):
                    z[p * fout + j] = bias[j]
            _gemm(False, True, n_paths, fout, fin, a_in, fin, w, fin, True, z, fout)
            if l < n_layers - 1:
                a_next = a_store[a_off[l + 1] + t * n_paths * fout : a_off[l + 1] + (t + 1) * n_paths * fout]
                _activate(z, a_next, act, alpha)
        # Orders and the backlog transition (idinn.dynamics.transition / period_cost).
        out = z_store[out_base + t * n_paths * n_out : out_base + (t + 1) * n_paths * n_out].reshape((n_paths, n_out))
        period = 0.0
        for p in range(n_paths):
            arrivals = 0.0
            pos = 1
            c = 0.0
            for k in range(n_sup):
                qk = math.floor(out[p, k]) if out[p, k] > 0 else 0.0
                orders[t, p, k] = qk
                c += order_costs[k] * qk
                lt = lead_times[k]
                if lt == 0:
                    arrivals += qk
                else:
                    arrivals += states[t, p, pos]
                    for j in range(1, lt):
                        states[t + 1, p, pos + j - 1] = states[t, p, pos + j]
                    states[t + 1, p, pos + lt - 1] = qk
                pos += lt
            inv = states[t, p, 0] + arrivals - demands[p, t]
            states[t + 1, p, 0] = inv
            if inv > 0:
                c += holding_cost * inv
                slopes[t, p] = holding_cost
            else:
                c -= shortage_cost * inv
                slopes[t, p] = -shortage_cost if inv < 0 else 0.0
            period += c
        total += discounts[t] * period / n_paths

    # --------------------------------------------------------------- backward
    grad = np.zeros_like(theta)
    lam_next = np.zeros((n_paths, n_state), dtype=np.float32)  # dJ/ds_{t+1} from later periods
    lam = np.zeros((n_paths, n_state), dtype=np.float32)
    width = sizes.max()
    dz_buf = np.empty(n_paths * width, dtype=np.float32)
    da_buf = np.empty(n_paths * width, dtype=np.float32)
    ste = np.float32(STE_NEGATIVE_SLOPE)
    ones = np.ones(n_paths, dtype=np.float32)
    for t in range(horizon - 1, -1, -1):
        scale = discounts[t] / n_paths
        g = lam_next
        for p in range(n_paths):
            g[p, 0] += slopes[t, p] * scale
        out = z_store[out_base + t * n_paths * n_out : out_base + (t + 1) * n_paths * n_out].reshape((n_paths, n_out))
        dz = dz_buf[: n_paths * n_out].reshape((n_paths, n_out))
        for p in range(n_paths):
            lam[p, 0] = g[p, 0]
            for i in range(1, n_state):
                lam[p, i] = 0.0
            pos = 1
            for k in range(n_sup):
                lt = lead_times[k]
                if lt == 0:
                    dq = order_costs[k] * scale + g[p, 0]
                else:
                    lam[p, pos] += g[p, 0]
                    for j in range(1, lt):
                        lam[p, pos + j] += g[p, pos + j - 1]
                    dq = order_costs[k] * scale + g[p, pos + lt - 1]
                pos += lt
                dz[p, k] = dq if out[p, k] > 0 else ste * dq
        dzf = dz_buf[: n_paths * n_out]
        for l in range(n_layers - 1, -1, -1):
            fin, fout = sizes[l], sizes[l + 1]
            a_in = a_store[a_off[l] + t * n_paths * fin : a_off[l] + (t + 1) * n_paths * fin]
            gw = grad[w_off[l] : w_off[l] + fout * fin]
            gb = grad[w_off[l] + fout * fin : w_off[l + 1]]
            # dW_l += dz^T a_l (accumulated over periods), db_l += column sums of dz.
            _gemm(True, False, fout, fin, n_paths, dzf, fout, a_in, fin, True, gw, fin)
            _gemm(False, False, 1, fout, n_paths, ones, n_paths, dzf, fout, True, gb, fout)
            w = theta[w_off[l] : w_off[l] + fout * fin]
            da = da_buf[: n_paths * fin]
            _gemm(False, False, n_paths, fin, fout, dzf, fout, w, fin, False, da, fin)
            if l > 0:
                a_l = a_store[a_off[l] + t * n_paths * fin : a_off[l] + (t + 1) * n_paths * fin]
                z_l = z_store[z_off[l - 1] + t * n_paths * fin : z_off[l - 1] + (t + 1) * n_paths * fin] if keep_z else a_l
                _backprop_activation(da, z_l, a_l, act, alpha)
                dz_buf, da_buf = da_buf, dz_buf
                dzf = dz_buf[: n_paths * fin]
            else:
                # Through the standardisation into the state: lam += dz W_0[:, :n_state] / sigma.
                for p in range(n_paths):
                    for i in range(n_state):
                        lam[p, i] += da[p * fin + i] / in_scale[i]
        lam_next, lam = lam, lam_next
    grad_init = lam_next.sum(axis=0)
    return total, grad, grad_init


# ------------------------------------------------------------------------ bridge
def handles(params: SourcingParams) -> bool:
    """True when :func:`rollout_grad` models ``params``: backlog, no fixed order costs, capacities or review periods."""
    return (
        params.excess_demand == "backlog"
        and not params.fixed_order_costs
        and not params.order_capacities
        and not params.review_periods
    )


def fused_cost_and_grad(
    fused,
    params: SourcingParams,
    init_state: np.ndarray,
    demands: np.ndarray,
    time_feats: np.ndarray,
    discounts: np.ndarray,
) -> tuple[float, np.ndarray]:
    """:meth:`idinn.neural.rollout.FusedMLP.cost_and_grad` through :func:`rollout_grad` (``handles(params)`` must hold).

    Writes the parameter gradients into the network's ``.grad`` and returns the total cost
    and :math:`\\partial J/\\partial s_0` summed over paths, shape (n_state,).
    """
    total, grad, grad_init = rollout_grad(*fused.kernel_args(params, init_state, demands, time_feats, discounts))
    fused.unpack_gradient(grad)
    return float(total), grad_init
