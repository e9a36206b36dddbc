"""What the app offers, discovered from the library rather than listed by hand.

* models: the sourcing-model classes of :mod:`idinn.sourcing_model`; their parameters
  are the keyword arguments of the class (the problem specification of that model);
* demand models: the concrete classes of :mod:`idinn.demand`, either built from scalar
  parameters or, when they have a ``from_csv`` constructor, from an uploaded history;
* controllers: every class in ``idinn.single_controller.__all__`` and
  ``idinn.dual_controller.__all__`` that can be fitted (not the abstract bases), with the
  parameters of its constructor and of its ``fit``.

A parameter becomes a form field when its annotation is a scalar (int, float, bool,
str), a list/tuple of ints or floats, or a ``torch.nn.Module`` (chosen by class name).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Field",
    "model_classes",
    "demand_classes",
    "upload_demand_classes",
    "controller_classes",
    "init_fields",
    "fit_fields",
    "from_csv_fields",
    "label",
    "ACTIVATIONS",
]

#: Parameters the app never shows (supplied by the app itself or not meaningful here).
HIDDEN = frozenset(
    {
        "self",
        "sourcing_model",
        "demand_generator",
        "batch_size",
        "tensorboard_writer",
        "progress",
        "callbacks",
        "init_state",
        "log_freq",
        "path",
        "column",
        "delimiter",
    }
)

#: Starting values for parameters that have no default in the library.
STARTING_VALUES: dict[str, Any] = {
    "lead_time": 0,
    "regular_lead_time": 2,
    "expedited_lead_time": 0,
    "regular_order_cost": 0.0,
    "expedited_order_cost": 20.0,
    "holding_cost": 5.0,
    "shortage_cost": 495.0,
    "init_inventory": 10,
    "low": 0,
    "high": 4,
    "rate": 2.0,
    "mean": 2.0,
    "std": 1.0,
    "shape": 2.0,
    "scale": 1.0,
    "sourcing_periods": 50,
    "epochs": 200,
    "horizon": 20,
    "discount": 0.95,
    "seed": 0,
    "demand_prob": {0: 0.5, 2: 0.5},
}

#: Activations offered for a ``torch.nn.Module`` parameter (torch.nn class names).
ACTIVATIONS = ("CELU", "ReLU", "ELU", "Tanh", "Sigmoid", "LeakyReLU", "SiLU")


@dataclass(frozen=True)
class Field:
    """One form field: parameter ``name`` of kind int/float/bool/str/ints/floats/module."""

    name: str
    kind: str
    default: Any
    required: bool
    choices: tuple[str, ...] = ()


def label(cls_or_name: Any) -> str:
    """``DualSourcingNeuralController`` -> ``Dual Sourcing Neural Controller``."""
    name = cls_or_name if isinstance(cls_or_name, str) else cls_or_name.__name__
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)


def _kind(annotation: Any) -> tuple[str | None, tuple[str, ...]]:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    text = text.replace("typing.", "").replace(" ", "")
    literal = re.fullmatch(r"Literal\[(.*)\](\|None)?", text)
    if literal:
        return "choice", tuple(s.strip("'\"") for s in literal.group(1).split(","))
    core = re.sub(r"\|None$|^None\|", "", text)
    core = re.sub(r"^Optional\[(.*)\]$", r"\1", core)
    if core in ("int", "float", "bool", "str"):
        return core, ()
    if re.fullmatch(r"(list|tuple|Sequence)\[int(,\.\.\.)?\]", core):
        return "ints", ()
    if re.fullmatch(r"(list|tuple|Sequence)\[float(,\.\.\.)?\]", core):
        return "floats", ()
    if core in ("Mapping[int,float]", "dict[int,float]"):
        return "pmf", ()
    if core.endswith("nn.Module"):
        return "module", ACTIVATIONS
    return None, ()


def _problem_kinds() -> dict[str, str]:
    """Kinds of the problem specification's own fields (they win over a model's annotations).

    Read from :class:`~idinn.problem.SourcingProblem` (its fields and the keyword
    arguments of its constructors) and :class:`~idinn.dynamics.SourcingParams`.
    """
    import dataclasses

    from ..dynamics import SourcingParams
    from ..problem import SourcingProblem

    kinds: dict[str, str] = {}
    for cls in (SourcingParams, SourcingProblem):
        for f in dataclasses.fields(cls):
            kind, _ = _kind(f.type)
            if kind in ("int", "float"):
                kinds[f.name] = kind
    for name, member in vars(SourcingProblem).items():
        if isinstance(member, classmethod) and not name.startswith("_"):
            for p in inspect.signature(member.__func__).parameters.values():
                kind, _ = _kind(p.annotation)
                if kind in ("int", "float"):
                    kinds.setdefault(p.name, kind)
    return kinds


def _fields(func: Any) -> list[Field]:
    out = []
    for p in inspect.signature(func).parameters.values():
        if p.name in HIDDEN or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        kind, choices = _kind(p.annotation)
        required = p.default is inspect.Parameter.empty
        if kind is None:
            if required:
                raise TypeError(f"unsupported required parameter {p.name!r}")
            continue
        default = STARTING_VALUES.get(p.name) if required else p.default
        if p.name == "seed" and default is None:
            default = STARTING_VALUES["seed"]  # reproducible runs by default
        kind = _PROBLEM_KINDS.get(p.name, kind) if kind in ("int", "float") else kind
        out.append(Field(p.name, kind, default, required, choices))
    return out


_PROBLEM_KINDS = _problem_kinds()


def init_fields(cls: type) -> list[Field]:
    """Form fields of ``cls(...)``."""
    return _fields(cls.__init__)


def fit_fields(cls: type) -> list[Field]:
    """Form fields of ``cls.fit(model, ...)``."""
    return _fields(cls.fit)


def from_csv_fields(cls: type) -> list[Field]:
    """Form fields of ``cls.from_csv(path, column, ...)`` besides the path and column."""
    return _fields(cls.from_csv)


def _supported(func: Any) -> bool:
    try:
        _fields(func)
    except (TypeError, ValueError):
        return False
    return True


def model_classes() -> list[type]:
    """Every concrete sourcing-model class of :mod:`idinn.sourcing_model`."""
    from .. import sourcing_model as sm

    names = getattr(sm, "__all__", None) or [n for n in dir(sm) if n.endswith("Model")]
    out = []
    for n in names:
        cls = getattr(sm, n, None)
        if (
            isinstance(cls, type)
            and issubclass(cls, sm.BaseSourcingModel)
            and cls is not sm.BaseSourcingModel
            and not inspect.isabstract(cls)
            and _supported(cls.__init__)
        ):
            out.append(cls)
    return out


def demand_classes() -> list[type]:
    """Demand models built from scalar parameters (``idinn.demand.__all__``)."""
    from .. import demand

    out = []
    for n in demand.__all__:
        cls = getattr(demand, n)
        if isinstance(cls, type) and not inspect.isabstract(cls) and _supported(cls.__init__):
            out.append(cls)
    return out


def upload_demand_classes() -> list[type]:
    """Demand models built from a recorded history (those with ``from_csv``)."""
    from .. import demand

    out = []
    for n in demand.__all__:
        cls = getattr(demand, n)
        if isinstance(cls, type) and callable(getattr(cls, "from_csv", None)) and _supported(cls.from_csv):
            out.append(cls)
    return out


def _is_concrete_controller(cls: type) -> bool:
    """A controller one can fit: not abstract and with a ``fit`` (the bases have none)."""
    return not inspect.isabstract(cls) and callable(getattr(cls, "fit", None))


def controller_classes(model_cls: type | None = None) -> list[type]:
    """Controllers of ``idinn.single_controller`` and ``idinn.dual_controller``.

    With ``model_cls``, only those whose model class ``model_cls`` is (a subclass of).
    """
    from .. import dual_controller, single_controller
    from .._controller import BaseController

    out = []
    for mod in (single_controller, dual_controller):
        for n in mod.__all__:
            cls = getattr(mod, n)
            if not (isinstance(cls, type) and issubclass(cls, BaseController) and _is_concrete_controller(cls)):
                continue
            if model_cls is None or issubclass(model_cls, cls._model_class):
                out.append(cls)
    return out
