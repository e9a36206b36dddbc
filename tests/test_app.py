"""Headless tests of the web app with Streamlit's ``AppTest`` (every page and control path)."""

from __future__ import annotations

import csv
import io
import json
import re
import sys

import pytest

pytest.importorskip("streamlit")
pytest.importorskip("plotly")

from streamlit.testing.v1 import AppTest  # noqa: E402

from idinn.app import SCRIPT  # noqa: E402

WAIT = 120


@pytest.fixture
def at():
    app = AppTest.from_file(str(SCRIPT), default_timeout=30)
    app.run()
    assert not app.exception
    return app


def finish(at, key="single_job"):
    """Wait for the session's background job, then redraw the page."""
    job = at.session_state[key]
    assert job.wait(WAIT), "the background job did not finish"
    at.run()
    assert not at.exception
    return job


def run(at):
    at.button(key="run_single").click().run()
    assert not at.exception
    assert "single_job" in at.session_state, errors(at)  # the form was accepted
    return finish(at)


def select_controllers(at, model, names):
    at.multiselect(key=f"controllers.{model}").set_value([_cls(n) for n in names]).run()


def _cls(name):
    import idinn.dual_controller as dc
    import idinn.single_controller as sc

    return getattr(sc, name, None) or getattr(dc, name)


def errors(at):
    return " ".join(e.value for e in at.error)


def table_rows(at):
    return at.table[0].value.to_dict("records")


# --------------------------------------------------------------------------- pages
def test_paper_example_exact_optimum_table_and_downloads(at, tmp_path, capsys):
    """The JOSS paper's single-sourcing example: optimum 10 (base-stock level 4)."""
    job = run(at)
    assert job.status == "done"
    assert [(m.label, m.value) for m in at.metric] == [("Exact optimum (Optimal base-stock policy)", "10.0000")]
    (row,) = table_rows(at)
    assert row["Controller"] == "BaseStockController"
    assert row["Exact average cost"] == "10.0000" and row["Gap to optimum (%)"] == "0.0000"
    assert float(row["Simulated average cost"]) == pytest.approx(10.0, rel=0.05)
    assert len(at.get("plotly_chart")) == 1
    from idinn.single_controller import BaseStockController

    labels = [b.proto.label for b in at.get("download_button")]
    saves = callable(getattr(BaseStockController, "save", None))  # save/load of classical controllers
    assert labels == ["Results (CSV)", "Results (JSON)"] + ["BaseStockController controller file"] * saves + [
        "BaseStockController CLI config (TOML)"]
    if saves:
        loaded = BaseStockController().load(job.result.results[0].file)
        assert loaded.predict(current_inventory=1) == 3  # base-stock level 4

    from idinn.app._exports import config_toml, results_csv, results_json, run_config

    comp = job.result
    (rec,) = list(csv.DictReader(io.StringIO(results_csv(comp).decode())))
    assert rec["controller"] == "BaseStockController"
    assert float(rec["exact_average_cost"]) == pytest.approx(10.0, abs=1e-9)
    assert float(rec["optimum"]) == pytest.approx(10.0, abs=1e-9)
    assert int(float(rec["param.z_star"])) == 4
    payload = json.loads(results_json(comp, {"model": "SingleSourcingModel"}))
    assert payload["optimum"]["average_cost"] == pytest.approx(10.0)
    assert len(payload["controllers"][0]["paths"]["inventory"]) == 101
    assert payload["controllers"][0]["paths"]["inventory"][0] == 10.0

    # the TOML configuration reproduces the run with the CLI
    run_info = at.session_state["single_run"]
    cfg = run_config(run_info["model_cls"], run_info["model_kwargs"], run_info["demand"], run_info["specs"][0], 32,
                     1000)
    path = tmp_path / "run.toml"
    path.write_text(config_toml(cfg))
    if sys.version_info >= (3, 11):
        import tomllib

        assert tomllib.loads(path.read_text())["model"]["demand"] == {"type": "uniform", "low": 0, "high": 4}
    from idinn.cli import main as cli_main

    assert cli_main(["--config", str(path), "--no-plot"]) == 0
    out = capsys.readouterr().out
    assert "Exact long-run average cost of the learned policy: 10.0000" in out


def test_every_library_controller_is_offered(at):
    """Each controller class of the library appears on the page for its model."""
    import idinn.dual_controller as dc
    import idinn.single_controller as sc

    library = {n for mod in (sc, dc) for n in mod.__all__ if n not in ("BaseSingleController", "BaseDualController")}
    assert {"BaseStockController", "DynamicProgrammingController", "SingleSourcingNeuralController",
            "DualSourcingNeuralController", "CappedDualIndexController"} <= library
    offered = set(at.multiselect(key="controllers.SingleSourcingModel").options)
    at.selectbox(key="model").set_value(_model("DualSourcingModel")).run()
    offered |= set(at.multiselect(key="controllers.DualSourcingModel").options)
    assert library <= offered, library - offered


def _model(name):
    import idinn.sourcing_model as sm

    return getattr(sm, name)


def test_every_model_and_demand_is_offered(at):
    import idinn.demand as dm

    models = at.selectbox(key="model").options
    assert {"Single Sourcing Model", "Dual Sourcing Model"} <= set(models)
    offered = set(at.selectbox(key="demand_cls").options)
    at.radio(key="demand_source").set_value("Uploaded history (CSV)").run()
    offered |= set(at.selectbox(key="upload_cls").options)
    parametric = {"UniformDemand", "CustomDemand", "PoissonDemand", "TruncatedPoissonDemand",
                  "DiscretizedNormalDemand", "DiscretizedGammaDemand", "EmpiricalDemand", "TraceDemand"}
    assert parametric <= set(dm.__all__)
    from idinn.app._introspect import label

    assert {label(n) for n in parametric} <= offered


def test_dual_sourcing_dp_heat_map_and_heuristic(at):
    at.selectbox(key="model").set_value(_model("DualSourcingModel")).run()
    select_controllers(at, "DualSourcingModel", ["DynamicProgrammingController", "TailoredBaseSurgeController"])
    at.checkbox(key="ctrl.TailoredBaseSurgeController.fit.search").set_value(False).run()
    at.number_input(key="ctrl.TailoredBaseSurgeController.init.q_r").set_value(2).run()
    at.number_input(key="ctrl.TailoredBaseSurgeController.init.s_e").set_value(4).run()
    job = run(at)
    assert job.status == "done"
    assert [(m.label, m.value) for m in at.metric] == [("Exact optimum (Dynamic programming)", "23.0714")]
    rows = {r["Controller"]: r for r in table_rows(at)}
    assert rows["DynamicProgrammingController"]["Gap to optimum (%)"] == "0.0000"
    assert float(rows["TailoredBaseSurgeController"]["Gap to optimum (%)"]) > 0
    assert len(at.get("plotly_chart")) == 2  # paths and the DP heat map
    assert job.result.dp_table.shape[-1] == 2


def test_time_dependent_controllers_and_unbounded_demand(at):
    select_controllers(at, "SingleSourcingModel",
                       ["BaseStockController", "FiniteHorizonBaseStockController", "DiscountedBaseStockController"])
    at.number_input(key="ctrl.FiniteHorizonBaseStockController.fit.horizon").set_value(5).run()
    job = run(at)
    rows = {r["Controller"]: r for r in table_rows(at)}
    assert rows["FiniteHorizonBaseStockController"]["Note"].startswith("period-dependent")
    assert rows["DiscountedBaseStockController"]["Note"].startswith("period-dependent")
    assert float(rows["DiscountedBaseStockController"]["Simulated average cost"]) > 0
    assert len(job.result.results[1].paths["inventory"]) == 6

    # Poisson demand: no exact optimum, the base-stock fit error shown inline
    at.selectbox(key="demand_cls").set_value(_demand("PoissonDemand")).run()
    select_controllers(at, "SingleSourcingModel", ["BaseStockController"])
    run(at)
    assert "No exact optimum" in at.info[0].value
    assert "BaseStockController:" in errors(at) and "'demand_generator'" in errors(at)


def _demand(name):
    import idinn.demand as dm

    return getattr(dm, name)


def test_neural_training_curve_and_controller_file(at):
    select_controllers(at, "SingleSourcingModel", ["SingleSourcingNeuralController"])
    at.number_input(key="ctrl.SingleSourcingNeuralController.fit.epochs").set_value(3).run()
    at.number_input(key="ctrl.SingleSourcingNeuralController.fit.sourcing_periods").set_value(10).run()
    at.text_input(key="ctrl.SingleSourcingNeuralController.init.hidden_layers").set_value("4, 2").run()
    at.selectbox(key="ctrl.SingleSourcingNeuralController.init.activation").set_value("ReLU").run()
    job = run(at)
    (res,) = job.result.results
    assert res.error is None and res.exact_cost is not None
    assert res.gap_percent == pytest.approx(100 * (res.exact_cost / 10.0 - 1))
    assert res.file is not None and res.file.exists()
    from idinn.single_controller import SingleSourcingNeuralController

    loaded = SingleSourcingNeuralController().load(res.file)
    assert loaded.hidden_layers == [4, 2]
    labels = [b.proto.label for b in at.get("download_button")]
    assert "SingleSourcingNeuralController controller file" in labels


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("model.SingleSourcingModel.holding_cost", -1.0, "The 'holding_cost' parameter of SingleSourcingModel"),
        ("model.SingleSourcingModel.lead_time", -1,
         "The 'lead_time' parameter of SingleSourcingModel must be an int >= 0"),
        ("demand.UniformDemand.high", -2, "'high' parameter of UniformDemand"),
    ],
)
def test_bad_form_values_show_inline_messages(at, key, value, message):
    at.number_input(key=key).set_value(value).run()
    at.button(key="run_single").click().run()
    assert message in errors(at)
    assert not at.exception and "single_job" not in at.session_state


def test_empty_required_field_is_refused():
    from idinn.app._forms import FormError, parse_field
    from idinn.app._introspect import Field

    with pytest.raises(FormError, match=re.escape(
            "The 'lead_time' parameter of SingleSourcingModel must be given (the field is empty). Got None instead.")):
        parse_field(Field("lead_time", "int", None, True), None, "SingleSourcingModel")


def test_bad_text_fields_show_inline_messages(at):
    at.selectbox(key="demand_cls").set_value(_demand("CustomDemand")).run()
    at.text_input(key="demand.CustomDemand.demand_prob").set_value("0:0.5, two").run()
    at.button(key="run_single").click().run()
    assert "The 'demand_prob' parameter of CustomDemand must be value:probability pairs" in errors(at)

    at.selectbox(key="demand_cls").set_value(_demand("UniformDemand")).run()
    select_controllers(at, "SingleSourcingModel", ["SingleSourcingNeuralController"])
    at.text_input(key="ctrl.SingleSourcingNeuralController.init.hidden_layers").set_value("4, x").run()
    at.button(key="run_single").click().run()
    expected = "The 'hidden_layers' parameter of SingleSourcingNeuralController must be a comma-separated list"
    assert expected in errors(at)

    select_controllers(at, "SingleSourcingModel", [])
    at.button(key="run_single").click().run()
    assert "Controllers to compare: choose at least one controller." in errors(at)


# ------------------------------------------------------------------------- uploads
def upload_history(at, content: bytes, name="history.csv"):
    at.radio(key="demand_source").set_value("Uploaded history (CSV)").run()
    at.file_uploader(key="demand_csv").set_value((name, content, "text/csv")).run()


def test_uploaded_history_gives_empirical_demand(at):
    upload_history(at, b"week,demand\n1,0\n2,1\n3,2\n4,3\n5,4\n")
    run(at)
    assert at.metric[0].value == "10.0000"  # the same pmf as U{0..4}
    assert type(at.session_state["single_run"]["demand"]).__name__ == "EmpiricalDemand"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "File 'history.csv' is empty"),
        (b"week,sales\n1,3\n", "File 'history.csv' has no column 'demand'"),
        (b"demand\n3\n-2\n", "File 'history.csv', data row 2 (line 3), column 'demand': '-2' is negative"),
        (b"demand\n3\nmany\n", "'many' is not a number. Every demand must be an integer >= 0."),
    ],
    ids=["empty", "wrong-column", "negative", "text"],
)
def test_bad_uploads_show_inline_messages(at, content, message):
    upload_history(at, content)
    at.button(key="run_single").click().run()
    assert message in errors(at)
    assert not at.exception and "single_job" not in at.session_state


def test_missing_upload_shows_inline_message(at):
    at.radio(key="demand_source").set_value("Uploaded history (CSV)").run()
    at.button(key="run_single").click().run()
    assert "Demand history: upload a CSV file" in errors(at)


# ------------------------------------------------------------- sessions and errors
def test_sessions_have_their_own_folders_and_state():
    a = AppTest.from_file(str(SCRIPT), default_timeout=30)
    b = AppTest.from_file(str(SCRIPT), default_timeout=30)
    for app in (a, b):
        app.run()
        upload_history(app, b"demand\n1\n2\n")
        app.button(key="run_single").click().run()
        finish(app)
    fa, fb = a.session_state["_idinn_folder"], b.session_state["_idinn_folder"]
    assert fa.path != fb.path and fa.path.is_dir() and fb.path.is_dir()
    assert a.session_state["single_job"] is not b.session_state["single_job"]
    fa.cleanup()
    assert not fa.path.exists() and fb.path.is_dir()
    fb.cleanup()


def test_unexpected_error_is_shown_without_traceback(at, monkeypatch):
    import idinn.app._single_page as page

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(page, "render", broken)
    at.run()
    assert "Something went wrong: boom" in errors(at)
    assert not at.exception


def test_job_failure_and_cancel():
    from idinn.app._session import Job

    def fail(job):
        raise KeyError("x")

    job = Job(fail)
    assert job.wait(10) and job.status == "failed" and job.error == "missing 'x'"

    def slow(job):
        while not job.cancelled:
            job.report(done=1)
        return 1

    job = Job(slow)
    job.cancel()
    assert job.wait(10) and job.status == "cancelled" and job.result == 1 and job.snapshot()[0] == {"done": 1}


# ------------------------------------------------------------------------------ CLI
def test_cli_dry_run_and_bad_port(capsys):
    from idinn.app.cli import main

    assert main(["--dry-run", "--port", "8765"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"-m streamlit run \S+streamlit_app\.py --server\.port 8765 --server\.address 127\.0\.0\.1 "
                     r"--server\.headless true", out)
    assert main(["--port", "-3"]) == 2
    assert "--port must be in 0..65535. Got -3 instead." in capsys.readouterr().err


def test_live_learning_curve_and_cancel(at):
    """Training runs off the page: the curve updates while it runs and Cancel stops it."""
    import time

    select_controllers(at, "SingleSourcingModel", ["SingleSourcingNeuralController", "BaseStockController"])
    at.number_input(key="ctrl.SingleSourcingNeuralController.fit.epochs").set_value(100_000).run()
    at.number_input(key="ctrl.SingleSourcingNeuralController.fit.sourcing_periods").set_value(10).run()
    at.number_input(key="ctrl.SingleSourcingNeuralController.fit.validation_freq").set_value(1).run()
    at.button(key="run_single").click().run()
    job = at.session_state["single_job"]
    deadline = time.monotonic() + WAIT
    while sum("validation_cost" in e for e in job.snapshot()) < 3:
        assert job.running and time.monotonic() < deadline
        time.sleep(0.1)
    at.run()  # the page answers while training runs
    assert at.info[0].value.startswith("Running: SingleSourcingNeuralController")
    assert "gradient step" in at.get("progress")[0].proto.text
    assert len(at.get("plotly_chart")) == 1  # the live learning curve
    assert at.button(key="run_single").disabled
    at.button(key="cancel_single").click().run()
    assert job.cancelled
    finish(at)
    assert job.status == "cancelled"
    (res,) = job.result.results  # cancelled before the base-stock policy started
    assert res.cancelled and res.error is None and res.exact_cost is not None
    assert "The run was cancelled" in at.warning[0].value
    assert len(at.get("plotly_chart")) == 2  # paths and the final learning curve


def test_cli_serves_with_streamlit_and_names_the_extra(monkeypatch, capsys):
    import subprocess

    from idinn.app import cli

    calls = []

    class FakeChild:
        pid = 12345

        def __init__(self, cmd):
            calls.append(cmd)

        def poll(self):
            return 0

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(subprocess, "Popen", FakeChild)
    assert cli.main(["--port", "0"]) == 0
    (cmd,) = calls
    port = int(cmd[cmd.index("--server.port") + 1])
    assert 0 < port < 65536 and cmd[cmd.index("--server.headless") + 1] == "true"
    assert f"serving on http://127.0.0.1:{port}" in capsys.readouterr().out
    monkeypatch.setitem(sys.modules, "streamlit", None)  # as if the extra were not installed
    assert cli.main([]) == 2
    assert 'pip install "idinn[app]"' in capsys.readouterr().err



def test_sigterm_to_the_wrapper_stops_the_streamlit_child():
    import os
    import re
    import signal
    import socket
    import subprocess
    import time

    wrapper = subprocess.Popen([sys.executable, "-m", "idinn.app.cli", "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    child = None
    try:
        line = wrapper.stdout.readline()
        child = int(re.search(r"Streamlit process (\d+)", line).group(1))
        port = int(re.search(r"127\.0\.0\.1:(\d+) ", line).group(1))
        deadline = time.monotonic() + 60
        while True:  # wait until the server answers, so the signal reaches a running server
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline and wrapper.poll() is None, "the app did not start"
                time.sleep(0.2)
        wrapper.send_signal(signal.SIGTERM)
        assert wrapper.wait(timeout=15) == 0
        # the wrapper waited for its child, so the child is gone (not even a zombie)
        assert not os.path.exists(f"/proc/{child}") or _state(child) != "running"
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
            wrapper.wait()
        if child is not None and _state(child) == "running":  # never leave a server behind
            os.kill(child, signal.SIGKILL)


def _state(pid):
    """'running' unless /proc says the process is a zombie or dead."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return "gone" if f.read().rsplit(")", 1)[1].split()[0] in "ZX" else "running"
    except FileNotFoundError:
        return "gone"


# ------------------------------------------------------------------------ portfolio
SKUS = (b"sku,lead_time,holding_cost,shortage_cost,demand_type,demand_low,demand_high\n"
        b"A,0,5,495,uniform,0,4\nB,1,1,-3,uniform,0,4\nC,0,5,495,,,\n")
HISTORY = b"sku,period,quantity\n" + b"".join(b"C,%d,%d\n" % (t, d) for t, d in enumerate([0, 1, 2, 3, 4] * 4))


def portfolio_page(at):
    at.sidebar.radio(key="page").set_value("Portfolio").run()
    assert not at.exception and not at.error
    return at


def test_portfolio_page_solves_uploaded_table(at):
    import idinn.portfolio as portfolio

    portfolio_page(at)
    assert at.selectbox(key="portfolio_method").options == list(portfolio.METHODS)
    assert at.selectbox(key="portfolio_executor").options == ["serial", "processes", "dask"]
    at.file_uploader(key="sku_csv").set_value(("skus.csv", SKUS, "text/csv"))
    at.file_uploader(key="history_csv").set_value(("history.csv", HISTORY, "text/csv")).run()
    at.button(key="run_portfolio").click().run()
    job = finish(at, "portfolio_job")
    assert job.status == "done" and job.snapshot()[-1] == {"done": 3, "failed": 1, "total": 3}
    frame = at.dataframe[0].value
    assert list(frame["sku"]) == ["A", "B", "C"]
    assert list(frame["status"]) == ["ok", "error", "ok"]
    assert frame.loc[0, "cost_total"] == pytest.approx(10.0) and frame.loc[0, "optimal_cost"] == pytest.approx(10.0)
    assert frame.loc[2, "cost_total"] == pytest.approx(10.0)  # its history has the pmf of U{0..4}
    assert "Rows by status: ok: 2, error: 1" in [m.value for m in at.markdown]
    assert errors(at).startswith("SKU B: The 'shortage_cost' column of the portfolio row 1 (sku 'B')")
    assert [b.proto.label for b in at.get("download_button")] == ["Result table (CSV)"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "SKU table: upload a CSV file with one row per SKU"),
        (b"", "SKU table 'skus.csv' is empty"),
        (b"sku,lead_time\n", "SKU table 'skus.csv' has no data rows below its header."),
        (b"\xff\xfe\x00\x01", "SKU table 'skus.csv' is not a readable CSV file"),
    ],
    ids=["missing", "empty", "header-only", "binary"],
)
def test_portfolio_bad_uploads_show_inline_messages(at, content, message):
    portfolio_page(at)
    if content is not None:
        at.file_uploader(key="sku_csv").set_value(("skus.csv", content, "text/csv")).run()
    at.button(key="run_portfolio").click().run()
    assert message in errors(at)
    assert "portfolio_job" not in at.session_state and not at.exception


def test_portfolio_table_refused_by_the_library_is_shown_inline(at):
    portfolio_page(at)
    at.file_uploader(key="sku_csv").set_value(("skus.csv", b"name,lead_time\nA,0\n", "text/csv")).run()
    at.button(key="run_portfolio").click().run()
    job = finish(at, "portfolio_job")
    assert job.status == "failed"
    assert errors(at).startswith("The portfolio could not be solved: ") and "sku" in errors(at)


def test_portfolio_progress_and_cancel(at):
    """Progress while solving; Cancel stops after the chunk in progress."""
    import threading

    import pandas as pd

    from idinn.app._portfolio_page import _solve
    from idinn.app._session import Job

    release = threading.Event()
    frame = pd.DataFrame({"sku": ["A"], "status": ["ok"], "message": [""]})

    def work(job):
        job.report(done=1, failed=0, total=2)
        release.wait(WAIT)
        return frame

    portfolio_page(at)
    at.session_state["portfolio_job"] = Job(work)
    at.run()
    assert at.get("progress")[0].proto.text == "1 of 2 SKUs solved (0 failed)"
    at.button(key="cancel_portfolio").click().run()
    job = at.session_state["portfolio_job"]
    assert job.cancelled
    release.set()
    finish(at, "portfolio_job")
    assert job.status == "cancelled"

    class Cancelled:  # the real solver stops at its first progress report
        cancelled = True

        def report(self, **event):
            pass

    skus = pd.read_csv(io.BytesIO(SKUS))
    with pytest.raises(RuntimeError, match=r"cancelled after \d of 3 SKUs"):
        _solve(Cancelled(), skus, None, "auto", "serial", None, 0)
    at.session_state["portfolio_job"] = Job(lambda j: (j.cancel(), _solve(Cancelled(), skus, None, "auto", "serial",
                                                                          None, 0)))
    finish(at, "portfolio_job")
    assert at.warning[0].value.startswith("The portfolio run was cancelled after")


def test_exact_optimum_where_it_exists():
    from idinn.app._compare import exact_optimum
    from idinn.demand import TraceDemand, UniformDemand
    from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel

    def dual(lr, le, demand=UniformDemand(0, 4)):
        return DualSourcingModel(regular_lead_time=lr, expedited_lead_time=le, regular_order_cost=0,
                                 expedited_order_cost=20, holding_cost=5, shortage_cost=495, init_inventory=0,
                                 demand_generator=demand)

    name, value, _ = exact_optimum(dual(2, 0))  # solved even when DP was not selected
    assert name == "Dynamic programming" and round(value, 4) == 23.0714
    assert exact_optimum(dual(1, 1)) == (None, None, "dynamic programming needs l_e < l_r")
    assert exact_optimum(dual(5, 0))[2].startswith("l_r - l_e > 3")
    single = SingleSourcingModel(lead_time=0, holding_cost=5, shortage_cost=495, init_inventory=0,
                                 demand_generator=TraceDemand([1, 2, 3]))
    assert exact_optimum(single) == (None, None, "TraceDemand is not stationary: no exact average cost")


def test_failed_run_is_shown_inline(at):
    from idinn.app._session import Job

    def fail(job):
        raise ValueError("The 'x' parameter of Y must be an int. Got 'a' instead.")

    at.session_state["single_job"] = Job(fail)
    finish(at)
    assert errors(at) == "The run failed: The 'x' parameter of Y must be an int. Got 'a' instead."


def test_errors_in_live_views_are_shown_inline(at):
    class Broken:
        running = True
        cancelled = False

        def snapshot(self):
            raise RuntimeError("no progress")

    at.session_state["single_job"] = Broken()
    at.run()
    assert errors(at) == "Something went wrong: no progress" and not at.exception
    at.sidebar.radio(key="page").set_value("Portfolio")
    at.session_state["portfolio_job"] = Broken()
    at.run()
    assert errors(at) == "Something went wrong: no progress" and not at.exception


def test_no_optimum_is_claimed_without_backlogging():
    from types import SimpleNamespace

    from idinn.app._compare import exact_optimum
    from idinn.demand import UniformDemand

    lost_sales = SimpleNamespace(demand_generator=UniformDemand(0, 4),
                                 params=SimpleNamespace(excess_demand="lost_sales"))
    assert exact_optimum(lost_sales) == (None, None, "no exact optimum is known for excess demand 'lost_sales'")
