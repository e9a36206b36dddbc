"""Side-by-side benchmarks of this idinn and the reference implementation idinn 0.2.0.post1.

Both libraries are imported as ``idinn``, so every measurement runs in a subprocess:
``_ours_worker.py`` with this repository's interpreter, ``_ref_worker.py`` with the
interpreter of a separate virtual environment holding the reference (created on first
use if missing). Runs alternate (ours, ref, ours, ref, ...); tables give medians with
min-max over the repeats. The reference's fitted policies are sent back as tables of its
``predict`` over a box of states and evaluated exactly here with
:func:`idinn.exact.evaluate_policy`.

Workloads (``--only``): ``single`` (paper's single-sourcing example), ``dual`` (documented
dual-sourcing neural example, fixed epochs, GFLOP/s), ``cdi`` (capped dual index grid
search), ``dp`` (dynamic programming, l_r = 2, 3), ``throughput`` (``get_total_cost``
rates), ``ttq`` (time to 1% / 0.5% exact gap), ``scaling`` (ours only).

Usage::

    python benchmarks/run.py --quick                 # a few minutes
    python benchmarks/run.py --full --only single,dual
    python benchmarks/run.py --full --ref-venv /path/to/venv --threads 1

Outputs: ``benchmarks/results/<mode>/<workload>.json`` and ``.csv``, a combined
``summary.md``, and ``docs/benchmark_scaling.png`` / ``docs/benchmark_ttq.png``.
Never run in CI.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_REF_VENV = "/tmp/idinn-ref"
REF_VERSION = "0.2.0.post1"
REF_PACKAGES = ["torch==2.13.0", f"idinn=={REF_VERSION}"]
WORKLOADS = ("single", "dual", "cdi", "dp", "throughput", "ttq", "scaling", "device")
#: Box of dual states [I, r_1, r_2] over which the reference's neural and CDI policies are tabulated.
BOX_LO, BOX_HI = [-30, 0, 0], [40, 16, 16]
#: Forward multiply-accumulates of the documented dual MLP 3-128-64-32-16-8-4-2.
DUAL_SIZES = [3, 128, 64, 32, 16, 8, 4, 2]

MODES: dict[str, dict[str, Any]] = {
    "quick": {
        "repeats": 2, "single_epochs": 200, "dual_epochs": 20, "cdi_periods": 100,
        "dp_lead_times": [2, 3], "dp_ref_lead_times": [2], "dp_timeout": 120, "throughput_periods": 200,
        "ttq_epochs": 2000, "ttq_every": 10, "ttq_budget_ours": 30.0, "ttq_budget_ref": 60.0,
        "scaling_epochs": 3, "scaling_repeats": 1, "baseline_iters": 10,
    },
    "full": {
        "repeats": 3, "single_epochs": 2000, "dual_epochs": 200, "cdi_periods": 1000,
        "dp_lead_times": [2, 3], "dp_ref_lead_times": [2, 3], "dp_timeout": 600, "throughput_periods": 1000,
        "ttq_epochs": 2000, "ttq_every": 20, "ttq_budget_ours": 300.0, "ttq_budget_ref": 600.0,
        "scaling_epochs": 10, "scaling_repeats": 3, "baseline_iters": 30,
    },
}


# ------------------------------------------------------------------------------ CLI
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", dest="mode", const="quick", help="a few minutes (default)")
    mode.add_argument("--full", action="store_const", dest="mode", const="full", help="paper-size runs (long)")
    p.set_defaults(mode="quick")
    p.add_argument("--only", default=",".join(WORKLOADS), help=f"comma-separated subset of {','.join(WORKLOADS)}")
    p.add_argument("--repeats", type=int, default=None, help="override the mode's number of repeats")
    p.add_argument("--ref-venv", default=DEFAULT_REF_VENV, help="virtual environment of the reference "
                   f"(created with {' '.join(REF_PACKAGES)} if missing; default {DEFAULT_REF_VENV})")
    p.add_argument("--ours-python", default=None, help="interpreter with this idinn (default: .venv/bin/python)")
    p.add_argument("--threads", type=int, default=1, help="torch/OpenMP threads of every worker (default 1)")
    p.add_argument("--device", default="cpu,cuda", help="devices of the 'device' workload, comma-separated subset "
                   "of cpu,cuda (default both; a machine without CUDA prints 'no CUDA device' in its rows)")
    p.add_argument("--fresh-venv", action="store_true", help="'single' workload: also build a new virtual "
                   "environment under /tmp as scripts/setup.sh does (torch, this idinn, the kernel warm-up), time "
                   "the first fit in it once, then delete it (needs the package index; minutes)")
    p.add_argument("--dp-timeout", type=float, default=None, help="seconds before the reference's DP fit is cut")
    p.add_argument("--ttq-budget", type=float, nargs=2, default=None, metavar=("OURS_S", "REF_S"),
                   help="wall-time budgets of the time-to-quality runs")
    p.add_argument("--out", default=str(HERE / "results"), help="results directory (a subfolder per mode)")
    p.add_argument("--docs", default=str(ROOT / "docs"), help="where the PNG plots go")
    p.add_argument("--no-plots", action="store_true")
    args = p.parse_args(argv)
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    bad = [w for w in only if w not in WORKLOADS]
    if bad:
        p.error(f"unknown workload(s) {bad}; choose from {','.join(WORKLOADS)}")
    args.only = only
    devices = [d.strip() for d in args.device.split(",") if d.strip()]
    if not devices or any(d not in ("cpu", "cuda") for d in devices):
        p.error(f"--device must be a comma-separated subset of cpu,cuda; got {args.device!r}")
    args.device = devices
    if args.repeats is not None and args.repeats < 1:
        p.error("--repeats must be >= 1")
    if args.threads < 1:
        p.error("--threads must be >= 1")
    return args


def settings(args: argparse.Namespace) -> dict[str, Any]:
    cfg = dict(MODES[args.mode])
    if args.repeats is not None:
        cfg["repeats"] = args.repeats
    if args.dp_timeout is not None:
        cfg["dp_timeout"] = args.dp_timeout
    if args.ttq_budget is not None:
        cfg["ttq_budget_ours"], cfg["ttq_budget_ref"] = args.ttq_budget
    return cfg


# --------------------------------------------------------------------------- helpers
def stats(xs: list[float]) -> tuple[float, float, float]:
    return median(xs), min(xs), max(xs)


def fmt_range(xs: list[float], digits: int = 2) -> str:
    xs = [x for x in xs if x is not None]
    if not xs:
        return "n/a"
    m, lo, hi = stats(xs)
    if len(xs) == 1:
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def fmt_cost(x: float | None, digits: int = 4) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def md_table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def flop_count(sizes: list[int]) -> int:
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def load_scaling() -> Any:
    spec = importlib.util.spec_from_file_location("idinn_bench_scaling", HERE / "scaling.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def ensure_ref_venv(path: str) -> str:
    """Interpreter of the reference's venv; creates the venv if it does not exist."""
    py = Path(path) / "bin" / "python"
    if not py.exists():
        print(f"[bench] creating reference venv {path} ({' '.join(REF_PACKAGES)}) ...", flush=True)
        subprocess.run([sys.executable if shutil.which("python3") is None else "python3", "-m", "venv", path],
                       check=True)
        subprocess.run([str(Path(path) / "bin" / "pip"), "install", *REF_PACKAGES], check=True)
    out = subprocess.run([str(py), "-c", "import importlib.metadata as m; print(m.version('idinn'))"],
                         capture_output=True, text=True, cwd=tempfile.gettempdir())
    version = out.stdout.strip()
    if version != REF_VERSION:
        raise SystemExit(f"{py} has idinn {version or '(none)'}; expected {REF_VERSION}: pass --ref-venv")
    return str(py)


class Runner:
    """Starts workers, alternates sides, keeps a log of every call."""

    def __init__(self, args: argparse.Namespace, cfg: dict[str, Any]) -> None:
        self.args = args
        self.cfg = cfg
        default_ours = ROOT / ".venv" / "bin" / "python"
        self.ours_python = args.ours_python or (str(default_ours) if default_ours.exists() else sys.executable)
        self.ref_python = ensure_ref_venv(args.ref_venv) if self._needs_ref() else None

    def _needs_ref(self) -> bool:
        return any(w not in ("scaling", "device") for w in self.args.only)

    def call(self, side: str, workload: dict[str, Any], timeout: float | None = None,
             env_extra: dict[str, str] | None = None, python: str | None = None) -> dict[str, Any]:
        """Run one workload in a fresh worker process (``python`` overrides the side's interpreter); adds
        ``process_s`` (or ``error``)."""
        python = python or (self.ours_python if side == "ours" else self.ref_python)
        script = HERE / ("_ours_worker.py" if side == "ours" else "_ref_worker.py")
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        t = str(self.args.threads)
        env.update({"OMP_NUM_THREADS": t, "MKL_NUM_THREADS": t, "OPENBLAS_NUM_THREADS": t, "NUMBA_NUM_THREADS": t})
        env.update(env_extra or {})
        payload = json.dumps({**workload, "threads": self.args.threads})
        cwd = str(ROOT) if side == "ours" else tempfile.gettempdir()
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([python, str(script)], input=payload, capture_output=True, text=True, env=env,
                                  cwd=cwd, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"timeout after {timeout:.0f} s", "timeout": True, "process_s": time.perf_counter() - t0}
        wall = time.perf_counter() - t0
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        if proc.returncode != 0 or not lines:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            print(f"[bench] {side} {workload['task']} failed: {' | '.join(tail)}", flush=True)
            return {"error": " | ".join(tail)[-300:], "process_s": wall}
        res = json.loads(lines[-1][len("RESULT "):])
        res["process_s"] = wall
        return res

    def pair(self, i: int, ours: Any, ref: Any) -> tuple[Any, Any]:
        """Call ``ours()`` and ``ref()`` in alternating order (ours first on even repeats)."""
        if i % 2 == 0:
            a = ours()
            return a, ref()
        b = ref()
        return ours(), b

    def eval_tables(self, tables: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not tables:
            return []
        res = self.call("ours", {"task": "eval_tables", "tables": tables})
        if "error" in res:
            return [{"cost": None, "error": res["error"], "id": t.get("id")} for t in tables]
        return res["results"]


def progress(msg: str) -> None:
    print(f"[bench {datetime.datetime.now():%H:%M:%S}] {msg}", flush=True)


# -------------------------------------------------------------------------- workloads
def build_fresh_venv(parent: str) -> tuple[str, float]:
    """A new virtual environment in ``parent`` set up as ``scripts/setup.sh`` does, for a user's first fit.

    ``pip install torch==2.13.0``, then this repository (not editable: installed into
    site-packages as from PyPI), then ``python -m idinn.neural.warmup``. Returns the
    interpreter and the seconds the setup took.
    """
    venv = Path(parent) / "venv"
    t0 = time.perf_counter()
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run(pip + ["torch==2.13.0"], check=True)
    subprocess.run(pip + [str(ROOT)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}  # the cache a user gets by default
    subprocess.run([str(venv / "bin" / "python"), "-m", "idinn.neural.warmup"], check=True, cwd=parent, env=env)
    return str(venv / "bin" / "python"), time.perf_counter() - t0


def w_single(r: Runner) -> dict[str, Any]:
    cfg = r.cfg
    E = cfg["single_epochs"]
    rows: list[dict[str, Any]] = []
    tables = []
    fresh_dir, fresh_python, fresh_setup_s = None, None, None
    if r.args.fresh_venv:
        fresh_dir = tempfile.mkdtemp(prefix="idinn-fresh-venv-", dir="/tmp")
        progress(f"single: building a fresh venv in {fresh_dir} (setup.sh steps) ...")
        try:
            fresh_python, fresh_setup_s = build_fresh_venv(fresh_dir)
        except subprocess.CalledProcessError as err:
            progress(f"single: fresh venv failed ({err}); its row is left out")
    for i in range(cfg["repeats"]):
        seed = i + 1
        base = {"task": "single_fit", "epochs": E, "seed": seed}

        def ours() -> list[dict[str, Any]]:
            out = []
            cache = tempfile.mkdtemp(prefix="idinn-numba-cold-")
            try:
                res = r.call("ours", {**base, "variant": "paper"}, env_extra={"NUMBA_CACHE_DIR": cache})
            finally:
                shutil.rmtree(cache, ignore_errors=True)
            out.append(("ours, cold numba cache", res))
            # A fresh environment whose setup ran `python -m idinn.neural.warmup` (issue 14):
            # the warm-up is paid once at setup, the first fit then loads the cached kernels.
            cache = tempfile.mkdtemp(prefix="idinn-numba-setup-")
            try:
                env = {"NUMBA_CACHE_DIR": cache}
                setup = r.call("ours", {"task": "warmup"}, env_extra=env)
                res = r.call("ours", {**base, "variant": "paper"}, env_extra=env)
                res["warmup_s"] = setup.get("warmup_s")
            finally:
                shutil.rmtree(cache, ignore_errors=True)
            out.append(("ours, fresh env, kernels built at setup", res))
            if i == 0 and fresh_python:
                # Once: the first fit in a new virtual environment built as scripts/setup.sh does.
                res = r.call("ours", {**base, "variant": "paper"}, python=fresh_python, env_extra={"NUMBA_CACHE_DIR": ""})
                res["warmup_s"] = fresh_setup_s
                out.append(("ours, first fit in a fresh venv (setup incl. warm-up)", res))
            if i == 0:
                out.append(("ours, first fit in a new Dask worker", r.call("ours", {"task": "dask_first_fit",
                                                                                    "epochs": E, "seed": seed})))
            out.append(("ours (warm cache)", r.call("ours", {**base, "variant": "paper"})))
            out.append(("ours, ref-matched options", r.call("ours", {**base, "variant": "matched"})))
            return out

        def ref() -> list[dict[str, Any]]:
            return [("reference 0.2.0.post1", r.call("ref", {**base, "table_lo": -60, "table_hi": 80}))]

        progress(f"single: repeat {i + 1}/{cfg['repeats']} (seed {seed}, {E} epochs)")
        a, b = r.pair(i, ours, ref)
        for variant, res in a + b:
            row = {"repeat": i, "seed": seed, "variant": variant, "epochs": E, "fit_s": res.get("fit_s"),
                   "setup_warmup_s": res.get("warmup_s"), "dask_task_s": res.get("task_s"),
                   "process_s": res.get("process_s"), "import_s": res.get("import_s"), "error": res.get("error"),
                   "exact_cost": (res.get("exact") or {}).get("cost")}
            if variant.startswith("reference") and "table" in res:
                tables.append({"kind": "single", "id": len(rows), **res["table"]})
            rows.append(row)
    if fresh_dir:
        shutil.rmtree(fresh_dir, ignore_errors=True)
    for ev in r.eval_tables(tables):
        rows[ev["id"]]["exact_cost"] = ev.get("cost")
        rows[ev["id"]]["error"] = ev.get("error")
    variants = list(dict.fromkeys(x["variant"] for x in rows))
    ref_fit = [x["fit_s"] for x in rows if x["variant"].startswith("reference") and x["fit_s"] is not None]
    table = []
    for v in variants:
        vr = [x for x in rows if x["variant"] == v]
        fits = [x["fit_s"] for x in vr if x["fit_s"] is not None]
        ratio = f"{median(ref_fit) / median(fits):.1f}x" if fits and ref_fit and not v.startswith("reference") else "1"
        costs = ", ".join(f"s{x['seed']}: {fmt_cost(x['exact_cost'])}" for x in vr)
        table.append([v, fmt_range(fits), fmt_range([x["process_s"] for x in vr]), ratio, costs])
    md = md_table(["variant", "fit wall [s] median (min–max)", "process wall [s] (import + fit + eval)",
                   "ref fit / this fit", "exact avg cost per period by seed (optimum 10)"], table)
    note = (f"SingleSourcingModel(lead_time=0, h=5, b=495, batch_size=32, init_inventory=10, U{{0..4}}), "
            f"hidden [2], CELU(alpha=1), fit(sourcing_periods=50, validation_sourcing_periods=1000, "
            f"epochs={E}, seed=s), other arguments at each library's defaults (ours: Adam lr 3e-2, exact "
            f"validation every 50 epochs; reference: its signature's parameters_lr=3e-3, validation_freq=50). 'ref-matched options': "
            f"ours with parameters_lr=3e-3, validation_freq=50, validation='simulation'. Cold = fresh "
            f"NUMBA_CACHE_DIR (JIT compilation inside fit). 'Fresh env, kernels built at setup' = fresh "
            f"NUMBA_CACHE_DIR in which `python -m idinn.neural.warmup` ran first (its time is the "
            f"setup_warmup_s column of the CSV), then the fit in a new process. 'First fit in a fresh venv' "
            f"(with --fresh-venv, once): a new virtual environment under /tmp built as scripts/setup.sh does "
            f"(pip install torch==2.13.0, pip install of this repository, python -m idinn.neural.warmup; total "
            f"setup time in the setup_warmup_s column), then the first fit of a new process in it. 'First fit in "
            f"a new Dask worker' (once): a dask.distributed LocalCluster with one new worker process in this "
            f"environment runs the fit as its first task; fit wall = the fit inside the worker, process wall = "
            f"the whole worker call (cluster start, worker imports, fit; the CSV has the task's round trip as "
            f"dask_task_s and the worker's import time as import_s).")
    return {"title": "1. Single sourcing, paper example", "rows": rows, "markdown": md, "note": note}


def _epoch_medians(res: dict[str, Any]) -> tuple[float | None, float | None]:
    """Median wall and CPU seconds between consecutive training epochs (validations excluded by the median)."""
    out = []
    for key in ("train_times", "train_cpu"):
        tt = res.get(key) or []
        diffs = [y - x for x, y in zip(tt[:-1], tt[1:])]
        out.append(median(diffs) if diffs else None)
    return out[0], out[1]


def dual_summary(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """Issue-14 figures from ``w_dual`` rows: ref/ours per-epoch ratios and ours as % of plain fwd+bwd GFLOP/s.

    Each is a ratio of medians over the alternating repeats, from wall-clock times and
    from process CPU times (the latter is what a loaded, shared machine distorts least).
    """
    def med(side: str, key: str) -> float | None:
        xs = [x[key] for x in rows if x["side"] == side and x.get(key)]
        return median(xs) if xs else None

    out: dict[str, float | None] = {}
    for clock, ep, gf in (("wall", "epoch_s", "gflops"), ("cpu", "epoch_cpu_s", "gflops_cpu")):
        o, f, po, pb = med("ours", ep), med("reference", ep), med("ours", gf), med("plain torch fwd+bwd", gf)
        out[f"ref_over_ours_{clock}"] = f / o if o and f else None
        out[f"pct_of_plain_{clock}"] = 100 * po / pb if po and pb else None
    return out


def w_dual(r: Runner) -> dict[str, Any]:
    cfg = r.cfg
    E, B, T, TV, VF = cfg["dual_epochs"], 256, 100, 1000, 50
    macs = flop_count(DUAL_SIZES)
    flops = 6 * macs * B * T
    rows: list[dict[str, Any]] = []
    tables = []
    base = {"task": "dual_epochs", "epochs": E, "batch_size": B, "periods": T, "val_periods": TV,
            "validation_freq": VF, "box_lo": BOX_LO, "box_hi": BOX_HI}
    for i in range(cfg["repeats"]):
        seed = i + 1
        progress(f"dual: repeat {i + 1}/{cfg['repeats']} ({E} epochs)")
        bl_task = {"task": "torch_baseline", "rows": B * T, "iters": cfg["baseline_iters"]}
        if i % 2:  # the plain baseline first on odd repeats, last on even ones
            bl = r.call("ours", bl_task)
        a, b = r.pair(i, lambda: r.call("ours", {**base, "seed": seed}), lambda: r.call("ref", {**base, "seed": seed}))
        if not i % 2:
            bl = r.call("ours", bl_task)
        for side, res in (("ours", a), ("reference", b)):
            epoch_s, epoch_cpu = _epoch_medians(res)
            row = {"repeat": i, "seed": seed, "side": side, "epochs": E, "fit_s": res.get("fit_s"),
                   "epoch_s": epoch_s, "epoch_cpu_s": epoch_cpu, "n_val": res.get("n_val"), "error": res.get("error"),
                   "gflops": flops / epoch_s / 1e9 if epoch_s else None,
                   "gflops_cpu": flops / epoch_cpu / 1e9 if epoch_cpu else None,
                   "setup_and_validation_s": res["fit_s"] - E * epoch_s if epoch_s else None,
                   "exact_cost": (res.get("exact") or {}).get("cost"),
                   "fit_kwargs": json.dumps(res.get("fit_kwargs")) if side == "ours" else ""}
            if side == "reference" and "table" in res:
                tables.append({"kind": "dual", "id": len(rows), "bounds": [BOX_LO[0], BOX_HI[0]], **res["table"]})
            rows.append(row)
        rows.append({"repeat": i, "seed": seed, "side": "plain torch fwd+bwd", "epoch_s": bl.get("iter_s"),
                     "epoch_cpu_s": bl.get("cpu_iter_s"), "gflops": bl.get("gflops"),
                     "gflops_cpu": bl.get("cpu_gflops"), "error": bl.get("error")})
    for ev in r.eval_tables(tables):
        rows[ev["id"]]["exact_cost"] = ev.get("cost")
    summary = dual_summary(rows)
    table = []
    for side in ("ours", "reference", "plain torch fwd+bwd"):
        vr = [x for x in rows if x["side"] == side]
        ep = [x["epoch_s"] for x in vr if x.get("epoch_s")]
        cp = [x["epoch_cpu_s"] for x in vr if x.get("epoch_cpu_s")]
        gf = fmt_range([x["gflops"] for x in vr if x.get("gflops")], 1)
        gc = fmt_range([x["gflops_cpu"] for x in vr if x.get("gflops_cpu")], 1)
        if side == "plain torch fwd+bwd":
            table.append([side + f" on a ({B * T}, 3) tensor", "–", fmt_range(ep, 4), fmt_range(cp, 4), "–", gf, gc,
                          "100 %", "–"])
            continue
        if side == "ours":
            ratio = " / ".join("n/a" if summary[f"ref_over_ours_{c}"] is None else f"{summary[f'ref_over_ours_{c}']:.2f}x"
                               for c in ("wall", "cpu"))
            pct = " / ".join("n/a" if summary[f"pct_of_plain_{c}"] is None else f"{summary[f'pct_of_plain_{c}']:.0f} %"
                             for c in ("wall", "cpu"))
        else:
            ratio, pct = "1", "–"
        table.append([side, fmt_range([x["fit_s"] for x in vr if x.get("fit_s")]), fmt_range(ep, 4), fmt_range(cp, 4),
                      ratio, gf, gc, pct, ", ".join(fmt_cost(x.get("exact_cost"), 2) for x in vr)])
    md = md_table([f"side", f"fit wall, {E} epochs [s]", "per epoch, wall [s]", "per epoch, CPU [s]",
                   "ref / this per epoch (wall / CPU)", "GFLOP/s (wall)", "GFLOP/s (CPU)",
                   "% of plain fwd+bwd GFLOP/s (wall / CPU)", f"exact cost after {E} epochs (optimum 23.07)"], table)
    note = (f"DualSourcingModel(l_r=2, l_e=0, c_r=0, c_e=20, h=5, b=495, init_inventory=6, U{{0..4}}, batch_size={B}); "
            f"hidden [128,64,32,16,8,4] ReLU; fit(sourcing_periods={T}, validation_sourcing_periods={TV}, "
            f"validation_freq={VF}, epochs={E}, seed=s). Ours with init_policy=None, policy_iterations=0, "
            f"patience=None, optimizer='rmsprop', parameters_lr=3e-3, validation='simulation' (no warm start, "
            f"same work as the reference). Per epoch = median interval between consecutive epochs (validations "
            f"excluded), as wall-clock time and as the worker's process CPU time (one thread per worker, so CPU "
            f"time is the time the epoch computed; it is what a loaded shared machine distorts least). Ratios are "
            f"ratios of the medians over the alternating repeats (ours, ref, plain; then plain, ref, ours; ...). "
            f"Plain torch fwd+bwd: the same MLP, forward and backward on all {B * T} rows at once (what BLAS "
            f"reaches on this network with no recurrence). FLOPs per epoch = 6 x {macs} MACs x {B} x {T} = "
            f"{flops / 1e9:.3f} GFLOP (2 MACs forward, 4 backward).")
    return {"title": "2. Dual sourcing neural example, fixed epochs", "rows": rows, "markdown": md, "note": note,
            "summary": summary}


def w_device(r: Runner) -> dict[str, Any]:
    """Ours only: per-epoch time of the dual example on the CPU and on CUDA at growing batches."""
    cfg = r.cfg
    E, T = max(cfg["dual_epochs"], 5), 100
    macs = flop_count(DUAL_SIZES)
    rows: list[dict[str, Any]] = []
    for B in (256, 4096, 65536):
        for device in r.args.device:
            if device == "cpu" and B == 65536 and r.args.mode == "quick":
                continue  # minutes per epoch on 2 cores
            progress(f"device: {device}, batch {B}")
            w = {"task": "dual_epochs", "epochs": E, "batch_size": B, "periods": T, "val_periods": T,
                 "validation_freq": 10**6, "box_lo": BOX_LO, "box_hi": BOX_HI, "seed": 1, "device": device}
            res = r.call("ours", w)
            ep, cpu = _epoch_medians(res)
            rows.append({"device": device, "batch": B, "epoch_s": ep, "epoch_cpu_s": cpu, "error": res.get("error"),
                         "gflops": 6 * macs * B * T / ep / 1e9 if ep else None})
    table = [[x["device"], x["batch"], f"{x['epoch_s']:.4f}" if x["epoch_s"] else (x["error"] or "–"),
              f"{x['epoch_cpu_s']:.4f}" if x["epoch_cpu_s"] else "–",
              f"{x['gflops']:.2f}" if x["gflops"] else "–"] for x in rows]
    md = md_table(["device", "batch", "per training epoch, wall [s]", "per epoch, process CPU [s]",
                   "GFLOP/s (wall)"], table)
    note = (f"Dual docs instance, hidden [128,64,32,16,8,4] ReLU, {T} periods per epoch, ours only (plain "
            f"recipe: no warm start, RMSprop). CPU: fused kernels; CUDA: autograd on the GPU.")
    return {"title": "8. Dual network per device and batch", "rows": rows, "markdown": md, "note": note}


def w_cdi(r: Runner) -> dict[str, Any]:
    cfg = r.cfg
    T = cfg["cdi_periods"]
    rows: list[dict[str, Any]] = []
    tables = []
    for i in range(cfg["repeats"]):
        seed = i + 1
        base = {"task": "cdi_fit", "periods": T, "seed": seed, "box_lo": BOX_LO, "box_hi": BOX_HI}
        progress(f"cdi: repeat {i + 1}/{cfg['repeats']} (sourcing_periods {T})")

        def ours() -> list[tuple[str, dict[str, Any]]]:
            return [("ours, ranges 2..10", r.call("ours", base)),
                    ("ours, automatic ranges", r.call("ours", {**base, "auto_ranges": True}))]

        a, b = r.pair(i, ours, lambda: [("reference 0.2.0.post1", r.call("ref", base))])
        for variant, res in a + b:
            row = {"repeat": i, "seed": seed, "variant": variant, "fit_s": res.get("fit_s"),
                   "params": res.get("params"), "exact_cost": (res.get("exact") or {}).get("cost"),
                   "optimal": res.get("optimal"), "error": res.get("error"), "batch256": res.get("batch256")}
            rows.append(row)
            if variant.startswith("reference") and res.get("params"):
                tables.append({"kind": "dual", "id": ("cdi", len(rows) - 1), "cdi_params": res["params"]})
                tables.append({"kind": "dual", "id": ("table", len(rows) - 1), "bounds": [BOX_LO[0], BOX_HI[0]],
                               **res["table"]})
    for ev in r.eval_tables(tables):
        kind, k = ev["id"]
        rows[k]["exact_cost" if kind == "cdi" else "exact_cost_own_predict"] = ev.get("cost")
    opt = next((x["optimal"] for x in rows if x.get("optimal")), None)
    ref_fit = [x["fit_s"] for x in rows if x["variant"].startswith("reference") and x["fit_s"]]
    table = []
    for v in dict.fromkeys(x["variant"] for x in rows):
        vr = [x for x in rows if x["variant"] == v]
        fits = [x["fit_s"] for x in vr if x["fit_s"]]
        ratio = f"{median(ref_fit) / median(fits):.1f}x" if fits and ref_fit and not v.startswith("reference") else "1"
        params = ", ".join(f"s{x['seed']}: {tuple(x['params']) if x['params'] else 'n/a'}" for x in vr)
        costs = ", ".join(fmt_cost(x["exact_cost"]) for x in vr)
        own = ", ".join(fmt_cost(x.get("exact_cost_own_predict")) for x in vr) if v.startswith("reference") else "–"
        table.append([v, fmt_range(fits, 3), ratio, params, costs, own])
    md = md_table(["variant", "fit wall [s]", "ref fit / this fit", "(S_e, S_r, q_r) by seed",
                   f"exact cost, our CDI with these parameters (optimum {fmt_cost(opt)})",
                   "exact cost of the reference's own predict (tabulated)"], table)
    b256 = next((x["batch256"] for x in rows if x.get("batch256")), None)
    note = (f"Documented instance l_r=2, l_e=0, c_e=20, h=5, b=495, init_inventory=6, U{{0..4}}. Reference: "
            f"CappedDualIndexController().fit(model, sourcing_periods={T}, seed=s) with its default grid "
            f"S_e, S_r, q_r in 2..10 (729 candidates). With batch_size=256 the reference's fit fails "
            f"({b256}); it is therefore timed with batch_size=1. Ours: fit(model, sourcing_periods={T}, "
            f"s_e_range=range(2, 11), s_r_range=range(2, 11), q_r_range=range(2, 11), seed=s) (it simulates "
            f"128 paths per candidate, then re-ranks the best 8 exactly; batch_size does not matter).")
    return {"title": "3. Capped dual index fit", "rows": rows, "markdown": md, "note": note}


def w_dp(r: Runner) -> dict[str, Any]:
    cfg = r.cfg
    rows: list[dict[str, Any]] = []
    tables = []
    for lr in cfg["dp_lead_times"]:
        hi_r = 8 if lr <= 2 else 6
        lo, hi = [-30] + [0] * lr, [40] + [hi_r] * lr
        for i in range(cfg["repeats"]):
            progress(f"dp: l_r={lr}, ours repeat {i + 1}/{cfg['repeats']}")
            res = r.call("ours", {"task": "dp_fit", "regular_lead_time": lr})
            rows.append({"regular_lead_time": lr, "side": "ours", "repeat": i, "fit_s": res.get("fit_s"),
                         "cost": res.get("optimal_cost"), "exact_cost": (res.get("exact") or {}).get("cost"),
                         "error": res.get("error")})
        if lr in cfg["dp_ref_lead_times"]:
            progress(f"dp: l_r={lr}, reference (timeout {cfg['dp_timeout']:.0f} s)")
            res = r.call("ref", {"task": "dp_fit", "regular_lead_time": lr, "sim_periods": 5000, "seed": 1,
                                 "box_lo": lo, "box_hi": hi}, timeout=cfg["dp_timeout"])
            row = {"regular_lead_time": lr, "side": "reference", "repeat": 0, "fit_s": res.get("fit_s"),
                   "cost": res.get("vf"), "simulated_cost": res.get("simulated_cost"), "error": res.get("error"),
                   "timeout": res.get("timeout", False), "process_s": res.get("process_s")}
            rows.append(row)
            if "table" in res:
                tables.append({"kind": "dual", "id": len(rows) - 1, "regular_lead_time": lr,
                               "bounds": [lo[0], hi[0]], **res["table"]})
    for ev in r.eval_tables(tables):
        rows[ev["id"]]["exact_cost"] = ev.get("cost")
        rows[ev["id"]]["exact_error"] = ev.get("error")
    table = []
    for lr in cfg["dp_lead_times"]:
        o = [x for x in rows if x["regular_lead_time"] == lr and x["side"] == "ours"]
        f = [x for x in rows if x["regular_lead_time"] == lr and x["side"] == "reference"]
        of = [x["fit_s"] for x in o if x["fit_s"] is not None]
        rf = f[0] if f else None
        if rf is None:
            rtime, rcost, rsim, rex, ratio = "not run", "–", "–", "–", "–"
        elif rf.get("timeout"):
            rtime, rcost, rsim, rex, ratio = f"> {cfg['dp_timeout']:.0f} (timeout)", "–", "–", "–", \
                f"> {cfg['dp_timeout'] / median(of):.0f}x" if of else "–"
        else:
            rtime = fmt_range([rf["fit_s"]]) if rf.get("fit_s") else f"error: {rf.get('error')}"
            rcost, rsim = fmt_cost(rf.get("cost")), fmt_cost(rf.get("simulated_cost"))
            rex = fmt_cost(rf.get("exact_cost")) if rf.get("exact_cost") is not None else f"n/a ({rf.get('exact_error')})"
            ratio = f"{rf['fit_s'] / median(of):.0f}x" if of and rf.get("fit_s") else "–"
        table.append([lr, fmt_range(of, 4), fmt_cost(o[0]["cost"] if o else None),
                      fmt_cost(o[0]["exact_cost"] if o else None), rtime, rcost, rsim, rex, ratio])
    md = md_table(["l_r", "ours fit [s]", "ours optimal_cost_", "ours policy, exact", "reference fit [s]",
                   "reference vf", "reference simulated (5000 periods, 1 path)", "reference policy, exact",
                   "ref / ours"], table)
    note = ("DualSourcingModel(l_r, l_e=0, c_r=0, c_e=20, h=5, b=495, init_inventory=6, U{0..4}); "
            "DynamicProgrammingController().fit(model) in both (reference: one run per l_r, in a subprocess "
            "killed at the timeout). 'Policy, exact' = long-run average cost of the fitted policy by "
            "idinn.exact.evaluate_policy (reference: its predict tabulated on I in [-30, 40], pipeline "
            "entries in [0, 8] (l_r=2) or [0, 6] (l_r=3)).")
    return {"title": "4. Dynamic programming", "rows": rows, "markdown": md, "note": note}


def w_throughput(r: Runner) -> dict[str, Any]:
    cfg = r.cfg
    T, B = cfg["throughput_periods"], 256
    rows: list[dict[str, Any]] = []
    for i in range(cfg["repeats"]):
        progress(f"throughput: repeat {i + 1}/{cfg['repeats']}")
        w = {"task": "throughput", "periods": T, "batch_size": B, "seed": i + 1}
        a, b = r.pair(i, lambda: r.call("ours", w), lambda: r.call("ref", w))
        for side, res in (("ours", a), ("reference", b)):
            for key, v in res.items():
                if isinstance(v, dict) and "batch" in v:
                    rows.append({"repeat": i, "side": side, "evaluation": key, "batch": v["batch"], "periods": T,
                                 "s": v.get("s"), "rate": v.get("rate"), "error": v.get("error")})
    labels = {"base_stock": "base stock, single (get_total_cost)", "cdi_b1": "CDI (4, 9, 3), dual, batch 1",
              f"cdi_b{B}": f"CDI (4, 9, 3), dual, batch {B}",
              "neural_get_total_cost": "neural [128,...,4], get_total_cost",
              "neural_fused_forward": "neural, FusedMLP.forward_costs (ours only)"}
    table = []
    for key, label in labels.items():
        o = [x["rate"] for x in rows if x["evaluation"] == key and x["side"] == "ours" and x["rate"]]
        f = [x for x in rows if x["evaluation"] == key and x["side"] == "reference"]
        fr = [x["rate"] for x in f if x["rate"]]
        err = next((x["error"] for x in f if x.get("error")), None)
        ref_txt = fmt_range([x / 1e3 for x in fr], 1) if fr else (f"fails: {err[:60]}" if err else "–")
        ratio = f"{median(o) / median(fr):.1f}x" if o and fr else "–"
        batch = next((x["batch"] for x in rows if x["evaluation"] == key), "")
        table.append([label, batch, fmt_range([x / 1e3 for x in o], 1) if o else "–", ref_txt, ratio])
    md = md_table(["evaluation", "paths", "ours [10^3 path-periods/s]", "reference [10^3 path-periods/s]",
                   "ours / ref"], table)
    note = (f"{T} periods; rate = periods x paths / wall time of the second call (the first warms up). Base "
            f"stock on the single-sourcing example (l=0, h=5, b=495, U{{0..4}}); CDI and neural on the dual "
            f"docs instance.")
    return {"title": "5. Evaluation throughput", "rows": rows, "markdown": md, "note": note}


def _crossing(points: list[dict[str, Any]], level: float) -> dict[str, Any] | None:
    for p in points:
        if p.get("gap") is not None and p["gap"] < level and (p.get("boundary_mass") or 0.0) <= 1e-6:
            return p
    return None


def w_ttq(r: Runner) -> dict[str, Any]:
    cfg = r.cfg
    base = {"task": "ttq", "epochs": cfg["ttq_epochs"], "every": cfg["ttq_every"], "seed": 1,
            "box_lo": BOX_LO, "box_hi": BOX_HI, "returned_epochs": [1]}
    progress(f"ttq: ours (budget {cfg['ttq_budget_ours']:.0f} s)")
    ours = r.call("ours", {**base, "budget_s": cfg["ttq_budget_ours"]})
    progress(f"ttq: reference (budget {cfg['ttq_budget_ref']:.0f} s)")
    ref = r.call("ref", {**base, "budget_s": cfg["ttq_budget_ref"]})
    snaps = ref.get("snapshots", []) + ref.get("returned", [])
    tables = [{"kind": "dual", "id": k, "gap": True, "bounds": [BOX_LO[0], BOX_HI[0]], **s["table"]}
              for k, s in enumerate(snaps)]
    evs = r.eval_tables(tables)
    n_snap = len(ref.get("snapshots", []))
    ref_points = []
    for s, ev in zip(snaps[:n_snap], evs):
        ref_points.append({"epoch": s["epoch"], "elapsed": s["elapsed"], "cost": ev.get("cost"),
                           "gap": ev.get("gap"), "boundary_mass": ev.get("boundary_mass"), "error": ev.get("error"),
                           "final": s.get("final", False)})
    ref_returned = [{"epochs": s["epochs"], "fit_s": s["fit_s"], "cost": ev.get("cost"), "gap": ev.get("gap"),
                     "boundary_mass": ev.get("boundary_mass")} for s, ev in zip(snaps[n_snap:], evs[n_snap:])]
    curves = {"ours (default recipe)": ours.get("points", []), "reference 0.2.0.post1": ref_points}
    returned = {"ours (default recipe)": ours.get("returned", []), "reference 0.2.0.post1": ref_returned}
    rows = [{"side": side, **p} for side, pts in curves.items() for p in pts]
    rows += [{"side": side, "returned_by_fit": True, **p} for side, pts in returned.items() for p in pts]
    table = []
    for (side, pts), res, budget in zip(curves.items(), (ours, ref), (cfg["ttq_budget_ours"], cfg["ttq_budget_ref"])):
        gaps = [p["gap"] for p in pts if p.get("gap") is not None]
        cells = [side]
        for level in (0.01, 0.005):
            c = _crossing(pts, level)
            cells.append(f"{c['elapsed']:.1f} (epoch {c['epoch']})" if c else f"not within {budget:.0f} s")
        last = pts[-1]["epoch"] if pts else 0
        fin = next((p for p in pts if p.get("final")), None)
        ret = next(iter(returned[side]), None)
        cells += [f"{100 * min(gaps):.3f}" if gaps else "n/a", last,
                  "budget" if res.get("stopped_by_budget") else "finished",
                  f"{100 * fin['gap']:.3f}" if fin and fin.get("gap") is not None else "n/a",
                  f"{ret['fit_s']:.1f} s, {100 * ret['gap']:.2f}%" if ret and ret.get("gap") is not None else "n/a",
                  res.get("error", "")]
        table.append(cells)
    md = md_table(["side", "wall [s] to gap < 1%", "wall [s] to gap < 0.5%", "best snapshot gap [%]",
                   "epochs run", "stopped by", "gap at the end [%] (policy fit returned, or weights at the budget cut)",
                   "fit(epochs=1): wall, gap of its policy", "error"], table)
    note = (f"fit(model, sourcing_periods=100, validation_sourcing_periods=1000, epochs={cfg['ttq_epochs']}, "
            f"seed=1) with each library's defaults (ours: the current default recipe, whatever it does before "
            f"epoch 0 counts), dual docs instance, batch 256. Weights snapshotted at the first epoch and every "
            f"{cfg['ttq_every']} epochs (copy time excluded), and the policy fit returns at the end (ours restores "
            f"the best validated weights); each snapshot's exact average cost by "
            f"evaluate_policy with inventory clipped to [{BOX_LO[0]}, {BOX_HI[0]}] (reference: predict tabulated "
            f"on that box, pipelines in [0, {BOX_HI[1]}]); gap to the DP optimum. Runs are cut at the wall budget "
            f"(ours {cfg['ttq_budget_ours']:.0f} s, reference {cfg['ttq_budget_ref']:.0f} s). Snapshots whose "
            f"long-run mass on the clipped boundary exceeds 1e-6 never count as crossings. 'fit(epochs=1)': "
            f"a separate fit with the same call but epochs=1, timed, and the exact gap of what it returns.")
    vals = ref.get("own_validation_costs") or []
    if vals or ref.get("own_simulated_cost") is not None:
        note += (f" Cross-check with the reference's own numbers: best of its {len(vals)} validation costs "
                 f"{min(vals) if vals else float('nan'):.2f} per period, its get_average_cost(1000 periods) of the "
                 f"policy it returned {ref.get('own_simulated_cost', float('nan')):.2f}.")
    out = {"title": "6. Time to quality (dual docs instance)", "rows": rows, "markdown": md, "note": note,
           "reference_own_validation_costs": vals, "reference_own_simulated_cost": ref.get("own_simulated_cost"),
           "curves": curves}
    if not r.args.no_plots:
        load_scaling().plot_ttq(curves, Path(r.args.docs) / "benchmark_ttq.png",
                                f"{r.args.mode} mode, {r.args.threads} thread(s)/worker, {os.cpu_count()} CPUs, "
                        f"load avg {os.getloadavg()[0]:.1f} (shared machine: noisy)")
    return out


def w_scaling(r: Runner) -> dict[str, Any]:
    sc = load_scaling()
    cfg = r.cfg
    quick = r.args.mode == "quick"
    fit_raw: list[dict[str, Any]] = []
    dp_raw: list[dict[str, Any]] = []
    for i in range(cfg["scaling_repeats"]):
        progress(f"scaling: fit sweep {i + 1}/{cfg['scaling_repeats']}")
        res = r.call("ours", {"task": "scaling_fit", "points": sc.fit_points(quick), "epochs": cfg["scaling_epochs"],
                              "seed": i + 1})
        fit_raw += res.get("rows", [])
        progress(f"scaling: DP sweep {i + 1}/{cfg['scaling_repeats']}")
        res = r.call("ours", {"task": "scaling_dp", "points": sc.dp_points(quick)}, timeout=1800)
        dp_raw += res.get("rows", [])
    fit_rows = sc.median_rows(fit_raw, ("sweep", "periods", "batch_size", "regular_lead_time"))
    dp_rows = sc.median_rows(dp_raw, ("regular_lead_time", "high"))
    table = []
    fits = {}
    for sweep in ("periods", "batch_size", "regular_lead_time"):
        rs = sorted((x for x in fit_rows if x["sweep"] == sweep), key=lambda x: x[sweep])
        if len(rs) >= 3:
            fits[sweep] = sc.line_fit([x[sweep] for x in rs], [x["fit_s"] / x["epochs"] for x in rs])
        for x in rs:
            table.append([sweep, x[sweep], f"{x['fit_s'] / x['epochs']:.4f}",
                          f"{x['fit_s_min'] / x['epochs']:.4f}–{x['fit_s_max'] / x['epochs']:.4f}"])
    md = md_table(["sweep", "value", "fit time per epoch [s] (median)", "min–max"], table)
    md += "\n\n" + md_table(
        ["sweep", "line: per-epoch s = a + b x", "R^2"],
        [[k, f"a = {a:.4g}, b = {b:.4g}", f"{r2:.4f}"] for k, (a, b, r2) in fits.items()])
    md += "\n\n" + md_table(
        ["l_r", "demand", "reduced states", "DP fit [s] (median)", "min–max", "optimal cost"],
        [[x["regular_lead_time"], f"U{{0..{x['high']}}}", x["n_states"], f"{x['fit_s']:.3f}",
          f"{x['fit_s_min']:.3f}–{x['fit_s_max']:.3f}", f"{x['optimal_cost']:.4f}"]
         for x in sorted(dp_rows, key=lambda x: (x["high"], x["regular_lead_time"]))])
    note = (f"Ours only. DualSourcingNeuralController() default network, fit(..., epochs={cfg['scaling_epochs']}, "
            f"no validation) with the no-warm-start options of workload 2, base point T=100, B=256, l_r=2 "
            f"(l_e=0, c_e=20); {cfg['scaling_repeats']} repeat(s). DP: DynamicProgrammingController().fit, c_e=20.")
    if not r.args.no_plots:
        sc.plot_scaling(fit_rows, dp_rows, Path(r.args.docs) / "benchmark_scaling.png",
                        f"{r.args.mode} mode, {r.args.threads} thread(s)/worker, {os.cpu_count()} CPUs, "
                        f"load avg {os.getloadavg()[0]:.1f} (shared machine: noisy)")
    return {"title": "7. Scaling (ours)", "rows": fit_rows + [{"sweep": "dp", **x} for x in dp_rows],
            "markdown": md, "note": note, "line_fits": fits}


RUNNERS = {"single": w_single, "dual": w_dual, "cdi": w_cdi, "dp": w_dp, "throughput": w_throughput,
           "ttq": w_ttq, "scaling": w_scaling, "device": w_device}


# ---------------------------------------------------------------------------- output
def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        for row in rows:
            w.writerow({k: (json.dumps(v) if isinstance(v, list | dict | tuple) else v) for k, v in row.items()})


def write_summary(outdir: Path) -> Path:
    parts = [f"# idinn benchmarks ({outdir.name} mode)\n",
             "Medians (min–max) over the repeats. Each section gives the machine's load average before and after "
             "it: with other jobs on the machine (as on the shared 2-core VM of the committed results) expect "
             "noise of tens of percent.\n"]
    for name in WORKLOADS:
        f = outdir / f"{name}.json"
        if not f.exists():
            continue
        d = json.loads(f.read_text())
        meta = d["meta"]
        parts.append(f"## {d['title']}\n")
        parts.append(d["markdown"] + "\n")
        parts.append(f"{d['note']}\n")
        parts.append(f"Command: `{meta['command']}` ({meta['finished']}, {meta.get('cpu_count')} CPUs, "
                     f"{meta['threads']} thread(s) per worker, "
                     f"load average {meta['loadavg_before']} before / {meta['loadavg_after']} after, "
                     f"{meta['wall_s']:.0f} s).\n")
    path = outdir / "summary.md"
    path.write_text("\n".join(parts))
    return path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = settings(args)
    runner = Runner(args, cfg)
    outdir = Path(args.out) / args.mode
    outdir.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    for name in args.only:
        t0 = time.perf_counter()
        load0 = [round(x, 2) for x in os.getloadavg()]
        section = RUNNERS[name](runner)
        section["meta"] = {
            "command": command, "mode": args.mode, "settings": cfg, "threads": args.threads,
            "loadavg_before": load0, "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "wall_s": time.perf_counter() - t0, "finished": f"{datetime.datetime.now():%Y-%m-%d %H:%M}",
            "cpu_count": os.cpu_count(), "platform": platform.platform(), "ours_python": runner.ours_python,
            "ref_python": runner.ref_python,
        }
        (outdir / f"{name}.json").write_text(json.dumps(section, indent=1, default=str))
        write_csv(outdir / f"{name}.csv", section["rows"])
        print(f"\n## {section['title']}\n\n{section['markdown']}\n\n{section['note']}\n", flush=True)
    print(f"[bench] summary: {write_summary(outdir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
