r"""Single- and dual-sourcing inventory models: the paper's facades.

A sourcing model is a :class:`~idinn.problem.SourcingProblem` (frozen, pure data:
suppliers, costs, demand model, initial state; read it as ``model.problem``) plus a
batched simulator: a batch of sample paths that advance one period per call of
``order``, the model's own random generator and, for neural training, the initial
inventory as a learnable tensor. The dynamics themselves live in :mod:`idinn.dynamics`;
see ``docs/dynamics.md``. Build a model from a problem with ``from_problem``.

Histories are kept as per-period columns and stacked on request, so simulating
:math:`T` periods costs :math:`O(T)`.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch

from ._validation import check_exact_quantity, check_int, check_seed, fail, is_integral
from .demand import BaseDemand, CustomDemand, UniformDemand  # noqa: F401 - idinn 0.2's pages import the last two from here
from .dynamics import EXCESS_DEMAND_RULES, SourcingParams, advance, period_cost
from .dynamics import check_capacities as check_orders_within_capacities
from .dynamics import check_review_periods
from .problem import SourcingProblem, check_capacity_covers_demand, dual_sourcing_params, single_sourcing_params

__all__ = ["BaseSourcingModel", "SingleSourcingModel", "DualSourcingModel"]


def _as_order_column(q: Any, batch_size: int, name: str, owner: str) -> torch.Tensor:
    if isinstance(q, torch.Tensor):
        t = q
    elif isinstance(q, int | float | np.integer | np.floating) and not isinstance(q, bool):
        t = torch.tensor(float(q))
    else:
        fail(name, owner, "a tensor or a number", q, TypeError)
    t = t.to(torch.float32) if t.dtype != torch.float32 else t
    if t.dim() == 0:
        t = t.expand(batch_size)
    t = t.reshape(-1)
    if t.shape[0] == 1 and batch_size > 1:
        t = t.expand(batch_size)
    if t.shape[0] != batch_size:
        fail(name, owner, f"one order per sample path ({batch_size})", tuple(q.shape), ValueError)
    if bool(torch.isnan(t).any()) or bool((t.detach() < 0).any()):
        fail(name, owner, "non-negative and not NaN", t.detach().tolist()[:8])
    return t


def _check_rule(rule: Any, owner: str) -> str:
    """The excess-demand rule, or the standard error naming the model."""
    if not isinstance(rule, str) or rule not in EXCESS_DEMAND_RULES:
        fail("excess_demand", owner, f"one of {EXCESS_DEMAND_RULES}", rule)
    return rule


class BaseSourcingModel:
    """State shared by the single- and dual-sourcing models (see their docs)."""

    _owner = "BaseSourcingModel"

    def __init__(
        self,
        params: SourcingParams,
        init_inventory: float,
        demand_generator: BaseDemand,
        batch_size: int,
    ) -> None:
        owner = self._owner
        if not isinstance(demand_generator, BaseDemand):
            fail("demand_generator", owner, "a demand model from idinn.demand (e.g. UniformDemand)", demand_generator, TypeError)
        if isinstance(init_inventory, bool) or not isinstance(init_inventory, int | float | np.integer | np.floating):
            fail("init_inventory", owner, "an integer number of units", init_inventory, TypeError)
        if not is_integral(init_inventory):
            fail("init_inventory", owner, "an integer number of units", init_inventory)
        check_exact_quantity(int(init_inventory), "init_inventory", owner)
        check_capacity_covers_demand(params, demand_generator, owner)
        if params.excess_demand == "lost_sales" and init_inventory < 0:
            fail("init_inventory", owner, "an int >= 0 under lost sales (on-hand stock)", init_inventory)
        self.params = params
        self.demand_generator = demand_generator
        self._init_pipeline: tuple[int, ...] = ()
        self.batch_size = check_int(batch_size, "batch_size", owner, minimum=1)
        #: Learnable initial inventory :math:`I_0` (neural ``fit`` tunes it); read it
        #: with :meth:`get_init_inventory`, which rounds down through a straight-through
        #: estimator.
        self.init_inventory = torch.tensor([float(init_inventory)], requires_grad=True)
        self.generator = torch.Generator()
        self.generator.seed()
        self.reset()

    # ----------------------------------------------------------------- parameters
    @property
    def excess_demand(self) -> str:
        """The excess-demand rule: ``"backlog"`` or ``"lost_sales"``."""
        return self.params.excess_demand

    def get_holding_cost(self) -> float:
        return self.params.holding_cost

    def get_shortage_cost(self) -> float:
        return self.params.shortage_cost

    @property
    def n_suppliers(self) -> int:
        """Number of suppliers :math:`K`."""
        return self.params.n_suppliers

    def get_lead_times(self) -> tuple[int, ...]:
        """[:math:`l_k`] of every supplier, in the order of the state layout."""
        return self.params.lead_times

    def get_order_costs(self) -> tuple[float, ...]:
        """[:math:`c_k`] of every supplier."""
        return self.params.order_costs

    def get_fixed_order_costs(self) -> tuple[float, ...]:
        """[:math:`K_k`] of every supplier (0.0 when unset)."""
        return tuple(self.params.fixed_order_cost(k) for k in range(self.params.n_suppliers))

    def get_order_capacities(self) -> tuple[int | None, ...]:
        """[:math:`u_k`] of every supplier (``None``: uncapped)."""
        return tuple(self.params.order_capacity(k) for k in range(self.params.n_suppliers))

    def get_review_periods(self) -> tuple[int, ...]:
        """[:math:`R_k`] of every supplier (1: every period)."""
        return tuple(self.params.review_period(k) for k in range(self.params.n_suppliers))

    def get_review_offsets(self) -> tuple[int, ...]:
        """[:math:`o_k`] of every supplier (0 when unset)."""
        return tuple(self.params.review_offset(k) for k in range(self.params.n_suppliers))

    @property
    def problem(self) -> SourcingProblem:
        """The model's :class:`~idinn.problem.SourcingProblem` (pure data, no torch state).

        The initial inventory is read as the integer :meth:`get_init_inventory` gives now.
        """
        init = int(self.get_init_inventory().detach().item())
        return SourcingProblem(
            params=self.params, demand=self.demand_generator, init_inventory=init, init_pipeline=self._init_pipeline
        )

    @classmethod
    def from_problem(cls, problem: SourcingProblem, batch_size: int = 1) -> BaseSourcingModel:
        """A model of ``problem`` simulating ``batch_size`` paths.

        ``SingleSourcingModel.from_problem`` needs one supplier,
        ``DualSourcingModel.from_problem`` two (regular first) and
        ``MultiSourcingModel.from_problem`` 1 to 5; ``BaseSourcingModel`` picks the class by
        the number of suppliers (three or more: ``MultiSourcingModel``).

        Raises
        ------
        TypeError, ValueError
            ``problem`` is not a SourcingProblem or has the wrong number of suppliers.
        """
        if not isinstance(problem, SourcingProblem):
            fail("problem", f"{cls.__name__}.from_problem", "a SourcingProblem", type(problem).__name__, TypeError)
        target: type[BaseSourcingModel] = cls
        if cls is BaseSourcingModel and problem.n_suppliers > 2:
            from .multi_sourcing_model import MultiSourcingModel

            return MultiSourcingModel.from_problem(problem, batch_size)
        if cls is BaseSourcingModel:
            target = {1: SingleSourcingModel, 2: DualSourcingModel}.get(problem.n_suppliers, cls)
        n = {SingleSourcingModel: 1, DualSourcingModel: 2}.get(target)  # type: ignore[call-overload]
        if n is None or problem.n_suppliers != n or not issubclass(target, (SingleSourcingModel, DualSourcingModel)):
            fail("problem", f"{cls.__name__}.from_problem", f"a problem with {n or '1 or 2'} supplier(s)",
                 problem.n_suppliers)
        model = target.__new__(target)
        BaseSourcingModel.__init__(model, problem.params, problem.init_inventory, problem.demand, batch_size)
        model._init_pipeline = problem.init_pipeline
        model.reset()
        return model

    def simulation_copy(self, batch_size: int | None = None) -> BaseSourcingModel:
        """A copy for side simulations: same problem and learnable initial inventory, own
        paths and own generator (seeded from this model's generator, which advances by
        one draw); this model's paths and batch size are left as they are."""
        new = copy.copy(self)
        new.generator = torch.Generator()
        new.generator.manual_seed(int(torch.randint(0, 2**62, (1,), generator=self.generator).item()))
        new.reset(batch_size=batch_size)
        return new

    def get_init_inventory(self) -> torch.Tensor:
        """Integer initial inventory (floor, with a straight-through gradient)."""
        x = self.init_inventory
        return x - (x - torch.floor(x)).detach()

    # ---------------------------------------------------------------- simulation
    def seed(self, seed: int | None) -> None:
        """Re-seed the model's own demand generator (``None``: fresh entropy)."""
        seed = check_seed(seed, "seed", self._owner)
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(seed)

    def reset(self, batch_size: int | None = None, seed: int | None = None) -> None:
        """Start ``batch_size`` fresh sample paths at the initial state.

        The initial state is :math:`I_0` = ``init_inventory`` with the problem's initial
        pipelines (empty unless the model was built by ``from_problem``).
        """
        if batch_size is not None:
            self.batch_size = check_int(batch_size, "batch_size", self._owner, minimum=1)
        if seed is not None:
            self.seed(seed)
        b = self.batch_size
        inv0 = self.get_init_inventory().reshape(1, 1).expand(b, 1)
        pipes = torch.zeros(b, self.params.state_dim - 1)
        if self._init_pipeline:
            pipes[:] = torch.tensor(self._init_pipeline, dtype=torch.float32)
        self._state = torch.cat([inv0, pipes], dim=1)
        self._inventories: list[torch.Tensor] = [self._state[:, 0]]
        self._orders: list[torch.Tensor] = [torch.zeros(b, self.params.n_suppliers)]
        self._demands: list[torch.Tensor] = [torch.zeros(b)]
        self._last_cost = torch.zeros(b)
        self._cache: dict[str, torch.Tensor] = {}
        self._periods = 0

    def get_state(self) -> torch.Tensor:
        """Current state rows ``[I_t, pipelines]``, shape (batch_size, state_dim)."""
        return self._state

    def step(self, orders: torch.Tensor, demand: torch.Tensor | None = None, record: bool = True) -> torch.Tensor:
        """Advance every path one period with ``orders`` (B, n_suppliers).

        Orders above a supplier's capacity, or positive orders to a supplier outside its
        review periods (:meth:`~idinn.dynamics.SourcingParams.may_order` of the period
        :attr:`periods`, counted from 0 at the last :meth:`reset`), are refused with a
        ``ValueError`` (:func:`idinn.dynamics.check_review_periods`; never clipped or zeroed).
        ``demand`` (B,) is drawn from the demand model with the model's generator when
        omitted. ``record=False`` keeps only the last period in the histories (bounded
        memory for long evaluations). Returns the period's cost per path, shape (B,).
        """
        if demand is None:
            demand = self.demand_generator.sample_periods(
                self.batch_size, 1, self.generator, start_period=self._periods
            )[:, 0]
        check_orders_within_capacities(orders, self.params, self._owner, "orders")
        check_review_periods(orders, self.params, self._periods, self._owner, "orders")
        nxt, net = advance(self._state, orders, demand, self.params)
        cost = period_cost(net, orders, self.params)
        self._state = nxt
        if not record:
            self._inventories.clear()
            self._orders.clear()
            self._demands.clear()
        self._inventories.append(nxt[:, 0])
        self._orders.append(orders)
        self._demands.append(demand)
        self._last_cost = cost
        self._cache.clear()
        self._periods += 1
        return cost

    @property
    def periods(self) -> int:
        """Number of periods simulated since the last :meth:`reset`."""
        return self._periods

    def _stacked(self, key: str) -> torch.Tensor:
        if key not in self._cache:
            if key == "inv":
                self._cache[key] = torch.stack(self._inventories, dim=1)
            elif key == "dem":
                self._cache[key] = torch.stack(self._demands, dim=1)
            else:
                self._cache[key] = torch.stack(self._orders, dim=1)
        return self._cache[key]

    def get_current_inventory(self) -> torch.Tensor:
        """Net inventory :math:`I_t`, shape (batch_size, 1)."""
        return self._state[:, :1]

    def get_past_inventories(self) -> torch.Tensor:
        """:math:`I_0, \\dots, I_t`, shape (batch_size, periods + 1)."""
        return self._stacked("inv")

    def get_past_demands(self) -> torch.Tensor:
        """0 (placeholder for period -1), :math:`D_0, \\dots, D_{t-1}`; shape (batch_size, periods + 1)."""
        return self._stacked("dem")

    def get_last_cost(self) -> torch.Tensor:
        """Cost of the last simulated period per path, shape (batch_size, 1)."""
        return self._last_cost[:, None]

    def _past_orders(self, k: int) -> torch.Tensor:
        return self._stacked("ord")[:, :, k]


def _rule_repr(p: SourcingParams) -> str:
    return "" if p.excess_demand == "backlog" else f", excess_demand={p.excess_demand!r}"


class SingleSourcingModel(BaseSourcingModel):
    r"""Single-sourcing backlog inventory system.

    Parameters
    ----------
    lead_time : int
        Periods between placing and receiving an order, >= 0 [:math:`l`].
    holding_cost : float
        Cost per unit of end-of-period inventory, >= 0 [:math:`h`].
    shortage_cost : float
        Cost per unit of end-of-period backlog, >= 0 [:math:`b`].
    init_inventory : int
        Initial net inventory [:math:`I_0`]; the pipeline starts empty.
    demand_generator : BaseDemand
        Demand model [:math:`D_t`].
    batch_size : int, default=1
        Number of sample paths simulated together.
    order_cost : float, default=0
        Cost per unit ordered [:math:`c`].
    excess_demand : {"backlog", "lost_sales"}, default="backlog"
        Unmet demand is backlogged, or lost at ``shortage_cost`` per unit (Zipkin 2008;
        see docs/dynamics.md). Under lost sales the inventory is the on-hand stock.
    fixed_order_cost : float, default=0
        Cost per order placed (charged in each period with an order > 0) [:math:`K`].
    order_capacity : int or None, default=None
        Largest order per period [:math:`u`, units]; ``None``: uncapped.
    review_period : int, default=1
        Orders may be placed only every :math:`R` periods [:math:`R \ge 1`] ...
    review_offset : int, default=0
        ... in the periods :math:`t` with :math:`(t - o) \bmod R = 0` [:math:`0 \le o < R`];
        :math:`t` counts from 0 at the start of each simulation (docs/review_periods.md).

    Examples
    --------
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> from idinn.demand import UniformDemand
    >>> m = SingleSourcingModel(lead_time=0, holding_cost=5, shortage_cost=495,
    ...                         init_inventory=10, demand_generator=UniformDemand(0, 4))
    >>> m.get_lead_time()
    0
    """

    _owner = "SingleSourcingModel"

    def __init__(
        self,
        lead_time: int,
        holding_cost: float,
        shortage_cost: float,
        init_inventory: float,
        demand_generator: BaseDemand,
        batch_size: int = 1,
        order_cost: float = 0.0,
        *,
        excess_demand: str = "backlog",
        fixed_order_cost: float = 0.0,
        order_capacity: int | None = None,
        review_period: int = 1,
        review_offset: int = 0,
    ) -> None:
        o = self._owner
        params = single_sourcing_params(
            o, lead_time=lead_time, order_cost=order_cost, holding_cost=holding_cost, shortage_cost=shortage_cost,
            fixed_order_cost=fixed_order_cost, order_capacity=order_capacity,
            excess_demand=_check_rule(excess_demand, o), review_period=review_period, review_offset=review_offset,
        )
        super().__init__(params, init_inventory, demand_generator, batch_size)

    @property
    def lead_time(self) -> int:
        return self.params.lead_times[0]

    def get_lead_time(self) -> int:
        return self.params.lead_times[0]

    def get_order_cost(self) -> float:
        return self.params.order_costs[0]

    def get_fixed_order_cost(self) -> float:
        """[:math:`K`], cost per order placed."""
        return self.params.fixed_order_cost(0)

    def get_order_capacity(self) -> int | None:
        """[:math:`u`], largest order per period (``None``: uncapped)."""
        return self.params.order_capacity(0)

    def get_past_orders(self) -> torch.Tensor:
        """Orders placed so far, preceded by a 0 column; shape (batch_size, periods + 1)."""
        return self._past_orders(0)

    def order(self, q: Any, seed: int | None = None) -> None:
        """Place order ``q`` (shape (B, 1), (B,) or a number) and advance one period.

        ``seed`` re-seeds the model's own demand generator first (never the global RNG).
        """
        if seed is not None:
            self.seed(seed)
        col = _as_order_column(q, self.batch_size, "q", self._owner)
        self.step(col[:, None])

    def __repr__(self) -> str:
        p = self.params
        return (
            f"SingleSourcingModel(lead_time={self.lead_time}, holding_cost={p.holding_cost}, "
            f"shortage_cost={p.shortage_cost}, init_inventory={float(self.init_inventory.item())}, "
            f"demand_generator={self.demand_generator!r}, batch_size={self.batch_size}{_rule_repr(p)})"
        )


class DualSourcingModel(BaseSourcingModel):
    r"""Dual-sourcing backlog inventory system: a slow regular and a fast expedited supplier.

    Parameters
    ----------
    regular_lead_time : int
        Lead time of the regular supplier, >= 0 [:math:`l_r`].
    expedited_lead_time : int
        Lead time of the expedited supplier, 0 <= :math:`l_e` <= :math:`l_r`.
    regular_order_cost : float
        Unit cost of a regular order, >= 0 [:math:`c_r`].
    expedited_order_cost : float
        Unit cost of an expedited order, >= 0 [:math:`c_e`].
    holding_cost : float
        [:math:`h`], >= 0.
    shortage_cost : float
        [:math:`b`], >= 0.
    init_inventory : int
        Initial net inventory [:math:`I_0`]; both pipelines start empty.
    demand_generator : BaseDemand
    batch_size : int, default=1
    excess_demand : {"backlog", "lost_sales"}, default="backlog"
        Unmet demand is backlogged, or lost at ``shortage_cost`` per unit.
    regular_fixed_order_cost, expedited_fixed_order_cost : float, default=0
        Cost per order placed with each supplier [:math:`K_r`], [:math:`K_e`] (keyword only).
    regular_order_capacity, expedited_order_capacity : int or None, default=None
        Largest order per period from each supplier [:math:`u_r`], [:math:`u_e`];
        ``None``: uncapped (keyword only).
    regular_review_period, expedited_review_period : int, default=1
        Each supplier may be ordered from only every :math:`R_r` (:math:`R_e`) periods ...
    regular_review_offset, expedited_review_offset : int, default=0
        ... in the periods :math:`t` with :math:`(t - o_r) \bmod R_r = 0` (keyword only;
        :math:`t` counts from 0 at the start of each simulation; docs/review_periods.md).
    """

    _owner = "DualSourcingModel"

    def __init__(
        self,
        regular_lead_time: int,
        expedited_lead_time: int,
        regular_order_cost: float,
        expedited_order_cost: float,
        holding_cost: float,
        shortage_cost: float,
        init_inventory: float,
        demand_generator: BaseDemand,
        batch_size: int = 1,
        *,
        excess_demand: str = "backlog",
        regular_fixed_order_cost: float = 0.0,
        expedited_fixed_order_cost: float = 0.0,
        regular_order_capacity: int | None = None,
        expedited_order_capacity: int | None = None,
        regular_review_period: int = 1,
        regular_review_offset: int = 0,
        expedited_review_period: int = 1,
        expedited_review_offset: int = 0,
    ) -> None:
        o = self._owner
        params = dual_sourcing_params(
            o, regular_lead_time=regular_lead_time, expedited_lead_time=expedited_lead_time,
            regular_order_cost=regular_order_cost, expedited_order_cost=expedited_order_cost,
            holding_cost=holding_cost, shortage_cost=shortage_cost,
            regular_fixed_order_cost=regular_fixed_order_cost, expedited_fixed_order_cost=expedited_fixed_order_cost,
            regular_order_capacity=regular_order_capacity, expedited_order_capacity=expedited_order_capacity,
            excess_demand=_check_rule(excess_demand, o), regular_review_period=regular_review_period,
            regular_review_offset=regular_review_offset, expedited_review_period=expedited_review_period,
            expedited_review_offset=expedited_review_offset,
        )
        super().__init__(params, init_inventory, demand_generator, batch_size)

    @property
    def regular_lead_time(self) -> int:
        return self.params.lead_times[0]

    @property
    def expedited_lead_time(self) -> int:
        return self.params.lead_times[1]

    def get_regular_lead_time(self) -> int:
        return self.params.lead_times[0]

    def get_expedited_lead_time(self) -> int:
        return self.params.lead_times[1]

    def get_regular_order_cost(self) -> float:
        return self.params.order_costs[0]

    def get_expedited_order_cost(self) -> float:
        return self.params.order_costs[1]

    def get_regular_fixed_order_cost(self) -> float:
        return self.params.fixed_order_cost(0)

    def get_expedited_fixed_order_cost(self) -> float:
        return self.params.fixed_order_cost(1)

    def get_regular_order_capacity(self) -> int | None:
        return self.params.order_capacity(0)

    def get_expedited_order_capacity(self) -> int | None:
        return self.params.order_capacity(1)

    def get_past_regular_orders(self) -> torch.Tensor:
        """Regular orders placed so far, preceded by a 0 column; (batch_size, periods + 1)."""
        return self._past_orders(0)

    def get_past_expedited_orders(self) -> torch.Tensor:
        """Expedited orders placed so far, preceded by a 0 column; (batch_size, periods + 1)."""
        return self._past_orders(1)

    def get_last_regular_order(self) -> torch.Tensor:
        return self._orders[-1][:, :1]

    def get_last_expedited_order(self) -> torch.Tensor:
        return self._orders[-1][:, 1:2]

    def order(self, regular_q: Any, expedited_q: Any, seed: int | None = None) -> None:
        """Place a regular and an expedited order and advance one period."""
        if seed is not None:
            self.seed(seed)
        r = _as_order_column(regular_q, self.batch_size, "regular_q", self._owner)
        e = _as_order_column(expedited_q, self.batch_size, "expedited_q", self._owner)
        self.step(torch.stack([r, e], dim=1))

    def __repr__(self) -> str:
        p = self.params
        return (
            f"DualSourcingModel(regular_lead_time={self.regular_lead_time}, "
            f"expedited_lead_time={self.expedited_lead_time}, regular_order_cost={p.order_costs[0]}, "
            f"expedited_order_cost={p.order_costs[1]}, holding_cost={p.holding_cost}, "
            f"shortage_cost={p.shortage_cost}, init_inventory={float(self.init_inventory.item())}, "
            f"demand_generator={self.demand_generator!r}, batch_size={self.batch_size}{_rule_repr(p)})"
        )

