"""Sourcing models: hand-computed trajectories, histories, seeding and batching."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from idinn.demand import CustomDemand, UniformDemand
from idinn.dynamics import period_cost, transition
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel

# --------------------------------------------------------------------------------------
# Hand-computed trajectories. Costs: h = 2, b = 10; single c = 1; dual c_r = 1, c_e = 3.
# I_0 = 3, empty pipelines.
# --------------------------------------------------------------------------------------

SINGLE_ORDERS = [2, 0, 5, 1, 0]
SINGLE_DEMANDS = [4, 3, 1, 2, 0]

# l = 0 (state [I]):
# t0: I = 3, q = 2 arrives, D = 4 -> I = 1;  cost 1*2 + 2*1  = 4
# t1: q = 0, D = 3             -> I = -2;   cost 0   + 10*2 = 20
# t2: q = 5, D = 1             -> I = 2;    cost 5   + 2*2  = 9
# t3: q = 1, D = 2             -> I = 1;    cost 1   + 2*1  = 3
# t4: q = 0, D = 0             -> I = 1;    cost 0   + 2*1  = 2
SINGLE_L0 = dict(inventories=[3, 1, -2, 2, 1, 1], costs=[4, 20, 9, 3, 2], state=[1])

# l = 2 (state [I, q_{t-2}, q_{t-1}]), start [3, 0, 0]:
# t0: q = 2, arrival 0, D = 4 -> I = -1, state [-1, 0, 2]; cost 2 + 10*1 = 12
# t1: q = 0, arrival 0, D = 3 -> I = -4, state [-4, 2, 0]; cost 0 + 40   = 40
# t2: q = 5, arrival 2, D = 1 -> I = -3, state [-3, 0, 5]; cost 5 + 30   = 35
# t3: q = 1, arrival 0, D = 2 -> I = -5, state [-5, 5, 1]; cost 1 + 50   = 51
# t4: q = 0, arrival 5, D = 0 -> I = 0,  state [0, 1, 0];  cost 0
SINGLE_L2 = dict(inventories=[3, -1, -4, -3, -5, 0], costs=[12, 40, 35, 51, 0], state=[0, 1, 0])

DUAL_ORDERS = [(2, 1), (0, 0), (4, 2), (1, 0), (0, 3)]
DUAL_DEMANDS = [4, 3, 1, 2, 4]

# (l_r, l_e) = (2, 0), state [I, r_1, r_2], start [3, 0, 0]:
# t0: (2, 1): arrivals r_1 0 + q_e 1 = 1, I = 3 + 1 - 4 = 0,  state [0, 0, 2];  cost 2 + 3 + 0   = 5
# t1: (0, 0): arrivals 0,                 I = 0 - 3 = -3,     state [-3, 2, 0]; cost 0 + 0 + 30  = 30
# t2: (4, 2): arrivals 2 + 2 = 4,         I = -3 + 4 - 1 = 0, state [0, 0, 4];  cost 4 + 6 + 0   = 10
# t3: (1, 0): arrivals 0,                 I = 0 - 2 = -2,     state [-2, 4, 1]; cost 1 + 0 + 20  = 21
# t4: (0, 3): arrivals 4 + 3 = 7,         I = -2 + 7 - 4 = 1, state [1, 1, 0];  cost 0 + 9 + 2   = 11
DUAL_2_0 = dict(inventories=[3, 0, -3, 0, -2, 1], costs=[5, 30, 10, 21, 11], state=[1, 1, 0])

# (l_r, l_e) = (3, 1), state [I, r_1, r_2, r_3, e_1], start [3, 0, 0, 0, 0]:
# t0: (2, 1): arrivals r_1 0 + e_1 0 = 0, I = -1, state [-1, 0, 0, 2, 1]; cost 2 + 3 + 10 = 15
# t1: (0, 0): arrivals 0 + 1 = 1,       I = -1 + 1 - 3 = -3, state [-3, 0, 2, 0, 0]; cost 30
# t2: (4, 2): arrivals 0 + 0 = 0,       I = -4, state [-4, 2, 0, 4, 2]; cost 4 + 6 + 40 = 50
# t3: (1, 0): arrivals 2 + 2 = 4,       I = -4 + 4 - 2 = -2, state [-2, 0, 4, 1, 0]; cost 1 + 20 = 21
# t4: (0, 3): arrivals 0 + 0 = 0,       I = -6, state [-6, 4, 1, 0, 3]; cost 9 + 60 = 69
DUAL_3_1 = dict(inventories=[3, -1, -3, -4, -2, -6], costs=[15, 30, 50, 21, 69], state=[-6, 4, 1, 0, 3])


def single_model(lead_time, demand=None, batch_size=1, init_inventory=3):
    return SingleSourcingModel(
        lead_time=lead_time,
        holding_cost=2,
        shortage_cost=10,
        init_inventory=init_inventory,
        demand_generator=UniformDemand(0, 4) if demand is None else demand,
        batch_size=batch_size,
        order_cost=1,
    )


def dual_model(lr, le, demand=None, batch_size=1, init_inventory=3):
    return DualSourcingModel(
        regular_lead_time=lr,
        expedited_lead_time=le,
        regular_order_cost=1,
        expedited_order_cost=3,
        holding_cost=2,
        shortage_cost=10,
        init_inventory=init_inventory,
        demand_generator=UniformDemand(0, 4) if demand is None else demand,
        batch_size=batch_size,
    )


@pytest.mark.parametrize("lead_time,expected", [(0, SINGLE_L0), (2, SINGLE_L2)])
def test_single_trajectory_by_hand_with_step(lead_time, expected):
    m = single_model(lead_time)
    costs = []
    for q, d in zip(SINGLE_ORDERS, SINGLE_DEMANDS):
        costs.append(float(m.step(torch.tensor([[float(q)]]), torch.tensor([float(d)])).detach()))
        assert m.get_last_cost().shape == (1, 1)
        assert float(m.get_last_cost().detach()) == costs[-1]
    assert costs == expected["costs"]
    assert m.periods == 5
    assert m.get_past_inventories().shape == (1, 6)
    assert m.get_past_inventories()[0].tolist() == expected["inventories"]
    assert m.get_past_orders().shape == (1, 6)
    assert m.get_past_orders()[0].tolist() == [0] + SINGLE_ORDERS
    assert m.get_past_demands().shape == (1, 6)
    assert m.get_past_demands()[0].tolist() == [0] + SINGLE_DEMANDS
    assert m.get_current_inventory().shape == (1, 1)
    assert m.get_current_inventory().tolist() == [[expected["inventories"][-1]]]
    assert m.get_state()[0].tolist() == expected["state"]


@pytest.mark.parametrize("lead_times,expected", [((2, 0), DUAL_2_0), ((3, 1), DUAL_3_1)])
def test_dual_trajectory_by_hand_with_step(lead_times, expected):
    m = dual_model(*lead_times)
    costs = []
    for (qr, qe), d in zip(DUAL_ORDERS, DUAL_DEMANDS):
        costs.append(float(m.step(torch.tensor([[float(qr), float(qe)]]), torch.tensor([float(d)])).detach()))
        assert m.get_last_regular_order().tolist() == [[qr]]
        assert m.get_last_expedited_order().tolist() == [[qe]]
    assert costs == expected["costs"]
    assert m.get_past_inventories().shape == (1, 6)
    assert m.get_past_inventories()[0].tolist() == expected["inventories"]
    assert m.get_past_regular_orders().shape == (1, 6)
    assert m.get_past_regular_orders()[0].tolist() == [0] + [r for r, _ in DUAL_ORDERS]
    assert m.get_past_expedited_orders().shape == (1, 6)
    assert m.get_past_expedited_orders()[0].tolist() == [0] + [e for _, e in DUAL_ORDERS]
    assert m.get_past_demands()[0].tolist() == [0] + DUAL_DEMANDS
    assert m.get_current_inventory().tolist() == [[expected["inventories"][-1]]]
    assert m.get_state()[0].tolist() == expected["state"]


@pytest.mark.parametrize("lead_times,expected", [((0,), SINGLE_L0), ((2,), SINGLE_L2), ((2, 0), DUAL_2_0), ((3, 1), DUAL_3_1)])
def test_trajectories_by_hand_through_pure_functions(lead_times, expected):
    """The same tables through idinn.dynamics on numpy arrays."""
    m = single_model(*lead_times) if len(lead_times) == 1 else dual_model(*lead_times)
    orders = SINGLE_ORDERS if len(lead_times) == 1 else DUAL_ORDERS
    demands = SINGLE_DEMANDS if len(lead_times) == 1 else DUAL_DEMANDS
    state = np.zeros((1, m.params.state_dim))
    state[0, 0] = 3
    inventories, costs = [3.0], []
    for q, d in zip(orders, demands):
        qa = np.array([q if isinstance(q, tuple) else (q,)], dtype=float)
        state = transition(state, qa, np.array([float(d)]), m.params)
        costs.append(float(period_cost(state[:, 0], qa, m.params)[0]))
        inventories.append(float(state[0, 0]))
    assert inventories == expected["inventories"]
    assert costs == expected["costs"]


# --------------------------------------------------------------------------------------
# order(...) with the model's own seeded generator.
# --------------------------------------------------------------------------------------


def test_single_order_with_constant_demand_by_hand():
    """l = 2, D = 2 every period (U{2..2}), h = 1, b = 4, c = 0, I_0 = 5.

    t0: q = 3, arrival 0: I = 5 - 2 = 3, state [3, 0, 3]; cost 1*3 = 3
    t1: q = 0, arrival 0: I = 1,         state [1, 3, 0]; cost 1
    t2: q = 1, arrival 3: I = 2,         state [2, 0, 1]; cost 2
    t3: q = 4, arrival 0: I = 0,         state [0, 1, 4]; cost 0
    t4: q = 0, arrival 1: I = -1,        state [-1, 4, 0]; cost 4*1 = 4
    """
    m = SingleSourcingModel(2, holding_cost=1, shortage_cost=4, init_inventory=5, demand_generator=UniformDemand(2, 2))
    costs = []
    for t, q in enumerate([3, 0, 1, 4, 0]):
        m.order(q, seed=t)  # a number, re-seeding every period
        costs.append(float(m.get_last_cost().detach()))
    assert costs == [3, 1, 2, 0, 4]
    assert m.get_past_inventories()[0].tolist() == [5, 3, 1, 2, 0, -1]
    assert m.get_past_orders()[0].tolist() == [0, 3, 0, 1, 4, 0]
    assert m.get_past_demands()[0].tolist() == [0, 2, 2, 2, 2, 2]
    assert m.get_state()[0].tolist() == [-1, 4, 0]


def test_dual_order_with_constant_demand_by_hand():
    """(3, 1), D = 1 (CustomDemand {1: 1}), c_r = 2, c_e = 5, h = 1, b = 3, I_0 = 0.

    t0: (1, 2): arrivals 0,       I = -1, state [-1, 0, 0, 1, 2]; cost 2 + 10 + 3 = 15
    t1: (2, 0): arrivals e_1 = 2, I = 0,  state [0, 0, 1, 2, 0];  cost 4
    t2: (0, 1): arrivals 0,       I = -1, state [-1, 1, 2, 0, 1]; cost 5 + 3 = 8
    """
    m = DualSourcingModel(3, 1, 2, 5, 1, 3, init_inventory=0, demand_generator=CustomDemand({1: 1.0}), batch_size=2)
    costs = []
    for qr, qe in [(1, 2), (2, 0), (0, 1)]:
        m.order(torch.tensor([float(qr)] * 2), torch.tensor([[float(qe)]] * 2), seed=4)  # (B,) and (B, 1)
        costs.append(m.get_last_cost()[:, 0].tolist())
    assert costs == [[15, 15], [4, 4], [8, 8]]
    assert m.get_past_inventories().tolist() == [[0, -1, 0, -1]] * 2
    assert m.get_past_regular_orders().tolist() == [[0, 1, 2, 0]] * 2
    assert m.get_past_expedited_orders().tolist() == [[0, 2, 0, 1]] * 2
    assert m.get_state().tolist() == [[-1, 1, 2, 0, 1]] * 2


@pytest.mark.parametrize("lead_time", [0, 1, 2])
def test_single_order_uses_the_seeded_generator(lead_time):
    """Demands equal draws from a torch.Generator with the same seed; I' = I + arrival - D."""
    b, seed, orders = 3, 11, [2, 0, 3, 1, 4, 2]
    m = single_model(lead_time, demand=UniformDemand(0, 4), batch_size=b)
    m.order(orders[0], seed=seed)
    for q in orders[1:]:
        m.order(torch.full((b, 1), float(q)))
    g = torch.Generator().manual_seed(seed)
    expected_demands = torch.stack([torch.randint(0, 5, (b, 1), generator=g)[:, 0] for _ in orders], 1).float()
    demands = m.get_past_demands()
    assert demands.shape == (b, len(orders) + 1)
    assert torch.equal(demands[:, 1:], expected_demands)
    assert not bool((expected_demands == expected_demands[0]).all())  # paths differ

    inv = m.get_past_inventories().detach()
    for i in range(b):
        level, pipeline = 3.0, [0.0] * lead_time
        for t, q in enumerate(orders):
            if lead_time == 0:
                arrival = q
            else:
                arrival = pipeline.pop(0)
                pipeline.append(q)
            level = level + arrival - float(expected_demands[i, t])
            assert float(inv[i, t + 1]) == level
        assert m.get_state()[i].tolist() == [level, *pipeline]

    # The same seed replays the same demands.
    m.reset()
    m.order(orders[0], seed=seed)
    assert torch.equal(m.get_past_demands()[:, 1], expected_demands[:, 0])


def test_dual_order_uses_the_seeded_generator():
    b, seed = 4, 5
    m = dual_model(2, 0, demand=UniformDemand(1, 6), batch_size=b)
    m.order(1, 2, seed=seed)
    m.order(3, 0)
    g = torch.Generator().manual_seed(seed)
    d0 = torch.randint(1, 7, (b, 1), generator=g)[:, 0].float()
    d1 = torch.randint(1, 7, (b, 1), generator=g)[:, 0].float()
    assert torch.equal(m.get_past_demands(), torch.stack([torch.zeros(b), d0, d1], 1))
    # t0: e = 2 arrives; t1: nothing arrives (r_1 = 0, q_e = 0).
    assert torch.equal(m.get_past_inventories()[:, 1], 3 + 2 - d0)
    assert torch.equal(m.get_past_inventories()[:, 2], 3 + 2 - d0 - d1)
    assert m.get_state()[:, 1:].tolist() == [[1, 3]] * b


# --------------------------------------------------------------------------------------
# Batching: one run of B paths equals B runs of one path.
# --------------------------------------------------------------------------------------


def order_up_to(state: torch.Tensor, n_suppliers: int) -> torch.Tensor:
    """A state-dependent rule so that the paths differ: regular up to 9, expedited up to 2."""
    position = state.sum(dim=1, keepdim=True)
    regular = torch.clamp(9 - position, min=0)
    if n_suppliers == 1:
        return regular
    expedited = torch.clamp(2 - state[:, :1], min=0)
    return torch.cat([regular, expedited], 1)


@pytest.mark.parametrize("lead_times", [(0,), (2,), (2, 0), (3, 1)])
def test_batched_run_equals_runs_one_by_one(lead_times):
    b, periods = 5, 12
    demands = UniformDemand(0, 6).sample_periods(b, periods, torch.Generator().manual_seed(3))

    def make(batch_size):
        if len(lead_times) == 1:
            return single_model(lead_times[0], batch_size=batch_size)
        return dual_model(*lead_times, batch_size=batch_size)

    batched = make(b)
    batched_costs = []
    for t in range(periods):
        q = order_up_to(batched.get_state(), len(lead_times))
        batched_costs.append(batched.step(q, demands[:, t]))
    batched_costs = torch.stack(batched_costs, 1)
    assert batched.get_past_inventories().shape == (b, periods + 1)
    assert len(set(map(tuple, batched.get_past_inventories().tolist()))) > 1  # paths differ

    for i in range(b):
        one = make(1)
        costs = []
        for t in range(periods):
            q = order_up_to(one.get_state(), len(lead_times))
            costs.append(one.step(q, demands[i : i + 1, t]))
        assert torch.equal(torch.stack(costs, 1)[0], batched_costs[i])
        assert torch.equal(one.get_past_inventories()[0], batched.get_past_inventories()[i])
        assert torch.equal(one.get_past_demands()[0], batched.get_past_demands()[i])
        assert torch.equal(one._stacked("ord")[0], batched._stacked("ord")[i])
        assert torch.equal(one.get_state()[0], batched.get_state()[i])


def test_reset_restarts_from_the_initial_state():
    m = dual_model(3, 1, batch_size=2)
    m.order(2, 1, seed=0)
    m.order(2, 1)
    m.reset(batch_size=4)
    assert m.batch_size == 4 and m.periods == 0
    assert m.get_state().tolist() == [[3, 0, 0, 0, 0]] * 4
    assert m.get_past_inventories().tolist() == [[3]] * 4
    assert m.get_past_demands().tolist() == [[0]] * 4
    assert m.get_init_inventory().tolist() == [3.0]


def test_getters():
    m = single_model(2)
    assert (m.get_lead_time(), m.lead_time, m.get_holding_cost(), m.get_shortage_cost(), m.get_order_cost()) == (
        2, 2, 2.0, 10.0, 1.0,
    )
    d = dual_model(3, 1)
    assert (d.get_regular_lead_time(), d.get_expedited_lead_time()) == (3, 1)
    assert (d.get_regular_order_cost(), d.get_expedited_order_cost()) == (1.0, 3.0)
    assert d.params.lead_times == (3, 1) and d.params.order_costs == (1.0, 3.0)


# ------------------------------------------------- facade over a problem, bounded evaluation
def test_from_problem_and_back():
    from idinn.problem import SourcingProblem
    from idinn.sourcing_model import BaseSourcingModel, DualSourcingModel, SingleSourcingModel

    p = SourcingProblem.dual(regular_lead_time=2, expedited_lead_time=1, regular_order_cost=1,
                             expedited_order_cost=3, holding_cost=1, shortage_cost=9,
                             demand=UniformDemand(0, 3), init_inventory=4).replace(init_pipeline=(1, 2, 0))
    m = DualSourcingModel.from_problem(p, batch_size=3)
    assert type(m) is DualSourcingModel and m.batch_size == 3 and m.problem == p
    assert m.get_state().tolist() == [[4.0, 1.0, 2.0, 0.0]] * 3
    assert type(BaseSourcingModel.from_problem(p)) is DualSourcingModel
    with pytest.raises(ValueError, match=re.escape("The 'problem' parameter of SingleSourcingModel.from_problem must be a problem with 1 supplier(s). Got 2 instead.")):
        SingleSourcingModel.from_problem(p)


def test_evaluation_keeps_no_graph_and_bounded_histories(monkeypatch):
    import idinn._controller as controller_module
    from idinn.single_controller import BaseStockController

    m = SingleSourcingModel(lead_time=1, holding_cost=1, shortage_cost=9, init_inventory=0,
                            demand_generator=UniformDemand(0, 4), batch_size=8)
    c = BaseStockController().fit(m)
    full = c.get_average_cost(m, sourcing_periods=50, seed=3)
    assert not full.requires_grad and m.get_past_inventories().shape == (8, 51)
    # beyond the limit: the same paths (the demand of 8 x 50 is drawn in one chunk of 50
    # periods here), only the last period kept
    monkeypatch.setattr(controller_module, "EVALUATION_HISTORY_LIMIT", 8 * 49)
    bounded = c.get_average_cost(m, sourcing_periods=50, seed=3)
    assert m.get_past_inventories().shape == (8, 1)
    assert m.periods == 50
    assert not bounded.requires_grad and torch.isfinite(bounded)


def test_simulate_leaves_the_users_model_alone():
    from idinn.single_controller import BaseStockController

    m = SingleSourcingModel(lead_time=0, holding_cost=1, shortage_cost=9, init_inventory=0,
                            demand_generator=UniformDemand(0, 4), batch_size=5)
    c = BaseStockController().fit(m)
    c.get_total_cost(m, sourcing_periods=7, seed=1)
    inv = m.get_past_inventories().clone()
    a = c.simulate(m, sourcing_periods=10, seed=4)
    b = c.simulate(m, sourcing_periods=10, seed=4)
    assert m.batch_size == 5 and torch.equal(m.get_past_inventories(), inv)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    # unseeded simulations draw their seed from the model's generator: they differ
    m.seed(0)
    x = c.simulate(m, sourcing_periods=30)
    y = c.simulate(m, sourcing_periods=30)
    assert not np.array_equal(x[0], y[0])
    assert c.get_last_cost(m).shape == (5, 1)
