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
    5. cost :math:`c_t = \sum_k c_k q^k_t + h [y_t]^+ + b [-y_t]^+`: :math:`b` is the cost
       per unit backlogged or, under lost sales, the penalty :math:`p` per unit lost
       (the ``shortage_cost`` parameter carries both).

:func:`advance` returns both :math:`s_{t+1}` and :math:`y_t`; every caller that charges a
cost passes :math:`y_t` to :func:`period_cost` (under backlog :math:`y_t = I_{t+1}`).

The functions work on batched ``torch.Tensor`` s (differentiable) and on ``numpy``
arrays alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch

from ._validation import check_cost, check_int, fail

__all__ = ["SourcingParams", "EXCESS_DEMAND_RULES", "advance", "transition", "period_cost", "inventory_position"]

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

    Notes
    -----
    Room for extensions, per supplier and in the same tuple layout as ``lead_times``: a
    fixed order cost :math:`K_k` (charged when :math:`q^k_t > 0`) and an order capacity
    :math:`u_k` (:math:`q^k_t \le u_k`) would be new tuple fields here, a new term in
    :func:`period_cost` and a clamp in the policy adapter; see docs/architecture.md.
    """

    lead_times: tuple[int, ...]
    order_costs: tuple[float, ...]
    holding_cost: float
    shortage_cost: float
    excess_demand: str = "backlog"

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

    @property
    def n_suppliers(self) -> int:
        return len(self.lead_times)

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
    r"""Cost of one period: :math:`\sum_k c_k q^k_t + h[y_t]^+ + b[-y_t]^+`.

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
    return cost


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
