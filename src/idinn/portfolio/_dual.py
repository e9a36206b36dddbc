r"""Dual sourcing in a portfolio: the optimal policy and the best heuristic, exactly.

Reduced state
    As in :mod:`idinn.exact.dual_sourcing_dp`, a dual-sourcing state reduces to the
    expedited position :math:`z` (net inventory plus everything that arrives by period
    :math:`t + l_e`) and the :math:`L - 1` regular orders :math:`p_1..p_{L-1}` that an
    expedited order placed now overtakes (:math:`L = l_r - l_e`). The full inventory
    position is :math:`\mathrm{IP} = z + \sum_j p_j`.

Shift invariance (Veeraraghavan & Scheller-Wolf 2008; Sun & Van Mieghem 2019)
    Every heuristic family of :mod:`idinn.dual_controller` is an order-up-to rule in
    :math:`w = z - S^e` once its *shape* is fixed: capped dual index
    :math:`(\Delta = S^r - S^e, \bar q^r)`, dual index :math:`\Delta`, single index
    :math:`\Delta`, tailored base surge :math:`q^r`. The chain of :math:`(w, p)` then does not
    depend on :math:`S^e`; its stationary law gives the law of the post-order offset
    :math:`O = y - S^e` and the mean orders, and for every :math:`S^e` the cost and the KPIs
    follow exactly from :func:`idinn.portfolio._kpi.level_kpis` (with :math:`\ell = l_e`).
    The search therefore solves one small Markov chain per shape and scans
    :math:`S^e` in closed form.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import spsolve

from ._kpi import convolve_power, level_kpis

__all__ = [
    "ShapeChain",
    "shape_chain",
    "stationary_distribution",
    "FAMILIES",
    "best_in_family",
    "dp_solution",
]

#: Most reduced states of one shape chain.
MAX_CHAIN_STATES = 200_000


def stationary_distribution(P: sp.csr_matrix) -> np.ndarray:
    """Stationary law of a finite chain with a single closed class, shape (n,).

    Raises ``ValueError`` when the chain has several closed classes (the long-run law then
    depends on the start).
    """
    n = P.shape[0]
    n_comp, labels = connected_components(P, directed=True, connection="strong")
    coo = P.tocoo()
    leave = labels[coo.row] != labels[coo.col]
    open_comp = np.zeros(n_comp, dtype=bool)
    open_comp[labels[coo.row[leave]]] = True
    closed = np.flatnonzero(~open_comp)
    if closed.size != 1:
        raise ValueError(f"the policy's chain has {closed.size} closed classes; its long-run law depends on the start")
    members = np.flatnonzero(labels == closed[0])
    pi = np.zeros(n)
    if members.size == 1:
        pi[members] = 1.0
        return pi
    Q = P[members][:, members].tocsc()
    A = (Q.T - sp.identity(members.size, format="csc")).tolil()
    A[0, :] = np.ones(members.size)
    rhs = np.zeros(members.size)
    rhs[0] = 1.0
    x = spsolve(A.tocsc(), rhs)
    x = np.clip(x, 0.0, None)
    pi[members] = x / x.sum()
    return pi


# ------------------------------------------------------------------ shape rules (w, P)
Rule = Callable[[np.ndarray, np.ndarray, tuple[int, ...]], tuple[np.ndarray, np.ndarray, np.ndarray]]


def _cdi(w: np.ndarray, psum: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    delta, cap = shape
    q_e = np.maximum(-w, 0)
    q_r = np.minimum(np.maximum(delta - (w + psum), 0), cap)
    return q_r, q_e, w + q_e


def _di(w: np.ndarray, psum: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    (delta,) = shape
    q_e = np.maximum(-w, 0)
    q_r = np.maximum(delta - (w + psum) - q_e, 0)
    return q_r, q_e, w + q_e


def _tbs(w: np.ndarray, psum: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    (q,) = shape
    q_e = np.maximum(-w, 0)
    return np.full_like(w, q), q_e, w + q_e


def _si(w: np.ndarray, psum: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    (delta,) = shape
    u = w + psum
    q_e = np.maximum(-u, 0)
    q_r = np.maximum(delta - u - q_e, 0)
    return q_r, q_e, w + q_e


@dataclass(frozen=True)
class ShapeChain:
    """Stationary law of one heuristic shape (see the module docstring).

    Attributes
    ----------
    offset_low : int
        Smallest post-order offset :math:`O`.
    offset_pmf : ndarray, shape (m,)
        Law of :math:`O` on ``offset_low + 0..m-1``.
    mean_regular, mean_expedited : float
        Long-run mean orders :math:`E[q^r]`, :math:`E[q^e]`.
    n_states : int
    """

    offset_low: int
    offset_pmf: np.ndarray
    mean_regular: float
    mean_expedited: float
    n_states: int


def shape_chain(rule: Rule, shape: tuple[int, ...], gap: int, values: np.ndarray, probs: np.ndarray) -> ShapeChain:
    r"""Enumerate the chain of :math:`(w, p_1..p_{L-1})` from :math:`(0, 0, \dots)` and solve it.

    Transition: orders :math:`(q^r, q^e)` and offset :math:`o = w + q^e` from ``rule``;
    then :math:`w' = o + p_1 - D` and :math:`p' = (p_2, \dots, p_{L-1}, q^r)` (for
    :math:`L = 1`: :math:`w' = o + q^r - D`), the reduced dynamics of
    :func:`idinn.exact.dual_sourcing_relative_value_iteration`.
    """
    npipe = gap - 1
    dmax = int(values[-1])
    # w can drift upwards only under a constant regular order (tailored base surge): its
    # chain is infinite and is truncated far above, where its stationary mass is negligible
    w_cap = 20 * max(dmax, 1) * (gap + 1)
    # integer keys: w offset by 2^21 in the top bits, then npipe fields of `bits` bits each
    bits = max(1, (62 - 22) // max(npipe, 1))
    radix = 1 << bits
    base = 1 << 21

    def encode(w: np.ndarray, p: np.ndarray) -> np.ndarray:
        key = w.astype(np.int64) + base
        for j in range(npipe):
            key = key * radix + p[:, j]
        return key

    w_all = [np.zeros(1, dtype=np.int64)]
    p_all = [np.zeros((1, npipe), dtype=np.int64)]
    known = encode(w_all[0], p_all[0])
    frontier_w, frontier_p = w_all[0], p_all[0]
    count = 1
    rows_q: list[tuple[np.ndarray, ...]] = []
    while frontier_w.size:
        psum = frontier_p.sum(axis=1)
        q_r, q_e, o = rule(frontier_w, psum, shape)
        if np.any(q_r >= radix) or np.any(np.abs(frontier_w) >= base):
            raise ValueError("the policy's orders grow without bound (unstable shape)")
        x = o + (q_r if npipe == 0 else frontier_p[:, 0])
        nxt_p = np.concatenate([frontier_p[:, 1:], q_r[:, None]], axis=1) if npipe else frontier_p
        nw = np.minimum((x[:, None] - values[None, :]).ravel(), w_cap)
        npp = np.repeat(nxt_p, values.size, axis=0)
        keys = encode(nw, npp)
        rows_q.append((q_r, q_e, o, keys))
        uniq, first = np.unique(keys, return_index=True)
        new = ~np.isin(uniq, known, assume_unique=True)
        idx = first[new]
        frontier_w, frontier_p = nw[idx], npp[idx]
        known = np.concatenate([known, uniq[new]])
        count += idx.size
        if count > MAX_CHAIN_STATES:
            raise ValueError(f"the policy's chain has more than {MAX_CHAIN_STATES} states (unstable shape)")
        w_all.append(frontier_w)
        p_all.append(frontier_p)
    n = known.size
    order = np.argsort(known, kind="stable")
    sorted_keys = known[order]
    q_r = np.concatenate([r[0] for r in rows_q])
    q_e = np.concatenate([r[1] for r in rows_q])
    o = np.concatenate([r[2] for r in rows_q])
    targets = order[np.searchsorted(sorted_keys, np.concatenate([r[3] for r in rows_q]))]
    P = sp.csr_matrix((np.tile(probs, n), (np.repeat(np.arange(n), values.size), targets)), shape=(n, n))
    P.sum_duplicates()
    pi = stationary_distribution(P)
    top = np.concatenate(w_all) >= w_cap
    if pi[top].sum() > 1e-9:
        raise ValueError("the policy's chain carries mass at its truncation (unstable shape)")
    low = int(o.min())
    pmf = np.bincount(o - low, weights=pi)
    return ShapeChain(low, pmf, float(pi @ q_r), float(pi @ q_e), n)


# --------------------------------------------------------------------------- families
@dataclass(frozen=True)
class Family:
    """A heuristic family: its rule, parameter names and the map (shape, S^e) -> parameters."""

    name: str
    rule: Rule
    dims: int
    params: Callable[[tuple[int, ...], int], dict[str, int]]


FAMILIES = {
    "capped_dual_index": Family("capped_dual_index", _cdi, 2, lambda sh, s: {"s_e": s, "s_r": s + sh[0], "q_r": sh[1]}),
    "dual_index": Family("dual_index", _di, 1, lambda sh, s: {"s_e": s, "s_r": s + sh[0]}),
    "single_index": Family("single_index", _si, 1, lambda sh, s: {"s_e": s, "s_r": s + sh[0]}),
    "tailored_base_surge": Family("tailored_base_surge", _tbs, 1, lambda sh, s: {"q_r": sh[0], "s_e": s}),
}


@dataclass
class Evaluated:
    """Best level of one shape: parameters, cost split and KPIs (all exact)."""

    cost: float
    params: dict[str, int]
    kpis: dict[str, float]


class _LevelScan:
    """Cost and KPIs of ``Y = s + O`` for all levels ``s`` of a grid, for one SKU."""

    def __init__(self, lead_times: tuple[int, int], values: np.ndarray, probs: np.ndarray) -> None:
        le = lead_times[1]
        self.demand = np.zeros((1, int(values[-1]) + 1))
        self.demand[0, values] = probs
        self.after = convolve_power(self.demand, le + 1)[0]
        self.before = convolve_power(self.demand, le)[0]
        self.mean = float(values @ probs)
        self.top = int(values[-1]) * (lead_times[0] + 1)

    def evaluate(self, chain: ShapeChain, levels: np.ndarray) -> dict[str, np.ndarray]:
        rev = chain.offset_pmf[::-1]
        v = np.convolve(self.after, rev)
        w = np.convolve(self.before, rev)
        low = -(chain.offset_low + chain.offset_pmf.size - 1)
        k = levels.size
        return level_kpis(
            np.broadcast_to(v, (k, v.size)), np.full(k, low), np.broadcast_to(w, (k, w.size)), np.full(k, low),
            np.broadcast_to(self.demand, (k, self.demand.shape[1])), levels,
        )


def _best_level(scan: _LevelScan, chain: ShapeChain, levels: np.ndarray, costs: tuple[float, float, float, float],
                target: tuple[str, float] | None) -> tuple[float, int, dict[str, float]] | None:
    c_r, c_e, h, b = costs
    k = scan.evaluate(chain, levels)
    ordering = c_r * chain.mean_regular + c_e * chain.mean_expedited
    total = ordering + h * k["on_hand"] + b * k["backlog"]
    ok = np.ones(levels.size, dtype=bool)
    if target is not None:
        ok = k[target[0]] >= target[1] - 1e-12
    if not ok.any():
        return None
    i = int(np.flatnonzero(ok)[np.argmin(total[ok])])
    kpis = {
        "ordering_cost": ordering,
        "holding_cost": h * float(k["on_hand"][i]),
        "shortage_cost": b * float(k["backlog"][i]),
        "fill_rate": float(k["fill_rate"][i]),
        "cycle_service_level": float(k["cycle_service_level"][i]),
        "average_on_hand": float(k["on_hand"][i]),
        "average_backlog": float(k["backlog"][i]),
        "mean_regular_order": chain.mean_regular,
        "mean_expedited_order": chain.mean_expedited,
    }
    return float(total[i]), int(levels[i]), kpis


def best_in_family(
    family: str,
    lead_times: tuple[int, int],
    order_costs: tuple[float, float],
    holding_cost: float,
    shortage_cost: float,
    values: np.ndarray,
    probs: np.ndarray,
    target: tuple[str, float] | None = None,
    max_evaluations: int = 400,
) -> Evaluated:
    r"""Cheapest member of a heuristic family, found and evaluated exactly.

    For each shape the best :math:`S^e \ge 0` is found by scanning the exact cost (or, with a
    target, the cheapest :math:`S^e` meeting it). Shapes are explored by an exact local
    search on the shape lattice (start: :math:`\Delta = \lceil L\mu \rceil`,
    :math:`\bar q^r = \lfloor \mu \rceil`; moves of ±1 in each coordinate, and diagonal
    moves for the two-dimensional capped dual index) until no neighbour is cheaper.

    Returns
    -------
    Evaluated

    Raises
    ------
    ValueError
        When no member meets the target.
    """
    fam = FAMILIES[family]
    lr, le = lead_times
    gap = lr - le
    mean = float(values @ probs)
    dmax = int(values[-1])
    scan = _LevelScan(lead_times, values, probs)
    levels = np.arange(0, scan.top + dmax + 1)
    costs = (order_costs[0], order_costs[1], holding_cost, shortage_cost)
    cache: dict[tuple[int, ...], tuple[float, int, dict[str, float]] | None] = {}

    def admissible(sh: tuple[int, ...]) -> bool:
        if any(x < 0 for x in sh):
            return False
        if family == "tailored_base_surge":
            return sh[0] < mean - 1e-9 or sh[0] == 0
        if family == "capped_dual_index":
            return sh[1] <= dmax and sh[0] <= (gap + 2) * dmax + 2
        return sh[0] <= (gap + 2) * dmax + 2

    def value(sh: tuple[int, ...]) -> float:
        if sh not in cache:
            try:
                chain = shape_chain(fam.rule, sh, gap, values, probs)
            except ValueError:
                cache[sh] = None
            else:
                cache[sh] = _best_level(scan, chain, levels, costs, target)
        hit = cache[sh]
        return math.inf if hit is None else hit[0]

    if family == "capped_dual_index":
        start: tuple[int, ...] = (int(math.ceil(gap * mean)), int(round(mean)))
        moves = [(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1) if (a, b) != (0, 0)]
    elif family == "tailored_base_surge":
        start = (max(int(math.ceil(mean - 1e-9)) - 1, 0),)
        moves = [(-1,), (1,)]
    else:
        start = (int(math.ceil(gap * mean)),)
        moves = [(-1,), (1,)]
    current = start
    best = value(current)
    while len(cache) < max_evaluations:
        cands = [tuple(c + m for c, m in zip(current, mv)) for mv in moves]
        cands = [c for c in cands if admissible(c)]
        scored = sorted((value(c), c) for c in cands)
        if not scored or scored[0][0] >= best - 1e-12 * max(1.0, abs(best)):
            break
        best, current = scored[0]
    hit = cache.get(current)
    if hit is None:
        raise ValueError(f"no {family.replace('_', ' ')} policy meets the target {target[1] if target else ''}".strip())
    total, level, kpis = hit
    return Evaluated(total, fam.params(current, level), kpis)


def dp_solution(
    lead_times: tuple[int, int],
    order_costs: tuple[float, float],
    holding_cost: float,
    shortage_cost: float,
    values: np.ndarray,
    probs: np.ndarray,
    init_inventory: int,
) -> Evaluated:
    r"""Optimal dual-sourcing policy (exact DP) with its cost split and KPIs.

    Calls :func:`idinn.exact.dual_sourcing_relative_value_iteration` and reads the KPIs from
    its stationary distribution over the reduced states: the post-order expedited position
    :math:`y = z + q^e` has the law of the stationary :math:`z` pushed through the optimal
    table, and :func:`~idinn.portfolio._kpi.level_kpis` (with :math:`s = 0`) gives the rest.
    """
    from ..dynamics import SourcingParams
    from ..exact import dual_sourcing_relative_value_iteration

    params = SourcingParams(lead_times=tuple(lead_times), order_costs=tuple(order_costs),
                            holding_cost=holding_cost, shortage_cost=shortage_cost)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = dual_sourcing_relative_value_iteration(params, values, probs, init_position=init_inventory)
    pi = np.asarray(res.stationary_probabilities).reshape(-1)
    table = np.asarray(res.policy_table).reshape(-1, 2)
    nz = res.policy_table.shape[0]
    z = (res.min_position + np.arange(nz)).repeat(pi.size // nz)
    y = z + table[:, 1]
    keep = pi > 0
    low = int(y[keep].min())
    chain = ShapeChain(low, np.bincount(y[keep] - low, weights=pi[keep]),
                       float(pi @ table[:, 0]), float(pi @ table[:, 1]), int(keep.sum()))
    scan = _LevelScan(lead_times, values, probs)
    out = _best_level(scan, chain, np.zeros(1, dtype=np.int64),
                      (order_costs[0], order_costs[1], holding_cost, shortage_cost), None)
    assert out is not None
    total, _, kpis = out
    kpis["optimal_cost"] = float(res.optimal_cost)
    kpis["lower_bound"] = float(res.lower_bound)
    kpis["upper_bound"] = float(res.upper_bound)
    return Evaluated(total, {"min_position": res.min_position, "max_position": res.max_position,
                             "max_regular_order": res.max_regular_order}, kpis)
