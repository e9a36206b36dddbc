r"""Exact single-sourcing lost-sales dynamic programming (long-run average cost).

Model (Zipkin 2008, *Oper. Res.* 56(5); order of events in docs/dynamics.md): lead time
:math:`L \ge 1`, unit order cost :math:`c`, holding cost :math:`h` on end-of-period on-hand
stock, penalty :math:`p` (``shortage_cost``) per unit of demand lost.

State
    After the order placed :math:`L` periods ago has arrived: the on-hand stock
    :math:`x = I_t + q_{t-L}` and the :math:`L - 1` later outstanding orders
    :math:`v = (q_{t-L+1}, \dots, q_{t-1})`. Bellman equation (relative value iteration,
    Puterman 1994, Sec. 8.5.5):

    .. math::

        g + H(x, v) = C(x) + \min_{q} \Bigl\{ c\,q + \sum_d P(D = d)\,
        H\bigl([x - d]^+ + v_1,\; v_2, \dots, v_{L-1},\; q\bigr) \Bigr\},

    :math:`C(x) = h\,E[x - D]^+ + p\,E[D - x]^+` (for :math:`L = 1` the next state is
    :math:`[x - d]^+ + q`).

State space
    Orders are bounded by the base-stock order of the backlog model with the same
    critical ratio (Morton 1969; Zipkin 2008, "On the structure of lost-sales inventory
    models"): :math:`q \le [\bar S - x - \sum v]^+` with :math:`\bar S` the
    :math:`p/(p+h)` quantile of the demand over :math:`L + 1` periods. The simplex
    :math:`x + \sum_i v_i \le \bar S` is then closed, so the DP on it is exact. Its
    :math:`\binom{\bar S + L}{L}` states are stored compactly (about :math:`L!` times fewer
    entries than the box :math:`(\bar S + 1)^L`), ranked lexicographically in
    :math:`(v_1, \dots, v_{L-1}, x)`; :func:`simplex_rank` gives a state's row.

Fixed order cost and capacity
    A fixed cost :math:`K` (``fixed_order_costs``) is added to the order cost when
    :math:`q > 0`; a capacity :math:`u` limits :math:`q \le u`. With :math:`K > 0` the bound
    is enlarged as described in :func:`solve_lost_sales_average_cost`.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from .._validation import check_int, check_real, fail
from ..demand import BaseDemand
from ..problem import SourcingProblem, as_problem
from . import _pmf

__all__ = [
    "LostSalesSolution", "solve_lost_sales_average_cost", "lost_sales_demand_pmf", "simplex_states", "simplex_rank",
]

_OWNER = "solve_lost_sales_average_cost"


@dataclass(frozen=True)
class LostSalesSolution:
    r"""Optimal long-run average cost and policy of a single-sourcing lost-sales problem.

    Attributes
    ----------
    average_cost : float
        Optimal average cost per period :math:`g^*` (midpoint of the final bounds).
    lower_bound, upper_bound : float
        Bounds :math:`\min_s (TH - H)(s) \le g^* \le \max_s (TH - H)(s)` at the stop.
    lead_time : int
        :math:`L`.
    max_position : int
        :math:`\bar S`: states with :math:`x + \sum v \le \bar S` are solved.
    state_orders : ndarray of int32, shape (n_states,)
        Optimal order in each state of the simplex, in the order of :func:`simplex_states`
        (row :func:`simplex_rank` of the state); :attr:`order_table` gives the dense table.
    n_states : int
        Number of states solved.
    dropped_mass : float
        Tail mass :math:`P(D > \overline d)` of the truncated demand (moved onto
        :math:`\overline d`).
    iterations : int
    seconds : float
    """

    average_cost: float
    lower_bound: float
    upper_bound: float
    lead_time: int
    max_position: int
    state_orders: np.ndarray
    n_states: int
    dropped_mass: float
    iterations: int
    seconds: float

    @property
    def order_table(self) -> np.ndarray:
        r"""Optimal orders as a dense table, shape ((max_position + 1),) * L, 0 outside the simplex.

        Axis 0 is :math:`x = I_t + q_{t-L}`, axis :math:`j` is :math:`v_j = q_{t-L+j}`. Built
        on every access (it is not stored; an attribute, not a method).

        Raises
        ------
        MemoryError
            The box :math:`(\bar S + 1)^L` exceeds ``idinn.exact._pmf.MAX_TABLE_ENTRIES``
            (use :attr:`state_orders` or :meth:`order` instead).
        """
        return dense_order_table(self.state_orders, self.max_position, self.lead_time, "LostSalesSolution.order_table")

    def orders(self, states: np.ndarray, period: int = 0) -> np.ndarray:
        r"""Optimal orders, shape (B, 1), for full states ``[I_t, q_{t-L}, ..., q_{t-1}]`` (B, 1 + L).

        The policy protocol of :mod:`idinn.policy` (a column per supplier); :meth:`order`
        gives the same orders as a flat array. ``period`` is ignored (stationary policy).
        """
        return self.order(states)[:, None]

    def order(self, state: np.ndarray) -> np.ndarray:
        r"""Optimal orders for full states ``[I_t, q_{t-L}, ..., q_{t-1}]``.

        Parameters
        ----------
        state : array of int, shape (B, 1 + L) or (1 + L,)
            On-hand stock :math:`I_t \ge 0` and the outstanding orders, oldest first.

        Returns
        -------
        ndarray of int64, shape (B,)
            The order at the reduced state :math:`(I_t + q_{t-L}, q_{t-L+1}, \dots)`; 0 when
            the position exceeds :math:`\bar S` (Morton's bound: the optimum orders nothing there).

        Raises
        ------
        ValueError
            A state of the wrong width, a negative entry (lost sales keep :math:`I_t \ge 0`), or
            one that is not a whole number (NaN, 5.9).
        """
        s = check_full_states(state, self.lead_time, "LostSalesSolution.order")
        x = s[:, 0] + s[:, 1]
        red = np.concatenate([x[:, None], s[:, 2:]], axis=1)
        inside = red.sum(1) <= self.max_position
        out = np.zeros(len(s), dtype=np.int64)
        if inside.any():
            out[inside] = self.state_orders[simplex_rank(red[inside], self.max_position)]
        return out


def check_full_states(state: Any, lead_time: int, owner: str) -> np.ndarray:
    """Full lost-sales states as an int64 array of shape (B, 1 + L): width and sign checked."""
    s = np.asarray(state)
    width = 1 + int(lead_time)
    if s.ndim not in (1, 2) or s.shape[-1] != width:
        fail("state", owner, f"an array of shape (B, {width}) or ({width},): [I_t, q_(t-L), ..., q_(t-1)] with "
             f"L = {lead_time}", f"shape {s.shape}")
    if s.dtype.kind not in "iub":
        f = s.astype(np.float64)
        bad = ~np.isfinite(f) | (f != np.round(f))
        if bad.any():
            fail("state", owner, "whole numbers of units (lost-sales tables are indexed by integer states)",
                 f"a state with {float(f[bad].flat[0])!r}")
    s = s.astype(np.int64).reshape(-1, width)
    if s.size and s.min() < 0:
        fail("state", owner, "non-negative (lost sales keep the on-hand stock and the orders >= 0)",
             f"a state with {int(s.min())}")
    return s


def lost_sales_demand_pmf(demand: BaseDemand, tail_mass: float) -> tuple[np.ndarray, float, str]:
    """Probabilities of 0..max (int support from 0) and the dropped tail mass of ``demand``."""
    if not isinstance(demand, BaseDemand):
        fail("demand", _OWNER, "a demand model from idinn.demand", demand, TypeError)
    if demand.season_length is not None:
        fail("demand", _OWNER, "stationary (season_length None)", demand)
    dropped, how = 0.0, ""
    if not demand.has_finite_support:
        if not hasattr(demand, "truncated"):
            fail("demand", _OWNER, "a demand with finite support or a truncated(...) method", demand)
        demand = demand.truncated(tail_mass=tail_mass)
        dropped = float(demand.dropped_mass)
        how = f"{demand!r}, tail mass {dropped:.3g} moved onto max_demand"
    values, probs = demand.pmf()
    if values.min() < 0:
        fail("demand", _OWNER, "non-negative", demand)
    pmf = np.zeros(int(values.max()) + 1)
    np.add.at(pmf, values, probs)
    return pmf, dropped, how


def _max_position(pmf: np.ndarray, lead_time: int, ratio: float) -> int:
    dist = pmf
    for _ in range(lead_time):
        dist = np.convolve(dist, pmf)
    return int(np.searchsorted(np.cumsum(dist), ratio - 1e-12))


def _binomials(n_max: int, k_max: int) -> np.ndarray:
    r"""Table of :math:`\binom{n}{k}`, shape (n_max + 1, k_max + 1), int64 (exact below 2**63)."""
    out = np.zeros((n_max + 1, k_max + 1), dtype=np.int64)
    for n in range(n_max + 1):
        for k in range(min(n, k_max) + 1):
            out[n, k] = math.comb(n, k)
    return out


def simplex_states(max_position: int, lead_time: int) -> np.ndarray:
    r"""Every reduced state :math:`(x, v_1, \dots, v_{L-1})` with :math:`x + \sum_i v_i \le \bar S`.

    Parameters
    ----------
    max_position : int
        :math:`\bar S \ge 0`.
    lead_time : int
        :math:`L \ge 1` (the number of coordinates).

    Returns
    -------
    ndarray of int32, shape (:math:`\binom{\bar S + L}{L}`, L)
        Columns :math:`(x, v_1, \dots, v_{L-1})`; rows in lexicographic order of
        :math:`(v_1, \dots, v_{L-1}, x)` (row 0 is the empty state), so that for fixed
        :math:`(v_1, \dots, v_{L-1})` the states :math:`x = 0, 1, \dots` are consecutive rows.
    """
    B = check_int(max_position, "max_position", "simplex_states", minimum=0)
    L = check_int(lead_time, "lead_time", "simplex_states", minimum=1)
    cols = np.zeros((1, 0), dtype=np.int32)
    rem = np.array([B], dtype=np.int64)
    for _ in range(L):  # v_1, ..., v_{L-1}, then x: each row splits into its (rem + 1) successors
        counts = rem + 1
        parent = np.repeat(np.arange(len(rem)), counts)
        val = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        cols = np.concatenate([cols[parent], val[:, None].astype(np.int32)], axis=1)
        rem = rem[parent] - val
    return np.ascontiguousarray(np.concatenate([cols[:, -1:], cols[:, :-1]], axis=1))


def simplex_rank(states: np.ndarray, max_position: int) -> np.ndarray:
    r"""Row of each reduced state in :func:`simplex_states` (combinatorial ranking).

    With :math:`s_{i-1} = v_1 + \dots + v_{i-1}` and :math:`k = L - i` coordinates after
    :math:`v_i`, the states before :math:`(v_1, \dots, v_{L-1}, x)` number

    .. math:: x + \sum_{i=1}^{L-1} \Bigl[\tbinom{\bar S - s_{i-1} + k + 1}{k + 1}
              - \tbinom{\bar S - s_{i-1} - v_i + k + 1}{k + 1}\Bigr]

    (the states with a smaller :math:`v_i` and equal earlier coordinates; hockey-stick identity).

    Parameters
    ----------
    states : array of int, shape (n, L)
        Columns :math:`(x, v_1, \dots, v_{L-1})`, non-negative with sum at most ``max_position``.
    max_position : int
        :math:`\bar S`.

    Returns
    -------
    ndarray of int64, shape (n,)

    Raises
    ------
    ValueError
        ``states`` not of shape (n, L) with :math:`L \ge 1`, or a state with a negative entry or
        a sum above ``max_position``.
    """
    B = check_int(max_position, "max_position", "simplex_rank", minimum=0)
    raw = np.asarray(states)
    if raw.ndim != 2 or raw.shape[1] < 1:
        fail("states", "simplex_rank", "an array of shape (n, L), L >= 1: rows (x, v_1, ..., v_{L-1})",
             f"shape {raw.shape}")
    red = raw.astype(np.int64)
    L = red.shape[1]
    if len(red) and (red.min() < 0 or red.sum(1).max() > B):
        fail("states", "simplex_rank", f"states of the simplex: non-negative with sum at most max_position = {B}",
             f"a state with minimum {int(red.min())} and sum up to {int(red.sum(1).max())}")
    comb = _binomials(B + L + 1, L)
    rank = red[:, 0].copy()
    used = np.zeros(len(red), dtype=np.int64)
    for i in range(1, L):
        k, r = L - i, B - used
        rank += comb[r + k + 1, k + 1] - comb[r - red[:, i] + k + 1, k + 1]
        used += red[:, i]
    return rank


def dense_order_table(state_orders: np.ndarray, max_position: int, lead_time: int, owner: str) -> np.ndarray:
    """Orders per state of :func:`simplex_states` as a dense table, shape ((max_position + 1),) * L (0 outside)."""
    B, L = int(max_position), int(lead_time)
    size = (B + 1) ** L
    if size > _pmf.MAX_TABLE_ENTRIES:
        raise MemoryError(f"{owner}: the dense table of (max_position + 1) ** L = {B + 1} ** {L} = {size:,} entries "
                          f"(~{size * 4 / 2**30:.3g} GiB) is above idinn.exact._pmf.MAX_TABLE_ENTRIES = "
                          f"{_pmf.MAX_TABLE_ENTRIES:,}; use state_orders with simplex_rank, or order(states), or "
                          "assign a larger idinn.exact._pmf.MAX_TABLE_ENTRIES.")
    table = np.zeros((B + 1,) * L, dtype=np.int32)
    table[tuple(simplex_states(B, L).T)] = state_orders
    return table


@njit(cache=True)
def next_state_row(tail: int, width: int, tri: int, q: int, y: int) -> int:  # pragma: no cover - compiled
    r"""Row of the next reduced state :math:`(y, v_2, \dots, v_{L-1}, q)` in :func:`simplex_states`.

    ``tail`` is the row of :math:`(0, v_2, \dots, v_{L-1}, 0)`, ``width`` is
    :math:`\bar S - v_2 - \dots - v_{L-1} + 1`; the states with a smaller last coordinate
    number :math:`\sum_{j<q} (\text{width} - j) = q\,\text{width} - q(q-1)/2` (``tri = 1``).
    For :math:`L = 1` the next state is :math:`y + q` (``tail = 0``, ``width = 1``, ``tri = 0``).
    """
    return tail + q * width - tri * (q * (q - 1) // 2) + y


@dataclass(frozen=True)
class _Space:
    r"""The simplex of reduced states :math:`x + \sum v \le \bar S` and the demand terms on it."""

    lead_time: int
    max_position: int
    order_cost: float
    grids: np.ndarray  # (n, L) states (x, v_1, ..., v_{L-1}), rows as simplex_states
    xs: np.ndarray
    v1s: np.ndarray
    tails: np.ndarray  # row of (0, v_2, ..., v_{L-1}, 0): next_state_row's ``tail``
    widths: np.ndarray  # B - v_2 - ... - v_{L-1} + 1: next_state_row's ``width``
    tri: int
    qmax: np.ndarray
    pmf: np.ndarray  # P(D = d), d = 0..B
    sf: np.ndarray  # P(D >= x), x = 0..B
    cx: np.ndarray  # C(x) = h E[x - D]^+ + p E[D - x]^+, x = 0..B
    dropped_mass: float
    fixed_cost: float = 0.0

    @property
    def n(self) -> int:
        """Number of states."""
        return int(self.xs.shape[0])


#: 8-byte entries per state that the lost-sales methods hold at once (state arrays and value tables).
_ENTRIES_PER_STATE = 16


def build_space(problem: SourcingProblem, B: int, tail_mass: float, max_entries: int | None, owner: str = _OWNER) -> _Space:
    """States and demand terms of the lost-sales DP within position ``B`` (refuses too large spaces)."""
    params = problem.params
    L = params.lead_times[0]
    h, p, c = params.holding_cost, params.shortage_cost, params.order_costs[0]
    K, cap = params.fixed_order_cost(0), params.order_capacity(0)
    pmf, dropped, _ = lost_sales_demand_pmf(problem.demand, tail_mass)
    n_states = math.comb(B + L, L)
    entries = (_ENTRIES_PER_STATE + L) * n_states
    limit = _pmf.MAX_TABLE_ENTRIES if max_entries is None else check_int(max_entries, "max_entries", owner, minimum=1)
    if entries > limit:
        raise MemoryError(
            f"{owner} would solve {n_states:,} states (positions up to {B}, lead time {L}) with tables of "
            f"{entries:.3g} entries (~{entries * 8 / 2**30:.3g} GiB), above the limit of {limit:.3g} entries "
            f"({limit * 8 / 2**30:.3g} GiB). Raise it with max_entries=... if the machine has the memory.")
    pm = np.zeros(B + 1)
    pm[: min(B + 1, len(pmf))] = pmf[: B + 1]
    cdf = np.cumsum(pmf)
    sf = np.ones(B + 1)
    sf[1:] = 1.0 - cdf[np.minimum(np.arange(B), len(pmf) - 1)]
    sf = np.clip(sf, 0.0, 1.0)
    support = np.arange(len(pmf))
    mean = float(support @ pmf)
    xg = np.arange(B + 1)
    over = np.array([float(np.clip(x - support, 0, None) @ pmf) for x in xg])  # E[x - D]^+
    cx = h * over + p * (mean - xg + over)  # E[D - x]^+ = E[D] - x + E[x - D]^+
    grids = simplex_states(B, L)
    xs = grids[:, 0].astype(np.int64)
    pos = grids.sum(1, dtype=np.int64)
    if L == 1:
        v1s, tails, widths, tri = np.zeros_like(xs), np.zeros_like(xs), np.ones_like(xs), 0
    else:
        v1s = grids[:, 1].astype(np.int64)
        rest = pos - xs - v1s  # v_2 + ... + v_{L-1}
        shifted = np.zeros_like(grids)
        shifted[:, 1:L - 1] = grids[:, 2:]  # (0, v_2, ..., v_{L-1}, 0)
        tails = simplex_rank(shifted, B)
        widths, tri = B - rest + 1, 1
        del shifted, rest
    qmax = B - pos
    if cap is not None:
        qmax = np.minimum(qmax, cap)
    return _Space(L, B, float(c), grids, xs, v1s, tails, widths, tri, qmax, pm, sf, cx, dropped, float(K))


def check_lost_sales_problem(sourcing_model: Any, owner: str) -> SourcingProblem:
    """The problem of ``sourcing_model``: single sourcing, lost sales, lead time >= 1."""
    problem: SourcingProblem = as_problem(sourcing_model, owner=owner, name="sourcing_model")
    params = problem.params
    if params.n_suppliers != 1:
        fail("sourcing_model", owner, "a single-sourcing problem (one supplier)", f"{params.n_suppliers} suppliers")
    if params.excess_demand != "lost_sales":
        fail("sourcing_model", owner, "a problem with excess_demand='lost_sales' (backlog: use the other "
             "exact solvers)", params.excess_demand)
    if params.lead_times[0] < 1:
        fail("lead_time", owner, "an int >= 1 (with lead time 0 order up to the newsvendor level)", params.lead_times[0])
    if params.has_review_periods:
        fail("review_periods", owner, "empty (every period a review period) for the lost-sales methods",
             list(params.review_periods))
    return problem


def reachable_position(grids: np.ndarray, orders: np.ndarray) -> int:
    """Largest position :math:`y + q` reachable from the empty state (row 0 of ``grids``) under ``orders``."""
    pos = grids.sum(1)
    after = pos + orders
    R = int(orders[0])
    while True:
        nxt = max(R, int(after[pos <= R].max()))
        if nxt == R:
            return R
        R = nxt


@njit(cache=True)
def _sweep(h, hn, pol, xs, v1s, tails, widths, tri, qmax, pmf, sf, cx, c, K):  # pragma: no cover - compiled
    for i in range(xs.shape[0]):
        x, v1 = xs[i], v1s[i]
        best, arg = np.inf, 0
        for q in range(qmax[i] + 1):
            base = next_state_row(tails[i], widths[i], tri, q, v1)
            val = c * q + sf[x] * h[base]
            if q > 0:
                val += K
            for d in range(x):
                val += pmf[d] * h[base + x - d]
            if val < best:
                best, arg = val, q
        hn[i] = cx[x] + best
        pol[i] = arg


def _relative_value_iteration(sp: _Space, tol: float, max_iterations: int) -> tuple[float, float, np.ndarray, int]:
    """Bounds on :math:`g^*`, the policy (per state of ``sp``) and the iterations of RVI on the simplex ``sp``."""
    n = sp.n
    h = np.zeros(n)
    hn = np.zeros(n)
    pol = np.zeros(n, dtype=np.int32)
    lo = hi = 0.0
    it = 0
    for it in range(1, max_iterations + 1):
        _sweep(h, hn, pol, sp.xs, sp.v1s, sp.tails, sp.widths, sp.tri, sp.qmax, sp.pmf, sp.sf, sp.cx,
               float(sp.order_cost), float(sp.fixed_cost))
        np.subtract(hn, h, out=h)  # h now holds TH - H
        lo, hi = float(h.min()), float(h.max())
        np.subtract(hn, hn[0], out=h)
        if hi - lo < tol:
            break
    return lo, hi, pol, it


def solve_lost_sales_average_cost(
    sourcing_model: Any,
    *,
    tail_mass: float = 1e-10,
    max_position: int | None = None,
    tol: float = 1e-7,
    max_iterations: int = 100_000,
    max_entries: int | None = None,
) -> LostSalesSolution:
    r"""Optimal average cost and policy of single sourcing with lost sales (exact DP).

    Parameters
    ----------
    sourcing_model : SourcingProblem or SingleSourcingModel
        One supplier, lead time :math:`L \ge 1`, ``excess_demand="lost_sales"``,
        stationary demand (finite support, or unbounded with ``truncated``, e.g.
        :class:`~idinn.demand.PoissonDemand`, :class:`~idinn.demand.GeometricDemand`).
    tail_mass : float, default=1e-10
        Tail mass an unbounded demand is truncated at (stated as ``dropped_mass``).
    max_position : int, optional
        :math:`\bar S`; default the :math:`p/(p+h)` quantile of the demand over
        :math:`L+1` periods (Morton's bound on the optimal order). With a fixed order cost
        :math:`K > 0` (or a capacity) Morton's bound no longer holds: the default then starts
        at that quantile plus the EOQ :math:`\lceil\sqrt{2 K E[D] / h}\rceil + 2` and is
        enlarged until the positions reachable from an empty system under the optimal
        orders stay strictly below it (no reachable order is cut by the bound).
    tol : float, default=1e-7
        Stop when the span of :math:`TH - H` is below ``tol``.
    max_iterations : int, default=100000
        Most sweeps; stopping before the span reaches ``tol`` warns (``RuntimeWarning``) and
        returns the midpoint of the bounds.
    max_entries : int, optional
        Refuse when the tables, :math:`(16 + L)\binom{\bar S + L}{L}` entries of 8 bytes
        (state arrays and value tables on the simplex), exceed this (default
        ``idinn.exact._pmf.MAX_TABLE_ENTRIES``, 1 GiB).

    Returns
    -------
    LostSalesSolution

    Raises
    ------
    ValueError
        Not single sourcing, not lost sales, lead time 0, non-stationary demand; a
        ``max_position`` below Morton's bound :math:`\bar S` (it would cut optimal orders).
    MemoryError
        The state space is too large (the message gives the states, the memory and the limit).

    Warns
    -----
    RuntimeWarning
        ``max_iterations`` sweeps ran out before the span of the bounds fell below ``tol``.
    """
    t0 = time.perf_counter()
    problem = check_lost_sales_problem(sourcing_model, _OWNER)
    params = problem.params
    L = params.lead_times[0]
    tail_mass = check_real(tail_mass, "tail_mass", _OWNER, exclusive_minimum=0, exclusive_maximum=1)
    tol = check_real(tol, "tol", _OWNER, exclusive_minimum=0)
    max_iterations = check_int(max_iterations, "max_iterations", _OWNER, minimum=1)
    h, p = params.holding_cost, params.shortage_cost
    pmf, _, _ = lost_sales_demand_pmf(problem.demand, tail_mass)
    standard = _max_position(pmf, L, p / (p + h) if p + h > 0 else 0.0)
    enlarge = max_position is None and (params.has_fixed_costs or params.has_capacities)
    if max_position is None:
        # with a fixed cost K, orders may exceed Morton's bound: start above it by the EOQ
        mean = float(np.arange(len(pmf)) @ pmf)
        extra = int(math.ceil(math.sqrt(2 * params.fixed_order_cost(0) * mean / max(h, 1e-9)))) + 2
        max_position = standard + (extra if params.has_fixed_costs else 0)
    B = check_int(max_position, "max_position", _OWNER, minimum=0)
    if B < standard:  # the simplex would cut optimal orders: the result would be no optimum
        fail("max_position", _OWNER, f"an int >= {standard}, Morton's bound (the {p / (p + h):.4g} quantile of the "
             f"demand over L + 1 = {L + 1} periods; a smaller bound cuts optimal orders)", B)
    for _ in range(20):
        sp = build_space(problem, B, tail_mass, max_entries)
        lo, hi, pol, it = _relative_value_iteration(sp, tol, max_iterations)
        if not enlarge:
            break
        reach = reachable_position(sp.grids, pol)
        if reach < B:  # no order reachable from an empty system was cut by the bound
            break
        B = reach + max(2, B // 4)
    else:  # pragma: no cover - a safeguard
        raise RuntimeError(f"{_OWNER}: the optimal orders kept reaching the position bound {B}.")
    if hi - lo >= tol:
        warnings.warn(f"{_OWNER}: relative value iteration stopped after max_iterations={it:,} sweeps with g* only "
                      f"bracketed in [{lo:.6g}, {hi:.6g}] (span above tol={tol:g}); average_cost is the midpoint. "
                      "Raise max_iterations.", RuntimeWarning, stacklevel=2)
    return LostSalesSolution(
        average_cost=0.5 * (lo + hi), lower_bound=lo, upper_bound=hi, lead_time=L, max_position=B,
        state_orders=pol, n_states=sp.n, dropped_mass=sp.dropped_mass, iterations=it,
        seconds=time.perf_counter() - t0,
    )
