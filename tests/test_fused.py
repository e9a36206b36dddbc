"""The fused numba rollouts (``idinn.neural._kernels`` via ``idinn.neural.rollout.FusedMLP``) against autograd.

The autograd path (:func:`idinn.neural.rollout.torch_rollout_cost`, built on
:func:`idinn.dynamics.transition` and :func:`idinn.dynamics.period_cost`) is the
reference: the fused kernels must return the same total cost, the same per-period costs,
the same parameter gradients and the same gradient with respect to the initial state.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from idinn.neural import _kernels
from idinn.neural.network import STE_NEGATIVE_SLOPE, Standardize, build_mlp, ste_orders
from idinn.neural.rollout import FusedMLP, torch_rollout_cost
from idinn.dynamics import SourcingParams, period_cost, transition

ACTIVATIONS = {
    "ReLU": lambda: torch.nn.ReLU(),
    "CELU": lambda: torch.nn.CELU(),
    "CELU(0.7)": lambda: torch.nn.CELU(alpha=0.7),
    "ELU(0.5)": lambda: torch.nn.ELU(alpha=0.5),
    "Tanh": lambda: torch.nn.Tanh(),
    "Sigmoid": lambda: torch.nn.Sigmoid(),
    "LeakyReLU": lambda: torch.nn.LeakyReLU(0.05),
    "SiLU": lambda: torch.nn.SiLU(),
    "Softplus": lambda: torch.nn.Softplus(),
}

# (lead times, order costs): single l = 0, 2; dual (l_r, l_e) = (2, 0), (3, 1).
CONFIGS = {
    "single-l0": ((0,), (1.0,)),
    "single-l2": ((2,), (0.5,)),
    "dual-2-0": ((2, 0), (1.0, 3.0)),
    "dual-3-1": ((3, 1), (0.0, 2.0)),
}

# (standardize first layer, number of time features, discount factor or None)
VARIANTS = {
    "plain": (False, 0, None),
    "std+time+disc": (True, 3, 0.9),
}

B, T = 6, 9


def make_params(config: str) -> SourcingParams:
    lead_times, order_costs = CONFIGS[config]
    return SourcingParams(lead_times, order_costs, holding_cost=2.0, shortage_cost=7.0)


def make_net(
    params: SourcingParams,
    activation: torch.nn.Module,
    standardize: bool,
    n_time: int,
    seed: int,
    hidden: tuple[int, ...] = (5, 4),
    out_bias: float = 3.5,
    out_gain: float = 1.0,
) -> torch.nn.Sequential:
    """An MLP with weights from a private generator; output bias ``out_bias`` keeps outputs > 0."""
    n_out = params.n_suppliers
    with torch.random.fork_rng(devices=[]):  # nn.Linear draws from the global RNG: undo it
        net = build_mlp(params.state_dim + n_time, list(hidden), n_out, activation)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net:
            if isinstance(m, torch.nn.Linear):
                m.weight.uniform_(-0.4, 0.4, generator=g)
                m.bias.uniform_(-0.4, 0.4, generator=g)
        net[-1].weight.mul_(out_gain)
        net[-1].bias.add_(out_bias)
    if standardize:
        n = params.state_dim
        shift = torch.linspace(1.5, 0.5, n)
        scale = torch.linspace(2.0, 1.25, n)
        net = torch.nn.Sequential(Standardize(shift, scale), *net)
    return net


def make_inputs(params: SourcingParams, n_time: int, discount: float | None, seed: int):
    rng = np.random.default_rng(seed)
    s0 = np.zeros((B, params.state_dim), dtype=np.float32)
    s0[:, 0] = rng.integers(-3, 6, size=B)
    s0[:, 1:] = rng.integers(0, 4, size=(B, params.state_dim - 1))
    demands = rng.integers(0, 7, size=(B, T)).astype(np.float32)
    feats = rng.uniform(-1, 1, size=(T, n_time)).astype(np.float32)
    disc = np.ones(T) if discount is None else discount ** np.arange(T)
    return s0, demands, feats, disc


def torch_reference(net, params, s0, demands, feats, disc):
    """Autograd total cost, parameter gradients, dJ/ds_0 summed over paths, minimum raw output."""
    outputs = []
    hook = net[-1].register_forward_hook(lambda mod, inp, out: outputs.append(out.detach()))
    try:
        s = torch.from_numpy(s0.copy()).requires_grad_(True)
        net.zero_grad(set_to_none=True)
        j = torch_rollout_cost(
            net, params, s, torch.from_numpy(demands), torch.from_numpy(feats), torch.from_numpy(disc).float()
        )
        j.backward()
    finally:
        hook.remove()
    grads = [p.grad.detach().clone() for p in net.parameters()]
    return float(j.detach()), grads, s.grad.sum(0).numpy(), float(torch.cat(outputs).min())


def assert_grads_close(actual: list[torch.Tensor], expected: list[torch.Tensor]) -> None:
    scale = max(float(g.abs().max()) for g in expected)
    assert scale > 0
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("act_name", list(ACTIVATIONS))
def test_fused_gradients_equal_autograd(act_name, config, variant):
    standardize, n_time, discount = VARIANTS[variant]
    params = make_params(config)
    seed = 100 * list(ACTIVATIONS).index(act_name) + 10 * list(CONFIGS).index(config) + list(VARIANTS).index(variant)
    net = make_net(params, ACTIVATIONS[act_name](), standardize, n_time, seed=seed)
    s0, demands, feats, disc = make_inputs(params, n_time, discount, seed=seed)

    j_ref, g_ref, g_init_ref, min_out = torch_reference(net, params, s0, demands, feats, disc)
    assert min_out > 0, "test set-up: outputs must stay positive (negative outputs: see the test below)"
    assert j_ref > 0

    fused = FusedMLP(net)
    net.zero_grad(set_to_none=True)
    total, g_init = fused.cost_and_grad(params, s0, demands, feats, disc)
    g_fused = [p.grad.detach().clone() for p in net.parameters()]

    assert total == pytest.approx(j_ref, rel=1e-5)
    assert_grads_close(g_fused, g_ref)
    np.testing.assert_allclose(g_init, g_init_ref, rtol=1e-4, atol=1e-4 * np.abs(g_init_ref).max())


@pytest.mark.parametrize(
    "standardize,n_time,discount",
    [(True, 0, None), (False, 4, None), (False, 0, 0.8), (True, 2, 0.95)],
)
def test_fused_gradients_each_feature_alone(standardize, n_time, discount):
    params = make_params("dual-3-1")
    net = make_net(params, torch.nn.CELU(), standardize, n_time, seed=7)
    s0, demands, feats, disc = make_inputs(params, n_time, discount, seed=8)
    j_ref, g_ref, g_init_ref, min_out = torch_reference(net, params, s0, demands, feats, disc)
    assert min_out > 0
    total, g_init = FusedMLP(net).cost_and_grad(params, s0, demands, feats, disc)
    assert total == pytest.approx(j_ref, rel=1e-5)
    assert_grads_close([p.grad for p in net.parameters()], g_ref)
    np.testing.assert_allclose(g_init, g_init_ref, rtol=1e-4, atol=1e-4 * np.abs(g_init_ref).max())


@pytest.mark.parametrize("act_name", ["ReLU", "Tanh", "SiLU"])
def test_fused_gradients_equal_autograd_when_outputs_are_negative(act_name):
    """Where the network output is <= 0 (no order) both paths use the slope STE_NEGATIVE_SLOPE."""
    params = make_params("dual-2-0")
    net = make_net(params, ACTIVATIONS[act_name](), False, 0, seed=3, out_bias=-0.5)
    s0, demands, feats, disc = make_inputs(params, 0, None, seed=4)
    j_ref, g_ref, g_init_ref, min_out = torch_reference(net, params, s0, demands, feats, disc)
    assert min_out < 0  # some periods order nothing
    total, g_init = FusedMLP(net).cost_and_grad(params, s0, demands, feats, disc)
    assert total == pytest.approx(j_ref, rel=1e-5)  # the forward passes agree
    assert_grads_close([p.grad for p in net.parameters()], g_ref)
    np.testing.assert_allclose(g_init, g_init_ref, rtol=1e-4, atol=1e-4 * np.abs(g_init_ref).max())


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("act_name", ["ReLU", "CELU", "Tanh", "Softplus"])
def test_fused_forward_costs_equal_torch_per_period(act_name, config, variant):
    standardize, n_time, discount = VARIANTS[variant]
    params = make_params(config)
    net = make_net(params, ACTIVATIONS[act_name](), standardize, n_time, seed=11)
    s0, demands, feats, disc = make_inputs(params, n_time, discount, seed=12)
    # Rescale the output layer so that, on the initial states, each column's outputs span
    # [-0.6, 4.6]: "order nothing" and positive orders both occur.
    with torch.no_grad():
        x0 = torch.cat([torch.from_numpy(s0), torch.from_numpy(feats[0]).expand(B, -1)], 1)
        o = net(x0)
        lo, gain = o.min(dim=0).values, 5.2 / (o.max(dim=0).values - o.min(dim=0).values)
        net[-1].weight.mul_(gain[:, None])
        net[-1].bias.copy_(gain * (net[-1].bias - lo) - 0.6)

    expected = np.empty(T)
    orders_seen = []
    state = torch.from_numpy(s0.copy())
    with torch.no_grad():
        for t in range(T):
            x = state if n_time == 0 else torch.cat([state, torch.from_numpy(feats[t]).expand(B, -1)], 1)
            q = torch.floor(torch.relu(net(x)))
            orders_seen.append(q)
            state = transition(state, q, torch.from_numpy(demands[:, t]), params)
            expected[t] = disc[t] * float(period_cost(state[:, 0], q, params).mean())
    orders_seen = torch.cat(orders_seen)
    assert bool((orders_seen == 0).any()) and bool((orders_seen > 0).any())

    costs = FusedMLP(net).forward_costs(params, s0, demands, feats, disc)
    assert costs.shape == (T,)
    np.testing.assert_allclose(costs, expected, rtol=1e-6, atol=1e-6)


def test_fused_forward_total_matches_torch_rollout_cost_and_cost_and_grad():
    params = make_params("single-l2")
    net = make_net(params, torch.nn.ReLU(), True, 0, seed=5)
    s0, demands, feats, disc = make_inputs(params, 0, 0.9, seed=6)
    fused = FusedMLP(net)
    forward_total = fused.forward_costs(params, s0, demands, feats, disc).sum()
    grad_total, _ = fused.cost_and_grad(params, s0, demands, feats, disc)
    with torch.no_grad():
        ref = torch_rollout_cost(
            net, params, torch.from_numpy(s0), torch.from_numpy(demands), None, torch.from_numpy(disc).float()
        )
    assert forward_total == pytest.approx(float(ref), rel=1e-6)
    assert grad_total == pytest.approx(float(ref), rel=1e-6)


def test_fused_by_hand_constant_policy():
    """A network whose output is the constant 2.7 orders 2 every period: costs by hand."""
    params = SourcingParams((0,), (1.0,), holding_cost=2.0, shortage_cost=7.0)
    net = torch.nn.Sequential(torch.nn.Linear(1, 1))
    with torch.no_grad():
        net[0].weight.zero_()
        net[0].bias.fill_(2.7)
    s0 = np.array([[1.0]], dtype=np.float32)
    demands = np.array([[4.0, 0.0, 3.0]], dtype=np.float32)
    # I: 1 -> 1+2-4 = -1 (cost 2 + 7*1 = 9) -> -1+2-0 = 1 (cost 2 + 2*1 = 4) -> 1+2-3 = 0 (cost 2).
    costs = FusedMLP(net).forward_costs(params, s0, demands, np.zeros((3, 0), np.float32), np.ones(3))
    np.testing.assert_allclose(costs, [9.0, 4.0, 2.0])
    disc = np.array([1.0, 0.5, 0.25])
    costs = FusedMLP(net).forward_costs(params, s0, demands, np.zeros((3, 0), np.float32), disc)
    np.testing.assert_allclose(costs, [9.0, 2.0, 0.5])


@pytest.mark.parametrize("lead_times", [(0,), (1,), (3,), (2, 0), (3, 1), (1, 1), (0, 0), (4, 2)])
def test_step_cost_equals_transition_and_period_cost(lead_times):
    params = SourcingParams(lead_times, tuple(1.5 + k for k in range(len(lead_times))), 2.0, 7.0)
    rng = np.random.default_rng(sum(lead_times) + 10 * len(lead_times))
    n = 7
    state = rng.integers(-5, 9, size=(n, params.state_dim)).astype(np.float32)
    state[:, 1:] = np.abs(state[:, 1:])
    orders = rng.integers(0, 6, size=(n, params.n_suppliers)).astype(np.float32)
    demand = rng.integers(0, 8, size=n).astype(np.float32)
    nxt = np.full_like(state, np.nan)
    slopes = np.full(n, np.nan, dtype=np.float32)
    total = _kernels.step_cost(
        state, orders, demand, nxt, np.asarray(lead_times, dtype=np.int64), np.asarray(params.order_costs),
        params.holding_cost, params.shortage_cost, slopes,
    )
    expected = transition(state, orders, demand, params)
    np.testing.assert_array_equal(nxt, expected)
    assert total == pytest.approx(float(period_cost(expected[:, 0], orders, params).sum()), rel=1e-12)
    inv = expected[:, 0]
    np.testing.assert_array_equal(slopes, np.where(inv > 0, 2.0, np.where(inv < 0, -7.0, 0.0)))


def test_ste_orders_value_is_floor_relu_and_gradient_is_straight_through():
    out = torch.tensor([[-1.5, 0.0, 0.4, 2.99, 3.0]], requires_grad=True)
    q = ste_orders(out)
    assert q.tolist() == [[0.0, 0.0, 0.0, 2.0, 3.0]]
    q.sum().backward()
    slope = STE_NEGATIVE_SLOPE
    assert 0 < slope <= 1
    np.testing.assert_allclose(out.grad.numpy(), [[slope, slope, 1.0, 1.0, 1.0]])


@pytest.mark.parametrize(
    "activation,supported",
    [
        (torch.nn.ReLU(), True),
        (torch.nn.SiLU(), True),
        (torch.nn.Softplus(), True),
        (torch.nn.Softplus(beta=2.0), False),
        (torch.nn.GELU(), False),
        (torch.nn.Hardtanh(), False),
    ],
)
def test_fused_supports(activation, supported):
    params = make_params("single-l0")
    net = make_net(params, activation, True, 0, seed=0)
    assert FusedMLP.supports(net) is supported


# ---------------------------------------------------------------- lost sales (Zipkin 2008)
def make_lost_sales_params(config: str) -> SourcingParams:
    lead_times, order_costs = CONFIGS[config]
    return SourcingParams(lead_times, order_costs, holding_cost=2.0, shortage_cost=7.0, excess_demand="lost_sales")


@pytest.mark.parametrize("lead_times", [(0,), (1,), (3,), (2, 0), (3, 1)])
def test_step_cost_lost_sales_equals_advance_and_period_cost(lead_times):
    from idinn.dynamics import advance

    params = SourcingParams(lead_times, tuple(1.5 + k for k in range(len(lead_times))), 2.0, 7.0,
                            excess_demand="lost_sales")
    rng = np.random.default_rng(5 + sum(lead_times))
    n = 9
    state = rng.integers(0, 6, size=(n, params.state_dim)).astype(np.float32)
    orders = rng.integers(0, 6, size=(n, params.n_suppliers)).astype(np.float32)
    demand = rng.integers(0, 12, size=n).astype(np.float32)
    nxt = np.full_like(state, np.nan)
    slopes = np.full(n, np.nan, dtype=np.float32)
    clips = np.full(n, np.nan, dtype=np.float32)
    total = _kernels.step_cost(
        state, orders, demand, nxt, np.asarray(lead_times, dtype=np.int64), np.asarray(params.order_costs),
        params.holding_cost, params.shortage_cost, slopes, True, clips,
    )
    expected, y = advance(state, orders, demand, params)
    assert (y < 0).any() and (y > 0).any()  # both lost demand and stock left over occur
    np.testing.assert_array_equal(nxt, expected)
    assert (nxt[:, 0] >= 0).all()
    assert total == pytest.approx(float(period_cost(y, orders, params).sum()), rel=1e-12)
    np.testing.assert_array_equal(slopes, np.where(y > 0, 2.0, np.where(y < 0, -7.0, 0.0)))
    np.testing.assert_array_equal(clips, (y > 0).astype(np.float32))


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("act_name", ["CELU", "ReLU", "Tanh"])
def test_fused_lost_sales_gradients_equal_autograd_through_advance(act_name, config, variant):
    """Lost sales: same cost, weight gradients and dJ/ds_0 as autograd through dynamics.advance."""
    standardize, n_time, discount = VARIANTS[variant]
    params = make_lost_sales_params(config)
    seed = 31 + 7 * list(CONFIGS).index(config) + list(VARIANTS).index(variant)
    # A small output bias: orders below the demand, so that stock runs out and sales are lost.
    net = make_net(params, ACTIVATIONS[act_name](), standardize, n_time, seed=seed, out_bias=1.6)
    s0, demands, feats, disc = make_inputs(params, n_time, discount, seed=seed)
    s0[:, 0] = np.abs(s0[:, 0])  # on-hand stock >= 0
    j_ref, g_ref, g_init_ref, _ = torch_reference(net, params, s0, demands, feats, disc)
    # the set-up exercises the clip: some periods lose sales (I_{t+1} = 0 < y_t)
    state, lost = torch.from_numpy(s0), 0
    from idinn.dynamics import advance

    with torch.no_grad():
        for t in range(T):
            x = state if n_time == 0 else torch.cat([state, torch.from_numpy(feats[t]).expand(B, -1)], 1)
            state, y = advance(state, ste_orders(net(x)), torch.from_numpy(demands[:, t]), params)
            lost += int((y < 0).sum())
    assert lost > 0
    total, g_init = FusedMLP(net).cost_and_grad(params, s0, demands, feats, disc)
    assert total == pytest.approx(j_ref, rel=1e-5)
    assert_grads_close([p.grad for p in net.parameters()], g_ref)
    np.testing.assert_allclose(g_init, g_init_ref, rtol=1e-4, atol=1e-4 * max(np.abs(g_init_ref).max(), 1e-6))
    costs = FusedMLP(net).forward_costs(params, s0, demands, feats, disc)
    assert costs.sum() == pytest.approx(j_ref, rel=1e-5)
    # backlog on the same paths gives another cost (the rule reaches the kernels)
    backlog = SourcingParams(params.lead_times, params.order_costs, 2.0, 7.0)
    assert FusedMLP(net).forward_costs(backlog, s0, demands, feats, disc).sum() != pytest.approx(j_ref, rel=1e-5)


def test_fused_lost_sales_by_hand_constant_policy():
    """Order 2 every period, lead time 0, I_0 = 1, demands 4, 0, 3 (h = 2, p = 7, c = 1).

    y = 1+2-4 = -1: 1 unit lost, I = 0, cost 2 + 7 = 9; y = 0+2-0 = 2, cost 2 + 4 = 6;
    y = 2+2-3 = 1, cost 2 + 2 = 4 (backlog would give 9, 4, 2).
    """
    params = SourcingParams((0,), (1.0,), holding_cost=2.0, shortage_cost=7.0, excess_demand="lost_sales")
    net = torch.nn.Sequential(torch.nn.Linear(1, 1))
    with torch.no_grad():
        net[0].weight.zero_()
        net[0].bias.fill_(2.7)
    s0 = np.array([[1.0]], dtype=np.float32)
    demands = np.array([[4.0, 0.0, 3.0]], dtype=np.float32)
    costs = FusedMLP(net).forward_costs(params, s0, demands, np.zeros((3, 0), np.float32), np.ones(3))
    np.testing.assert_allclose(costs, [9.0, 6.0, 4.0])
