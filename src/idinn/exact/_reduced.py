r"""The reduced-state kernel of the exact engine: one Bellman operator for every DP.

Average-cost (:func:`~idinn.exact.dual_sourcing_relative_value_iteration`), finite-horizon
(:func:`~idinn.exact.solve_finite_horizon`) and discounted
(:func:`~idinn.exact.solve_discounted`) dynamic programming all run :func:`_bellman` on the
same truncated reduced state space (:class:`_Box`), with the same transitions, order
tables, table look-up and boundary warnings.

Reduced state
    Let :math:`l_f` be the lead time of the *fast* supplier (single sourcing: the only
    supplier; dual sourcing: the expedited one, :math:`l_f = l_e`) and
    :math:`L = l_r - l_e` the lead-time gap (0 for single sourcing). The full state
    :math:`[I_t, \text{pipelines}]` is reduced to the *fast position*

    .. math:: z_t = I_t + \text{everything that arrives in periods } t, \dots, t + l_f

    and the :math:`L - 1` regular orders :math:`p_1, \dots, p_{L-1}`
    (:math:`p_j = r_{l_e + 1 + j}`) that a fast order placed now overtakes. For dual
    sourcing with :math:`l_e = l_r` (:math:`L = 0`) only the cheaper supplier is used.

Bellman operator
    With :math:`y = z + q^f`, :math:`G_t(y) = E[h (y - D_{t..t+l_f})^+ + b (D_{t..t+l_f} - y)^+]`
    (:func:`idinn.exact._pmf.newsvendor_cost`) and discount :math:`\gamma`,

    .. math:: (T_t V)(z, p) = \min_{y \ge z,\; q^r \ge 0}
              c_f (y - z) + c_r q^r + \gamma^{l_f} G_t(y)
              + \gamma\, E\, V(y + p_1 - D_t,\, p_2, \dots, p_{L-1}, q^r)

    (for :math:`L = 1` the next position is :math:`y + q^r - D_t`, for :math:`L = 0` it is
    :math:`y - D_t`). Average cost uses :math:`\gamma = 1` and subtracts the gain.
    Where a new cost term enters: :func:`_stage` (costs of the position :math:`y`) and
    :func:`_post_decision` (costs of the orders); a new excess-demand rule changes the
    next position in :func:`_expect` and :func:`_transitions`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_int, fail
from ..dynamics import SourcingParams
from ._pmf import Pmf, check_size, newsvendor_cost, newsvendor_level, sum_pmf


#: Boundary mass above which a RuntimeWarning is issued.
BOUNDARY_MASS_WARNING = 1e-6
#: Automatic bounds are widened while the boundary mass exceeds this.
WIDENING_TARGET = 1e-12
#: Relative tolerance under which two actions count as tied (the smaller order wins).
_TIE = 1e-12
_BOUND_NAMES = ("min_position", "max_position", "max_regular_order")

Pmf = tuple[np.ndarray, np.ndarray]


# ============================================================================ structure
@dataclass(frozen=True)
class _Reduced:
    """How a sourcing model maps onto the reduced dynamic program (module docstring)."""

    lead_times: tuple[int, ...]
    shift: int  # l_f
    gap: int  # L (0: one effective supplier)
    fast_cost: float  # c_f
    regular_cost: float  # c_r (unused when gap == 0)
    fast_column: int  # column of the fast order in the model's order layout
    holding_cost: float
    shortage_cost: float

    @property
    def n_suppliers(self) -> int:
        return len(self.lead_times)

    @property
    def state_dim(self) -> int:
        return 1 + sum(self.lead_times)

    @property
    def n_pipeline(self) -> int:
        return max(self.gap - 1, 0)

    @property
    def shortfall_cost(self) -> float:
        r""":math:`c_{\min}`: the cheapest unit order cost (charged for backlog the truncation forgives)."""
        return min(self.fast_cost, self.regular_cost) if self.gap >= 1 else self.fast_cost


def refuse_fixed_costs_and_capacities(params: SourcingParams, owner: str) -> None:
    """The reduced-state dynamic programs have no fixed order cost nor capacity: refuse both.

    (The reduced state keeps only inventory positions; a fixed cost or a capacity makes the
    optimal orders depend on more than that. For one supplier with a fixed cost use
    :func:`idinn.exact.fixed_cost.optimal_ss_policy`.)
    """
    if params.has_fixed_costs:
        fail("sourcing_model", owner, "a problem without fixed order costs (the exact dynamic programs do not "
             "model them yet; for one supplier use idinn.exact.fixed_cost.optimal_ss_policy or SSController)",
             list(params.fixed_order_costs))
    if params.has_capacities:
        fail("sourcing_model", owner, "a problem without order capacities (the exact dynamic programs do not "
             "model them yet; evaluate a capacity-respecting policy with evaluate_policy)",
             list(params.order_capacities))
    if params.has_review_periods:
        fail("sourcing_model", owner, "a problem whose suppliers can order every period (the reduced-state "
             "dynamic programs do not model review periods)", list(params.review_periods))


def _reduction(params: SourcingParams, owner: str = "the exact dynamic program") -> _Reduced:
    refuse_fixed_costs_and_capacities(params, owner)
    h, b = params.holding_cost, params.shortage_cost
    if params.n_suppliers == 1:
        (lt,) = params.lead_times
        return _Reduced(params.lead_times, lt, 0, params.order_costs[0], 0.0, 0, h, b)
    lr, le = params.lead_times
    cr, ce = params.order_costs
    if le < lr:
        return _Reduced(params.lead_times, le, lr - le, ce, cr, 1, h, b)
    # equal lead times: the cheaper supplier (regular on a tie) does everything
    return _Reduced(params.lead_times, lr, 0, min(cr, ce), 0.0, 0 if cr <= ce else 1, h, b)


def _reduce_states(red: _Reduced, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fast position z (B,) and overtaken regular pipeline (B, L - 1) of full states."""
    if red.gap >= 1:
        r = reduce_dual_state(states, *red.lead_times)
        return r[:, 0], r[:, 1:]
    return states.sum(axis=1), np.zeros((states.shape[0], 0), dtype=states.dtype)


@dataclass(frozen=True)
class _Box:
    """Truncated reduced state space: z in [z_lo, z_hi], pipeline entries in [0, q_max]."""

    z_lo: int
    z_hi: int
    q_max: int
    gap: int

    @property
    def nz(self) -> int:
        return self.z_hi - self.z_lo + 1

    @property
    def nq(self) -> int:
        return self.q_max + 1 if self.gap >= 1 else 1

    @property
    def m(self) -> int:
        """Flattened pipeline (p_1 .. p_{L-1}), p_1 most significant."""
        return self.nq ** (self.gap - 1) if self.gap >= 1 else 1

    @property
    def m2(self) -> int:
        """Flattened (p_2 .. p_{L-1})."""
        return self.nq ** (self.gap - 2) if self.gap >= 2 else 1

    @property
    def nx(self) -> int:
        """Pre-demand positions x = y + p_1 (or y + q_r): [z_lo, z_hi + q_max]."""
        return self.nz + (self.q_max if self.gap >= 1 else 0)

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.nz,) + (self.nq,) * max(self.gap - 1, 0)

    def bounds(self) -> dict[str, int]:
        out = {"min_position": self.z_lo, "max_position": self.z_hi}
        if self.gap >= 1:
            out["max_regular_order"] = self.q_max
        return out



def reduce_dual_state(states: np.ndarray, regular_lead_time: int, expedited_lead_time: int) -> np.ndarray:
    r"""Map full dual-sourcing states to reduced states :math:`(z, p_1, \dots, p_{L-1})`.

    Parameters
    ----------
    states : ndarray, shape (B, 1 + l_r + l_e)
        Rows :math:`[I, r_1, \dots, r_{l_r}, e_1, \dots, e_{l_e}]`.
    regular_lead_time : int
        [:math:`l_r`]
    expedited_lead_time : int
        [:math:`l_e`], smaller than :math:`l_r`.

    Returns
    -------
    ndarray, shape (B, L)
        Column 0: :math:`z = I + \sum_j e_j + \sum_{j \le l_e + 1} r_j`; columns
        1..L-1: :math:`r_{l_e + 2}, \dots, r_{l_r}`.
    """
    lr, le = regular_lead_time, expedited_lead_time
    states = np.asarray(states)
    z = states[:, 0] + states[:, 1 : 1 + le + 1].sum(axis=1) + states[:, 1 + lr : 1 + lr + le].sum(axis=1)
    return np.concatenate([z[:, None], states[:, 1 + le + 1 : 1 + lr]], axis=1)


def _check_bounds(
    red: _Reduced,
    min_position: Any,
    max_position: Any,
    max_regular_order: Any,
    max_widenings: Any,
    z0: int,
    p0: np.ndarray,
    owner: str,
) -> tuple[dict[str, int | None], int]:
    given: dict[str, int | None] = {"min_position": None, "max_position": None, "max_regular_order": None}
    if min_position is not None:
        given["min_position"] = check_int(min_position, "min_position", owner)
    if max_position is not None:
        given["max_position"] = check_int(max_position, "max_position", owner)
    if max_regular_order is not None:
        if red.gap == 0:
            fail(
                "max_regular_order",
                owner,
                "None for a model without an overtaken regular pipeline (single sourcing or l_e == l_r)",
                max_regular_order,
            )
        given["max_regular_order"] = check_int(max_regular_order, "max_regular_order", owner, minimum=0)
    widen = check_int(max_widenings, "max_widenings", owner, minimum=0)
    lo, hi = given["min_position"], given["max_position"]
    if lo is not None and lo > z0:
        fail("min_position", owner, f"an int <= the initial position z0 = {z0}", lo)
    if hi is not None and hi < z0:
        fail("max_position", owner, f"an int >= the initial position z0 = {z0}", hi)
    q = given["max_regular_order"]
    if q is not None and p0.size and int(p0.max()) > q:
        fail("max_regular_order", owner, f"an int >= the largest initial overtaken regular order ({int(p0.max())})", q)
    return given, widen


def _default_box(
    red: _Reduced, pmfs: list[Pmf], windows: list[Pmf], z0: int, p0: np.ndarray, given: dict[str, int | None]
) -> _Box:
    r"""Starting truncation (widened later while the optimal policy reaches it).

    With :math:`S_t` the newsvendor level of :math:`D_{t..t+l_f}` at :math:`b/(b+h)`,
    :math:`\bar d` the largest demand of any period and :math:`\bar q = \max(\bar d, 1)`:
    :math:`\bar q_r = \bar q`, :math:`\bar z = \max_t S_t + \bar q_r` (dual sourcing: at
    least the largest newsvendor level :math:`S^r_t` of :math:`D_{t..t+l_r}`) and
    :math:`\underline z = \min_t S_t - (L + 1)\bar q - 1`, all widened to contain the
    initial reduced state.
    """
    dmax = max(int(v[-1]) for v, _ in pmfs)
    q = max(dmax, 1)
    if windows:
        levels = [newsvendor_level(v, p, red.holding_cost, red.shortage_cost) for v, p in windows]
    else:
        levels = [z0]
    q_max = q if red.gap >= 1 else 0
    if red.gap >= 1 and p0.size:
        q_max = max(q_max, int(p0.max()))
    if given["max_regular_order"] is not None:
        q_max = int(given["max_regular_order"])
    z_hi = max(max(levels) + (q_max if red.gap >= 1 else 0), z0)
    if red.gap >= 1 and windows:  # room up to the regular-only base-stock level S_r (see default_truncation)
        n, lr = len(pmfs), red.lead_times[0]
        z_hi = max(
            z_hi,
            max(newsvendor_level(*sum_pmf([pmfs[(t + j) % n] for j in range(lr + 1)]), red.holding_cost,
                                 red.shortage_cost) for t in range(min(len(windows), n))),
        )
    z_lo = min(min(levels) - (red.gap + 1) * q - 1, z0)
    if given["max_position"] is not None:
        z_hi = int(given["max_position"])
    if given["min_position"] is not None:
        z_lo = int(given["min_position"])
    z_lo = min(z_lo, z_hi)
    return _Box(z_lo, z_hi, q_max, red.gap)


def _widen(box: _Box, touched: list[str], pmfs: list[Pmf]) -> _Box:
    dmax = max(int(v[-1]) for v, _ in pmfs)
    step = max(dmax, 1)
    z_lo, z_hi, q = box.z_lo, box.z_hi, box.q_max
    if "min_position" in touched:
        z_lo -= max(step, box.nz // 4)
    if "max_position" in touched:
        z_hi += max(step, box.nz // 4)
    if "max_regular_order" in touched:
        q += max(1, step // 2)
    return _Box(z_lo, z_hi, q, box.gap)


def _embed(v: np.ndarray, old: _Box, new: _Box) -> np.ndarray:
    """Place a value table of ``old`` into the larger ``new`` box, padding by edges."""
    full = v.reshape(old.shape)
    pads = [(old.z_lo - new.z_lo, new.z_hi - old.z_hi)] + [(0, new.q_max - old.q_max)] * max(old.gap - 1, 0)
    return np.pad(full, pads, mode="edge").reshape(new.nz, new.m)


def _committed_cost(red: _Reduced, s0: np.ndarray, pmfs: list[Pmf], periods: int, discount: float) -> float:
    r"""Expected cost of periods :math:`t < l_f`, fixed by the initial state.

    :math:`I_{t+1} = I_0 + (\text{initial pipeline arriving by } t) - D_{0..t}`; no order
    placed at :math:`t \ge 0` arrives before period :math:`l_f`.
    """
    total = 0.0
    pipes = []
    start = 1
    for lt in red.lead_times:
        pipes.append(s0[start : start + lt])
        start += lt
    for t in range(min(red.shift, periods)):
        arrived = int(s0[0]) + sum(int(p[: t + 1].sum()) for p in pipes)
        v, p = sum_pmf(pmfs[: t + 1])
        g = newsvendor_cost(np.array([arrived]), v, p, red.holding_cost, red.shortage_cost)[0]
        total += discount**t * float(g)
    return total


# =========================================================================== operators
def _stage(red: _Reduced, box: _Box, window: Pmf | None, discount: float) -> np.ndarray:
    r""":math:`c_f y + \gamma^{l_f} G_t(y)` on the grid :math:`y \in [\underline z, \bar z]`."""
    y = np.arange(box.z_lo, box.z_hi + 1)
    out = red.fast_cost * y.astype(np.float64)
    if window is not None:
        out = out + discount**red.shift * newsvendor_cost(y, *window, red.holding_cost, red.shortage_cost)
    return out


def _expect(v_next: np.ndarray, pmf: Pmf, nx: int, shortfall_cost: float = 0.0) -> np.ndarray:
    r"""A(x, w) = E[v_next(clip(x - D), w) + c_min (z_lo - (x - D))^+] for x = z_lo + 0 .. nx - 1; shape (nx, m).

    A next position below the table is clipped to :math:`\underline z`; the backlog so
    forgiven is charged at :math:`c_{\min}` (``shortfall_cost``), the least it costs to
    buy those units later, so that the truncation never makes letting backlog grow look
    cheaper than ordering (issue 15: with :math:`b < c` the truncated optimum would
    otherwise sit at the lower bound).
    """
    nz = v_next.shape[0]
    base = np.arange(nx)
    out = np.zeros((nx, v_next.shape[1]))
    for d, p in zip(*pmf):
        out += p * v_next[np.clip(base - int(d), 0, nz - 1)]
        if shortfall_cost > 0 and int(d) > 0:
            out += (p * shortfall_cost * np.clip(int(d) - base, 0, None))[:, None]
    return out


def _tol(x: np.ndarray) -> np.ndarray:
    return _TIE * (1.0 + np.abs(x))


def _first_min(a: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Smallest index whose value is within the tie tolerance of the minimum, and that value."""
    mn = a.min(axis=axis, keepdims=True)
    idx = (a <= mn + _tol(mn)).argmax(axis=axis)
    return idx, np.take_along_axis(a, np.expand_dims(idx, axis), axis=axis).squeeze(axis)


@dataclass
class _Step:
    """One Bellman step: exact minimum, and (greedy only) the chosen actions and their value."""

    v_min: np.ndarray  # (nz, m)
    v_sel: np.ndarray | None = None  # value of the chosen actions
    iy: np.ndarray | None = None  # (nz, m) index of y
    qr: np.ndarray | None = None  # (nz, m) regular order


def _post_decision(
    a: np.ndarray, stage: np.ndarray, red: _Reduced, box: _Box, discount: float, greedy: bool
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """U(y, w) = stage(y) + min_q [c_r q + gamma A(next)]; exact-min U, chosen-value U, chosen q index table."""
    nz, nq = box.nz, box.nq
    if red.gap == 0:
        u = stage[:, None] + discount * a[:nz]
        return u, (u if greedy else None), None
    qcost = red.regular_cost * np.arange(nq)
    if red.gap == 1:
        win = np.arange(nz)[:, None] + np.arange(nq)[None, :]
        cand = discount * a[win, 0] + qcost  # (nz, nq)
        u_min = stage + cand.min(axis=1)
        if not greedy:
            return u_min[:, None], None, None
        bq, bsel = _first_min(cand, axis=1)
        return u_min[:, None], (stage + bsel)[:, None], bq
    a3 = discount * a.reshape(box.nx, box.m2, nq) + qcost  # (nx, m2, nq)
    b_min = a3.min(axis=2)
    win = np.arange(nz)[:, None] + np.arange(nq)[None, :]  # y + p_1
    u_min = (stage[:, None, None] + b_min[win]).reshape(nz, box.m)
    if not greedy:
        return u_min, None, None
    bq, bsel = _first_min(a3, axis=2)  # (nx, m2)
    u_sel = (stage[:, None, None] + bsel[win]).reshape(nz, box.m)
    return u_min, u_sel, bq


def _bellman(
    v_next: np.ndarray, pmf: Pmf, stage: np.ndarray, red: _Reduced, box: _Box, discount: float, greedy: bool
) -> _Step:
    r""":math:`V(z, w) = -c_f z + \min_{z \le y \le \bar z} U(y, w)` (and the greedy actions)."""
    a = _expect(v_next, pmf, box.nx, red.shortfall_cost)
    u_min, u_sel, bq = _post_decision(a, stage, red, box, discount, greedy)
    zc = red.fast_cost * np.arange(box.z_lo, box.z_hi + 1, dtype=np.float64)[:, None]
    suffix = np.minimum.accumulate(u_min[::-1], axis=0)[::-1]
    v_min = np.broadcast_to(suffix - zc, (box.nz, box.m))
    if not greedy:
        return _Step(np.ascontiguousarray(v_min))
    nz, m = box.nz, box.m
    # smallest y >= z whose (chosen) value is within the tie tolerance of the exact minimum
    take = np.ones((nz, m), dtype=bool)
    nxt_min = np.broadcast_to(suffix, (nz, m))
    take[:-1] = np.broadcast_to(u_sel, (nz, m))[:-1] <= nxt_min[1:] + _tol(nxt_min[1:])
    idx = np.where(take, np.arange(nz)[:, None], nz - 1)
    iy = np.minimum.accumulate(idx[::-1], axis=0)[::-1]
    u_full = np.broadcast_to(u_sel, (nz, m))
    v_sel = np.take_along_axis(u_full, iy, axis=0) - zc
    if red.gap == 0:
        qr = np.zeros((nz, m), dtype=np.int64)
    elif red.gap == 1:
        qr = bq[iy[:, 0]][:, None].astype(np.int64)
    else:
        cols = np.arange(m)
        qr = bq[iy + (cols // box.m2)[None, :], (cols % box.m2)[None, :]].astype(np.int64)
    return _Step(np.ascontiguousarray(v_min), v_sel, iy.astype(np.int64), qr)


def _transitions(
    red: _Reduced, box: _Box, iy: np.ndarray, qr: np.ndarray, pmf: Pmf, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat next-state index (n, K) and below/above clipping flags of the states ``rows``."""
    n_all = box.nz * box.m
    rows = np.arange(n_all) if rows is None else rows
    iyf, qrf = iy.ravel()[rows], qr.ravel()[rows]
    w = rows % box.m
    if red.gap == 0:
        x, w_next = iyf, np.zeros_like(rows)
    elif red.gap == 1:
        x, w_next = iyf + qrf, np.zeros_like(rows)
    else:
        x, w_next = iyf + w // box.m2, (w % box.m2) * box.nq + qrf
    raw = x[:, None] - pmf[0][None, :]
    low, high = raw < 0, raw > box.nz - 1
    target = np.clip(raw, 0, box.nz - 1) * box.m + w_next[:, None]
    return target, low, high


def _cap_flags(red: _Reduced, box: _Box, iy: np.ndarray, qr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per state: fast order hits the position cap; regular order hits its cap."""
    iz = np.arange(box.nz)[:, None]
    y_cap = ((iy == box.nz - 1) & (iy > iz)).ravel()
    if red.gap >= 1 and box.q_max > 0:
        q_cap = (qr == box.q_max).ravel()
    else:
        q_cap = np.zeros(box.nz * box.m, dtype=bool)
    return y_cap, q_cap


def _order_table(red: _Reduced, box: _Box, iy: np.ndarray, qr: np.ndarray) -> np.ndarray:
    """Orders in the model's layout, shape box.shape + (n_suppliers,)."""
    q_f = iy - np.arange(box.nz)[:, None]
    out = np.zeros((box.nz, box.m, red.n_suppliers), dtype=np.int64)
    out[..., red.fast_column] = q_f
    if red.gap >= 1:
        out[..., 0] = qr
    return out.reshape(box.shape + (red.n_suppliers,))


def _start_index(red: _Reduced, box: _Box, s0: np.ndarray) -> tuple[int, int, np.ndarray]:
    z, pipe = _reduce_states(red, s0[None])
    z0, p0 = int(z[0]), pipe[0]
    w = 0
    for p in p0:
        w = w * box.nq + int(p)
    return (z0 - box.z_lo) * box.m + w, z0, p0


# ======================================================================== table lookup
class _TableLookup:
    """Look-up of reduced-state policy tables for full states (shared by the solutions)."""

    _red: _Reduced
    _box: _Box
    _owner = "FiniteHorizonSolution.orders"

    def _lookup(self, tables: np.ndarray, states: Any) -> np.ndarray:
        """Orders (B, n_suppliers) from ``tables`` (box.shape + (n_sup,)) for full states."""
        red, box = self._red, self._box
        if hasattr(states, "detach"):  # a torch tensor
            states = states.detach().cpu().numpy()
        arr = np.asarray(states, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[None]
        if arr.ndim != 2 or arr.shape[1] != red.state_dim:
            fail("state", self._owner, f"of shape (B, {red.state_dim})", tuple(np.shape(states)))
        rounded = np.rint(arr)
        bad = ~np.all(np.isfinite(arr) & (np.abs(arr - rounded) < 1e-6), axis=1)
        if bad.any():
            fail("state", self._owner, "integer-valued", arr[bad][0].tolist())
        ints = rounded.astype(np.int64)
        z, pipe = _reduce_states(red, ints)
        iz = z - box.z_lo
        inside = (iz >= 0) & (iz < box.nz)
        if pipe.shape[1]:
            inside &= np.all((pipe >= 0) & (pipe <= box.q_max), axis=1)
        if not np.all(inside):
            k = int(np.flatnonzero(~inside)[0])
            extra = f", overtaken regular pipeline {pipe[k].tolist()}" if pipe.shape[1] else ""
            pipe_rule = f", overtaken regular orders in [0, {box.q_max}]" if pipe.shape[1] else ""
            kwargs = "min_position=..., max_position=..." + (", max_regular_order=..." if red.gap >= 1 else "")
            raise ValueError(
                f"State {ints[k].tolist()} (reduced to position z={int(z[k])}{extra}) lies outside the "
                f"dynamic-programming table: z in [{box.z_lo}, {box.z_hi}]{pipe_rule}. Refit with wider "
                f"bounds ({kwargs})."
            )
        return tables[(iz, *pipe.T)]

    @property
    def min_position(self) -> int:
        """Lowest fast position :math:`\\underline z` of the table."""
        return self._box.z_lo

    @property
    def max_position(self) -> int:
        """Highest fast position :math:`\\bar z` of the table (also caps :math:`y`)."""
        return self._box.z_hi

    @property
    def max_regular_order(self) -> int | None:
        """Cap :math:`\\bar q_r` of regular orders and overtaken pipeline entries (None without a regular pipeline)."""
        return self._box.q_max if self._red.gap >= 1 else None

    @property
    def truncation(self) -> dict[str, int]:
        """The bounds used, as keyword arguments of the solver."""
        return self._box.bounds()

    @property
    def lead_times(self) -> tuple[int, ...]:
        return self._red.lead_times


def _check_period(period: Any, horizon: int, owner: str) -> int:
    if hasattr(period, "numel") and period.numel() == 1:  # a one-element torch tensor
        period = int(period.item())
    p = check_int(period, "period", owner, minimum=0)
    if p >= horizon:
        fail("period", owner, f"an int in [0, {horizon - 1}] (the fitted horizon is {horizon} periods)", p)
    return p


def _warn_boundary(total: float, masses: Mapping[str, float], box: _Box, what: str) -> None:
    if total > BOUNDARY_MASS_WARNING:
        bounds = box.bounds()
        culprits = [f"{n} (currently {bounds[n]}, mass {masses[n]:.3g})" for n in _BOUND_NAMES if masses.get(n, 0) > 0]
        warnings.warn(
            f"The optimal policy of the truncated {what} problem reaches the truncation with mass "
            f"{total:.3g} (> {BOUNDARY_MASS_WARNING:g}); the optimal cost may be distorted. "
            f"Widen {', '.join(culprits)}.",
            RuntimeWarning,
            stacklevel=3,
        )


def _check_box(box: _Box, owner: str, max_entries: int | None, layers: int = 1) -> None:
    """Refuse, before the work, a box whose tables would exceed the memory budget.

    One Bellman step holds about ``n_z * m * (n_q + 6)`` floats; ``layers`` value and order
    tables (one per period or phase) add ``5 * n_z * m`` each.
    """
    states = float(box.nz) * float(box.m)
    entries = states * (box.nq + 6 + 5 * max(layers - 1, 0))
    kwargs = "min_position=..., max_position=..." + (", max_regular_order=..." if box.gap >= 1 else "")
    check_size(
        entries,
        max_entries,
        owner,
        f"table entries ({states:.3g} reduced states: {box.nz} positions x {box.m} regular pipelines"
        + (f" of {box.gap - 1} orders in [0, {box.q_max}]" if box.gap >= 2 else "")
        + ")",
        f"Give narrower bounds ({kwargs}), a demand with a narrower support, or a smaller lead-time gap.",
    )


def _forgiven_units(red: _Reduced, box: _Box, iy: np.ndarray, qr: np.ndarray, pmf: Pmf) -> np.ndarray:
    """Expected units of backlog the lower bound forgives from each state (flat, shape (nz * m,))."""
    n_all = box.nz * box.m
    rows = np.arange(n_all)
    iyf, qrf = iy.ravel(), qr.ravel()
    w = rows % box.m
    if red.gap == 0:
        x = iyf
    elif red.gap == 1:
        x = iyf + qrf
    else:
        x = iyf + w // box.m2
    raw = x[:, None] - pmf[0][None, :]
    return np.clip(-raw, 0, None) @ pmf[1]

