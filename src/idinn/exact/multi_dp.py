r"""Exact average-cost dynamic programming for up to five suppliers.

One engine for every supplier structure idinn models: :math:`K \le 5` suppliers with any
lead times, backlog or lost sales, per-supplier fixed order costs :math:`K_k` (charged
when :math:`q_k > 0`), order capacities :math:`u_k` and review periods :math:`R_k`.

State reduction
    The value function lives on the aggregated state
    :math:`(x, A_1, \dots, A_{L-1})` of :mod:`idinn.exact._multi_space`: the stock plus
    this period's arrivals, and the total quantity due in each of the next
    :math:`L - 1` periods, summed over suppliers. With review periods the state carries
    the phase :math:`t \bmod T`, :math:`T = \operatorname{lcm}(R_k)`.

Bellman equation (relative value iteration, Puterman 1994, Sec. 8.5.5)
    With post-decision state :math:`(z, a_1, \dots, a_L)`, :math:`z = x + Q_0`,
    :math:`a_j = A_j + Q_j`, and :math:`C^\phi_j` the cheapest split of a group total
    (:func:`~idinn.exact._multi_space.group_costs`),

    .. math:: v_\phi(x, A) = \min_{Q_0, \dots, Q_L} \sum_j C^\phi_j(Q_j)
              + W_{\phi+1}(x + Q_0, A_1 + Q_1, \dots, A_{L-1} + Q_{L-1}, Q_L),

    .. math:: W_\phi(z, a) = E_D\bigl[h [z - D]^+ + b [D - z]^+
              + v_\phi(f(z - D) + a_1, a_2, \dots, a_L)\bigr].

    The minimum separates into one minimisation per lead time (the group totals enter
    different coordinates), so a sweep costs :math:`O(|W| (n_D + \max_j \bar Q_j))`
    instead of :math:`O(|S| \prod_k \bar q_k\, n_D)`.

Truncation
    :math:`\underline x \le x \le \bar x` (next states outside are clipped and flagged)
    and :math:`q_k \le \bar q_k` (:math:`\bar q_k = u_k` for a capacitated supplier).
    Automatic bounds are widened until the optimal policy, in its long-run distribution
    from the initial state, never reaches them; see :func:`solve_multi_sourcing_average_cost`.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from .._validation import check_int, check_real, fail
from ..dynamics import SourcingParams, period_cost
from ..problem import SourcingProblem, as_problem
from ._markov import cesaro_limit
from ._multi_space import Box, aggregated_step, group_costs, reduce_state
from ._pmf import newsvendor_level, stationary_pmf, sum_pmf

__all__ = ["MultiSourcingSolution", "solve_multi_sourcing_average_cost", "MAX_SUPPLIERS"]

_OWNER = "solve_multi_sourcing_average_cost"
#: Most suppliers the engine accepts (that of :class:`~idinn.problem.SourcingProblem` models).
MAX_SUPPLIERS = 5
#: Default limit on the number of aggregated states (all phases together).
DEFAULT_MAX_STATES = 2_000_000
#: Default limit on the memory of the tables, in bytes.
DEFAULT_MAX_BYTES = 2 * 2**30
#: Long-run probability at the truncation above which the bounds are widened / a warning is issued.
BOUNDARY_MASS_WARNING = 1e-9


@dataclass(frozen=True, eq=False)
class MultiSourcingSolution:
    r"""Optimal long-run average cost and policy (from :func:`solve_multi_sourcing_average_cost`).

    Attributes
    ----------
    average_cost : float
        :math:`g^*`, midpoint of the final bounds.
    lower_bound, upper_bound : float
        :math:`\min (Tv - v)/T \le g^* \le \max (Tv - v)/T` at the stop (Odoni bounds,
        per period) for the truncated problem.
    policy_cost : float
        Exact long-run average cost of the returned policy from the initial state
        (stationary distribution of the aggregated chain, costs by
        :func:`idinn.dynamics.period_cost`).
    n_states : int
        Aggregated states solved, all phases together.
    solve_time_s : float
        Wall-clock seconds of the whole solve (widenings included).
    iterations : int
        Value-iteration sweeps (all widenings together; one sweep covers a whole review cycle).
    converged : bool
    boundary_mass : float
        Long-run probability of the states where the truncation acts.
    params : SourcingParams
    x_bounds : tuple of int
        :math:`(\underline x, \bar x)`.
    max_orders : tuple of int
        :math:`\bar q_k` (see :func:`solve_multi_sourcing_average_cost`).
    order_table : ndarray of int64, shape (T, *box_shape, K)
        Optimal orders at phase :math:`\phi` and aggregated state, indexed by
        ``[phase, x - x_lo, A_1, ..., A_{L-1}]``.
    relative_values : ndarray of float64, shape (T, *box_shape)
    """

    average_cost: float
    lower_bound: float
    upper_bound: float
    policy_cost: float
    n_states: int
    solve_time_s: float
    iterations: int
    converged: bool
    boundary_mass: float
    params: SourcingParams
    x_bounds: tuple[int, int]
    max_orders: tuple[int, ...]
    order_table: np.ndarray = field(repr=False)
    relative_values: np.ndarray = field(repr=False)

    @property
    def optimal_cost(self) -> float:
        """:math:`g^*` (``average_cost``; the name the dual-sourcing result uses)."""
        return self.average_cost

    @property
    def policy_table(self) -> np.ndarray:
        """``order_table`` (the name the dual-sourcing result uses)."""
        return self.order_table

    @property
    def truncation(self) -> dict[str, Any]:
        """The bounds used, as keyword arguments of :func:`solve_multi_sourcing_average_cost`."""
        return {"x_bounds": self.x_bounds, "max_orders": self.max_orders}

    @property
    def review_cycle(self) -> int:
        """:math:`T`: the policy depends on the period through :math:`t \\bmod T` only."""
        return self.params.review_cycle

    @property
    def is_stationary(self) -> bool:
        """True unless some supplier has a review period (then the rule depends on the period)."""
        return self.review_cycle == 1

    def orders(self, states: Any, period: int | None = None) -> np.ndarray:
        """Optimal orders, int64 (B, K), for full states (B, state_dim) in period ``period``.

        Raises
        ------
        ValueError
            A state that is not integer-valued or lies outside the solved box (the message
            gives the bounds and how to widen them); ``period`` missing with review periods.
        """
        owner = "MultiSourcingSolution.policy"
        arr = states.detach().cpu().numpy() if isinstance(states, torch.Tensor) else np.asarray(states)
        arr = np.asarray(arr, dtype=np.float64)
        dim = self.params.state_dim
        if arr.ndim == 1 and arr.shape[0] == dim:
            arr = arr[None]
        if arr.ndim != 2 or arr.shape[1] != dim:
            fail("state", owner, f"of shape (B, {dim})", tuple(arr.shape))
        rounded = np.rint(arr)
        if not np.all(np.abs(arr - rounded) < 1e-6):
            fail("state", owner, "integer-valued", arr[np.any(np.abs(arr - rounded) >= 1e-6, axis=1)][0].tolist())
        if self.review_cycle > 1:
            if period is None:
                fail("period", owner, f"the period t (review periods: the rule depends on t mod {self.review_cycle})",
                     period)
            phase = check_int(period, "period", owner, minimum=0) % self.review_cycle
        else:
            phase = 0
        red = reduce_state(rounded.astype(np.int64), self.params.lead_times)
        idx = red.copy()
        idx[:, 0] -= self.x_bounds[0]
        shape = self.order_table.shape[1:-1]
        inside = np.all((idx >= 0) & (idx < np.asarray(shape)), axis=1)
        if not np.all(inside):
            k = int(np.flatnonzero(~inside)[0])
            raise ValueError(
                f"State {rounded[k].astype(np.int64).tolist()} (aggregated to x={int(red[k, 0])}, arrivals due "
                f"{red[k, 1:].tolist()}) lies outside the dynamic-programming table: x in {list(self.x_bounds)}, "
                f"arrival totals up to {[s - 1 for s in shape[1:]]}. Solve again with wider bounds "
                "(x_bounds=..., max_orders=...)."
            )
        return self.order_table[(phase, *idx.T)]

    def policy(self, state: Any, period: int | None = None) -> torch.Tensor:
        """The optimal rule as a policy (:mod:`idinn.policy`): float tensor (B, K) of orders."""
        return torch.as_tensor(self.orders(state, period), dtype=torch.float32)


# --------------------------------------------------------------------------- kernels
def _transition_matrix(box: Box, pmf: tuple[np.ndarray, np.ndarray], lost_sales: bool) -> sp.csr_matrix:
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


def _expectation(v_next: np.ndarray, box: Box, M: sp.csr_matrix, stage: np.ndarray) -> np.ndarray:
    r"""Post-decision values :math:`W(z, a_1, \dots, a_L)` (one sparse product)."""
    post = box.post_shape
    w = (M @ v_next.reshape(box.nx, -1)).reshape(post)
    w += stage.reshape((-1,) + (1,) * (len(post) - 1))
    return w


def _minimise(w: np.ndarray, costs: list[np.ndarray], box: Box, greedy: bool) -> tuple[np.ndarray, list[np.ndarray]]:
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


def _greedy_orders(args: list[np.ndarray], splits: list[np.ndarray], box: Box, K: int) -> np.ndarray:
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


def _stage(box: Box, pmf: tuple[np.ndarray, np.ndarray], params: SourcingParams) -> np.ndarray:
    r""":math:`E[h (z - D)^+ + b (D - z)^+]` on the post-decision positions :math:`z`."""
    values, probs = pmf
    z = box.x_lo + np.arange(box.post_shape[0])
    y = z[:, None] - values[None, :]
    return (params.holding_cost * np.maximum(y, 0) + params.shortage_cost * np.maximum(-y, 0)) @ probs


# --------------------------------------------------------------------------- inputs
def _check_problem(obj: Any, owner: str) -> SourcingProblem:
    problem = as_problem(obj, owner=owner, name="sourcing_model")
    K = problem.params.n_suppliers
    if K > MAX_SUPPLIERS:
        fail("sourcing_model", owner, f"a problem with at most {MAX_SUPPLIERS} suppliers", K)
    return problem


def _default_box(params: SourcingParams, pmf: tuple[np.ndarray, np.ndarray], x0: int,
                 init_ahead: np.ndarray) -> Box:
    values, probs = pmf
    dmax, dmin = int(values[-1]), int(values[0])
    spread = max(dmax - dmin, 1)
    L = max(1, max(params.lead_times))
    h, b = params.holding_cost, params.shortage_cost
    s_hi = newsvendor_level(*sum_pmf([pmf] * (max(params.lead_times) + 1)), h, b)
    s_lo = newsvendor_level(*sum_pmf([pmf] * (min(params.lead_times) + 1)), h, b)
    x_hi = max(s_hi + dmax, x0)
    if params.excess_demand == "lost_sales":
        x_lo = 0
    else:
        x_lo = min(s_lo - (L + 1) * spread - 1, x0)
    qmax = []
    for k in range(params.n_suppliers):
        u = params.order_capacity(k)
        q = max(dmax, 1, int(init_ahead.max(initial=0)))
        qmax.append(q if u is None else min(q, u))
    return Box(int(x_lo), int(x_hi), tuple(qmax), params.lead_times)


def _estimate(box: Box, phases: int) -> tuple[int, float]:
    """States (all phases) and bytes of the tables: values of every phase, the post-decision
    table and its temporaries, and the per-axis argmins of the final greedy pass."""
    n = box.n_states * phases
    post = box.n_post
    return n, 8.0 * (3 * n + 4 * post + (box.L + 2) * post)


def _refuse(box: Box, phases: int, max_states: int, max_bytes: float, owner: str) -> None:
    n, mem = _estimate(box, phases)
    if n > max_states or mem > max_bytes:
        raise MemoryError(
            f"{owner} would solve {n:,} aggregated states ({phases} review phase(s) x box {list(box.shape)}) with "
            f"tables of about {mem / 2**30:.3g} GiB, above the limits max_states={max_states:,} and "
            f"max_bytes={max_bytes:.3g} ({max_bytes / 2**30:.3g} GiB). Raise max_states=... and max_bytes=... "
            "if the machine has the memory, or give smaller x_bounds=... / max_orders=...."
        )


# --------------------------------------------------------------------------- solver
def solve_multi_sourcing_average_cost(
    sourcing_model: Any,
    *,
    x_bounds: tuple[int, int] | None = None,
    max_orders: Any = None,
    tolerance: float = 1e-8,
    max_iterations: int = 100_000,
    max_widenings: int = 8,
    max_states: int = DEFAULT_MAX_STATES,
    max_bytes: float = DEFAULT_MAX_BYTES,
) -> MultiSourcingSolution:
    r"""Optimal long-run average cost and policy of a sourcing problem with up to five suppliers.

    Relative value iteration on the aggregated state (module docstring) until the Odoni
    bounds :math:`\min(Tv - v) \le T g^* \le \max(Tv - v)` are within
    ``tolerance * max(1, |g|)``; the greedy policy of the final values is returned with
    its exact long-run cost.

    Parameters
    ----------
    sourcing_model : SourcingProblem or sourcing model
        :math:`K \le 5` suppliers with lead times :math:`l_k`, unit costs :math:`c_k`,
        optional fixed costs :math:`K_k`, capacities :math:`u_k` and review periods
        :math:`R_k` (offsets :math:`o_k`); backlog or lost sales; stationary demand with
        finite support. Period 0 is the first period (phase 0 of the review cycle).
    x_bounds : (int, int), optional
        :math:`(\underline x, \bar x)` of the aggregated stock :math:`x`. Default: from
        :math:`\underline x = S_{\min} - (L+1)(\bar d - \underline d) - 1` (0 under lost
        sales) to :math:`\bar x = S_{\max} + \bar d`, with :math:`S_{\min}, S_{\max}` the
        newsvendor levels of the demand over :math:`l_{\min}+1` and :math:`l_{\max}+1`
        periods at :math:`b/(b+h)`; widened automatically (next item).
    max_orders : int or sequence of int, optional
        :math:`\bar q_k`, the largest order of each supplier on the action grid. Default
        :math:`\max(\bar d, 1)` (capped at :math:`u_k`). The grid bounds the total ordered
        from the suppliers of one lead time by the sum of their :math:`\bar q_k`; a
        supplier with a capacity orders at most :math:`\bar q_k \le u_k`, an uncapped one
        may take the whole group total. Automatic bounds (``x_bounds`` /
        ``max_orders`` not given) are widened, up to ``max_widenings`` times, while the
        optimal policy's long-run distribution from the initial state puts mass on a
        clipped transition or on a group total at its grid bound; since a wider grid
        only adds actions and states, the final policy is optimal for the untruncated
        problem once that mass is zero (tests re-solve with larger bounds).
    tolerance : float, default=1e-8
    max_iterations : int, default=100_000
        Most sweeps (one sweep = one review cycle), all widenings together.
    max_widenings : int, default=8
    max_states : int, default=2_000_000
        Most aggregated states (all phases together).
    max_bytes : float, default=2 GiB
        Most memory for the tables. A box beyond either limit is refused before any
        allocation with a ``MemoryError`` giving the number of states and the memory.

    Returns
    -------
    MultiSourcingSolution

    Raises
    ------
    ValueError
        More than five suppliers; demand not stationary or not finite; bad bounds.
    MemoryError
        The state space exceeds ``max_states`` or ``max_bytes``.

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.problem import SourcingProblem
    >>> from idinn.exact import solve_multi_sourcing_average_cost
    >>> p = SourcingProblem.dual(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0,
    ...     expedited_order_cost=20, holding_cost=5, shortage_cost=495, demand=UniformDemand(0, 4))
    >>> round(solve_multi_sourcing_average_cost(p).average_cost, 4)
    23.0714
    """
    t0 = time.perf_counter()
    owner = _OWNER
    problem = _check_problem(sourcing_model, owner)
    params = problem.params
    K = params.n_suppliers
    pmf = stationary_pmf(problem.demand, owner=owner, name="demand_generator")
    values, probs = pmf
    if int(values[-1]) == 0:
        fail("demand_generator", owner, "a demand that is positive with positive probability", values.tolist())
    tolerance = check_real(tolerance, "tolerance", owner, exclusive_minimum=0)
    max_iterations = check_int(max_iterations, "max_iterations", owner, minimum=1)
    max_widenings = check_int(max_widenings, "max_widenings", owner, minimum=0)
    max_states = check_int(max_states, "max_states", owner, minimum=1)
    max_bytes = check_real(max_bytes, "max_bytes", owner, exclusive_minimum=0)
    lost = params.excess_demand == "lost_sales"
    s0 = reduce_state(problem.init_state[None], params.lead_times)[0]
    box = _default_box(params, pmf, int(s0[0]), s0[1:])
    if x_bounds is not None:
        if not isinstance(x_bounds, tuple | list) or len(x_bounds) != 2:
            fail("x_bounds", owner, "a pair (low, high) of ints", x_bounds, TypeError)
        lo, hi = (check_int(v, "x_bounds", owner) for v in x_bounds)
        if not lo <= int(s0[0]) <= hi or (lost and lo < 0):
            fail("x_bounds", owner, f"a range containing the initial stock plus arrivals x0={int(s0[0])}"
                 + (" with low >= 0 (lost sales)" if lost else ""), x_bounds)
        box = Box(lo, hi, box.max_orders, box.lead_times)
    if max_orders is not None:
        given = [max_orders] * K if np.ndim(max_orders) == 0 else list(max_orders)
        if len(given) != K:
            fail("max_orders", owner, f"an int or {K} ints (one per supplier)", max_orders)
        qs = tuple(check_int(q, "max_orders", owner, minimum=0) for q in given)
        for k, q in enumerate(qs):
            u = params.order_capacity(k)
            if u is not None and q > u:
                fail("max_orders", owner, f"at most the order capacities {list(params.order_capacities)}", list(qs))
        box = Box(box.x_lo, box.x_hi, qs, box.lead_times)
    T = params.review_cycle
    auto_x, auto_q = x_bounds is None, max_orders is None
    spread = max(int(values[-1] - values[0]), 1)

    v: np.ndarray | None = None
    prev: Box | None = None
    sweeps, widenings = 0, 0
    lower = upper = float("nan")
    while True:
        _refuse(box, T, max_states, max_bytes, owner)
        start = (0, int(s0[0]) - box.x_lo, *s0[1:].tolist())
        if any(a > m for a, m in zip(s0[1:], box.ahead_max[1:])):
            fail("sourcing_model", owner, f"an initial pipeline within max_orders {list(box.max_orders)}",
                 problem.init_pipeline)
        v = np.zeros((T, *box.shape)) if v is None else _embed(v, prev, box)
        v -= v[start]
        stage = _stage(box, pmf, params)
        M = _transition_matrix(box, pmf, lost)
        costs = [group_costs(params, box, phi)[0] for phi in range(T)]
        converged = False
        while sweeps < max_iterations:
            new = np.empty_like(v)
            nxt = v[0]
            for phi in range(T - 1, -1, -1):
                w = _expectation(nxt, box, M, stage)
                new[phi], _ = _minimise(w, costs[phi], box, greedy=False)
                nxt = new[phi]
            sweeps += 1
            delta = new[0] - v[0]
            lower, upper = float(delta.min()) / T, float(delta.max()) / T
            v = new - new[start]
            if upper - lower <= tolerance * max(1.0, abs(lower)):
                converged = True
                break
        orders, target, clip, cost = _greedy(v, box, pmf, stage, params, T, M)
        pi, reach = _long_run(target, probs, box, T, start)
        # a lead-time group's total at its grid bound, where that bound is not a real capacity
        at_cap = np.zeros(orders.shape[:-1], dtype=bool)
        capped = []
        for j, gmax in enumerate(box.group_max):
            members = [k for k in range(K) if params.lead_times[k] == j]
            loose = [k for k in members if params.order_capacity(k) is None
                     or box.max_orders[k] < params.order_capacity(k)]
            if not loose:
                continue
            hit = orders[..., members].sum(axis=-1) >= gmax
            if auto_q and pi[hit].sum() > BOUNDARY_MASS_WARNING:
                capped.extend(loose)
            at_cap |= hit
        low_hit = pi[clip[0]].sum() > BOUNDARY_MASS_WARNING
        high_hit = pi[clip[1]].sum() > BOUNDARY_MASS_WARNING
        touched = (auto_x and (low_hit or high_hit)) or bool(capped)
        if not touched or widenings >= max_widenings or sweeps >= max_iterations:
            break
        widenings += 1
        prev = box
        x_lo = box.x_lo - spread if (auto_x and low_hit) else box.x_lo
        x_hi = box.x_hi + spread if (auto_x and high_hit) else box.x_hi
        qm = list(box.max_orders)
        for k in capped:
            u = params.order_capacity(k)
            qm[k] = qm[k] + max(1, spread // 2) if u is None else min(u, qm[k] + max(1, spread // 2))
        box = Box(x_lo, x_hi, tuple(qm), box.lead_times)
    boundary = float(pi[clip[0] | clip[1] | at_cap].sum())
    if boundary > BOUNDARY_MASS_WARNING:
        warnings.warn(
            f"The optimal policy's long-run distribution puts probability {boundary:.3g} on states where the "
            f"truncation acts (x in [{box.x_lo}, {box.x_hi}], orders up to {list(box.max_orders)}); the optimum may be "
            "distorted. Solve again with wider x_bounds=... / max_orders=....",
            RuntimeWarning, stacklevel=2)
    if not converged:
        warnings.warn(
            f"Relative value iteration stopped after {sweeps} sweeps with bounds [{lower:.10g}, {upper:.10g}] "
            f"(gap above tolerance {tolerance:g}); raise 'max_iterations'.", RuntimeWarning, stacklevel=2)
    policy_cost = float(pi.ravel() @ cost.ravel())
    for arr in (orders, v):
        arr.setflags(write=False)
    return MultiSourcingSolution(
        average_cost=0.5 * (lower + upper), lower_bound=lower, upper_bound=upper, policy_cost=policy_cost,
        n_states=box.n_states * T, solve_time_s=time.perf_counter() - t0, iterations=sweeps,
        converged=converged, boundary_mass=boundary, params=params, x_bounds=(box.x_lo, box.x_hi),
        max_orders=box.max_orders, order_table=orders, relative_values=v,
    )


def _embed(v: np.ndarray, old: Box, new: Box) -> np.ndarray:
    """Old values inside the new (larger) box, edge values outside (a warm start)."""
    pads = [(0, 0), (old.x_lo - new.x_lo, new.x_hi - old.x_hi)]
    pads += [(0, n - o) for o, n in zip(old.shape[1:], new.shape[1:])]
    return np.pad(v, pads, mode="edge")


def _greedy(v: np.ndarray, box: Box, pmf: tuple[np.ndarray, np.ndarray], stage: np.ndarray,
            params: SourcingParams, T: int, M: sp.csr_matrix):
    """Greedy orders of every phase and state, the successors per demand value, the clipping
    flags and the expected period cost (by :func:`idinn.dynamics.period_cost`)."""
    values, probs = pmf
    K = params.n_suppliers
    n = box.n_states
    orders = np.zeros((T, *box.shape, K), dtype=np.int64)
    target = np.zeros((T, n, len(values)), dtype=np.int64)
    low = np.zeros((T, *box.shape), dtype=bool)
    high = np.zeros((T, *box.shape), dtype=bool)
    cost = np.zeros((T, *box.shape))
    grid = np.indices(box.shape).reshape(len(box.shape), -1).T
    red = grid.copy()
    red[:, 0] += box.x_lo
    strides = np.array([int(np.prod(box.shape[j + 1:])) for j in range(len(box.shape))], dtype=np.int64)
    for phi in range(T):
        costs, splits = group_costs(params, box, phi)
        w = _expectation(v[(phi + 1) % T], box, M, stage)
        _, args = _minimise(w, costs, box, greedy=True)
        q = _greedy_orders(args, splits, box, K)
        orders[phi] = q.reshape(*box.shape, K)
        exp_cost = np.zeros(n)
        lo_flag = np.zeros(n, dtype=bool)
        hi_flag = np.zeros(n, dtype=bool)
        for i, (d, p) in enumerate(zip(values.tolist(), probs.tolist())):
            nxt, y, _ = aggregated_step(red, q, np.full(n, d), params)
            exp_cost += p * period_cost(y.astype(np.float64), q.astype(np.float64), params)
            lo_flag |= nxt[:, 0] < box.x_lo
            hi_flag |= nxt[:, 0] > box.x_hi
            idx = nxt.copy()
            idx[:, 0] = np.clip(idx[:, 0], box.x_lo, box.x_hi) - box.x_lo
            target[phi, :, i] = ((phi + 1) % T) * n + idx @ strides
        low[phi], high[phi] = lo_flag.reshape(box.shape), hi_flag.reshape(box.shape)
        cost[phi] = exp_cost.reshape(box.shape)
    return orders, target, (low, high), cost


def _long_run(target: np.ndarray, probs: np.ndarray, box: Box, T: int, start: tuple[int, ...]):
    """Long-run distribution (shape (T, *box.shape)) of the greedy chain from ``start``."""
    from scipy.sparse.csgraph import breadth_first_order

    n = box.n_states * T
    rows = np.repeat(np.arange(n), target.shape[2])
    P = sp.csr_matrix((np.tile(probs, n), (rows, target.reshape(-1))), shape=(n, n))
    P.sum_duplicates()
    s = int(np.ravel_multi_index(start, (T, *box.shape)))
    reach = breadth_first_order(P, s, directed=True, return_predecessors=False)
    sub = P[reach][:, reach]
    pi_r = cesaro_limit(sub, int(np.flatnonzero(reach == s)[0]))
    pi = np.zeros(n)
    pi[reach] = pi_r
    return pi.reshape(T, *box.shape), reach
