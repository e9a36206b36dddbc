"""The one-system page: one model, one demand, several controllers, the exact optimum."""

from __future__ import annotations

from typing import Any

import streamlit as st

from . import _introspect as intro
from ._compare import SIMULATION_PERIODS, Comparison, ControllerSpec, run_comparison
from ._exports import config_toml, demand_to_dict, results_csv, results_json, run_config
from ._forms import FormError, parse_fields, render_fields
from ._plots import dp_policy_figure, learning_curve_figure, paths_figure
from ._session import Job, describe_error, session_folder

__all__ = ["render"]

#: Sample paths per training step of the neural controllers (the model's batch size).
BATCH_SIZE = 32
_JOB = "single_job"


def _model_form() -> tuple[type, dict[str, Any]]:
    models = intro.model_classes()
    cls = st.selectbox("Model", models, format_func=intro.label, key="model")
    raw = render_fields(intro.init_fields(cls), key=f"model.{cls.__name__}")
    return cls, raw


def _demand_form() -> tuple[str, Any]:
    """Widgets of the demand; returns ``(kind, state)`` read by :func:`_build_demand`."""
    source = st.radio("Demand", ["Distribution", "Uploaded history (CSV)"], horizontal=True, key="demand_source")
    if source == "Distribution":
        classes = intro.demand_classes()
        default = next((i for i, c in enumerate(classes) if c.__name__ == "UniformDemand"), 0)
        cls = st.selectbox("Demand model", classes, index=default, format_func=intro.label, key="demand_cls")
        raw = render_fields(intro.init_fields(cls), key=f"demand.{cls.__name__}")
        return "distribution", (cls, raw)
    classes = intro.upload_demand_classes()
    cls = st.selectbox("Demand model of the history", classes, format_func=intro.label, key="upload_cls")
    upload = st.file_uploader("Demand history (CSV with a header row)", type=["csv", "txt"], key="demand_csv")
    column = st.text_input("Demand column", value="demand", key="demand_column")
    raw = render_fields(intro.from_csv_fields(cls), key=f"upload.{cls.__name__}")
    return "upload", (cls, upload, column, raw)


def build_demand(kind: str, state: Any) -> Any:
    """The demand model from the form; errors name the field (library wording)."""
    if kind == "distribution":
        cls, raw = state
        return cls(**parse_fields(intro.init_fields(cls), raw, cls.__name__))
    cls, upload, column, raw = state
    if upload is None:
        raise FormError("Demand history: upload a CSV file with a header row and a column of demands.")
    path = session_folder().file("demand_history.csv")
    path.write_bytes(upload.getvalue())
    try:
        return cls.from_csv(path, column, **parse_fields(intro.from_csv_fields(cls), raw, f"{cls.__name__}.from_csv"))
    except ValueError as exc:  # name the uploaded file, not the session folder
        raise ValueError(str(exc).replace(repr(str(path)), repr(upload.name))) from None


def _controller_forms(model_cls: type) -> list[tuple[type, dict[str, Any], dict[str, Any]]]:
    classes = intro.controller_classes(model_cls)
    # defaults: the general classical backlog controllers (those made for fixed costs, capacities or lost
    # sales stay selectable)
    special = ("_accepts_fixed_order_costs", "_accepts_order_capacities")
    defaults = [c for c in classes if "Neural" not in c.__name__ and not any(f.required for f in intro.fit_fields(c))
                and not any(getattr(c, a, False) for a in special)
                and "backlog" in getattr(c, "excess_demand_rules", ("backlog",))]
    chosen = st.multiselect("Controllers to compare", classes, default=defaults, format_func=lambda c: c.__name__,
                            key=f"controllers.{model_cls.__name__}")
    forms = []
    for cls in chosen:
        init_f, fit_f = intro.init_fields(cls), intro.fit_fields(cls)
        if not init_f and not fit_f:
            forms.append((cls, {}, {}))
            continue
        with st.expander(f"{cls.__name__} settings"):
            init_raw = render_fields(init_f, key=f"ctrl.{cls.__name__}.init")
            fit_raw = render_fields(fit_f, key=f"ctrl.{cls.__name__}.fit")
        forms.append((cls, init_raw, fit_raw))
    return forms


def _start(model_cls: type, model_raw: dict[str, Any], demand_form: tuple[str, Any], forms: list[Any]) -> None:
    """Validate everything, then start the background job (errors shown inline)."""
    try:
        demand = build_demand(*demand_form)
        model_kwargs = parse_fields(intro.init_fields(model_cls), model_raw, model_cls.__name__)
        model = model_cls(demand_generator=demand, batch_size=BATCH_SIZE, **model_kwargs)
        specs = []
        for cls, init_raw, fit_raw in forms:
            init_kwargs = parse_fields(intro.init_fields(cls), init_raw, cls.__name__)
            fit_kwargs = parse_fields(intro.fit_fields(cls), fit_raw, f"{cls.__name__}.fit")
            cls(**init_kwargs)  # constructor checks, before any work
            specs.append(ControllerSpec(cls, init_kwargs, fit_kwargs))
    except Exception as exc:
        st.error(describe_error(exc))
        return
    if not specs:
        st.error("Controllers to compare: choose at least one controller.")
        return
    folder = session_folder().path
    st.session_state[_JOB] = Job(lambda job: run_comparison(job, model, specs, folder))
    st.session_state["single_run"] = {"model_cls": model_cls, "model_kwargs": model_kwargs, "demand": demand,
                                      "specs": specs}


def _progress_view(job: Job) -> None:
    events = job.snapshot()
    current = next((e["controller"] for e in reversed(events) if e.get("stage") == "start"), None)
    st.info(f"Running: {current or 'starting'} ... (the page stays usable)")
    curve = [e for e in events if "epoch" in e]
    if curve:
        last = curve[-1]
        stage = last["stage"].replace("_", " ")
        st.progress(min(1.0, last["epoch"] / max(1, last["epochs"])),
                    text=f"{last['controller']}: {stage} step {last['epoch']} of {last['epochs']}")
        st.plotly_chart(learning_curve_figure(curve), key="live_curve")
    if st.button("Cancel", key="cancel_single"):
        job.cancel()
        st.warning("Cancelling: training stops at the next step and keeps the best weights so far.")


@st.fragment(run_every=0.7)
def _live(job: Job) -> None:
    if not job.running:
        st.rerun()
    try:  # a fragment rerun does not pass through main()'s guard
        _progress_view(job)
    except Exception as exc:
        st.error(f"Something went wrong: {describe_error(exc)}")


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.4f}"


def _results_view(job: Job) -> None:
    if job.status == "failed":
        st.error(f"The run failed: {job.error}")
        return
    comp: Comparison = job.result
    if job.status == "cancelled":
        st.warning("The run was cancelled; the results below are those finished before.")
    if comp.optimum is not None:
        st.metric(f"Exact optimum ({comp.optimum_name})", f"{comp.optimum:.4f}")
    else:
        st.info(f"No exact optimum: {comp.optimum_note}")
    for r in comp.results:
        if r.error:
            st.error(f"{r.name}: {r.error}")
    st.table([
        {"Controller": r.name, "Exact average cost": _fmt(r.exact_cost), "Gap to optimum (%)": _fmt(r.gap_percent),
         "Simulated average cost": _fmt(r.simulated_cost), "Note": r.error or r.exact_note}
        for r in comp.results
    ])
    ok = [r for r in comp.results if r.paths]
    if ok:
        st.subheader("Inventory and orders over time (one simulated path, seed 0)")
        st.plotly_chart(paths_figure(ok), key="paths")
    if comp.dp_table is not None:
        st.subheader("Optimal policy of dynamic programming")
        st.plotly_chart(dp_policy_figure(comp.dp_table, comp.dp_min_position), key="dp_heatmap")
    curve = [e for e in job.snapshot() if "epoch" in e]
    if curve:
        st.subheader("Learning curve")
        st.plotly_chart(learning_curve_figure(curve), key="final_curve")
    _downloads(comp)


def _downloads(comp: Comparison) -> None:
    run = st.session_state.get("single_run", {})
    st.subheader("Downloads")
    try:
        problem = {"model": run["model_cls"].__name__, **run["model_kwargs"], "demand": demand_to_dict(run["demand"])}
    except Exception as exc:
        problem = {"model": run["model_cls"].__name__, **run["model_kwargs"], "demand": repr(run["demand"])}
        st.caption(f"The demand is described by its repr: {describe_error(exc)}")
    cols = st.columns(2)
    cols[0].download_button("Results (CSV)", results_csv(comp), "idinn_results.csv", "text/csv", key="dl_csv",
                            on_click="ignore")
    cols[1].download_button("Results (JSON)", results_json(comp, problem), "idinn_results.json",
                            "application/json", key="dl_json", on_click="ignore")
    for spec, r in zip(run["specs"], comp.results):
        cols = st.columns(2)
        if r.file is not None and r.file.exists():
            cols[0].download_button(f"{r.name} controller file", r.file.read_bytes(), r.file.name,
                                    key=f"dl_file_{r.name}", on_click="ignore")
        elif r.error is None:
            cols[0].caption(f"{r.name}: saving this controller is not available in this version")
        try:
            config = run_config(run["model_cls"], run["model_kwargs"], run["demand"], spec, BATCH_SIZE,
                                SIMULATION_PERIODS)
            cols[1].download_button(f"{r.name} CLI config (TOML)", config_toml(config), f"{r.name}.toml",
                                    "application/toml", key=f"dl_toml_{r.name}", on_click="ignore")
        except Exception as exc:
            cols[1].caption(f"{r.name}: no CLI configuration ({describe_error(exc)})")


def render() -> None:
    """Draw the one-system page."""
    st.header("One inventory system")
    left, right = st.columns([1, 2])
    with left:
        model_cls, model_raw = _model_form()
        demand_form = _demand_form()
        forms = _controller_forms(model_cls)
        job: Job | None = st.session_state.get(_JOB)
        busy = job is not None and job.running
        if st.button("Run", type="primary", disabled=busy, key="run_single"):
            _start(model_cls, model_raw, demand_form, forms)
    with right:
        job = st.session_state.get(_JOB)
        if job is None:
            st.write("Choose a model, its demand and the controllers to compare, then press **Run**.")
        elif job.running:
            _live(job)
        else:
            _results_view(job)
