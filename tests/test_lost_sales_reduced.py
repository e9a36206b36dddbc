"""Lost sales on Zipkin's reduced state: exact evaluation there, compressed networks, fused kernels."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
import torch

from idinn.demand import UniformDemand
from idinn.exact import (
    evaluate_lost_sales_base_stock,
    evaluate_lost_sales_policy_reduced,
    evaluate_policy,
    solve_lost_sales_average_cost,
)
from idinn.neural.network import time_features
from idinn.neural.rollout import FusedMLP, torch_rollout_cost
from idinn.single_controller import SingleSourcingNeuralController
from idinn.sourcing_model import SingleSourcingModel


def small_model(lead_time: int = 2, excess_demand: str = "lost_sales") -> SingleSourcingModel:
    return SingleSourcingModel(lead_time=lead_time, holding_cost=1, shortage_cost=9, batch_size=16, init_inventory=0,
                               demand_generator=UniformDemand(0, 3), excess_demand=excess_demand)


def reduced_of(full: np.ndarray) -> list[tuple[int, ...]]:
    """(I_t + q_{t-L}, q_{t-L+1}, ...) of full states."""
    return [(int(s[0] + s[1]), *map(int, s[2:])) for s in full]


@pytest.mark.parametrize("lead_time", [1, 2, 3])
def test_reduced_evaluation_equals_the_full_chain_for_the_optimum(lead_time):
    """The DP optimum (a function of the reduced state): same cost and same stationary law as the full chain."""
    model = small_model(lead_time)
    sol = solve_lost_sales_average_cost(model)
    red = evaluate_lost_sales_policy_reduced(sol.orders, model)
    full = evaluate_policy(sol.orders, model)
    assert red.average_cost == pytest.approx(sol.average_cost, abs=1e-7)
    assert red.average_cost == pytest.approx(full.average_cost, abs=1e-7)
    lumped: dict[tuple[int, ...], float] = defaultdict(float)
    for key, prob in zip(reduced_of(np.asarray(full.states)), full.probabilities):
        lumped[key] += float(prob)
    mine = {tuple(map(int, s)): float(p) for s, p in zip(red.states, red.probabilities)}
    assert set(mine) == {k for k, v in lumped.items() if v > 1e-12}
    for key, prob in mine.items():
        assert prob == pytest.approx(lumped[key], abs=1e-8)
    # the states come back as full states (x, 0, v_1, ...) with their orders
    assert (red.full_states[:, 1] == 0).all() and (red.full_states[:, 0] == red.states[:, 0]).all()
    assert (red.orders == sol.order(red.full_states)).all()


def test_reduced_evaluation_of_capped_base_stock_and_a_larger_simplex():
    """Capped base-stock (S, r) = (8, 2): equals the exact policy evaluator; ordering past the default bound enlarges it."""
    model = small_model(2)
    cbs = lambda s: torch.clamp(8 - s.sum(1, keepdim=True), 0, 2)  # noqa: E731
    ev = evaluate_lost_sales_policy_reduced(cbs, model)
    assert ev.average_cost == pytest.approx(evaluate_lost_sales_base_stock(model, 8, 2), abs=1e-7)
    assert ev.average_cost == pytest.approx(evaluate_policy(cbs, model).average_cost, abs=1e-7)
    big = lambda s: torch.clamp(14 - s.sum(1, keepdim=True), 0, None)  # noqa: E731 - base-stock 14 > default bound
    ev14 = evaluate_lost_sales_policy_reduced(big, model)
    assert ev14.max_position >= 14
    assert ev14.average_cost == pytest.approx(evaluate_policy(big, model).average_cost, abs=1e-7)


def test_reduced_evaluation_refuses_backlog_and_period_dependent_policies():
    with pytest.raises(ValueError, match="excess_demand='lost_sales'"):
        evaluate_lost_sales_policy_reduced(lambda s: s[:, :1] * 0, small_model(2, "backlog"))
    with pytest.raises(ValueError, match="stationary"):
        evaluate_lost_sales_policy_reduced(lambda s, t: s[:, :1] * 0, small_model(2))
    with pytest.raises(MemoryError, match="max_entries"):
        evaluate_lost_sales_policy_reduced(lambda s: s[:, :1] * 0, small_model(2), max_entries=10)
    from idinn.sourcing_model import DualSourcingModel

    dual = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=5,
                             holding_cost=1, shortage_cost=9, batch_size=4, init_inventory=0,
                             demand_generator=UniformDemand(0, 3), excess_demand="lost_sales")
    with pytest.raises(ValueError, match="one supplier.*2 suppliers"):
        evaluate_lost_sales_policy_reduced(lambda s: s[:, :1] * 0, dual)
    # a constant order of 1 (below the mean demand 1.5) is stable but reaches any position (D = 0 repeatedly)
    with pytest.raises(ValueError, match="positions reachable from the empty system stay bounded"):
        evaluate_lost_sales_policy_reduced(lambda s: s[:, :1] * 0 + 1, small_model(2))


def test_compressed_is_the_default_under_lost_sales_only():
    assert SingleSourcingNeuralController().compressed is None  # decided when the network is built
    lost = SingleSourcingNeuralController(hidden_layers=[4]).fit(
        small_model(2), sourcing_periods=5, epochs=1, seed=0, progress=False, policy_iterations=0)
    backlog = SingleSourcingNeuralController(hidden_layers=[4]).fit(
        small_model(2, "backlog"), sourcing_periods=5, epochs=1, seed=0, progress=False)
    explicit = SingleSourcingNeuralController(hidden_layers=[4], compressed=False).fit(
        small_model(2), sourcing_periods=5, epochs=1, seed=0, progress=False, policy_iterations=0)
    assert lost.compressed and not backlog.compressed and not explicit.compressed
    # the compressed policy depends on (I_t + q_{t-L}, q_{t-L+1}) only
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in lost.model.parameters():
            p.add_(torch.randn(p.shape, generator=gen))
    s = torch.randint(0, 6, (200, 3), generator=gen).float()
    moved = s.clone()
    moved[:, 0] += moved[:, 1]
    moved[:, 1] = 0
    assert torch.equal(lost.policy(s), lost.policy(moved))


@pytest.mark.parametrize("excess_demand", ["lost_sales", "backlog"])
def test_fused_kernels_fold_the_compression_and_match_autograd(excess_demand):
    """Compress is folded into the first layer: fused cost and gradients equal the autograd rollout's."""
    model = small_model(3, excess_demand)
    ctrl = SingleSourcingNeuralController(hidden_layers=[8, 8], compressed=True).fit(
        model, sourcing_periods=5, epochs=1, seed=0, progress=False, policy_iterations=0)
    net = ctrl.policy_network
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen))
    assert FusedMLP.supports(net)
    rng = np.random.default_rng(0)
    init = np.zeros((16, model.params.state_dim), np.float32)
    init[:, 0], init[:, 1], init[:, 2] = 3, 4, 1
    demands = rng.integers(0, 4, (16, 12)).astype(np.float32)
    feats, disc = time_features(None, 0, 12), np.ones(12)
    fused = FusedMLP(net)
    total, _ = fused.cost_and_grad(model.params, init, demands, feats, disc)
    fused_grads = [p.grad.clone() for p in net.parameters()]
    for p in net.parameters():
        p.grad = None
    j = torch_rollout_cost(net, model.params, torch.from_numpy(init), torch.from_numpy(demands),
                           torch.from_numpy(feats), torch.from_numpy(disc).float())
    j.backward()
    assert total == pytest.approx(float(j.detach()), rel=1e-6)
    assert fused.forward_costs(model.params, init, demands, feats, disc).sum() == pytest.approx(total, rel=1e-6)
    for g, p in zip(fused_grads, net.parameters()):
        torch.testing.assert_close(g, p.grad, rtol=1e-4, atol=1e-4)


def test_batched_fits_keep_the_full_state_under_lost_sales():
    """fit_batched feeds the full state: default controllers stay uncompressed there and train."""
    from idinn.neural.batched import fit_batched

    models = [small_model(2) for _ in range(2)]
    ctrls = [SingleSourcingNeuralController(hidden_layers=[8]) for _ in models]
    fit_batched(ctrls, models, sourcing_periods=10, epochs=3, seeds=[0, 1])
    assert [c.compressed for c in ctrls] == [False, False]
    assert all(c.model[1].in_features == 3 for c in ctrls)  # (I_t, q_{t-2}, q_{t-1})
    with pytest.raises(ValueError, match="compressed=False"):
        fit_batched([SingleSourcingNeuralController(hidden_layers=[8], compressed=True) for _ in models], models,
                    sourcing_periods=10, epochs=1)


def test_a_compressed_lost_sales_controller_saves_and_loads(tmp_path):
    ctrl = SingleSourcingNeuralController(hidden_layers=[8]).fit(
        small_model(2), sourcing_periods=10, epochs=2, seed=0, progress=False, policy_iterations=0)
    ctrl.save(tmp_path / "c.pt")
    back = SingleSourcingNeuralController().load(tmp_path / "c.pt")
    assert ctrl.compressed and back.compressed
    s = torch.randint(0, 5, (50, 3), generator=torch.Generator().manual_seed(1)).float()
    assert torch.equal(ctrl.policy(s), back.policy(s))


def test_fixed_policy_evaluation_warns_when_it_does_not_converge(monkeypatch):
    """evaluate_orders no longer returns an unconverged midpoint silently."""
    from idinn.exact import lost_sales_policies
    from idinn.exact.lost_sales import build_space
    from idinn.problem import as_problem

    monkeypatch.setattr(lost_sales_policies, "_MAX_SWEEPS", 2)
    sp = build_space(as_problem(small_model(2)), 8, 1e-10, None)
    q = np.minimum(np.maximum(8 - sp.grids.sum(1), 0), 2)
    with pytest.warns(RuntimeWarning, match="stopped after 2 sweeps"):
        lost_sales_policies.evaluate_orders(sp, q, 1e-12)
