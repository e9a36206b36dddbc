"""Benchmark worker for the reference implementation idinn 0.2.0.post1.

Run by ``benchmarks/run.py`` with the interpreter of a separate virtual environment
(default ``/tmp/idinn-ref``) in which ``idinn==0.2.0.post1`` is installed: both
libraries are called ``idinn``. Reads one JSON workload from stdin (or ``argv[1]``) and
prints one line ``RESULT <json>``. Only the reference's public API is used (the calls
of its documentation); its policies are sent back as tables of ``predict`` outputs over
a box of states, which ``_ours_worker.py`` evaluates exactly.

Tasks: ``single_fit``, ``dual_epochs``, ``cdi_fit``, ``dp_fit``, ``throughput``, ``ttq``.
"""

from __future__ import annotations

import base64
import json
import sys
import time
import warnings
from typing import Any

_T_START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402

from idinn.demand import UniformDemand  # noqa: E402
from idinn.dual_controller import (  # noqa: E402
    CappedDualIndexController,
    DualSourcingNeuralController,
    DynamicProgrammingController,
)
from idinn.single_controller import BaseStockController, SingleSourcingNeuralController  # noqa: E402
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel  # noqa: E402

_T_IMPORT = time.perf_counter() - _T_START
warnings.filterwarnings("ignore", category=UserWarning)

SINGLE = dict(lead_time=0, holding_cost=5, shortage_cost=495, init_inventory=10)
DUAL = dict(expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20, holding_cost=5,
            shortage_cost=495, init_inventory=6)
DUAL_HIDDEN = [128, 64, 32, 16, 8, 4]


def single_model(batch_size: int = 32, high: int = 4) -> SingleSourcingModel:
    return SingleSourcingModel(demand_generator=UniformDemand(low=0, high=high), batch_size=batch_size, **SINGLE)


def dual_model(regular_lead_time: int = 2, batch_size: int = 256, high: int = 4) -> DualSourcingModel:
    return DualSourcingModel(
        regular_lead_time=regular_lead_time, demand_generator=UniformDemand(low=0, high=high),
        batch_size=batch_size, **DUAL,
    )


class StopTraining(Exception):
    pass


class Hook:
    """``tensorboard_writer`` stand-in (same as in ``_ours_worker.py``)."""

    def __init__(self, net_getter: Any = None, every: int = 0, budget_s: float | None = None) -> None:
        self.net_getter = net_getter
        self.every = every
        self.budget_s = budget_s
        self.n_val = 0
        self.val_costs: list[float] = []
        self.snapshots: list[dict[str, Any]] = []
        self.overhead = 0.0
        self.last_epoch = -1
        self.train_times: list[float] = []
        self.train_cpu: list[float] = []  # process CPU seconds at each epoch's end (robust to a loaded machine)
        self.val_epochs: list[int] = []
        self.start = time.perf_counter()

    def add_scalar(self, tag: str, value: Any, epoch: int) -> None:
        now = time.perf_counter()
        if tag.endswith("/val"):
            self.val_epochs.append(int(epoch))
            self.val_costs.append(float(value.item() if hasattr(value, "item") else value))
            self.n_val += 1
        elif tag.endswith("/train"):
            self.train_times.append(now - self.start - self.overhead)
            self.train_cpu.append(time.process_time())
        if tag.endswith("/train") and self.every and epoch != self.last_epoch:
            self.last_epoch = epoch
            elapsed = now - self.start - self.overhead
            if (epoch + 1) % self.every == 0 or epoch == 0:
                state = {k: v.detach().clone() for k, v in self.net_getter().state_dict().items()}
                self.snapshots.append({"epoch": epoch + 1, "elapsed": elapsed, "state": state})
            if self.budget_s is not None and elapsed > self.budget_s:
                self.overhead += time.perf_counter() - now
                raise StopTraining
        self.overhead += time.perf_counter() - now

    def flush(self) -> None:
        pass


# --------------------------------------------------------------------------- tables
def box_states(lo: list[int], hi: list[int]) -> np.ndarray:
    axes = [np.arange(a, b + 1) for a, b in zip(lo, hi)]
    grid = np.meshgrid(*axes, indexing="ij")
    return np.stack([g.ravel() for g in grid], axis=1)


def encode_table(lo: list[int], hi: list[int], orders: np.ndarray) -> dict[str, Any]:
    shape = [b - a + 1 for a, b in zip(lo, hi)] + [orders.shape[1]]
    arr = np.ascontiguousarray(orders.reshape(shape), dtype=np.int16)
    return {"lo": lo, "hi": hi, "shape": shape, "data": base64.b64encode(arr.tobytes()).decode("ascii")}


def _int(x: Any) -> int:
    return int(round(float(x.item() if hasattr(x, "item") else x)))


def tabulate_dual_batched(ctrl: Any, lo: list[int], hi: list[int]) -> dict[str, Any]:
    """Orders (regular, expedited) of ``ctrl.predict`` on every state of the box, one batched call."""
    s = box_states(lo, hi)
    inv = torch.as_tensor(s[:, :1], dtype=torch.float32)
    reg = torch.as_tensor(s[:, 1:], dtype=torch.float32)
    with torch.no_grad():
        q_r, q_e = ctrl.predict(current_inventory=inv, past_regular_orders=reg, output_tensor=True)
    orders = np.stack([q_r.reshape(-1).numpy(), q_e.reshape(-1).numpy()], axis=1)
    return encode_table(lo, hi, np.rint(orders).astype(np.int64))


def tabulate_dual_loop(ctrl: Any, lo: list[int], hi: list[int]) -> dict[str, Any]:
    """Same, one ``predict`` call per state (for controllers that only take scalars); -1 if it fails."""
    s = box_states(lo, hi)
    orders = np.full((len(s), 2), -1, dtype=np.int64)
    for k, row in enumerate(s):
        try:
            q_r, q_e = ctrl.predict(current_inventory=int(row[0]), past_regular_orders=[int(x) for x in row[1:]])
            orders[k] = (_int(q_r), _int(q_e))
        except Exception:  # noqa: BLE001 - a state the controller has no order for
            pass
    return encode_table(lo, hi, orders)


# ---------------------------------------------------------------------------- tasks
def task_single_fit(w: dict[str, Any]) -> dict[str, Any]:
    model = single_model(32)
    ctrl = SingleSourcingNeuralController(hidden_layers=[2], activation=torch.nn.CELU(alpha=1))
    t0 = time.perf_counter()
    ctrl.fit(sourcing_model=model, sourcing_periods=50, validation_sourcing_periods=1000, epochs=w["epochs"],
             seed=w["seed"])
    fit_s = time.perf_counter() - t0
    lo, hi = w["table_lo"], w["table_hi"]
    inv = torch.arange(lo, hi + 1, dtype=torch.float32)[:, None]
    with torch.no_grad():
        q = ctrl.predict(current_inventory=inv, output_tensor=True).reshape(-1, 1).numpy()
    table = encode_table([lo], [hi], np.rint(q).astype(np.int64))
    return {"fit_s": fit_s, "import_s": _T_IMPORT, "table": table,
            "predict_-20..20": [int(x) for x in q[20 - lo: 20 - lo + 41, 0]] if lo <= -20 and hi >= 20 else None}


def task_dual_epochs(w: dict[str, Any]) -> dict[str, Any]:
    model = dual_model(2, w["batch_size"])
    ctrl = DualSourcingNeuralController(hidden_layers=DUAL_HIDDEN, activation=torch.nn.ReLU())
    hook = Hook()
    t0 = time.perf_counter()
    ctrl.fit(model, sourcing_periods=w["periods"], epochs=w["epochs"], validation_sourcing_periods=w["val_periods"],
             validation_freq=w["validation_freq"], seed=w["seed"], tensorboard_writer=hook)
    fit_s = time.perf_counter() - t0
    return {"fit_s": fit_s, "n_val": hook.n_val, "import_s": _T_IMPORT, "threads": torch.get_num_threads(),
            "train_times": hook.train_times, "train_cpu": hook.train_cpu, "val_epochs": hook.val_epochs,
            "table": tabulate_dual_batched(ctrl, w["box_lo"], w["box_hi"])}


def task_cdi_fit(w: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # The documented instance has batch_size=256; record what the reference does with it.
    try:
        CappedDualIndexController().fit(dual_model(2, 256), sourcing_periods=w["periods"], seed=w["seed"])
        out["batch256"] = "ok"
    except Exception as exc:  # noqa: BLE001
        out["batch256"] = f"{type(exc).__name__}: {str(exc)[:120]}"
    model = dual_model(2, 1)
    ctrl = CappedDualIndexController()
    t0 = time.perf_counter()
    ctrl.fit(model, sourcing_periods=w["periods"], seed=w["seed"])  # default grid 2..10 each
    out["fit_s"] = time.perf_counter() - t0
    out["params"] = [_int(ctrl.s_e), _int(ctrl.s_r), _int(ctrl.q_r)]
    out["table"] = tabulate_dual_loop(ctrl, w["box_lo"], w["box_hi"])
    out["import_s"] = _T_IMPORT
    return out


def task_dp_fit(w: dict[str, Any]) -> dict[str, Any]:
    model = dual_model(w["regular_lead_time"], 1, w.get("high", 4))
    ctrl = DynamicProgrammingController()
    t0 = time.perf_counter()
    ctrl.fit(model)
    fit_s = time.perf_counter() - t0
    sim = float(ctrl.get_average_cost(model, sourcing_periods=w["sim_periods"], seed=w["seed"]).item())
    lr = w["regular_lead_time"]
    return {"fit_s": fit_s, "vf": float(getattr(ctrl, "vf", float("nan"))), "simulated_cost": sim,
            "sim_periods": w["sim_periods"], "n_qf": len(getattr(ctrl, "qf", {})),
            "table": tabulate_dual_loop(ctrl, w["box_lo"], w["box_hi"]), "regular_lead_time": lr}


def _time_call(fn: Any) -> float:
    fn()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def task_throughput(w: dict[str, Any]) -> dict[str, Any]:
    T, B, seed = w["periods"], w["batch_size"], w["seed"]
    out: dict[str, Any] = {}
    sm = single_model(B)
    bs = BaseStockController()
    bs.fit(sm, seed=seed)
    out["base_stock"] = {"batch": B, "s": _time_call(lambda: bs.get_total_cost(sm, T, seed=seed))}
    dm1 = dual_model(2, 1)
    cdi = CappedDualIndexController()
    r = torch.tensor
    cdi.fit(dm1, sourcing_periods=2, s_e_range=r([4]), s_r_range=r([9]), q_r_range=r([3]), seed=seed)
    out["cdi_b1"] = {"batch": 1, "s": _time_call(lambda: cdi.get_total_cost(dm1, T, seed=seed))}
    dm = dual_model(2, B)
    try:
        out[f"cdi_b{B}"] = {"batch": B, "s": _time_call(lambda: cdi.get_total_cost(dm, T, seed=seed))}
    except Exception as exc:  # noqa: BLE001
        out[f"cdi_b{B}"] = {"batch": B, "error": f"{type(exc).__name__}: {str(exc)[:100]}"}
    nn_ctrl = DualSourcingNeuralController(hidden_layers=DUAL_HIDDEN, activation=torch.nn.ReLU())
    nn_ctrl.fit(dm, sourcing_periods=10, epochs=1, seed=seed)
    out["neural_get_total_cost"] = {"batch": B, "s": _time_call(lambda: nn_ctrl.get_total_cost(dm, T, seed=seed))}
    for v in out.values():
        v["periods"] = T
        if "s" in v:
            v["rate"] = T * v["batch"] / v["s"]
    return out


def task_ttq(w: dict[str, Any]) -> dict[str, Any]:
    model = dual_model(2, 256)
    ctrl = DualSourcingNeuralController(hidden_layers=DUAL_HIDDEN, activation=torch.nn.ReLU())
    hook = Hook(lambda: ctrl, w["every"], w["budget_s"])
    t0 = time.perf_counter()
    stopped = False
    try:
        ctrl.fit(model, sourcing_periods=100, validation_sourcing_periods=1000, epochs=w["epochs"], seed=w["seed"],
                 tensorboard_writer=hook)
    except StopTraining:
        stopped = True
    fit_s = time.perf_counter() - t0 - hook.overhead
    # The reference's own view of the policy it returns: its simulated average cost.
    own = float(ctrl.get_average_cost(dual_model(2, 256), sourcing_periods=1000, seed=w["seed"]).item())
    tables = []
    final = {"epoch": len(hook.train_times), "elapsed": fit_s,
             "state": {k: v.detach().clone() for k, v in ctrl.state_dict().items()}, "final": True}
    for snap in [*hook.snapshots, final]:
        ctrl.load_state_dict(snap["state"])
        tables.append({"epoch": snap["epoch"], "elapsed": snap["elapsed"], "final": snap.get("final", False),
                       "table": tabulate_dual_batched(ctrl, w["box_lo"], w["box_hi"])})
    returned = []
    for n in w.get("returned_epochs", []):
        short = DualSourcingNeuralController(hidden_layers=DUAL_HIDDEN, activation=torch.nn.ReLU())
        t1 = time.perf_counter()
        short.fit(dual_model(2, 256), sourcing_periods=100, validation_sourcing_periods=1000, epochs=n,
                  seed=w["seed"])
        returned.append({"epochs": n, "fit_s": time.perf_counter() - t1,
                         "table": tabulate_dual_batched(short, w["box_lo"], w["box_hi"])})
    return {"fit_s": fit_s, "stopped_by_budget": stopped, "snapshots": tables, "n_val": hook.n_val,
            "returned": returned, "own_validation_costs": hook.val_costs, "own_simulated_cost": own}


TASKS = {name[5:]: fn for name, fn in globals().items() if name.startswith("task_")}


def main() -> None:
    text = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read()
    workload = json.loads(text)
    torch.set_num_threads(workload.get("threads", torch.get_num_threads()))
    t0 = time.perf_counter()
    result = TASKS[workload["task"]](workload)
    result.setdefault("worker_s", time.perf_counter() - t0)
    result["lib"] = "ref"
    import importlib.metadata

    result["version"] = importlib.metadata.version("idinn")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
