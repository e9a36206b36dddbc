r"""The inventory dynamics, written once.

Every controller, trainer, evaluator and exact solver of idinn uses the pure functions of
this module (the fused numba training kernels re-state the same two lines and are checked
against :func:`transition` and :func:`period_cost` in the tests).

State
    A state is a row ``[I_t, pipeline of supplier 1, pipeline of supplier 2, ...]``: the
    net inventory :math:`I_t` (negative = backlog) at the start of period :math:`t`,
    followed for each supplier :math:`k` with lead time :math:`l_k > 0` by its
    :math:`l_k` outstanding orders, oldest first
    (:math:`q^k_{t-l_k}, \dots, q^k_{t-1}`). A supplier with lead time 0 has no pipeline.

Order of events in period :math:`t`
    1. the orders :math:`q^k_t` are placed (and paid, :math:`c_k q^k_t`);
    2. for each supplier the order placed :math:`l_k` periods ago arrives
       (lead time 0: the order just placed);
    3. demand :math:`D_t` is realised and served from stock; with ``excess_demand="backlog"``
       unmet demand is backlogged, with ``"lost_sales"`` it is lost (Zipkin 2008);
    4. the end-of-period net inventory is :math:`y_t = I_t + \sum_k q^k_{t-l_k} - D_t`;
       backlog: :math:`I_{t+1} = y_t`; lost sales: :math:`I_{t+1} = [y_t]^+` (on-hand stock,
       never negative) and :math:`[-y_t]^+` units are lost;
    5. cost :math:`c_t = \sum_k (c_k q^k_t + K_k \mathbf 1[q^k_t > 0]) + h [y_t]^+ + b [-y_t]^+`
       (:math:`K_k` the fixed order cost, zero unless set): :math:`b` is the cost per unit
       backlogged or, under lost sales, the penalty :math:`p` per unit lost (the
       ``shortage_cost`` parameter carries both).

:func:`advance` returns both :math:`s_{t+1}` and :math:`y_t`; every caller that charges a
cost passes :math:`y_t` to :func:`period_cost` (under backlog :math:`y_t = I_{t+1}`).

Each order respects its supplier's capacity, :math:`q^k_t \le u_k` (uncapped unless set);
the simulator and the exact evaluators refuse orders above it (:func:`check_capacities`).

The functions work on batched ``torch.Tensor`` s (differentiable) and on ``numpy``
arrays alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch

from ._validation import check_cost, check_int, fail

__all__ = [
    "SourcingParams",
    "EXCESS_DEMAND_RULES",
    "advance",
    "transition",
    "period_cost",
    "inventory_position",
    "check_capacities",
    "check_review_periods",
    "restrict_to_review",
]

EXCESS_DEMAND_RULES = ("backlog", "lost_sales")
"""Excess-demand rules the dynamics implement (``SourcingParams.excess_demand``)."""

Array = TypeVar("Array", torch.Tensor, np.ndarray)


@dataclass(frozen=True)
class SourcingParams:
    r"""Parameters of a single- or multi-supplier backlog inventory system.

    Parameters
    ----------
    lead_times : tuple of int
        Lead time of each supplier [:math:`l_k`]; ``(l,)`` for single sourcing,
        ``(l_r, l_e)`` for dual sourcing (regular first).
    order_costs : tuple of float
        Unit order cost of each supplier [:math:`c_k`].
    holding_cost : float
        Cost per unit of end-of-period inventory [:math:`h`].
    shortage_cost : float
        Cost per unit of end-of-period backlog [:math:`b`]; under lost sales the
        penalty per unit of demand lost [:math:`p`] (Zipkin 2008).
    excess_demand : {"backlog", "lost_sales"}, default="backlog"
        What happens to demand that on-hand stock cannot meet. ``"backlog"``: it is
        carried as negative net inventory and met from later arrivals. ``"lost_sales"``:
        it is lost; the first state entry is then the on-hand stock (>= 0).
    fixed_order_costs : tuple of float, default=()
        Fixed cost of each supplier charged in every period with a positive order
        [:math:`K_k`, cost per order]; empty means zero for every supplier. A tuple of
        zeros is stored as ``()``, so a zero fixed cost is the same problem as none.
    order_capacities : tuple of (int or None), default=()
        Largest order of each supplier per period [:math:`u_k`, units], ``None`` for an
        uncapped supplier; empty means every supplier uncapped (an all-``None`` tuple is
        stored as ``()``).
    review_periods : tuple of int, default=()
        Review period of each supplier [:math:`R_k \ge 1`, periods]: supplier :math:`k`
        may be ordered from only in the periods :math:`t` with
        :math:`(t - o_k) \bmod R_k = 0`; empty means every supplier every period (an
        all-ones tuple is stored as ``()``).
    review_offsets : tuple of int, default=()
        Offset of each supplier's review cycle [:math:`o_k`, :math:`0 \le o_k < R_k`];
        empty means zeros. Set only together with ``review_periods``.

    Raises
    ------
    TypeError, ValueError
        With the project's wording: tuples of the wrong length, a negative or NaN fixed
        cost, a capacity that is not an int >= 1, a review period that is not an int >= 1,
        an offset outside ``[0, R_k)``.

    Notes
    -----
    Fixed order costs: Scarf (1960), Zheng & Federgruen (1991). Capacities: Federgruen &
    Zipkin (1986). See docs/fixed_costs.md. Periodic review per supplier (e.g. regular
    orders once a week, expedited orders any day): Hadley & Whitin (1963), ch. 5; see
    docs/review_periods.md.
    """

    lead_times: tuple[int, ...]
    order_costs: tuple[float, ...]
    holding_cost: float
    shortage_cost: float
    excess_demand: str = "backlog"
    fixed_order_costs: tuple[float, ...] = ()
    order_capacities: tuple[int | None, ...] = ()
    review_periods: tuple[int, ...] = ()
    review_offsets: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        owner = "SourcingParams"
        if not isinstance(self.excess_demand, str) or self.excess_demand not in EXCESS_DEMAND_RULES:
            fail("excess_demand", owner, f"one of {EXCESS_DEMAND_RULES}", self.excess_demand)
        for name in ("lead_times", "order_costs"):
            value = getattr(self, name)
            if isinstance(value, str | bytes) or not hasattr(value, "__len__"):
                fail(name, owner, "a tuple with one entry per supplier", value, TypeError)
        if len(self.lead_times) == 0 or len(self.lead_times) != len(self.order_costs):
            fail("order_costs", owner, "as long as 'lead_times' (one per supplier)", self.order_costs)
        # Stored as plain Python numbers so that equal problems compare (and hash) equal.
        set_ = object.__setattr__
        set_(self, "lead_times", tuple(check_int(lt, "lead_times", owner, minimum=0) for lt in self.lead_times))
        set_(self, "order_costs", tuple(check_cost(c, "order_costs", owner) for c in self.order_costs))
        set_(self, "holding_cost", check_cost(self.holding_cost, "holding_cost", owner))
        set_(self, "shortage_cost", check_cost(self.shortage_cost, "shortage_cost", owner))
        n = len(self.lead_times)
        for name in ("fixed_order_costs", "order_capacities", "review_periods", "review_offsets"):
            value = getattr(self, name)
            if isinstance(value, str | bytes) or not hasattr(value, "__len__"):
                fail(name, owner, "a tuple with one entry per supplier (or empty)", value, TypeError)
            if len(value) not in (0, n):
                fail(name, owner, f"empty or of length {n} (one per supplier)", value)
        fixed = tuple(check_cost(k, "fixed_order_costs", owner) for k in self.fixed_order_costs)
        set_(self, "fixed_order_costs", fixed if any(k != 0 for k in fixed) else ())
        caps = tuple(
            None if u is None else check_int(u, "order_capacities", owner, minimum=1) for u in self.order_capacities
        )
        set_(self, "order_capacities", caps if any(u is not None for u in caps) else ())
        periods = tuple(check_int(r, "review_periods", owner, minimum=1) for r in self.review_periods)
        offsets = tuple(check_int(o, "review_offsets", owner, minimum=0) for o in self.review_offsets)
        if offsets and not periods:
            fail("review_offsets", owner, "empty unless 'review_periods' is set", self.review_offsets)
        offsets = offsets or (0,) * len(periods)
        for r, o in zip(periods, offsets):
            if o >= r:
                fail("review_offsets", owner, f"within [0, R_k) for the review periods {list(periods)}",
                     self.review_offsets)
        periodic = any(r != 1 for r in periods)
        set_(self, "review_periods", periods if periodic else ())
        set_(self, "review_offsets", offsets if periodic else ())

    @property
    def n_suppliers(self) -> int:
        return len(self.lead_times)

    @property
    def has_fixed_costs(self) -> bool:
        """Whether some supplier has a fixed order cost :math:`K_k > 0`."""
        return bool(self.fixed_order_costs)

    @property
    def has_capacities(self) -> bool:
        """Whether some supplier has an order capacity :math:`u_k`."""
        return bool(self.order_capacities)

    @property
    def capacities(self) -> tuple[int | None, ...] | None:
        """Per-supplier capacities (``None`` entries: uncapped), or ``None`` when no supplier
        is capped (the Gymnasium environments cap their action space with it)."""
        return self.order_capacities or None

    @property
    def has_review_periods(self) -> bool:
        """Whether some supplier is reviewed less often than every period (:math:`R_k > 1`)."""
        return bool(self.review_periods)

    def review_period(self, k: int) -> int:
        """:math:`R_k` of supplier ``k`` (1 when unset)."""
        return self.review_periods[k] if self.review_periods else 1

    def review_offset(self, k: int) -> int:
        """:math:`o_k` of supplier ``k`` (0 when unset)."""
        return self.review_offsets[k] if self.review_offsets else 0

    @property
    def review_cycle(self) -> int:
        """Length of the joint review cycle: the least common multiple of the :math:`R_k` (1 if none)."""
        import math

        return math.lcm(*self.review_periods) if self.review_periods else 1

    def may_order(self, k: int, period: int) -> bool:
        r"""Whether supplier ``k`` may be ordered from in period ``period``: :math:`(t - o_k) \bmod R_k = 0`."""
        return (period - self.review_offset(k)) % self.review_period(k) == 0

    def fixed_order_cost(self, k: int) -> float:
        """:math:`K_k` of supplier ``k`` (0.0 when unset)."""
        return self.fixed_order_costs[k] if self.fixed_order_costs else 0.0

    def order_capacity(self, k: int) -> int | None:
        """:math:`u_k` of supplier ``k`` (``None``: uncapped)."""
        return self.order_capacities[k] if self.order_capacities else None

    @property
    def state_dim(self) -> int:
        """Length :math:`1 + \\sum_k l_k` of a state row."""
        return 1 + sum(self.lead_times)

    @property
    def pipeline_slices(self) -> tuple[slice, ...]:
        """Column slice of each supplier's pipeline in a state row."""
        out = []
        start = 1
        for lt in self.lead_times:
            out.append(slice(start, start + lt))
            start += lt
        return tuple(out)


def _cat(parts: list[Any], like: Any) -> Any:
    if isinstance(like, torch.Tensor):
        return torch.cat(parts, dim=1)
    return np.concatenate(parts, axis=1)


def advance(state: Array, orders: Array, demand: Array, params: SourcingParams) -> tuple[Array, Array]:
    r"""One period of the dynamics: the next state and the end-of-period net inventory.

    Parameters
    ----------
    state : tensor or ndarray, shape (B, state_dim)
        :math:`[I_t, \text{pipelines}]` (:math:`I_t \ge 0` under lost sales).
    orders : tensor or ndarray, shape (B, n_suppliers)
        Orders :math:`q^k_t` placed now.
    demand : tensor or ndarray, shape (B,)
        Demand :math:`D_t`.
    params : SourcingParams

    Returns
    -------
    next_state : same type, shape (B, state_dim)
        :math:`s_{t+1}`; its first column is :math:`y_t` under backlog and
        :math:`[y_t]^+` under lost sales.
    net_inventory : same type, shape (B,)
        :math:`y_t = I_t + \sum_k q^k_{t-l_k} - D_t`, before lost demand is dropped; pass
        it to :func:`period_cost` (:math:`[-y_t]^+` is the backlog or the lost sales).
    """
    arrivals = 0
    parts = []
    for k, (lt, sl) in enumerate(zip(params.lead_times, params.pipeline_slices)):
        q = orders[:, k : k + 1]
        if lt == 0:
            arrivals = arrivals + q
        else:
            arrivals = arrivals + state[:, sl.start : sl.start + 1]
            parts.append(state[:, sl.start + 1 : sl.stop])
            parts.append(q)
    y = state[:, :1] + arrivals - demand[:, None]
    if params.excess_demand == "lost_sales":  # Zipkin (2008): unmet demand is lost
        first = torch.relu(y) if isinstance(y, torch.Tensor) else np.maximum(y, 0)
    else:
        first = y
    return _cat([first, *parts], state), y[:, 0]


def transition(state: Array, orders: Array, demand: Array, params: SourcingParams) -> Array:
    r"""One period of the dynamics: :math:`s_{t+1} = f(s_t, q_t, D_t)` (see :func:`advance`).

    Parameters
    ----------
    state : tensor or ndarray, shape (B, state_dim)
        :math:`[I_t, \text{pipelines}]`.
    orders : tensor or ndarray, shape (B, n_suppliers)
        Orders :math:`q^k_t` placed now.
    demand : tensor or ndarray, shape (B,)
        Demand :math:`D_t`.
    params : SourcingParams

    Returns
    -------
    next_state : same type, shape (B, state_dim)
    """
    return advance(state, orders, demand, params)[0]


def period_cost(next_inventory: Array, orders: Array, params: SourcingParams) -> Array:
    r"""Cost of one period: :math:`\sum_k (c_k q^k_t + K_k \mathbf 1[q^k_t > 0]) + h[y_t]^+ + b[-y_t]^+`.

    The fixed-cost term (Scarf 1960) is added only for suppliers with :math:`K_k > 0`, so
    a problem without fixed costs gives bit-for-bit the cost it always had. On tensors the
    indicator has gradient zero (the neural controllers refuse fixed costs).

    Parameters
    ----------
    next_inventory : tensor or ndarray, shape (B,)
        End-of-period net inventory :math:`y_t` before lost demand is dropped (the second
        output of :func:`advance`; under backlog it equals :math:`I_{t+1}`).
    orders : tensor or ndarray, shape (B, n_suppliers)

    Returns
    -------
    cost : same type, shape (B,)
    """
    relu = torch.relu if isinstance(next_inventory, torch.Tensor) else (lambda x: np.maximum(x, 0))
    # torch.relu has gradient 0 at a kink (I = 0), as the fused kernels do.
    cost = params.holding_cost * relu(next_inventory) + params.shortage_cost * relu(-next_inventory)
    for k, c in enumerate(params.order_costs):
        if c != 0:
            cost = cost + c * orders[:, k]
    for k, fixed in enumerate(params.fixed_order_costs):
        if fixed != 0:
            placed = orders[:, k] > 0
            cost = cost + fixed * (placed.to(cost.dtype) if isinstance(placed, torch.Tensor) else placed)
    return cost


def check_capacities(orders: Array, params: SourcingParams, owner: str, name: str = "policy") -> None:
    r"""Refuse orders above a supplier's capacity (:math:`q^k_t \le u_k`).

    Parameters
    ----------
    orders : tensor or ndarray, shape (B, n_suppliers)
    params : SourcingParams
    owner, name : str
        Used in the error message.

    Raises
    ------
    ValueError
        Naming the first offending order row and the capacities. Orders are never clipped.
    """
    if not params.order_capacities:
        return
    for k, u in enumerate(params.order_capacities):
        if u is None:
            continue
        col = orders[:, k]
        over = col > u
        if bool(over.any()):
            row = orders[over.nonzero()[0][0] if not isinstance(over, torch.Tensor) else over.nonzero()[0, 0]]
            fail(name, owner, f"returning orders within the order capacities {list(params.order_capacities)}",
                 [float(x) for x in row.tolist()])


def check_review_periods(
    orders: Array, params: SourcingParams, period: int, owner: str, name: str = "policy"
) -> None:
    r"""Refuse a positive order to a supplier outside its review periods.

    Supplier :math:`k` may order only in periods :math:`t` with
    :math:`(t - o_k) \bmod R_k = 0` (:meth:`SourcingParams.may_order`).

    Parameters
    ----------
    orders : tensor or ndarray, shape (B, n_suppliers)
    params : SourcingParams
    period : int
        The period :math:`t` the orders are placed in (0 = first).
    owner, name : str
        Used in the error message.

    Raises
    ------
    ValueError
        Naming the supplier, the period and its review rule. Orders are never zeroed.
    """
    if not params.review_periods:
        return
    for k in range(params.n_suppliers):
        if params.may_order(k, period):
            continue
        if bool((orders[:, k] > 0).any()):
            fail(name, owner,
                 f"ordering nothing from supplier {k} in period {period} (it is reviewed every "
                 f"{params.review_period(k)} periods from period {params.review_offset(k)})",
                 [float(x) for x in orders[:, k].tolist()][:8])


def restrict_to_review(orders: Array, params: SourcingParams, period: int) -> Array:
    r"""A policy's orders with those of suppliers not reviewed in ``period`` set to 0.

    The periodic-review variant of an order rule (Hadley & Whitin 1963, ch. 5): supplier
    :math:`k` orders what the rule says in the periods with :math:`(t - o_k) \bmod R_k = 0`
    and nothing otherwise. This is part of a policy's definition; the simulator itself never
    zeroes an order (:func:`check_review_periods` refuses it).

    Parameters
    ----------
    orders : tensor or ndarray, shape (B, n_suppliers)
    params : SourcingParams
    period : int
        The period :math:`t` (0 = the first of the simulation).

    Returns
    -------
    same type, shape (B, n_suppliers)
        ``orders`` itself when every supplier is reviewed in ``period``.
    """
    if not params.review_periods:
        return orders
    keep = [params.may_order(k, period) for k in range(params.n_suppliers)]
    if all(keep):
        return orders
    if isinstance(orders, torch.Tensor):
        return orders * torch.tensor(keep, dtype=orders.dtype, device=orders.device)
    return orders * np.asarray(keep, dtype=orders.dtype)


def inventory_position(state: Array, params: SourcingParams, horizon: int | None = None) -> Array:
    r"""Inventory position: :math:`I_t` plus every order due within ``horizon`` periods.

    An order of supplier :math:`k` in pipeline position :math:`j` (0 = oldest) arrives
    in period :math:`t + j`. With ``horizon=None`` every outstanding order counts; with
    ``horizon=m`` only those with :math:`j < m`, i.e. arriving before period :math:`t+m`.

    Returns
    -------
    shape (B,)
    """
    total = state[:, 0]
    for sl in params.pipeline_slices:
        stop = sl.stop if horizon is None else min(sl.stop, sl.start + max(horizon, 0))
        if stop > sl.start:
            total = total + state[:, sl.start : stop].sum(1)
    return total
