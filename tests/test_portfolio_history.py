"""Portfolio demand histories: messages that name the missing periods, column names."""

from __future__ import annotations

import pandas as pd
import pytest

from idinn.portfolio import read_demand_history


def test_missing_dates_are_named():
    weekly = pd.DataFrame({
        "sku": ["w"] * 4 + ["ok"] * 2,
        "date": ["2024-01-03", "2024-01-10", "2024-01-31", "2024-02-07", "2024-01-03", "2024-01-10"],
        "quantity": [1, 2, 3, 4, 1, 1],
    })
    histories, errors = read_demand_history(weekly)
    assert list(histories) == ["ok"] and list(errors) == ["w"]
    # weekly on Wednesdays: the weeks of 2024-01-17 and 2024-01-24 are absent
    assert errors["w"] == ("2 missing period(s) between date 2024-01-03 and 2024-02-07: 2024-01-17, 2024-01-24 "
                           "(pass fill_missing=True / --fill-missing to count them as zero demand)")
    monthly = pd.DataFrame({"sku": ["m"] * 3, "date": ["2024-01-15", "2024-02-15", "2024-04-15"], "quantity": [1, 1, 1]})
    _, errors = read_demand_history(monthly)
    assert errors["m"].startswith("1 missing period(s) between date 2024-01 and 2024-04: 2024-03 (")


def test_missing_period_numbers_are_named_and_long_gaps_shortened():
    hist = pd.DataFrame({"sku": ["p"] * 3, "period": [1, 2, 10], "quantity": [0, 1, 2]})
    _, errors = read_demand_history(hist)
    assert errors["p"].startswith("7 missing period(s) between period 1 and 10: 3, 4, 5, 6, 7, ... (2 more) ")


def _renamed_files(tmp_path):
    skus = tmp_path / "skus.csv"
    skus.write_text("sku,model,lead_time,holding_cost,shortage_cost\n007,single,0,1,1\n")
    history = tmp_path / "sales.csv"
    # columns date, sku_id, demand; empirical D: 0 (1/4), 2 (1/2), 4 (1/4); b/(b+h) = 1/2 -> S = 2, cost E|2-D| = 1
    history.write_text("date,sku_id,demand\n2024-01-01,007,0\n2024-01-02,007,2\n2024-01-03,007,2\n2024-01-04,007,4\n")
    return skus, history


def test_solve_portfolio_maps_history_column_names(tmp_path):
    from idinn.portfolio import solve_portfolio

    skus, history = _renamed_files(tmp_path)
    cols = {"sku": "sku_id", "date": "date", "quantity": "demand"}
    res = solve_portfolio(skus, history, history_columns=cols, progress_bar=False).iloc[0]
    assert (res.sku, res.status, res.S, res.cost_total) == ("007", "ok", 2, 1.0)
    with pytest.raises(ValueError, match="names the quantity column 'qty', which the demand history does not have"):
        solve_portfolio(skus, history, history_columns={"sku": "sku_id", "quantity": "qty"}, progress_bar=False)
    with pytest.raises(ValueError, match="keys are among"):
        solve_portfolio(skus, history, history_columns={"item": "sku_id"}, progress_bar=False)


def test_portfolio_cli_maps_history_column_names(tmp_path, capsys):
    from idinn.portfolio.cli import main

    skus, history = _renamed_files(tmp_path)
    out = tmp_path / "r.csv"
    args = [str(skus), "--demand-history", str(history), "-o", str(out), "--no-progress"]
    assert main(args + ["--sku-column", "sku_id", "--quantity-column", "demand"]) == 0
    res = pd.read_csv(out, dtype={"sku": str}).iloc[0]
    assert (res.sku, res.status, res.S) == ("007", "ok", 2)
    assert main(args + ["--force", "--sku-column", "sku_id"]) == 2  # quantity column not mapped
    assert "'quantity'" in capsys.readouterr().err
    assert main([str(skus), "-o", str(tmp_path / "x.csv"), "--sku-column", "sku_id"]) == 2
    assert "need --demand-history" in capsys.readouterr().err


def test_not_supported_rows_are_done_not_failed(tmp_path, monkeypatch, capsys):
    from idinn.portfolio import _run
    from idinn.portfolio.cli import main

    skus = tmp_path / "skus.csv"
    skus.write_text("sku,model,lead_time,holding_cost,shortage_cost,demand_type,demand_low,demand_high\n"
                    "a,single,0,5,495,uniform,0,4\nb,single,0,5,495,uniform,0,4\nc,single,0,-1,495,uniform,0,4\n")
    real = _run.solve_chunk

    def one_unsupported(chunk, seed):  # row b stands for any row a method does not support yet
        records = real(chunk, seed)
        for r in records:
            if r["sku"] == "b":
                r.update(status="not_supported", message="not supported yet")
        return records

    monkeypatch.setattr(_run, "solve_chunk", one_unsupported)
    calls = []
    res = _run.solve_portfolio(skus, progress=lambda d, f, t: calls.append((d, f, t)), progress_bar=False)
    assert list(res.status) == ["ok", "not_supported", "error"]
    assert calls[-1] == (3, 1, 3)  # 3 done, 1 failed (row c's negative cost): b is not a failure
    out = tmp_path / "r.csv"
    assert main([str(skus), "-o", str(out), "--no-progress"]) == 1
    assert capsys.readouterr().out == f"3 SKUs: 1 ok, 1 not_supported, 1 failed (error). Results written to {out}.\n"


def test_one_reader_reports_bad_skus_and_reads_the_others():
    """The portfolio reads through idinn._demand_io (the library's one history reader)."""
    from idinn._demand_io import read_demand_histories

    hist = pd.DataFrame({"sku": ["ok", "ok", "neg", "neg", "dup", "dup"], "period": [1, 2, 1, 2, 5, 5],
                         "quantity": [3, 4, -1, 2, 1, 1]})
    histories, errors = read_demand_history(hist)
    assert list(histories) == ["ok"] and histories["ok"][1].tolist() == [3, 4]
    assert errors["neg"] == ("The demand-history table, row 3 (index 2), column 'quantity': '-1' is negative. "
                             "Every demand must be an integer >= 0.")
    assert errors["dup"] == "period 5 appears twice for this sku"
    same, problems = read_demand_histories(hist, key="sku", date="period", quantity="quantity")
    assert problems == errors and same["ok"][1].tolist() == [3, 4]
