"""Neural controllers under order capacities and fixed order costs (issue 10, items 1 and 5).

Capacities: the OrderHead bounds every order by construction (property test over random
states and random weights). Fixed costs: the straight-through indicator (forward exactly
the cost of ``period_cost``, backward the logistic surrogate), and the trained
single-sourcing controller at the exact (s, S) optimum.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from idinn.demand import UniformDemand
from idinn.dual_controller import DualSourcingNeuralController
from idinn.dynamics import SourcingParams, advance, period_cost
from idinn.exact import evaluate_policy
from idinn.neural.gradient import GradientTraining
from idinn.neural.network import INDICATOR_TEMPERATURE, demand_moments, OrderHead, order_indicator, ste_orders
from idinn.neural.rollout import FusedMLP, fixed_cost_gradient, torch_rollout_cost
from idinn.neural.training import TrainConfig
from idinn.single_controller import SingleSourcingNeuralController, SSController
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


def _dual(**kw):
    base = dict(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
                holding_cost=5, shortage_cost=495, init_inventory=0, batch_size=64,
                demand_generator=UniformDemand(0, 4))
    base.update(kw)
    return DualSourcingModel(**base)


def _scaled_network(ctrl, model, seed: int, scale: float) -> None:
    """A freshly drawn network whose outputs are blown up (orders far above any capacity)."""
    ctrl._build_network(model.params, seed=seed)
    with torch.no_grad():
        last = ctrl.model[-1]
        last.weight.mul_(scale)
        last.bias.add_(scale)


# ---------------------------------------------------------------- capacities
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    scale=st.floats(1.0, 1e4),
    states=st.lists(st.tuples(st.integers(-500, 500), st.integers(0, 60), st.integers(0, 60)), min_size=1, max_size=20),
)
def test_dual_orders_never_exceed_capacities(seed, scale, states):
    model = _dual(regular_order_capacity=7, expedited_order_capacity=3)
    ctrl = DualSourcingNeuralController(hidden_layers=[8, 4])
    _scaled_network(ctrl, model, seed, scale)
    q = ctrl.policy(torch.tensor(states, dtype=torch.float32))
    assert q.shape == (len(states), 2)
    assert bool((q >= 0).all())
    assert bool((q[:, 0] <= 7).all()) and bool((q[:, 1] <= 3).all())
    assert torch.equal(q, torch.floor(q))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), scale=st.floats(1.0, 1e4), inventory=st.lists(st.integers(-1000, 1000), min_size=1))
def test_single_orders_never_exceed_capacity(seed, scale, inventory):
    model = SingleSourcingModel(lead_time=0, holding_cost=1, shortage_cost=9, init_inventory=0,
                                demand_generator=UniformDemand(0, 4), order_capacity=5)
    ctrl = SingleSourcingNeuralController(hidden_layers=[4])
    _scaled_network(ctrl, model, seed, scale)
    q = ctrl.policy(torch.tensor(inventory, dtype=torch.float32)[:, None])
    assert bool((q <= 5).all()) and bool((q >= 0).all())


def test_capacity_head_bounds_and_gradient():
    head = OrderHead([3, None], 2)
    out = torch.tensor([[10.0, 10.0], [2.2, -1.0], [3.4, 3.4]], requires_grad=True)
    y = head(out)
    assert ste_orders(y).tolist() == [[3.0, 10.0], [2.0, 0.0], [3.0, 3.0]]
    y.sum().backward()
    # slope 1 below the bound u + 1/2, the straight-through slope 0.1 above it
    assert torch.allclose(out.grad, torch.tensor([[0.1, 1.0], [1.0, 1.0], [1.0, 1.0]]))


def test_capped_network_trains_through_autograd_and_the_simulator_accepts_it():
    model = _dual(regular_order_capacity=6, expedited_order_capacity=2, batch_size=16)
    ctrl = DualSourcingNeuralController(hidden_layers=[8, 4])
    ctrl.fit(model, sourcing_periods=15, epochs=3, validation_sourcing_periods=50, validation_freq=3, seed=0,
             init_policy=None, policy_iterations=0)
    assert not FusedMLP.supports(ctrl.policy_network)
    # the simulator refuses any order above capacity: a full simulation is the check
    sim = model.simulation_copy(batch_size=16)
    ctrl.simulate(sim, sourcing_periods=200, seed=3)
    ev = evaluate_policy(ctrl, model)  # refuses orders above capacity too
    assert ev.mean_orders[0] <= 6 and ev.mean_orders[1] <= 2


def test_zero_fixed_cost_and_no_capacity_keep_the_fused_path():
    model = _dual(regular_fixed_order_cost=0, expedited_order_capacity=None)
    ctrl = DualSourcingNeuralController(hidden_layers=[4])
    ctrl._build_network(model.params, seed=0)
    assert ctrl.head is None and FusedMLP.supports(ctrl.policy_network)


# ---------------------------------------------------------------- fixed costs
def test_order_indicator_forward_is_exact_and_backward_is_the_logistic_surrogate():
    o = torch.tensor([-3.0, 0.0, 0.99, 1.0, 1.5, 7.0], requires_grad=True)
    ind = order_indicator(o)
    q = ste_orders(o)
    assert ind.tolist() == (q > 0).float().tolist() == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    ind.sum().backward()
    z = (o.detach() - 1) / INDICATOR_TEMPERATURE
    expected = torch.sigmoid(z) * (1 - torch.sigmoid(z)) / INDICATOR_TEMPERATURE
    assert torch.allclose(o.grad, expected)
    assert o.grad[3] == pytest.approx(1 / (4 * INDICATOR_TEMPERATURE))


def test_fixed_cost_surrogate_adds_zero_cost_and_its_gradient():
    params = SourcingParams(lead_times=(1, 0), order_costs=(0.0, 2.0), holding_cost=1.0, shortage_cost=9.0,
                            fixed_order_costs=(10.0, 3.0))
    out = torch.tensor([[1.2, 0.3], [4.0, 1.0]], requires_grad=True)
    extra = fixed_cost_gradient(out, params)
    assert torch.equal(extra, torch.zeros(2))
    extra.sum().backward()
    z = (out.detach() - 1) / INDICATOR_TEMPERATURE
    dsig = torch.sigmoid(z) * (1 - torch.sigmoid(z)) / INDICATOR_TEMPERATURE
    assert torch.allclose(out.grad, dsig * torch.tensor([10.0, 3.0]))


def test_autograd_rollout_charges_the_fixed_cost_of_period_cost():
    """Hand-checked trajectory: the rollout cost equals period_cost summed along the path."""
    params = SourcingParams(lead_times=(0,), order_costs=(1.0,), holding_cost=2.0, shortage_cost=5.0,
                            fixed_order_costs=(7.0,))

    class OrderUpTo(torch.nn.Module):  # q = (3 - I)^+ : orders 3, 2, 0, 3 on demands 1, 4, ...
        def forward(self, x):
            return 3.5 - x[:, :1]

    demands = torch.tensor([[1.0, 4.0, 0.0]])
    total = torch_rollout_cost(OrderUpTo(), params, torch.zeros(1, 1), demands)
    # t0: I=0, q=3 -> y=2: 3 + 7 + 2*2 = 14; t1: q=1 -> y=3-4=-1: 1 + 7 + 5 = 13; t2: I=-1, q=4 -> y=3: 4 + 7 + 6 = 17
    assert float(total) == pytest.approx(14 + 13 + 17)
    state, tot = torch.zeros(1, 1), 0.0
    for t in range(3):
        q = torch.clamp(torch.floor(3.5 - state), min=0)
        state, y = advance(state, q, demands[:, t], params)
        tot += float(period_cost(y, q, params).sum())
    assert tot == pytest.approx(float(total))


def test_single_sourcing_fixed_cost_reaches_the_ss_optimum():
    """Warm start from the exact (s, S) policy, policy improvement, straight-through training."""
    model = SingleSourcingModel(lead_time=1, holding_cost=1, shortage_cost=9, init_inventory=0, batch_size=64,
                                demand_generator=UniformDemand(0, 4), fixed_order_cost=10)
    optimum = SSController().fit(model).expected_cost_
    ctrl = SingleSourcingNeuralController(hidden_layers=[16, 8])
    config = TrainConfig(sourcing_periods=30, epochs=4, validation_sourcing_periods=200, validation_freq=2, seed=1,
                         imitation_steps=400, policy_iteration_steps=300, parameters_lr=1e-3, patience=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ctrl._fit_neural(model, config, [GradientTraining()])
    cost = evaluate_policy(ctrl, model).average_cost
    assert cost <= optimum * 1.001
    assert cost >= optimum - 1e-9  # nothing beats the exact optimum


def test_straight_through_training_learns_to_batch_orders():
    """Gradient stage only: with K = 50 the network stops ordering every period."""
    model = SingleSourcingModel(lead_time=0, holding_cost=1, shortage_cost=9, init_inventory=5, batch_size=32,
                                demand_generator=UniformDemand(0, 4), fixed_order_cost=50)
    ctrl = SingleSourcingNeuralController(hidden_layers=[8])
    ctrl._build_network(model.params, seed=0, moments=demand_moments(model.demand_generator))
    # warm_start=True: from these weights, no (s, S) teacher; no validation: the last weights
    ctrl.fit(model, sourcing_periods=30, epochs=60, seed=0, parameters_lr=3e-2, warm_start=True)
    q = ctrl.policy(torch.arange(-2, 25, dtype=torch.float32)[:, None]).flatten()
    assert (q == 0).sum() >= 5  # no order when stock is high ...
    assert q.max() >= 6  # ... and larger batches than the mean demand (2) when it is low
    start_cost = 50 + 2 * 1  # ordering the mean every period costs at least K per period
    assert evaluate_policy(ctrl, model).average_cost < start_cost


def test_save_and_load_keep_capacities_and_fixed_costs(tmp_path):
    model = _dual(regular_order_capacity=7, expedited_fixed_order_cost=5)
    ctrl = DualSourcingNeuralController(hidden_layers=[4])
    _scaled_network(ctrl, model, 3, 100.0)
    path = tmp_path / "c.pt"
    ctrl.save(path)
    back = DualSourcingNeuralController().load(path)
    assert back.params_ == model.params
    x = torch.tensor([[-20.0, 0, 0], [5.0, 3, 1]])
    assert torch.equal(back.policy(x), ctrl.policy(x))
    assert bool((back.policy(x)[:, 0] <= 7).all())


def test_dual_fixed_costs_reach_the_shipped_exact_optimum():
    """Dual sourcing with (K_r, K_e) = (50, 50): the policy-iteration stage imitates the general
    engine's optimum, so the learned integer policy's exact cost is the shipped optimum."""
    from idinn.dual_controller import DualSourcingNeuralController
    from idinn.exact import evaluate_policy
    from idinn.instances import load_exact_optima
    from idinn.sourcing_model import DualSourcingModel

    row = next(r for r in load_exact_optima("dual_fixed_cost") if r.name == "lr2_ce10_u04_Kr50_Ke50")
    model = DualSourcingModel.from_problem(row.problem(), batch_size=64)
    ctrl = DualSourcingNeuralController(hidden_layers=[64, 32, 16]).fit(
        model, sourcing_periods=50, epochs=5, validation_sourcing_periods=200, validation_freq=5, seed=0)
    assert row.optimal_cost == pytest.approx(46.952622, abs=1e-6)
    assert evaluate_policy(ctrl, model).average_cost == pytest.approx(row.optimal_cost, rel=1e-3)
