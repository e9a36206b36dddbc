"""Argument parsing and pure helpers of ``benchmarks/run.py`` (nothing is benchmarked here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"idinn_bench_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


run = _load("run")
scaling = _load("scaling")


def test_defaults_are_quick_with_every_workload_and_one_thread():
    args = run.parse_args([])
    assert args.mode == "quick"
    assert args.only == list(run.WORKLOADS)
    assert args.threads == 1
    assert args.ref_venv == "/tmp/idinn-ref"
    assert run.settings(args) == run.MODES["quick"]


def test_full_mode_and_overrides():
    args = run.parse_args(["--full", "--only", "single, dp", "--repeats", "5", "--dp-timeout", "30",
                           "--ttq-budget", "10", "20", "--ref-venv", "/x/venv"])
    cfg = run.settings(args)
    assert args.mode == "full" and args.only == ["single", "dp"] and args.ref_venv == "/x/venv"
    assert cfg["repeats"] == 5 and cfg["dp_timeout"] == 30.0
    assert (cfg["ttq_budget_ours"], cfg["ttq_budget_ref"]) == (10.0, 20.0)
    assert cfg["single_epochs"] == 2000  # the rest of the full settings is kept


@pytest.mark.parametrize("argv", [["--only", "single,nope"], ["--repeats", "0"], ["--quick", "--full"],
                                  ["--threads", "0"]])
def test_bad_arguments_exit(argv):
    with pytest.raises(SystemExit):
        run.parse_args(argv)


def test_line_fit_recovers_an_exact_line_and_flop_count():
    a, b, r2 = scaling.line_fit([50, 100, 200, 400], [1.0 + 0.01 * x for x in (50, 100, 200, 400)])
    assert a == pytest.approx(1.0) and b == pytest.approx(0.01) and r2 == pytest.approx(1.0)
    # 3-128-64-32-16-8-4-2: 384 + 8192 + 2048 + 512 + 128 + 32 + 8 multiply-accumulates
    assert run.flop_count(run.DUAL_SIZES) == 11304


def test_fmt_range_and_median_rows():
    assert run.fmt_range([3.0, 1.0, 2.0]) == "2.00 (1.00–3.00)"
    assert run.fmt_range([None]) == "n/a"
    rows = scaling.median_rows([{"k": 1, "fit_s": 3.0}, {"k": 1, "fit_s": 1.0}, {"k": 2, "fit_s": 5.0}], ("k",))
    assert [(r["k"], r["fit_s"], r["fit_s_min"], r["fit_s_max"], r["repeats"]) for r in rows] == [
        (1, 2.0, 1.0, 3.0, 2), (2, 5.0, 5.0, 5.0, 1)]


def test_device_option_is_a_subset_of_cpu_and_cuda_and_fresh_venv_is_off_by_default():
    args = run.parse_args([])
    assert args.device == ["cpu", "cuda"] and args.fresh_venv is False
    assert run.parse_args(["--device", "cuda", "--fresh-venv"]).device == ["cuda"]
    with pytest.raises(SystemExit):
        run.parse_args(["--device", "tpu"])


def test_dual_summary_is_ratios_of_medians_over_repeats():
    rows = []
    for ours, ref, plain in ((0.02, 0.10, 0.04), (0.03, 0.09, 0.05), (0.025, 0.30, 0.045)):
        rows += [{"side": "ours", "epoch_s": ours, "epoch_cpu_s": ours / 2, "gflops": 1 / ours, "gflops_cpu": 2 / ours},
                 {"side": "reference", "epoch_s": ref, "epoch_cpu_s": ref / 2},
                 {"side": "plain torch fwd+bwd", "gflops": 1 / plain, "gflops_cpu": 2 / plain}]
    s = run.dual_summary(rows)
    # medians: ours 0.025, ref 0.10, ours GFLOP/s 40, plain GFLOP/s 1/0.045
    assert s["ref_over_ours_wall"] == pytest.approx(4.0)
    assert s["ref_over_ours_cpu"] == pytest.approx(4.0)
    assert s["pct_of_plain_wall"] == pytest.approx(100 * 40 * 0.045)
    assert s["pct_of_plain_cpu"] == pytest.approx(100 * 80 / (2 / 0.045))
    assert run.dual_summary([])["ref_over_ours_wall"] is None
