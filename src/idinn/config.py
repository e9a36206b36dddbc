"""Configuration files: TOML tables <-> sourcing model, demand, controller and training options.

A configuration is a plain dict (read from TOML by :func:`load_config`) with the tables

``[model]``
    ``type = "single"`` or ``"dual"`` and the keyword arguments of
    :class:`~idinn.sourcing_model.SingleSourcingModel` /
    :class:`~idinn.sourcing_model.DualSourcingModel`, with ``demand`` a table (see
    :func:`demand_registry`); or ``type = "multi"`` with a ``[[model.suppliers]]`` list
    (:class:`~idinn.MultiSourcingModel`, see :mod:`idinn._config_multi`).
``[controller]``
    ``type`` (see :func:`controller_registry`) and the keyword arguments of the
    controller's constructor (``activation`` by its ``torch.nn`` class name).
``[training]``
    The keyword arguments of the controller's ``fit``.
``[evaluation]``, ``[plot]``
    ``sourcing_periods`` and ``seed`` of the simulated evaluation, ``sourcing_periods`` of
    the plot.

Every table is checked before anything is built: an unknown key is refused with the valid
keys (and the closest one), a value of the wrong type (``finite_horizon = "no"``) is refused
with the project's wording, and a demand model a controller cannot use is refused with what
to use instead. The registries are built from ``idinn.demand.__all__``,
``idinn.single_controller.__all__`` and ``idinn.dual_controller.__all__`` and the
signatures of their constructors and ``fit`` methods, so a new class appears without an
edit here. :func:`to_config` writes the configuration of a problem and controller, and
:func:`to_toml` its TOML text, which ``idinn run --config`` reproduces.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ._config_base import (
    SECTIONS,
    ConfigError,
    _check_keys,
    _check_kind,
    _init_keys,
    _kinds,
    _plain,
    _snake,
    _table,
    to_toml,
)
from ._config_demand import DemandEntry, build_demand, demand_registry, demand_to_config
from ._validation import _message

__all__ = [
    "ConfigError",
    "ControllerEntry",
    "DemandEntry",
    "RunConfig",
    "SECTIONS",
    "build_controller",
    "build_demand",
    "build_model",
    "controller_entry",
    "controller_registry",
    "demand_registry",
    "demand_to_config",
    "from_config",
    "load_config",
    "to_config",
    "to_toml",
]

_EVALUATION_KEYS = {"sourcing_periods": "an int >= 1", "seed": "an int >= 0"}
_PLOT_KEYS = {"sourcing_periods": "an int >= 1"}
_MODEL_CLASSES = {"single": "SingleSourcingModel", "dual": "DualSourcingModel", "multi": "MultiSourcingModel"}
_CONTROLLER_MODULES = {"single": "idinn.single_controller", "dual": "idinn.dual_controller",
                       "multi": "idinn.multi_controller"}
#: Keyword arguments accepted through ``**kwargs`` of a ``fit`` (not visible in its signature).
_FIT_EXTRA_KEYWORDS = {
    "FiniteHorizonBaseStockController": ("min_position", "max_position", "max_widenings"),
    "DiscountedBaseStockController": ("min_position", "max_position", "max_widenings"),
    "DynamicProgrammingController": ("min_position", "max_position", "max_regular_order", "max_widenings"),
    "FiniteHorizonDPController": ("min_position", "max_position", "max_regular_order", "max_widenings"),
    "DiscountedDPController": ("min_position", "max_position", "max_regular_order", "max_widenings"),
}
#: Parameters that a TOML file cannot give (Python objects).
_NOT_FROM_TOML = {"tensorboard_writer", "callbacks", "sourcing_model"}
#: Controllers whose exact methods need i.i.d. demand with a finite pmf.
_STATIONARY_FINITE = {"BaseStockController", "DynamicProgrammingController"}
_FINITE = {"FiniteHorizonBaseStockController", "DiscountedBaseStockController", "FiniteHorizonDPController",
           "DiscountedDPController"}
#: Default training length of the neural controllers (the paper's recipes).
_NEURAL_DEFAULTS = {"single": {"sourcing_periods": 50, "epochs": 2000},
                    "dual": {"sourcing_periods": 100, "epochs": 300},
                    "multi": {"sourcing_periods": 100, "epochs": 300}}


# ------------------------------------------------------------------------ controllers
@dataclass(frozen=True)
class ControllerEntry:
    """A controller type of the configuration.

    Attributes
    ----------
    name : str
        Value of ``[controller] type`` (``"capped_dual_index"``; ``"neural"`` for the
        neural controller of either model).
    model : {"single", "dual"}
        The model type it controls.
    cls : type
        The controller class.
    init_keys : dict of {str: inspect.Parameter}
        Keys of ``[controller]`` besides ``type`` (constructor parameters).
    fit_keys : dict of {str: inspect.Parameter or None}
        Keys of ``[training]`` (``fit`` parameters; ``None`` for those taken through
        ``**kwargs``).
    required_fit : tuple of str
        ``fit`` parameters without a default.
    """

    name: str
    model: str
    cls: Any
    init_keys: dict[str, Any]
    fit_keys: dict[str, Any]
    required_fit: tuple[str, ...]


def _controller_name(cls_name: str) -> str:
    base = cls_name[: -len("Controller")] if cls_name.endswith("Controller") else cls_name
    base = re.sub(r"^(Single|Dual|Multi)Sourcing", "", base)
    return _snake(base)


@lru_cache(maxsize=None)
def controller_registry() -> dict[tuple[str, str], ControllerEntry]:
    """Every controller class, keyed by ``(model type, controller type)``.

    Built from the ``__all__`` of :mod:`idinn.single_controller` (model ``"single"``) and
    :mod:`idinn.dual_controller` (``"dual"``): every concrete class with a ``fit``. The
    type is the class name in snake case without ``Controller`` and without a
    ``SingleSourcing``/``DualSourcing`` prefix (``SingleSourcingNeuralController`` ->
    ``neural``, ``FiniteHorizonDPController`` -> ``finite_horizon_dp``).
    """
    out: dict[tuple[str, str], ControllerEntry] = {}
    for model, modname in _CONTROLLER_MODULES.items():
        mod = importlib.import_module(modname)
        for cls_name in getattr(mod, "__all__", ()):
            cls = getattr(mod, cls_name)
            if not isinstance(cls, type) or inspect.isabstract(cls):
                continue
            if not callable(getattr(cls, "fit", None)):  # the abstract bases have none
                continue
            fit_params = list(inspect.signature(cls.fit).parameters.values())[2:]  # self, sourcing_model
            fit_keys: dict[str, Any] = {}
            required = []
            for p in fit_params:
                if p.kind == p.VAR_KEYWORD:
                    for extra in _FIT_EXTRA_KEYWORDS.get(cls_name, ()):
                        fit_keys[extra] = None
                elif p.kind != p.VAR_POSITIONAL and p.name not in _NOT_FROM_TOML:
                    fit_keys[p.name] = p
                    if p.default is p.empty:
                        required.append(p.name)
            init_keys = {n: p for n, p in _init_keys(cls).items() if n not in _NOT_FROM_TOML}
            name = _controller_name(cls_name)
            out[(model, name)] = ControllerEntry(name, model, cls, init_keys, fit_keys, tuple(required))
    return out


def _controllers_for(model: str) -> list[str]:
    return sorted(name for (m, name) in controller_registry() if m == model)


def controller_entry(model: str, kind: Any, where: str = "<config>") -> ControllerEntry:
    """The registry entry of controller ``kind`` for model type ``model``, or a ConfigError."""
    reg = controller_registry()
    if (model, kind) in reg:
        return reg[(model, kind)]
    names = _controllers_for(model)
    others = [m for m in _CONTROLLER_MODULES if m != model and (m, kind) in reg]
    other = others[0] if others else None
    if other is not None:
        raise ConfigError(
            f"{where}: controller type {kind!r} is not available for this model ([model] type = {model!r}); "
            f"it controls {other!r} models. Choose from: {', '.join(names)}."
        )
    close = difflib.get_close_matches(str(kind), names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ConfigError(f"{where}: unknown controller type {kind!r}.{hint} Choose from: {', '.join(names)}.")


def _activation(value: Any, where: str) -> Any:
    import torch

    if isinstance(value, str):
        cls = getattr(torch.nn, value, None)
        if isinstance(cls, type) and issubclass(cls, torch.nn.Module) and cls.__module__.startswith(
            "torch.nn.modules.activation"
        ):
            return cls()
    raise ConfigError(
        f"{where}: unknown activation {value!r} in [controller]; use the name of a torch.nn activation class, "
        "e.g. \"ReLU\", \"CELU\", \"ELU\", \"Tanh\"."
    )


def build_controller(cfg: dict[str, Any], model: Any, where: str = "<config>") -> tuple[Any, dict[str, Any]]:
    """Controller of ``[controller]`` for ``model`` and the keyword arguments of its ``fit``.

    Raises
    ------
    ConfigError
        For an unknown type, an unknown or ill-typed key of ``[controller]`` or
        ``[training]``, a missing required ``fit`` argument, or a demand model the
        controller cannot use (the message says what to use instead).
    """
    kind_model = {"SingleSourcingModel": "single", "MultiSourcingModel": "multi"}.get(type(model).__name__, "dual")
    spec = _table(cfg, "controller", where)
    kind = spec.pop("type", "neural")
    entry = controller_entry(kind_model, kind, where)
    owner = entry.cls.__name__
    _check_keys(spec, list(entry.init_keys), where, f"[controller] (controller type {kind!r}, {owner})")
    kwargs: dict[str, Any] = {}
    for k, v in spec.items():
        if k == "activation":
            kwargs[k] = _activation(v, where)
            continue
        p = entry.init_keys[k]
        _check_kind(v, _kinds(p.annotation, p.default), k, f"{owner} (table [controller])", where)
        kwargs[k] = v
    training = _fit_kwargs(cfg, entry, where)
    _check_demand_fits(entry, model.demand_generator, where)
    try:
        controller = entry.cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: [controller]: {exc}") from None
    return controller, training


def _fit_kwargs(cfg: dict[str, Any], entry: ControllerEntry, where: str) -> dict[str, Any]:
    training = _table(cfg, "training", where)
    owner = f"{entry.cls.__name__}.fit"
    _check_keys(training, list(entry.fit_keys), where, f"[training] (controller type {entry.name!r}, {owner})")
    for k, v in training.items():
        p = entry.fit_keys[k]
        if p is not None:
            _check_kind(v, _kinds(p.annotation, p.default), k, f"{owner} (table [training])", where)
    if entry.name == "neural":
        for k, v in _NEURAL_DEFAULTS[entry.model].items():
            training.setdefault(k, v)
    missing = [k for k in entry.required_fit if k not in training]
    if missing:
        raise ConfigError(
            f"{where}: [training] needs {missing[0]!r} for controller type {entry.name!r} ({owner} has no default "
            f"for it); add {missing[0]} = <value> under [training]."
        )
    return training


def _check_demand_fits(entry: ControllerEntry, demand: Any, where: str) -> None:
    from .demand import PoissonDemand, TraceDemand

    name = entry.cls.__name__
    if name not in _STATIONARY_FINITE and name not in _FINITE:
        return
    if not demand.has_finite_support:
        alt = (
            f'type = "truncated_poisson", rate = {demand.rate!r}, tail_mass = 1e-9'
            if isinstance(demand, PoissonDemand)
            else "a demand type with finite support (uniform, custom, truncated_poisson, discretized_normal, "
            "discretized_gamma, empirical) or its truncated() form"
        )
        raise ConfigError(
            f"{where}: controller type {entry.name!r} needs a demand with finite support (an exact pmf); "
            f"{demand!r} has none. Use {alt} in [model.demand]."
        )
    if name in _STATIONARY_FINITE and demand.season_length is not None:
        if isinstance(demand, TraceDemand) and demand.mode == "windows":
            raise ConfigError(
                f"{where}: controller type {entry.name!r} needs i.i.d. demand. Demand type 'trace' with mode "
                "'windows' replays contiguous stretches of the series, so consecutive periods are correlated and "
                f"{name}'s exact answer (for independent periods) would not hold. Use type = \"empirical\" with the "
                "same path and column (i.i.d. draws from the series' frequencies) for the optimal policy of "
                "i.i.d. demand, or controller type 'neural' to learn from the windows themselves."
            )
        alts = ("finite_horizon_base_stock", "discounted_base_stock") if entry.model == "single" else (
            "finite_horizon_dp", "discounted_dp")
        raise ConfigError(
            f"{where}: controller type {entry.name!r} needs stationary demand (the same distribution every "
            f"period); {demand!r} changes with the period. Use controller type {alts[0]!r} (with [training] "
            f"horizon = ...) or {alts[1]!r} (with [training] discount = ...), or 'neural'."
        )


# ------------------------------------------------------------------------ model
def _model_keys(kind: str) -> dict[str, inspect.Parameter]:
    from . import sourcing_model as sm

    params = _init_keys(getattr(sm, _MODEL_CLASSES[kind]))
    params.pop("demand_generator", None)
    return params


def build_model(cfg: dict[str, Any], where: str = "<config>", base_dir: Any = None) -> Any:
    """Sourcing model of the ``[model]`` table (with its ``demand`` table)."""
    from . import sourcing_model as sm

    spec = _table(cfg, "model", where, required=True)
    kind = spec.pop("type", "single")
    if kind not in _MODEL_CLASSES:
        raise ConfigError(f"{where}: [model] type must be 'single' or 'dual' (or 'multi' with a [[model.suppliers]] "
                          f"list), got {kind!r}.")
    if kind == "multi":
        from ._config_multi import build_multi_model

        if "demand" not in spec:
            raise ConfigError(
                f"{where}: [model] needs a demand table, e.g. demand = {{ type = \"uniform\", low = 0, high = 4 }}."
            )
        return build_multi_model(spec, build_demand(spec.pop("demand"), where, base_dir), where)
    keys = _model_keys(kind)
    cls_name = _MODEL_CLASSES[kind]
    _check_keys(spec, list(keys) + ["demand"], where, f"[model] (type {kind!r}, {cls_name})")
    for k, v in spec.items():
        if k != "demand":
            p = keys[k]
            _check_kind(v, _kinds(p.annotation, p.default), k, f"{cls_name} (table [model])", where)
    if "demand" not in spec:
        raise ConfigError(
            f"{where}: [model] needs a demand table, e.g. demand = {{ type = \"uniform\", low = 0, high = 4 }}."
        )
    demand = build_demand(spec.pop("demand"), where, base_dir)
    try:
        return getattr(sm, cls_name)(demand_generator=demand, **spec)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: [model]: {exc}") from None


# ------------------------------------------------------------------------ whole runs
@dataclass
class RunConfig:
    """Everything ``idinn run`` needs, built and checked from a configuration.

    Attributes
    ----------
    model : SingleSourcingModel or DualSourcingModel
    controller : controller instance (not fitted)
    controller_type : str
        Its ``[controller] type``.
    fit_kwargs : dict
        Keyword arguments of ``controller.fit(model, **fit_kwargs)``.
    evaluation_periods : int
    evaluation_seed : int or None
    plot_periods : int
    """

    model: Any
    controller: Any
    controller_type: str
    fit_kwargs: dict[str, Any]
    evaluation_periods: int = 1000
    evaluation_seed: int | None = 0
    plot_periods: int = 100


def _small_table(cfg: dict[str, Any], name: str, rules: dict[str, str], where: str) -> dict[str, Any]:
    sec = _table(cfg, name, where)
    _check_keys(sec, list(rules), where, f"[{name}]")
    for k, v in sec.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < (1 if rules[k].endswith("1") else 0):
            raise ConfigError(f"{where}: {_message(k, f'table [{name}]', rules[k], v)}")
    return sec


def from_config(cfg: dict[str, Any], where: str = "<config>", base_dir: Any = None) -> RunConfig:
    """Check a whole configuration and build its model and controller.

    Parameters
    ----------
    cfg : dict
        The configuration (e.g. from :func:`load_config` or :func:`to_config`).
    where : str, default="<config>"
        Named first in every error message (the file name).
    base_dir : path-like, optional
        Folder of relative demand files (default: the folder of ``where`` when it is a
        file, else the working directory).

    Raises
    ------
    ConfigError
        Before any work, for anything the configuration cannot describe.
    """
    if not isinstance(cfg, dict):
        raise ConfigError(f"{where}: a configuration is a table of tables ({', '.join(SECTIONS)}). Got {cfg!r} instead.")
    _check_keys(cfg, SECTIONS, where, "the configuration (top-level tables)")
    if base_dir is None and where and Path(where).is_file():
        base_dir = Path(where).parent
    model = build_model(cfg, where, base_dir)
    controller, fit_kwargs = build_controller(cfg, model, where)
    evaluation = _small_table(cfg, "evaluation", _EVALUATION_KEYS, where)
    plot = _small_table(cfg, "plot", _PLOT_KEYS, where)
    kind = _table(cfg, "controller", where).get("type", "neural")
    return RunConfig(
        model=model,
        controller=controller,
        controller_type=kind,
        fit_kwargs=fit_kwargs,
        evaluation_periods=evaluation.get("sourcing_periods", 1000),
        evaluation_seed=evaluation.get("seed", 0),
        plot_periods=plot.get("sourcing_periods", 100),
    )


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML configuration file.

    Raises
    ------
    ConfigError
        If the file does not exist, is not UTF-8 or is not valid TOML.
    """
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"no such configuration file: {os.fspath(path)}") from None
    except IsADirectoryError:
        raise ConfigError(f"{os.fspath(path)} is a folder; give a TOML file.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{os.fspath(path)} is not UTF-8 text; save it as UTF-8.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{os.fspath(path)} is not valid TOML: {exc}") from None


# ------------------------------------------------------------------------ writing
def to_config(
    problem: Any,
    controller: Any = "neural",
    *,
    controller_options: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
    evaluation: dict[str, Any] | None = None,
    plot: dict[str, Any] | None = None,
    batch_size: int | None = None,
) -> dict[str, Any]:
    """The configuration of a run: a problem (or model), a controller and its training.

    Parameters
    ----------
    problem : SourcingProblem, SingleSourcingModel, DualSourcingModel or MultiSourcingModel
        1 to 5 suppliers (three or more, or a MultiSourcingModel: ``type = "multi"``);
        pipelines must start empty (the models' rule).
    controller : str, controller class or instance, default="neural"
        A ``[controller] type``, or a controller whose constructor arguments are read
        back from its attributes of the same name (those equal to their default are left
        out; fitted values are not written).
    controller_options : dict, optional
        More ``[controller]`` keys (constructor arguments).
    training, evaluation, plot : dict, optional
        The ``[training]`` (``fit`` keywords), ``[evaluation]`` and ``[plot]`` tables.
    batch_size : int, optional
        ``[model] batch_size`` (default: the model's, or 1 for a problem).

    Returns
    -------
    dict
        A configuration that :func:`from_config` accepts (checked before it is returned);
        :func:`to_toml` writes it.

    Raises
    ------
    ConfigError
        For anything :func:`from_config` would refuse, or a problem the CLI's models
        cannot hold (an initial pipeline).
    """
    from .problem import as_problem

    spec = as_problem(problem, "to_config", "problem").to_dict()
    sup = spec["suppliers"]
    if any(spec.get("init_pipeline") or ()):
        raise ConfigError("to_config: the CLI's models start with empty pipelines; this problem has init_pipeline "
                          f"{spec['init_pipeline']}. Simulate it from Python instead.")
    model: dict[str, Any]
    if len(sup) > 2 or type(problem).__name__ == "MultiSourcingModel" or (
            len(sup) == 2 and sup[1]["lead_time"] > sup[0]["lead_time"]):  # the dual model needs l_e <= l_r
        from ._config_multi import multi_model_to_config

        model = multi_model_to_config(spec)
    elif len(sup) == 1:
        model = {"type": "single", "lead_time": sup[0]["lead_time"], "holding_cost": spec["holding_cost"],
                 "shortage_cost": spec["shortage_cost"], "order_cost": sup[0]["order_cost"]}
    elif len(sup) == 2:
        model = {"type": "dual", "regular_lead_time": sup[0]["lead_time"], "expedited_lead_time": sup[1]["lead_time"],
                 "regular_order_cost": sup[0]["order_cost"], "expedited_order_cost": sup[1]["order_cost"],
                 "holding_cost": spec["holding_cost"], "shortage_cost": spec["shortage_cost"]}
    # fixed order costs, capacities and review periods: the models' keywords, written only where set
    prefixes = () if model["type"] == "multi" else ("",) if len(sup) == 1 else ("regular_", "expedited_")
    for prefix, s in zip(prefixes, sup):
        if "fixed_order_cost" in s:
            model[f"{prefix}fixed_order_cost"] = s["fixed_order_cost"]
        if "capacity" in s:
            model[f"{prefix}order_capacity"] = s["capacity"]
        for key in ("review_period", "review_offset"):
            if s.get(key, 0 if key == "review_offset" else 1) != (0 if key == "review_offset" else 1):
                model[f"{prefix}{key}"] = s[key]
    if spec.get("excess_demand", "backlog") != "backlog":
        model["excess_demand"] = spec["excess_demand"]
    model["init_inventory"] = spec["init_inventory"]
    model["batch_size"] = batch_size if batch_size is not None else getattr(problem, "batch_size", 1)
    model["demand"] = demand_to_config(as_problem(problem, "to_config", "problem").demand)
    model = {k: _plain(v) for k, v in model.items()}
    kind_model = model["type"]
    ctrl: dict[str, Any]
    if isinstance(controller, str):
        ctrl = {"type": controller}
    else:
        cls = controller if isinstance(controller, type) else type(controller)
        matches = [e for e in controller_registry().values() if e.cls is cls]
        if not matches:
            raise ConfigError(f"to_config: {cls.__name__} is not a controller of idinn.single_controller, "
                              "idinn.dual_controller or idinn.multi_controller.")
        entry = matches[0]
        ctrl = {"type": entry.name}
        if not isinstance(controller, type):
            ctrl.update(_controller_options(controller, entry))
    ctrl.update(controller_options or {})
    cfg: dict[str, Any] = {"model": model, "controller": ctrl}
    for name, table in (("training", training), ("evaluation", evaluation), ("plot", plot)):
        if table:
            cfg[name] = {k: _plain(v) for k, v in table.items()}
    if ctrl["type"] not in _controllers_for(kind_model):
        controller_entry(kind_model, ctrl["type"], "to_config")
    from_config(cfg, "to_config")  # refuse now what the CLI would refuse later
    return cfg


def _controller_options(controller: Any, entry: ControllerEntry) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, param in entry.init_keys.items():
        if not hasattr(controller, name):
            continue
        value = getattr(controller, name)
        if name == "activation":
            default = entry.cls().activation
            if type(value) is not type(default):
                out[name] = type(value).__name__
            continue
        value = _plain(value)
        if isinstance(value, tuple):
            value = list(value)
        if value is None or (param.default is not param.empty and value == param.default):
            continue
        if name == "hidden_layers" and value == getattr(entry.cls(), name, None):
            continue
        if isinstance(value, bool | int | float | str | list):
            out[name] = value
    return out
