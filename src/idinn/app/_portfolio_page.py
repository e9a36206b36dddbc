"""The portfolio page: a table of SKUs solved by :func:`idinn.portfolio.solve_portfolio`."""

from __future__ import annotations

import inspect
import io
from typing import Any

import streamlit as st

from ._session import Job, describe_error, session_folder

__all__ = ["render", "read_table", "portfolio_options"]

_JOB = "portfolio_job"
#: The executors of :func:`idinn.portfolio.solve_portfolio` named by a string.
EXECUTORS = ("serial", "processes", "dask")
#: Rows whose message is repeated above the table.
MAX_ROW_MESSAGES = 20


def portfolio_options() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Methods and executors that the portfolio module offers."""
    import idinn.portfolio as portfolio

    methods = tuple(getattr(portfolio, "METHODS", None) or ("auto",))
    executors = tuple(getattr(portfolio, "EXECUTORS", None) or EXECUTORS)
    return methods, executors


def read_table(upload: Any, what: str) -> Any:
    """The uploaded CSV as a DataFrame; a message naming ``what`` when it cannot be read."""
    import pandas as pd

    data = upload.getvalue()
    if not data.strip():
        raise ValueError(f"{what} {upload.name!r} is empty: expected a CSV file with a header row.")
    try:
        frame = pd.read_csv(io.BytesIO(data))
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{what} {upload.name!r} is not a readable CSV file: {describe_error(exc)}") from None
    if frame.empty:
        raise ValueError(f"{what} {upload.name!r} has no data rows below its header.")
    return frame


def _solve(job: Job, skus: Any, history: Any, method: str, executor: str, n_workers: int | None, seed: int) -> Any:
    from idinn.portfolio import solve_portfolio

    def progress(done: int, failed: int, total: int) -> None:
        job.report(done=done, failed=failed, total=total)
        if job.cancelled:
            raise RuntimeError(f"cancelled after {done} of {total} SKUs")

    quiet = {"progress_bar": False} if "progress_bar" in inspect.signature(solve_portfolio).parameters else {}
    return solve_portfolio(skus, history, method=method, executor=executor, n_workers=n_workers, seed=seed,
                           progress=progress, **quiet)


def _sample_tables() -> tuple[Any, Any]:
    import pandas as pd

    from idinn.portfolio import sample_portfolio

    skus, history = sample_portfolio()
    return pd.read_csv(skus), pd.read_csv(history)


def _start(sku_upload: Any, history_upload: Any, method: str, executor: str, n_workers: int | None,
           seed: int, sample: bool) -> None:
    try:
        if sample:
            skus, history = _sample_tables()
        elif sku_upload is None:
            raise ValueError("SKU table: upload a CSV file with one row per SKU (or use the sample portfolio).")
        else:
            skus = read_table(sku_upload, "SKU table")
            history = None if history_upload is None else read_table(history_upload, "Demand history")
    except ValueError as exc:
        st.error(describe_error(exc))
        return
    session_folder()  # the session's folder exists before any work
    st.session_state[_JOB] = Job(lambda job: _solve(job, skus, history, method, executor, n_workers, seed))


def _progress_view(job: Job) -> None:
    events = job.snapshot()
    if events:
        last = events[-1]
        total = max(1, last["total"])
        st.progress(min(1.0, last["done"] / total),
                    text=f"{last['done']} of {last['total']} SKUs solved ({last['failed']} failed)")
    else:
        st.info("Starting ...")
    if job.running and st.button("Cancel", key="cancel_portfolio"):
        job.cancel()
        st.warning("Cancelling after the chunk in progress.")


@st.fragment(run_every=0.7)
def _live(job: Job) -> None:
    if not job.running:
        st.rerun()
    try:  # a fragment rerun does not pass through main()'s guard
        _progress_view(job)
    except Exception as exc:
        st.error(f"Something went wrong: {describe_error(exc)}")


def _results_view(job: Job) -> None:
    if job.status == "failed":
        if job.cancelled:
            st.warning(f"The portfolio run was {job.error}.")
        else:
            st.error(f"The portfolio could not be solved: {job.error}")
        return
    frame = job.result
    _progress_view(job)
    counts = frame["status"].value_counts().to_dict()
    st.write("Rows by status: " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    bad = frame[frame["status"] != "ok"]
    for _, row in bad.head(MAX_ROW_MESSAGES).iterrows():
        show = st.warning if row["status"] == "not_supported" else st.error
        show(f"SKU {row['sku']}: {row['message']}")
    if len(bad) > MAX_ROW_MESSAGES:
        st.caption(f"... and {len(bad) - MAX_ROW_MESSAGES} more rows with a message (see the table).")
    st.dataframe(frame, key="portfolio_table")
    st.download_button("Result table (CSV)", frame.to_csv(index=False).encode(), "idinn_portfolio.csv", "text/csv",
                       key="dl_portfolio", on_click="ignore")


def render() -> None:
    """Draw the portfolio page."""
    st.header("Portfolio of SKUs")
    try:
        methods, executors = portfolio_options()
    except ImportError as exc:
        st.error(f"The portfolio module is not available: {describe_error(exc)}")
        return
    left, right = st.columns([1, 2])
    with left:
        sample = st.checkbox("Use the sample portfolio shipped with idinn", key="portfolio_sample")
        sku_upload = st.file_uploader("SKU table (CSV, one row per SKU)", type=["csv"], key="sku_csv",
                                      disabled=sample)
        history_upload = st.file_uploader("Demand history (CSV: sku, period or date, quantity; optional)",
                                          type=["csv"], key="history_csv", disabled=sample)
        method = st.selectbox("Method", methods, key="portfolio_method")
        executor = st.selectbox("Executor", executors, key="portfolio_executor")
        n_workers = st.number_input("Workers (empty: automatic)", value=None, step=1, key="portfolio_workers")
        seed = st.number_input("Seed", value=0, step=1, key="portfolio_seed")
        job: Job | None = st.session_state.get(_JOB)
        if st.button("Solve", type="primary", disabled=job is not None and job.running, key="run_portfolio"):
            _start(sku_upload, history_upload, method, executor, n_workers, seed, sample)
    with right:
        job = st.session_state.get(_JOB)
        if job is None:
            st.write("Upload a SKU table, choose the method and the executor, then press **Solve**.")
        elif job.running:
            _live(job)
        else:
            _results_view(job)
