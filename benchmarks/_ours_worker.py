"""Benchmark worker for *this* idinn (run by ``benchmarks/run.py`` in a subprocess).

Reads one JSON workload from stdin (or from ``argv[1]``), runs it with the idinn of this
repository and prints one line ``RESULT <json>`` on stdout. Never imported by the
library or the tests; the reference implementation runs in ``_ref_worker.py`` (both
libraries are called ``idinn``, so each side needs its own interpreter).

Tasks: ``single_fit``, ``dask_first_fit``, ``warmup``, ``dual_epochs`` (``device`` optional), ``torch_baseline``, ``cdi_fit``, ``dp_fit``,
``throughput``, ``ttq``, ``eval_tables``, ``scaling_fit``, ``scaling_dp``.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import os
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
from idinn.exact import evaluate_policy  # noqa: E402
from idinn.single_controller import BaseStockController, SingleSourcingNeuralController  # noqa: E402
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel  # noqa: E402

_T_IMPORT = time.perf_counter() - _T_START

# Docs instances (identical in _ref_worker.py).
SINGLE = dict(lead_time=0, holding_cost=5, shortage_cost=495, init_inventory=10)
DUAL = dict(expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20, holding_cost=5,
            shortage_cost=495, init_inventory=6)
#: MLP of the documented dual-sourcing example.
DUAL_HIDDEN = [128, 64, 32, 16, 8, 4]


def single_model(batch_size: int = 32, high: int = 4) -> SingleSourcingModel:
    return SingleSourcingModel(demand_generator=UniformDemand(low=0, high=high), batch_size=batch_size, **SINGLE)


def dual_model(regular_lead_time: int = 2, batch_size: int = 256, high: int = 4) -> DualSourcingModel:
    return DualSourcingModel(
        regular_lead_time=regular_lead_time, demand_generator=UniformDemand(low=0, high=high),
        batch_size=batch_size, **DUAL,
    )


class StopTraining(Exception):
    """Raised from the writer hook when the wall-time budget is spent."""


class Hook:
    """A ``tensorboard_writer`` stand-in: counts validations, snapshots weights every ``every`` epochs.

    ``elapsed`` values exclude the hook's own time (the snapshot copies).
    """

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
            self.n_val += 1
            self.val_costs.append(float(value))
        elif tag.endswith("/train"):
            self.train_times.append(now - self.start - self.overhead)
            self.train_cpu.append(time.process_time())
        if tag.endswith("/train") and self.every and epoch != self.last_epoch:
            self.last_epoch = epoch
            elapsed = now - self.start - self.overhead
            if (epoch + 1) % self.every == 0 or epoch == 0:
                state = copy.deepcopy(self.net_getter().state_dict())
                self.snapshots.append({"epoch": epoch + 1, "elapsed": elapsed, "state": state})
            if self.budget_s is not None and elapsed > self.budget_s:
                self.overhead += time.perf_counter() - now
                raise StopTraining
        self.overhead += time.perf_counter() - now

    def flush(self) -> None:
        pass


def supported(fn: Any, **kwargs: Any) -> tuple[dict[str, Any], list[str]]:
    """The keyword arguments ``fn`` accepts, and the names it does not (the fit API is still moving)."""
    import inspect

    names = inspect.signature(fn).parameters
    return {k: v for k, v in kwargs.items() if k in names}, [k for k in kwargs if k not in names]


#: Arguments that make our dual fit do the reference's work: no warm start, no policy
#: iteration, all epochs, RMSprop at 3e-3, simulated validation.
PLAIN_DUAL = dict(init_policy=None, policy_iterations=0, patience=None, optimizer="rmsprop", parameters_lr=3e-3,
                  validation="simulation")


def mlp_macs(sizes: list[int]) -> int:
    """Multiply-accumulates of one forward pass through Linear layers of ``sizes``."""
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


# --------------------------------------------------------------------------- tables
def decode_table(entry: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    lo = np.asarray(entry["lo"], dtype=np.int64)
    raw = base64.b64decode(entry["data"])
    table = np.frombuffer(raw, dtype=np.int16).reshape(entry["shape"]).astype(np.int64)
    return lo, table


class OutsideTable(Exception):
    pass


def table_policy(lo: np.ndarray, table: np.ndarray) -> Any:
    """Callable state -> orders that looks up a table of the reference's predictions."""
    box = np.asarray(table.shape[:-1])

    def policy(states: torch.Tensor) -> torch.Tensor:
        s = np.rint(states.numpy()).astype(np.int64)
        idx = s - lo
        bad = np.any((idx < 0) | (idx >= box), axis=1)
        if bad.any():
            raise OutsideTable(f"state {s[bad][0].tolist()} outside the tabulated box")
        orders = table[tuple(idx.T)]
        if np.any(orders < 0):
            raise OutsideTable(f"state {s[np.any(orders < 0, axis=1)][0].tolist()} has no prediction")
        return torch.as_tensor(orders, dtype=torch.float32)

    return policy


def exact(policy: Any, model: Any, bounds: tuple[int, int] | None = None) -> dict[str, Any]:
    """Exact long-run average cost (or the reason why there is none)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ev = evaluate_policy(policy, model, inventory_bounds=bounds)
    except (OutsideTable, ValueError) as exc:
        return {"cost": None, "error": str(exc)[:200]}
    return {"cost": ev.average_cost, "boundary_mass": ev.boundary_mass, "n_states": ev.n_states}


def optimal_cost(regular_lead_time: int, high: int = 4) -> float:
    return float(DynamicProgrammingController().fit(dual_model(regular_lead_time, 1, high)).optimal_cost_)


# ---------------------------------------------------------------------------- tasks
def task_single_fit(w: dict[str, Any]) -> dict[str, Any]:
    model = single_model(32)
    ctrl = SingleSourcingNeuralController(hidden_layers=[2], activation=torch.nn.CELU(alpha=1))
    kwargs: dict[str, Any] = {}
    if w.get("variant") == "matched":
        kwargs = dict(parameters_lr=3e-3, validation_freq=50, validation="simulation")
    t0 = time.perf_counter()
    ctrl.fit(sourcing_model=model, sourcing_periods=50, validation_sourcing_periods=1000, epochs=w["epochs"],
             seed=w["seed"], progress=False, **kwargs)
    fit_s = time.perf_counter() - t0
    res = exact(ctrl, single_model(32))
    grid = torch.arange(-20, 21, dtype=torch.float32)
    return {"fit_s": fit_s, "exact": res, "import_s": _T_IMPORT,
            "predict_-20..20": [int(ctrl.predict(current_inventory=int(i))) for i in grid],
            "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR")}


def _fit_in_dask_worker(epochs: int, seed: int) -> dict[str, Any]:
    """Runs inside a new Dask worker process: time its imports, then the paper fit."""
    t0 = time.perf_counter()
    import torch as _torch

    from idinn.demand import UniformDemand as _Uniform
    from idinn.single_controller import SingleSourcingNeuralController as _Neural
    from idinn.sourcing_model import SingleSourcingModel as _Model

    _torch.set_num_threads(1)
    import_s = time.perf_counter() - t0
    model = _Model(demand_generator=_Uniform(low=0, high=4), batch_size=32, **SINGLE)
    ctrl = _Neural(hidden_layers=[2], activation=_torch.nn.CELU(alpha=1))
    t1 = time.perf_counter()
    ctrl.fit(sourcing_model=model, sourcing_periods=50, validation_sourcing_periods=1000, epochs=epochs, seed=seed,
             progress=False)
    return {"import_s": import_s, "fit_s": time.perf_counter() - t1, "pid": os.getpid()}


def task_dask_first_fit(w: dict[str, Any]) -> dict[str, Any]:
    """What a new Dask worker pays on its first fit: a LocalCluster with one new worker process, one fit task.

    The worker shares this environment, so it loads the compiled kernels from numba's
    on-disk cache (next to the installed package, or ``NUMBA_CACHE_DIR``) instead of
    compiling them.
    """
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        t0 = time.perf_counter()
        res = client.submit(_fit_in_dask_worker, w["epochs"], w["seed"], pure=False).result()
        res["task_s"] = time.perf_counter() - t0
    res["numba_cache_dir"] = os.environ.get("NUMBA_CACHE_DIR")
    return res


def task_warmup(w: dict[str, Any]) -> dict[str, Any]:
    """What a setup step pays: ``python -m idinn.neural.warmup`` (compile and cache the kernels)."""
    from idinn.neural.warmup import warmup

    return {"warmup_s": warmup(), "import_s": _T_IMPORT, "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR")}


def task_dual_epochs(w: dict[str, Any]) -> dict[str, Any]:
    model = dual_model(2, w["batch_size"])
    device = w.get("device", "cpu")
    if device != "cpu" and not torch.cuda.is_available():
        return {"error": "no CUDA device"}
    ctrl = DualSourcingNeuralController(hidden_layers=DUAL_HIDDEN, activation=torch.nn.ReLU(), device=device)
    hook = Hook()
    kwargs, dropped = supported(ctrl.fit, **PLAIN_DUAL)
    t0 = time.perf_counter()
    ctrl.fit(model, sourcing_periods=w["periods"], epochs=w["epochs"], validation_sourcing_periods=w["val_periods"],
             validation_freq=w["validation_freq"], seed=w["seed"], tensorboard_writer=hook, progress=False, **kwargs)
    fit_s = time.perf_counter() - t0
    return {"fit_kwargs": kwargs, "unsupported_kwargs": dropped, "fit_s": fit_s, "n_val": hook.n_val, "import_s": _T_IMPORT, "threads": torch.get_num_threads(),
            "train_times": hook.train_times, "train_cpu": hook.train_cpu, "val_epochs": hook.val_epochs,
            "exact": exact(ctrl, dual_model(2, 1))}


def task_torch_baseline(w: dict[str, Any]) -> dict[str, Any]:
    """Plain batched forward+backward of the same MLP on a (rows, inputs) tensor."""
    sizes = [3, *DUAL_HIDDEN, 2]
    layers: list[torch.nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])
    x = torch.randn(w["rows"], sizes[0], generator=torch.Generator().manual_seed(0))
    for _ in range(3):
        net.zero_grad()
        net(x).sum().backward()
    times, cpu = [], []
    for _ in range(w["iters"]):
        t0, c0 = time.perf_counter(), time.process_time()
        net.zero_grad()
        net(x).sum().backward()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    t, c = float(np.median(times)), float(np.median(cpu))
    flops = 6 * mlp_macs(sizes) * w["rows"]
    return {"iter_s": t, "gflops": flops / t / 1e9, "cpu_iter_s": c, "cpu_gflops": flops / c / 1e9,
            "threads": torch.get_num_threads()}


def task_cdi_fit(w: dict[str, Any]) -> dict[str, Any]:
    model = dual_model(2, 1)
    rng = range(2, 11)
    t0 = time.perf_counter()
    if w.get("auto_ranges"):
        ctrl = CappedDualIndexController().fit(model, sourcing_periods=w["periods"], seed=w["seed"])
    else:
        ctrl = CappedDualIndexController().fit(model, sourcing_periods=w["periods"], s_e_range=rng, s_r_range=rng,
                                               q_r_range=rng, seed=w["seed"])
    fit_s = time.perf_counter() - t0
    return {"fit_s": fit_s, "params": [ctrl.s_e, ctrl.s_r, ctrl.q_r], "best_cost": ctrl.best_cost_,
            "exact": exact(ctrl, dual_model(2, 1)), "optimal": optimal_cost(2)}


def task_dp_fit(w: dict[str, Any]) -> dict[str, Any]:
    model = dual_model(w["regular_lead_time"], 1, w.get("high", 4))
    t0 = time.perf_counter()
    ctrl = DynamicProgrammingController().fit(model)
    fit_s = time.perf_counter() - t0
    return {"fit_s": fit_s, "optimal_cost": ctrl.optimal_cost_, "lower": ctrl.lower_bound_,
            "upper": ctrl.upper_bound_, "exact": exact(ctrl, model)}


def _time_call(fn: Any) -> float:
    fn()  # warm-up (compilation, caches)
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def task_throughput(w: dict[str, Any]) -> dict[str, Any]:
    T, B, seed = w["periods"], w["batch_size"], w["seed"]
    out: dict[str, Any] = {}
    sm = single_model(B)
    bs = BaseStockController().fit(sm)
    out["base_stock"] = {"batch": B, "s": _time_call(lambda: bs.get_total_cost(sm, T, seed=seed))}
    for b in sorted({1, B}):
        dm = dual_model(2, b)
        cdi = CappedDualIndexController(4, 9, 3).fit(dm, sourcing_periods=10, search=False)
        out[f"cdi_b{b}"] = {"batch": b, "s": _time_call(lambda: cdi.get_total_cost(dm, T, seed=seed))}
    dm = dual_model(2, B)
    nn_ctrl = DualSourcingNeuralController(hidden_layers=DUAL_HIDDEN, activation=torch.nn.ReLU())
    kwargs, _ = supported(nn_ctrl.fit, **PLAIN_DUAL)
    nn_ctrl.fit(dm, sourcing_periods=10, epochs=1, seed=seed, progress=False, **kwargs)
    out["neural_get_total_cost"] = {"batch": B, "s": _time_call(lambda: nn_ctrl.get_total_cost(dm, T, seed=seed))}
    from idinn.neural.rollout import FusedMLP

    fused = FusedMLP(nn_ctrl.model)
    params = dm.params
    init = np.zeros((B, params.state_dim), np.float32)
    init[:, 0] = 6
    demands = dm.demand_generator.sample_periods(B, T, torch.Generator().manual_seed(seed)).numpy()
    feats = np.zeros((T, 0), np.float32)
    disc = np.ones(T)
    out["neural_fused_forward"] = {
        "batch": B, "s": _time_call(lambda: fused.forward_costs(params, init, demands, feats, disc))}
    for v in out.values():
        v["periods"] = T
        v["rate"] = T * v["batch"] / v["s"]
    return out


def task_ttq(w: dict[str, Any]) -> dict[str, Any]:
    """Default recipe with weight snapshots every ``every`` epochs; exact gap of each snapshot."""
    model = dual_model(2, 256)
    ctrl = DualSourcingNeuralController()
    hook = Hook(lambda: ctrl.model, w["every"], w["budget_s"])
    t0 = time.perf_counter()
    stopped = False
    try:
        ctrl.fit(model, sourcing_periods=100, validation_sourcing_periods=1000, epochs=w["epochs"], seed=w["seed"],
                 tensorboard_writer=hook, progress=False)
    except StopTraining:
        stopped = True
    fit_s = time.perf_counter() - t0 - hook.overhead
    g_star = optimal_cost(2)
    bounds = tuple(w["box_lo"][:1] + w["box_hi"][:1])
    points = []
    final = {"epoch": len(hook.train_times), "elapsed": fit_s, "state": copy.deepcopy(ctrl.model.state_dict()),
             "final": True}
    for snap in [*hook.snapshots, final]:
        ctrl.model.load_state_dict(snap["state"])
        res = exact(ctrl, dual_model(2, 1), bounds=bounds)
        gap = None if res["cost"] is None else (res["cost"] - g_star) / g_star
        points.append({"epoch": snap["epoch"], "elapsed": snap["elapsed"], "cost": res["cost"], "gap": gap,
                       "boundary_mass": res.get("boundary_mass"), "error": res.get("error"),
                       "final": snap.get("final", False)})
    returned = []
    for n in w.get("returned_epochs", []):
        short = DualSourcingNeuralController()
        t1 = time.perf_counter()
        short.fit(dual_model(2, 256), sourcing_periods=100, validation_sourcing_periods=1000, epochs=n,
                  seed=w["seed"], progress=False)
        s_fit = time.perf_counter() - t1
        res = exact(short, dual_model(2, 1), bounds=bounds)
        returned.append({"epochs": n, "fit_s": s_fit, "cost": res["cost"], "boundary_mass": res.get("boundary_mass"),
                         "gap": None if res["cost"] is None else (res["cost"] - g_star) / g_star})
    return {"fit_s": fit_s, "stopped_by_budget": stopped, "points": points, "optimal": g_star,
            "n_val": hook.n_val, "returned": returned}


def task_eval_tables(w: dict[str, Any]) -> dict[str, Any]:
    """Exact cost of tabulated reference policies (and of our CDI with the reference's parameters)."""
    out = []
    g_cache: dict[int, float] = {}
    for entry in w["tables"]:
        kind = entry["kind"]
        if kind == "single":
            model = single_model(1)
        else:
            model = dual_model(entry.get("regular_lead_time", 2), 1)
        bounds = tuple(entry["bounds"]) if entry.get("bounds") else None
        if "cdi_params" in entry:
            s_e, s_r, q_r = entry["cdi_params"]
            ctrl = CappedDualIndexController(s_e, s_r, q_r).fit(model, sourcing_periods=10, search=False)
            res = exact(ctrl, model, bounds)
        else:
            lo, table = decode_table(entry)
            res = exact(table_policy(lo, table), model, bounds)
        if kind == "dual" and entry.get("gap"):
            lr = entry.get("regular_lead_time", 2)
            if lr not in g_cache:
                g_cache[lr] = optimal_cost(lr)
            res["optimal"] = g_cache[lr]
            res["gap"] = None if res["cost"] is None else (res["cost"] - g_cache[lr]) / g_cache[lr]
        res["id"] = entry.get("id")
        out.append(res)
    return {"results": out}


def task_scaling_fit(w: dict[str, Any]) -> dict[str, Any]:
    """Dual neural fit time (no validation) for each (periods, batch, lead time) point."""
    kwargs, dropped = supported(DualSourcingNeuralController().fit, **PLAIN_DUAL)
    warm = dual_model(2, 8)
    DualSourcingNeuralController().fit(warm, sourcing_periods=5, epochs=1, seed=0, progress=False, **kwargs)  # JIT
    rows = []
    for p in w["points"]:
        model = dual_model(p["regular_lead_time"], p["batch_size"])
        ctrl = DualSourcingNeuralController()
        t0 = time.perf_counter()
        ctrl.fit(model, sourcing_periods=p["periods"], epochs=w["epochs"], seed=w["seed"], progress=False, **kwargs)
        rows.append({**p, "epochs": w["epochs"], "fit_s": time.perf_counter() - t0})
    return {"rows": rows, "fit_kwargs": kwargs, "unsupported_kwargs": dropped}


def task_scaling_dp(w: dict[str, Any]) -> dict[str, Any]:
    rows = []
    DynamicProgrammingController().fit(dual_model(2, 1))  # warm-up
    for p in w["points"]:
        model = dual_model(p["regular_lead_time"], 1, p["high"])
        t0 = time.perf_counter()
        ctrl = DynamicProgrammingController().fit(model)
        s = time.perf_counter() - t0
        rows.append({**p, "fit_s": s, "optimal_cost": ctrl.optimal_cost_,
                     "n_states": int(ctrl.result_.relative_values.size)})
    return {"rows": rows}


TASKS = {name[5:]: fn for name, fn in globals().items() if name.startswith("task_")}


def main() -> None:
    text = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read()
    workload = json.loads(text)
    torch.set_num_threads(workload.get("threads", torch.get_num_threads()))
    t0 = time.perf_counter()
    result = TASKS[workload["task"]](workload)
    result.setdefault("worker_s", time.perf_counter() - t0)
    result["lib"] = "ours"
    print("RESULT " + json.dumps(result, default=lambda o: None if isinstance(o, float) and math.isnan(o) else str(o)))


if __name__ == "__main__":
    main()
