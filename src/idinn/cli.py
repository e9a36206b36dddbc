"""Command-line interface.

``idinn [run] [--config FILE.toml] [--output PNG] [--force]``
    Train a controller and compare it with the exact optimum. Without a configuration
    file, trains the JOSS paper's single-sourcing example. The configuration schema is in
    ``docs/cli.md``; reading and checking it is :mod:`idinn.config`.
``idinn portfolio ARGS``
    :func:`idinn.portfolio.cli.main` (needs ``pip install "idinn[distributed]"``).
``idinn app ARGS``
    :func:`idinn.app.cli.main` (needs ``pip install "idinn[app]"``).
"""

from __future__ import annotations

import argparse
import copy
import importlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from . import __version__
from .config import ConfigError, controller_entry, from_config, load_config

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

#: Subcommands served by optional packages: (module, extra to install).
SUBCOMMANDS = {"portfolio": ("idinn.portfolio.cli", "distributed"), "app": ("idinn.app.cli", "app")}


def exact_optimum(model: Any) -> tuple[str, float] | None:
    """Name and value of the exact optimal average cost, when it is cheap to compute."""
    from .sourcing_model import SingleSourcingModel

    demand = model.demand_generator
    if not demand.has_finite_support or demand.season_length is not None:
        return None
    params = model.params
    if params.n_suppliers > 2 or type(model).__name__ == "MultiSourcingModel":
        return None  # the K-supplier exact engine is idinn.exact.solve_multi_sourcing_average_cost (not run here)
    if isinstance(model, SingleSourcingModel) and params.has_review_periods:
        from .single_controller import BaseStockController

        if params.has_fixed_costs or params.has_capacities or params.excess_demand != "backlog":
            return None
        return "optimal (R, S) policy", float(BaseStockController().fit(model).expected_cost_)
    if params.has_review_periods:
        return None  # the dual-sourcing DP does not model review periods yet
    if isinstance(model, SingleSourcingModel):
        from .single_controller import BaseStockController, ModifiedBaseStockController, SSController

        if params.has_fixed_costs and params.has_capacities:
            return None  # no exact method for both yet
        if params.has_fixed_costs:
            return "optimal (s, S) policy", float(SSController().fit(model).expected_cost_)
        if params.has_capacities:
            return "optimal modified base-stock policy", float(ModifiedBaseStockController().fit(model).expected_cost_)
        return "optimal base-stock policy", float(BaseStockController().fit(model).expected_cost_)
    if params.has_fixed_costs or params.has_capacities:
        return None  # the dual-sourcing DP models neither yet
    if model.regular_lead_time - model.expedited_lead_time <= 4:
        from .dual_controller import DynamicProgrammingController

        return "dynamic programming", float(DynamicProgrammingController().fit(model).optimal_cost_)
    return None


def _levels_text(levels: Any, shown: int = 6) -> str:
    """``[4, 5, 6, ...] (12 periods)``: the first ``shown`` order-up-to levels; ``-inf`` is "none"."""
    import numpy as np

    values = np.asarray(levels, dtype=float).ravel()
    items = ["none" if not np.isfinite(v) else f"{v:g}" for v in values[:shown]]
    more = ", ..." if values.size > shown else ""
    return f"[{', '.join(items)}{more}] ({values.size} period{'s' if values.size != 1 else ''})"


def describe_policy(controller: Any) -> str:
    """One line naming the fitted policy's parameters, read from documented fitted attributes.

    - base stock: ``base-stock level S = 4`` (``z_star``);
    - multi-index: ``order-up-to levels per supplier S = (3, 3, 9)`` (``base_stock_levels_``);
    - dual heuristics (capped dual index, dual index, single index, tailored base surge):
      their levels in the order of ``_param_names``, e.g. ``s_e = 3, s_r = 9, q_r = 4``;
    - finite-horizon / discounted base stock: the order-up-to levels ``base_stock_levels_``
      of the first periods;
    - dynamic-programming controllers: ``optimal_cost_`` and the size of the policy table;
    - neural controllers: the network's layer widths (inputs -> hidden -> outputs).

    Returns an empty string for a controller it does not know (nothing is printed then).
    """
    import numpy as np

    if hasattr(controller, "z_star"):
        return f"base-stock level S = {controller.z_star}"
    if getattr(controller, "base_stock_levels_", None) is not None and not hasattr(controller, "optimal_cost_"):
        levels = ", ".join(str(int(v)) for v in controller.base_stock_levels_)  # multi-index: one per supplier
        return f"order-up-to levels per supplier S = ({levels})"
    names = getattr(controller, "_param_names", ())
    if names:
        return ", ".join(f"{name} = {int(getattr(controller, name))}" for name in names)
    if hasattr(controller, "optimal_cost_"):
        table = getattr(controller, "policy_table_", None)
        if table is None:
            table = getattr(controller, "policy_tables_", None)
        size = "" if table is None else f", policy table of {int(np.prod(np.shape(table)[:-1])):,} entries"
        text = f"optimal cost {float(controller.optimal_cost_):.4f}{size}"
        if hasattr(controller, "base_stock_levels_"):
            text = f"order-up-to levels S_t = {_levels_text(controller.base_stock_levels_)}; {text}"
        return text
    network = getattr(controller, "model", None)
    if network is not None and hasattr(network, "modules"):
        import torch

        linear = [m for m in network.modules() if isinstance(m, torch.nn.Linear)]
        if linear:
            widths = [linear[0].in_features] + [m.out_features for m in linear]
            return "neural network " + " -> ".join(str(w) for w in widths) + " (inputs -> hidden -> outputs)"
    return ""


_PLOT_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg", "eps", "ps", "tif", "tiff", "webp", "pgf", "raw", "rgba", "svgz")


def check_output_path(path: Path, force: bool, example: str = "idinn-plot.png") -> str | None:
    """Why ``path`` cannot receive an output file, or ``None`` when it can (checked before any work).

    ``example`` is the file name suggested for a folder; a ``.png`` example also checks
    that the suffix is an image format matplotlib writes.
    """
    if path.is_dir():
        return f"{path} is a folder; give a file name such as {path / example}"
    if path.exists() and not force:
        return f"{path} exists; pass --force to overwrite it"
    suffix = path.suffix.lower().lstrip(".")
    if example.endswith(".png") and suffix not in _PLOT_FORMATS:
        return f"{path}: unknown plot format {path.suffix or '(none)'!r}; end the file name with .png, .pdf or .svg"
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                return f"cannot write {path}: {parent} is a file, not a folder"
            if not os.access(parent, os.W_OK):
                return f"cannot write {path}: the folder {parent} is not writable"
            break
    return None


def run(
    cfg: dict[str, Any],
    where: str,
    output: Path | None,
    force: bool,
    save_controller: Path | None = None,
    save_config: Path | None = None,
) -> int:
    """Train, evaluate and plot the run described by ``cfg``; return the exit code.

    Every output path is checked first; ``save_config`` receives ``cfg`` as TOML (after
    the command-line overrides) before training, ``save_controller`` the trained
    controller (``controller.save``; read it back with :func:`idinn.load_controller`).
    """
    checks = [(output, "idinn-plot.png"), (save_controller, "controller.idinn"), (save_config, "run.toml")]
    paths = [p for p, _ in checks if p is not None]
    if len({p.absolute() for p in paths}) != len(paths):
        print("idinn: the output files must be different paths", file=sys.stderr)
        return 2
    for path, example in checks:
        problem = None if path is None else check_output_path(path, force, example)
        if problem is not None:
            print(f"idinn: {problem}", file=sys.stderr)
            return 2
    rc = from_config(cfg, where)
    if save_config is not None:
        from .config import to_toml

        save_config.parent.mkdir(parents=True, exist_ok=True)
        if Path(where).is_file():
            cfg = _absolute_paths(cfg, Path(where).parent)
        save_config.write_text(to_toml(cfg, header=f"idinn {__version__}: idinn run --config {save_config}"),
                               encoding="utf-8")
        print(f"Configuration saved to {save_config}")
    model, ctrl = rc.model, rc.controller
    print(f"Model:      {model!r}")
    print(f"Controller: {type(ctrl).__name__}")
    start = time.perf_counter()
    ctrl.fit(model, **rc.fit_kwargs)
    elapsed = time.perf_counter() - start
    periods = rc.evaluation_periods
    avg = float(ctrl.get_average_cost(model, sourcing_periods=periods, seed=rc.evaluation_seed).detach())
    print(f"Fit time:   {elapsed:.2f} s")
    described = describe_policy(ctrl)
    if described:
        print(f"Policy:     {described}")
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
        fig, _ = ctrl.plot(model, sourcing_periods=rc.plot_periods, seed=0)
        output.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(output, dpi=120)
        print(f"Plot saved to {output}")
    if save_controller is not None:
        save_controller.parent.mkdir(parents=True, exist_ok=True)
        ctrl.save(save_controller)
        print(f"Controller saved to {save_controller} (read it with idinn.load_controller)")
    return 0


def _absolute_paths(value: Any, base: Path) -> Any:
    """A copy of a configuration whose demand files are absolute paths (read from ``base``)."""
    if isinstance(value, dict):
        out = {k: _absolute_paths(v, base) for k, v in value.items()}
        if isinstance(out.get("path"), str) and "type" in out and not Path(out["path"]).is_absolute():
            out["path"] = str((base / out["path"]).absolute())
        return out
    if isinstance(value, list):
        return [_absolute_paths(v, base) for v in value]
    return value


def _subcommand(name: str, argv: list[str]) -> int:
    module, extra = SUBCOMMANDS[name]
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        missing = getattr(exc, "name", None) or str(exc)
        print(
            f'idinn {name} needs the optional extra: pip install "idinn[{extra}]" (missing module: {missing})',
            file=sys.stderr,
        )
        return 2
    return int(mod.main(argv) or 0)


def _apply_override(cfg: dict[str, Any], key: str, value: int, where: str) -> None:
    """``--epochs``/``--seed``: set ``[training] key`` when the controller's fit takes it."""
    model = cfg.get("model") if isinstance(cfg.get("model"), dict) else {}
    ctrl = cfg.get("controller") if isinstance(cfg.get("controller"), dict) else {}
    entry = controller_entry(model.get("type", "single"), ctrl.get("type", "neural"), where)
    if key not in entry.fit_keys:
        raise ConfigError(
            f"--{key} does not apply to controller type {entry.name!r} ({entry.cls.__name__}.fit has no {key!r}); "
            "leave it out."
        )
    training = cfg.setdefault("training", {})
    if isinstance(training, dict):
        training[key] = value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="idinn",
        description="Train an inventory controller and compare it with the exact optimum. "
        "Without --config, runs the JOSS paper's single-sourcing example. "
        "Other commands: 'idinn portfolio ARGS' (many SKUs; idinn[distributed]) and "
        "'idinn app ARGS' (the web app; idinn[app]).",
    )
    parser.add_argument("command", nargs="?", default="run", choices=["run"], help="what to do (default: run)")
    parser.add_argument("--config", type=Path, help="TOML file describing [model], [controller], [training] (docs/cli.md)")
    parser.add_argument("--output", type=Path, default=Path("idinn-plot.png"), help="where to save the plot (PNG)")
    parser.add_argument("--no-plot", action="store_true", help="do not save a plot")
    parser.add_argument("--save-controller", type=Path, metavar="FILE",
                        help="save the trained controller (read it with idinn.load_controller)")
    parser.add_argument("--save-config", type=Path, metavar="FILE.toml",
                        help="save the configuration of this run (after --epochs/--seed) as TOML")
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    parser.add_argument("--epochs", type=int, help="override [training] epochs")
    parser.add_argument("--seed", type=int, help="override [training] seed")
    parser.add_argument("-v", "--verbose", action="store_true", help="log training progress")
    parser.add_argument("--version", action="version", version=f"idinn {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``idinn`` console command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        return _subcommand(argv[0], argv[1:])
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s")
    try:
        if args.config is None:
            cfg = copy.deepcopy(PAPER_EXAMPLE)
            where = "<paper example>"
            print("idinn: training the JOSS paper's single-sourcing example (lead time 0, h=5, b=495, demand U{0..4})")
        else:
            where = str(args.config)
            cfg = load_config(args.config)
        if args.epochs is not None:
            _apply_override(cfg, "epochs", args.epochs, where)
        if args.seed is not None:
            _apply_override(cfg, "seed", args.seed, where)
        return run(cfg, where, None if args.no_plot else args.output, args.force,
                   save_controller=args.save_controller, save_config=args.save_config)
    except (ConfigError, ValueError, TypeError) as exc:
        print(f"idinn: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
