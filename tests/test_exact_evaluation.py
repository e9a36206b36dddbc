"""Exact policy evaluation by Markov-chain analysis (idinn.exact.evaluate_policy)."""

from __future__ import annotations

import itertools
import re
import time

import numpy as np
import pytest
import torch

from idinn.demand import BaseDemand, CustomDemand, UniformDemand
from idinn.dynamics import period_cost, transition
from idinn.exact import PolicyEvaluation, evaluate_policy, solve_dual_sourcing_average_cost
from idinn.instances import get_instance, make_model
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


def base_stock(level):
    return lambda s: (level - s.sum(1, keepdim=True)).clamp(min=0)


def dual_index(ze, zr, lr, le):
    """Dual-index policy: expedite up to z_e, then order regular up to z_r."""

    def policy(s):
        ip_e = s[:, 0] + s[:, 1 : 2 + le].sum(1) + s[:, 1 + lr :].sum(1)
        qe = (ze - ip_e).clamp(min=0)
        qr = (zr - s.sum(1) - qe).clamp(min=0)
        return torch.stack([qr, qe], 1)

    return policy


def newsvendor_by_enumeration(level, lead_time, demand, h, b):
    """E[h (S - D^(l+1))^+ + b (D^(l+1) - S)^+] by enumerating all demand sequences."""
    v, p = demand.pmf()
    total = 0.0
    for seq in itertools.product(range(len(v)), repeat=lead_time + 1):
        d = v[list(seq)].sum()
        total += np.prod(p[list(seq)]) * (h * max(level - d, 0) + b * max(d - level, 0))
    return total


# --------------------------------------------------------------- closed forms
@pytest.mark.parametrize(("lead_time", "level"), [(0, 4), (0, 2), (1, 6), (2, 10), (2, 7), (3, 13)])
def test_base_stock_matches_newsvendor_closed_form(lead_time, level):
    demand = UniformDemand(0, 4)
    model = SingleSourcingModel(lead_time, 5, 495, 0, demand)
    ev = evaluate_policy(base_stock(level), model)
    assert ev.average_cost == pytest.approx(newsvendor_by_enumeration(level, lead_time, demand, 5, 495), abs=1e-9)
    assert ev.boundary_mass == 0.0


def test_order_cost_is_added_per_unit_of_mean_demand():
    demand = CustomDemand({1: 0.25, 2: 0.5, 6: 0.25})
    model = SingleSourcingModel(1, 2, 7, 0, demand, order_cost=3)
    ev = evaluate_policy(base_stock(9), model)
    expected = newsvendor_by_enumeration(9, 1, demand, 2, 7) + 3 * demand.mean()
    assert ev.average_cost == pytest.approx(expected, abs=1e-9)
    assert ev.mean_orders[0] == pytest.approx(demand.mean())


def test_cost_decomposition_and_distribution():
    model = make_model(get_instance("lr3_ce10_u04"))
    ev = evaluate_policy(dual_index(4, 9, 3, 0), model)
    assert isinstance(ev, PolicyEvaluation)
    p = model.params
    recomposed = (
        p.order_costs[0] * ev.mean_orders[0]
        + p.order_costs[1] * ev.mean_orders[1]
        + p.holding_cost * ev.expected_inventory
        + p.shortage_cost * ev.expected_backlog
    )
    assert ev.average_cost == pytest.approx(recomposed, rel=1e-12)
    assert sum(ev.mean_orders) == pytest.approx(2.0)  # orders replace mean demand
    assert ev.probabilities.sum() == pytest.approx(1.0)
    assert ev.states.shape == (ev.n_states, 4)
    np.testing.assert_array_equal(ev.states[0], [0, 0, 0, 0])


def test_reproduces_published_best_dual_index_cost():
    # grid search of the dual-index class on lr2_ce5_u04 reproduces the test bed's 17.0221
    inst = get_instance("lr2_ce5_u04")
    model = make_model(inst)
    best = min(
        evaluate_policy(dual_index(ze, ze + delta, 2, 0), model).average_cost
        for ze in range(0, 7)
        for delta in range(0, 7)
    )
    assert best == pytest.approx(inst.best_dual_index_cost, abs=1e-4)


def test_optimal_dp_policy_costs_g_star():
    from idinn.exact.dual_sourcing_dp import DualSourcingDPResult

    for name in ("lr4_ce10_u04", "lr3_ce20_u08"):
        model = make_model(get_instance(name))
        res: DualSourcingDPResult = solve_dual_sourcing_average_cost(model)
        ev = evaluate_policy(lambda s: torch.as_tensor(res.orders(s.numpy()), dtype=torch.float32), model)
        assert ev.average_cost == pytest.approx(res.optimal_cost, abs=1e-6)
        assert ev.boundary_mass == 0.0


def test_dual_policy_agrees_with_long_simulation():
    model = DualSourcingModel(2, 1, 1, 3, 2, 20, 0, CustomDemand({0: 0.2, 1: 0.3, 3: 0.5}))
    pol = dual_index(3, 7, 2, 1)
    ev = evaluate_policy(pol, model)
    rng = np.random.default_rng(2024)
    paths, periods, burn = 2000, 500, 100
    state = np.zeros((paths, 4))
    total = np.zeros(paths)
    v, p = model.demand_generator.pmf()
    for t in range(periods):
        q = pol(torch.as_tensor(state)).numpy()
        nxt = transition(state, q, rng.choice(v, size=paths, p=p).astype(float), model.params)
        if t >= burn:
            total += period_cost(nxt[:, 0], q, model.params)
        state = nxt
    per_path = total / (periods - burn)
    se = per_path.std(ddof=1) / np.sqrt(paths)
    assert abs(per_path.mean() - ev.average_cost) < 4 * se


# ------------------------------------------------------------ chain structure
def test_transient_start_is_forgotten():
    far = SingleSourcingModel(2, 5, 495, 40, UniformDemand(0, 4))
    near = SingleSourcingModel(2, 5, 495, 0, UniformDemand(0, 4))
    a = evaluate_policy(base_stock(11), far)
    b = evaluate_policy(base_stock(11), near)
    assert a.average_cost == pytest.approx(b.average_cost, abs=1e-9)
    assert a.probabilities[0] == 0.0  # the initial state is transient


def test_periodic_chain():
    # D = 2 always; order 4 when I < 2: inventory alternates 2, 0 -> mean holding cost h * 1
    model = SingleSourcingModel(0, 3, 10, 0, CustomDemand({2: 1.0}))
    ev = evaluate_policy(lambda s: 4.0 * (s[:, :1] < 2), model)
    assert ev.average_cost == pytest.approx(3.0)


def test_two_closed_classes_are_weighted_by_absorption():
    # D in {0, 2}; from I=0 order 1 -> I in {1, -1}, each w.p. 1/2. Above 0: order up to 3
    # (I stays in {1, 3}, end inventory 2 on average); below: order up to -1 (backlog 2).
    # Long-run cost = 1/2 * 2h + 1/2 * 2b = h + b.
    model = SingleSourcingModel(0, 1, 3, 0, CustomDemand({0: 0.5, 2: 0.5}))

    def pol(s):
        i = s[:, :1]
        return torch.where(i == 0, torch.ones_like(i), torch.where(i > 0, (3 - i).clamp(min=0), (-1 - i).clamp(min=0)))

    ev = evaluate_policy(pol, model)
    assert ev.average_cost == pytest.approx(4.0)


def test_controller_object_and_init_state():
    class Controller:
        def policy(self, state):
            return base_stock(4)(state)

    model = SingleSourcingModel(0, 5, 495, 0, UniformDemand(0, 4))
    ev = evaluate_policy(Controller(), model, init_state=[7])
    assert ev.average_cost == pytest.approx(10.0)
    np.testing.assert_array_equal(ev.states[0], [7])


# ------------------------------------------------------------------ truncation
def test_inventory_bounds_truncation_is_reported():
    model = SingleSourcingModel(0, 1, 1, 0, UniformDemand(0, 2))
    never_order = lambda s: torch.zeros(s.shape[0], 1)  # noqa: E731
    with pytest.warns(RuntimeWarning, match=re.escape("widen 'inventory_bounds' (now (-10, 10))")):
        ev = evaluate_policy(never_order, model, inventory_bounds=(-10, 10))
    assert ev.boundary_mass == pytest.approx(1.0)
    assert ev.inventory_bounds == (-10, 10)


def test_max_states_truncation_is_reported():
    model = DualSourcingModel(3, 0, 0, 5, 5, 495, 0, UniformDemand(0, 4))
    with pytest.warns(RuntimeWarning, match="raise 'max_states'"):
        ev = evaluate_policy(dual_index(4, 9, 3, 0), model, max_states=40)
    assert ev.n_states == 40
    assert ev.boundary_mass > 0


def test_speed_dual_lr4():
    model = make_model(get_instance("lr4_ce10_u04"))
    start = time.perf_counter()
    ev = evaluate_policy(dual_index(4, 10, 4, 0), model)
    assert time.perf_counter() - start < 1.0
    assert ev.n_states > 100


# ------------------------------------------------------------------ bad input
class _Normalish(BaseDemand):
    @property
    def has_finite_support(self):
        return False

    def pmf(self, period=0):
        raise NotImplementedError

    def sample_periods(self, batch_size, periods, generator=None, start_period=0):
        return torch.zeros(batch_size, periods)


class _Seasonal(UniformDemand):
    season_length = 2


def test_refuses_demand_without_finite_support():
    model = SingleSourcingModel(0, 1, 1, 0, _Normalish())
    with pytest.raises(ValueError, match=re.escape("The 'demand_generator' parameter of evaluate_policy must be a demand model with finite support")):
        evaluate_policy(base_stock(1), model)
    with pytest.raises(ValueError, match="stationary"):
        evaluate_policy(base_stock(1), SingleSourcingModel(0, 1, 1, 0, _Seasonal(0, 2)))


def test_refuses_bad_policies_and_arguments():
    model = SingleSourcingModel(0, 1, 1, 0, UniformDemand(0, 2))
    with pytest.raises(TypeError, match=re.escape("The 'policy' parameter of evaluate_policy")):
        evaluate_policy(3, model)
    with pytest.raises(ValueError, match="integer-valued orders"):
        evaluate_policy(lambda s: torch.full((s.shape[0], 1), 0.5), model)
    with pytest.raises(ValueError, match="finite orders >= 0"):
        evaluate_policy(lambda s: torch.full((s.shape[0], 1), -1.0), model)
    with pytest.raises(ValueError, match=re.escape("orders of shape (1, 1)")):
        evaluate_policy(lambda s: torch.zeros(s.shape[0], 2), model)
    with pytest.raises(TypeError, match=re.escape("The 'sourcing_model' parameter of evaluate_policy")):
        evaluate_policy(base_stock(1), "model")
    with pytest.raises(ValueError, match=re.escape("The 'init_state' parameter of evaluate_policy")):
        evaluate_policy(base_stock(1), model, init_state=[0, 1])
    with pytest.raises(ValueError, match=re.escape("The 'inventory_bounds' parameter of evaluate_policy")):
        evaluate_policy(base_stock(1), model, inventory_bounds=(3, 5))
    with pytest.raises(ValueError, match=re.escape("The 'max_states' parameter of evaluate_policy must be an int >= 1")):
        evaluate_policy(base_stock(1), model, max_states=0)


def test_position_chain_is_never_used_under_lost_sales():
    """A declared position policy under lost sales is evaluated on the full state (on-hand clipping)."""
    import pytest as _pytest

    from idinn.demand import UniformDemand
    from idinn.exact import evaluate_policy
    from idinn.sourcing_model import SingleSourcingModel

    model = SingleSourcingModel(lead_time=1, holding_cost=1, shortage_cost=9, init_inventory=0,
                                demand_generator=UniformDemand(0, 3), excess_demand="lost_sales")

    def base_stock(s):
        return (4 - s.sum(1, keepdim=True)).clamp(min=0)

    base_stock.depends_only_on_inventory_position = True
    full = evaluate_policy(base_stock, model, position_only=False)
    assert full.average_cost == _pytest.approx(2.964285714285715, abs=1e-12)
    # max_states below 4^2 makes the full chain "too large", which for backlog switches to the position chain
    # (one state per position, pipeline column zero); under lost sales it must stay on the full state.
    auto = evaluate_policy(base_stock, model, max_states=8)
    assert auto.states.shape[1] == 2 and (auto.states[:, 1] != 0).any()
    with _pytest.raises(ValueError, match="under lost sales"):
        evaluate_policy(base_stock, model, position_only=True)
