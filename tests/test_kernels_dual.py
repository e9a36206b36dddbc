"""The sgemm gradient kernel (``idinn.neural._kernels_dual``) against autograd and the loop kernel.

tests/test_fused.py checks ``FusedMLP.cost_and_grad`` (which uses this kernel for backlog
problems) on batches of 6 paths, where most products are below ``SMALL_MACS`` and run as
plain loops. Here the batches and layers are large enough that the products go through
BLAS (transposes, row strides, accumulation into the bias), and the dispatch rule is pinned.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from idinn.dynamics import SourcingParams
from idinn.neural import _kernels, _kernels_dual
from idinn.neural.network import Standardize, build_mlp, layer_sizes, pack_parameters
from idinn.neural.rollout import FusedMLP, torch_rollout_cost


def _net(n_in: int, hidden: list[int], n_out: int, act: torch.nn.Module, seed: int, out_bias: float) -> torch.nn.Sequential:
    with torch.random.fork_rng(devices=[]):
        net = build_mlp(n_in, hidden, n_out, act)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net:
            if isinstance(m, torch.nn.Linear):
                bound = 1.5 / m.in_features**0.5
                m.weight.uniform_(-bound, bound, generator=g)
                m.bias.uniform_(-0.3, 0.3, generator=g)
        net[-1].bias.add_(out_bias)
    return net


def _inputs(params: SourcingParams, n_paths: int, horizon: int, n_time: int, seed: int):
    rng = np.random.default_rng(seed)
    s0 = np.zeros((n_paths, params.state_dim), dtype=np.float32)
    s0[:, 0] = rng.integers(-4, 8, size=n_paths)
    s0[:, 1:] = rng.integers(0, 4, size=(n_paths, params.state_dim - 1))
    demands = rng.integers(0, 5, size=(n_paths, horizon)).astype(np.float32)
    feats = rng.uniform(-1, 1, size=(horizon, n_time)).astype(np.float32)
    disc = 0.97 ** np.arange(horizon)
    return s0, demands, feats, disc


def _autograd(net, params, s0, demands, feats, disc):
    s = torch.from_numpy(s0.copy()).requires_grad_(True)
    net.zero_grad(set_to_none=True)
    j = torch_rollout_cost(net, params, s, torch.from_numpy(demands), torch.from_numpy(feats),
                           torch.from_numpy(disc).float())
    j.backward()
    return float(j.detach()), [p.grad.detach().clone() for p in net.parameters()], s.grad.sum(0).numpy()


@pytest.mark.parametrize(
    "lead_times,order_costs,hidden,act,standardize,n_time,out_bias",
    [
        # the dual test-bed network (every product above SMALL_MACS except the last layers)
        ((2, 0), (0.0, 20.0), [128, 64, 32, 16, 8, 4], torch.nn.ReLU(), True, 0, 1.0),
        # a smooth activation (pre-activations stored), time features, three suppliers
        ((3, 1, 0), (0.0, 2.0, 6.0), [48, 24], torch.nn.CELU(0.8), True, 3, 1.5),
        # single sourcing, tanh, outputs often below 0 (straight-through slope on "order nothing")
        ((1,), (1.0,), [40, 20], torch.nn.Tanh(), False, 2, 0.2),
    ],
)
def test_blas_kernel_gradients_equal_autograd(lead_times, order_costs, hidden, act, standardize, n_time, out_bias):
    params = SourcingParams(lead_times, order_costs, holding_cost=5.0, shortage_cost=95.0)
    net = _net(params.state_dim + n_time, hidden, params.n_suppliers, act, seed=len(hidden), out_bias=out_bias)
    if standardize:
        n = params.state_dim
        net = torch.nn.Sequential(Standardize(torch.linspace(2.0, 1.0, n), torch.linspace(5.0, 2.0, n)), *net)
    s0, demands, feats, disc = _inputs(params, 96, 12, n_time, seed=1)
    sizes = layer_sizes(net)
    assert any(96 * a * b >= _kernels_dual.SMALL_MACS for a, b in zip(sizes[:-1], sizes[1:]))  # BLAS path runs

    j_ref, g_ref, g_init_ref = _autograd(net, params, s0, demands, feats, disc)
    net.zero_grad(set_to_none=True)
    total, g_init = FusedMLP(net).cost_and_grad(params, s0, demands, feats, disc)
    g = [p.grad.detach().clone() for p in net.parameters()]

    assert total == pytest.approx(j_ref, rel=1e-5)
    scale = max(float(x.abs().max()) for x in g_ref)
    for a, e in zip(g, g_ref):
        np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=1e-3, atol=1e-4 * scale)
    np.testing.assert_allclose(g_init, g_init_ref, rtol=1e-3, atol=1e-4 * np.abs(g_init_ref).max())


def test_blas_kernel_equals_loop_kernel_on_the_dual_network():
    """Same total and gradient as ``_kernels.rollout_grad`` at batch 256 (float32 summation order aside)."""
    params = SourcingParams((2, 0), (0.0, 20.0), holding_cost=5.0, shortage_cost=495.0)
    net = _net(3, [128, 64, 32, 16, 8, 4], 2, torch.nn.ReLU(), seed=3, out_bias=2.0)
    net = torch.nn.Sequential(Standardize(torch.tensor([6.0, 3.0, 3.0]), torch.tensor([5.0, 2.0, 2.0])), *net)
    fused = FusedMLP(net)
    s0, demands, feats, disc = _inputs(params, 256, 20, 0, seed=2)
    args = (pack_parameters(net), fused.sizes, fused.act, fused.alpha, *fused._args(params)[2:], s0, demands, feats,
            *fused._args(params)[:2], disc)
    t_loop, g_loop, i_loop = _kernels.rollout_grad(*args, False)  # backlog (the lost-sales flag off)
    t_blas, g_blas, i_blas = _kernels_dual.rollout_grad(*args)
    assert t_blas == pytest.approx(t_loop, rel=1e-6)
    np.testing.assert_allclose(g_blas, g_loop, rtol=1e-3, atol=1e-4 * np.abs(g_loop).max())
    np.testing.assert_allclose(i_blas, i_loop, rtol=1e-3, atol=1e-4 * np.abs(i_loop).max())


def test_gemm_every_transpose_and_accumulate_against_numpy():
    rng = np.random.default_rng(0)
    for m, n, k in [(3, 2, 4), (40, 33, 17)]:  # loop path, BLAS path
        for ta in (False, True):
            for tb in (False, True):
                a = rng.normal(size=(k, m) if ta else (m, k)).astype(np.float32)
                b = rng.normal(size=(n, k) if tb else (k, n)).astype(np.float32)
                c0 = rng.normal(size=(m, n)).astype(np.float32)
                expected = (a.T if ta else a) @ (b.T if tb else b)
                for acc in (False, True):
                    c = c0.copy()
                    _kernels_dual._gemm(ta, tb, m, n, k, a.ravel(), a.shape[1], b.ravel(), b.shape[1], acc,
                                        c.ravel(), n)
                    np.testing.assert_allclose(c, expected + (c0 if acc else 0), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "extra,handled",
    [
        ({}, True),
        ({"excess_demand": "lost_sales"}, False),
        ({"fixed_order_costs": (0.0, 10.0)}, False),
        ({"order_capacities": (None, 5)}, False),
        ({"review_periods": (2, 1)}, False),
    ],
)
def test_dispatch_only_plain_backlog_problems(extra, handled):
    params = SourcingParams((2, 0), (0.0, 20.0), holding_cost=5.0, shortage_cost=495.0, **extra)
    assert _kernels_dual.handles(params) is handled
