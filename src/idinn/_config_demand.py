"""Demand tables of :mod:`idinn.config`: the demand registry, building and writing demand tables."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ._config_base import ConfigError, _check_keys, _init_keys

_FILE_KEYS = ("path", "column", "key", "sku", "date", "missing", "period", "delimiter", "encoding")


@dataclass(frozen=True)
class DemandEntry:
    """A demand type of the configuration: its name, class and keys.

    Attributes
    ----------
    name : str
        Value of ``type`` in the demand table (``"uniform"``).
    cls : type or None
        The demand class built (``None`` for a ``SeasonalDemand`` shortcut).
    keys : tuple of str
        Keys the table may hold besides ``type``.
    """

    name: str
    cls: Any
    keys: tuple[str, ...]
    build: Any = field(repr=False, compare=False, default=None)

@lru_cache(maxsize=None)
def demand_registry() -> dict[str, DemandEntry]:
    """Every demand type a configuration can name, by its ``type`` value.

    One entry per type of :func:`idinn.demand.demand_types` (every demand class that
    declares a ``type_name``: ``uniform``, ``custom``, ``finite``, ``poisson``,
    ``truncated_poisson``, ``discretized_normal``, ``discretized_gamma``, ``empirical``,
    ``seasonal``, ``trace``), whose keys are the constructor's parameters (those of
    :meth:`~idinn.demand.BaseDemand.to_dict`), plus the shortcuts ``seasonal_uniform``
    (``lows``, ``highs``) and ``seasonal_poisson`` (``rates``). ``custom`` also takes
    ``pmf = { "0" = 0.5, "3" = 0.5 }`` (or ``demand_prob``), the older form.
    ``trace`` and ``empirical`` also read a CSV file (``path``, ``column``, ``key``,
    ``sku``, ``date``, ``missing``, ``period``, ``delimiter``, ``encoding``; see
    :func:`idinn._demand_io.read_demand_series`).
    """
    from . import demand as dm

    out: dict[str, DemandEntry] = {}
    for kind, cls in dm.demand_types().items():
        keys = tuple(_init_keys(cls))
        if cls is dm.CustomDemand:
            keys = ("values", "probabilities", "pmf", "demand_prob")
        if cls in (dm.TraceDemand, dm.EmpiricalDemand):
            keys = keys + _FILE_KEYS
        out[kind] = DemandEntry(kind, cls, keys)
    out["seasonal_uniform"] = DemandEntry("seasonal_uniform", None, ("lows", "highs"))
    out["seasonal_poisson"] = DemandEntry("seasonal_poisson", None, ("rates",))
    return out


def build_demand(spec: Any, where: str = "<config>", base_dir: str | os.PathLike[str] | None = None,
                 table: str = "[model.demand]") -> Any:
    """Demand model from a demand table (``{type = "uniform", low = 0, high = 4}``).

    Parameters
    ----------
    spec : dict
        The table; ``type`` names an entry of :func:`demand_registry`.
    where : str
        File (or description) named first in error messages.
    base_dir : path-like, optional
        Folder against which a relative ``path`` is read (the config file's folder).
    table : str
        Name of the table in messages.

    Raises
    ------
    ConfigError
        For a missing or unknown type, an unknown key, a bad value or an unreadable file.
    """
    from . import demand as dm

    reg = demand_registry()
    if not isinstance(spec, dict) or "type" not in spec:
        raise ConfigError(
            f"{where}: {table} needs a 'type', one of: {', '.join(sorted(reg))}. "
            'For example: demand = { type = "uniform", low = 0, high = 4 }.'
        )
    kind = spec["type"]
    if kind not in reg:
        close = difflib.get_close_matches(str(kind), list(reg), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"{where}: unknown demand type {kind!r} in {table}.{hint} Use one of: {', '.join(sorted(reg))}.")
    entry = reg[kind]
    args = {k: v for k, v in spec.items() if k != "type"}
    _check_keys(args, entry.keys, where, f"{table} (demand type {kind!r})")
    try:
        if kind == "seasonal_uniform":
            return dm.SeasonalDemand.uniform(lows=args.get("lows"), highs=args.get("highs"))
        if kind == "seasonal_poisson":
            return dm.SeasonalDemand.poisson(rates=args.get("rates"))
        if entry.cls is dm.CustomDemand:
            return _custom(args, where, table)
        if entry.cls is dm.SeasonalDemand:
            schedule = args.get("schedule")
            if not isinstance(schedule, list):
                raise ConfigError(
                    f"{where}: {table} of type 'seasonal' needs schedule = [ {{ type = \"uniform\", low = 0, high = 4 }}, ... ]"
                    f" (one demand table per period of the season). Got {schedule!r} instead."
                )
            return dm.SeasonalDemand(
                [build_demand(s, where, base_dir, f"{table} schedule[{i}]") for i, s in enumerate(schedule)]
            )
        if entry.cls in (dm.TraceDemand, dm.EmpiricalDemand) and "path" in args:
            return _from_file(entry.cls, args, where, base_dir, table)
        if entry.cls in (dm.TraceDemand, dm.EmpiricalDemand):
            data = "series" if entry.cls is dm.TraceDemand else "history"
            extra = [k for k in args if k in _FILE_KEYS]
            if extra:
                raise ConfigError(f"{where}: {table} key {extra[0]!r} reads a file; give path = \"demand.csv\" with it.")
            if data not in args:
                raise ConfigError(
                    f"{where}: {table} of type {kind!r} needs {data} = [...] (the recorded demands) or "
                    "path = \"demand.csv\" with column = \"demand\" (the CSV file to read them from)."
                )
        return dm.demand_from_dict({"type": kind, **args})
    except ConfigError:
        raise
    except (TypeError, ValueError, OSError) as exc:
        raise ConfigError(f"{where}: {table}: {exc}") from None


def _custom(args: dict[str, Any], where: str, table: str) -> Any:
    from .demand import CustomDemand

    given = [k for k in ("pmf", "demand_prob", "values") if k in args]
    if len(given) > 1:
        raise ConfigError(f"{where}: {table} gives both {given[0]!r} and {given[1]!r}; keep one (they say the same).")
    if "values" in args or "probabilities" in args:
        from .demand import demand_from_dict

        return demand_from_dict({"type": "custom", **args})
    pmf = args.get("pmf", args.get("demand_prob"))
    if not isinstance(pmf, dict):
        raise ConfigError(f'{where}: custom demand needs pmf = {{ "0" = 0.5, "2" = 0.5 }} (demand value = probability).')
    out: dict[int, Any] = {}
    for k, v in pmf.items():
        if not re.fullmatch(r"\d+", str(k).strip()):
            raise ConfigError(
                f"{where}: custom demand keys must be integers >= 0 written as strings, e.g. \"3\" = 0.5. Got {k!r} instead."
            )
        out[int(k)] = v
    return CustomDemand(out)


def _from_file(cls: type, args: dict[str, Any], where: str, base_dir: Any, table: str) -> Any:
    from .demand import TraceDemand

    data = "series" if cls is TraceDemand else "history"
    if data in args:
        raise ConfigError(f"{where}: {table} gives both {data!r} and 'path'; keep one.")
    if "column" not in args:
        raise ConfigError(f"{where}: {table} reads {args['path']!r}: add column = \"<the demand column>\".")
    path = Path(str(args["path"]))
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    kwargs = {k: args[k] for k in _FILE_KEYS[2:] if k in args}
    if "mode" in args:
        kwargs["mode"] = args["mode"]
    return cls.from_csv(path, args["column"], **kwargs)


def demand_to_config(demand: Any) -> dict[str, Any]:
    """The demand table that :func:`build_demand` turns back into ``demand``.

    Data read from a file is written inline (``series = [...]``), so the table stands
    alone. Truncated models are written with their ``max_demand`` (the support is then
    reproduced exactly).

    Raises
    ------
    ConfigError
        For a demand class the configuration cannot describe.
    """
    to_dict = getattr(demand, "to_dict", None)
    try:
        d = dict(to_dict()) if callable(to_dict) else None
    except NotImplementedError:
        d = None
    if d is not None and d.get("type") in demand_registry():
        return d
    raise ConfigError(f"A configuration cannot describe the demand model {demand!r}; use one of {sorted(demand_registry())}.")
