r"""The portfolio table: its columns, and one checked specification per row.

A portfolio is a table with one row per SKU (stock-keeping unit). Every row is read on its
own: a bad value makes *that row* fail, with a message naming the column, the rule and the
value, and every other row is solved. Columns (``-`` = optional):

============================== ===============================================================
column                         meaning
============================== ===============================================================
``sku``                        identifier, unique in the table
``model``                   -  ``single``, ``dual`` (default when only
                               ``expedited_lead_time`` is given) or ``multi`` (default
                               when only ``lead_time_1`` is given; 3 to 5
                               suppliers: ``lead_time_k``, ``order_cost_k``,
                               ``fixed_order_cost_k``, ``order_capacity_k``,
                               ``review_period_k``, ``review_offset_k``, k = 1..K)
``method``                  -  overrides the table's method for this row
``excess_demand``           -  ``backlog`` (default) or ``lost_sales``
``lead_time``                  single sourcing: :math:`l` (int >= 0)
``order_cost``              -  single sourcing: unit order cost :math:`c` (default 0)
``regular_lead_time``          dual sourcing: :math:`l_r`
``expedited_lead_time``        dual sourcing: :math:`l_e < l_r`
``regular_order_cost``      -  dual sourcing: :math:`c_r` (default 0)
``expedited_order_cost``       dual sourcing: :math:`c_e`
``fixed_order_cost``        -  single sourcing: :math:`K` per order (default 0); dual:
                               ``regular_``/``expedited_fixed_order_cost``
``order_capacity``          -  single sourcing: largest order :math:`u` (default none);
                               dual: ``regular_``/``expedited_order_capacity``
``review_period``           -  single sourcing: :math:`R` (default 1, every period); dual:
                               ``regular_``/``expedited_review_period``
``review_offset``           -  first review period :math:`0 \le o < R` (default 0); dual:
                               ``regular_``/``expedited_review_offset``
``holding_cost``               :math:`h` per unit and period (>= 0)
``shortage_cost``              :math:`b` per unit and period of backlog (>= 0); may be left
                               empty when a service-level target is given
``target_fill_rate``        -  in (0, 1): cheapest policy with at least this fill rate
``target_cycle_service_level`` in (0, 1): cheapest policy with at least this CSL
``init_inventory``          -  initial net inventory (default 0)
``demand_type``             -  ``poisson``, ``uniform``, ``normal``, ``gamma``, ``custom``,
                               ``empirical`` (default when the SKU has a demand history)
``demand_rate``                poisson: :math:`\lambda`
``demand_low, demand_high``    uniform: support :math:`\{low, \dots, high\}`
``demand_mean, demand_std``    normal (discretised, censored at tail mass ``demand_tail_mass``)
``demand_shape, demand_scale`` gamma (discretised, censored likewise)
``demand_values``              custom: values separated by ``;`` (e.g. ``0;1;2``)
``demand_probabilities``       custom: their probabilities, same separator
``demand_tail_mass``        -  poisson/normal/gamma censoring mass (default 1e-9)
============================== ===============================================================
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._validation import _message

__all__ = [
    "METHODS",
    "HEURISTICS",
    "RowError",
    "SkuSpec",
    "parse_row",
]

#: Methods known to the portfolio (per row in the ``method`` column or for the table).
HEURISTICS = ("capped_dual_index", "dual_index", "tailored_base_surge", "single_index")
#: Single-sourcing policy families beyond base stock: lost sales, fixed order costs, capacities.
SINGLE_FAMILIES = ("capped_base_stock", "constant_order", "ss", "modified_base_stock")
METHODS = ("auto", "base_stock", "dp", *HEURISTICS, *SINGLE_FAMILIES, "multi_index", "neural")
MODELS = ("single", "dual", "multi")
RESERVED_MODELS: tuple[str, ...] = ()
EXCESS_DEMAND = ("backlog", "lost_sales")
RESERVED_EXCESS_DEMAND: tuple[str, ...] = ()
#: Most suppliers of a ``multi`` row (columns ``lead_time_1`` ... ``lead_time_5``).
MAX_SUPPLIERS = 5
#: Per-supplier columns of a ``multi`` row, ``<name>_<k>`` for k = 1..K (supplier 1 first).
MULTI_COLUMNS = ("lead_time", "order_cost", "fixed_order_cost", "order_capacity", "review_period", "review_offset")
DEMAND_TYPES = ("poisson", "uniform", "normal", "gamma", "custom", "empirical", "seasonal_empirical")
DEFAULT_TAIL_MASS = 1e-9


class RowError(ValueError):
    """A row that cannot be solved; ``status`` is ``"error"`` or ``"not_supported"``."""

    def __init__(self, message: str, status: str = "error") -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, eq=False)
class SkuSpec:
    """One checked row of a portfolio table (plain data, cheap to send to a worker).

    Attributes
    ----------
    position : int
        Row position in the input table (0-based).
    sku : str
    model : str
        ``"single"`` or ``"dual"``.
    method : str
        One of :data:`METHODS`.
    lead_times : tuple of int
        ``(l,)`` or ``(l_r, l_e)``.
    order_costs : tuple of float
        ``(c,)`` or ``(c_r, c_e)``.
    holding_cost, shortage_cost : float
        :math:`h`, :math:`b` (``b = 0`` when only a target is given).
    target : tuple or None
        ``("fill_rate", value)`` or ``("cycle_service_level", value)``.
    init_inventory : int
    excess_demand : str
        ``"backlog"`` or ``"lost_sales"``.
    fixed_order_cost : float
        :math:`K` per order (single sourcing; 0 = none).
    order_capacity : int or None
        :math:`u`, the largest order per period (single sourcing; None = uncapped).
    fixed_order_costs, order_capacities, review_periods, review_offsets : tuple
        Per supplier (supplier order of ``lead_times``): :math:`K_k`, :math:`u_k` (None =
        uncapped), :math:`R_k` (1 = every period) and :math:`o_k`.
    values, probs : ndarray
        pmf of the per-period demand (int64 support, float64 probabilities).
    demand : dict
        Description of the demand (``{"type": "poisson", "rate": 2.0}`` ...).
    season_length : int or None
        Set for seasonal demand (not solvable by the stationary methods).
    row_hash : str
        Fingerprint of the row's inputs, method and seed (used to resume runs).
    """

    position: int
    sku: str
    model: str
    method: str
    lead_times: tuple[int, ...]
    order_costs: tuple[float, ...]
    holding_cost: float
    shortage_cost: float
    target: tuple[str, float] | None
    init_inventory: int
    values: np.ndarray
    probs: np.ndarray
    demand: dict[str, Any] = field(default_factory=dict)
    season_length: int | None = None
    row_hash: str = ""
    excess_demand: str = "backlog"
    fixed_order_cost: float = 0.0
    order_capacity: int | None = None
    fixed_order_costs: tuple[float, ...] = ()
    order_capacities: tuple[int | None, ...] = ()
    review_periods: tuple[int, ...] = ()
    review_offsets: tuple[int, ...] = ()


# ----------------------------------------------------------------------------- cells
def _missing(value: Any) -> bool:
    """An empty cell: None, NaN, a blank string, ``pd.NA`` or ``pd.NaT``."""
    if value is None:
        return True
    t = type(value)
    if t is float or t is np.float64 or t is np.float32:
        return value != value
    if t is str:
        return not value.strip()
    if t is int or t is np.int64 or t is bool:
        return False
    return value is pd.NA or value is pd.NaT


def _plain(value: Any) -> Any:
    """A cell as a plain Python value (for messages and hashing)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


class _Row:
    """Accessor for one row's cells that raises :class:`RowError` with the standard wording."""

    def __init__(self, cells: dict[str, Any], position: int, sku: str) -> None:
        self.cells = cells
        self.owner = f"the portfolio row {position} (sku {sku!r})"

    def fail(self, column: str, rule: str, value: Any, status: str = "error") -> None:
        raise RowError(_message(column, self.owner, rule, _plain(value)).replace(" parameter of ", " column of ", 1), status)

    def has(self, column: str) -> bool:
        return column in self.cells and not _missing(self.cells[column])

    def text(self, column: str, default: str | None = None) -> str | None:
        if not self.has(column):
            return default
        value = self.cells[column]
        if not isinstance(value, str):
            self.fail(column, "a text value", value)
        return value.strip().lower()

    def real(self, column: str, default: float | None = None, *, minimum: float | None = 0.0,
             required: bool = True, open_unit: bool = False) -> float | None:
        if not self.has(column):
            if default is None and required:
                self.fail(column, "given (the column is missing or the cell is empty)", None)
            return default
        value = _plain(self.cells[column])
        rule = "a finite real number in (0, 1)" if open_unit else (
            "a finite real number" + (f" >= {minimum:g}" if minimum is not None else ""))
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                self.fail(column, rule, value)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            self.fail(column, rule, value)
        x = float(value)
        if open_unit and not 0.0 < x < 1.0:
            self.fail(column, rule, value)
        if minimum is not None and x < minimum:
            self.fail(column, rule, value)
        return x

    def integer(self, column: str, default: int | None = None, *, minimum: int | None = 0) -> int:
        if not self.has(column):
            if default is None:
                self.fail(column, "given (the column is missing or the cell is empty)", None)
            return int(default)  # type: ignore[arg-type]
        value = _plain(self.cells[column])
        rule = "an integer" + (f" >= {minimum}" if minimum is not None else "")
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                self.fail(column, rule, self.cells[column])
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            self.fail(column, rule, value)
        x = float(value)
        if not math.isfinite(x) or not x.is_integer():
            self.fail(column, rule, value)
        if minimum is not None and x < minimum:
            self.fail(column, rule, value)
        return int(x)

    def number_list(self, column: str) -> list[float]:
        if not self.has(column):
            self.fail(column, "given (the column is missing or the cell is empty)", None)
        value = self.cells[column]
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return [float(value)]
        if not isinstance(value, str):
            self.fail(column, "numbers separated by ';'", value)
        out = []
        for part in value.replace(",", ";").split(";"):
            try:
                out.append(float(part))
            except ValueError:
                self.fail(column, "numbers separated by ';'", value)
        return out


# ---------------------------------------------------------------------------- demand
def _demand(row: _Row, history: tuple[np.ndarray, np.ndarray] | None, history_error: str | None,
            tail_default: float) -> tuple[np.ndarray, np.ndarray, dict[str, Any], int | None]:
    """pmf (values, probabilities), description and season length of a row's demand."""
    from ..demand import CustomDemand, DiscretizedGammaDemand, DiscretizedNormalDemand, UniformDemand

    default = "empirical" if (history is not None or history_error is not None) else None
    kind = row.text("demand_type", default)
    if kind is None:
        row.fail("demand_type", f"one of {DEMAND_TYPES} (or a demand history for this sku)", None)
    if kind not in DEMAND_TYPES:
        row.fail("demand_type", f"one of {DEMAND_TYPES}", row.cells.get("demand_type"))
    tail = row.real("demand_tail_mass", tail_default, minimum=None, open_unit=True)
    try:
        if kind == "poisson":
            rate = row.real("demand_rate")
            if rate <= 0:
                row.fail("demand_rate", "a finite real number > 0", rate)
            d = _poisson_cached(rate, tail)
            return d[0], d[1], {"type": "poisson", "rate": rate, "max_demand": int(d[0][-1])}, None
        if kind == "uniform":
            low = row.integer("demand_low")
            high = row.integer("demand_high")
            if high < low:
                row.fail("demand_high", f"an integer >= demand_low ({low})", high)
            v, p = UniformDemand(low, high).pmf()
            return v, p, {"type": "uniform", "low": low, "high": high}, None
        if kind == "normal":
            mean = row.real("demand_mean", minimum=None)
            std = row.real("demand_std")
            if std <= 0:
                row.fail("demand_std", "a finite real number > 0", std)
            v, p = DiscretizedNormalDemand(mean, std, tail_mass=tail).pmf()
            return v, p, {"type": "normal", "mean": mean, "std": std, "max_demand": int(v[-1])}, None
        if kind == "gamma":
            shape = row.real("demand_shape")
            scale = row.real("demand_scale")
            for col, x in (("demand_shape", shape), ("demand_scale", scale)):
                if x <= 0:
                    row.fail(col, "a finite real number > 0", x)
            v, p = DiscretizedGammaDemand(shape, scale, tail_mass=tail).pmf()
            return v, p, {"type": "gamma", "shape": shape, "scale": scale, "max_demand": int(v[-1])}, None
        if kind == "custom":
            vals = row.number_list("demand_values")
            probs = row.number_list("demand_probabilities")
            if len(vals) != len(probs):
                row.fail("demand_probabilities", f"as many entries as demand_values ({len(vals)})",
                         row.cells["demand_probabilities"])
            if any(not float(x).is_integer() or x < 0 for x in vals):
                row.fail("demand_values", "integers >= 0 separated by ';'", row.cells["demand_values"])
            if any(x < 0 for x in probs) or abs(sum(probs) - 1.0) > 1e-6:
                row.fail("demand_probabilities", "numbers >= 0 summing to 1, separated by ';'",
                         row.cells["demand_probabilities"])
            table: dict[int, float] = {}
            for x, q in zip(vals, probs):
                table[int(x)] = table.get(int(x), 0.0) + q
            v, p = CustomDemand(table).pmf()
            return v, p, {"type": "custom", "values": v.tolist(), "probabilities": p.tolist()}, None
    except RowError:
        raise
    except (TypeError, ValueError) as err:
        raise RowError(f"Demand of {row.owner}: {err}") from None
    # empirical or seasonal: from the demand history
    if history_error is not None:
        raise RowError(f"The demand history of {row.owner} is unusable: {history_error}")
    if history is None:
        raise RowError(
            f"The demand of {row.owner} is {kind!r} but the demand history has no rows for this sku "
            "(missing demand history)."
        )
    series = history[1]
    if kind == "empirical":
        v, c = np.unique(series, return_counts=True)
        p = c / c.sum()
        return v.astype(np.int64), p, {"type": "empirical", "periods": int(series.size)}, None
    season = row.integer("season_length", minimum=2)
    if series.size < season:
        row.fail("season_length", f"at most the number of observed periods ({series.size})", season)
    v, c = np.unique(series, return_counts=True)
    return v.astype(np.int64), c / c.sum(), {"type": "seasonal_empirical", "season_length": season,
                                               "periods": int(series.size)}, season


_POISSON_CACHE: dict[tuple[float, float], tuple[np.ndarray, np.ndarray]] = {}


def _poisson_cached(rate: float, tail: float) -> tuple[np.ndarray, np.ndarray]:
    """pmf of :class:`~idinn.demand.TruncatedPoissonDemand` (memoised: portfolios repeat rates)."""
    key = (rate, tail)
    hit = _POISSON_CACHE.get(key)
    if hit is None:
        from ..demand import TruncatedPoissonDemand

        v, p = TruncatedPoissonDemand(rate, tail_mass=tail).pmf()
        hit = (np.asarray(v, dtype=np.int64), np.asarray(p, dtype=np.float64))
        if len(_POISSON_CACHE) < 100_000:
            _POISSON_CACHE[key] = hit
    return hit


# ------------------------------------------------------------------------------- rows
def table_fingerprints(table: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash of each row's cells (columns in sorted order), shape (n,)."""
    ordered = table.reindex(columns=sorted(table.columns, key=str))
    ordered.columns = [str(c) for c in ordered.columns]
    return pd.util.hash_pandas_object(ordered, index=False).to_numpy()


def row_fingerprint(cells: Any, method: str, seed: int, history: Any) -> str:
    """Short hash of a row's inputs (a dict of cells or a row hash from
    :func:`table_fingerprints`), its demand history, the method and the seed."""
    h = hashlib.blake2b(digest_size=8)
    if isinstance(cells, dict):
        plain = {k: (None if _missing(v) else _plain(v)) for k, v in cells.items()}
        h.update(json.dumps(plain, sort_keys=True, default=str).encode())
    else:
        h.update(str(int(cells)).encode())
    h.update(f"|{method}|{seed}|".encode())
    if history is not None:
        h.update(np.ascontiguousarray(history[1], dtype=np.int64).tobytes())
    return h.hexdigest()


def _single_methods(row: _Row, rule: str, lead_time: int, fixed: float, capacity: int | None,
                    chosen: str) -> tuple[str, ...]:
    """Methods of a single-sourcing row with at most one of lost sales, K and u (others: :mod:`._general`)."""
    if rule == "lost_sales":
        if lead_time == 0:
            return ("auto", "base_stock")
        from ..single_controller import SingleSourcingNeuralController as neural

        extra = ("neural",) if "lost_sales" in neural.excess_demand_rules else ()
        return ("auto", "dp", "base_stock", "capped_base_stock", "constant_order", *extra)
    if fixed > 0:
        return ("auto", "ss")
    if capacity is not None:
        return ("auto", "modified_base_stock")
    return ("auto", "base_stock", "neural")


def _supplier_columns(model: str, n: int) -> list[str]:
    """Column suffixes of each supplier: ``""`` (single), ``regular_``/``expedited_`` (dual), ``_k`` (multi)."""
    if model == "single":
        return ["{}"]
    if model == "dual":
        return ["regular_{}", "expedited_{}"]
    return [f"{{}}_{k}" for k in range(1, n + 1)]


def _review_periods(row: _Row, model: str, n: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Review periods :math:`R_k >= 1` (default 1) and offsets :math:`0 <= o_k < R_k` (default 0)."""
    periods, offsets = [], []
    for pattern in _supplier_columns(model, n):
        period = row.integer(pattern.format("review_period"), 1, minimum=1)
        name = pattern.format("review_offset")
        offset = row.integer(name, 0, minimum=0)
        if offset >= period:
            row.fail(name, f"an integer in [0, {pattern.format('review_period')}) = [0, {period})", offset)
        periods.append(period)
        offsets.append(offset)
    return tuple(periods), tuple(offsets)


def _supplier_terms(row: _Row, model: str, n: int) -> tuple[tuple[float, ...], tuple[int | None, ...]]:
    """Fixed order costs :math:`K_k` (default 0) and capacities :math:`u_k` (default none)."""
    fixed, caps = [], []
    for pattern in _supplier_columns(model, n):
        fixed.append(row.real(pattern.format("fixed_order_cost"), 0.0))
        name = pattern.format("order_capacity")
        caps.append(row.integer(name, minimum=1) if row.has(name) else None)
    return tuple(fixed), tuple(caps)


def _multi_suppliers(row: _Row) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Lead times and unit costs of a ``multi`` row (columns ``lead_time_1..lead_time_K``)."""
    n = 0
    while n < MAX_SUPPLIERS and row.has(f"lead_time_{n + 1}"):
        n += 1
    if n < 3:
        row.fail(f"lead_time_{n + 1}", "given: a multi row has 3 to 5 suppliers in columns lead_time_1.."
                 "lead_time_K (two suppliers: model 'dual')", None)
    for name in MULTI_COLUMNS:  # nothing silently ignored: no supplier beyond K, no bare single-sourcing term
        for k in range(n + 1, MAX_SUPPLIERS + 1):
            if row.has(f"{name}_{k}"):
                row.fail(f"{name}_{k}", f"empty: the row has {n} suppliers (lead_time_1..lead_time_{n})",
                         row.cells[f"{name}_{k}"])
        if row.has(name):
            row.fail(name, f"empty for a multi row (give {name}_1..{name}_{n})", row.cells[name])
    return (tuple(row.integer(f"lead_time_{k}") for k in range(1, n + 1)),
            tuple(row.real(f"order_cost_{k}", 0.0) for k in range(1, n + 1)))


def _refuse_unprefixed(row: _Row) -> None:
    """A dual row names each supplier's term (``regular_``/``expedited_``), never a bare one."""
    for name in ("fixed_order_cost", "order_capacity", "review_period", "review_offset"):
        if row.has(name):
            row.fail(name, f"empty for a dual-sourcing row (give regular_{name} and/or expedited_{name})",
                     row.cells[name])


def parse_row(
    cells: dict[str, Any],
    position: int,
    *,
    method: str,
    seed: int,
    history: tuple[np.ndarray, np.ndarray] | None = None,
    history_error: str | None = None,
    row_hash: str = "",
) -> SkuSpec:
    """Check one row and build its :class:`SkuSpec`; raise :class:`RowError` when it is bad.

    Parameters
    ----------
    cells : dict
        Column name -> cell value.
    position : int
        Row position (0-based) used in messages.
    method : str
        The table's method (a ``method`` cell overrides it).
    seed : int
        The run's seed (unused here; kept for symmetry with :func:`row_fingerprint`).
    history : (periods, quantities) or None
        This SKU's demand history, sorted by period.
    history_error : str or None
        Why this SKU's history could not be used (then an empirical demand fails).
    """
    sku = str(_plain(cells.get("sku")))
    row = _Row(cells, position, sku)
    inferred = "dual" if row.has("expedited_lead_time") and not row.has("lead_time") else (
        "multi" if row.has("lead_time_1") and not row.has("lead_time") else "single")
    model = row.text("model", inferred)
    if model not in MODELS:
        row.fail("model", f"one of {MODELS}", cells.get("model"))
    chosen = row.text("method", method)
    if chosen not in METHODS:
        row.fail("method", f"one of {METHODS}", cells.get("method", chosen))
    rule = row.text("excess_demand", "backlog")
    if rule in RESERVED_EXCESS_DEMAND:
        row.fail("excess_demand", f"one of {EXCESS_DEMAND} ({rule!r} is not supported yet)",
                 cells.get("excess_demand"), "not_supported")
    if rule not in EXCESS_DEMAND:
        row.fail("excess_demand", f"one of {EXCESS_DEMAND}", cells.get("excess_demand"))
    from ._general import general_methods

    fixed = 0.0
    capacity: int | None = None
    if model == "single":
        lead_times: tuple[int, ...] = (row.integer("lead_time"),)
        order_costs: tuple[float, ...] = (row.real("order_cost", 0.0),)
        fixed = row.real("fixed_order_cost", 0.0)
        capacity = row.integer("order_capacity", minimum=1) if row.has("order_capacity") else None
    elif model == "dual":
        _refuse_unprefixed(row)
        lr = row.integer("regular_lead_time")
        le = row.integer("expedited_lead_time")
        if le >= lr:
            row.fail("expedited_lead_time", f"an integer < regular_lead_time ({lr})", le)
        lead_times = (lr, le)
        order_costs = (row.real("regular_order_cost", 0.0), row.real("expedited_order_cost"))
    else:
        lead_times, order_costs = _multi_suppliers(row)
    fixed_costs, capacities = ((fixed,), (capacity,)) if model == "single" else _supplier_terms(
        row, model, len(lead_times))
    reviews, offsets = _review_periods(row, model, len(lead_times))
    terms = (rule == "lost_sales", any(k > 0 for k in fixed_costs), any(u is not None for u in capacities),
             any(r > 1 for r in reviews))
    general = model != "single" and any(terms) or model == "multi" or terms[3] or (
        terms[1] and terms[2]) or (terms[0] and (terms[1] or terms[2]))
    if general:
        allowed = general_methods(model, *terms)
    elif model == "single":
        allowed = _single_methods(row, rule, lead_times[0], fixed, capacity, chosen)
    else:
        allowed = ("auto", "dp", *HEURISTICS, "neural")
    if chosen == "neural" and chosen not in allowed:
        names = [n for n, t in zip(("lost sales", "fixed order cost", "order capacity", "review period"), terms) if t]
        names += [f"{len(lead_times)} suppliers"] if model == "multi" else []
        row.fail("method", f"one of {allowed} for this row (the neural controller does not model its "
                 f"{' and '.join(names)} yet)", chosen, "not_supported")
    if chosen not in allowed:
        row.fail("method", f"one of {allowed} for a {model}-sourcing row", chosen)
    holding = row.real("holding_cost")
    fill = row.real("target_fill_rate", None, minimum=None, required=False, open_unit=True)
    csl = row.real("target_cycle_service_level", None, minimum=None, required=False, open_unit=True)
    if fill is not None and csl is not None:
        row.fail("target_cycle_service_level", "empty when target_fill_rate is given (one target per row)", csl)
    target = ("fill_rate", fill) if fill is not None else (("cycle_service_level", csl) if csl is not None else None)
    shortage = row.real("shortage_cost", 0.0 if target is not None else None)
    if target is not None and chosen in ("dp", "neural"):
        row.fail("method", "auto, base_stock or a heuristic when a service-level target is given "
                 "(dp and neural minimise cost)", chosen)
    if target is not None and any(terms):
        column = "target_fill_rate" if target[0] == "fill_rate" else "target_cycle_service_level"
        row.fail(column, "empty for a row with lost sales, a fixed order cost, an order capacity or a review period "
                 "(service-level targets are supported for backlog rows without them; give a shortage_cost instead)",
                 target[1], "not_supported")
    init = row.integer("init_inventory", 0, minimum=0 if rule == "lost_sales" else None)
    values, probs, demand, season = _demand(row, history, history_error, DEFAULT_TAIL_MASS)
    if season is not None:
        raise RowError(
            f"The demand of {row.owner} is seasonal (season_length {season}); the portfolio's methods "
            "need stationary demand (seasonal demand is not supported yet).",
            "not_supported",
        )
    if float(np.dot(values, probs)) <= 0:
        raise RowError(f"The demand of {row.owner} is always 0: nothing to order (mean demand must be > 0).")
    return SkuSpec(
        position=position,
        sku=sku,
        model=model,
        method=chosen,
        lead_times=lead_times,
        order_costs=order_costs,
        holding_cost=holding,
        shortage_cost=shortage,
        target=target,
        init_inventory=init,
        values=values,
        probs=probs,
        demand=demand,
        season_length=season,
        row_hash=row_hash,
        excess_demand=rule,
        fixed_order_cost=fixed,
        order_capacity=capacity,
        fixed_order_costs=fixed_costs,
        order_capacities=capacities,
        review_periods=reviews,
        review_offsets=offsets,
    )
