r"""The Bellman operator of :mod:`idinn.exact.multi_dp` on the aggregated state.

:func:`expectation` gives the post-decision values
:math:`W(z, a_1, \dots, a_L) = E_D[h [z - D]^+ + b [D - z]^+ + v(f(z - D) + a_1, a_2, \dots, a_L)]`
as one sparse product; :func:`minimise` takes the minimum over the lead-time group totals
:math:`Q_L, Q_{L-1}, \dots, Q_0` one axis at a time (the group totals enter different
coordinates); :func:`greedy_orders` reads the per-supplier orders back.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..dynamics import SourcingParams
from ._multi_space import Box

__all__ = ["transition_matrix", "expectation", "minimise", "greedy_orders", "stage_cost"]


def transition_matrix(box: Box, pmf: tuple[np.ndarray, np.ndarray], lost_sales: bool) -> sp.csr_matrix:
    r"""Sparse matrix from the post-decision pairs :math:`(z, a_1)` to the next stock :math:`x'`.

    Row :math:`(z, a_1)` holds :math:`P(D = d)` in column
    :math:`\min(\max(f(z - d) + a_1, \underline x), \bar x) - \underline x`; the remaining
    coordinates :math:`(a_2, \dots, a_L)` pass unchanged into :math:`(A'_1, \dots, A'_{L-1})`.
    """
    values, probs = pmf
    post = box.post_shape
    z = box.x_lo + np.arange(post[0])
    a1 = np.arange(post[1])
    y = z[:, None] - values[None, :]  # (nz, n_d)
    first = np.maximum(y, 0) if lost_sales else y
    nxt = first[:, None, :] + a1[None, :, None] - box.x_lo  # (nz, na1, n_d)
    cols = np.clip(nxt, 0, box.nx - 1).reshape(-1)
    rows = np.repeat(np.arange(post[0] * post[1]), len(values))
    data = np.tile(probs, post[0] * post[1])
    M = sp.csr_matrix((data, (rows, cols)), shape=(post[0] * post[1], box.nx))
    M.sum_duplicates()
    return M


def expectation(v_next: np.ndarray, box: Box, M: sp.csr_matrix, stage: np.ndarray) -> np.ndarray:
    r"""Post-decision values :math:`W(z, a_1, \dots, a_L)` (one sparse product)."""
    post = box.post_shape
    w = (M @ v_next.reshape(box.nx, -1)).reshape(post)
    w += stage.reshape((-1,) + (1,) * (len(post) - 1))
    return w


def minimise(w: np.ndarray, costs: list[np.ndarray], box: Box, greedy: bool) -> tuple[np.ndarray, list[np.ndarray]]:
    r"""Minimise over the group totals :math:`Q_L, Q_{L-1}, \dots, Q_0`, one axis at a time."""
    L = box.L
    ahead = box.ahead_max
    args: list[np.ndarray] = [np.empty(0, np.int64)] * (L + 1)
    cur = w
    for j in range(L, -1, -1):
        size = box.nx if j == 0 else ahead[j] + 1
        cost = costs[j]
        shape = list(cur.shape)
        shape[j] = size
        best = np.full(shape, np.inf)
        arg = np.zeros(shape, dtype=np.int64) if greedy else None
        for q in range(len(cost)):
            if not np.isfinite(cost[q]):
                continue
            sl = [slice(None)] * cur.ndim
            sl[j] = slice(q, q + size)
            cand = cur[tuple(sl)] + cost[q]
            if greedy:
                better = cand < best
                arg[better] = q
                np.minimum(best, cand, out=best)
            else:
                np.minimum(best, cand, out=best)
        if j == L:  # the last axis (a_L = Q_L) is used up
            best = best[..., 0]
            if greedy:
                arg = arg[..., 0]
        cur = best
        if greedy:
            args[j] = arg
    return cur, args


def greedy_orders(args: list[np.ndarray], splits: list[np.ndarray], box: Box, K: int) -> np.ndarray:
    """Per-supplier orders (n_states, K) from the per-axis argmins."""
    L = box.L
    grid = np.indices(box.shape).reshape(len(box.shape), -1).T  # (n, L): x index, A_1..A_{L-1}
    q0 = args[0][tuple(grid.T)]
    totals = [q0]
    coords = grid.copy()
    coords[:, 0] += q0  # z index
    for j in range(1, L + 1):
        if j < L:
            qj = args[j][tuple(coords.T)]
            coords[:, j] += qj
        else:
            qj = args[L][tuple(coords[:, :L].T)]
        totals.append(qj)
    orders = np.zeros((len(grid), K), dtype=np.int64)
    for j in range(L + 1):
        orders += splits[j][totals[j]]
    return orders


def stage_cost(box: Box, pmf: tuple[np.ndarray, np.ndarray], params: SourcingParams) -> np.ndarray:
    r""":math:`E[h (z - D)^+ + b (D - z)^+]` on the post-decision positions :math:`z`."""
    values, probs = pmf
    z = box.x_lo + np.arange(box.post_shape[0])
    y = z[:, None] - values[None, :]
    return (params.holding_cost * np.maximum(y, 0) + params.shortage_cost * np.maximum(-y, 0)) @ probs
