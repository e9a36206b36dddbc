r"""The optimal :math:`(s, S)` policy under a fixed order cost (Zheng & Federgruen, 1991).

One supplier with lead time :math:`l`, backlog, i.i.d. integer demand :math:`D` with a
finite pmf, unit order cost :math:`c`, fixed order cost :math:`K` per order, holding cost
:math:`h` and backlog cost :math:`b` per unit and period. An :math:`(s, S)` policy orders
:math:`S - x` whenever the inventory position :math:`x` (net inventory plus everything on
order) is at or below :math:`s`, nothing otherwise. Scarf (1960) showed that some
:math:`(s, S)` policy is optimal; Zheng & Federgruen (1991) find the best one exactly.

Formulas (Zheng & Federgruen 1991, section 2)
    * one-period expected holding and backlog cost at order-up-to position :math:`y`,
      charged when the order placed now has arrived:

      .. math:: G(y) = h\,E[(y - D^{(l+1)})^+] + b\,E[(D^{(l+1)} - y)^+],

      :math:`D^{(l+1)}` the demand over :math:`l + 1` periods;
    * the renewal mass function of the demand, :math:`m(0) = 1/(1 - p_0)`,
      :math:`m(j) = \sum_{i=1}^{j} p_i\, m(j - i) / (1 - p_0)`, and
      :math:`M(j) = \sum_{i=0}^{j-1} m(i)` (expected number of periods the position
      spends in the cycle of length :math:`j`);
    * the long-run average cost of :math:`(s, S)`, :math:`s < S`,

      .. math:: c(s, S) = \frac{K + \sum_{j=0}^{S-s-1} m(j)\,G(S - j)}{M(S - s)} + c\,E[D]

      (the last term: under backlog everything demanded is ordered).

Algorithm (the paper's steps; our own implementation)
    0. :math:`y^* = \arg\min G`; :math:`s = y^*`; lower :math:`s` by one until
       :math:`c(s, y^*) \le G(s)`; :math:`S^0 = y^*`, :math:`c^0 = c(s, S^0)`,
       :math:`S = S^0 + 1`.
    1. While :math:`G(S) \le c^0`: if :math:`c(s, S) < c^0`, set :math:`S^0 = S` and
       raise :math:`s` by one while :math:`c(s + 1, S^0) \le G(s + 1)`
       (i.e. :math:`c(s, S^0) \le G(s + 1)`), then :math:`c^0 = c(s, S^0)`;
       :math:`S = S + 1`.
    2. :math:`(s, S^0)` is optimal with cost :math:`c^0`.

References
----------
Zheng, Y.-S. & Federgruen, A. (1991). Finding optimal (s, S) policies is about as simple
as evaluating a single policy. *Operations Research* 39(4):654-665.
Scarf, H. (1960). The optimality of (S, s) policies in the dynamic inventory problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_cost, check_int, fail

__all__ = ["SSPolicyResult", "loss_function", "renewal_mass", "ss_average_cost", "optimal_ss_policy"]

_OWNER = "optimal_ss_policy"


@dataclass(frozen=True)
class SSPolicyResult:
    """Optimal :math:`(s, S)` policy.

    Attributes
    ----------
    reorder_point : int
        :math:`s`: order when the inventory position is at or below it.
    order_up_to_level : int
        :math:`S`: the position after an order.
    average_cost : float
        Long-run average cost per period :math:`c(s, S)` (order costs included).
    """

    reorder_point: int
    order_up_to_level: int
    average_cost: float


def loss_function(
    positions: np.ndarray, values: np.ndarray, probs: np.ndarray, holding_cost: float, shortage_cost: float
) -> np.ndarray:
    r""":math:`G(y) = h E[(y - X)^+] + b E[(X - y)^+]` on consecutive integers ``positions``.

    Uses :math:`A(y + 1) = A(y) + P(X \le y)` for :math:`A(y) = E[(y - X)^+]` and
    :math:`E[(X - y)^+] = A(y) - y + E[X]`, so the cost is O(len(positions) + len(values)).

    Parameters
    ----------
    positions : ndarray of int, shape (n,)
        Consecutive integers (``positions[i] = positions[0] + i``).
    values, probs : ndarray, shape (k,)
        Support (sorted ints) and probabilities of :math:`X`.

    Returns
    -------
    ndarray of float64, shape (n,)
    """
    lo = int(positions[0])
    n = len(positions)
    # P(X <= y) on the grid (support points below lo accumulate into the first entry)
    mass = np.zeros(n, dtype=np.float64)
    idx = np.clip(values - lo, 0, None)
    inside = idx < n
    np.add.at(mass, idx[inside], probs[inside])
    cdf = np.cumsum(mass)
    below = values < lo
    a0 = float(np.dot(lo - values[below], probs[below]))  # A(lo)
    a = a0 + np.concatenate(([0.0], np.cumsum(cdf[:-1])))
    mean = float(np.dot(values, probs))
    return holding_cost * a + shortage_cost * (a - positions.astype(np.float64) + mean)


def renewal_mass(probs_by_value: np.ndarray, length: int) -> np.ndarray:
    r"""Renewal mass :math:`m(0..\text{length}-1)` of a demand pmf on ``0, 1, 2, ...``.

    :math:`m(j)` is the expected number of periods in which the cumulative demand since
    an order equals :math:`j` (Zheng & Federgruen 1991, eq. (2)).

    Parameters
    ----------
    probs_by_value : ndarray, shape (k,)
        :math:`p_i = P(D = i)`, :math:`i = 0..k-1`, with :math:`p_0 < 1`.
    length : int
    """
    p = probs_by_value
    q = 1.0 / (1.0 - p[0])
    m = np.zeros(length, dtype=np.float64)
    if length:
        m[0] = q
    tail = p[1:]
    for j in range(1, length):
        w = min(j, len(tail))
        m[j] = q * float(np.dot(tail[:w], m[j - 1 :: -1][:w]))
    return m


def _by_value(values: np.ndarray, probs: np.ndarray) -> np.ndarray:
    out = np.zeros(int(values[-1]) + 1, dtype=np.float64)
    out[values] = probs
    return out


def _lead_time_pmf(values: np.ndarray, probs: np.ndarray, periods: int) -> tuple[np.ndarray, np.ndarray]:
    by_value = _by_value(values, probs)
    total = np.ones(1)
    for _ in range(periods):
        total = np.convolve(total, by_value)
    support = np.flatnonzero(total > 0)
    return support.astype(np.int64), total[support]


def _check_pmf(values: object, probs: object) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(values)
    p = np.asarray(probs, dtype=np.float64)
    if v.ndim != 1 or p.shape != v.shape or len(v) == 0:
        fail("values", _OWNER, "a 1-d array of demand values with one probability each", values)
    if not np.all(np.isfinite(p)) or np.any(p < 0) or abs(float(p.sum()) - 1.0) > 1e-9:
        fail("probs", _OWNER, "finite probabilities >= 0 summing to 1", probs)
    if not np.issubdtype(v.dtype, np.integer) or np.any(v < 0) or np.any(np.diff(v) <= 0):
        fail("values", _OWNER, "sorted distinct integers >= 0", values)
    if float(np.dot(v, p)) <= 0:
        fail("values", _OWNER, "a demand with positive mean (with zero demand no order is ever needed)", values)
    return v.astype(np.int64), p


class _Grid:
    """:math:`G` and :math:`m` on an integer grid, widened on demand."""

    def __init__(self, values: np.ndarray, probs: np.ndarray, lead_time: int, h: float, b: float) -> None:
        self.lt_values, self.lt_probs = _lead_time_pmf(values, probs, lead_time + 1)
        self.h, self.b = h, b
        self.by_value = _by_value(values, probs)
        width = int(self.lt_values[-1]) + 2
        self._build(int(self.lt_values[0]) - width, int(self.lt_values[-1]) + width)
        self.m = renewal_mass(self.by_value, 64)
        self.cum_m = np.concatenate(([0.0], np.cumsum(self.m)))

    def _build(self, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi
        self.g = loss_function(np.arange(lo, hi + 1), self.lt_values, self.lt_probs, self.h, self.b)

    def G(self, y: int) -> float:
        if y < self.lo or y > self.hi:
            width = self.hi - self.lo
            self._build(min(self.lo, y) - width, max(self.hi, y) + width)
        return float(self.g[y - self.lo])

    def cost(self, s: int, S: int, K: float) -> float:
        """:math:`c(s, S)` without the order-cost term."""
        n = S - s
        if n > len(self.m):
            self.m = renewal_mass(self.by_value, 2 * n)
            self.cum_m = np.concatenate(([0.0], np.cumsum(self.m)))
        self.G(s + 1)
        self.G(S)
        ys = self.g[S - self.lo : s - self.lo : -1] if s - self.lo >= 0 else self.g[S - self.lo :: -1]
        return (K + float(np.dot(self.m[:n], ys[:n]))) / float(self.cum_m[n])


def ss_average_cost(
    reorder_point: int,
    order_up_to_level: int,
    values: np.ndarray,
    probs: np.ndarray,
    *,
    lead_time: int,
    holding_cost: float,
    shortage_cost: float,
    fixed_order_cost: float,
    order_cost: float = 0.0,
) -> float:
    r"""Exact long-run average cost :math:`c(s, S)` of an :math:`(s, S)` policy (module docstring).

    Parameters
    ----------
    reorder_point, order_up_to_level : int
        :math:`s < S`.
    values, probs : ndarray, shape (k,)
        Per-period demand pmf (sorted integers >= 0, positive mean).
    lead_time : int
        :math:`l \ge 0`.
    holding_cost, shortage_cost, fixed_order_cost, order_cost : float
        :math:`h, b, K, c`.

    Returns
    -------
    float
    """
    owner = "ss_average_cost"
    v, p = _check_pmf(values, probs)
    s = check_int(reorder_point, "reorder_point", owner)
    S = check_int(order_up_to_level, "order_up_to_level", owner)
    if S <= s:
        fail("order_up_to_level", owner, f"an int > reorder_point ({s})", S)
    grid = _Grid(v, p, check_int(lead_time, "lead_time", owner, minimum=0),
                 check_cost(holding_cost, "holding_cost", owner), check_cost(shortage_cost, "shortage_cost", owner))
    cost = grid.cost(s, S, check_cost(fixed_order_cost, "fixed_order_cost", owner))
    return cost + check_cost(order_cost, "order_cost", owner) * float(np.dot(v, p))


def optimal_ss_policy(
    values: np.ndarray,
    probs: np.ndarray,
    *,
    lead_time: int,
    holding_cost: float,
    shortage_cost: float,
    fixed_order_cost: float,
    order_cost: float = 0.0,
) -> SSPolicyResult:
    r"""The optimal :math:`(s, S)` policy by the algorithm of Zheng & Federgruen (1991).

    Parameters
    ----------
    values, probs : ndarray, shape (k,)
        Per-period demand pmf :math:`P(D = \text{values}_i) = \text{probs}_i` (sorted
        integers >= 0, positive mean), e.g. from :func:`idinn.exact.demand_pmf`.
    lead_time : int
        :math:`l \ge 0`.
    holding_cost, shortage_cost : float
        :math:`h`, :math:`b` per unit and period; :math:`b > 0`.
    fixed_order_cost : float
        :math:`K \ge 0` per order.
    order_cost : float, default=0
        :math:`c` per unit (adds :math:`c E[D]`; it does not move :math:`s, S`).

    Returns
    -------
    SSPolicyResult

    Raises
    ------
    TypeError, ValueError
        An invalid pmf or parameter (project wording).

    Examples
    --------
    >>> import numpy as np
    >>> from idinn.exact.fixed_cost import optimal_ss_policy
    >>> r = optimal_ss_policy(np.arange(5), np.full(5, 0.2), lead_time=0, holding_cost=1,
    ...                       shortage_cost=9, fixed_order_cost=10)
    >>> (r.reorder_point, r.order_up_to_level)
    (1, 7)
    """
    v, p = _check_pmf(values, probs)
    lt = check_int(lead_time, "lead_time", _OWNER, minimum=0)
    h = check_cost(holding_cost, "holding_cost", _OWNER)
    b = check_cost(shortage_cost, "shortage_cost", _OWNER)
    if b <= 0:
        fail("shortage_cost", _OWNER, "> 0 (with free backlog never ordering is optimal)", shortage_cost)
    K = check_cost(fixed_order_cost, "fixed_order_cost", _OWNER)
    c = check_cost(order_cost, "order_cost", _OWNER)
    grid = _Grid(v, p, lt, h, b)
    # Step 0: y* minimises the convex G (first minimiser); the smallest s with c(s, y*) <= G(s).
    y_star = grid.lo + int(np.argmin(grid.g))
    while y_star == grid.hi or y_star == grid.lo:  # pragma: no cover - the grid brackets the minimum
        grid.G(grid.hi + 1)
        grid.G(grid.lo - 1)
        y_star = grid.lo + int(np.argmin(grid.g))
    s = y_star - 1
    while grid.cost(s, y_star, K) > grid.G(s):
        s -= 1
    S0 = y_star
    c0 = grid.cost(s, S0, K)
    # Step 1: raise S while G(S) <= c0; each improvement moves s up as far as it pays.
    S = S0 + 1
    while grid.G(S) <= c0:
        if grid.cost(s, S, K) < c0:
            S0 = S
            while grid.cost(s, S0, K) <= grid.G(s + 1):
                s += 1
            c0 = grid.cost(s, S0, K)
        S += 1
    return SSPolicyResult(reorder_point=s, order_up_to_level=S0, average_cost=c0 + c * float(np.dot(v, p)))
