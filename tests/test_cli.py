"""Command-line interface: TOML configs, output protection, errors."""

from __future__ import annotations

import pytest

from idinn.cli import main

BASE_STOCK = """
[model]
type = "single"
lead_time = 2
holding_cost = 5
shortage_cost = 495
init_inventory = 0
demand = { type = "uniform", low = 0, high = 4 }

[controller]
type = "base_stock"
"""


def test_base_stock_config_prints_cost_and_optimum(tmp_path, capsys):
    cfg = tmp_path / "m.toml"
    cfg.write_text(BASE_STOCK)
    out_png = tmp_path / "plot.png"
    assert main(["run", "--config", str(cfg), "--output", str(out_png)]) == 0
    text = capsys.readouterr().out
    # l = 2, U{0..4}: S* = 11 and the newsvendor cost over the 3-period demand.
    assert "Exact optimum (optimal base-stock policy):" in text
    assert "Optimality gap: 0.000 %" in text
    assert out_png.exists() and out_png.stat().st_size > 0


def test_existing_output_is_not_overwritten_without_force(tmp_path, capsys):
    cfg = tmp_path / "m.toml"
    cfg.write_text(BASE_STOCK)
    out_png = tmp_path / "plot.png"
    out_png.write_bytes(b"user data")
    assert main(["run", "--config", str(cfg), "--output", str(out_png)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert out_png.read_bytes() == b"user data"
    assert main(["run", "--config", str(cfg), "--output", str(out_png), "--force"]) == 0
    assert out_png.read_bytes() != b"user data"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[model\n", "is not valid TOML"),
        ("[model]\ntype = 'triple'\ndemand = { type = 'uniform', low = 0, high = 4 }\n", "type must be 'single' or 'dual'"),
        (BASE_STOCK.replace("lead_time = 2", "lead_time = -1"),
         "The 'lead_time' parameter of SingleSourcingModel must be an int >= 0. Got -1 instead."),
        (BASE_STOCK.replace('type = "base_stock"', 'type = "capped_dual_index"'), "is not available for this model"),
    ],
)
def test_bad_configs_are_reported(tmp_path, capsys, content, message):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(content)
    assert main(["run", "--config", str(cfg), "--no-plot"]) == 2
    assert message in capsys.readouterr().err


def test_missing_config_file(tmp_path, capsys):
    assert main(["run", "--config", str(tmp_path / "none.toml"), "--no-plot"]) == 2
    assert "no such configuration file" in capsys.readouterr().err
