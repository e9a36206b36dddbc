"""Saving and loading neural controllers without ever running code from a file.

Our format (``format = "idinn-controller"``) is ``torch.save`` of a dict of plain numbers,
strings and tensors; it is read back with ``torch.load(weights_only=True)``, PyTorch's
restricted unpickler that builds tensors and plain containers only.

idinn 0.2.0.post1's ``save`` pickled the whole ``torch.nn.Sequential``. Such a file is
read with the same restricted unpickler, allowing in addition only torch's own layer
classes (``Sequential``, ``Linear`` and the activations); its ``Linear`` weights are then
copied onto our network (its last layer may have no bias: ours is set to 0).
"""

from __future__ import annotations

import collections
import logging
from pathlib import Path
from typing import Any

import torch

from .._validation import check_int, fail
from ..dynamics import SourcingParams
from .network import _ACTIVATIONS, activation_from_config, activation_to_config, linear_layers

logger = logging.getLogger("idinn.neural")

FORMAT = "idinn-controller"
VERSION = 1
_REQUIRED = {"hidden_layers", "activation", "lead_times", "order_costs", "holding_cost", "shortage_cost",
             "season_length", "state_dict"}


def save_controller(ctrl: Any, path: str | Path) -> None:
    """Write ``ctrl`` (fitted) to ``path`` in our format (tensors moved to the CPU)."""
    params = ctrl._fitted_params()
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "class": type(ctrl).__name__,
        "hidden_layers": list(ctrl.hidden_layers),
        "activation": activation_to_config(ctrl.activation),
        "compressed": bool(ctrl.compressed),
        "lead_times": list(params.lead_times),
        "order_costs": list(params.order_costs),
        "holding_cost": params.holding_cost,
        "shortage_cost": params.shortage_cost,
        "excess_demand": params.excess_demand,
        "fixed_order_costs": list(params.fixed_order_costs),
        "order_capacities": list(params.order_capacities),
        "review_periods": list(params.review_periods),
        "review_offsets": list(params.review_offsets),
        "season_length": ctrl.season_length_,
        "horizon": ctrl.horizon_,
        "state_dict": {k: v.detach().cpu().clone() for k, v in ctrl.model.state_dict().items()},
    }
    torch.save(payload, str(path))


def _reference_globals() -> list[Any]:
    return [torch.nn.Sequential, torch.nn.Linear, *_ACTIVATIONS, collections.OrderedDict, set]


def read_file(path: str | Path) -> Any:
    """The object in ``path`` (restricted unpickler; torch layer classes allowed)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"No such file: {path!s}")
    try:
        with torch.serialization.safe_globals(_reference_globals()):
            return torch.load(str(path), weights_only=True, map_location="cpu")
    except Exception as exc:  # noqa: BLE001 - any failure means "not our file"
        raise ValueError(f"{path!s} is not a saved idinn controller (refused to load it: {exc})") from None


def load_controller_into(ctrl: Any, path: str | Path, **lead_times: int) -> Any:
    """Fill ``ctrl`` from ``path`` (our format or idinn 0.2's pickled network); returns ``ctrl``."""
    owner = type(ctrl).__name__
    payload = read_file(path)
    if isinstance(payload, torch.nn.Sequential):
        return _load_reference_network(ctrl, payload, path, **lead_times)
    if lead_times:
        fail(next(iter(lead_times)), f"{owner}.load", "given only for a file saved by idinn 0.2", lead_times)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path!s} is not a saved idinn controller.")
    if payload.get("class") != owner:
        raise ValueError(f"{path!s} holds a {payload.get('class')}, not a {owner}.")
    missing = sorted(_REQUIRED - set(payload))
    if missing:
        raise ValueError(f"{path!s} is not a complete saved idinn controller (missing {missing}).")
    ctrl.hidden_layers = [int(w) for w in payload["hidden_layers"]]
    ctrl.activation = activation_from_config(payload["activation"])
    ctrl.compressed = bool(payload.get("compressed", False))
    ctrl._auto_compress = False  # the saved network's input layout, whatever the constructor said
    params = SourcingParams(
        lead_times=tuple(int(x) for x in payload["lead_times"]),
        order_costs=tuple(float(x) for x in payload["order_costs"]),
        holding_cost=float(payload["holding_cost"]),
        shortage_cost=float(payload["shortage_cost"]),
        excess_demand=str(payload.get("excess_demand", "backlog")),
        fixed_order_costs=tuple(float(x) for x in payload.get("fixed_order_costs", ())),
        order_capacities=tuple(None if x is None else int(x) for x in payload.get("order_capacities", ())),
        review_periods=tuple(int(x) for x in payload.get("review_periods", ())),
        review_offsets=tuple(int(x) for x in payload.get("review_offsets", ())),
    )
    season, horizon = payload["season_length"], payload.get("horizon")
    ctrl._build_network(params, None if season is None else int(season), seed=0,
                        horizon=None if horizon is None else int(horizon))
    ctrl.model.load_state_dict(payload["state_dict"])
    return ctrl


def _reference_lead_times(ctrl: Any, n_in: int, path: Any, given: dict[str, int]) -> tuple[int, ...]:
    owner = type(ctrl).__name__
    compressed_drop = 1 if ctrl.compressed else 0
    if ctrl._n_outputs == 1:
        lt = n_in - 1 + compressed_drop
        if "lead_time" in given and check_int(given["lead_time"], "lead_time", owner, minimum=0) != lt:
            fail("lead_time", owner, f"{lt} for this file (its network has {n_in} inputs)", given["lead_time"])
        return (lt,)
    if given:
        lr = check_int(given.get("regular_lead_time"), "regular_lead_time", owner, minimum=0)
        le = check_int(given.get("expedited_lead_time", 0), "expedited_lead_time", owner, minimum=0)
        lts = (lr, le)
    elif ctrl.params_ is not None:
        lts = ctrl.params_.lead_times
    elif ctrl.sourcing_model is not None:
        lts = ctrl.sourcing_model.params.lead_times
    else:
        # idinn 0.2 files do not record the split: its dual controller and app use l_e = 0.
        lts = (n_in - 1 + compressed_drop, 0)
        logger.info(
            "%s: lead times not recorded by idinn 0.2; assuming regular %d, expedited 0 (call "
            "init_layers(regular_lead_time=..., expedited_lead_time=...) first for others)", path, lts[0],
        )
    if 1 + sum(lts) - (compressed_drop if lts[0] > 0 else 0) != n_in:
        raise ValueError(f"{path!s} holds a network with {n_in} inputs, which does not fit lead times {lts}.")
    return tuple(int(x) for x in lts)


def _load_reference_network(ctrl: Any, seq: torch.nn.Sequential, path: Any, **given: int) -> Any:
    owner = type(ctrl).__name__
    lin = linear_layers(seq)
    acts = [m for m in list(seq)[:-1] if not isinstance(m, torch.nn.Linear)]
    if not lin or lin[-1].out_features != ctrl._n_outputs:
        raise ValueError(f"{path!s} does not hold a {owner} network ({ctrl._n_outputs} outputs expected).")
    lts = _reference_lead_times(ctrl, lin[0].in_features, path, given)
    ctrl.hidden_layers = [m.out_features for m in lin[:-1]]
    if acts:
        ctrl.activation = acts[0]
    params = ctrl.params_
    if params is None or params.lead_times != lts:
        model = ctrl.sourcing_model
        if model is not None and model.params.lead_times == lts:
            params = model.params
        else:  # costs unknown: the network alone defines the policy
            params = SourcingParams(lead_times=lts, order_costs=(0.0,) * len(lts), holding_cost=0.0, shortage_cost=0.0)
    ctrl._build_network(params, None, seed=0)
    ours = linear_layers(ctrl.model)
    if [(m.in_features, m.out_features) for m in ours] != [(m.in_features, m.out_features) for m in lin]:
        raise ValueError(f"{path!s} holds a network whose layers do not match {owner}'s.")
    with torch.no_grad():
        for dst, src in zip(ours, lin):
            dst.weight.copy_(src.weight)
            if src.bias is None:
                dst.bias.zero_()
            else:
                dst.bias.copy_(src.bias)
    return ctrl
