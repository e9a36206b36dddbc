"""Neural controllers under lost sales (issue 9 item 4): training runs, exact gaps on small instances."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from idinn.demand import UniformDemand
from idinn.dual_controller import DualSourcingNeuralController
from idinn.exact import evaluate_policy, solve_lost_sales_average_cost
from idinn.instances import load_lost_sales_testbed
from idinn.single_controller import SingleSourcingNeuralController
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


def zipkin_model(name: str) -> SingleSourcingModel:
    inst = {i.name: i for i in load_lost_sales_testbed()}[name]
    return SingleSourcingModel(
        lead_time=inst.lead_time, holding_cost=inst.holding_cost, shortage_cost=inst.lost_sales_penalty,
        batch_size=32, init_inventory=0, demand_generator=inst.demand_model().truncated(tail_mass=1e-10),
        excess_demand="lost_sales",
    )


def test_single_lost_sales_recipe_is_within_0_1_percent_of_the_exact_optimum():
    """Zipkin's Poisson L = 2, p = 9 (optimum 6.09): exact evaluation of the learned integer policy."""
    model = zipkin_model("poisson_L2_p9")
    ctrl = SingleSourcingNeuralController(hidden_layers=[32, 32]).fit(
        model, sourcing_periods=20, epochs=2, validation_sourcing_periods=100, validation_freq=1,
        parameters_lr=1e-4, policy_iterations=1, policy_iteration_steps=800, seed=0, progress=False,
    )
    optimum = solve_lost_sales_average_cost(model).average_cost
    assert optimum == pytest.approx(6.0936, abs=1e-4)  # Zipkin (2008): 6.09
    assert ctrl.optimal_cost_ == pytest.approx(optimum, rel=1e-9)
    cost = evaluate_policy(ctrl, model).average_cost
    assert optimum - 1e-6 <= cost <= optimum * 1.001
    assert ctrl.policy_iteration_log_ and ctrl.policy_iteration_log_[0]["cost"] >= optimum - 1e-6
    # on-hand stock is never negative in the policy's chain
    assert (evaluate_policy(ctrl, model).states[:, 0] >= 0).all()


def test_gradient_training_alone_runs_under_lost_sales():
    """No exact stage: training through the lost-sales dynamics gets within 5 % of the optimum."""
    model = SingleSourcingModel(lead_time=1, holding_cost=1, shortage_cost=9, batch_size=64, init_inventory=0,
                                demand_generator=UniformDemand(0, 4), excess_demand="lost_sales")
    ctrl = SingleSourcingNeuralController(hidden_layers=[8]).fit(
        model, sourcing_periods=30, epochs=300, validation_sourcing_periods=200, validation_freq=20,
        policy_iterations=0, parameters_lr=1e-2, seed=3, progress=False,
    )
    assert ctrl.policy_iteration_log_ == []
    cost = evaluate_policy(ctrl, model).average_cost
    optimum = solve_lost_sales_average_cost(model).average_cost
    assert optimum <= cost <= optimum * 1.05


def test_policy_iterations_refused_without_lost_sales():
    model = SingleSourcingModel(lead_time=1, holding_cost=1, shortage_cost=9, batch_size=8, init_inventory=0,
                                demand_generator=UniformDemand(0, 4))
    with pytest.raises(ValueError, match="'policy_iterations' parameter of SingleSourcingNeuralController"):
        SingleSourcingNeuralController().fit(model, sourcing_periods=5, epochs=1, policy_iterations=2, progress=False)
    with pytest.raises(TypeError, match="'init_policy' parameter"):
        SingleSourcingNeuralController().fit(model, sourcing_periods=5, epochs=1, init_policy=3, progress=False)


def test_capped_base_stock_warm_start_imitates_the_policy():
    model = SingleSourcingModel(lead_time=2, holding_cost=1, shortage_cost=9, batch_size=8, init_inventory=0,
                                demand_generator=UniformDemand(0, 4), excess_demand="lost_sales")
    ctrl = SingleSourcingNeuralController(hidden_layers=[16, 16]).fit(
        model, sourcing_periods=5, epochs=1, parameters_lr=1e-9, init_inventory_lr=0, policy_iterations=0,
        init_policy={"base_stock_level": 9, "cap": 3}, seed=0, progress=False,
    )
    assert ctrl.imitation_agreement_ >= 0.99
    states = torch.tensor([[0.0, 2, 2], [1, 1, 1], [6, 2, 0], [9, 0, 0], [3, 3, 2]])
    assert ctrl.policy(states)[:, 0].tolist() == [3.0, 3.0, 1.0, 0.0, 1.0]


def test_dual_lost_sales_default_recipe_reaches_the_exact_optimum():
    """l_r = 2, l_e = 0, U{0..4}, h = 5, p = 495, c_e = 10: the optimum 19.7333 (general exact engine)."""
    model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=10,
                              holding_cost=5, shortage_cost=495, batch_size=16, init_inventory=0,
                              demand_generator=UniformDemand(0, 4), excess_demand="lost_sales")
    ctrl = DualSourcingNeuralController(hidden_layers=[16, 16]).fit(
        model, sourcing_periods=10, epochs=2, validation_sourcing_periods=100, validation_freq=1,
        parameters_lr=1e-4, policy_iteration_steps=800, seed=0, progress=False,
    )
    assert ctrl.optimal_cost_ == pytest.approx(19.733333, abs=1e-5)
    ev = evaluate_policy(ctrl, model)
    assert ctrl.optimal_cost_ - 1e-5 <= ev.average_cost <= ctrl.optimal_cost_ * 1.001
    assert (ev.states[:, 0] >= 0).all()  # on-hand stock


def test_burn_in_periods_leave_the_first_costs_out_and_are_checked():
    model = SingleSourcingModel(lead_time=2, holding_cost=1, shortage_cost=9, batch_size=8, init_inventory=0,
                                demand_generator=UniformDemand(0, 4), excess_demand="lost_sales")
    with pytest.raises(ValueError, match="'burn_in_periods' parameter of SingleSourcingNeuralController"):
        SingleSourcingNeuralController().fit(model, sourcing_periods=5, epochs=1, burn_in_periods=5, progress=False)
    # Order 1 per period from an empty start (lead time 2): the first two periods lose all demand.
    # With a burn-in of 2 the training cost counts periods 2.. only.
    ctrl = SingleSourcingNeuralController(hidden_layers=[2]).fit(
        model, sourcing_periods=6, epochs=1, parameters_lr=1e-9, init_inventory_lr=0, policy_iterations=0,
        burn_in_periods=2, seed=0, progress=False,
    )
    full = SingleSourcingNeuralController(hidden_layers=[2]).fit(
        model, sourcing_periods=6, epochs=1, parameters_lr=1e-9, init_inventory_lr=0, policy_iterations=0,
        seed=0, progress=False,
    )
    assert ctrl.history_[0]["train"] < full.history_[0]["train"]


def test_policy_improvement_solves_the_dp_within_its_own_memory_budget(monkeypatch):
    """The stage's max_entries (4e8 entries) governs the DP too, not the library-wide default limit."""
    monkeypatch.setattr("idinn.exact._pmf.MAX_TABLE_ENTRIES", 50)  # every default-limit DP is refused
    model = zipkin_model("poisson_L2_p9")
    with pytest.raises(MemoryError, match="above the limit of 50 entries"):
        solve_lost_sales_average_cost(model)
    with pytest.warns(UserWarning, match="exact validation stops here"):  # validation keeps the default limit
        ctrl = SingleSourcingNeuralController(hidden_layers=[32, 32]).fit(
            model, sourcing_periods=20, epochs=2, validation_sourcing_periods=100, validation_freq=1,
            parameters_lr=1e-4, policy_iterations=1, policy_iteration_steps=800, seed=0, progress=False,
        )
    assert ctrl.optimal_cost_ == pytest.approx(6.0936, abs=1e-4)  # Zipkin (2008): 6.09
    assert len(ctrl.policy_iteration_log_) == 1
