"""Downloads: the results table (CSV, JSON) and a TOML configuration for the CLI.

The configuration follows the schema of ``idinn --config FILE.toml`` (see
:data:`idinn.cli.PAPER_EXAMPLE` and docs/cli.md): tables ``[model]`` (with
``[model.demand]``), ``[controller]``, ``[training]`` and ``[evaluation]``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["results_frame", "results_csv", "results_json", "demand_to_dict", "run_config", "config_toml", "to_toml"]


def results_frame(comparison: Any) -> pd.DataFrame:
    """One row per controller, plus the optimum's name and value in every row."""
    rows = [r.row() for r in comparison.results]
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame.insert(1, "optimum", comparison.optimum)
        frame.insert(1, "optimum_method", comparison.optimum_name)
    return frame


def results_csv(comparison: Any) -> bytes:
    return results_frame(comparison).to_csv(index=False).encode()


def _plain(x: Any) -> Any:
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def results_json(comparison: Any, problem: dict[str, Any]) -> bytes:
    """The problem, the optimum and each controller's results (paths included)."""
    payload = {
        "problem": problem,
        "optimum": {"method": comparison.optimum_name, "average_cost": comparison.optimum,
                    "note": comparison.optimum_note},
        "controllers": [
            {**{k: _plain(v) for k, v in r.row().items()}, "paths": r.paths} for r in comparison.results
        ],
    }
    return json.dumps(payload, indent=2, default=_plain).encode()


def demand_to_dict(demand: Any) -> dict[str, Any]:
    """Plain-data description of a demand model (the CLI's ``[model.demand]`` table).

    Uses the model's own ``to_dict`` when the library has it; otherwise the CLI's
    ``uniform``/``poisson`` types, or an exact ``custom`` pmf for any finite demand.
    """
    to_dict = getattr(demand, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    from ..demand import PoissonDemand, UniformDemand

    if type(demand) is UniformDemand:
        values, _ = demand.pmf()
        return {"type": "uniform", "low": int(values[0]), "high": int(values[-1])}
    if type(demand) is PoissonDemand:
        return {"type": "poisson", "rate": float(demand.rate)}
    if demand.season_length is None and demand.has_finite_support:
        values, probs = demand.pmf()
        return {"type": "custom", "pmf": {str(int(v)): float(p) for v, p in zip(values, probs)}}
    raise ValueError(f"{type(demand).__name__} cannot be written to a configuration file yet")


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def controller_type(cls: type) -> str:
    """The CLI's ``[controller] type`` of a controller class (``neural``, ``base_stock``...)."""
    if "Neural" in cls.__name__:
        return "neural"
    return _snake(cls.__name__.removesuffix("Controller"))


def model_type(cls: type) -> str:
    """The CLI's ``[model] type`` (``single``, ``dual``...)."""
    return _snake(cls.__name__.removesuffix("SourcingModel").removesuffix("Model"))


def _config_value(v: Any) -> Any:
    import torch

    if isinstance(v, torch.nn.Module):
        return type(v).__name__
    if isinstance(v, tuple):
        return list(v)
    return v


def run_config(
    model_cls: type,
    model_kwargs: dict[str, Any],
    demand: Any,
    spec: Any,
    batch_size: int,
    evaluation_periods: int,
) -> dict[str, Any]:
    """The CLI configuration that reproduces one controller of the run.

    Uses :func:`idinn.config.to_config` (which checks the result against the CLI's
    schema) when the library has it; otherwise writes the tables of
    :data:`idinn.cli.PAPER_EXAMPLE`'s schema directly.
    """
    options = {k: _config_value(v) for k, v in spec.init_kwargs.items() if v is not None}
    training = {k: _config_value(v) for k, v in spec.fit_kwargs.items() if v is not None}
    evaluation = {"sourcing_periods": evaluation_periods, "seed": 0}
    try:
        from ..config import to_config
    except ImportError:
        to_config = None
    if to_config is not None:
        model = model_cls(demand_generator=demand, batch_size=batch_size, **model_kwargs)
        return to_config(model, spec.cls, controller_options=options, training=training, evaluation=evaluation,
                         batch_size=batch_size)
    model_table = {"type": model_type(model_cls), **{k: _config_value(v) for k, v in model_kwargs.items()},
                   "batch_size": batch_size, "demand": demand_to_dict(demand)}
    return {
        "model": model_table,
        "controller": {"type": controller_type(spec.cls), **options},
        "training": training,
        "evaluation": evaluation,
    }


def config_toml(config: dict[str, Any]) -> str:
    """TOML text of a configuration (:func:`idinn.config.to_toml` when the library has it)."""
    try:
        from ..config import to_toml as library_to_toml
    except ImportError:
        return to_toml(config)
    return library_to_toml(config)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return repr(float(v))
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def to_toml(config: dict[str, Any]) -> str:
    """TOML text of a two-level configuration (tables of scalars, lists and inline tables).

    A dict nested in a table becomes a sub-table ``[table.key]``; ``None`` values are
    left out (they mean "the library's default").
    """
    lines: list[str] = []
    for table, body in config.items():
        lines.append(f"[{table}]")
        subtables = []
        for k, v in body.items():
            if v is None:
                continue
            if isinstance(v, dict) and k != "pmf":
                subtables.append((k, v))
            else:
                lines.append(f"{k} = {_toml_value(v)}")
        for k, sub in subtables:
            lines.append("")
            lines.append(f"[{table}.{k}]")
            lines.extend(f"{kk} = {_toml_value(vv)}" for kk, vv in sub.items() if vv is not None)
        lines.append("")
    return "\n".join(lines)
