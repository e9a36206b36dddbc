"""MultiSourcingModel (K <= 5 suppliers), SourcingProblem.multi and BaseMultiController."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import idinn
from idinn import MultiSourcingModel
from idinn.demand import UniformDemand
from idinn.dual_controller import DualIndexController
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
    inv, *columns = c.simulate(m, 12, seed=1)
    orders = np.stack(columns, axis=1)
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


# --------------------------------------------------------------------- multi-index heuristic
from idinn.exact import evaluate_policy  # noqa: E402
from idinn.multi_controller import MultiIndexController  # noqa: E402
from idinn.multi_controller.multi_index import multi_index_orders  # noqa: E402


def test_multi_index_rule_with_two_suppliers_is_the_dual_index_rule():
    p = DualSourcingModel(regular_lead_time=3, expedited_lead_time=1, regular_order_cost=0, expedited_order_cost=10,
                          holding_cost=5, shortage_cost=495, init_inventory=0,
                          demand_generator=UniformDemand(0, 4)).params
    rng = np.random.default_rng(0)
    states = np.concatenate([rng.integers(-10, 10, (200, 1)), rng.integers(0, 5, (200, 4))], axis=1).astype(float)
    for s_e, s_r in [(0, 0), (3, 9), (6, 6), (2, 14)]:
        assert np.array_equal(multi_index_orders(states, p, s_r, s_e), dual_index_orders(states, p, s_e, s_r))


def test_multi_index_with_two_suppliers_equals_dual_index_on_the_testbed():
    """Test-bed instance lr2_ce20_u04: DualIndexController finds (z_e, z_r) = (4, 9), cost 23.3377."""
    from idinn.instances import get_instance, make_model

    dual = make_model(get_instance("lr2_ce20_u04"))
    di = DualIndexController().fit(dual, seed=0)
    mi = MultiIndexController().fit(dual.problem, method="exhaustive")
    assert mi.base_stock_levels_ == (di.s_r, di.s_e) == (9, 4)
    assert mi.best_cost_is_exact_ and di.best_cost_is_exact_
    assert mi.best_cost_ == pytest.approx(di.best_cost_, abs=1e-9)
    assert round(mi.best_cost_, 4) == 23.3377  # best_dual_index_cost of the test-bed file


def _hand_rule(levels):
    """The K=3 rule written out for lead times (0, 1, 2): state [I, p1_0, p2_0, p2_1]."""
    s0, s1, s2 = levels

    def policy(state):
        i, a, b, c = (state[:, j] for j in range(4))
        q0 = (s0 - (i + a + b)).clamp(min=0)  # due by t: p1_0, p2_0
        q1 = (s1 - (i + a + b + c + q0)).clamp(min=0)  # due by t + 1: everything
        q2 = (s2 - (i + a + b + c + q0 + q1)).clamp(min=0)
        return torch.stack([q0, q1, q2], dim=1)

    return policy


def test_k3_search_finds_the_brute_force_best():
    problem = SourcingProblem.multi(lead_times=[0, 1, 2], order_costs=[20, 10, 0], holding_cost=5, shortage_cost=95,
                                    demand=UniformDemand(0, 2))
    grid = [(a, b, c) for a in range(3) for b in range(a, 5) for c in range(b, 7)]  # the automatic bounds
    costs = {g: evaluate_policy(_hand_rule(g), problem).average_cost for g in grid}
    brute = min(costs, key=lambda g: (round(costs[g], 9), g))
    c = MultiIndexController().fit(problem, seed=0)  # screened: simulation, then 16 exact evaluations
    assert len(c.search_.candidates) == len(grid)
    assert c.base_stock_levels_ == brute and c.best_cost_is_exact_
    assert c.best_cost_ == pytest.approx(costs[brute], abs=1e-9)


def test_multi_index_honours_capacities_and_review_periods():
    m = three_suppliers(order_capacities=[1, None, 3], review_periods=[1, 2, 7], review_offsets=[0, 1, 3])
    state = torch.tensor([[-5.0, 0, 0, 0, 0, 0, 0]])
    # period 3, every supplier reviewed; fastest first:
    # q0 = min(6 - (-5), 1) = 1; q1 = 8 - (-5 + 1) = 12; q2 = min(12 - (-5 + 13), 3) = 3
    assert multi_index_orders(state, m.params, 6, 8, 12, period=3).tolist() == [[1, 12, 3]]
    # period 4: suppliers 1 and 2 are not reviewed; their orders are zero
    assert multi_index_orders(state, m.params, 6, 8, 12, period=4).tolist() == [[1, 0, 0]]
    c = MultiIndexController().fit(m, sourcing_periods=200, n_paths=8, n_exact=1)
    assert not c.is_stationary
    with pytest.raises(ValueError, match="'period' parameter of MultiIndexController must be given"):
        c.policy(state)
    inv, *orders = c.simulate(m, 60, seed=3)  # the simulator refuses orders above capacity / off review
    q = np.stack(orders, axis=1)[1:]
    assert q[:, 0].max() <= 1 and q[:, 2].max() <= 3
    t = np.arange(60)
    assert q[(t - 1) % 2 != 0, 1].sum() == 0 and q[(t - 3) % 7 != 0, 2].sum() == 0
    assert q[:, 2].sum() > 0  # the slow cheap supplier is used on its review days


def test_multi_index_refusals_and_persistence(tmp_path):
    with pytest.raises(ValueError, match="'sourcing_model' parameter of MultiIndexController must be a model "
                                         "without fixed order costs"):
        MultiIndexController().fit(three_suppliers(fixed_order_costs=[0, 0, 5]))
    from idinn.dynamics import SourcingParams

    six = SourcingProblem(params=SourcingParams((0,) * 6, (0.0,) * 6, 1.0, 1.0), demand=UniformDemand(0, 4))
    with pytest.raises(ValueError, match=re.escape("'problem' parameter of MultiSourcingModel.from_problem must be "
                                                   "a problem with 1 to 5 suppliers. Got 6 instead.")):
        MultiIndexController().fit(six)
    with pytest.raises(ValueError, match="'method' parameter of MultiIndexController must be 'screened' or"):
        MultiIndexController().fit(three_suppliers(), method="grid")
    m = three_suppliers(init_inventory=2)
    c = MultiIndexController([4, 6, 12]).fit(m, search=False)
    assert c.base_stock_levels_ == (4, 6, 12) and c.best_cost_is_exact_
    assert c.best_cost_ == pytest.approx(evaluate_policy(lambda s: multi_index_orders(s, m.params, 4, 6, 12),
                                                         m.problem).average_cost)
    assert c.predict(0) == (4, 2, 6)
    path = tmp_path / "mi.pt"
    c.save(path)
    loaded = idinn.load_controller(path)
    assert isinstance(loaded, MultiIndexController) and loaded.base_stock_levels_ == (4, 6, 12)
    assert loaded.best_cost_ == c.best_cost_
    c.reset()
    with pytest.raises(idinn.NotFittedError):
        c.predict(0)


def test_large_grids_are_searched_coarse_to_fine():
    """4,960 monotone vectors (ranges 0..29): a lattice then finer lattices; the same optimum as the
    exhaustive exact search of the automatic (small) grid."""
    problem = SourcingProblem.multi(lead_times=[0, 1, 2], order_costs=[20, 10, 0], holding_cost=5, shortage_cost=95,
                                    demand=UniformDemand(0, 1))
    best = MultiIndexController().fit(problem, method="exhaustive")
    c = MultiIndexController().fit(problem, level_ranges=[range(30)] * 3, sourcing_periods=200, n_paths=8, seed=0)
    assert c.search_.notes[0].startswith("coarse-to-fine: simulated ") and c.search_.notes[0].endswith(
        " of 4960 candidates")
    assert c.best_cost_is_exact_ and c.base_stock_levels_ == best.base_stock_levels_
    assert c.best_cost_ == pytest.approx(best.best_cost_, abs=1e-9)
