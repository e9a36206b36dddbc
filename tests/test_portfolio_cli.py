"""idinn.portfolio.cli: paths checked before work, no overwrite without --force."""

from __future__ import annotations

import pandas as pd

from idinn.portfolio import sample_portfolio
from idinn.portfolio.cli import main


def test_cli_solves_the_sample_and_never_overwrites_without_force(tmp_path, capsys):
    skus, history = sample_portfolio()
    out = tmp_path / "results.csv"
    code = main([str(skus), "--demand-history", str(history), "-o", str(out), "--no-progress"])
    assert code == 1  # the sample's four-supplier row M-501 is too large for the exact DP
    res = pd.read_csv(out, dtype={"sku": str})
    assert len(res) == len(pd.read_csv(skus)) and (res.status == "ok").sum() == len(res) - 1
    assert "Results written to" in capsys.readouterr().out
    out.write_text("keep me")
    assert main([str(skus), "--demand-history", str(history), "-o", str(out), "--no-progress"]) == 2
    assert "pass --force" in capsys.readouterr().err
    assert out.read_text() == "keep me"
    assert main([str(skus), "--demand-history", str(history), "-o", str(out), "--no-progress", "--force"]) == 1
    assert len(pd.read_csv(out)) == len(res)


def test_cli_checks_paths_and_options_before_work(tmp_path, capsys):
    skus, _ = sample_portfolio()
    assert main([str(tmp_path / "missing.csv"), "-o", str(tmp_path / "r.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main([str(skus), "-o", str(tmp_path / "r.xlsx")]) == 2
    assert ".csv or .parquet" in capsys.readouterr().err
    assert main([str(skus), "-o", str(tmp_path / "r.csv"), "--scheduler", "tcp://x:1"]) == 2
    assert "--scheduler needs --executor dask" in capsys.readouterr().err
    assert main([str(skus), "-o", str(tmp_path / "r.csv"), "--method", "magic"]) == 2
    assert not (tmp_path / "r.csv").exists()


def test_cli_neural_batch_size_is_checked_before_work(tmp_path, capsys):
    skus, _ = sample_portfolio()
    out = tmp_path / "r.csv"
    assert main([str(skus), "-o", str(out), "--no-progress", "--neural-batch-size", "0"]) == 2
    assert "The 'neural_batch_size' parameter of solve_portfolio must be an int >= 1. Got 0 instead." in (
        capsys.readouterr().err)
    assert not out.exists()
