r"""The problem specification: pure, frozen data describing one inventory system.

A :class:`SourcingProblem` holds everything that defines an inventory-control problem and
nothing else: the suppliers and costs (:class:`~idinn.dynamics.SourcingParams`), the demand
model and the initial state. It holds no torch state, no random generator and no
simulated paths, so it can be compared, hashed into tables (a portfolio row), written to
a plain dict (TOML/JSON) and handed to exact solvers that run on numpy alone.

The paper's :class:`~idinn.sourcing_model.SingleSourcingModel` and
:class:`~idinn.sourcing_model.DualSourcingModel` are thin facades over a problem plus a
batched simulator; :func:`as_problem` accepts either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._validation import check_cost, check_exact_quantity, check_int, fail, is_integral
from .demand import BaseDemand, demand_from_dict
from .dynamics import SourcingParams

__all__ = ["SourcingProblem", "as_problem", "MAX_SUPPLIERS"]

_OWNER = "SourcingProblem"


@dataclass(frozen=True)
class SourcingProblem:
    r"""One inventory system: suppliers, costs, demand and initial state.

    Parameters
    ----------
    params : SourcingParams
        Lead times :math:`l_k`, unit order costs :math:`c_k`, holding cost :math:`h`,
        shortage cost :math:`b` and the excess-demand rule.
    demand : BaseDemand
        Demand model :math:`D_t` (see :mod:`idinn.demand`).
    init_inventory : int, default=0
        Initial net inventory :math:`I_0` (units; negative = backlog), at most
        :math:`2^{24}` in absolute value (the simulator's float32 holds integers exactly
        only that far).
    init_pipeline : tuple of int, default=()
        Initial outstanding orders in the state layout of :mod:`idinn.dynamics`
        (each supplier's pipeline, oldest first, suppliers in order); empty means all
        pipelines start empty. Length ``params.state_dim - 1`` otherwise.

    Raises
    ------
    TypeError, ValueError
        With the project's wording, naming the parameter, the rule and the value.

    Examples
    --------
    >>> from idinn.problem import SourcingProblem
    >>> from idinn.demand import UniformDemand
    >>> p = SourcingProblem.single(lead_time=0, holding_cost=5, shortage_cost=495,
    ...                            demand=UniformDemand(0, 4), init_inventory=10)
    >>> p.init_state.tolist()
    [10]
    """

    params: SourcingParams
    demand: BaseDemand
    init_inventory: int = 0
    init_pipeline: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.params, SourcingParams):
            fail("params", _OWNER, "a SourcingParams", type(self.params).__name__, TypeError)
        if not isinstance(self.demand, BaseDemand):
            fail("demand", _OWNER, "a demand model from idinn.demand (e.g. UniformDemand)", self.demand, TypeError)
        if isinstance(self.init_inventory, bool) or not is_integral(self.init_inventory):
            fail("init_inventory", _OWNER, "an integer number of units", self.init_inventory, TypeError)
        object.__setattr__(self, "init_inventory", check_exact_quantity(int(self.init_inventory), "init_inventory", _OWNER))
        if self.params.excess_demand == "lost_sales" and self.init_inventory < 0:
            fail("init_inventory", _OWNER, "an int >= 0 under lost sales (on-hand stock)", self.init_inventory)
        if isinstance(self.init_pipeline, str | bytes) or not hasattr(self.init_pipeline, "__iter__"):
            fail("init_pipeline", _OWNER, "a tuple of ints", self.init_pipeline, TypeError)
        pipe = tuple(self.init_pipeline)
        if pipe and len(pipe) != self.params.state_dim - 1:
            fail("init_pipeline", _OWNER, f"empty or of length {self.params.state_dim - 1} (sum of lead times)", pipe)
        pipe = tuple(check_int(q, "init_pipeline", _OWNER, minimum=0) for q in pipe)
        for q in pipe:
            check_exact_quantity(q, "init_pipeline", _OWNER)
        object.__setattr__(self, "init_pipeline", pipe)
        check_capacity_covers_demand(self.params, self.demand)

    # ------------------------------------------------------------- constructors
    @classmethod
    def single(
        cls,
        *,
        lead_time: int,
        holding_cost: float,
        shortage_cost: float,
        demand: BaseDemand,
        init_inventory: int = 0,
        order_cost: float = 0.0,
        fixed_order_cost: float = 0.0,
        order_capacity: int | None = None,
        excess_demand: str = "backlog",
        review_period: int = 1,
        review_offset: int = 0,
    ) -> SourcingProblem:
        """Single-sourcing problem (the paper's ``SingleSourcingModel`` parameters, plus the
        fixed order cost :math:`K`, the order capacity :math:`u` and the review period
        :math:`R` with offset :math:`o`: orders only in periods :math:`t` with
        :math:`(t - o) \\bmod R = 0`)."""
        params = single_sourcing_params(
            _OWNER, lead_time=lead_time, order_cost=order_cost, holding_cost=holding_cost,
            shortage_cost=shortage_cost, fixed_order_cost=fixed_order_cost, order_capacity=order_capacity,
            excess_demand=excess_demand, review_period=review_period, review_offset=review_offset,
        )
        return cls(params=params, demand=demand, init_inventory=init_inventory)

    @classmethod
    def dual(
        cls,
        *,
        regular_lead_time: int,
        expedited_lead_time: int,
        regular_order_cost: float,
        expedited_order_cost: float,
        holding_cost: float,
        shortage_cost: float,
        demand: BaseDemand,
        init_inventory: int = 0,
        regular_fixed_order_cost: float = 0.0,
        expedited_fixed_order_cost: float = 0.0,
        regular_order_capacity: int | None = None,
        expedited_order_capacity: int | None = None,
        excess_demand: str = "backlog",
        regular_review_period: int = 1,
        regular_review_offset: int = 0,
        expedited_review_period: int = 1,
        expedited_review_offset: int = 0,
    ) -> SourcingProblem:
        """Dual-sourcing problem (the paper's ``DualSourcingModel`` parameters, plus fixed
        order costs :math:`K_r, K_e`, order capacities :math:`u_r, u_e` and review periods
        :math:`R_r, R_e` with offsets :math:`o_r, o_e`)."""
        params = dual_sourcing_params(
            _OWNER, regular_lead_time=regular_lead_time, expedited_lead_time=expedited_lead_time,
            regular_order_cost=regular_order_cost, expedited_order_cost=expedited_order_cost,
            holding_cost=holding_cost, shortage_cost=shortage_cost,
            regular_fixed_order_cost=regular_fixed_order_cost, expedited_fixed_order_cost=expedited_fixed_order_cost,
            regular_order_capacity=regular_order_capacity, expedited_order_capacity=expedited_order_capacity,
            excess_demand=excess_demand, regular_review_period=regular_review_period,
            regular_review_offset=regular_review_offset, expedited_review_period=expedited_review_period,
            expedited_review_offset=expedited_review_offset,
        )
        return cls(params=params, demand=demand, init_inventory=init_inventory)

    @classmethod
    def multi(
        cls,
        *,
        lead_times: Sequence[int],
        order_costs: Sequence[float],
        holding_cost: float,
        shortage_cost: float,
        demand: BaseDemand,
        init_inventory: int = 0,
        excess_demand: str = "backlog",
        fixed_order_costs: Sequence[float] | None = None,
        order_capacities: Sequence[int | None] | None = None,
        review_periods: Sequence[int] | None = None,
        review_offsets: Sequence[int] | None = None,
    ) -> SourcingProblem:
        """Problem with :math:`K \\le` :data:`MAX_SUPPLIERS` suppliers in the order given (the
        parameters of :class:`~idinn.multi_sourcing_model.MultiSourcingModel`; with two
        suppliers, supplier 0 is the regular one as in :meth:`dual`).

        Raises
        ------
        TypeError, ValueError
            More than :data:`MAX_SUPPLIERS` suppliers, lists of different lengths, or a
            value :class:`~idinn.dynamics.SourcingParams` refuses.
        """
        params = multi_sourcing_params(
            _OWNER, lead_times=lead_times, order_costs=order_costs, holding_cost=holding_cost,
            shortage_cost=shortage_cost, excess_demand=excess_demand, fixed_order_costs=fixed_order_costs,
            order_capacities=order_capacities, review_periods=review_periods, review_offsets=review_offsets,
        )
        return cls(params=params, demand=demand, init_inventory=init_inventory)

    # --------------------------------------------------------------- derived
    @property
    def n_suppliers(self) -> int:
        """Number of suppliers :math:`K`."""
        return self.params.n_suppliers

    @property
    def state_dim(self) -> int:
        """Length :math:`1 + \\sum_k l_k` of a state row."""
        return self.params.state_dim

    @property
    def init_state(self) -> np.ndarray:
        """Initial state row ``[I_0, pipelines]``, int64, shape (state_dim,)."""
        s = np.zeros(self.params.state_dim, dtype=np.int64)
        s[0] = self.init_inventory
        if self.init_pipeline:
            s[1:] = self.init_pipeline
        return s

    # ------------------------------------------------------------ plain data
    def to_dict(self) -> dict[str, Any]:
        """The problem as a plain dict (JSON/TOML-able); :meth:`from_dict` rebuilds it.

        Layout::

            {"suppliers": [{"lead_time": 2, "order_cost": 100.0}, ...],  # regular first
             # optional per supplier: "fixed_order_cost": 64.0, "capacity": 10,
             #   "review_period": 7, "review_offset": 0
             "holding_cost": 5.0, "shortage_cost": 495.0, "excess_demand": "backlog",
             "demand": {"type": "uniform", "low": 0, "high": 4},
             "init_inventory": 0, "init_pipeline": []}

        ``init_pipeline`` is empty when every pipeline starts empty; ``fixed_order_cost``,
        ``capacity`` and ``review_period``/``review_offset`` are written only for suppliers
        that have them.
        """
        p = self.params
        suppliers: list[dict[str, Any]] = []
        for k, (lt, c) in enumerate(zip(p.lead_times, p.order_costs)):
            sup: dict[str, Any] = {"lead_time": lt, "order_cost": c}
            if p.fixed_order_cost(k) != 0:
                sup["fixed_order_cost"] = p.fixed_order_cost(k)
            if p.order_capacity(k) is not None:
                sup["capacity"] = p.order_capacity(k)
            if p.has_review_periods:
                sup["review_period"] = p.review_period(k)
                sup["review_offset"] = p.review_offset(k)
            suppliers.append(sup)
        return {
            "suppliers": suppliers,
            "holding_cost": p.holding_cost,
            "shortage_cost": p.shortage_cost,
            "excess_demand": p.excess_demand,
            "demand": self.demand.to_dict(),
            "init_inventory": self.init_inventory,
            "init_pipeline": list(self.init_pipeline),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SourcingProblem:
        """Rebuild a problem from :meth:`to_dict` (or a hand-written dict of that layout).

        ``excess_demand``, ``init_inventory``, ``init_pipeline`` and each supplier's
        ``order_cost``, ``fixed_order_cost``, ``capacity``, ``review_period`` and
        ``review_offset`` may be left out (defaults ``"backlog"``, 0, empty, 0.0, 0.0,
        uncapped, 1, 0).

        Raises
        ------
        TypeError, ValueError
            A missing or unknown key (named), or a value the problem refuses.
        """
        owner = "SourcingProblem.from_dict"
        _check_mapping(d, "d", owner, required=("suppliers", "holding_cost", "shortage_cost", "demand"),
                       optional=("excess_demand", "init_inventory", "init_pipeline"))
        sups = d["suppliers"]
        if isinstance(sups, str | bytes | Mapping) or not isinstance(sups, Sequence) or len(sups) == 0:
            fail("suppliers", owner, "a non-empty list of {'lead_time': int, 'order_cost': float}", sups, TypeError)
        for s in sups:
            _check_mapping(s, "suppliers", owner, required=("lead_time",),
                           optional=("order_cost", "fixed_order_cost", "capacity", "review_period",
                                     "review_offset"))
        params = SourcingParams(
            lead_times=tuple(check_int(s["lead_time"], "lead_time", owner, minimum=0) for s in sups),
            order_costs=tuple(check_cost(s.get("order_cost", 0.0), "order_cost", owner) for s in sups),
            holding_cost=check_cost(d["holding_cost"], "holding_cost", owner),
            shortage_cost=check_cost(d["shortage_cost"], "shortage_cost", owner),
            excess_demand=d.get("excess_demand", "backlog"),
            fixed_order_costs=tuple(check_cost(s.get("fixed_order_cost", 0.0), "fixed_order_cost", owner)
                                    for s in sups),
            order_capacities=tuple(capacity_value(s.get("capacity"), "capacity", owner) for s in sups),
            review_periods=tuple(check_int(s.get("review_period", 1), "review_period", owner, minimum=1)
                                 for s in sups),
            review_offsets=tuple(check_int(s.get("review_offset", 0), "review_offset", owner, minimum=0)
                                 for s in sups),
        )
        demand = d["demand"]
        if not isinstance(demand, BaseDemand):
            demand = demand_from_dict(demand)
        return cls(params=params, demand=demand, init_inventory=d.get("init_inventory", 0),
                   init_pipeline=tuple(d.get("init_pipeline", ())))

    def replace(self, **changes: Any) -> SourcingProblem:
        """A copy with some fields changed (``dataclasses.replace``)."""
        import dataclasses

        return dataclasses.replace(self, **changes)


def capacity_value(value: Any, name: str, owner: str) -> int | None:
    """An order capacity: ``None`` (uncapped) or an int >= 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not is_integral(value) or isinstance(value, float):
        fail(name, owner, "None (uncapped) or an int >= 1", value, TypeError)
    return check_int(value, name, owner, minimum=1)



def single_sourcing_params(
    owner: str,
    *,
    lead_time: int,
    order_cost: float,
    holding_cost: float,
    shortage_cost: float,
    fixed_order_cost: float,
    order_capacity: int | None,
    excess_demand: str,
    review_period: int = 1,
    review_offset: int = 0,
) -> SourcingParams:
    """Checked :class:`SourcingParams` of a single-sourcing problem, errors naming ``owner``.

    Shared by :meth:`SourcingProblem.single` and ``SingleSourcingModel``.
    """
    return SourcingParams(
        lead_times=(check_int(lead_time, "lead_time", owner, minimum=0),),
        order_costs=(check_cost(order_cost, "order_cost", owner),),
        holding_cost=check_cost(holding_cost, "holding_cost", owner),
        shortage_cost=check_cost(shortage_cost, "shortage_cost", owner),
        fixed_order_costs=(check_cost(fixed_order_cost, "fixed_order_cost", owner),),
        order_capacities=(capacity_value(order_capacity, "order_capacity", owner),),
        excess_demand=excess_demand,
        **_review_fields(owner, (review_period, "review_period"), (review_offset, "review_offset")),
    )


def dual_sourcing_params(
    owner: str,
    *,
    regular_lead_time: int,
    expedited_lead_time: int,
    regular_order_cost: float,
    expedited_order_cost: float,
    holding_cost: float,
    shortage_cost: float,
    regular_fixed_order_cost: float,
    expedited_fixed_order_cost: float,
    regular_order_capacity: int | None,
    expedited_order_capacity: int | None,
    excess_demand: str,
    regular_review_period: int = 1,
    regular_review_offset: int = 0,
    expedited_review_period: int = 1,
    expedited_review_offset: int = 0,
) -> SourcingParams:
    """Checked :class:`SourcingParams` of a dual-sourcing problem (:math:`l_e \\le l_r`), errors
    naming ``owner``. Shared by :meth:`SourcingProblem.dual` and ``DualSourcingModel``.
    """
    lr = check_int(regular_lead_time, "regular_lead_time", owner, minimum=0)
    le = check_int(expedited_lead_time, "expedited_lead_time", owner, minimum=0)
    if le > lr:
        fail("expedited_lead_time", owner, f"an int <= regular_lead_time ({lr})", le)
    return SourcingParams(
        lead_times=(lr, le),
        order_costs=(
            check_cost(regular_order_cost, "regular_order_cost", owner),
            check_cost(expedited_order_cost, "expedited_order_cost", owner),
        ),
        holding_cost=check_cost(holding_cost, "holding_cost", owner),
        shortage_cost=check_cost(shortage_cost, "shortage_cost", owner),
        fixed_order_costs=(
            check_cost(regular_fixed_order_cost, "regular_fixed_order_cost", owner),
            check_cost(expedited_fixed_order_cost, "expedited_fixed_order_cost", owner),
        ),
        order_capacities=(
            capacity_value(regular_order_capacity, "regular_order_capacity", owner),
            capacity_value(expedited_order_capacity, "expedited_order_capacity", owner),
        ),
        excess_demand=excess_demand,
        **_review_fields(
            owner, (regular_review_period, "regular_review_period"), (regular_review_offset, "regular_review_offset"),
            (expedited_review_period, "expedited_review_period"), (expedited_review_offset, "expedited_review_offset"),
        ),
    )


def _review_fields(owner: str, *pairs: tuple[Any, str]) -> dict[str, tuple[int, ...]]:
    """``review_periods``/``review_offsets`` of :class:`SourcingParams` from per-supplier
    (value, name) pairs given as R_0, o_0, R_1, o_1, ...; errors name each parameter."""
    periods, offsets = [], []
    for (r, r_name), (o, o_name) in zip(pairs[0::2], pairs[1::2]):
        r = check_int(r, r_name, owner, minimum=1)
        o = check_int(o, o_name, owner, minimum=0)
        if o >= r:
            fail(o_name, owner, f"an int in [0, {r_name}) = [0, {r})", o)
        periods.append(r)
        offsets.append(o)
    return {"review_periods": tuple(periods), "review_offsets": tuple(offsets)}


#: Most suppliers a multi-sourcing problem may have (:meth:`SourcingProblem.multi`,
#: :class:`~idinn.multi_sourcing_model.MultiSourcingModel`).
MAX_SUPPLIERS = 5


def _per_supplier(value: Any, name: str, owner: str, n: int) -> tuple[Any, ...] | None:
    """A per-supplier list as a tuple of length ``n`` (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence | np.ndarray):
        fail(name, owner, f"None or a list with one entry per supplier ({n})", value, TypeError)
    items = tuple(value.tolist() if isinstance(value, np.ndarray) else value)
    if len(items) != n:
        fail(name, owner, f"None or a list with one entry per supplier ({n})", list(items))
    return items


def multi_sourcing_params(
    owner: str,
    *,
    lead_times: Sequence[int],
    order_costs: Sequence[float],
    holding_cost: float,
    shortage_cost: float,
    excess_demand: str = "backlog",
    fixed_order_costs: Sequence[float] | None = None,
    order_capacities: Sequence[int | None] | None = None,
    review_periods: Sequence[int] | None = None,
    review_offsets: Sequence[int] | None = None,
) -> SourcingParams:
    """Checked :class:`SourcingParams` of a problem with 1 to :data:`MAX_SUPPLIERS` suppliers in
    the order given, errors naming ``owner``. Shared by :meth:`SourcingProblem.multi` and
    ``MultiSourcingModel``. ``None`` per-supplier lists mean: no fixed costs, uncapped,
    every supplier every period, offsets 0.
    """
    if isinstance(lead_times, str | bytes | Mapping) or not isinstance(lead_times, Sequence | np.ndarray):
        fail("lead_times", owner, f"a list of 1 to {MAX_SUPPLIERS} lead times (one per supplier)", lead_times,
             TypeError)
    n = len(lead_times)
    if not 1 <= n <= MAX_SUPPLIERS:
        fail("lead_times", owner, f"a list of 1 to {MAX_SUPPLIERS} lead times (one per supplier; at most "
             f"{MAX_SUPPLIERS} suppliers are supported)", list(lead_times))
    lts = tuple(check_int(lt, "lead_times", owner, minimum=0)
                for lt in _per_supplier(lead_times, "lead_times", owner, n))
    if order_costs is None:
        fail("order_costs", owner, f"a list with one entry per supplier ({n})", order_costs, TypeError)
    costs = tuple(check_cost(c, "order_costs", owner) for c in _per_supplier(order_costs, "order_costs", owner, n))
    fixed = _per_supplier(fixed_order_costs, "fixed_order_costs", owner, n)
    caps = _per_supplier(order_capacities, "order_capacities", owner, n)
    periods = _per_supplier(review_periods, "review_periods", owner, n)
    offsets = _per_supplier(review_offsets, "review_offsets", owner, n)
    if offsets is not None and periods is None:
        fail("review_offsets", owner, "None unless 'review_periods' is given", list(offsets))
    return SourcingParams(
        lead_times=lts,
        order_costs=costs,
        holding_cost=check_cost(holding_cost, "holding_cost", owner),
        shortage_cost=check_cost(shortage_cost, "shortage_cost", owner),
        excess_demand=excess_demand,
        fixed_order_costs=tuple(check_cost(k, "fixed_order_costs", owner) for k in fixed) if fixed else (),
        order_capacities=tuple(capacity_value(u, "order_capacities", owner) for u in caps) if caps else (),
        review_periods=tuple(check_int(r, "review_periods", owner, minimum=1) for r in periods) if periods else (),
        review_offsets=tuple(check_int(o, "review_offsets", owner, minimum=0) for o in offsets) if offsets else (),
    )

def check_capacity_covers_demand(params: SourcingParams, demand: BaseDemand, owner: str = _OWNER) -> None:
    """Refuse capacities whose total cannot meet the mean demand (every policy's backlog
    would grow without bound); only under backlog and when every supplier is capped."""
    caps = params.order_capacities
    if not caps or any(u is None for u in caps) or params.excess_demand != "backlog":
        return  # (under lost sales excess demand is lost, so a small capacity is stable)
    total = sum(int(u) for u in caps)
    season = getattr(demand, "season_length", None)
    try:
        means = [float(demand.mean(t)) for t in range(season or 1)]
    except Exception:  # a demand model without a known mean: nothing to check
        return
    try:
        deterministic = season is None and int(demand.get_min_demand()) == int(demand.get_max_demand())
    except Exception:  # unbounded support
        deterministic = False
    mean = sum(means) / len(means)
    if total < mean or (total == mean and not deterministic):
        rule = f"a total capacity {'>=' if deterministic else '>'} the mean demand per period ({mean:g})"
        fail("order_capacities", owner, rule + ": otherwise the backlog grows without bound", list(caps))


def _check_mapping(
    d: Any, name: str, owner: str, *, required: tuple[str, ...], optional: tuple[str, ...] = (),
    planned: tuple[str, ...] = (),
) -> None:
    if not isinstance(d, Mapping):
        fail(name, owner, "a mapping (dict)", d, TypeError)
    allowed = required + optional
    for key in d:
        if key in planned:
            fail(key, owner, "absent: it is not supported yet (planned)", d[key])
        if key not in allowed:
            fail(key, owner, f"one of the keys {list(allowed)} (unknown key)", d[key])
    for key in required:
        if key not in d:
            fail(key, owner, "given (required key)", None)


def as_problem(obj: Any, owner: str = "as_problem", name: str = "sourcing_model") -> SourcingProblem:
    """The :class:`SourcingProblem` of a problem or of a paper sourcing model.

    Parameters
    ----------
    obj : SourcingProblem or BaseSourcingModel
        A problem is returned as is; a sourcing model gives its current problem
        (its initial inventory read as an integer).
    owner, name : str
        Used in the error message.

    Raises
    ------
    TypeError
        When ``obj`` is neither.
    """
    if isinstance(obj, SourcingProblem):
        return obj
    problem = getattr(obj, "problem", None)
    if isinstance(problem, SourcingProblem):
        return problem
    fail(name, owner, "a SourcingProblem or a sourcing model (SingleSourcingModel, DualSourcingModel, "
         "MultiSourcingModel)", type(obj).__name__, TypeError)
    raise AssertionError  # unreachable; fail raises
