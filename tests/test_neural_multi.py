"""MultiSourcingNeuralController: K suppliers, capacities by construction, exact improvement on the heuristic."""

from __future__ import annotations

import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import idinn
from idinn.demand import UniformDemand
from idinn.exact import evaluate_policy
from idinn.multi_controller import MultiIndexController, MultiSourcingNeuralController


def three(**kw):
    base = dict(lead_times=[1, 0, 2], order_costs=[2, 5, 0], holding_cost=1, shortage_cost=9,
                demand_generator=UniformDemand(0, 2), init_inventory=2, batch_size=32)
    base.update(kw)
    return idinn.MultiSourcingModel(**base)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    scale=st.floats(1.0, 1e4),
    rows=st.lists(st.lists(st.integers(-300, 300), min_size=4, max_size=4), min_size=1, max_size=16),
)
def test_orders_never_exceed_capacities_for_any_weights(seed, scale, rows):
    model = three(order_capacities=[3, None, 2])
    ctrl = MultiSourcingNeuralController(hidden_layers=[8])
    ctrl._build_network(model.params, seed=seed)
    with torch.no_grad():
        ctrl.model[-1].weight.mul_(scale)
        ctrl.model[-1].bias.add_(scale)
    state = torch.tensor(rows, dtype=torch.float32)
    state[:, 1:] = state[:, 1:].abs()  # pipelines hold orders (>= 0)
    q = ctrl.policy(state)
    assert q.shape == (len(rows), 3)
    assert bool((q >= 0).all()) and bool((q[:, 0] <= 3).all()) and bool((q[:, 2] <= 2).all())


def test_three_suppliers_improve_on_the_multi_index_teacher_exactly():
    model = three()
    teacher = MultiIndexController().fit(model, sourcing_periods=60, n_paths=8, n_exact=4)
    ctrl = MultiSourcingNeuralController(hidden_layers=[16, 8])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ctrl.fit(model, sourcing_periods=20, epochs=2, validation_sourcing_periods=100, validation_freq=1, seed=0,
                 init_policy=teacher, imitation_steps=200, policy_iterations=2, policy_iteration_steps=200)
    assert ctrl.teacher_cost_ == pytest.approx(teacher.best_cost_)
    cost = evaluate_policy(ctrl, model).average_cost
    optimum = idinn.exact.solve_multi_sourcing_average_cost(model).average_cost
    assert optimum - 1e-9 <= cost <= teacher.best_cost_ + 1e-9
    # the exact improvement rounds lowered the cost or left the teacher's (imitated) policy
    log = [r["cost"] for r in ctrl.policy_iteration_log_]
    assert min(log) == pytest.approx(cost) or cost <= min(log)
    assert ctrl.predict(current_inventory=0, past_orders=[[0], [], [0, 0]]) == tuple(
        int(x) for x in ctrl.policy(torch.zeros(1, 4))[0]
    )


def test_fixed_costs_train_through_autograd_with_k_outputs(tmp_path):
    model = three(fixed_order_costs=[0, 4, 0], order_capacities=[None, 3, None], batch_size=16)
    ctrl = MultiSourcingNeuralController(hidden_layers=[8])
    ctrl.fit(model, sourcing_periods=10, epochs=3, seed=0, init_policy=None, policy_iterations=0)
    assert ctrl.head is not None and ctrl._n_outputs == 3
    ctrl.save(tmp_path / "m.pt")
    back = idinn.load_controller(tmp_path / "m.pt")
    assert isinstance(back, MultiSourcingNeuralController) and back.params_ == model.params
    x = torch.tensor([[-5.0, 1, 0, 2], [40.0, 0, 0, 0]])
    assert torch.equal(back.policy(x), ctrl.policy(x))


def test_fit_refuses_bad_arguments_before_any_work():
    with pytest.raises(ValueError, match="'init_policy' parameter of MultiSourcingNeuralController"):
        MultiSourcingNeuralController().fit(three(), sourcing_periods=5, epochs=1, init_policy="best")
    with pytest.raises(TypeError, match="'sourcing_model' parameter of MultiSourcingNeuralController"):
        MultiSourcingNeuralController().fit("model", sourcing_periods=5, epochs=1)


# ---------------------------------------------------------------- review periods
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), scale=st.floats(1.0, 1e3), period=st.integers(0, 500),
       inventory=st.integers(-200, 200))
def test_orders_off_review_are_zero_for_any_weights(seed, scale, period, inventory):
    """Supplier 0 every 3 periods from 1, supplier 2 every 2 from 0, supplier 1 every period."""
    model = three(review_periods=[3, 1, 2], review_offsets=[1, 0, 0])
    ctrl = MultiSourcingNeuralController(hidden_layers=[8])
    ctrl._build_network(model.params, season_length=model.params.review_cycle, seed=seed)
    with torch.no_grad():
        ctrl.model[-1].bias.add_(scale)  # every output far above zero
    q = ctrl.policy(torch.tensor([[float(inventory), 1, 0, 0]]), period=period)[0]
    assert (q[0] > 0) <= ((period - 1) % 3 == 0)
    assert (q[2] > 0) <= (period % 2 == 0)


def test_review_periods_phase_is_a_calendar_feature_and_the_simulator_accepts_the_policy():
    model = three(review_periods=[3, 1, 1], review_offsets=[2, 0, 0], batch_size=16)
    ctrl = MultiSourcingNeuralController(hidden_layers=[8])
    ctrl.fit(model, sourcing_periods=12, epochs=2, seed=0, init_policy=None)
    assert ctrl.season_length_ == 3 and not ctrl.is_stationary
    assert ctrl.model[1].in_features == model.params.state_dim + 3  # state + one-hot of t mod 3
    ctrl.simulate(model, sourcing_periods=30, seed=1)  # the simulator refuses orders off review
    ev = evaluate_policy(ctrl, model)  # the chain on (state, t mod 3) calls the policy with period=
    assert ev.n_states > 0
    with pytest.raises(ValueError, match="'policy_iterations' parameter of MultiSourcingNeuralController"):
        MultiSourcingNeuralController().fit(model, sourcing_periods=5, epochs=1, policy_iterations=2)
