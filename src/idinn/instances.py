r"""Named test-bed instances with published costs.

Dual sourcing (:func:`load_testbed`) and single sourcing with a fixed order cost
(:func:`load_zheng_federgruen`).

The 15 instances of Böttcher, Asikis & Fragkos (2023, *INFORMS Journal on Computing*
35(6):1308-1328), after Gijsbrechts et al. (2022): regular lead time
:math:`l_r \in \{2, 3, 4\}`, expedited lead time :math:`l_e = 0`, :math:`c_r = 0`,
:math:`c_e \in \{5, 10, 20\}`, :math:`h = 5`, :math:`b = 495` and demand uniform on
:math:`\{0, \dots, 4\}` or :math:`\{0, \dots, 8\}`. Costs are long-run average costs per
period: the optimum (dynamic programming) and the best policy of each heuristic class.

Examples
--------
>>> from idinn.instances import get_instance, make_model
>>> inst = get_instance("lr2_ce20_u04")
>>> inst.optimal_cost
23.0714
>>> make_model(inst).get_regular_lead_time()
2
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, fields
from importlib import resources

from ._validation import check_int, fail
from .demand import UniformDemand
from .sourcing_model import DualSourcingModel

__all__ = [
    "TestbedInstance",
    "load_testbed",
    "get_instance",
    "make_model",
    "FixedCostInstance",
    "load_zheng_federgruen",
    "zheng_federgruen_pmf",
    "LostSalesInstance",
    "load_lost_sales_testbed",
]

_FILE = "dual_sourcing_testbed.csv"
_ZF_FILE = "fixed_cost_zheng_federgruen1991.csv"
#: Poisson tail left out of the instances' pmf (far below the published three decimals).
ZF_TAIL_MASS = 1e-12


@dataclass(frozen=True)
class TestbedInstance:
    r"""One row of the dual-sourcing test bed.

    Attributes
    ----------
    name : str
        ``lr{l_r}_ce{c_e}_u0{high}``.
    regular_lead_time, expedited_lead_time : int
        [:math:`l_r`], [:math:`l_e`].
    regular_order_cost, expedited_order_cost : float
        [:math:`c_r`], [:math:`c_e`].
    holding_cost, shortage_cost : float
        [:math:`h`], [:math:`b`].
    demand_low, demand_high : int
        Demand is uniform on ``demand_low .. demand_high``.
    optimal_cost : float
        Optimal long-run average cost (dynamic programming).
    best_capped_dual_index_cost, best_dual_index_cost, best_tailored_base_surge_cost, best_single_index_cost : float
        Cost of the best policy of each heuristic class.
    published_neural_cost : float or None
        Cost of the published neural controller (``None`` where not reported).
    """

    __test__ = False  # not a pytest test class despite its name

    name: str
    regular_lead_time: int
    expedited_lead_time: int
    regular_order_cost: float
    expedited_order_cost: float
    holding_cost: float
    shortage_cost: float
    demand_low: int
    demand_high: int
    optimal_cost: float
    best_capped_dual_index_cost: float
    best_dual_index_cost: float
    best_tailored_base_surge_cost: float
    best_single_index_cost: float
    published_neural_cost: float | None


def _convert(name: str, text: str) -> object:
    if name == "name":
        return text
    if name in ("regular_lead_time", "expedited_lead_time", "demand_low", "demand_high"):
        return int(text)
    if text.strip() == "":
        return None
    return float(text)


def load_testbed() -> list[TestbedInstance]:
    """All test-bed instances, in file order.

    Returns
    -------
    list of TestbedInstance
    """
    text = resources.files("idinn").joinpath("data", _FILE).read_text(encoding="utf-8")
    names = [f.name for f in fields(TestbedInstance)]
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        out.append(TestbedInstance(**{n: _convert(n, row[n]) for n in names}))
    return out


def get_instance(name: str) -> TestbedInstance:
    """The test-bed instance called ``name`` (e.g. ``"lr2_ce5_u04"``)."""
    instances = {inst.name: inst for inst in load_testbed()}
    if not isinstance(name, str):
        fail("name", "get_instance", "a str", name, TypeError)
    if name not in instances:
        fail("name", "get_instance", f"one of {sorted(instances)}", name)
    return instances[name]


def make_model(instance: TestbedInstance, batch_size: int = 1, init_inventory: int = 0) -> DualSourcingModel:
    """A :class:`~idinn.sourcing_model.DualSourcingModel` for ``instance``.

    Parameters
    ----------
    instance : TestbedInstance
    batch_size : int, default=1
        Number of sample paths simulated together.
    init_inventory : int, default=0
        Initial net inventory [:math:`I_0`].
    """
    if not isinstance(instance, TestbedInstance):
        fail("instance", "make_model", "a TestbedInstance (see load_testbed)", instance, TypeError)
    check_int(batch_size, "batch_size", "make_model", minimum=1)
    return DualSourcingModel(
        regular_lead_time=instance.regular_lead_time,
        expedited_lead_time=instance.expedited_lead_time,
        regular_order_cost=instance.regular_order_cost,
        expedited_order_cost=instance.expedited_order_cost,
        holding_cost=instance.holding_cost,
        shortage_cost=instance.shortage_cost,
        init_inventory=init_inventory,
        demand_generator=UniformDemand(instance.demand_low, instance.demand_high),
        batch_size=batch_size,
    )


@dataclass(frozen=True)
class FixedCostInstance:
    r"""One instance of Zheng & Federgruen (1991, Table 1): the optimal :math:`(s, S)`.

    Backlog, Poisson demand per period, fixed order cost :math:`K = 64`, :math:`h = 1`,
    :math:`b = 9`, lead time 0, no unit order cost; costs are long-run averages per period.

    Attributes
    ----------
    demand : str
        ``"poisson"``.
    mean : float
        Poisson mean demand per period [:math:`\lambda`].
    lead_time : int
        [:math:`l`].
    holding_cost, shortage_cost, fixed_order_cost : float
        [:math:`h`], [:math:`b`], [:math:`K`].
    s_optimal, S_optimal : int
        The published optimal reorder point :math:`s^*` and order-up-to level :math:`S^*`.
    optimal_cost : float
        The published optimal average cost (three decimals).
    """

    demand: str
    mean: float
    lead_time: int
    holding_cost: float
    shortage_cost: float
    fixed_order_cost: float
    s_optimal: int
    S_optimal: int
    optimal_cost: float


def load_zheng_federgruen() -> list[FixedCostInstance]:
    """The 24 instances of Zheng & Federgruen (1991), in file order (mean 10 ... 75).

    Source: Zheng, Y.-S. & Federgruen, A. (1991), *Operations Research* 39(4):654-665, Table 1.
    """
    text = resources.files("idinn").joinpath("data", _ZF_FILE).read_text(encoding="utf-8")
    ints = {"lead_time", "s_optimal", "S_optimal"}
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        values = {f.name: (row[f.name] if f.name == "demand" else int(row[f.name]) if f.name in ints
                           else float(row[f.name])) for f in fields(FixedCostInstance)}
        out.append(FixedCostInstance(**values))  # type: ignore[arg-type]
    return out


def zheng_federgruen_pmf(instance: FixedCostInstance):  # -> tuple[np.ndarray, np.ndarray]
    """Per-period demand pmf of ``instance``: Poisson censored where its tail is below 1e-12.

    Returns
    -------
    values : ndarray of int64, probs : ndarray of float64
    """
    from .demand import PoissonDemand
    from .exact import demand_pmf

    if not isinstance(instance, FixedCostInstance):
        fail("instance", "zheng_federgruen_pmf", "a FixedCostInstance (see load_zheng_federgruen)", instance,
             TypeError)
    return demand_pmf(PoissonDemand(instance.mean).truncated(tail_mass=ZF_TAIL_MASS))


# --------------------------------------------------------------------------- lost sales
_LOST_SALES_FILE = "lost_sales_zipkin2008.csv"
_LOST_SALES_POLICIES = ("optimal", "myopic", "myopic_2", "dual_balancing", "std_vector_base_stock",
                        "better_vector_base_stock", "std_base_stock", "best_base_stock", "best_constant_order")


@dataclass(frozen=True)
class LostSalesInstance:
    r"""One row of Zipkin's (2008, *Oper. Res.* 56(5), Tables 3 and 4) lost-sales test bed.

    Attributes
    ----------
    name : str
        ``{poisson|geometric}_L{L}_p{p}``.
    demand : str
        ``"poisson"`` or ``"geometric_from_0"`` (geometric on 0, 1, ...).
    mean : float
        Mean demand per period.
    lead_time : int
        [:math:`L`].
    holding_cost, lost_sales_penalty : float
        [:math:`h`], [:math:`p`] (idinn's ``shortage_cost`` under lost sales).
    costs : dict
        Published long-run average cost per period of ``"optimal"`` and of each heuristic
        (``myopic``, ``myopic_2``, ``dual_balancing``, ``std_vector_base_stock``,
        ``better_vector_base_stock``, ``std_base_stock``, ``best_base_stock``,
        ``best_constant_order``), as printed (two decimals).
    """

    name: str
    demand: str
    mean: float
    lead_time: int
    holding_cost: float
    lost_sales_penalty: float
    costs: dict

    def demand_model(self):  # -> BaseDemand
        """The demand model: :class:`~idinn.demand.PoissonDemand` or :class:`~idinn.demand.GeometricDemand`."""
        from .demand import GeometricDemand, PoissonDemand

        return PoissonDemand(self.mean) if self.demand == "poisson" else GeometricDemand(self.mean)

    def problem(self):  # -> SourcingProblem
        """The :class:`~idinn.problem.SourcingProblem` (lost sales, zero order cost, empty start)."""
        from .problem import SourcingProblem

        return SourcingProblem.single(lead_time=self.lead_time, holding_cost=self.holding_cost,
                                      shortage_cost=self.lost_sales_penalty, demand=self.demand_model(),
                                      excess_demand="lost_sales")


def load_lost_sales_testbed() -> list[LostSalesInstance]:
    """Zipkin's 32 lost-sales instances (geometric then Poisson, mean 5, h = 1), in file order."""
    text = resources.files("idinn").joinpath("data", _LOST_SALES_FILE).read_text(encoding="utf-8")
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        kind = "poisson" if row["demand"] == "poisson" else "geometric"
        L, p = int(row["lead_time"]), float(row["lost_sales_penalty"])
        out.append(LostSalesInstance(
            name=f"{kind}_L{L}_p{p:g}", demand=row["demand"], mean=float(row["mean"]), lead_time=L,
            holding_cost=float(row["holding_cost"]), lost_sales_penalty=p,
            costs={k: float(row[k]) for k in _LOST_SALES_POLICIES if row.get(k, "").strip()},
        ))
    return out


# --------------------------------------------------------------------------- exact multi-sourcing optima
_EXACT_OPTIMA_FILES = {
    "three_supplier": "three_supplier_optima.csv",
    "dual_lost_sales": "dual_lost_sales_optima.csv",
    "dual_fixed_cost": "dual_fixed_cost_optima.csv",
}


@dataclass(frozen=True)
class ExactOptimum:
    r"""One optimum computed by :func:`idinn.exact.solve_multi_sourcing_average_cost`.

    Attributes
    ----------
    name : str
    lead_times, order_costs, fixed_order_costs : tuple
        Per supplier [:math:`l_k`], [:math:`c_k`], [:math:`K_k`] (suppliers in the order of
        :class:`~idinn.dynamics.SourcingParams`: regular first for dual sourcing).
    holding_cost, shortage_cost : float
        [:math:`h`], [:math:`b`] (the lost-sales penalty :math:`p` under lost sales).
    excess_demand : str
    demand_low, demand_high : int
        Demand is uniform on ``demand_low .. demand_high``.
    optimal_cost : float
        Optimal long-run average cost per period (six decimals).
    n_states : int
        Aggregated states solved.
    solve_time_s : float
        Seconds the solve took when the file was written (``benchmarks/check_multi_sourcing.py``).
    """

    name: str
    lead_times: tuple
    order_costs: tuple
    fixed_order_costs: tuple
    holding_cost: float
    shortage_cost: float
    excess_demand: str
    demand_low: int
    demand_high: int
    optimal_cost: float
    n_states: int
    solve_time_s: float

    def problem(self):  # -> SourcingProblem
        """The :class:`~idinn.problem.SourcingProblem` (empty start)."""
        from .dynamics import SourcingParams
        from .problem import SourcingProblem

        params = SourcingParams(lead_times=self.lead_times, order_costs=self.order_costs,
                                holding_cost=self.holding_cost, shortage_cost=self.shortage_cost,
                                excess_demand=self.excess_demand, fixed_order_costs=self.fixed_order_costs)
        return SourcingProblem(params=params, demand=UniformDemand(self.demand_low, self.demand_high))


def load_exact_optima(table: str) -> list[ExactOptimum]:
    """The shipped exact optima of one table, in file order.

    Parameters
    ----------
    table : {"three_supplier", "dual_lost_sales", "dual_fixed_cost"}
        Three suppliers (lead times (0, 1, 2) and (0, 2, 4)); dual sourcing with lost
        sales; dual sourcing with fixed order costs (see docs/exact_multi_sourcing.md).
    """
    if table not in _EXACT_OPTIMA_FILES:
        fail("table", "load_exact_optima", f"one of {sorted(_EXACT_OPTIMA_FILES)}", table)
    text = resources.files("idinn").joinpath("data", _EXACT_OPTIMA_FILES[table]).read_text(encoding="utf-8")

    def numbers(s: str, kind: type) -> tuple:
        return tuple(kind(x) for x in s.split(";") if x.strip())

    out = []
    for row in csv.DictReader(io.StringIO(text)):
        out.append(ExactOptimum(
            name=row["name"], lead_times=numbers(row["lead_times"], int), order_costs=numbers(row["order_costs"], float),
            fixed_order_costs=numbers(row["fixed_order_costs"], float), holding_cost=float(row["holding_cost"]),
            shortage_cost=float(row["shortage_cost"]), excess_demand=row["excess_demand"],
            demand_low=int(row["demand_low"]), demand_high=int(row["demand_high"]),
            optimal_cost=float(row["optimal_cost"]), n_states=int(row["n_states"]),
            solve_time_s=float(row["solve_time_s"]),
        ))
    return out


__all__ += ["ExactOptimum", "load_exact_optima"]
