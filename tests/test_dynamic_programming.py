"""DynamicProgrammingController (idinn.dual_controller.dynamic_programming)."""

from __future__ import annotations

import re

import pytest
import torch

from idinn._validation import NotFittedError
from idinn.demand import PoissonDemand, UniformDemand
from idinn.dual_controller.base import BaseDualController
from idinn.dual_controller.dynamic_programming import DynamicProgrammingController
from idinn.exact import evaluate_policy
from idinn.instances import get_instance, make_model
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


@pytest.fixture(scope="module")
def fitted():
    model = make_model(get_instance("lr3_ce10_u04"))
    return DynamicProgrammingController().fit(model), model


def test_fit_reproduces_published_optimum(fitted):
    ctrl, model = fitted
    assert isinstance(ctrl, BaseDualController)
    assert ctrl.sourcing_model is model
    assert ctrl.optimal_cost_ == pytest.approx(20.3411, abs=1e-4)
    assert ctrl.lower_bound_ <= 20.3411 + 5e-5 and ctrl.upper_bound_ >= 20.3411 - 5e-5
    assert ctrl.boundary_mass_ == 0.0
    t = ctrl.truncation_
    assert ctrl.policy_table_.shape == (t["max_position"] - t["min_position"] + 1, 5, 5, 2)
    assert ctrl.result_.converged


def test_exact_evaluation_of_the_controller_is_g_star(fitted):
    ctrl, model = fitted
    ev = evaluate_policy(ctrl, model)
    assert ev.average_cost == pytest.approx(ctrl.optimal_cost_, abs=1e-6)


def test_predict_looks_up_the_table(fitted):
    ctrl, _ = fitted
    zlo = ctrl.truncation_["min_position"]
    # l_r = 3, l_e = 0: state [I, r1, r2, r3] -> z = I + r1, pipeline (r2, r3)
    q = ctrl.predict(current_inventory=1, past_regular_orders=[2, 0, 3], past_expedited_orders=[])
    assert q == tuple(int(x) for x in ctrl.policy_table_[3 - zlo, 0, 3])
    qr, qe = ctrl.predict(current_inventory=torch.tensor([-4.0, 6.0]), past_regular_orders=[0, 0, 0])
    assert qr.shape == (2, 1) and qe.shape == (2, 1)
    assert qe[0, 0] > 0 and qe[1, 0] == 0  # expedite when short, not when long


def test_policy_outside_table_raises(fitted):
    ctrl, _ = fitted
    with pytest.raises(ValueError, match=re.escape("State [500.0, 0.0, 0.0, 0.0]")) as err:
        ctrl.policy(torch.tensor([[500.0, 0.0, 0.0, 0.0]]))
    t = ctrl.truncation_
    assert f"z in [{t['min_position']}, {t['max_position']}]" in str(err.value)
    assert f"[0, {t['max_regular_order']}]" in str(err.value)


def test_simulated_cost_close_to_optimum(fitted):
    ctrl, _ = fitted
    model = make_model(get_instance("lr3_ce10_u04"), batch_size=256)
    cost = ctrl.get_average_cost(model, sourcing_periods=400, seed=3).item()
    assert cost == pytest.approx(ctrl.optimal_cost_, rel=0.03)
    inv, reg, exp = ctrl.simulate(model, sourcing_periods=50, seed=1)
    assert inv.shape == reg.shape == exp.shape == (51,)


def test_far_initial_inventory_is_inside_the_table():
    model = DualSourcingModel(2, 0, 0, 5, 5, 495, 40, UniformDemand(0, 4))
    ctrl = DynamicProgrammingController().fit(model)
    assert ctrl.truncation_["max_position"] >= 40
    assert ctrl.optimal_cost_ == pytest.approx(16.7698, abs=1e-4)
    ev = evaluate_policy(ctrl, model)
    assert ev.average_cost == pytest.approx(ctrl.optimal_cost_, abs=1e-6)


def test_truncation_keywords_are_passed_on():
    model = make_model(get_instance("lr2_ce10_u04"))
    with pytest.warns(RuntimeWarning, match="Widen max_position"):
        ctrl = DynamicProgrammingController().fit(model, min_position=-2, max_position=3, max_regular_order=2)
    assert ctrl.truncation_ == {"min_position": -2, "max_position": 3, "max_regular_order": 2}
    assert ctrl.boundary_mass_ > 1e-6
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_pos'"):
        DynamicProgrammingController().fit(model, max_pos=3)


def test_bad_models():
    ctrl = DynamicProgrammingController()
    single = SingleSourcingModel(1, 1, 9, 0, UniformDemand(0, 2))
    with pytest.raises(TypeError, match=re.escape("The 'sourcing_model' parameter of DynamicProgrammingController")):
        ctrl.fit(single)
    poisson = DualSourcingModel(2, 0, 0, 5, 5, 495, 0, PoissonDemand(2.0))
    with pytest.raises(ValueError, match=re.escape("The 'demand_generator' parameter of DynamicProgrammingController must be a demand model with finite support")):
        ctrl.fit(poisson)
    equal = DualSourcingModel(2, 2, 0, 5, 5, 495, 0, UniformDemand(0, 4))
    with pytest.raises(ValueError, match=re.escape("expedited_lead_time < regular_lead_time")):
        ctrl.fit(equal)
    assert ctrl.sourcing_model is None


def test_not_fitted():
    ctrl = DynamicProgrammingController()
    with pytest.raises(NotFittedError):
        ctrl.predict(current_inventory=0)
    with pytest.raises(NotFittedError):
        _ = ctrl.optimal_cost_
    with pytest.raises(NotFittedError):
        ctrl.policy(torch.zeros(1, 3))


# ----------------------------------------------------------- idinn 0.2 names: vf, qf
def test_vf_qf_in_the_reference_layout():
    from idinn.dual_controller import DynamicProgrammingController
    from idinn.sourcing_model import DualSourcingModel

    model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0,
                              expedited_order_cost=20, holding_cost=5, shortage_cost=495,
                              init_inventory=0, demand_generator=UniformDemand(0, 4))
    controller = DynamicProgrammingController()
    assert controller.vf is None and controller.qf is None
    controller.fit(model)
    assert isinstance(controller.vf, float) and controller.vf == pytest.approx(23.0714, abs=1e-4)
    qf = controller.qf
    t = controller.truncation_
    assert len(qf) == (t["max_position"] - t["min_position"] + 1) * (t["max_regular_order"] + 1)
    # key (I + r_1, r_2): the inventory after this period's regular arrival, then the pipeline
    for inventory, r1, r2 in [(0, 0, 0), (-3, 2, 1), (4, 0, 3), (1, 4, 0)]:
        key = (inventory + r1, r2)
        assert qf[key] == controller.predict(current_inventory=inventory, past_regular_orders=[r1, r2])
        assert all(type(x) is int for x in (*key, *qf[key]))
    controller.reset()
    assert controller.vf is None and controller.qf is None and controller.sourcing_model is None
