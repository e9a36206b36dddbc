"""The one-system comparison, run in a background :class:`~idinn.app._session.Job`.

No Streamlit here: plain functions over the library, so that they are easy to test and
never touch the page from the worker thread.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._session import Job, describe_error

__all__ = ["ControllerSpec", "ControllerResult", "Comparison", "run_comparison", "exact_optimum"]

#: Periods of the simulated path shown in the plots and used for the simulated cost.
PLOT_PERIODS = 100
SIMULATION_PERIODS = 1000


@dataclass
class ControllerSpec:
    """A controller to build and fit: its class and keyword arguments."""

    cls: type
    init_kwargs: dict[str, Any]
    fit_kwargs: dict[str, Any]

    @property
    def name(self) -> str:
        return self.cls.__name__


@dataclass
class ControllerResult:
    """What one controller gave: costs, one simulated path, its saved file."""

    name: str
    exact_cost: float | None = None
    exact_note: str = ""
    simulated_cost: float | None = None
    gap_percent: float | None = None
    paths: dict[str, list[float]] = field(default_factory=dict)
    file: Path | None = None
    error: str | None = None
    cancelled: bool = False
    controller: Any = None
    summary: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """One row of the results table (plain values)."""
        return {
            "controller": self.name,
            "exact_average_cost": self.exact_cost,
            "gap_percent": self.gap_percent,
            "simulated_average_cost": self.simulated_cost,
            "note": self.error or self.exact_note,
            **{f"param.{k}": v for k, v in self.summary.items()},
        }


@dataclass
class Comparison:
    """All results of one run."""

    optimum_name: str | None = None
    optimum: float | None = None
    optimum_note: str = ""
    results: list[ControllerResult] = field(default_factory=list)
    dp_table: np.ndarray | None = None
    dp_min_position: int = 0


def _stationary_finite(model: Any) -> str | None:
    """Why the exact methods do not apply to ``model``'s demand (None when they do)."""
    demand = model.demand_generator
    if not demand.has_finite_support:
        return f"{type(demand).__name__} has unbounded support: no exact evaluation"
    if demand.season_length is not None:
        return f"{type(demand).__name__} is not stationary: no exact average cost"
    return None


def exact_optimum(model: Any, fitted: dict[str, Any] | None = None) -> tuple[str | None, float | None, str]:
    """``(name, value, note)`` of the exact optimal average cost of ``model`` when one exists.

    Single sourcing: the optimal base-stock policy (optimal under backlogging). Dual
    sourcing: average-cost dynamic programming (only when :math:`l_r - l_e \\le 3`, unless
    ``fitted`` already holds a fitted ``DynamicProgrammingController``).
    """
    from ..dual_controller import DynamicProgrammingController
    from ..single_controller import BaseStockController
    from ..sourcing_model import DualSourcingModel, SingleSourcingModel

    fitted = fitted or {}
    why = _stationary_finite(model)
    if why is not None:
        return None, None, why
    rule = getattr(model.params, "excess_demand", "backlog")
    if rule != "backlog":  # the known optima below assume backlogging
        return None, None, f"no exact optimum is known for excess demand {rule!r}"
    if type(model) is SingleSourcingModel:
        ctrl = fitted.get("BaseStockController")
        if ctrl is None or ctrl.base_stock_level is not None:
            ctrl = BaseStockController().fit(model)
        return "Optimal base-stock policy", float(ctrl.expected_cost_), ""
    if type(model) is DualSourcingModel:
        dp = fitted.get("DynamicProgrammingController")
        if dp is None:
            gap = model.regular_lead_time - model.expedited_lead_time
            if gap < 1:
                return None, None, "dynamic programming needs l_e < l_r"
            if gap > 3:
                return None, None, "l_r - l_e > 3: select DynamicProgrammingController to solve it"
            dp = DynamicProgrammingController().fit(model)
        return "Dynamic programming", float(dp.optimal_cost_), ""
    return None, None, f"no exact optimum is known for {type(model).__name__}"


def _summary(ctrl: Any) -> dict[str, Any]:
    """Scalar learned/hyper parameters of a fitted controller (for the results table)."""
    out: dict[str, Any] = {}
    for name in ("z_star", "s_e", "s_r", "q_r", "best_cost_", "fit_time_", "optimal_cost_"):
        v = getattr(ctrl, name, None)
        if isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool):
            out[name] = v.item() if hasattr(v, "item") else v
    return out


def _accepts(func: Any, name: str) -> bool:
    return name in inspect.signature(func).parameters


def _save(ctrl: Any, folder: Path) -> Path | None:
    """Save ``ctrl`` into ``folder`` when it can be saved; the suffix follows the format."""
    if not callable(getattr(ctrl, "save", None)):
        return None
    stem = folder / type(ctrl).__name__
    ctrl.save(stem)
    written = stem if stem.exists() else next(iter(folder.glob(stem.name + ".*")), None)
    if written is None:
        return None
    head = written.read_bytes()[:2]
    suffix = ".json" if head[:1] == b"{" else ".pt" if head == b"PK" else ".bin"
    target = written.with_suffix(suffix) if written.suffix == "" else written
    if target != written:
        written.replace(target)
    return target


def _fit_one(spec: ControllerSpec, model: Any, job: Job, folder: Path) -> ControllerResult:
    res = ControllerResult(spec.name)
    ctrl = spec.cls(**spec.init_kwargs)
    fit_kwargs = dict(spec.fit_kwargs)
    if _accepts(spec.cls.fit, "callbacks"):

        def callback(progress: Any) -> bool:
            job.report(
                controller=spec.name,
                stage=progress.stage,
                epoch=progress.epoch,
                epochs=progress.epochs,
                train_cost=progress.train_cost,
                validation_cost=progress.validation_cost,
                best_cost=progress.best_cost,
            )
            return job.cancelled

        fit_kwargs["callbacks"] = [callback]
    if _accepts(spec.cls.fit, "progress"):
        fit_kwargs.setdefault("progress", False)
    ctrl.fit(model, **fit_kwargs)
    res.controller = ctrl
    res.cancelled = bool(getattr(ctrl, "cancelled_", False))
    res.summary = _summary(ctrl)
    why = _stationary_finite(model)
    if not getattr(ctrl, "is_stationary", True):
        res.exact_note = "period-dependent policy: no long-run average cost"
    elif why is not None:
        res.exact_note = why
    else:
        from ..exact import evaluate_policy

        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res.exact_cost = float(evaluate_policy(ctrl, model).average_cost)
            res.exact_note = "; ".join(str(w.message) for w in caught)
        except Exception as exc:  # informative: shown in the note column
            res.exact_note = f"exact evaluation failed: {describe_error(exc)}"
    periods = SIMULATION_PERIODS
    horizon = fit_kwargs.get("horizon")
    if isinstance(horizon, int) and horizon > 0:
        periods = min(periods, horizon)
    res.simulated_cost = float(ctrl.get_average_cost(model, sourcing_periods=periods, seed=0).detach())
    paths = ctrl.simulate(model, sourcing_periods=min(PLOT_PERIODS, periods), seed=0)
    names = ["inventory", "order"] if len(paths) == 2 else ["inventory", "regular order", "expedited order"]
    res.paths = {n: np.asarray(p, dtype=float).tolist() for n, p in zip(names, paths)}
    try:
        res.file = _save(ctrl, folder)
    except Exception as exc:  # a controller without save support is still shown
        res.exact_note = (res.exact_note + "; " if res.exact_note else "") + f"not saved: {describe_error(exc)}"
    return res


def run_comparison(job: Job, model: Any, specs: list[ControllerSpec], folder: Path) -> Comparison:
    """Fit every controller of ``specs`` on ``model``, evaluate it, then the optimum.

    A failing controller is recorded with its error and does not stop the others.
    """
    out = Comparison()
    fitted: dict[str, Any] = {}
    for spec in specs:
        if job.cancelled:
            break
        job.report(controller=spec.name, stage="start")
        try:
            res = _fit_one(spec, model, job, folder)
            fitted[spec.name] = res.controller
        except Exception as exc:
            res = ControllerResult(spec.name, error=describe_error(exc))
        out.results.append(res)
        job.report(controller=spec.name, stage="done")
    try:
        out.optimum_name, out.optimum, out.optimum_note = exact_optimum(model, fitted)
    except Exception as exc:
        out.optimum_note = f"exact optimum failed: {describe_error(exc)}"
    if out.optimum is not None and out.optimum > 0:
        for r in out.results:
            if r.exact_cost is not None:
                gap = 100.0 * (r.exact_cost / out.optimum - 1.0)
                r.gap_percent = 0.0 if abs(gap) < 5e-7 else gap
    dp = fitted.get("DynamicProgrammingController")
    if dp is not None:
        out.dp_table = np.asarray(dp.policy_table_)
        out.dp_min_position = int(dp.truncation_["min_position"])
    return out


def finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)
