r"""Inventory system with :math:`K \le 5` suppliers (transport modes), in the order given.

:class:`MultiSourcingModel` is the :math:`K`-supplier facade of the one simulator of
:class:`~idinn.sourcing_model.BaseSourcingModel`: the same state layout
``[I_t, pipeline of supplier 0, pipeline of supplier 1, ...]``, the same order of events
(:mod:`idinn.dynamics`) and the same random generator, so that with two suppliers it gives
bit for bit what :class:`~idinn.sourcing_model.DualSourcingModel` gives (supplier 0 = the
regular one, supplier 1 = the expedited one, as in :class:`~idinn.dynamics.SourcingParams`).
See docs/multi_sourcing.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ._validation import fail
from .demand import BaseDemand
from .problem import MAX_SUPPLIERS, SourcingProblem, multi_sourcing_params
from .sourcing_model import BaseSourcingModel, _as_order_column, _check_rule, _rule_repr

__all__ = ["MultiSourcingModel", "MAX_SUPPLIERS"]


class MultiSourcingModel(BaseSourcingModel):
    r"""Inventory system with :math:`K` suppliers, :math:`1 \le K \le 5`, backlog or lost sales.

    Each supplier :math:`k` has a lead time :math:`l_k`, a unit order cost :math:`c_k` and,
    optionally, a fixed order cost :math:`K_k`, an order capacity :math:`u_k` and a review
    period :math:`R_k` with offset :math:`o_k`. In period :math:`t` (counted from 0 at the
    start of each simulation) the orders :math:`q^k_t` are placed, the order of supplier
    :math:`k` placed :math:`l_k` periods ago arrives, demand :math:`D_t` is served, and the
    cost :math:`\sum_k (c_k q^k_t + K_k \mathbf 1[q^k_t > 0]) + h [y_t]^+ + b [-y_t]^+` is
    charged (:mod:`idinn.dynamics`). Orders above :math:`u_k`, and positive orders to a
    supplier in a period with :math:`(t - o_k) \bmod R_k \ne 0`, are refused.

    Parameters
    ----------
    lead_times : list of int
        Lead time of each supplier [:math:`l_k \ge 0`], 1 to 5 suppliers, in any order (the
        suppliers keep the order given: pipelines, order columns and every per-supplier
        list follow it).
    order_costs : list of float
        Unit order cost of each supplier [:math:`c_k \ge 0`].
    holding_cost : float
        [:math:`h \ge 0`], per unit of end-of-period inventory.
    shortage_cost : float
        [:math:`b \ge 0`], per unit of end-of-period backlog; under lost sales the penalty
        per unit of demand lost [:math:`p`].
    demand_generator : BaseDemand
        Demand model [:math:`D_t`].
    init_inventory : int, default=0
        Initial net inventory [:math:`I_0`]; every pipeline starts empty.
    batch_size : int, default=1
        Number of sample paths simulated together.
    excess_demand : {"backlog", "lost_sales"}, default="backlog"
        Keyword only, as are the following.
    fixed_order_costs : list of float, optional
        [:math:`K_k \ge 0`], cost per order placed; ``None``: none.
    order_capacities : list of (int or None), optional
        [:math:`u_k \ge 1`], largest order per period; ``None``: every supplier uncapped.
    review_periods : list of int, optional
        [:math:`R_k \ge 1`]; ``None``: every supplier may be ordered from every period.
    review_offsets : list of int, optional
        [:math:`0 \le o_k < R_k`]; ``None``: zeros (only with ``review_periods``).

    Raises
    ------
    TypeError, ValueError
        With the project's wording, before any work: more than 5 suppliers, lists of
        different lengths, negative or NaN costs, a capacity that is not an int >= 1, an
        offset outside :math:`[0, R_k)`, capacities whose total is below the mean demand
        under backlog.

    Examples
    --------
    >>> from idinn import MultiSourcingModel
    >>> from idinn.demand import UniformDemand
    >>> m = MultiSourcingModel(lead_times=[0, 2, 4], order_costs=[20, 10, 0], holding_cost=5,
    ...                        shortage_cost=95, demand_generator=UniformDemand(0, 4))
    >>> m.get_lead_times(), m.n_suppliers, m.get_state().shape
    ((0, 2, 4), 3, torch.Size([1, 7]))
    >>> m.order([1, 2, 3], seed=0)
    >>> m.get_past_orders().shape
    torch.Size([1, 2, 3])
    """

    _owner = "MultiSourcingModel"

    def __init__(
        self,
        lead_times: Sequence[int],
        order_costs: Sequence[float],
        holding_cost: float,
        shortage_cost: float,
        demand_generator: BaseDemand,
        init_inventory: float = 0,
        batch_size: int = 1,
        *,
        excess_demand: str = "backlog",
        fixed_order_costs: Sequence[float] | None = None,
        order_capacities: Sequence[int | None] | None = None,
        review_periods: Sequence[int] | None = None,
        review_offsets: Sequence[int] | None = None,
    ) -> None:
        o = self._owner
        params = multi_sourcing_params(
            o, lead_times=lead_times, order_costs=order_costs, holding_cost=holding_cost,
            shortage_cost=shortage_cost, excess_demand=_check_rule(excess_demand, o),
            fixed_order_costs=fixed_order_costs, order_capacities=order_capacities,
            review_periods=review_periods, review_offsets=review_offsets,
        )
        super().__init__(params, init_inventory, demand_generator, batch_size)

    @classmethod
    def from_problem(cls, problem: SourcingProblem, batch_size: int = 1) -> MultiSourcingModel:
        """A model of ``problem`` (1 to 5 suppliers, initial pipelines kept) simulating ``batch_size`` paths.

        Raises
        ------
        TypeError, ValueError
            ``problem`` is not a SourcingProblem or has more than 5 suppliers.
        """
        owner = f"{cls.__name__}.from_problem"
        if not isinstance(problem, SourcingProblem):
            fail("problem", owner, "a SourcingProblem", type(problem).__name__, TypeError)
        if problem.n_suppliers > MAX_SUPPLIERS:
            fail("problem", owner, f"a problem with 1 to {MAX_SUPPLIERS} suppliers", problem.n_suppliers)
        model = cls.__new__(cls)
        BaseSourcingModel.__init__(model, problem.params, problem.init_inventory, problem.demand, batch_size)
        model._init_pipeline = problem.init_pipeline
        model.reset()
        return model

    # ----------------------------------------------------------------- accessors
    @property
    def lead_times(self) -> tuple[int, ...]:
        """[:math:`l_k`] of every supplier."""
        return self.params.lead_times

    def get_lead_time(self, supplier: int) -> int:
        """[:math:`l_k`] of supplier ``supplier``."""
        return self.params.lead_times[self._supplier(supplier)]

    def get_order_cost(self, supplier: int) -> float:
        """[:math:`c_k`] of supplier ``supplier``."""
        return self.params.order_costs[self._supplier(supplier)]

    def _supplier(self, supplier: Any) -> int:
        n = self.params.n_suppliers
        if isinstance(supplier, bool) or not isinstance(supplier, int | np.integer) or not 0 <= supplier < n:
            fail("supplier", self._owner, f"an int in [0, {n - 1}] (a supplier index)", supplier,
                 TypeError if not isinstance(supplier, int | np.integer) else ValueError)
        return int(supplier)

    def get_past_orders(self, supplier: int | None = None) -> torch.Tensor:
        """Orders placed so far, preceded by a 0 row.

        Returns
        -------
        torch.Tensor
            Shape (batch_size, periods + 1, K) for ``supplier=None``; (batch_size,
            periods + 1) for one supplier.
        """
        if supplier is None:
            return self._stacked("ord")
        return self._past_orders(self._supplier(supplier))

    def get_last_orders(self) -> torch.Tensor:
        """Orders of the last period, shape (batch_size, K) (zeros before the first period)."""
        return self._orders[-1]

    # ---------------------------------------------------------------- simulation
    def order(self, q: Any, seed: int | None = None) -> None:
        """Place one order per supplier and advance one period.

        Parameters
        ----------
        q : tensor of shape (B, K), or a list of K numbers or (B,)/(B, 1) tensors
            Order of each supplier, in the order of ``lead_times``.
        seed : int, optional
            Re-seeds the model's own demand generator first (never the global RNG).
        """
        if seed is not None:
            self.seed(seed)
        n = self.params.n_suppliers
        if isinstance(q, torch.Tensor) and q.dim() == 2 and q.shape[1] == n and q.shape[0] in (1, self.batch_size):
            columns = [q[:, k] for k in range(n)]
        elif isinstance(q, np.ndarray) and q.ndim == 2 and q.shape[1] == n:
            columns = [torch.as_tensor(q[:, k], dtype=torch.float32) for k in range(n)]
        elif isinstance(q, Sequence | np.ndarray) and not isinstance(q, str | bytes) and len(q) == n:
            columns = list(q)
        else:
            fail("q", self._owner, f"a (batch_size, {n}) tensor or a list of {n} orders (one per supplier)",
                 getattr(q, "shape", q), TypeError)
        cols = [_as_order_column(c, self.batch_size, "q", self._owner) for c in columns]
        self.step(torch.stack(cols, dim=1))

    def __repr__(self) -> str:
        p = self.params
        extra = ""
        if p.has_fixed_costs:
            extra += f", fixed_order_costs={list(self.get_fixed_order_costs())}"
        if p.has_capacities:
            extra += f", order_capacities={list(self.get_order_capacities())}"
        if p.has_review_periods:
            extra += (f", review_periods={list(self.get_review_periods())}, "
                      f"review_offsets={list(self.get_review_offsets())}")
        return (
            f"MultiSourcingModel(lead_times={list(p.lead_times)}, order_costs={list(p.order_costs)}, "
            f"holding_cost={p.holding_cost}, shortage_cost={p.shortage_cost}, "
            f"demand_generator={self.demand_generator!r}, init_inventory={float(self.init_inventory.item())}, "
            f"batch_size={self.batch_size}{_rule_repr(p)}{extra})"
        )
