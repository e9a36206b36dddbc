r"""Reachable full-state enumeration and row keys: one of each for every exact evaluator.

:func:`enumerate_chain` walks the Markov chain that a policy induces on full states
``[I_t, pipelines]`` (layout of :mod:`idinn.dynamics`) breadth first from :math:`s_0`,
optionally *phased* (the state carries :math:`t \bmod S` for an :math:`S`-periodic policy
and demand). Each frontier is one batched call of the policy (through
:func:`idinn.policy.as_policy_function`), one :func:`idinn.dynamics.transition` per demand
value and one :func:`idinn.dynamics.period_cost`. It serves
:func:`~idinn.exact.evaluate_policy`, :func:`~idinn.exact.evaluate_policy_discounted` and
the policy-improvement chain (:mod:`idinn.exact.improvement`).
:func:`merge_rows` (forward distributions: :func:`~idinn.exact.evaluate_policy_finite_horizon`)
and :func:`row_keys` are the one state hashing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..dynamics import SourcingParams, advance, check_capacities, check_review_periods, period_cost
from ._pmf import Pmf, check_size

__all__ = ["Chain", "enumerate_chain", "row_keys", "radix_keys", "merge_rows", "StateLimit"]

OrdersFn = Callable[[np.ndarray, int], np.ndarray]


class StateLimit(RuntimeError):
    """More reachable states than allowed (raised when ``on_limit='raise'``)."""


def row_keys(rows: np.ndarray, phase: int | None = None) -> list[bytes]:
    """One hashable key per int64 row (optionally prefixed by a phase)."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    if phase is not None:
        rows = np.ascontiguousarray(np.concatenate([np.full((len(rows), 1), phase, np.int64), rows], axis=1))
    return rows.view(np.dtype((np.void, rows.shape[1] * 8))).ravel().tolist()


def radix_keys(states: np.ndarray, low: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Mixed-radix int64 key of each row of ``states`` inside the box ``low .. low + span - 1``.

    Keys preserve the lexicographic order of the rows (last column fastest); the box must
    have fewer than 2**62 points.
    """
    span = np.asarray(span, dtype=np.int64)
    strides = np.cumprod(np.concatenate([[1], span[::-1][:-1]]))[::-1].astype(np.int64)
    return (np.asarray(states, dtype=np.int64) - low) @ strides


def merge_rows(states: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of ``states`` (sorted) and the summed ``weights`` of each."""
    low = states.min(axis=0)
    span = states.max(axis=0) - low + 1
    if float(np.prod(span.astype(np.float64))) < 2.0**62:
        # mixed-radix integer key per row: one 1-d unique instead of a row-wise one
        keys = radix_keys(states, low, span)
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        uniq = states[first]
    else:  # pragma: no cover - astronomically spread states
        uniq, inverse = np.unique(states, axis=0, return_inverse=True)
    return uniq, np.bincount(inverse.reshape(-1), weights=weights, minlength=len(uniq))


@dataclass
class Chain:
    """The enumerated chain (see :func:`enumerate_chain`).

    Attributes
    ----------
    states : ndarray of int64, shape (n, d)
        Enumerated states, :math:`s_0` first.
    phases : ndarray of int64, shape (n,)
    P : scipy.sparse.csr_matrix, shape (n, n)
        Transition matrix.
    cost : ndarray of float64, shape (n,)
        Expected period cost of each state.
    expected_inventory, expected_backlog : ndarray of float64, shape (n,)
        :math:`E[(I_{t+1})^+]`, :math:`E[(I_{t+1})^-]` from each state.
    orders : ndarray of float64, shape (n, K)
    cut_probability : ndarray of float64, shape (n,)
        Probability that a transition from the state was truncated (clipped inventory).
    cut_any : ndarray of bool, shape (n,)
        Whether any transition from the state was truncated (clipped or redirected).
    overflow : bool
        Whether ``max_states`` was reached (successors redirected to their source).
    cut_low, cut_high : ndarray of bool, shape (n,)
        Whether a successor's inventory was clipped at the lower / upper bound.
    """

    states: np.ndarray
    phases: np.ndarray
    P: sp.csr_matrix
    cost: np.ndarray
    expected_inventory: np.ndarray
    expected_backlog: np.ndarray
    orders: np.ndarray
    cut_probability: np.ndarray
    cut_any: np.ndarray
    overflow: bool
    cut_low: np.ndarray | None = None
    cut_high: np.ndarray | None = None

    @property
    def n_states(self) -> int:
        return len(self.states)


def enumerate_chain(
    orders_fn: OrdersFn,
    params: SourcingParams,
    pmfs: list[Pmf],
    s0: np.ndarray,
    *,
    inventory_bounds: tuple[int, int],
    max_states: int,
    on_limit: str = "redirect",
    owner: str = "evaluate_policy",
    max_entries: int | None = None,
) -> Chain:
    """Breadth-first enumeration of the states reachable from ``s0`` (phase 0).

    Parameters
    ----------
    orders_fn : callable
        ``orders_fn(states int64 (B, d), phase) -> orders int64 (B, K)`` (checked).
    params : SourcingParams
    pmfs : list of pmf
        Demand pmf of each phase; ``len(pmfs)`` is the number of phases :math:`S`
        (1: stationary).
    s0 : ndarray of int64, shape (d,)
    inventory_bounds : (int, int)
        Successors' net inventory is clipped into this range (recorded as truncation).
        With review periods (:attr:`~idinn.dynamics.SourcingParams.review_cycle` :math:`T > 1`)
        :math:`S` must be a multiple of :math:`T`: the phase is then the period modulo
        :math:`T` as well, and orders to a supplier outside its review periods are refused.
    max_states : int
        Most states. Beyond: ``on_limit='redirect'`` sends the transition back to its
        source (recorded as truncation); ``'raise'`` raises :class:`StateLimit`.
    """
    lo, hi = inventory_bounds
    n_phase = len(pmfs)
    phased = n_phase > 1
    key0 = row_keys(s0[None], 0 if phased else None)[0]
    index: dict[bytes, int] = {key0: 0}
    blocks, phase_blocks = [s0[None]], [np.zeros(1, np.int64)]
    rows_l, cols_l, data_l = [], [], []
    cost_l, pos_l, neg_l, ord_l, cutp_l, cuta_l, low_l, high_l = [], [], [], [], [], [], [], []
    frontier, phase, first, n_known, overflow = s0[None], 0, 0, 1, False
    while len(frontier):
        values, probs = pmfs[phase]
        m, k = len(frontier), len(values)
        # stored transitions so far plus this frontier's successors (checked as the chain grows)
        check_size(float(first + m) * k * (params.state_dim + 6), max_entries, owner,
                   f"entries for the transitions of the {first + m:,} states reached so far ({k} demand values each)",
                   "Lower 'max_states' or use a policy with a smaller reachable state space.")
        q = orders_fn(frontier, phase)
        check_capacities(q, params, owner)
        check_review_periods(q, params, phase, owner)  # phases are a multiple of the review cycle
        qq = np.repeat(q, k, axis=0)
        nxt, net = advance(np.repeat(frontier, k, axis=0), qq, np.tile(values, m), params)
        inv = net.astype(np.float64)
        cost_l.append(period_cost(inv, qq.astype(np.float64), params).reshape(m, k) @ probs)
        pos_l.append(np.clip(inv, 0, None).reshape(m, k) @ probs)
        neg_l.append(np.clip(-inv, 0, None).reshape(m, k) @ probs)
        ord_l.append(q.astype(np.float64))
        below, above = (nxt[:, 0] < lo).reshape(m, k), (nxt[:, 0] > hi).reshape(m, k)
        low_l.append(below.any(axis=1))
        high_l.append(above.any(axis=1))
        clipped = below | above
        nxt[:, 0] = np.clip(nxt[:, 0], lo, hi)
        cutp_l.append(clipped.astype(np.float64) @ probs)
        cut = clipped.any(axis=1)
        nphase = (phase + 1) % n_phase
        # one dictionary look-up per distinct successor, in order of first appearance
        keyed = np.ascontiguousarray(
            nxt if not phased else np.concatenate([np.full((len(nxt), 1), nphase, np.int64), nxt], axis=1),
            dtype=np.int64,
        )
        flat = keyed.view(np.dtype((np.void, keyed.shape[1] * 8))).ravel()
        uniq, first_idx, inverse = np.unique(flat, return_index=True, return_inverse=True)
        seq = np.argsort(first_idx, kind="stable")
        ukeys = uniq.tolist()
        utarget = np.empty(len(uniq), dtype=np.int64)
        new_rows, redirect_u = [], []
        for u in seq.tolist():
            key = ukeys[u]
            t = index.get(key)
            if t is None:
                if n_known < max_states:
                    t = n_known
                    index[key] = t
                    n_known += 1
                    new_rows.append(int(first_idx[u]))
                elif on_limit == "raise":
                    raise StateLimit(n_known)
                else:
                    t = -1
                    redirect_u.append(u)
            utarget[u] = t
        target = utarget[inverse.reshape(-1)]
        redirect = np.flatnonzero(target < 0).tolist() if redirect_u else []
        if redirect:  # no room for new states: the transition stays in its source state
            overflow = True
            r = np.asarray(redirect)
            target[r] = first + r // k
            cut[r // k] = True
        cuta_l.append(cut)
        rows_l.append(np.repeat(np.arange(first, first + m), k))
        cols_l.append(target)
        data_l.append(np.tile(probs, m))
        first += m
        frontier, phase = nxt[new_rows], nphase
        if len(frontier):
            blocks.append(frontier)
            phase_blocks.append(np.full(len(frontier), nphase, np.int64))
    n = n_known
    P = sp.csr_matrix((np.concatenate(data_l), (np.concatenate(rows_l), np.concatenate(cols_l))), shape=(n, n))
    P.sum_duplicates()
    return Chain(
        states=np.concatenate(blocks).reshape(n, params.state_dim),
        phases=np.concatenate(phase_blocks),
        P=P,
        cost=np.concatenate(cost_l),
        expected_inventory=np.concatenate(pos_l),
        expected_backlog=np.concatenate(neg_l),
        orders=np.concatenate(ord_l),
        cut_probability=np.concatenate(cutp_l),
        cut_any=np.concatenate(cuta_l),
        overflow=overflow,
        cut_low=np.concatenate(low_l),
        cut_high=np.concatenate(high_l),
    )
