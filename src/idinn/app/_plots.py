"""Interactive plotly figures of the app."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = ["paths_figure", "learning_curve_figure", "dp_policy_figure"]


def paths_figure(results: list[Any]) -> go.Figure:
    """Inventory and orders over time, one step line per controller, one panel per series."""
    series = []
    for r in results:
        for name in r.paths:
            if name not in series:
                series.append(name)
    fig = make_subplots(rows=len(series) or 1, cols=1, shared_xaxes=True,
                        subplot_titles=[s.capitalize() for s in series])
    for r in results:
        for i, name in enumerate(series):
            values = r.paths.get(name)
            if values is None:
                continue
            fig.add_trace(
                go.Scatter(x=list(range(len(values))), y=values, mode="lines", line_shape="hv", name=r.name,
                           legendgroup=r.name, showlegend=i == 0),
                row=i + 1, col=1,
            )
    fig.update_xaxes(title_text="Period", row=len(series) or 1, col=1)
    fig.update_layout(height=260 * max(len(series), 1), margin=dict(l=40, r=10, t=40, b=40))
    return fig


def learning_curve_figure(events: list[dict[str, Any]]) -> go.Figure:
    """Training and validation cost per step of each neural controller and training stage."""
    fig = go.Figure()
    by_controller: dict[str, dict[str, tuple[list[int], list[float]]]] = {}
    for e in events:
        if "epoch" not in e:
            continue
        stage = str(e.get("stage", "")).replace("_", " ")
        curves = by_controller.setdefault(f"{e['controller']} ({stage})", {})
        for key in ("train_cost", "validation_cost", "best_cost"):
            if e.get(key) is not None:
                xs, ys = curves.setdefault(key, ([], []))
                xs.append(e["epoch"])
                ys.append(e[key])
    for name, curves in by_controller.items():
        for key, (xs, ys) in curves.items():
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=f"{name}: {key.replace('_', ' ')}"))
    fig.update_layout(xaxis_title="Step (epoch)", yaxis_title="Average cost per period", height=320,
                      margin=dict(l=40, r=10, t=30, b=40))
    return fig


def dp_policy_figure(table: np.ndarray, min_position: int) -> go.Figure:
    """Heat maps of the optimal regular and expedited orders of dynamic programming.

    ``table`` has shape (n_positions, q+1, ..., q+1, 2): indexed by the expedited
    inventory position :math:`z` (offset ``min_position``) and the overtaken regular
    orders :math:`p_1, \\dots`. The map shows :math:`z` against :math:`p_1` with later
    pipeline entries at 0 (a single row when there is no :math:`p_1`).
    """
    t = np.asarray(table)
    while t.ndim > 3:  # later pipeline entries at 0
        t = t[..., 0, :]
    if t.ndim == 2:
        t = t[:, None, :]
    positions = min_position + np.arange(t.shape[0])
    fig = make_subplots(rows=1, cols=2, subplot_titles=["Regular order q_r", "Expedited order q_e"])
    for j in range(2):
        fig.add_trace(
            go.Heatmap(z=t[:, :, j].T, x=positions, y=list(range(t.shape[1])), coloraxis="coloraxis",
                       hovertemplate="z=%{x}<br>p1=%{y}<br>order=%{z}<extra></extra>"),
            row=1, col=j + 1,
        )
    fig.update_xaxes(title_text="Expedited inventory position z")
    fig.update_yaxes(title_text="Overtaken regular order p1", col=1)
    fig.update_layout(height=340, coloraxis=dict(colorscale="Viridis"), margin=dict(l=40, r=10, t=40, b=40))
    return fig
