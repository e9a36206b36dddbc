"""The ``[model] type = "multi"`` table: :class:`~idinn.MultiSourcingModel` from a list of suppliers.

.. code-block:: toml

    [model]
    type = "multi"
    holding_cost = 5
    shortage_cost = 95
    demand = { type = "uniform", low = 0, high = 4 }

    [[model.suppliers]]          # supplier 0 (the order is kept)
    lead_time = 0
    order_cost = 20

    [[model.suppliers]]          # supplier 1: reviewed every 7 periods from period 2
    lead_time = 4
    order_cost = 0
    capacity = 30
    review_period = 7
    review_offset = 2

Each supplier takes ``lead_time`` (required), ``order_cost``, ``fixed_order_cost``,
``capacity``, ``review_period`` and ``review_offset`` (the keys of
:meth:`idinn.problem.SourcingProblem.to_dict`); the model table takes ``holding_cost``,
``shortage_cost``, ``init_inventory``, ``batch_size``, ``excess_demand`` and ``demand``.
"""

from __future__ import annotations

from typing import Any

from ._config_base import ConfigError, _check_keys, _check_kind

__all__ = ["SUPPLIER_KEYS", "MULTI_MODEL_KEYS", "build_multi_model", "multi_model_to_config"]

#: Keys of one ``[[model.suppliers]]`` entry and the TOML kinds each accepts.
SUPPLIER_KEYS: dict[str, set[str]] = {
    "lead_time": {"int"},
    "order_cost": {"int", "float"},
    "fixed_order_cost": {"int", "float"},
    "capacity": {"int"},
    "review_period": {"int"},
    "review_offset": {"int"},
}
#: Keys of ``[model]`` with ``type = "multi"`` (besides ``type``) and their kinds.
MULTI_MODEL_KEYS: dict[str, set[str] | None] = {
    "suppliers": {"list"},
    "holding_cost": {"int", "float"},
    "shortage_cost": {"int", "float"},
    "init_inventory": {"int"},
    "batch_size": {"int"},
    "excess_demand": {"str"},
    "demand": None,
}
_OWNER = "MultiSourcingModel (table [model])"


def build_multi_model(spec: dict[str, Any], demand: Any, where: str) -> Any:
    """The :class:`~idinn.MultiSourcingModel` of a ``[model]`` table (``type`` and ``demand`` removed).

    Raises
    ------
    ConfigError
        An unknown key (named, with the valid keys), a value of the wrong kind, a missing
        ``suppliers`` list or ``lead_time``, or anything the model refuses.
    """
    from .multi_sourcing_model import MultiSourcingModel

    _check_keys(spec, list(MULTI_MODEL_KEYS), where, "[model] (type 'multi', MultiSourcingModel)")
    for key, value in spec.items():
        _check_kind(value, MULTI_MODEL_KEYS[key], key, _OWNER, where)
    suppliers = spec.pop("suppliers", None)
    if not suppliers:
        raise ConfigError(
            f"{where}: [model] type 'multi' needs a list of suppliers: one [[model.suppliers]] table per supplier "
            "with lead_time = ... and order_cost = ... (see docs/multi_sourcing.md)."
        )
    for i, sup in enumerate(suppliers):
        what = f"[[model.suppliers]] entry {i}"
        if not isinstance(sup, dict):
            raise ConfigError(f"{where}: {what} must be a table (lead_time = ..., order_cost = ...). Got {sup!r}.")
        _check_keys(sup, list(SUPPLIER_KEYS), where, what)
        if "lead_time" not in sup:
            raise ConfigError(f"{where}: {what} needs lead_time = <int>.")
        for key, value in sup.items():
            _check_kind(value, SUPPLIER_KEYS[key], key, f"MultiSourcingModel ({what})", where)

    def column(key: str, default: Any) -> list[Any] | None:
        if not any(key in s for s in suppliers):
            return None
        return [s.get(key, default) for s in suppliers]

    periods = column("review_period", 1)
    offsets = column("review_offset", 0)
    if offsets is not None and periods is None:
        periods = [1] * len(suppliers)
    try:
        return MultiSourcingModel(
            lead_times=[s["lead_time"] for s in suppliers],
            order_costs=[s.get("order_cost", 0.0) for s in suppliers],
            demand_generator=demand,
            fixed_order_costs=column("fixed_order_cost", 0.0),
            order_capacities=column("capacity", None),
            review_periods=periods,
            review_offsets=offsets,
            **spec,
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: [model]: {exc}") from None


def multi_model_to_config(spec: dict[str, Any]) -> dict[str, Any]:
    """The ``[model]`` table (without ``demand``, ``init_inventory``, ``batch_size``) of a
    :meth:`SourcingProblem.to_dict` with any number of suppliers."""
    model: dict[str, Any] = {"type": "multi", "holding_cost": spec["holding_cost"],
                             "shortage_cost": spec["shortage_cost"]}
    model["suppliers"] = [dict(s) for s in spec["suppliers"]]
    return model
