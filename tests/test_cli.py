"""Command-line interface: TOML configs, output protection, errors."""

from __future__ import annotations

import sys

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


# ------------------------------------------------------------------ output paths, before any work
@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if the CLI starts building or training anything."""
    import idinn.cli

    def boom(*args, **kwargs):
        raise AssertionError("the CLI started work before checking its output path")

    monkeypatch.setattr(idinn.cli, "from_config", boom)


def test_output_path_under_a_file_is_refused_before_any_work(tmp_path, capsys, no_work):
    cfg = tmp_path / "m.toml"
    cfg.write_text(BASE_STOCK)
    blocker = tmp_path / "results"
    blocker.write_text("a file, not a folder")
    out = blocker / "plot.png"
    assert main(["run", "--config", str(cfg), "--output", str(out)]) == 2
    assert capsys.readouterr().err == f"idinn: cannot write {out}: {blocker} is a file, not a folder\n"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("plot.png", "{out} exists; pass --force to overwrite it"),
        ("folder", "{out} is a folder; give a file name such as {out}/idinn-plot.png"),
        ("plot.xyz", "{out}: unknown plot format '.xyz'; end the file name with .png, .pdf or .svg"),
    ],
)
def test_bad_output_paths_are_refused_before_any_work(tmp_path, capsys, no_work, name, message):
    cfg = tmp_path / "m.toml"
    cfg.write_text(BASE_STOCK)
    (tmp_path / "plot.png").write_bytes(b"user data")
    (tmp_path / "folder").mkdir()
    out = tmp_path / name
    assert main(["run", "--config", str(cfg), "--output", str(out)]) == 2
    assert capsys.readouterr().err == "idinn: " + message.format(out=out) + "\n"
    assert (tmp_path / "plot.png").read_bytes() == b"user data"


# ------------------------------------------------------------------ demand files and strict tables
SALES = "date,sku_id,demand\n2024-01-08,A,3\n2024-01-01,B,9\n2024-01-01,A,1\n2024-01-15,A,3\n2024-01-22,A,5\n"


def test_empirical_demand_from_a_long_csv_gives_the_base_stock_level(tmp_path, capsys):
    (tmp_path / "sales.csv").write_text(SALES)
    cfg = tmp_path / "m.toml"
    cfg.write_text(
        BASE_STOCK.replace('demand = { type = "uniform", low = 0, high = 4 }',
                           'demand = { type = "empirical", path = "sales.csv", column = "demand", key = "sku_id", '
                           'sku = "A", date = "date" }').replace("lead_time = 2", "lead_time = 0")
        .replace("shortage_cost = 495", "shortage_cost = 15")
    )
    assert main(["run", "--config", str(cfg), "--no-plot"]) == 0
    # SKU A: 1, 3, 3, 5 -> {1: 1/4, 3: 1/2, 5: 1/4}; h = 5, b = 15: ratio 3/4 -> S* = 3,
    # cost 5 * (2/4) + 15 * (2/4) = 10.
    assert "Exact optimum (optimal base-stock policy): 10.0000" in capsys.readouterr().out


def test_trace_windows_with_base_stock_says_what_to_use(tmp_path, capsys):
    (tmp_path / "sales.csv").write_text(SALES)
    cfg = tmp_path / "m.toml"
    cfg.write_text(BASE_STOCK.replace(
        'demand = { type = "uniform", low = 0, high = 4 }',
        'demand = { type = "trace", path = "sales.csv", column = "demand", key = "sku_id", sku = "A", date = "date",'
        ' mode = "windows" }'))
    assert main(["run", "--config", str(cfg), "--no-plot"]) == 2
    err = capsys.readouterr().err
    assert 'Use type = "empirical" with the same path and column' in err


def test_misspelt_training_key_and_string_boolean_are_refused(tmp_path, capsys):
    cfg = tmp_path / "m.toml"
    cfg.write_text(BASE_STOCK.replace('type = "base_stock"', 'type = "neural"') + "\n[training]\nseeed = 1\n")
    assert main(["run", "--config", str(cfg), "--no-plot"]) == 2
    assert "unknown key 'seeed' in [training]" in capsys.readouterr().err
    cfg.write_text(BASE_STOCK.replace('type = "base_stock"', 'type = "neural"') + '\n[training]\nfinite_horizon = "no"\n')
    assert main(["run", "--config", str(cfg), "--no-plot"]) == 2
    assert "must be a bool (true or false). Got 'no' instead." in capsys.readouterr().err


def test_epochs_override_for_a_controller_without_epochs(tmp_path, capsys):
    cfg = tmp_path / "m.toml"
    cfg.write_text(BASE_STOCK)
    assert main(["run", "--config", str(cfg), "--no-plot", "--epochs", "3"]) == 2
    assert capsys.readouterr().err == (
        "idinn: --epochs does not apply to controller type 'base_stock' (BaseStockController.fit has no 'epochs'); "
        "leave it out.\n"
    )


# ------------------------------------------------------------------ subcommands
@pytest.mark.parametrize(("command", "module"), [("portfolio", "idinn.portfolio.cli"), ("app", "idinn.app.cli")])
def test_subcommands_call_their_main_with_the_rest_of_argv(monkeypatch, command, module):
    import types

    seen = []
    fake = types.ModuleType(module)
    fake.main = lambda argv: seen.append(argv) or 7
    monkeypatch.setitem(sys.modules, module, fake)
    assert main([command, "skus.csv", "-o", "out.csv", "--force"]) == 7
    assert seen == [["skus.csv", "-o", "out.csv", "--force"]]


@pytest.mark.parametrize(("command", "module", "extra"),
                         [("portfolio", "idinn.portfolio.cli", "distributed"), ("app", "idinn.app.cli", "app")])
def test_missing_optional_extra_gives_one_line(monkeypatch, capsys, command, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # import fails as when the extra is not installed
    assert main([command, "--help"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f'idinn {command} needs the optional extra: pip install "idinn[{extra}]" (missing module: ')
    assert err.count("\n") == 1


def test_save_controller_and_config_reproduce_the_run(tmp_path, capsys):
    from idinn import load_controller

    cfg = tmp_path / "m.toml"
    cfg.write_text(BASE_STOCK)
    saved_ctrl, saved_cfg = tmp_path / "out" / "ctrl.idinn", tmp_path / "out" / "run.toml"
    args = ["run", "--config", str(cfg), "--no-plot", "--save-controller", str(saved_ctrl),
            "--save-config", str(saved_cfg)]
    assert main(args) == 0
    first = capsys.readouterr().out
    ctrl = load_controller(saved_ctrl)
    assert ctrl.base_stock_level_ == 11  # l = 2, U{0..4}, b/(b+h) = 0.99
    assert main(["run", "--config", str(saved_cfg), "--no-plot"]) == 0
    again = capsys.readouterr().out
    pick = [line for line in first.splitlines() if line.startswith(("Average cost", "Exact"))]
    assert pick and pick == [line for line in again.splitlines() if line.startswith(("Average cost", "Exact"))]
    assert main(args) == 2  # both exist now: refused before any work
    assert capsys.readouterr().err == f"idinn: {saved_ctrl} exists; pass --force to overwrite it\n"


def test_saved_config_reads_demand_files_from_anywhere(tmp_path, capsys):
    (tmp_path / "sales.csv").write_text(SALES)
    cfg = tmp_path / "m.toml"
    cfg.write_text(BASE_STOCK.replace(
        'demand = { type = "uniform", low = 0, high = 4 }',
        'demand = { type = "empirical", path = "sales.csv", column = "demand", key = "sku_id", sku = "A", '
        'date = "date" }'))
    saved = tmp_path / "elsewhere" / "run.toml"
    assert main(["run", "--config", str(cfg), "--no-plot", "--save-config", str(saved)]) == 0
    assert f'path = "{tmp_path / "sales.csv"}"' in saved.read_text()
    assert main(["run", "--config", str(saved), "--no-plot"]) == 0


PAPER_BASE_STOCK = BASE_STOCK.replace("lead_time = 2", "lead_time = 0").replace("init_inventory = 0", "init_inventory = 10")

CDI_FIXED = """
[model]
type = "dual"
regular_lead_time = 2
expedited_lead_time = 0
regular_order_cost = 0
expedited_order_cost = 20
holding_cost = 5
shortage_cost = 495
init_inventory = 0
demand = { type = "uniform", low = 0, high = 4 }

[controller]
type = "capped_dual_index"
s_e = 3
s_r = 9
q_r = 4

[training]
search = false
sourcing_periods = 20
n_paths = 4

[evaluation]
sourcing_periods = 20
"""


def test_run_prints_the_fitted_base_stock_level(tmp_path, capsys):
    # The JOSS paper's example (l = 0, h = 5, b = 495, U{0..4}): S* = 4.
    cfg = tmp_path / "m.toml"
    cfg.write_text(PAPER_BASE_STOCK)
    assert main(["run", "--config", str(cfg), "--no-plot"]) == 0
    assert "Policy:     base-stock level S = 4\n" in capsys.readouterr().out


def test_run_prints_the_capped_dual_index_parameters(tmp_path, capsys):
    cfg = tmp_path / "m.toml"
    cfg.write_text(CDI_FIXED)
    assert main(["run", "--config", str(cfg), "--no-plot"]) == 0
    assert "Policy:     s_e = 3, s_r = 9, q_r = 4\n" in capsys.readouterr().out


def test_describe_policy_of_table_and_neural_controllers():
    from idinn.cli import describe_policy
    from idinn.demand import UniformDemand
    from idinn.single_controller import FiniteHorizonBaseStockController, SingleSourcingNeuralController
    from idinn.sourcing_model import SingleSourcingModel

    model = SingleSourcingModel(lead_time=0, holding_cost=5, shortage_cost=495, init_inventory=10,
                                demand_generator=UniformDemand(0, 4))
    finite = FiniteHorizonBaseStockController().fit(model, horizon=3)
    text = describe_policy(finite)
    # Newsvendor with b/(b+h) = 0.99 on U{0..4}: S_t = 4 in every period of the horizon.
    assert text.startswith("order-up-to levels S_t = [4, 4, 4] (3 periods); optimal cost"), text
    neural = SingleSourcingNeuralController(hidden_layers=[3, 2])
    neural.init_layers(lead_time=2)
    text = describe_policy(neural)
    assert text.startswith("neural network ") and text.endswith(" -> 3 -> 2 -> 1 (inputs -> hidden -> outputs)"), text
    assert describe_policy(object()) == ""


MULTI = """
[model]
type = "multi"
holding_cost = 5
shortage_cost = 95
demand = { type = "uniform", low = 0, high = 2 }

[[model.suppliers]]
lead_time = 0
order_cost = 20

[[model.suppliers]]
lead_time = 1
order_cost = 0
review_period = 2

[controller]
type = "multi_index"

[training]
method = "exhaustive"

[evaluation]
sourcing_periods = 200
"""


def test_run_a_multi_sourcing_config(tmp_path, capsys):
    """Two suppliers in a [[model.suppliers]] list, the cheap one reviewed every other period."""
    cfg = tmp_path / "multi.toml"
    cfg.write_text(MULTI)
    saved = tmp_path / "c.idinn"
    assert main(["run", "--config", str(cfg), "--no-plot", "--save-controller", str(saved)]) == 0
    text = capsys.readouterr().out
    assert "Controller: MultiIndexController" in text
    assert "Policy:     order-up-to levels per supplier S = (" in text
    assert "review_periods=[1, 2]" in text
    from idinn import load_controller

    loaded = load_controller(saved)
    assert f"S = ({', '.join(map(str, loaded.base_stock_levels_))})" in text
