r"""Exact policy-improvement targets for neural controllers (approximate policy iteration).

For a stationary policy :math:`\pi` and stationary finite-support demand, the states
reachable from the initial state form a finite Markov chain. Solving the Poisson equation

.. math:: h(s) + g = c(s, \pi(s)) + \sum_d p_d\, h(f(s, \pi(s), d)), \qquad h(s_\mathrm{ref}) = 0

gives the policy's average cost :math:`g` and relative values :math:`h`. With :math:`\gamma \to 1`,
the discounted values :math:`v = c + \gamma P v` approach :math:`h` up to a constant; they
are used instead because they stay well defined on a truncated chain. The improved
action in a visited state :math:`s` is

.. math:: \pi'(s) = \arg\min_{a \in \mathcal N(\pi(s))} c(s, a) + \sum_d p_d\, h(f(s, a, d))

over a neighbourhood :math:`\mathcal N` of the current orders (Howard's policy
improvement, restricted so that :math:`h` is known at every successor: the chain is
closed under :math:`\pi` from every successor first). A neural controller is then trained
to reproduce :math:`\pi'`; repeating this is approximate policy iteration with the network
as the policy (Bertsekas & Tsitsiklis 1996, *Neuro-Dynamic Programming*, ch. 6).

The dynamics and costs come from :mod:`idinn.dynamics`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..dynamics import SourcingParams, advance, period_cost, transition
from . import _pmf
from ._enumerate import radix_keys, row_keys

PolicyFn = Callable[[np.ndarray], np.ndarray]


class ChainTooLarge(RuntimeError):
    """The policy's reachable state space exceeds the allowed size."""


@dataclass
class _Chain:
    states: np.ndarray  # (n, d) int64
    index: dict[bytes, int]



def _close(
    chain: _Chain,
    seeds: np.ndarray,
    policy: PolicyFn,
    params: SourcingParams,
    values: np.ndarray,
    max_states: int,
    box: tuple[np.ndarray, np.ndarray],
) -> None:
    """Add ``seeds`` and every state reachable from them under ``policy`` to ``chain``.

    States are clipped into ``box`` (lower, upper per state component) so that the chain
    stays finite even where the policy is unstable.
    """
    seeds = np.unique(np.clip(seeds, box[0], box[1]).astype(np.int64), axis=0)
    new = [j for j, key in enumerate(row_keys(seeds)) if key not in chain.index]
    frontier = seeds[new].reshape(-1, params.state_dim)
    blocks = [chain.states]
    n = chain.states.shape[0]
    for key in row_keys(frontier):
        chain.index[key] = n
        n += 1
    blocks.append(frontier)
    while frontier.shape[0]:
        if n > max_states:
            raise ChainTooLarge(f"more than {max_states} states")
        actions = policy(frontier)
        found = []
        for d in values:
            nxt = np.clip(transition(frontier, actions, np.full(frontier.shape[0], d, dtype=np.int64), params), box[0], box[1])
            for row, k in zip(nxt, row_keys(nxt)):
                if k not in chain.index:
                    chain.index[k] = n
                    n += 1
                    found.append(row)
        frontier = np.array(found, dtype=np.int64).reshape(-1, params.state_dim)
        blocks.append(frontier)
    chain.states = np.concatenate(blocks, axis=0)


def _lookup(chain: _Chain, rows: np.ndarray) -> np.ndarray:
    return np.fromiter((chain.index.get(k, -1) for k in row_keys(rows)), dtype=np.int64, count=rows.shape[0])


def default_box(params: SourcingParams, values: np.ndarray, init_inventory: int) -> tuple[np.ndarray, np.ndarray]:
    r"""State box for the improvement chain: :math:`|I| \le I_0 + 4 (l+1) \bar d`, pipelines in :math:`[0, 2 (l+1) \bar d]`."""
    n = max(params.lead_times) + 1
    dmax = max(int(values[-1]), 1)
    width = 4 * n * dmax + abs(init_inventory)
    lo = np.zeros(params.state_dim, dtype=np.int64)
    hi = np.full(params.state_dim, 2 * n * dmax, dtype=np.int64)
    lo[0], hi[0] = -width, width
    return lo, hi


def discounted_values(successors: np.ndarray, costs: np.ndarray, probs: np.ndarray, gamma: float) -> np.ndarray:
    r"""Solve :math:`v = c + \gamma P v` on the chain (always non-singular for :math:`\gamma < 1`).

    With :math:`\gamma` close to 1, :math:`v - v(s_0) \approx h`, the relative values of the
    average-cost problem, and remains well defined when the truncated chain has several
    recurrent classes.
    """
    n, m = successors.shape
    rows = np.repeat(np.arange(n), m)
    trans = sp.csr_matrix((np.tile(probs, n), (rows, successors.ravel())), shape=(n, n))
    a = (sp.identity(n, format="csc") - gamma * trans).tocsc()
    return spla.spsolve(a, costs)


def improvement_targets(
    policy: PolicyFn,
    params: SourcingParams,
    values: np.ndarray,
    probs: np.ndarray,
    init_state: np.ndarray,
    *,
    radius: int = 2,
    max_states: int = 60_000,
    box: tuple[np.ndarray, np.ndarray] | None = None,
    gamma: float = 0.999,
    max_entries: int | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """One policy-improvement step on the states the policy visits from ``init_state``.

    Raises :class:`ChainTooLarge` before the look-ahead when the chain has more than
    ``max_states`` states, or when the successors of every candidate order would need
    more than ``max_entries`` integers (default ``idinn.exact._pmf.MAX_TABLE_ENTRIES``).

    Returns
    -------
    states : (n, d) float32
        Visited states, then the other states of the chain.
    targets : (n, K) float32
        Improved orders on visited states; the current orders elsewhere.
    changed : int
        Number of states whose orders changed.
    """
    if box is None:
        box = default_box(params, values, int(init_state[0]))
    chain = _Chain(np.zeros((0, params.state_dim), dtype=np.int64), {})
    _close(chain, init_state[None, :].astype(np.int64), policy, params, values, max_states, box)
    visited = chain.states.copy()
    k = params.n_suppliers
    offsets = np.array(list(itertools.product(range(-radius, radius + 1), repeat=k)), dtype=np.int64)
    budget = _pmf.MAX_TABLE_ENTRIES if max_entries is None else max_entries
    n_succ = visited.shape[0] * offsets.shape[0] * values.size
    if n_succ * params.state_dim > budget:
        raise ChainTooLarge(
            f"the look-ahead would need {n_succ:,} successor states ({visited.shape[0]:,} states x "
            f"{offsets.shape[0]} candidate orders x {values.size} demand values), "
            f"{n_succ * params.state_dim:,} integers above the limit of {budget:,}"
        )
    current = policy(visited)
    cand = current[:, None, :] + offsets[None, :, :]  # (n, c, k)
    valid = (cand >= 0).all(axis=2)
    for j, u in enumerate(params.order_capacities):  # candidates above a capacity are infeasible
        if u is not None:
            valid &= cand[:, :, j] <= u
    flat_s = np.repeat(visited, offsets.shape[0], axis=0)
    flat_a = np.clip(cand.reshape(-1, k), 0, None)
    # advance: successors and the net inventory y_t the cost is charged on (lost sales: y_t < 0 is lost)
    stepped = [advance(flat_s, flat_a, np.full(flat_s.shape[0], d, dtype=np.int64), params) for d in values]
    succ_rows = [nxt for nxt, _ in stepped]
    _close(chain, np.concatenate(succ_rows, axis=0), policy, params, values, max_states, box)
    all_states = chain.states
    all_actions = policy(all_states)
    succ = np.empty((all_states.shape[0], values.size), dtype=np.int64)
    cost = np.zeros(all_states.shape[0])
    for j, d in enumerate(values):
        nxt, y = advance(all_states, all_actions, np.full(all_states.shape[0], d, dtype=np.int64), params)
        succ[:, j] = _lookup(chain, np.clip(nxt, box[0], box[1]))
        cost += probs[j] * period_cost(y.astype(float), all_actions.astype(float), params)
    h = gamma * discounted_values(succ, cost, probs, gamma)
    q = np.zeros(flat_s.shape[0])
    for j, d in enumerate(values):
        nxt = succ_rows[j]
        idx = _lookup(chain, nxt)
        inside = idx >= 0  # successors outside the box: the candidate is not considered
        q += probs[j] * (
            period_cost(stepped[j][1].astype(float), flat_a.astype(float), params) + np.where(inside, h[idx], np.inf)
        )
    q = q.reshape(visited.shape[0], offsets.shape[0])
    q[~valid] = np.inf
    centre = int(np.flatnonzero((offsets == 0).all(axis=1))[0])
    best = np.argmin(q, axis=1)
    keep = q[np.arange(q.shape[0]), best] >= q[:, centre] - 1e-9
    best[keep] = centre
    targets = cand[np.arange(cand.shape[0]), best]
    changed = int((best != centre).sum())
    # Anchor the policy on the other states of the chain (successors of the candidate
    # orders): the improved policy may go there, and its orders there must not change.
    states = np.concatenate([visited, all_states[visited.shape[0]:]], axis=0)
    orders = np.concatenate([targets, all_actions[visited.shape[0]:]], axis=0)
    return states.astype(np.float32), orders.astype(np.float32), changed


def _encode(states: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Mixed-radix integer keys of states inside the box ``[lo, hi]`` (:func:`._enumerate.radix_keys`)."""
    return radix_keys(states, lo, (hi - lo + 1).astype(np.int64))


def finite_horizon_improvement_targets(
    act_at: Callable[[np.ndarray, int], np.ndarray],
    params: SourcingParams,
    pmf_at: Callable[[int], tuple[np.ndarray, np.ndarray]],
    init_state: np.ndarray,
    horizon: int,
    *,
    radius: int = 2,
    box: tuple[np.ndarray, np.ndarray],
    discount: float = 1.0,
    anchors: bool = True,
) -> tuple[list[tuple[int, np.ndarray, np.ndarray]], int]:
    r"""One policy-improvement step for a time-dependent policy over a finite horizon.

    Forward, the states reachable at each period :math:`t` under :math:`\pi` from
    ``init_state`` (:math:`R_t`) and under the candidate orders (within ``radius`` of
    :math:`\pi_t`) at those states are tracked, each followed onwards under :math:`\pi`
    (:math:`S_t \supseteq R_t`). Backward, :math:`V^\pi_T = 0`,
    :math:`V^\pi_t(s) = E[c_t + \delta V^\pi_{t+1}(s')]` on :math:`S_t`, and
    :math:`\pi'_t(s) = \arg\min_a E[c_t(s, a) + \delta V^\pi_{t+1}(f(s, a, D_t))]` on :math:`R_t`.

    Returns
    -------
    rows : list of (t, states, orders)
        Improved orders on :math:`R_t` (with ``anchors``, also the current orders on
        :math:`S_t \setminus R_t`; in our runs anchoring made the network's fit worse).
    changed : int
        Number of (t, state) pairs whose orders changed.
    """
    lo, hi = box
    k = params.n_suppliers
    offsets = np.array(list(itertools.product(range(-radius, radius + 1), repeat=k)), dtype=np.int64)
    centre = int(np.flatnonzero((offsets == 0).all(axis=1))[0])
    start = np.clip(init_state[None, :].astype(np.int64), lo, hi)
    reach = [start]
    tracked = [start]
    for t in range(horizon):
        values, _ = pmf_at(t)
        s_all, r_now = tracked[t], reach[t]
        a_all = act_at(s_all, t)
        a_r = act_at(r_now, t)
        cand = np.clip(a_r[:, None, :] + offsets[None], 0, None).reshape(-1, k)
        rep = np.repeat(r_now, offsets.shape[0], axis=0)
        nxt_all, nxt_r = [], []
        for d in values:
            nxt_all.append(np.clip(transition(s_all, a_all, np.full(len(s_all), d), params), lo, hi))
            nxt_all.append(np.clip(transition(rep, cand, np.full(len(rep), d), params), lo, hi))
            nxt_r.append(np.clip(transition(r_now, a_r, np.full(len(r_now), d), params), lo, hi))
        tracked.append(np.unique(np.concatenate(nxt_all), axis=0))
        reach.append(np.unique(np.concatenate(nxt_r), axis=0))
    keys = [_encode(s, lo, hi) for s in tracked]  # np.unique sorted rows -> keys sorted too
    value_next = np.zeros(len(tracked[horizon]))
    rows: list[tuple[int, np.ndarray, np.ndarray]] = []
    changed = 0
    for t in range(horizon - 1, -1, -1):
        values, probs = pmf_at(t)
        s_all, r_now = tracked[t], reach[t]
        order = np.argsort(keys[t + 1])
        sorted_keys = keys[t + 1][order]

        def lookup(states: np.ndarray) -> np.ndarray:
            return order[np.searchsorted(sorted_keys, _encode(states, lo, hi))]

        a_all = act_at(s_all, t)
        v = np.zeros(len(s_all))
        for d, p in zip(values, probs):
            nxt, y = advance(s_all, a_all, np.full(len(s_all), d), params)
            nxt = np.clip(nxt, lo, hi)
            v += p * (period_cost(y.astype(float), a_all.astype(float), params) + discount * value_next[lookup(nxt)])
        a_r = act_at(r_now, t)
        cand = a_r[:, None, :] + offsets[None]
        valid = (cand >= 0).all(axis=2)
        for j, u in enumerate(params.order_capacities):  # candidates above a capacity are infeasible
            if u is not None:
                valid &= cand[:, :, j] <= u
        flat = np.clip(cand, 0, None).reshape(-1, k)
        rep = np.repeat(r_now, offsets.shape[0], axis=0)
        q = np.zeros(len(rep))
        for d, p in zip(values, probs):
            nxt, y = advance(rep, flat, np.full(len(rep), d), params)
            nxt = np.clip(nxt, lo, hi)
            q += p * (period_cost(y.astype(float), flat.astype(float), params) + discount * value_next[lookup(nxt)])
        q = q.reshape(len(r_now), -1)
        q[~valid] = np.inf
        best = np.argmin(q, axis=1)
        keep = q[np.arange(len(best)), best] >= q[:, centre] - 1e-9
        best[keep] = centre
        changed += int((best != centre).sum())
        targets = cand[np.arange(len(best)), best]
        in_r = np.isin(keys[t], _encode(r_now, lo, hi))
        if anchors:
            rows.append((t, np.concatenate([r_now, s_all[~in_r]]), np.concatenate([targets, a_all[~in_r]])))
        else:
            rows.append((t, r_now, targets))
        value_next = v
    return rows[::-1], changed
