"""Command-line interface: ``idinn [run] [--config FILE.toml] [--output PNG] [--force]``.

Without a configuration file, ``idinn`` trains the JOSS paper's single-sourcing example
and prints the learned policy's cost beside the exact optimum.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import torch

from . import __version__
from .demand import BaseDemand, CustomDemand, PoissonDemand, SeasonalDemand, TraceDemand, UniformDemand

PAPER_EXAMPLE: dict[str, Any] = {
    "model": {
        "type": "single",
        "lead_time": 0,
        "holding_cost": 5,
        "shortage_cost": 495,
        "batch_size": 32,
        "init_inventory": 10,
        "demand": {"type": "uniform", "low": 0, "high": 4},
    },
    "controller": {"type": "neural", "hidden_layers": [2], "activation": "CELU"},
    "training": {"sourcing_periods": 50, "validation_sourcing_periods": 1000, "epochs": 2000, "seed": 1},
    "evaluation": {"sourcing_periods": 1000, "seed": 0},
}

_MODEL_KEYS = {
    "single": {"lead_time", "holding_cost", "shortage_cost", "init_inventory", "batch_size", "order_cost"},
    "dual": {
        "regular_lead_time", "expedited_lead_time", "regular_order_cost", "expedited_order_cost",
        "holding_cost", "shortage_cost", "init_inventory", "batch_size",
    },
}


class ConfigError(ValueError):
    """A configuration file that cannot describe a model or controller."""


def _section(cfg: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    sec = cfg.get(name)
    if not isinstance(sec, dict):
        raise ConfigError(f"{where}: missing table [{name}]")
    return sec


def build_demand(spec: Any, where: str) -> BaseDemand:
    """Demand model from a ``[model.demand]`` table."""
    if not isinstance(spec, dict) or "type" not in spec:
        raise ConfigError(f"{where}: [model.demand] needs a 'type' (uniform, custom, poisson, seasonal_uniform, trace)")
    kind = spec["type"]
    args = {k: v for k, v in spec.items() if k != "type"}
    if kind == "uniform":
        return UniformDemand(**args)
    if kind == "custom":
        pmf = args.get("pmf")
        if not isinstance(pmf, dict):
            raise ConfigError(f"{where}: custom demand needs pmf = {{ \"0\" = 0.5, \"2\" = 0.5 }}")
        try:
            return CustomDemand({int(k): v for k, v in pmf.items()})
        except ValueError as exc:
            raise ConfigError(f"{where}: custom demand keys must be integers ({exc})") from None
    if kind == "poisson":
        return PoissonDemand(**args)
    if kind == "seasonal_uniform":
        return SeasonalDemand.uniform(lows=args["lows"], highs=args["highs"])
    if kind == "trace":
        path = Path(args["path"])
        if not path.is_absolute():
            path = Path(where).parent / path
        return TraceDemand.from_csv(path, args["column"], mode=args.get("mode", "replay"))
    raise ConfigError(f"{where}: unknown demand type {kind!r}")


def build_model(cfg: dict[str, Any], where: str) -> Any:
    from .sourcing_model import DualSourcingModel, SingleSourcingModel

    spec = dict(_section(cfg, "model", where))
    kind = spec.pop("type", "single")
    if kind not in _MODEL_KEYS:
        raise ConfigError(f"{where}: [model] type must be 'single' or 'dual', got {kind!r}")
    demand = build_demand(spec.pop("demand", None), where)
    unknown = set(spec) - _MODEL_KEYS[kind]
    if unknown:
        raise ConfigError(f"{where}: unknown [model] keys {sorted(unknown)}; allowed: {sorted(_MODEL_KEYS[kind])}")
    cls = SingleSourcingModel if kind == "single" else DualSourcingModel
    return cls(demand_generator=demand, **spec)


def build_controller(cfg: dict[str, Any], model: Any, where: str) -> tuple[Any, dict[str, Any]]:
    """Controller and the keyword arguments of its ``fit``."""
    from . import dual_controller as dc
    from . import single_controller as sc
    from .sourcing_model import SingleSourcingModel

    spec = dict(cfg.get("controller", {"type": "neural"}))
    kind = spec.pop("type", "neural")
    single = isinstance(model, SingleSourcingModel)
    training = dict(cfg.get("training", {}))
    if kind == "neural":
        act_name = spec.pop("activation", "CELU" if single else "ReLU")
        act_cls = getattr(torch.nn, str(act_name), None)
        if act_cls is None or not isinstance(act_cls, type) or not issubclass(act_cls, torch.nn.Module):
            raise ConfigError(f"{where}: unknown activation {act_name!r} (use a torch.nn class name, e.g. ReLU)")
        cls = sc.SingleSourcingNeuralController if single else dc.DualSourcingNeuralController
        ctrl = cls(activation=act_cls(), **spec)
        training.setdefault("sourcing_periods", 50 if single else 100)
        training.setdefault("epochs", 2000 if single else 300)
        return ctrl, training
    table: dict[str, Any] = {"base_stock": sc.BaseStockController} if single else {
        "capped_dual_index": dc.CappedDualIndexController,
        "dual_index": dc.DualIndexController,
        "tailored_base_surge": dc.TailoredBaseSurgeController,
        "single_index": dc.SingleIndexController,
        "dynamic_programming": dc.DynamicProgrammingController,
    }
    if kind not in table:
        raise ConfigError(f"{where}: controller type {kind!r} is not available for this model; choose from {sorted(table) + ['neural']}")
    return table[kind](**spec), training


def exact_optimum(model: Any) -> tuple[str, float] | None:
    """Name and value of the exact optimal average cost, when it is cheap to compute."""
    from .sourcing_model import SingleSourcingModel

    demand = model.demand_generator
    if not demand.has_finite_support or demand.season_length is not None:
        return None
    if isinstance(model, SingleSourcingModel):
        from .single_controller import BaseStockController

        return "optimal base-stock policy", float(BaseStockController().fit(model).expected_cost_)
    if model.regular_lead_time - model.expedited_lead_time <= 4:
        from .dual_controller import DynamicProgrammingController

        return "dynamic programming", float(DynamicProgrammingController().fit(model).optimal_cost_)
    return None


def run(cfg: dict[str, Any], where: str, output: Path | None, force: bool) -> int:
    if output is not None and output.exists() and not force:
        print(f"idinn: {output} exists; pass --force to overwrite it", file=sys.stderr)
        return 2
    model = build_model(cfg, where)
    ctrl, fit_kwargs = build_controller(cfg, model, where)
    evaluation = cfg.get("evaluation", {})
    print(f"Model:      {model!r}")
    print(f"Controller: {type(ctrl).__name__}")
    start = time.perf_counter()
    ctrl.fit(model, **fit_kwargs)
    elapsed = time.perf_counter() - start
    periods = int(evaluation.get("sourcing_periods", 1000))
    avg = float(ctrl.get_average_cost(model, sourcing_periods=periods, seed=evaluation.get("seed", 0)).detach())
    print(f"Fit time:   {elapsed:.2f} s")
    print(f"Average cost per period over {periods} simulated periods (batch {model.batch_size}): {avg:.4f}")
    try:
        from .exact import evaluate_policy

        ev = evaluate_policy(ctrl, model)
        print(f"Exact long-run average cost of the learned policy: {ev.average_cost:.4f}")
    except Exception as exc:  # exact evaluation is informative only
        ev = None
        logging.getLogger("idinn.cli").info("exact evaluation skipped: %s", exc)
    opt = exact_optimum(model)
    if opt is not None:
        name, value = opt
        print(f"Exact optimum ({name}): {value:.4f}")
        if ev is not None and value > 0:
            gap = 100 * (ev.average_cost / value - 1)
            print(f"Optimality gap: {0.0 if abs(gap) < 5e-4 else gap:.3f} %")  # no "-0.000"
    if output is not None:
        import matplotlib

        matplotlib.use("Agg")
        fig, _ = ctrl.plot(model, sourcing_periods=int(cfg.get("plot", {}).get("sourcing_periods", 100)), seed=0)
        output.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(output, dpi=120)
        print(f"Plot saved to {output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="idinn",
        description="Train an inventory controller and compare it with the exact optimum. "
        "Without --config, runs the JOSS paper's single-sourcing example.",
    )
    parser.add_argument("command", nargs="?", default="run", choices=["run"], help="what to do (default: run)")
    parser.add_argument("--config", type=Path, help="TOML file describing [model], [controller], [training]")
    parser.add_argument("--output", type=Path, default=Path("idinn-plot.png"), help="where to save the plot (PNG)")
    parser.add_argument("--no-plot", action="store_true", help="do not save a plot")
    parser.add_argument("--force", action="store_true", help="overwrite an existing output file")
    parser.add_argument("--epochs", type=int, help="override [training] epochs")
    parser.add_argument("--seed", type=int, help="override [training] seed")
    parser.add_argument("-v", "--verbose", action="store_true", help="log training progress")
    parser.add_argument("--version", action="version", version=f"idinn {__version__}")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s")
    if args.config is None:
        import copy

        cfg = copy.deepcopy(PAPER_EXAMPLE)
        where = "<paper example>"
        print("idinn: training the JOSS paper's single-sourcing example (lead time 0, h=5, b=495, demand U{0..4})")
    else:
        where = str(args.config)
        try:
            with open(args.config, "rb") as fh:
                cfg = tomllib.load(fh)
        except FileNotFoundError:
            print(f"idinn: no such configuration file: {args.config}", file=sys.stderr)
            return 2
        except tomllib.TOMLDecodeError as exc:
            print(f"idinn: {args.config} is not valid TOML: {exc}", file=sys.stderr)
            return 2
    training = cfg.setdefault("training", {})
    if args.epochs is not None:
        training["epochs"] = args.epochs
    if args.seed is not None:
        training["seed"] = args.seed
    try:
        return run(cfg, where, None if args.no_plot else args.output, args.force)
    except (ConfigError, ValueError, TypeError) as exc:
        print(f"idinn: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
