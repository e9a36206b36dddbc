"""Configuration registry: every model, demand and controller from TOML; strict keys; round trips."""

from __future__ import annotations

import re
import tomllib

import numpy as np
import pytest

from idinn import demand as dm
from idinn.config import (
    ConfigError,
    build_demand,
    controller_registry,
    demand_registry,
    demand_to_config,
    from_config,
    to_config,
    to_toml,
)
from idinn.dual_controller import CappedDualIndexController
from idinn.problem import SourcingProblem
from idinn.single_controller import BaseStockController
from idinn.sourcing_model import DualSourcingModel

SINGLE = {"type": "single", "lead_time": 1, "holding_cost": 1, "shortage_cost": 9, "init_inventory": 0,
          "demand": {"type": "uniform", "low": 0, "high": 2}}
DUAL = {"type": "dual", "regular_lead_time": 2, "expedited_lead_time": 0, "regular_order_cost": 0,
        "expedited_order_cost": 5, "holding_cost": 1, "shortage_cost": 19, "init_inventory": 0,
        "demand": {"type": "uniform", "low": 0, "high": 2}}
MULTI = {"type": "multi", "holding_cost": 1, "shortage_cost": 19, "init_inventory": 0,
         "suppliers": [{"lead_time": 0, "order_cost": 5}, {"lead_time": 2, "order_cost": 0}],
         "demand": {"type": "uniform", "low": 0, "high": 2}}
#: fit arguments without a default, per parameter name
REQUIRED = {"horizon": 3, "discount": 0.9, "sourcing_periods": 10, "epochs": 1}


def cfg_of(model, controller, training=None):
    out = {"model": dict(model), "controller": dict(controller)}
    if training is not None:
        out["training"] = training
    return out


# --------------------------------------------------------------------------- registries
def test_registry_lists_every_controller_class():
    from idinn import dual_controller, multi_controller, single_controller

    names = {e.cls.__name__ for e in controller_registry().values()}
    bases = {"BaseSingleController", "BaseDualController", "BaseMultiController"}
    public = {n for mod in (single_controller, dual_controller, multi_controller) for n in mod.__all__ if n not in bases}
    assert names == public
    assert {k for k in controller_registry()} >= {
        ("single", "base_stock"), ("single", "neural"), ("single", "finite_horizon_base_stock"),
        ("single", "discounted_base_stock"), ("dual", "neural"), ("dual", "capped_dual_index"),
        ("dual", "dual_index"), ("dual", "single_index"), ("dual", "tailored_base_surge"),
        ("dual", "dynamic_programming"), ("dual", "finite_horizon_dp"), ("dual", "discounted_dp"),
    }


@pytest.mark.parametrize("key", sorted(controller_registry()), ids=lambda k: f"{k[0]}-{k[1]}")
def test_every_controller_is_constructible_from_toml(key):
    model_kind, name = key
    entry = controller_registry()[key]
    training = "\n".join(f"{k} = {REQUIRED[k]}" for k in entry.required_fit)
    model = {"single": SINGLE, "dual": DUAL, "multi": MULTI}[model_kind]
    text = to_toml(cfg_of(model, {"type": name})) + f"[training]\n{training}\n"
    rc = from_config(tomllib.loads(text), "t.toml")
    assert type(rc.controller) is entry.cls
    assert type(rc.model).__name__ == {"single": "SingleSourcingModel", "dual": "DualSourcingModel",
                                       "multi": "MultiSourcingModel"}[model_kind]
    for k in entry.required_fit:
        assert rc.fit_kwargs[k] == REQUIRED[k]


DEMANDS = {
    "uniform": ({"low": 1, "high": 3}, 2.0),
    "custom": ({"pmf": {"0": 0.25, "4": 0.75}}, 3.0),
    "finite": ({"values": [1, 5], "probabilities": [0.5, 0.5]}, 3.0),
    "poisson": ({"rate": 2.5}, 2.5),
    "truncated_poisson": ({"rate": 2.0, "max_demand": 3}, 0.2707 + 2 * 0.2707 + 3 * 0.3233),
    "discretized_normal": ({"mean": 0.0, "std": 1.0, "max_demand": 2}, 0.2417 + 2 * 0.0668),
    "discretized_gamma": ({"shape": 1.0, "scale": 2.0, "max_demand": 2}, 0.3064 + 2 * 0.4724),
    "empirical": ({"history": [3, 1, 3, 5]}, 3.0),
    "seasonal": ({"schedule": [{"type": "uniform", "low": 0, "high": 0}, {"type": "poisson", "rate": 7}]}, 0.0),
    "seasonal_uniform": ({"lows": [0, 10], "highs": [2, 10]}, 1.0),
    "seasonal_poisson": ({"rates": [4, 8]}, 4.0),
    "trace": ({"series": [4, 0, 7], "mode": "windows"}, 11 / 3),
    "geometric": ({"mean": 5.0}, 5.0),
    "truncated_geometric": ({"mean": 2.0, "max_demand": 3}, 38 / 27),
}


def test_every_demand_type_has_an_example_here():
    assert set(DEMANDS) == set(demand_registry())


@pytest.mark.parametrize("kind", sorted(DEMANDS))
def test_every_demand_type_builds_and_round_trips(kind):
    args, mean = DEMANDS[kind]
    d = build_demand({"type": kind, **args})
    assert d.mean(0) == pytest.approx(mean, abs=1e-4)
    back = build_demand(tomllib.loads(to_toml({"model": {"demand": demand_to_config(d)}}))["model"]["demand"])
    assert type(back) is type(d)
    if type(d).__repr__ is not object.__repr__:
        assert repr(back) == repr(d)
    periods = range(d.season_length or 1)
    for t in periods:
        assert back.mean(t) == d.mean(t)
        if d.has_finite_support:
            assert [a.tolist() for a in back.pmf(t)] == [a.tolist() for a in d.pmf(t)]


def test_demand_files_relative_to_the_config(tmp_path):
    (tmp_path / "sales.csv").write_text("date,sku,qty\n2024-01-08,A,2\n2024-01-01,A,1\n2024-01-01,B,9\n")
    spec = {"type": "empirical", "path": "sales.csv", "column": "qty", "key": "sku", "sku": "A", "date": "date"}
    d = build_demand(spec, "x.toml", base_dir=tmp_path)
    assert isinstance(d, dm.EmpiricalDemand) and d.history.tolist() == [1, 2]
    t = build_demand({**spec, "type": "trace", "mode": "windows"}, "x.toml", base_dir=tmp_path)
    assert isinstance(t, dm.TraceDemand) and t.series.tolist() == [1, 2] and t.mode == "windows"


# --------------------------------------------------------------------------- refusals
def refuse(cfg, message):
    with pytest.raises(ConfigError, match="^" + re.escape(message) + "$"):
        from_config(cfg, "m.toml")


NEURAL_FIT = ("'burn_in_periods', 'discount', 'epochs', 'finite_horizon', 'init_inventory_freq', 'init_inventory_lr', "
              "'init_policy', 'log_freq', 'parameters_lr', 'policy_iteration_max_entries', 'policy_iteration_steps', "
              "'policy_iterations', 'progress', "
              "'seed', 'sourcing_periods', 'tune_threads', 'validation', 'validation_freq', "
              "'validation_sourcing_periods', 'warm_start'")


def test_misspelt_training_key_is_refused_with_the_valid_ones():
    refuse(
        cfg_of(SINGLE, {"type": "neural"}, {"seeed": 1}),
        "m.toml: unknown key 'seeed' in [training] (controller type 'neural', SingleSourcingNeuralController.fit). "
        f"Did you mean 'seed'? The valid keys are: {NEURAL_FIT}.",
    )


def test_string_for_a_boolean_is_refused():
    refuse(
        cfg_of(SINGLE, {"type": "neural"}, {"finite_horizon": "no"}),
        "m.toml: The 'finite_horizon' parameter of SingleSourcingNeuralController.fit (table [training]) must be a "
        "bool (true or false). Got 'no' instead.",
    )
    refuse(
        cfg_of(SINGLE, {"type": "neural"}, {"epochs": 2000.0}),
        "m.toml: The 'epochs' parameter of SingleSourcingNeuralController.fit (table [training]) must be an int. "
        "Got 2000.0 instead.",
    )
    refuse(
        cfg_of({**SINGLE, "lead_time": "2"}, {"type": "base_stock"}),
        "m.toml: The 'lead_time' parameter of SingleSourcingModel (table [model]) must be an int. Got '2' instead.",
    )


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({**cfg_of(SINGLE, {"type": "base_stock"}), "trainig": {}},
         "m.toml: unknown key 'trainig' in the configuration (top-level tables). Did you mean 'training'? "
         "The valid keys are: 'controller', 'evaluation', 'model', 'plot', 'training'."),
        (cfg_of({**SINGLE, "leadtime": 1}, {"type": "base_stock"}),
         "m.toml: unknown key 'leadtime' in [model] (type 'single', SingleSourcingModel). Did you mean 'lead_time'? "
         "The valid keys are: 'batch_size', 'demand', 'excess_demand', 'fixed_order_cost', 'holding_cost', "
         "'init_inventory', 'lead_time', 'order_capacity', 'order_cost', 'review_offset', 'review_period', 'shortage_cost'."),
        (cfg_of({**SINGLE, "demand": {"type": "uniform", "low": 0, "hgih": 4}}, {"type": "base_stock"}),
         "m.toml: unknown key 'hgih' in [model.demand] (demand type 'uniform'). Did you mean 'high'? "
         "The valid keys are: 'high', 'low'."),
        (cfg_of({**SINGLE, "demand": {"type": "poison", "rate": 3}}, {"type": "neural"}),
         "m.toml: unknown demand type 'poison' in [model.demand]. Did you mean 'poisson'? Use one of: custom, "
         "discretized_gamma, discretized_normal, empirical, finite, geometric, poisson, seasonal, seasonal_poisson, "
         "seasonal_uniform, trace, truncated_geometric, truncated_poisson, uniform."),
        (cfg_of(SINGLE, {"type": "capped_dual_index"}),
         "m.toml: controller type 'capped_dual_index' is not available for this model ([model] type = 'single'); "
         "it controls 'dual' models. Choose from: base_stock, discounted_base_stock, finite_horizon_base_stock, "
         "lost_sales_dp, lost_sales_policy, modified_base_stock, neural, ss."),
        (cfg_of(SINGLE, {"type": "base_stock", "level": 3}),
         "m.toml: unknown key 'level' in [controller] (controller type 'base_stock', BaseStockController). "
         "The valid keys are: 'base_stock_level'."),
        (cfg_of(SINGLE, {"type": "base_stock"}, {"epochs": 1}),
         "m.toml: unknown key 'epochs' in [training] (controller type 'base_stock', BaseStockController.fit). "
         "The valid keys are: "
         + (", ".join(map(repr, sorted(controller_registry()[("single", "base_stock")].fit_keys))) or "none") + "."),
        (cfg_of(DUAL, {"type": "finite_horizon_dp"}),
         "m.toml: [training] needs 'horizon' for controller type 'finite_horizon_dp' (FiniteHorizonDPController.fit "
         "has no default for it); add horizon = <value> under [training]."),
        (cfg_of(SINGLE, {"type": "neural", "activation": "Relu"}),
         "m.toml: unknown activation 'Relu' in [controller]; use the name of a torch.nn activation class, e.g. "
         "\"ReLU\", \"CELU\", \"ELU\", \"Tanh\"."),
        ({**cfg_of(SINGLE, {"type": "base_stock"}), "evaluation": {"sourcing_periods": 0}},
         "m.toml: The 'sourcing_periods' parameter of table [evaluation] must be an int >= 1. Got 0 instead."),
        ({"controller": {"type": "neural"}},
         "m.toml: missing table [model]. Add it (see docs/cli.md for its keys)."),
    ],
)
def test_refusals_name_the_key_and_what_to_use(cfg, message):
    refuse(cfg, message)


def test_demand_a_controller_cannot_use_is_refused_with_the_alternative():
    refuse(
        cfg_of({**SINGLE, "demand": {"type": "trace", "series": [4, 0, 7], "mode": "windows"}}, {"type": "base_stock"}),
        "m.toml: controller type 'base_stock' needs i.i.d. demand. Demand type 'trace' with mode 'windows' replays "
        "contiguous stretches of the series, so consecutive periods are correlated and BaseStockController's exact "
        "answer (for independent periods) would not hold. Use type = \"empirical\" with the same path and column "
        "(i.i.d. draws from the series' frequencies) for the optimal policy of i.i.d. demand, or controller type "
        "'neural' to learn from the windows themselves.",
    )
    refuse(
        cfg_of({**SINGLE, "demand": {"type": "poisson", "rate": 3.0}}, {"type": "base_stock"}),
        "m.toml: controller type 'base_stock' needs a demand with finite support (an exact pmf); "
        "PoissonDemand(rate=3.0) has none. Use type = \"truncated_poisson\", rate = 3.0, tail_mass = 1e-9 in "
        "[model.demand].",
    )
    refuse(
        cfg_of({**DUAL, "demand": {"type": "seasonal_uniform", "lows": [0, 1], "highs": [1, 2]}},
               {"type": "dynamic_programming"}),
        "m.toml: controller type 'dynamic_programming' needs stationary demand (the same distribution every period); "
        "SeasonalDemand([UniformDemand(low=0, high=1), UniformDemand(low=1, high=2)]) changes with the period. "
        "Use controller type 'finite_horizon_dp' (with [training] horizon = ...) or 'discounted_dp' (with [training] "
        "discount = ...), or 'neural'.",
    )


def test_empirical_demand_gives_the_base_stock_optimum():
    # Empirical {1: 1/4, 3: 1/2, 5: 1/4}, lead time 0, h = 1, b = 3: critical ratio 3/4 -> S* = 3,
    # cost E[(3 - D)^+] * 1 + E[(D - 3)^+] * 3 = (2/4) + (2/4) * 3 = 2.
    rc = from_config(cfg_of({**SINGLE, "lead_time": 0, "shortage_cost": 3,
                             "demand": {"type": "empirical", "history": [3, 1, 3, 5]}}, {"type": "base_stock"}))
    rc.controller.fit(rc.model, **rc.fit_kwargs)
    assert rc.controller.base_stock_level_ == 3
    assert rc.controller.expected_cost_ == pytest.approx(2.0)


# --------------------------------------------------------------------------- round trips
def test_to_config_round_trips_a_single_problem_through_toml():
    problem = SourcingProblem.single(lead_time=2, holding_cost=5, shortage_cost=495, order_cost=1.5,
                                     demand=dm.CustomDemand({0: 0.5, 3: 0.5}), init_inventory=4)
    cfg = to_config(problem, "neural", controller_options={"hidden_layers": [4, 2], "activation": "ReLU"},
                    training={"epochs": 5, "seed": 3, "finite_horizon": False}, evaluation={"seed": 1})
    text = to_toml(cfg, header="written by a test")
    assert text.startswith("# written by a test\n")
    assert tomllib.loads(text) == cfg
    rc = from_config(tomllib.loads(text))
    got = rc.model.problem
    assert got.params == problem.params and got.init_inventory == 4
    assert repr(got.demand) == repr(problem.demand)
    assert rc.controller.hidden_layers == [4, 2] and type(rc.controller.activation).__name__ == "ReLU"
    assert rc.fit_kwargs == {"epochs": 5, "seed": 3, "finite_horizon": False, "sourcing_periods": 50}
    assert rc.evaluation_seed == 1


def test_to_config_of_a_dual_model_and_a_controller_instance():
    model = DualSourcingModel(regular_lead_time=3, expedited_lead_time=1, regular_order_cost=0,
                              expedited_order_cost=20, holding_cost=5, shortage_cost=495, init_inventory=6,
                              demand_generator=dm.TruncatedPoissonDemand(2.0, max_demand=9), batch_size=16)
    cfg = to_config(model, CappedDualIndexController(), training={"seed": 2, "sourcing_periods": 200})
    assert cfg["controller"] == {"type": "capped_dual_index"}
    assert cfg["model"]["batch_size"] == 16
    assert cfg["model"]["demand"] == {"type": "truncated_poisson", "rate": 2.0, "max_demand": 9}
    rc = from_config(tomllib.loads(to_toml(cfg)))
    assert rc.model.problem.params == model.problem.params
    assert np.array_equal(rc.model.demand_generator.pmf()[1], model.demand_generator.pmf()[1])
    assert type(rc.controller) is CappedDualIndexController and rc.model.batch_size == 16
    with pytest.raises(ConfigError, match=re.escape(
        "to_config: controller type 'base_stock' is not available for this model ([model] type = 'dual'); it "
        "controls 'single' models."
    )):
        to_config(model, BaseStockController)


def test_to_config_refuses_what_the_cli_would_refuse():
    problem = SourcingProblem.single(lead_time=0, holding_cost=1, shortage_cost=1, demand=dm.PoissonDemand(2.0))
    with pytest.raises(ConfigError, match=re.escape(
        "to_config: controller type 'base_stock' needs a demand with finite support"
    )):
        to_config(problem, "base_stock")
    with pytest.raises(ConfigError, match=re.escape("to_config: unknown key 'seeed' in [training]")):
        to_config(problem, "neural", training={"seeed": 1})


def test_the_paper_example_still_builds_as_before():
    from idinn.cli import PAPER_EXAMPLE
    from idinn.single_controller import SingleSourcingNeuralController

    rc = from_config(PAPER_EXAMPLE, "<paper example>")
    assert type(rc.controller) is SingleSourcingNeuralController
    assert rc.controller.hidden_layers == [2] and type(rc.controller.activation).__name__ == "CELU"
    assert rc.fit_kwargs == {"sourcing_periods": 50, "validation_sourcing_periods": 1000, "epochs": 2000, "seed": 1}
    assert (rc.model.batch_size, rc.evaluation_periods, rc.evaluation_seed) == (32, 1000, 0)
    assert PAPER_EXAMPLE["training"] == {"sourcing_periods": 50, "validation_sourcing_periods": 1000,
                                         "epochs": 2000, "seed": 1}  # not changed in place


def test_custom_demand_in_both_forms():
    a = build_demand({"type": "custom", "pmf": {"0": 0.5, "3": 0.5}})
    b = build_demand({"type": "custom", "values": [0, 3], "probabilities": [0.5, 0.5]})
    assert a == b == dm.CustomDemand({0: 0.5, 3: 0.5})
    assert demand_to_config(a) == {"type": "custom", "values": [0, 3], "probabilities": [0.5, 0.5]}
    with pytest.raises(ConfigError, match=re.escape(
        "m.toml: [model.demand] gives both 'pmf' and 'values'; keep one (they say the same)."
    )):
        build_demand({"type": "custom", "pmf": {"0": 1.0}, "values": [0], "probabilities": [1.0]}, "m.toml")
    with pytest.raises(ConfigError, match=re.escape(
        "m.toml: custom demand keys must be integers >= 0 written as strings, e.g. \"3\" = 0.5. Got 'a' instead."
    )):
        build_demand({"type": "custom", "pmf": {"a": 1.0}}, "m.toml")


# --------------------------------------------------------------------------- the documentation
DOCS = __import__("pathlib").Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_docs_name_every_demand_and_controller_type():
    text = DOCS.read_text()
    for kind in demand_registry():
        assert f"| `{kind}` |" in text, kind
    for (_, name), entry in controller_registry().items():
        assert f"| `{name}` |" in text and entry.cls.__name__ in text, name


def test_docs_list_every_training_key():
    text = DOCS.read_text()
    training = text[text.index("### `[training]`"):text.index("### `[evaluation]`")]
    for (model, name), entry in controller_registry().items():
        rows = [line for line in training.splitlines() if line.startswith(f"| `{name}`") or f", `{name}`" in line]
        if name == "neural":  # the dual row lists what it adds to the single one
            rows = [line for line in training.splitlines() if line.startswith("| `neural`")]
        assert rows, name
        missing = [key for key in entry.fit_keys if not any(f"`{key}`" in row for row in rows)]
        assert not missing, f"[training] keys of {model} {name} missing from docs/cli.md: {missing}"


def test_docs_toml_examples_build(tmp_path):
    (tmp_path / "weekly_sales.csv").write_text(
        "date,sku_id,demand\n2024-01-15,A-100,4\n2024-01-01,A-100,2\n2024-01-01,B-7,9\n")
    blocks = re.findall(r"```toml\n(.*?)```", DOCS.read_text(), flags=re.S)
    assert len(blocks) == 4
    built = [from_config(tomllib.loads(b), "cli.md", base_dir=tmp_path) for b in blocks]
    assert [type(r.controller).__name__ for r in built] == [
        "SingleSourcingNeuralController", "BaseStockController", "CappedDualIndexController",
        "FiniteHorizonBaseStockController"]
    # The weekly file: A-100 sold 2, nothing in the week of 8 January (missing = "zero"), then 4.
    assert built[1].model.demand_generator.history.tolist() == [2, 0, 4]


def test_lost_sales_in_the_model_table_round_trips():
    cfg = cfg_of({**SINGLE, "excess_demand": "lost_sales", "demand": {"type": "geometric", "mean": 5.0}},
                 {"type": "lost_sales_dp"})
    rc = from_config(tomllib.loads(to_toml(cfg)), "t.toml")
    assert rc.model.params.excess_demand == "lost_sales"
    assert to_config(rc.model.problem)["model"]["excess_demand"] == "lost_sales"
    with pytest.raises(ConfigError, match="excess_demand"):
        from_config(cfg_of({**SINGLE, "excess_demand": "lost"}, {"type": "base_stock"}), "t.toml")


# ----------------------------------------------------------------- multi sourcing, review periods
MULTI_TOML = """
[model]
type = "multi"
holding_cost = 5
shortage_cost = 95
init_inventory = 2
demand = { type = "uniform", low = 0, high = 4 }

[[model.suppliers]]
lead_time = 0
order_cost = 20

[[model.suppliers]]
lead_time = 2
order_cost = 10
capacity = 6

[[model.suppliers]]
lead_time = 4
order_cost = 0
review_period = 7
review_offset = 2

[controller]
type = "multi_index"

[training]
method = "exhaustive"
"""


def test_multi_model_from_toml():
    rc = from_config(tomllib.loads(MULTI_TOML), "m.toml")
    m = rc.model
    assert type(m).__name__ == "MultiSourcingModel" and type(rc.controller).__name__ == "MultiIndexController"
    assert m.get_lead_times() == (0, 2, 4) and m.get_order_costs() == (20.0, 10.0, 0.0)
    assert m.get_order_capacities() == (None, 6, None)
    assert m.get_review_periods() == (1, 1, 7) and m.get_review_offsets() == (0, 0, 2)
    assert rc.fit_kwargs == {"method": "exhaustive"}
    expected = SourcingProblem.multi(lead_times=[0, 2, 4], order_costs=[20, 10, 0], holding_cost=5, shortage_cost=95,
                                     demand=dm.UniformDemand(0, 4), init_inventory=2, order_capacities=[None, 6, None],
                                     review_periods=[1, 1, 7], review_offsets=[0, 0, 2])
    assert m.problem == expected
    # to_config writes it back ([model] type "multi"), and the TOML reads the same problem
    cfg = to_config(expected, "multi_index")
    assert cfg["model"]["type"] == "multi" and len(cfg["model"]["suppliers"]) == 3
    assert from_config(tomllib.loads(to_toml(cfg)), "t.toml").model.problem == expected


def test_review_periods_of_single_and_dual_models_round_trip():
    dual = SourcingProblem.dual(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0,
                                expedited_order_cost=20, holding_cost=5, shortage_cost=495,
                                demand=dm.UniformDemand(0, 4), regular_review_period=7, regular_review_offset=3)
    cfg = to_config(dual, "dual_index")
    assert cfg["model"]["regular_review_period"] == 7 and cfg["model"]["regular_review_offset"] == 3
    assert "expedited_review_period" not in cfg["model"]
    assert from_config(tomllib.loads(to_toml(cfg)), "t.toml").model.problem == dual
    single = SourcingProblem.single(lead_time=1, holding_cost=1, shortage_cost=9, demand=dm.UniformDemand(0, 2),
                                    review_period=3, review_offset=1)
    cfg = to_config(single, "base_stock")
    assert (cfg["model"]["review_period"], cfg["model"]["review_offset"]) == (3, 1)
    assert from_config(cfg, "t.toml").model.problem == single


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c["model"]["suppliers"][1].update(leadtime=2),
     "m.toml: unknown key 'leadtime' in [[model.suppliers]] entry 1. Did you mean 'lead_time'?"),
    (lambda c: c["model"].pop("suppliers"), "m.toml: [model] type 'multi' needs a list of suppliers"),
    (lambda c: c["model"]["suppliers"][0].pop("lead_time"), "m.toml: [[model.suppliers]] entry 0 needs lead_time"),
    (lambda c: c["model"]["suppliers"][2].update(review_period="weekly"),
     "m.toml: The 'review_period' parameter of MultiSourcingModel ([[model.suppliers]] entry 2) must be an int."),
    (lambda c: c["model"].update(suppliers=[{"lead_time": k} for k in range(6)]),
     "at most 5 suppliers are supported"),
    (lambda c: c["controller"].update(type="dual_index"),
     "m.toml: controller type 'dual_index' is not available for this model ([model] type = 'multi'); it "
     "controls 'dual' models."),
])
def test_multi_config_refusals(change, message):
    cfg = tomllib.loads(MULTI_TOML)
    change(cfg)
    with pytest.raises(ConfigError, match=re.escape(message)):
        from_config(cfg, "m.toml")
