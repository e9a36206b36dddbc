"""Solving one chunk of SKUs (runs in a worker process, a Dask worker or in-process).

Single-sourcing base-stock rows of a chunk are solved together in numpy (grouped by lead
time); dual-sourcing rows one by one; multi rows and rows with review periods or with terms
the dual and single methods do not model go to :mod:`._general` (the general exact engine). Every row yields one result record; an exception in
one row becomes that row's ``status="error"`` with the message.
"""

from __future__ import annotations

import json
import math
import time
import zlib
from typing import Any

import numpy as np

from ._kpi import base_stock_levels, convolve_power, convolve_rows, dense_pmf_matrix, level_kpis
from ._schema import RowError, SkuSpec

__all__ = ["RESULT_COLUMNS", "error_record", "solve_chunk", "row_seed", "is_vector_row"]

#: Columns of the result table, in order.
RESULT_COLUMNS = [
    "sku",
    "model",
    "method",
    "policy",
    "S",
    "s",
    "s_e",
    "s_r",
    "q_r",
    "policy_parameters",
    "cost_total",
    "cost_ordering",
    "cost_holding",
    "cost_shortage",
    "fill_rate",
    "cycle_service_level",
    "average_on_hand",
    "average_backlog",
    "average_lost_sales",
    "optimal_cost",
    "optimality_gap",
    "target",
    "fit_time_s",
    "status",
    "message",
]

_NAN = float("nan")


def is_vector_row(spec: SkuSpec) -> bool:
    """A backlog base-stock row without fixed cost or capacity: solved with others in numpy."""
    from ._kinds import is_special_single

    from ._general import is_general

    return (spec.model == "single" and spec.method in ("auto", "base_stock") and not is_special_single(spec)
            and not is_general(spec))


def row_seed(seed: int, sku: str) -> int:
    """Seed of one SKU: the run's seed and the SKU id, whatever the executor or chunking."""
    return int(np.random.SeedSequence([seed, zlib.crc32(sku.encode())]).generate_state(1)[0])


def _blank(spec_or_sku: Any, position: int) -> dict[str, Any]:
    rec: dict[str, Any] = {c: _NAN for c in RESULT_COLUMNS}
    rec.update(sku=str(spec_or_sku), model="", method="", policy="", policy_parameters="", target="",
               status="", message="", position=position)
    return rec


def error_record(sku: str, position: int, err: BaseException, model: str = "", method: str = "") -> dict[str, Any]:
    """Result record of a row that could not be solved."""
    rec = _blank(sku, position)
    status = err.status if isinstance(err, RowError) else "error"
    msg = str(err) if isinstance(err, RowError) else f"{type(err).__name__}: {err}"
    rec.update(model=model, method=method, status=status, message=msg)
    return rec


def _record(spec: SkuSpec, policy: str, params: dict[str, Any], kpis: dict[str, float], total: float,
            optimal: float, seconds: float) -> dict[str, Any]:
    rec = _blank(spec.sku, spec.position)
    gap = _NAN
    if math.isfinite(optimal) and optimal > 0:
        gap = max((total - optimal) / optimal, 0.0)
    rec.update(
        model=spec.model,
        method=spec.method,
        policy=policy,
        policy_parameters=json.dumps(params, sort_keys=True),
        cost_total=float(total),
        cost_ordering=float(kpis["ordering_cost"]),
        cost_holding=float(kpis["holding_cost"]),
        cost_shortage=float(kpis["shortage_cost"]),
        fill_rate=float(kpis["fill_rate"]),
        cycle_service_level=float(kpis["cycle_service_level"]),
        average_on_hand=float(kpis["average_on_hand"]),
        average_backlog=float(kpis["average_backlog"]),
        average_lost_sales=float(kpis.get("average_lost_sales", 0.0)),
        optimal_cost=float(optimal),
        optimality_gap=gap,
        target="" if spec.target is None else f"{spec.target[0]}>={spec.target[1]:g}",
        fit_time_s=float(seconds),
        status="ok",
        message="",
    )
    for name in ("S", "s", "s_e", "s_r", "q_r"):
        if name in params:
            rec[name] = float(params[name])
    return rec


# ------------------------------------------------------------------------ base stock
def _base_stock_group(specs: list[SkuSpec]) -> list[dict[str, Any]]:
    """Optimal (or target-meeting) base-stock levels and exact KPIs of same-lead-time rows."""
    t0 = time.perf_counter()
    lead = specs[0].lead_times[0]
    a = dense_pmf_matrix([s.values for s in specs], [s.probs for s in specs])
    before = convolve_power(a, lead)
    after = convolve_rows(before, a)
    h = np.array([s.holding_cost for s in specs])
    b = np.array([s.shortage_cost for s in specs])
    c = np.array([s.order_costs[0] for s in specs])
    kind = np.array([0 if s.target is None else (1 if s.target[0] == "fill_rate" else 2) for s in specs])
    value = np.array([0.0 if s.target is None else s.target[1] for s in specs])
    level = base_stock_levels(after, before, a, h, b, kind, value)
    zeros = np.zeros(len(specs), dtype=np.int64)
    k = level_kpis(after, zeros, before, zeros, a, level)
    mean = a @ np.arange(a.shape[1])
    ordering = c * mean
    holding = h * k["on_hand"]
    shortage = b * k["backlog"]
    total = ordering + holding + shortage
    share = (time.perf_counter() - t0) / len(specs)
    out = []
    for i, spec in enumerate(specs):
        kpis = {
            "ordering_cost": ordering[i], "holding_cost": holding[i], "shortage_cost": shortage[i],
            "fill_rate": k["fill_rate"][i], "cycle_service_level": k["cycle_service_level"][i],
            "average_on_hand": k["on_hand"][i], "average_backlog": k["backlog"][i],
        }
        optimal = total[i] if spec.target is None else _NAN
        out.append(_record(spec, "base_stock", {"S": int(level[i])}, kpis, total[i], optimal, share))
    return out


def solve_base_stock(specs: list[SkuSpec]) -> list[dict[str, Any]]:
    """Base-stock rows, vectorised per lead time (results in the order of ``specs``)."""
    by_lead: dict[int, list[int]] = {}
    for i, s in enumerate(specs):
        by_lead.setdefault(s.lead_times[0], []).append(i)
    out: list[dict[str, Any] | None] = [None] * len(specs)
    for idx in by_lead.values():
        group = [specs[i] for i in idx]
        try:
            recs = _base_stock_group(group)
        except Exception as err:  # noqa: BLE001 - one bad group must not stop the batch
            recs = [error_record(s.sku, s.position, err, s.model, s.method) for s in group]
        for i, r in zip(idx, recs):
            out[i] = r
    return out  # type: ignore[return-value]


# ------------------------------------------------------------------------ dual sourcing
def _solve_dual(spec: SkuSpec, seed: int) -> dict[str, Any]:
    from ._dual import best_in_family, dp_solution

    t0 = time.perf_counter()
    args = (spec.lead_times, spec.order_costs, spec.holding_cost, spec.shortage_cost, spec.values, spec.probs)
    optimum = _NAN
    dp = None
    note = ""
    if spec.target is None and spec.method != "neural":
        try:
            dp = dp_solution(*args, spec.init_inventory)
        except (ValueError, RuntimeWarning, MemoryError) as err:
            if spec.method == "dp":
                raise
            note = f"no exact optimum (the DP failed: {err}); best heuristic reported"
        else:
            # the exact cost of the optimal policy (within the DP's certified bounds)
            optimum = dp.cost
    if spec.method in ("dp", "auto") and dp is not None:
        return _record(spec, "dp", dp.params, dp.kpis, dp.cost, optimum, time.perf_counter() - t0)
    if spec.method == "neural":
        from ._neural import solve_neural

        return solve_neural(spec, row_seed(seed, spec.sku), _record)
    families = ["capped_dual_index", "dual_index"] if spec.method == "auto" else [spec.method]
    best = None
    errors = []
    for fam in families:
        try:
            res = best_in_family(fam, *args, target=spec.target)
        except ValueError as err:
            errors.append(str(err))
            continue
        if best is None or res.cost < best[1].cost - 1e-12:
            best = (fam, res)
    if best is None:
        raise RowError(f"sku {spec.sku!r}: " + "; ".join(errors))
    fam, res = best
    rec = _record(spec, fam, res.params, res.kpis, res.cost, optimum, time.perf_counter() - t0)
    rec["message"] = note
    return rec


def _solve_single_other(spec: SkuSpec, seed: int) -> dict[str, Any]:
    from ._neural import solve_neural

    return solve_neural(spec, row_seed(seed, spec.sku), _record)


def solve_chunk(specs: list[SkuSpec], seed: int = 0) -> list[dict[str, Any]]:
    """Solve a chunk of rows; one result record per row, in the order of ``specs``.

    Pure function of its arguments: the same chunk gives the same records (up to
    ``fit_time_s``) on every executor. BLAS runs on one thread here, so that sums are
    taken in the same order in every process (and workers do not oversubscribe cores).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _solve_chunk(specs, seed)


def _solve_chunk(specs: list[SkuSpec], seed: int) -> list[dict[str, Any]]:
    from ._general import is_general, solve_general
    from ._kinds import is_special_single, solve_single_kind
    from ._neural import batch_key, solve_neural_batched

    out: list[dict[str, Any] | None] = [None] * len(specs)
    keys = {batch_key(s) for s in specs}
    if len(specs) > 1 and len(keys) == 1 and None not in keys:
        # a chunk of same-shaped neural rows (solve_portfolio(neural_batch_size=...)): one batched run
        try:
            return solve_neural_batched(specs, [row_seed(seed, s.sku) for s in specs], _record)
        except Exception as err:  # noqa: BLE001 - one bad group must not stop the batch
            return [error_record(s.sku, s.position, err, s.model, s.method) for s in specs]
    stock = [i for i, s in enumerate(specs) if is_vector_row(s)]
    if stock:
        for i, r in zip(stock, solve_base_stock([specs[i] for i in stock])):
            out[i] = r
    for i, spec in enumerate(specs):
        if out[i] is not None:
            continue
        try:
            if is_general(spec):
                out[i] = solve_general(spec, row_seed(seed, spec.sku), _record)
            elif spec.model == "dual":
                out[i] = _solve_dual(spec, seed)
            elif spec.method != "neural" and is_special_single(spec):
                out[i] = solve_single_kind(spec, _record)
            else:
                out[i] = _solve_single_other(spec, seed)
        except Exception as err:  # noqa: BLE001 - one bad row must not stop the batch
            out[i] = error_record(spec.sku, spec.position, err, spec.model, spec.method)
    return out  # type: ignore[return-value]
