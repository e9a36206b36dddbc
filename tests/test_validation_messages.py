"""Bad input raises before any work, with the one wording of ``idinn._validation``."""

from __future__ import annotations

import re

import pytest
import torch

from idinn.demand import CustomDemand, UniformDemand
from idinn.dual_controller import DualSourcingNeuralController
from idinn.dynamics import SourcingParams
from idinn.single_controller import BaseStockController, SingleSourcingNeuralController
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel

NAN, INF = float("nan"), float("inf")


def msg(name: str, owner: str, rule: str, got: str) -> str:
    return f"The '{name}' parameter of {owner} must be {rule}. Got {got} instead."


def single(**kw):
    args = dict(lead_time=0, holding_cost=1, shortage_cost=9, init_inventory=0, demand_generator=UniformDemand(0, 4))
    args.update(kw)
    return SingleSourcingModel(**args)


def dual(**kw):
    args = dict(
        regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=5,
        holding_cost=1, shortage_cost=9, init_inventory=0, demand_generator=UniformDemand(0, 4),
    )
    args.update(kw)
    return DualSourcingModel(**args)


S, D = "SingleSourcingModel", "DualSourcingModel"
REAL = "a finite real number >= 0"

CASES = [
    # lead times
    ("lead-negative", lambda: single(lead_time=-1), ValueError, msg("lead_time", S, "an int >= 0", "-1")),
    ("lead-float", lambda: single(lead_time=1.5), TypeError, msg("lead_time", S, "an int >= 0", "1.5")),
    ("lead-integral-float", lambda: single(lead_time=2.0), TypeError, msg("lead_time", S, "an int >= 0", "2.0")),
    ("lead-str", lambda: single(lead_time="2"), TypeError, msg("lead_time", S, "an int >= 0", "'2'")),
    ("regular-lead-negative", lambda: dual(regular_lead_time=-2), ValueError,
     msg("regular_lead_time", D, "an int >= 0", "-2")),
    ("expedited-lead-negative", lambda: dual(expedited_lead_time=-1), ValueError,
     msg("expedited_lead_time", D, "an int >= 0", "-1")),
    ("expedited-lead-float", lambda: dual(expedited_lead_time=0.5), TypeError,
     msg("expedited_lead_time", D, "an int >= 0", "0.5")),
    ("expedited-longer-than-regular", lambda: dual(regular_lead_time=1, expedited_lead_time=2), ValueError,
     msg("expedited_lead_time", D, "an int <= regular_lead_time (1)", "2")),
    ("params-lead-negative", lambda: SourcingParams((-1,), (0.0,), 1.0, 1.0), ValueError,
     msg("lead_times", "SourcingParams", "an int >= 0", "-1")),
    # demand models
    ("uniform-high-below-low", lambda: UniformDemand(3, 1), ValueError, msg("high", "UniformDemand", "an int >= low (3)", "1")),
    ("uniform-low-negative", lambda: UniformDemand(-1, 2), ValueError, msg("low", "UniformDemand", "an int >= 0", "-1")),
    ("custom-negative-probability", lambda: CustomDemand({0: -0.5, 1: 1.5}), ValueError,
     msg("demand_prob", "CustomDemand", "a mapping to finite probabilities >= 0", "-0.5")),
    ("custom-not-summing-to-one", lambda: CustomDemand({0: 0.5, 1: 0.4}), ValueError,
     msg("demand_prob", "CustomDemand", "a mapping whose probabilities sum to 1", "0.9")),
    ("custom-non-integer-key", lambda: CustomDemand({1.5: 1.0}), TypeError,
     msg("demand_prob", "CustomDemand", "keyed by integer demand values", "1.5")),
    ("custom-negative-key", lambda: CustomDemand({-1: 1.0}), ValueError,
     msg("demand_prob", "CustomDemand", "keyed by demand values >= 0", "-1")),
    ("custom-empty", lambda: CustomDemand({}), ValueError,
     msg("demand_prob", "CustomDemand", "a non-empty mapping {demand value: probability}", "{}")),
    ("custom-not-a-mapping", lambda: CustomDemand([0.5, 0.5]), TypeError,
     msg("demand_prob", "CustomDemand", "a mapping {demand value: probability}", "[0.5, 0.5]")),
    # costs
    ("holding-negative", lambda: single(holding_cost=-1), ValueError, msg("holding_cost", S, REAL, "-1")),
    ("shortage-nan", lambda: single(shortage_cost=NAN), ValueError, msg("shortage_cost", S, REAL, "nan")),
    ("shortage-inf", lambda: single(shortage_cost=INF), ValueError, msg("shortage_cost", S, REAL, "inf")),
    ("order-cost-negative", lambda: single(order_cost=-0.5), ValueError, msg("order_cost", S, REAL, "-0.5")),
    ("holding-str", lambda: single(holding_cost="5"), TypeError, msg("holding_cost", S, REAL, "'5'")),
    ("dual-holding-nan", lambda: dual(holding_cost=NAN), ValueError, msg("holding_cost", D, REAL, "nan")),
    ("dual-expedited-cost-negative", lambda: dual(expedited_order_cost=-1), ValueError,
     msg("expedited_order_cost", D, REAL, "-1")),
    ("dual-regular-cost-inf", lambda: dual(regular_order_cost=INF), ValueError, msg("regular_order_cost", D, REAL, "inf")),
    ("dual-shortage-negative-inf", lambda: dual(shortage_cost=-INF), ValueError, msg("shortage_cost", D, REAL, "-inf")),
    # batch size, initial inventory, demand generator
    ("batch-zero", lambda: single(batch_size=0), ValueError, msg("batch_size", S, "an int >= 1", "0")),
    ("dual-batch-negative", lambda: dual(batch_size=-3), ValueError, msg("batch_size", D, "an int >= 1", "-3")),
    ("batch-float", lambda: single(batch_size=2.0), TypeError, msg("batch_size", S, "an int >= 1", "2.0")),
    ("init-inventory-fraction", lambda: single(init_inventory=2.5), ValueError,
     msg("init_inventory", S, "an integer number of units", "2.5")),
    ("demand-generator-str", lambda: single(demand_generator="U(0,4)"), TypeError,
     msg("demand_generator", S, "a demand model from idinn.demand (e.g. UniformDemand)", "'U(0,4)'")),
    ("dual-demand-generator-none", lambda: dual(demand_generator=None), TypeError,
     msg("demand_generator", D, "a demand model from idinn.demand (e.g. UniformDemand)", "None")),
    # neural controller hyperparameters
    ("hidden-zero-width", lambda: SingleSourcingNeuralController(hidden_layers=[0]), ValueError,
     msg("hidden_layers", "SingleSourcingNeuralController", "an int >= 1", "0")),
    ("hidden-negative-width", lambda: DualSourcingNeuralController(hidden_layers=[4, -1]), ValueError,
     msg("hidden_layers", "DualSourcingNeuralController", "an int >= 1", "-1")),
    ("hidden-empty", lambda: SingleSourcingNeuralController(hidden_layers=[]), ValueError,
     msg("hidden_layers", "SingleSourcingNeuralController", "a non-empty list of ints >= 1", "[]")),
    ("hidden-int", lambda: SingleSourcingNeuralController(hidden_layers=3), TypeError,
     msg("hidden_layers", "SingleSourcingNeuralController", "a list of ints >= 1", "3")),
    ("activation-str", lambda: SingleSourcingNeuralController(activation="relu"), TypeError,
     msg("activation", "SingleSourcingNeuralController", "a torch.nn.Module such as torch.nn.ReLU()", "'relu'")),
    ("base-stock-level-float", lambda: BaseStockController(base_stock_level=2.5), TypeError,
     msg("base_stock_level", "BaseStockController", "an int", "2.5")),
]


@pytest.mark.parametrize("make,exc,message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_message(make, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        make()


SN, DN = "SingleSourcingNeuralController", "DualSourcingNeuralController"

FIT_CASES = [
    ("epochs-zero", dict(epochs=0), ValueError, "epochs", "an int >= 1", "0"),
    ("sourcing-periods-zero", dict(sourcing_periods=0), ValueError, "sourcing_periods", "an int >= 1", "0"),
    ("validation-periods-zero", dict(validation_sourcing_periods=0), ValueError,
     "validation_sourcing_periods", "an int >= 1", "0"),
    ("epochs-float", dict(epochs=10.0), TypeError, "epochs", "an int >= 1", "10.0"),
    ("seed-negative", dict(seed=-1), ValueError, "seed", "an int >= 0", "-1"),
    ("discount-one", dict(discount=1.0), ValueError, "discount", "a finite real number > 0 and < 1", "1.0"),
    ("lr-zero", dict(parameters_lr=0.0), ValueError, "parameters_lr", "a finite real number > 0", "0.0"),
    ("writer-str", dict(tensorboard_writer="runs"), TypeError,
     "tensorboard_writer", "a torch.utils.tensorboard.SummaryWriter", "'runs'"),
]


@pytest.mark.parametrize("kind", ["single", "dual"])
@pytest.mark.parametrize("kw,exc,name,rule,got", [c[1:] for c in FIT_CASES], ids=[c[0] for c in FIT_CASES])
def test_bad_fit_arguments_raise_before_any_work(kind, kw, exc, name, rule, got):
    if kind == "single":
        ctrl, model, owner = SingleSourcingNeuralController(), single(), SN
    else:
        ctrl, model, owner = DualSourcingNeuralController(hidden_layers=[2]), dual(), DN
    args = dict(sourcing_model=model, sourcing_periods=5, epochs=2, seed=0, progress=False)
    args.update(kw)
    with pytest.raises(exc, match=re.escape(msg(name, owner, rule, got))):
        ctrl.fit(**args)
    assert ctrl.model is None and ctrl.sourcing_model is None  # nothing was built
    assert model.init_inventory.tolist() == [0.0]


def test_wrong_sourcing_model_type():
    with pytest.raises(TypeError, match=re.escape(msg("sourcing_model", SN, "a SingleSourcingModel", "'DualSourcingModel'"))):
        SingleSourcingNeuralController().fit(dual(), sourcing_periods=5, epochs=2)
    with pytest.raises(TypeError, match=re.escape(msg("sourcing_model", DN, "a DualSourcingModel", "'SingleSourcingModel'"))):
        DualSourcingNeuralController().fit(single(), sourcing_periods=5, epochs=2)
    with pytest.raises(TypeError, match=re.escape(
        msg("sourcing_model", "BaseStockController", "a SingleSourcingModel", "'DualSourcingModel'")
    )):
        BaseStockController().fit(dual())
    fitted = BaseStockController().fit(single())
    with pytest.raises(TypeError, match=re.escape(
        msg("sourcing_model", "BaseStockController", "a SingleSourcingModel", "'DualSourcingModel'")
    )):
        fitted.get_average_cost(dual(), 10)
    with pytest.raises(ValueError, match=re.escape(msg("sourcing_periods", "BaseStockController", "an int >= 1", "0"))):
        fitted.get_average_cost(single(), 0)


def test_bad_orders_to_a_model():
    m = single(batch_size=2)
    with pytest.raises(ValueError, match=re.escape(msg("q", S, "non-negative and not NaN", "[-1.0, -1.0]"))):
        m.order(-1)
    with pytest.raises(TypeError, match=re.escape(msg("q", S, "a tensor or a number", "'2'"))):
        m.order("2")
    with pytest.raises(ValueError, match=re.escape(msg("q", S, "one order per sample path (2)", "(3,)"))):
        m.order(torch.ones(3))
    d = dual()
    with pytest.raises(ValueError, match=re.escape(msg("expedited_q", D, "non-negative and not NaN", "[nan]"))):
        d.order(1, NAN)
    assert m.periods == 0 and d.periods == 0  # nothing was simulated


def test_evaluating_on_a_model_with_other_lead_times_is_refused():
    ctrl = SingleSourcingNeuralController().fit(single(batch_size=4), sourcing_periods=5, epochs=2, seed=0, progress=False)
    expected = (
        "The 'sourcing_model' parameter of SingleSourcingNeuralController must be a model with the lead "
        "times the controller was fitted for (0,). Got (2,) instead."
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        ctrl.get_average_cost(single(lead_time=2, batch_size=4), 10)
