"""MultiSourcingModel (K <= 5 suppliers), SourcingProblem.multi and BaseMultiController."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import idinn
from idinn import MultiSourcingModel
from idinn.demand import UniformDemand
from idinn.dual_controller.dual_index import dual_index_orders
from idinn.multi_controller import BaseMultiController
from idinn.problem import SourcingProblem
from idinn.sourcing_model import BaseSourcingModel, DualSourcingModel


def three_suppliers(**kw) -> MultiSourcingModel:
    return MultiSourcingModel(lead_times=[0, 2, 4], order_costs=[20, 10, 0], holding_cost=5, shortage_cost=95,
                              demand_generator=UniformDemand(0, 4), **kw)


class FixedRule(BaseMultiController):
    """Order-up-to rule per supplier on the full inventory position (test helper)."""

    def __init__(self, level: int = 0) -> None:
        self.level = level

    def fit(self, sourcing_model):
        self.sourcing_model = self._model_to_fit(sourcing_model)
        return self

    def _policy_at(self, state, period):
        ip = state.sum(1)
        q = (self.level - ip).clamp(min=0)
        out = torch.zeros(state.shape[0], self._fitted_params().n_suppliers)
        out[:, -1] = q
        return out

    def _fitted_state(self):
        return {}

    def _restore_fitted_state(self, state):
        pass


@pytest.mark.parametrize("excess_demand", ["backlog", "lost_sales"])
@pytest.mark.parametrize("batch", [1, 5])
def test_two_suppliers_are_bit_for_bit_the_dual_model(excess_demand, batch):
    """Same seed, same controller: identical trajectories, orders, demands and costs."""
    kw = dict(holding_cost=5, shortage_cost=495, init_inventory=6, demand_generator=UniformDemand(0, 4),
              batch_size=batch, excess_demand=excess_demand)
    dual = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0,
                             expedited_order_cost=20, **kw)
    multi = MultiSourcingModel(lead_times=[2, 0], order_costs=[0, 20], **kw)
    assert multi.problem == dual.problem
    params = dual.params

    class controller:  # the dual index rule of DualIndexController, levels (4, 9)
        @staticmethod
        def policy(state):
            return dual_index_orders(state, params, 4, 9)

    dual.reset(seed=123)
    multi.reset(seed=123)
    costs = []
    for _ in range(40):
        q = controller.policy(dual.get_state())
        assert torch.equal(q, controller.policy(multi.get_state()))
        dual.order(q[:, 0], q[:, 1])
        multi.order(q)
        costs.append((dual.get_last_cost(), multi.get_last_cost()))
    assert torch.equal(dual.get_past_inventories(), multi.get_past_inventories())
    assert torch.equal(dual.get_past_demands(), multi.get_past_demands())
    assert torch.equal(dual.get_past_regular_orders(), multi.get_past_orders(0))
    assert torch.equal(dual.get_past_expedited_orders(), multi.get_past_orders(1))
    assert all(torch.equal(a, b) for a, b in costs)
    assert float(dual.get_past_demands().sum()) > 0  # the paths are not trivial


def test_accessors_and_state_layout():
    m = three_suppliers(init_inventory=3, batch_size=2, fixed_order_costs=[0, 5, 0], order_capacities=[4, None, 9],
                        review_periods=[1, 1, 7], review_offsets=[0, 0, 2])
    assert m.get_lead_times() == (0, 2, 4) and m.lead_times == (0, 2, 4) and m.n_suppliers == 3
    assert m.get_order_costs() == (20.0, 10.0, 0.0) and m.get_order_cost(1) == 10.0 and m.get_lead_time(2) == 4
    assert m.get_fixed_order_costs() == (0.0, 5.0, 0.0)
    assert m.get_order_capacities() == (4, None, 9)
    assert m.get_review_periods() == (1, 1, 7) and m.get_review_offsets() == (0, 0, 2)
    assert m.get_state().tolist() == [[3, 0, 0, 0, 0, 0, 0]] * 2
    m.order(torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0]]), seed=0)
    m.order([1, 0, 0])
    m.order([0, 0, 3])  # period 2: supplier 2's review period
    assert m.get_past_orders().shape == (2, 4, 3)
    assert m.get_past_orders(1).tolist() == [[0, 2, 0, 0], [0, 1, 0, 0]]
    assert m.get_last_orders().tolist() == [[0, 0, 3]] * 2
    # pipelines: supplier 1 [q_1, q_2], supplier 2 [0, q_0, q_1, q_2]
    assert m.get_state()[:, 1:].tolist() == [[0, 0, 0, 0, 0, 3], [0, 0, 0, 0, 0, 3]]


def test_hand_computed_three_supplier_trajectory():
    """Lead times (0, 1, 2), demand fixed by hand, orders (1, 2, 3) every period."""
    m = MultiSourcingModel(lead_times=[0, 1, 2], order_costs=[3, 2, 1], holding_cost=1, shortage_cost=10,
                           demand_generator=UniformDemand(0, 4), init_inventory=2)
    demand = [5, 4, 6, 1]
    for d in demand:
        m.step(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([float(d)]))
    # I_{t+1} = I_t + q0_t + q1_{t-1} + q2_{t-2} - D_t
    # t0: 2 + 1 + 0 + 0 - 5 = -2; t1: -2 + 1 + 2 + 0 - 4 = -3; t2: -3 + 1 + 2 + 3 - 6 = -3; t3: -3 + 6 - 1 = 2
    assert m.get_past_inventories()[0].tolist() == [2, -2, -3, -3, 2]
    assert m.get_last_cost().item() == 3 + 4 + 3 + 2  # order costs 10 plus holding 2


def test_more_than_five_suppliers_are_refused():
    msg = ("The 'lead_times' parameter of MultiSourcingModel must be a list of 1 to 5 lead times (one per "
           "supplier; at most 5 suppliers are supported). Got [0, 1, 2, 3, 4, 5] instead.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        MultiSourcingModel(lead_times=[0, 1, 2, 3, 4, 5], order_costs=[0] * 6, holding_cost=1, shortage_cost=1,
                           demand_generator=UniformDemand(0, 4))
    with pytest.raises(ValueError, match=re.escape(msg.replace("MultiSourcingModel", "SourcingProblem"))):
        SourcingProblem.multi(lead_times=[0, 1, 2, 3, 4, 5], order_costs=[0] * 6, holding_cost=1, shortage_cost=1,
                              demand=UniformDemand(0, 4))


@pytest.mark.parametrize(("kw", "fragment"), [
    (dict(order_costs=[1, 2]), "'order_costs' parameter of MultiSourcingModel must be None or a list with one"),
    (dict(fixed_order_costs=[0, -1, 0]), "'fixed_order_costs' parameter of MultiSourcingModel must be a finite"),
    (dict(order_capacities=[1, 0, None]), "'order_capacities' parameter of MultiSourcingModel must be an int >= 1"),
    (dict(review_periods=[1, 7, 1], review_offsets=[0, 7, 0]), "within [0, R_k)"),
    (dict(review_offsets=[0, 1, 0]), "'review_offsets' parameter of MultiSourcingModel must be None unless"),
    (dict(lead_times=[0, -1, 2]), "'lead_times' parameter of MultiSourcingModel must be an int >= 0"),
    (dict(excess_demand="lost"), "'excess_demand' parameter of MultiSourcingModel"),
])
def test_bad_input_is_refused_up_front(kw, fragment):
    args = dict(lead_times=[0, 2, 4], order_costs=[20, 10, 0], holding_cost=5, shortage_cost=95,
                demand_generator=UniformDemand(0, 4))
    args.update(kw)
    with pytest.raises((ValueError, TypeError), match=re.escape(fragment)):
        MultiSourcingModel(**args)


def test_problem_builder_and_from_problem_round_trip():
    p = SourcingProblem.multi(lead_times=[0, 2, 4], order_costs=[20, 10, 0], holding_cost=5, shortage_cost=495,
                              demand=UniformDemand(0, 4), init_inventory=2, order_capacities=[None, None, 8],
                              review_periods=[1, 1, 7], review_offsets=[0, 0, 3])
    assert p.n_suppliers == 3 and p.params.order_capacities == (None, None, 8)
    assert SourcingProblem.from_dict(p.to_dict()) == p
    m = MultiSourcingModel.from_problem(p, batch_size=3)
    assert isinstance(m, MultiSourcingModel) and m.problem == p and m.batch_size == 3
    assert isinstance(BaseSourcingModel.from_problem(p), MultiSourcingModel)
    assert three_suppliers().problem == SourcingProblem.multi(
        lead_times=[0, 2, 4], order_costs=[20, 10, 0], holding_cost=5, shortage_cost=95, demand=UniformDemand(0, 4))
    # two suppliers: the same problem as the dual builder
    dual = SourcingProblem.dual(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0,
                                expedited_order_cost=20, holding_cost=5, shortage_cost=495, demand=UniformDemand(0, 4))
    assert SourcingProblem.multi(lead_times=[2, 0], order_costs=[0, 20], holding_cost=5, shortage_cost=495,
                                 demand=UniformDemand(0, 4)) == dual


def test_base_multi_controller_api(tmp_path):
    m = three_suppliers(init_inventory=0, batch_size=4)
    c = FixedRule(level=9).fit(m)
    assert c.predict(2, [None, [1, 1], [0, 1, 1, 1]]) == (0, 0, 2)  # 9 - (2 + 2 + 3)
    q = c.predict(torch.tensor([2.0, 20.0]))
    assert q.shape == (2, 3) and q.tolist() == [[0, 0, 7], [0, 0, 0]]
    inv, orders = c.simulate(m, 12, seed=1)
    assert inv.shape == (13,) and orders.shape == (13, 3) and m.batch_size == 4
    assert orders[1:, :2].sum() == 0 and orders[1, 2] == 9
    fig, axes = c.plot(m, 12, seed=1)
    assert len(axes) == 4
    import matplotlib.pyplot as plt

    plt.close(fig)
    # fit from a problem; save / load through the controller registry
    c2 = FixedRule(level=9).fit(m.problem)
    assert isinstance(c2.sourcing_model, MultiSourcingModel)
    path = tmp_path / "c.pt"
    c2.save(path)
    loaded = idinn.load_controller(path)
    assert isinstance(loaded, FixedRule) and loaded.sourcing_model.problem == m.problem
    with pytest.raises(TypeError, match="'sourcing_model' parameter of FixedRule must be a MultiSourcingModel"):
        FixedRule().fit("model")
