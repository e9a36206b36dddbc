"""Neural portfolio rows end to end, and same-shaped SKUs trained in one batched run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from idinn.demand import CustomDemand, UniformDemand
from idinn.exact import evaluate_policy
from idinn.neural.batched import StackedMLP, batched_rollout_cost, fit_batched
from idinn.neural.network import demand_moments
from idinn.neural.rollout import torch_rollout_cost
from idinn.portfolio import _neural, solve_portfolio
from idinn.single_controller import SingleSourcingNeuralController
from idinn.sourcing_model import SingleSourcingModel

#: A tiny training budget: enough for the easy instances below, a few seconds in all.
TINY = {"sourcing_periods": 30, "epochs": 60, "validation_sourcing_periods": 30, "validation_freq": 10}


def _model(lead_time: int, h: float, b: float, c: float = 0.0, high: int = 2) -> SingleSourcingModel:
    return SingleSourcingModel(lead_time=lead_time, holding_cost=h, shortage_cost=b, order_cost=c, batch_size=8,
                               init_inventory=0, demand_generator=UniformDemand(0, high))


def test_batched_gradient_equals_each_networks_own_gradient():
    """d(sum_i J_i)/d(theta_i) of the stacked rollout is the gradient of network i's own rollout."""
    models = [_model(2, 1.0, 20.0), _model(2, 3.0, 50.0, c=1.0, high=4), _model(2, 0.5, 9.0, high=3)]
    ctrls = [SingleSourcingNeuralController(hidden_layers=[3]) for _ in models]
    gen = torch.Generator().manual_seed(0)
    for i, (c, m) in enumerate(zip(ctrls, models)):
        c._build_network(m.params, None, seed=i, moments=demand_moments(m.demand_generator))
        with torch.no_grad():  # move away from the constant start so that every weight matters
            for p in c.model.parameters():
                p.add_(0.3 * torch.randn(p.shape, generator=gen))
    stack = StackedMLP([c.model for c in ctrls], ctrls[0].activation)
    demands = torch.stack([m.demand_generator.sample_periods(8, 12, gen) for m in models])
    s0 = torch.zeros(3, 8, 3)
    s0[:, :, 0] = torch.tensor([0.0, 3.0, -2.0])[:, None]
    costs = torch.tensor([[m.params.holding_cost, m.params.shortage_cost, *m.params.order_costs] for m in models])
    totals = batched_rollout_cost(stack, models[0].params, costs, s0, demands)
    totals.sum().backward()
    for i, (c, m) in enumerate(zip(ctrls, models)):
        own = torch_rollout_cost(c.model, m.params, s0[i], demands[i])
        own.backward()
        assert float(totals[i].detach()) == pytest.approx(float(own.detach()), rel=1e-6)
        lin = [mod for mod in c.model if isinstance(mod, torch.nn.Linear)]
        for k, layer in enumerate(lin):
            torch.testing.assert_close(stack.weights[k].grad[i].T, layer.weight.grad, rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(stack.biases[k].grad[i, 0], layer.bias.grad, rtol=1e-5, atol=1e-5)


def test_fit_batched_reproduces_one_by_one_fits():
    """Same seeds: same initial weights, same demand paths, same model selection."""
    specs = [(0, 1.0, 9.0), (0, 2.0, 18.0)]
    batched = [_model(*s) for s in specs]
    single = [_model(*s) for s in specs]
    kw = dict(sourcing_periods=15, epochs=20, validation_sourcing_periods=15, validation_freq=5)
    ctrls = fit_batched([SingleSourcingNeuralController() for _ in specs], batched, seeds=[3, 4], **kw)
    for i, (ctrl, model) in enumerate(zip(ctrls, batched)):
        ref = SingleSourcingNeuralController().fit(single[i], seed=3 + i, progress=False, **kw)
        for p, q in zip(ctrl.model.parameters(), ref.model.parameters()):
            torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-4)
        assert float(model.init_inventory.detach()) == pytest.approx(float(single[i].init_inventory.detach()), abs=1e-4)
        assert ctrl.best_cost_ == pytest.approx(ref.best_cost_, rel=1e-9)
        assert evaluate_policy(ctrl, model).average_cost == pytest.approx(
            evaluate_policy(ref, single[i]).average_cost, rel=1e-9)
        assert [r["train"] for r in ctrl.history_] == pytest.approx([r["train"] for r in ref.history_], rel=1e-5)


def test_fit_batched_refuses_pairs_of_different_shapes():
    ctrls = [SingleSourcingNeuralController(), SingleSourcingNeuralController()]
    with pytest.raises(ValueError, match=r"The 'models' parameter of fit_batched must be pairs of the same shape"):
        fit_batched(ctrls, [_model(1, 1.0, 9.0), _model(2, 1.0, 9.0)], sourcing_periods=5, epochs=1)
    with pytest.raises(ValueError, match=r"The 'models' parameter of fit_batched must be a sequence of 2 sourcing"):
        fit_batched(ctrls, [_model(1, 1.0, 9.0)], sourcing_periods=5, epochs=1)
    mixed = [SingleSourcingNeuralController(hidden_layers=[2]), SingleSourcingNeuralController(hidden_layers=[4])]
    with pytest.raises(ValueError, match="same shape"):
        fit_batched(mixed, [_model(1, 1.0, 9.0), _model(1, 1.0, 9.0)], sourcing_periods=5, epochs=1)


def _neural_table() -> pd.DataFrame:
    # D in {1, 2} with equal probability: the base-stock optimum is hand-computable.
    # l = 0, h = 1, b = 9: fractile 0.9 -> S = 2, cost h E[(2 - D)^+] = 0.5.
    # l = 1, h = 1, b = 19: D(2) in {2, 3, 4} w.p. 1/4, 1/2, 1/4, fractile 0.95 -> S = 4, cost E[(4 - D(2))] = 1.
    return pd.DataFrame({
        "sku": ["l0", "l1", "l2"], "lead_time": [0, 1, 2], "holding_cost": [1.0, 1.0, 2.0],
        "shortage_cost": [9.0, 19.0, 18.0], "demand_type": "custom", "demand_values": "1;2",
        "demand_probabilities": "0.5;0.5", "method": "neural",
    })


def test_neural_rows_end_to_end_reach_the_base_stock_optimum(monkeypatch):
    """A trained, exactly evaluated neural row: within 5 % of the base-stock optimum (exact for l = 0, 1)."""
    monkeypatch.setitem(_neural.NEURAL_FIT, "single", TINY)
    res = solve_portfolio(_neural_table(), progress_bar=False)
    assert list(res.status) == ["ok"] * 3
    assert list(res.policy) == ["neural"] * 3
    assert res.optimal_cost.tolist() == pytest.approx([0.5, 1.0, 3.0])
    assert res.cost_total[0] == pytest.approx(0.5, abs=1e-9)
    assert res.cost_total[1] == pytest.approx(1.0, abs=1e-9)
    assert (res.optimality_gap <= 0.05).all()
    # the KPIs are those of the exact chain: costs add up, l = 0 at S = 2 never runs short
    parts = res.cost_ordering + res.cost_holding + res.cost_shortage
    np.testing.assert_allclose(parts, res.cost_total, rtol=1e-9)
    assert res.fill_rate[0] == pytest.approx(1.0)
    assert res.average_on_hand[0] == pytest.approx(0.5)


def test_neural_batch_size_trains_same_shaped_rows_together_with_the_same_result(monkeypatch):
    monkeypatch.setitem(_neural.NEURAL_FIT, "single",
                        {"sourcing_periods": 15, "epochs": 20, "validation_sourcing_periods": 15, "validation_freq": 10})
    table = _neural_table()
    table["lead_time"] = 1
    one = solve_portfolio(table, progress_bar=False)
    together = solve_portfolio(table, progress_bar=False, neural_batch_size=3)
    assert all('"trained": "batched"' in p for p in together.policy_parameters)
    np.testing.assert_allclose(together.cost_total, one.cost_total, rtol=1e-9)
    np.testing.assert_allclose(together.fill_rate, one.fill_rate, rtol=1e-9)
    with pytest.raises(ValueError, match="The 'neural_batch_size' parameter of solve_portfolio must be an int >= 1"):
        solve_portfolio(table, progress_bar=False, neural_batch_size=0)
