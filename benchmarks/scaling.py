"""Scaling of this idinn's fit times (workload 7 of ``benchmarks/run.py``) and the plots.

Pure helpers (no idinn import): the grid of points, a least-squares line with its
:math:`R^2`, and the figures ``docs/benchmark_scaling.png`` / ``docs/benchmark_ttq.png``.
The timings themselves run in ``_ours_worker.py`` (tasks ``scaling_fit``, ``scaling_dp``).
"""

from __future__ import annotations

from pathlib import Path
from statistics import median
from typing import Any

#: Default point of the neural scaling grid (documented dual instance, l_e = 0).
BASE = {"periods": 100, "batch_size": 256, "regular_lead_time": 2}
PERIODS = [50, 100, 200, 400, 800]
BATCHES = [32, 64, 128, 256, 512, 1024]
LEAD_TIMES = [1, 2, 3, 4, 6, 8]
DP_LEAD_TIMES = [2, 3, 4, 5, 6]
DP_SUPPORTS = [4, 8]


def fit_points(quick: bool) -> list[dict[str, Any]]:
    """Points (periods, batch_size, regular_lead_time) of the three one-factor sweeps."""
    batches = BATCHES[:-1] if quick else BATCHES
    pts = [{**BASE, "periods": p, "sweep": "periods"} for p in PERIODS]
    pts += [{**BASE, "batch_size": b, "sweep": "batch_size"} for b in batches]
    pts += [{**BASE, "regular_lead_time": lt, "sweep": "regular_lead_time"} for lt in LEAD_TIMES]
    return pts


def dp_points(quick: bool, max_lead_time_wide: int = 4) -> list[dict[str, Any]]:
    """(l_r, demand high) points of the DP sweep; U{0..8} only up to ``max_lead_time_wide``."""
    pts = [{"regular_lead_time": lt, "high": 4} for lt in DP_LEAD_TIMES]
    wide = 3 if quick else max_lead_time_wide
    pts += [{"regular_lead_time": lt, "high": 8} for lt in DP_LEAD_TIMES if lt <= wide]
    return pts


def line_fit(x: list[float], y: list[float]) -> tuple[float, float, float]:
    """Least-squares line ``y = a + b x``: returns (a, b, R^2)."""
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((xi - mx) ** 2 for xi in x)
    sxy = sum((xi - mx) * (yi - my) for xi, yi in zip(x, y))
    b = sxy / sxx
    a = my - b * mx
    ss_res = sum((yi - a - b * xi) ** 2 for xi, yi in zip(x, y))
    ss_tot = sum((yi - my) ** 2 for yi in y)
    return a, b, 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0


def median_rows(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Group repeated measurements by ``keys``; ``fit_s`` becomes the median, with min and max."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for _, rs in groups.items():
        times = [r["fit_s"] for r in rs]
        out.append({**rs[0], "fit_s": median(times), "fit_s_min": min(times), "fit_s_max": max(times),
                    "repeats": len(times)})
    return out


def plot_scaling(fit_rows: list[dict[str, Any]], dp_rows: list[dict[str, Any]], path: Path, note: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    for ax, sweep, label in [
        (axes[0, 0], "periods", "sourcing periods T (batch 256, l_r = 2)"),
        (axes[0, 1], "batch_size", "batch size B (T = 100, l_r = 2)"),
        (axes[1, 0], "regular_lead_time", "regular lead time l_r (T = 100, B = 256, l_e = 0)"),
    ]:
        rows = sorted((r for r in fit_rows if r["sweep"] == sweep), key=lambda r: r[sweep])
        if not rows:
            continue
        x = [r[sweep] for r in rows]
        y = [r["fit_s"] / r["epochs"] for r in rows]
        lo = [r["fit_s_min"] / r["epochs"] for r in rows]
        hi = [r["fit_s_max"] / r["epochs"] for r in rows]
        ax.errorbar(x, y, yerr=[[a - b for a, b in zip(y, lo)], [b - a for a, b in zip(y, hi)]], fmt="o-", capsize=3)
        if sweep in ("periods", "batch_size") and len(x) >= 3:
            a, b, r2 = line_fit(x, y)
            ax.plot(x, [a + b * xi for xi in x], "--", color="gray", label=f"linear fit, $R^2$ = {r2:.4f}")
            ax.legend()
        ax.set_xlabel(label)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("fit time per epoch [s]")
        ax.grid(alpha=0.3)
    ax = axes[1, 1]
    for high in sorted({r["high"] for r in dp_rows}):
        rows = sorted((r for r in dp_rows if r["high"] == high), key=lambda r: r["regular_lead_time"])
        ax.semilogy([r["regular_lead_time"] for r in rows], [r["fit_s"] for r in rows], "o-", label=f"U{{0..{high}}}")
    ax.set_xlabel("regular lead time l_r (l_e = 0, c_e = 20)")
    ax.set_ylabel("DynamicProgrammingController.fit [s]")
    ax.grid(alpha=0.3, which="both")
    if dp_rows:
        ax.legend()
    fig.suptitle(f"idinn scaling (dual neural [128,64,32,16,8,4] fits; exact DP)\n{note}", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_ttq(curves: dict[str, list[dict[str, Any]]], path: Path, note: str) -> None:
    """Exact optimality gap of training snapshots against wall time, one curve per library."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    floor = 1e-3  # gaps below 0.001 % (the optimum itself, up to round-off) are drawn at the floor
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, pts in curves.items():
        pts = [p for p in pts if p.get("gap") is not None]
        if not pts:
            continue
        xs = [p["elapsed"] for p in pts]
        ys = [max(100 * p["gap"], floor) for p in pts]
        (line,) = ax.semilogy(xs, ys, "-", lw=1, label=name)
        ok = [(x, y) for x, y, p in zip(xs, ys, pts) if (p.get("boundary_mass") or 0.0) <= 1e-6]
        cut = [(x, y) for x, y, p in zip(xs, ys, pts) if (p.get("boundary_mass") or 0.0) > 1e-6]
        if ok:
            ax.plot(*zip(*ok), ".", color=line.get_color())
        if cut:
            ax.plot(*zip(*cut), "x", color=line.get_color(), ms=4)
    ax.plot([], [], "x", color="gray", label="inventory reaches the evaluation box edge (truncated)")
    for level in (1.0, 0.5):
        ax.axhline(level, color="gray", ls="--", lw=0.8)
    ax.set_ylim(bottom=floor / 2)
    ax.set_xlabel("training wall time [s] (snapshot copies excluded)")
    ax.set_ylabel("exact optimality gap [%] (floor 0.001)")
    ax.set_title(f"Time to quality, dual docs instance (l_r=2, c_e=20)\n{note}", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
