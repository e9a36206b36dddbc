"""The pure dynamics of :mod:`idinn.dynamics`: one period by hand, numpy == torch, batching."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from idinn.dynamics import SourcingParams, inventory_position, period_cost, transition


def params(lead_times, order_costs=None, h=2.0, b=10.0) -> SourcingParams:
    if order_costs is None:
        order_costs = (0.0,) * len(lead_times)
    return SourcingParams(tuple(lead_times), tuple(order_costs), h, b)


# One period by hand. State layout: [I, pipeline of supplier 1 (oldest first), pipeline 2].
# (lead times, state, orders, demand, next state)
ONE_PERIOD = {
    # l = 0: the order arrives at once. 3 + 2 - 4 = 1 and -1 + 0 - 3 = -4.
    "single-l0": ((0,), [[3], [-1]], [[2], [0]], [4, 3], [[1], [-4]]),
    # l = 2: q_{t-2} = 1 arrives: 3 + 1 - 2 = 2; pipeline shifts to [4, 5].
    "single-l2": ((2,), [[3, 1, 4]], [[5]], [2], [[2, 4, 5]]),
    # (2, 0): r_1 = 2 and the expedited order 1 arrive: 0 + 2 + 1 - 5 = -2; r -> [6, 3].
    "dual-2-0": ((2, 0), [[0, 2, 6]], [[3, 1]], [5], [[-2, 6, 3]]),
    # (3, 1): r_1 = 2 and e_1 = 7 arrive: 1 + 9 - 6 = 4; r -> [0, 4, 5], e -> [3].
    "dual-3-1": ((3, 1), [[1, 2, 0, 4, 7]], [[5, 3]], [6], [[4, 0, 4, 5, 3]]),
    # (1, 1): r_1 = 2 and e_1 = 3 arrive: 0 + 5 - 1 = 4; r -> [4], e -> [1].
    "dual-1-1": ((1, 1), [[0, 2, 3]], [[4, 1]], [1], [[4, 4, 1]]),
    # (0, 0): both orders arrive at once: 2 + 1 + 3 - 5 = 1.
    "dual-0-0": ((0, 0), [[2]], [[1, 3]], [5], [[1]]),
}


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("case", list(ONE_PERIOD))
def test_transition_one_period_by_hand(case, backend):
    lead_times, state, orders, demand, expected = ONE_PERIOD[case]
    p = params(lead_times)
    conv = np.asarray if backend == "numpy" else torch.tensor
    out = transition(
        conv(np.array(state, dtype=np.float32)),
        conv(np.array(orders, dtype=np.float32)),
        conv(np.array(demand, dtype=np.float32)),
        p,
    )
    assert isinstance(out, np.ndarray if backend == "numpy" else torch.Tensor)
    assert out.shape == (len(state), p.state_dim)
    np.testing.assert_array_equal(np.asarray(out), np.array(expected, dtype=np.float32))


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_period_cost_by_hand(backend):
    # c = (1, 4), h = 2, b = 10.
    # I = 2 with orders (1, 2): 1*1 + 4*2 + 2*2 = 13
    # I = -3, no orders: 10*3 = 30
    # I = 0 with orders (3, 1): 3 + 4 = 7 (no holding, no shortage)
    p = params((2, 0), (1.0, 4.0), h=2.0, b=10.0)
    inv = np.array([2.0, -3.0, 0.0], dtype=np.float32)
    orders = np.array([[1, 2], [0, 0], [3, 1]], dtype=np.float32)
    if backend == "torch":
        inv, orders = torch.from_numpy(inv), torch.from_numpy(orders)
    cost = period_cost(inv, orders, p)
    np.testing.assert_array_equal(np.asarray(cost), [13.0, 30.0, 7.0])


@pytest.mark.parametrize("lead_times", [(0,), (1,), (2,), (4,), (2, 0), (3, 1), (1, 1), (0, 0), (5, 2)])
def test_numpy_transition_and_cost_equal_torch(lead_times):
    p = params(lead_times, order_costs=tuple(0.5 + k for k in range(len(lead_times))), h=1.5, b=9.0)
    rng = np.random.default_rng(len(lead_times) * 10 + sum(lead_times))
    n = 11
    state = rng.integers(-6, 10, size=(n, p.state_dim)).astype(np.float32)
    state[:, 1:] = np.abs(state[:, 1:])
    orders = rng.integers(0, 7, size=(n, p.n_suppliers)).astype(np.float32)
    demand = rng.integers(0, 9, size=n).astype(np.float32)
    nxt_np = transition(state, orders, demand, p)
    nxt_t = transition(torch.from_numpy(state), torch.from_numpy(orders), torch.from_numpy(demand), p)
    np.testing.assert_array_equal(nxt_np, nxt_t.numpy())
    cost_np = period_cost(nxt_np[:, 0], orders, p)
    cost_t = period_cost(nxt_t[:, 0], torch.from_numpy(orders), p)
    np.testing.assert_allclose(cost_np, cost_t.numpy(), rtol=1e-7)
    # The inventory balance holds row by row: I' = I + arrivals - D.
    arrivals = sum(
        orders[:, k] if lt == 0 else state[:, sl.start] for k, (lt, sl) in enumerate(zip(p.lead_times, p.pipeline_slices))
    )
    np.testing.assert_array_equal(nxt_np[:, 0], state[:, 0] + arrivals - demand)


def test_transition_rows_are_independent():
    """A batch of rows gives the same rows as each row alone."""
    p = params((3, 1))
    rng = np.random.default_rng(0)
    state = rng.integers(0, 6, size=(5, p.state_dim)).astype(np.float32)
    orders = rng.integers(0, 4, size=(5, 2)).astype(np.float32)
    demand = rng.integers(0, 5, size=5).astype(np.float32)
    batched = transition(state, orders, demand, p)
    for i in range(5):
        one = transition(state[i : i + 1], orders[i : i + 1], demand[i : i + 1], p)
        np.testing.assert_array_equal(batched[i : i + 1], one)


def test_transition_gradients_by_hand():
    """dI'/dI = 1, dI'/dq_e = 1 for l_e = 0, dI'/dq_r = 0 for l_r > 0; dI'/dr_1 = 1."""
    p = params((2, 0))
    state = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    orders = torch.tensor([[4.0, 5.0]], requires_grad=True)
    nxt = transition(state, orders, torch.tensor([1.0]), p)
    nxt[0, 0].backward()
    assert state.grad.tolist() == [[1.0, 1.0, 0.0]]
    assert orders.grad.tolist() == [[0.0, 1.0]]


def test_period_cost_gradient_by_hand():
    """d cost / d I' = h above 0, -b below 0, 0 at the kink; d cost / d q_k = c_k."""
    p = params((0,), (3.0,), h=2.0, b=10.0)
    inv = torch.tensor([4.0, -2.0, 0.0], requires_grad=True)
    orders = torch.tensor([[1.0], [2.0], [0.0]], requires_grad=True)
    period_cost(inv, orders, p).sum().backward()
    assert inv.grad.tolist() == [2.0, -10.0, 0.0]
    assert orders.grad.tolist() == [[3.0], [3.0], [3.0]]


def test_inventory_position_by_hand():
    # (3, 1): state [I=1, r=(2, 3, 4), e=(5,)].
    p = params((3, 1))
    state = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])
    assert inventory_position(state, p).tolist() == [15.0]  # everything outstanding
    assert inventory_position(state, p, horizon=0).tolist() == [1.0]
    assert inventory_position(state, p, horizon=1).tolist() == [8.0]  # 1 + r_1 + e_1
    assert inventory_position(state, p, horizon=2).tolist() == [11.0]  # + r_2
    assert inventory_position(torch.tensor(state), p, horizon=3).tolist() == [15.0]


def test_sourcing_params_derived_values():
    p = params((3, 1), (0.0, 2.0))
    assert p.n_suppliers == 2
    assert p.state_dim == 5
    assert p.pipeline_slices == (slice(1, 4), slice(4, 5))
    q = params((0,))
    assert q.state_dim == 1 and q.pipeline_slices == (slice(1, 1),)
    with pytest.raises(AttributeError):
        p.holding_cost = 3.0  # frozen
