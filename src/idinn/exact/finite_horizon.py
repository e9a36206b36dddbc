r"""Finite-horizon dynamic programming with period-dependent demand.

:func:`solve_finite_horizon` minimises the expected total (discounted) cost of exactly
:math:`T` periods of a single- or dual-sourcing model by backward induction, with the
demand pmf of period :math:`t` taken from ``demand_generator.pmf(t)`` (stationary,
:class:`~idinn.demand.SeasonalDemand`, :class:`~idinn.demand.TraceDemand`, ...).
:func:`evaluate_policy_finite_horizon` computes the exact expected total cost of *any*
controller over :math:`T` periods by propagating the state distribution forward. See
``docs/exact_finite_horizon.md`` for the derivations.

Reduced state
    Let :math:`l_f` be the lead time of the *fast* supplier (single sourcing: the only
    supplier, :math:`l_f = l`; dual sourcing: the expedited one, :math:`l_f = l_e`) and
    :math:`L = l_r - l_e` the lead-time gap (0 for single sourcing). The full state
    :math:`[I_t, \text{pipelines}]` is reduced to the *fast position*

    .. math:: z_t = I_t + \text{everything that arrives in periods } t, \dots, t + l_f

    and the :math:`L - 1` regular orders :math:`p_1, \dots, p_{L-1}`
    (:math:`p_j = r_{l_e + 1 + j}`) that a fast order placed now overtakes. For dual
    sourcing with :math:`l_e = l_r` (:math:`L = 0`) both suppliers deliver at the same
    time and only the cheaper one is used.

Bellman recursion
    With :math:`y = z + q^f` (the fast order raises :math:`z` to :math:`y`),
    :math:`G_t(y) = E[h (y - D_{t..t+l_f})^+ + b (D_{t..t+l_f} - y)^+]` the expected
    holding and shortage cost of period :math:`t + l_f` (the first one an order placed
    now can influence; :math:`D_{t..t+l_f} = D_t + \dots + D_{t+l_f}`) and
    :math:`V_T \equiv 0`,

    .. math:: V_t(z, p) = \min_{y \ge z,\; q^r \ge 0}
              c_f (y - z) + c_r q^r + \gamma^{l_f} G_t(y)
              + \gamma\, E\, V_{t+1}(y + p_1 - D_t,\, p_2, \dots, p_{L-1}, q^r)

    for :math:`t + l_f \le T - 1` (for :math:`L = 1` the next position is
    :math:`y + q^r - D_t`, for :math:`L = 0` it is :math:`y - D_t` and there is no
    :math:`q^r`), and :math:`V_t \equiv 0` (order nothing) in the last :math:`l_f`
    periods, whose orders arrive after the horizon. The holding and shortage costs of
    periods :math:`0, \dots, l_f - 1` are fixed by the initial state (the *committed*
    cost). There is no terminal cost: inventory or backlog left after period
    :math:`T - 1` costs nothing.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import torch

from .._validation import check_int, check_real, fail, is_integral
from ..demand import BaseDemand
from ..dynamics import SourcingParams, period_cost, transition
from ..sourcing_model import BaseSourcingModel
from ._common import newsvendor_level
from .dual_sourcing_dp import expected_newsvendor_cost, reduce_dual_state

__all__ = [
    "FiniteHorizonSolution",
    "FiniteHorizonEvaluation",
    "solve_finite_horizon",
    "evaluate_policy_finite_horizon",
]

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


def _reduction(params: SourcingParams) -> _Reduced:
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


# ============================================================================== demand
def _clean_pmf(values: Any, probs: Any) -> Pmf:
    v = np.asarray(values, dtype=np.int64)
    p = np.asarray(probs, dtype=np.float64)
    keep = p > 0
    v, p = v[keep], p[keep]
    order = np.argsort(v)
    return v[order], p[order] / p.sum()


def demand_pmfs(demand: Any, periods: int, owner: str) -> list[Pmf]:
    """Pmf of each of the periods ``0 .. periods - 1`` (shared objects for equal phases).

    Raises the standard ``TypeError``/``ValueError`` for anything but a demand model with
    finite support in every period.
    """
    if not isinstance(demand, BaseDemand):
        fail("demand_generator", owner, "a demand model from idinn.demand (e.g. UniformDemand)", demand, TypeError)
    if not demand.has_finite_support:
        fail(
            "demand_generator",
            owner,
            "a demand model with finite support in every period (exact methods need its pmf; "
            "use e.g. UniformDemand, CustomDemand, a truncated model or SeasonalDemand.truncated())",
            demand,
        )
    season = demand.season_length
    cache: dict[int, Pmf] = {}
    out = []
    for t in range(periods):
        phase = 0 if season is None else t % season
        if phase not in cache:
            cache[phase] = _clean_pmf(*demand.pmf(t))
        out.append(cache[phase])
    return out


def _sum_pmf(pmfs: list[Pmf]) -> Pmf:
    """Pmf of the sum of independent integer demands."""
    lo = sum(int(v[0]) for v, _ in pmfs)
    dense = np.ones(1)
    for v, p in pmfs:
        d = np.zeros(int(v[-1] - v[0]) + 1)
        d[v - v[0]] = p
        dense = np.convolve(dense, d)
    support = np.arange(lo, lo + len(dense), dtype=np.int64)
    return _clean_pmf(support, np.clip(dense, 0, None))


# ============================================================================== inputs
def _check_model(sourcing_model: Any, owner: str) -> BaseSourcingModel:
    if not isinstance(sourcing_model, BaseSourcingModel):
        fail("sourcing_model", owner, "a SingleSourcingModel or DualSourcingModel", type(sourcing_model).__name__, TypeError)
    return sourcing_model


def _init_state(sourcing_model: BaseSourcingModel, init_state: Any, owner: str) -> np.ndarray:
    """Initial full state (int64): given, or the model's initial inventory with empty pipelines."""
    dim = sourcing_model.params.state_dim
    if init_state is None:
        s0 = np.zeros(dim, dtype=np.int64)
        with torch.no_grad():
            s0[0] = int(sourcing_model.get_init_inventory().item())
        return s0
    if isinstance(init_state, torch.Tensor):
        init_state = init_state.detach().cpu().numpy()
    try:
        arr = np.asarray(init_state, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        fail("init_state", owner, f"{dim} integers (net inventory, then pipelines >= 0)", init_state, TypeError)
    if arr.shape != (dim,) or not all(is_integral(x) for x in arr.tolist()) or np.any(arr[1:] < 0):
        fail("init_state", owner, f"{dim} integers (net inventory, then pipelines >= 0)", init_state)
    return arr.astype(np.int64)


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
    :math:`\bar q_r = \bar q`, :math:`\bar z = \max_t S_t + \bar q_r` and
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
        v, p = _sum_pmf(pmfs[: t + 1])
        g = expected_newsvendor_cost(np.array([arrived]), v, p, red.holding_cost, red.shortage_cost)[0]
        total += discount**t * float(g)
    return total


# =========================================================================== operators
def _stage(red: _Reduced, box: _Box, window: Pmf | None, discount: float) -> np.ndarray:
    r""":math:`c_f y + \gamma^{l_f} G_t(y)` on the grid :math:`y \in [\underline z, \bar z]`."""
    y = np.arange(box.z_lo, box.z_hi + 1)
    out = red.fast_cost * y.astype(np.float64)
    if window is not None:
        out = out + discount**red.shift * expected_newsvendor_cost(y, *window, red.holding_cost, red.shortage_cost)
    return out


def _expect(v_next: np.ndarray, pmf: Pmf, nx: int) -> np.ndarray:
    """A(x, w) = E v_next(clip(x - D), w) for x = z_lo + 0 .. nx - 1; shape (nx, m)."""
    nz = v_next.shape[0]
    base = np.arange(nx)
    out = np.zeros((nx, v_next.shape[1]))
    for d, p in zip(*pmf):
        out += p * v_next[np.clip(base - int(d), 0, nz - 1)]
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
    a = _expect(v_next, pmf, box.nx)
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
        if isinstance(states, torch.Tensor):
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


# ============================================================================ solution
@dataclass(frozen=True, eq=False)
class FiniteHorizonSolution(_TableLookup):
    r"""Optimal policy and value of a finite-horizon problem (see :func:`solve_finite_horizon`).

    Attributes
    ----------
    optimal_cost : float
        Minimal expected total discounted cost
        :math:`E\sum_{t=0}^{T-1}\gamma^t c_t` from the initial state
        (``committed_cost + value_tables[(0, z_0, p_0)]``).
    horizon : int
        :math:`T`.
    discount : float
        :math:`\gamma`.
    init_state : ndarray of int64, shape (state_dim,)
        Full initial state :math:`s_0`.
    policy_tables : ndarray of int64, shape (T, n_positions, [q+1, ...,] n_suppliers)
        Optimal orders of period :math:`t` (model layout: single ``[q]``, dual
        ``[q_r, q_e]``) at reduced state :math:`(z, p_1, \dots, p_{L-1})`, indexed by
        ``[t, z - min_position, p_1, ..., p_{L-1}]``.
    value_tables : ndarray of float64, shape (T + 1, n_positions, [q+1, ...])
        :math:`V_t(z, p)`: optimal expected discounted cost (in period-:math:`t` money) of
        the decisions of periods :math:`t, \dots, T-1`, i.e. of periods
        :math:`t + l_f, \dots, T - 1` plus the order costs; :math:`V_T = 0`. For
        :math:`l_f = 0` this is the whole cost-to-go.
    committed_cost : float
        Expected discounted cost of periods :math:`0, \dots, l_f - 1`, fixed by
        :math:`s_0` (0 when :math:`l_f = 0`).
    boundary_mass : float
        Expected number of periods, along a path from :math:`s_0` under the optimal
        policy, in which the truncation acts (a next position is clipped into
        :math:`[\underline z, \bar z]`, :math:`y` sits at :math:`\bar z` with a positive
        fast order, or a regular order sits at :math:`\bar q_r`); an upper bound on the
        probability that a path ever touches the truncation. 0 means the table's value at
        :math:`s_0` is exact.
    boundary_mass_by_bound : mapping
        The same split by ``'min_position'``, ``'max_position'``, ``'max_regular_order'``.
    n_widenings : int
        Automatic enlargements of the box.
    """

    optimal_cost: float
    horizon: int
    discount: float
    init_state: np.ndarray
    policy_tables: np.ndarray = field(repr=False)
    value_tables: np.ndarray = field(repr=False)
    committed_cost: float
    boundary_mass: float
    boundary_mass_by_bound: Mapping[str, float] = field(default_factory=dict)
    n_widenings: int = 0
    _red: _Reduced | None = field(default=None, repr=False)
    _box: _Box | None = field(default=None, repr=False)

    def orders(self, states: Any, period: int) -> np.ndarray:
        """Optimal orders (B, n_suppliers) in ``period`` for full states (B, state_dim).

        Raises ``ValueError`` for a period outside ``0 .. horizon - 1`` or a state outside
        the table (naming the state and the bounds).
        """
        period = _check_period(period, self.horizon, "FiniteHorizonSolution.orders")
        return self._lookup(self.policy_tables[period], states)


def _check_period(period: Any, horizon: int, owner: str) -> int:
    if isinstance(period, torch.Tensor) and period.numel() == 1:
        period = int(period.item())
    p = check_int(period, "period", owner, minimum=0)
    if p >= horizon:
        fail("period", owner, f"an int in [0, {horizon - 1}] (the fitted horizon is {horizon} periods)", p)
    return p


# ============================================================================== solver
def solve_finite_horizon(
    sourcing_model: BaseSourcingModel,
    horizon: int,
    *,
    discount: float = 1.0,
    init_state: Any = None,
    min_position: int | None = None,
    max_position: int | None = None,
    max_regular_order: int | None = None,
    max_widenings: int = 20,
) -> FiniteHorizonSolution:
    r"""Optimal policy of exactly ``horizon`` periods by backward induction.

    Solves the Bellman recursion of the module docstring for :math:`t = T-1, \dots, 0`
    on the reduced state :math:`(z, p_1, \dots, p_{L-1})` restricted to
    :math:`\underline z \le z \le \bar z`, :math:`0 \le p_j \le \bar q_r`, with
    :math:`y \le \bar z`, :math:`q^r \le \bar q_r` and next positions clipped into
    :math:`[\underline z, \bar z]`. A forward pass propagates the distribution of the
    reduced state from :math:`s_0` under the optimal policy and measures how often the
    truncation acts (``boundary_mass``). Bounds not given start at the values of the
    Notes and are widened (the recursion re-run) until that mass is at most 1e-12 or
    ``max_widenings`` is reached; given bounds are kept. A ``RuntimeWarning`` is issued
    when the final mass exceeds 1e-6.

    Ties between actions (within a relative 1e-12) go to the smaller order, and the
    value tables hold the value of the chosen actions, so that
    :func:`evaluate_policy_finite_horizon` of the returned policy reproduces
    ``optimal_cost``.

    Parameters
    ----------
    sourcing_model : SingleSourcingModel or DualSourcingModel
        Its demand model must have finite support in every period; ``pmf(t)`` is used
        for period :math:`t` (demand independent across periods). Dual sourcing: any
        :math:`l_e \le l_r` (with :math:`l_e = l_r` only the cheaper supplier orders).
    horizon : int
        Number of periods :math:`T`, >= 1.
    discount : float, default=1.0
        Discount factor :math:`\gamma \in (0, 1]`: the cost of period :math:`t` is
        weighted by :math:`\gamma^t`.
    init_state : array-like of int, shape (state_dim,), optional
        Initial full state :math:`s_0` ``[I_0, pipelines]``; default: the model's initial
        inventory with empty pipelines.
    min_position, max_position : int, optional
        Truncation :math:`\underline z`, :math:`\bar z` of the fast position.
    max_regular_order : int, optional
        Cap :math:`\bar q_r` of regular orders (dual sourcing with :math:`l_e < l_r`).
    max_widenings : int, default=20
        Most automatic enlargements of the box.

    Returns
    -------
    FiniteHorizonSolution

    Notes
    -----
    Automatic starting bounds, with :math:`S_t` the newsvendor level of
    :math:`D_{t..t+l_f}` at :math:`b/(b+h)` and :math:`\bar q = \max(\bar d, 1)`
    (:math:`\bar d` the largest demand of any period): :math:`\bar q_r = \bar q`,
    :math:`\bar z = \max_t S_t + \bar q_r` and
    :math:`\underline z = \min_t S_t - (L+1)\bar q - 1`, widened to contain
    :math:`s_0`. Each widening moves a touched position bound by
    :math:`\max(\bar q, n_z/4)` and :math:`\bar q_r` by :math:`\max(1, \bar q/2)`.

    Examples
    --------
    >>> from idinn.demand import SeasonalDemand
    >>> from idinn.sourcing_model import DualSourcingModel
    >>> from idinn.exact import solve_finite_horizon
    >>> model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0,
    ...     regular_order_cost=0, expedited_order_cost=20, holding_cost=5, shortage_cost=495,
    ...     init_inventory=6,
    ...     demand_generator=SeasonalDemand.uniform(lows=[0, 1, 3, 1], highs=[2, 5, 7, 5]))
    >>> solution = solve_finite_horizon(model, horizon=52)
    >>> round(solution.optimal_cost, 4), solution.boundary_mass
    (1077.536, 0.0)
    """
    owner = "solve_finite_horizon"
    model = _check_model(sourcing_model, owner)
    horizon = check_int(horizon, "horizon", owner, minimum=1)
    discount = check_real(discount, "discount", owner, exclusive_minimum=0, maximum=1)
    s0 = _init_state(model, init_state, owner)
    pmfs = demand_pmfs(model.demand_generator, horizon, owner)
    red = _reduction(model.params)
    z0_arr, p0_arr = _reduce_states(red, s0[None])
    z0, p0 = int(z0_arr[0]), p0_arr[0]
    given, max_widenings = _check_bounds(
        red, min_position, max_position, max_regular_order, max_widenings, z0, p0, owner
    )
    active = max(horizon - red.shift, 0)  # decisions t < active influence a cost
    windows = [_sum_pmf(pmfs[t : t + red.shift + 1]) for t in range(active)]
    committed = _committed_cost(red, s0, pmfs, horizon, discount)

    box = _default_box(red, pmfs, windows, z0, p0, given)
    widenings = 0
    while True:
        values, policies, masses = _solve_box(red, box, pmfs, windows, horizon, active, discount, s0)
        touched = [n for n in masses if given[n] is None and masses[n] > WIDENING_TARGET]
        if not touched or widenings >= max_widenings:
            break
        box = _widen(box, touched, pmfs)
        widenings += 1

    start, _, _ = _start_index(red, box, s0)
    total_mass = float(sum(masses.values()))
    _warn_boundary(total_mass, masses, box, "finite-horizon")
    return FiniteHorizonSolution(
        optimal_cost=committed + float(values[0].ravel()[start]),
        horizon=horizon,
        discount=discount,
        init_state=s0,
        policy_tables=policies,
        value_tables=values,
        committed_cost=committed,
        boundary_mass=total_mass,
        boundary_mass_by_bound=MappingProxyType(dict(masses)),
        n_widenings=widenings,
        _red=red,
        _box=box,
    )


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


def _solve_box(
    red: _Reduced,
    box: _Box,
    pmfs: list[Pmf],
    windows: list[Pmf],
    horizon: int,
    active: int,
    discount: float,
    s0: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Backward induction on one box, then the forward boundary pass."""
    nz, m = box.nz, box.m
    values = np.zeros((horizon + 1, nz, m))
    iys = np.zeros((horizon, nz, m), dtype=np.int64)
    qrs = np.zeros((horizon, nz, m), dtype=np.int64)
    iys[active:] = np.arange(nz)[None, :, None]  # no order in the last l_f periods
    for t in range(active - 1, -1, -1):
        stage = _stage(red, box, windows[t], discount)
        step = _bellman(values[t + 1], pmfs[t], stage, red, box, discount, greedy=True)
        values[t], iys[t], qrs[t] = step.v_sel, step.iy, step.qr
    policies = np.stack([_order_table(red, box, iys[t], qrs[t]) for t in range(horizon)])
    masses = dict.fromkeys(box.bounds(), 0.0)
    start, _, _ = _start_index(red, box, s0)
    mu = np.zeros(nz * m)
    mu[start] = 1.0
    for t in range(active):
        rows = np.flatnonzero(mu > 0)
        w = mu[rows]
        y_cap, q_cap = _cap_flags(red, box, iys[t], qrs[t])
        masses["max_position"] += float(w[y_cap[rows]].sum())
        if "max_regular_order" in masses:
            masses["max_regular_order"] += float(w[q_cap[rows]].sum())
        if t + 1 >= active:
            break
        target, low, high = _transitions(red, box, iys[t], qrs[t], pmfs[t], rows)
        pw = w[:, None] * pmfs[t][1][None, :]
        masses["min_position"] += float(pw[low].sum())
        masses["max_position"] += float(pw[high].sum())
        mu = np.bincount(target.ravel(), weights=pw.ravel(), minlength=nz * m)
    shape = (horizon + 1,) + box.shape
    return values.reshape(shape), policies, masses


# ========================================================================== evaluation
@dataclass(frozen=True, eq=False)
class FiniteHorizonEvaluation:
    r"""Exact finite-horizon evaluation of a policy (see :func:`evaluate_policy_finite_horizon`).

    Attributes
    ----------
    total_cost : float
        :math:`E\sum_{t=0}^{T-1}\gamma^t c_t` from the initial state.
    period_costs : ndarray of float64, shape (T,)
        Undiscounted expected cost :math:`E[c_t]` of each period.
    mean_orders : ndarray of float64, shape (T, n_suppliers)
        Expected orders of each period (model layout).
    expected_inventory, expected_backlog : ndarray of float64, shape (T,)
        :math:`E[(I_{t+1})^+]` and :math:`E[(I_{t+1})^-]` at the end of each period.
    n_states : ndarray of int64, shape (T,)
        Number of distinct states with positive probability at the start of each period.
    horizon : int
    discount : float
    """

    total_cost: float
    period_costs: np.ndarray
    mean_orders: np.ndarray
    expected_inventory: np.ndarray
    expected_backlog: np.ndarray
    n_states: np.ndarray
    horizon: int
    discount: float


def _policy_caller(policy: Any, owner: str) -> Callable[[torch.Tensor, int], Any]:
    """``(state, period) -> orders`` for a controller or a callable."""
    at = getattr(policy, "_policy_at", None)
    if callable(at):
        return at
    fn = getattr(policy, "policy", None)
    if callable(fn):
        return lambda s, t: fn(s)
    if callable(policy):
        try:
            params = [
                p
                for p in inspect.signature(policy).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
            ]
            two = len(params) >= 2
        except (TypeError, ValueError):  # builtins without a signature
            two = False
        return (lambda s, t: policy(s, t)) if two else (lambda s, t: policy(s))
    fail(
        "policy",
        owner,
        "a controller (with '_policy_at(state, period)' or 'policy(state)') or a callable "
        "state -> orders or (state, period) -> orders",
        type(policy).__name__,
        TypeError,
    )
    raise AssertionError  # pragma: no cover


def _orders(out: Any, batch: int, n_suppliers: int, owner: str) -> np.ndarray:
    """Validate a policy's output and return it as int64 (batch, n_suppliers)."""
    if isinstance(out, torch.Tensor):
        arr = out.detach().cpu().to(torch.float64).numpy()
    else:
        arr = np.asarray(out, dtype=np.float64)
    if arr.ndim == 1 and n_suppliers == 1 and arr.shape[0] == batch:
        arr = arr[:, None]
    if arr.shape != (batch, n_suppliers):
        fail("policy", owner, f"returning orders of shape ({batch}, {n_suppliers})", tuple(arr.shape))
    ok = np.isfinite(arr) & (arr >= 0)
    if not ok.all():
        fail("policy", owner, "returning finite orders >= 0", arr[~ok.all(axis=1)][0].tolist())
    rounded = np.rint(arr)
    off = np.abs(arr - rounded) > 1e-4
    if off.any():
        fail("policy", owner, "returning integer-valued orders", arr[off.any(axis=1)][0].tolist())
    return rounded.astype(np.int64)


def _aggregate(states: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge equal rows, summing their weights."""
    low = states.min(axis=0)
    span = states.max(axis=0) - low + 1
    if float(np.prod(span.astype(np.float64))) < 2.0**62:
        # mixed-radix integer key per row: one 1-d unique instead of a row-wise one
        mult = np.cumprod(np.concatenate([[1], span[::-1][:-1]]))[::-1].astype(np.int64)
        keys = (states - low) @ mult
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        uniq = states[first]
    else:  # pragma: no cover - astronomically spread states
        uniq, inverse = np.unique(states, axis=0, return_inverse=True)
    return uniq, np.bincount(inverse.reshape(-1), weights=weights, minlength=len(uniq))


def evaluate_policy_finite_horizon(
    policy: Any,
    sourcing_model: BaseSourcingModel,
    horizon: int,
    *,
    discount: float = 1.0,
    init_state: Any = None,
) -> FiniteHorizonEvaluation:
    r"""Exact expected total (discounted) cost of any policy over ``horizon`` periods.

    The distribution of the full state is propagated forward from :math:`s_0`: in
    period :math:`t` the policy is called once on all states with positive probability
    (one batched float32 tensor), every demand value of ``pmf(t)`` is applied with
    :func:`idinn.dynamics.transition`, the expected cost is accumulated with
    :func:`idinn.dynamics.period_cost` and equal successor states are merged. No
    truncation and no sampling: the result is exact up to floating-point round-off.

    Parameters
    ----------
    policy : controller or callable
        A controller: its ``_policy_at(state, period)`` is called with
        ``period = t`` (time-aware controllers) — every controller has it. Or a callable
        ``policy(state)`` or ``policy(state, period)`` (two required positional
        parameters). State: float32 tensor (B, state_dim) in the layout of
        :mod:`idinn.dynamics`; orders: non-negative integer-valued (B, n_suppliers).
    sourcing_model : SingleSourcingModel or DualSourcingModel
        Demand with finite support in every period, independent across periods.
    horizon : int
        Number of periods :math:`T`, >= 1.
    discount : float, default=1.0
        :math:`\gamma \in (0, 1]`.
    init_state : array-like of int, shape (state_dim,), optional
        Initial full state; default: the model's initial inventory, empty pipelines.

    Returns
    -------
    FiniteHorizonEvaluation

    Examples
    --------
    >>> import torch
    >>> from idinn.demand import UniformDemand
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> from idinn.exact import evaluate_policy_finite_horizon
    >>> model = SingleSourcingModel(lead_time=0, holding_cost=5, shortage_cost=495,
    ...     init_inventory=0, demand_generator=UniformDemand(0, 4))
    >>> base_stock = lambda s: (4 - s.sum(1, keepdim=True)).clamp(min=0)
    >>> evaluate_policy_finite_horizon(base_stock, model, horizon=3).total_cost
    30.0
    """
    owner = "evaluate_policy_finite_horizon"
    fn = _policy_caller(policy, owner)
    model = _check_model(sourcing_model, owner)
    horizon = check_int(horizon, "horizon", owner, minimum=1)
    discount = check_real(discount, "discount", owner, exclusive_minimum=0, maximum=1)
    s0 = _init_state(model, init_state, owner)
    pmfs = demand_pmfs(model.demand_generator, horizon, owner)
    params = model.params
    n_sup = params.n_suppliers
    states, prob = s0[None], np.ones(1)
    costs = np.zeros(horizon)
    orders_mean = np.zeros((horizon, n_sup))
    inv_pos, inv_neg = np.zeros(horizon), np.zeros(horizon)
    n_states = np.zeros(horizon, dtype=np.int64)
    for t in range(horizon):
        values, probs = pmfs[t]
        n, k = len(states), len(values)
        n_states[t] = n
        with torch.no_grad():
            out = fn(torch.as_tensor(states, dtype=torch.float32), t)
        q = _orders(out, n, n_sup, owner)
        orders_mean[t] = prob @ q
        qq = np.repeat(q, k, axis=0)
        nxt = transition(np.repeat(states, k, axis=0), qq, np.tile(values, n), params)
        w = (prob[:, None] * probs[None, :]).ravel()
        inv = nxt[:, 0].astype(np.float64)
        costs[t] = float(w @ period_cost(inv, qq.astype(np.float64), params))
        inv_pos[t] = float(w @ np.clip(inv, 0, None))
        inv_neg[t] = float(w @ np.clip(-inv, 0, None))
        if t + 1 < horizon:
            states, prob = _aggregate(nxt, w)
    total = float(sum(discount**t * c for t, c in enumerate(costs)))
    return FiniteHorizonEvaluation(
        total_cost=total,
        period_costs=costs,
        mean_orders=orders_mean,
        expected_inventory=inv_pos,
        expected_backlog=inv_neg,
        n_states=n_states,
        horizon=horizon,
        discount=discount,
    )
