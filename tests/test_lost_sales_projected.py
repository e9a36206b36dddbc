"""Projected inventory level (PIL, van Jaarsveld & Arts 2024) and fixed arrival service-level
(de Kok & Meijer 2023) policies under lost sales."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from idinn.demand import PoissonDemand, UniformDemand
from idinn.exact import (
    arrival_service_level_policy,
    evaluate_lost_sales_projected_level,
    evaluate_lost_sales_service_level,
    evaluate_policy,
    fit_lost_sales_projected_level,
    fit_lost_sales_service_level,
    fit_lost_sales_service_level_by_simulation,
    projected_arrival_inventory,
    projected_inventory_level_policy,
    simulated_average_cost,
    solve_lost_sales_average_cost,
)
from idinn.single_controller import SingleSourcingNeuralController
from idinn.sourcing_model import SingleSourcingModel

THIRDS = np.full(3, 1 / 3)  # demand uniform on {0, 1, 2}


def model(lead: int, p: float = 9.0, demand=None) -> SingleSourcingModel:
    return SingleSourcingModel(lead_time=lead, holding_cost=1, shortage_cost=p, batch_size=8, init_inventory=0,
                               demand_generator=demand or UniformDemand(0, 2), excess_demand="lost_sales")


def brute_force_law(state: np.ndarray, pmf: np.ndarray) -> dict[int, float]:
    """Law of I_{t+L} by enumerating every demand sequence of the L periods (Zipkin's events)."""
    L = len(state) - 1
    law: dict[int, float] = {}
    for ds in itertools.product(range(len(pmf)), repeat=L):
        inv, pipe, prob = int(state[0]), list(state[1:]), 1.0
        for d in ds:
            inv = max(inv + pipe.pop(0) - d, 0)
            prob *= pmf[d]
        law[inv] = law.get(inv, 0.0) + prob
    return law


def brute_force_arrival(state: np.ndarray, pmf: np.ndarray) -> float:
    return sum(z * pz for z, pz in brute_force_law(state, pmf).items())


def brute_force_service_order(state: np.ndarray, pmf: np.ndarray, alpha: float) -> int:
    """Smallest q with P(I_{t+L} + q >= D) >= alpha, from the enumerated law."""
    law, cdf = brute_force_law(state, pmf), np.cumsum(pmf)
    q = 0
    while sum(pz * (cdf[min(z + q, len(pmf) - 1)]) for z, pz in law.items()) < alpha:
        q += 1
    return q


def test_projection_by_hand():
    # L = 1, I = 1, q_{t-1} = 1: E[(2 - D)^+] = (2 + 1 + 0) / 3 = 1
    # L = 2, I = 0, (q_{t-2}, q_{t-1}) = (1, 2): J = (1 - D)^+ + 2 is 3 w.p. 1/3, 2 w.p. 2/3;
    # E[(J - D)^+] = 1/3 * 2 + 2/3 * 1 = 4/3
    got = projected_arrival_inventory(np.array([[0, 1, 2]]), THIRDS)
    assert got[0] == pytest.approx(4 / 3, abs=1e-12)
    assert projected_arrival_inventory([[1, 1]], THIRDS)[0] == pytest.approx(1.0, abs=1e-12)
    pol = projected_inventory_level_policy(model(2), 3.0)
    # q = floor(3 - 4/3 + 1/2) = 2; capped at 1
    assert pol.orders([[0, 1, 2]]).tolist() == [2]
    assert projected_inventory_level_policy(model(2), 3.0, cap=1).orders([[0, 1, 2]]).tolist() == [1]
    assert pol.policy(torch.tensor([[0.0, 1, 2]])).shape == (1, 1)


@pytest.mark.parametrize("L", [1, 2, 3, 4])
def test_projection_equals_brute_force_enumeration(L):
    rng = np.random.default_rng(L)
    pmf = np.array([0.1, 0.25, 0.3, 0.2, 0.15])
    states = rng.integers(0, 6, size=(25, 1 + L))
    got = projected_arrival_inventory(states, pmf)
    want = [brute_force_arrival(s, pmf) for s in states]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_service_level_order_by_hand():
    # L = 1, x = I + q_{t-1} = 2: I_{t+1} = (2 - D)^+ is 2, 1, 0 w.p. 1/3 each; D independent on {0, 1, 2}.
    # P(I + q >= D) = (1 + 2/3 + 1/3) / 3 = 2/3 (q = 0), (1 + 1 + 2/3) / 3 = 8/9 (q = 1), 1 (q = 2).
    m = model(1)
    for alpha, q in ((0.6, 0), (2 / 3, 0), (0.7, 1), (8 / 9 - 1e-9, 1), (0.95, 2)):
        assert arrival_service_level_policy(m, alpha).orders([[1, 1]]).tolist() == [q], alpha
    assert arrival_service_level_policy(m, 0.95, cap=1).orders([[1, 1]]).tolist() == [1]


@pytest.mark.parametrize("L", [1, 2, 3])
def test_service_level_orders_equal_brute_force(L):
    rng = np.random.default_rng(10 + L)
    pmf = np.array([0.1, 0.25, 0.3, 0.2, 0.15])
    m = model(L, demand=UniformDemand(0, 4))
    states = rng.integers(0, 6, size=(20, 1 + L))
    for alpha in (0.3, 0.8, 0.97):
        pol = arrival_service_level_policy(m, alpha)
        pol = type(pol)(alpha, None, L, pmf)  # the same rule on a non-uniform demand law
        want = [brute_force_service_order(s, pmf, alpha) for s in states]
        assert pol.orders(states).tolist() == want


def test_exact_cost_equals_the_full_chain_evaluation():
    """The reduced-state evaluation equals idinn.exact.evaluate_policy on the full chain."""
    m = model(2, p=9.0, demand=UniformDemand(0, 4))
    for level, cap in ((4.5, None), (6.0, 3), (3.25, 2)):
        pol = projected_inventory_level_policy(m, level, cap)
        full = evaluate_policy(pol, m).average_cost
        assert evaluate_lost_sales_projected_level(m, level, cap) == pytest.approx(full, abs=1e-7)
    for alpha, cap in ((0.8, None), (0.95, 3)):
        full = evaluate_policy(arrival_service_level_policy(m, alpha, cap), m).average_cost
        assert evaluate_lost_sales_service_level(m, alpha, cap) == pytest.approx(full, abs=1e-7)


def test_fit_is_the_best_level_on_the_grid():
    m = model(2, p=9.0, demand=UniformDemand(0, 4))
    fit = fit_lost_sales_projected_level(m, step=0.5)
    grid = {v: evaluate_lost_sales_projected_level(m, v) for v in np.arange(0.0, 12.01, 0.5)}
    best = min(grid, key=grid.get)
    assert fit.policy == "projected_inventory_level"
    assert fit.parameters == {"projected_level": best, "cap": None}
    assert fit.average_cost == pytest.approx(grid[best], abs=1e-9)


def test_zipkin_poisson_lead_4_costs_between_the_optimum_and_base_stock():
    """Zipkin (2008) Poisson(5), L = 4, p = 9: optimum 6.84, best base-stock 7.27; PIL lies between."""
    m = model(4, p=9.0, demand=PoissonDemand(5.0))
    fit = fit_lost_sales_projected_level(m)
    assert fit.parameters == {"projected_level": 9.0, "cap": None}
    assert fit.average_cost == pytest.approx(6.901446, abs=1e-5)
    assert 6.84 < fit.average_cost < 7.27


@pytest.mark.parametrize("p, alpha, cost", [(4.0, 0.691462, 4.730315), (39.0, 0.959941, 10.794637)])
def test_zipkin_poisson_lead_4_service_level_is_within_0_05_percent_of_the_optimum(p, alpha, cost):
    """Poisson(5), L = 4: the fitted arrival service level costs at most 0.05 % above the exact optimum."""
    m = model(4, p=p, demand=PoissonDemand(5.0))
    fit = fit_lost_sales_service_level(m)
    optimum = solve_lost_sales_average_cost(m).average_cost
    assert fit.parameters["service_level"] == pytest.approx(alpha, abs=1e-6)
    assert fit.average_cost == pytest.approx(cost, abs=1e-5)
    assert optimum <= fit.average_cost <= optimum * 1.0005


def test_bad_input_is_refused():
    m = model(2)
    with pytest.raises(ValueError, match="'projected_level' parameter"):
        projected_inventory_level_policy(m, -1.0)
    with pytest.raises(ValueError, match="'projected_level' parameter"):
        projected_inventory_level_policy(m, math.nan)
    with pytest.raises(ValueError, match="'cap' parameter"):
        projected_inventory_level_policy(m, 2.0, cap=-1)
    pol = projected_inventory_level_policy(m, 2.0)
    with pytest.raises(ValueError, match="'states' parameter.*non-negative whole numbers"):
        pol.orders([[-1, 0, 0]])
    with pytest.raises(ValueError, match="'states' parameter.*shape"):
        pol.orders([[1, 0]])
    with pytest.raises(ValueError, match="'pmf' parameter"):
        projected_arrival_inventory([[1, 1]], [0.5, 0.6])
    for alpha in (0.0, 1.0, math.nan):
        with pytest.raises(ValueError, match="'service_level' parameter"):
            arrival_service_level_policy(m, alpha)
    backlog = SingleSourcingModel(lead_time=2, holding_cost=1, shortage_cost=9, batch_size=8, init_inventory=0,
                                  demand_generator=UniformDemand(0, 2))
    with pytest.raises(ValueError, match="lost_sales"):
        projected_inventory_level_policy(backlog, 2.0)


def test_neural_warm_start_imitates_the_projected_level_policy():
    m = model(2, p=9.0, demand=UniformDemand(0, 4))
    ctrl = SingleSourcingNeuralController(hidden_layers=[16, 16]).fit(
        m, sourcing_periods=5, epochs=1, parameters_lr=1e-9, init_inventory_lr=0, policy_iterations=0,
        init_policy={"projected_level": 5.5, "cap": 4}, seed=0, progress=False,
    )
    assert ctrl.imitation_agreement_ >= 0.99
    states = torch.tensor([[0.0, 2, 2], [1, 1, 1], [6, 2, 0], [9, 0, 0], [3, 3, 2]])
    want = projected_inventory_level_policy(m, 5.5, cap=4).orders(states.numpy().astype(np.int64))
    assert ctrl.policy(states)[:, 0].tolist() == want.astype(float).tolist()
    with pytest.raises(TypeError, match="'init_policy' parameter"):
        SingleSourcingNeuralController().fit(m, sourcing_periods=5, epochs=1, progress=False,
                                             init_policy={"projected_level": 5.5})


def test_neural_warm_start_imitates_the_service_level_policy():
    m = model(2, p=9.0, demand=UniformDemand(0, 4))
    ctrl = SingleSourcingNeuralController(hidden_layers=[16, 16]).fit(
        m, sourcing_periods=5, epochs=1, parameters_lr=1e-9, init_inventory_lr=0, policy_iterations=0,
        init_policy={"service_level": 0.9, "cap": None}, seed=0, progress=False,
    )
    assert ctrl.imitation_agreement_ >= 0.99
    states = torch.tensor([[0.0, 2, 2], [1, 1, 1], [6, 2, 0], [9, 0, 0], [3, 3, 2]])
    want = arrival_service_level_policy(m, 0.9).orders(states.numpy().astype(np.int64))
    assert ctrl.policy(states)[:, 0].tolist() == want.astype(float).tolist()


def test_benchmark_simulation_follows_the_library_policy(long_lead_benchmark):
    """The long-lead benchmark's compiled PIL simulation equals a step-by-step simulation of the policy."""
    bench = long_lead_benchmark
    L, level, cap, p, burn = 3, 9.25, 6, 9.0, 20
    m = model(L, p=p, demand=PoissonDemand(5.0))
    pol = projected_inventory_level_policy(m, level, cap)
    demands = bench.sample("poisson", 4, 120, seed=5)
    got = bench.projected_costs(demands, L, level, cap, pol.pmf, 1.0, p, burn)
    want = _step_by_step(pol, demands, L, p, burn)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    svc = arrival_service_level_policy(m, 0.93, cap)
    got = bench.service_costs(demands, L, 0.93, cap, svc.pmf, 1.0, p, burn)
    np.testing.assert_allclose(got, _step_by_step(svc, demands, L, p, burn), rtol=1e-12)


def _step_by_step(pol, demands: np.ndarray, L: int, p: float, burn: int) -> list[float]:
    """Average cost per period of each path, the policy queried state by state (Zipkin's events, h = 1)."""
    out = []
    for path in demands:
        state, total = np.zeros(1 + L, dtype=np.int64), 0.0
        for t, d in enumerate(path):
            q = int(pol.orders(state[None])[0])
            y = state[0] + state[1] - d
            state = np.concatenate([[max(y, 0)], state[2:], [q]])
            total += (y if y > 0 else -p * y) if t >= burn else 0.0
        out.append(total / (len(path) - burn))
    return out


def test_simulated_fit_finds_the_exact_best_service_level():
    """Poisson(5), L = 4, p = 9: the simulated search lands on the alpha the exact search picks (0.828944)."""
    m = model(4, p=9.0, demand=PoissonDemand(5.0))
    fit = fit_lost_sales_service_level_by_simulation(m, paths=64, periods=1000, burn_in=200, seed=0)
    assert fit.parameters == {"service_level": pytest.approx(0.828944, abs=1e-6), "cap": None}
    assert fit.evaluations == 32
    with pytest.raises(ValueError, match="'burn_in' parameter"):
        fit_lost_sales_service_level_by_simulation(m, periods=10, burn_in=10)


def test_simulated_cost_follows_the_dynamics_by_hand():
    """L = 1, U{0..2}, h = 1, p = 9, a rule that always orders 1: a hand-computed path."""

    class OrderOne:
        def orders(self, states):
            return np.ones(len(states), dtype=np.int64)

    m = model(1, p=9.0)
    # I: 0 -> arrival 0, D = 2: y = -2 (lost 2, cost 18), I = 0; q_{t-1} = 1 arrives, D = 0: y = 1 (cost 1);
    # arrival 1, D = 1: y = 1 (cost 1); arrival 1, D = 2: y = 0 (cost 0)
    demands = np.array([[2, 0, 1, 2]])
    assert simulated_average_cost(OrderOne(), m, demands, burn_in=0) == pytest.approx((18 + 1 + 1 + 0) / 4)
    assert simulated_average_cost(OrderOne(), m, demands, burn_in=1) == pytest.approx((1 + 1 + 0) / 3)


def test_default_recipe_imitates_the_service_level_when_no_dp_fits():
    """With a DP budget too small, the exact stage falls back to the simulated arrival service level."""
    m = model(3, p=9.0, demand=UniformDemand(0, 4))
    ctrl = SingleSourcingNeuralController(hidden_layers=[16, 16]).fit(
        m, sourcing_periods=5, epochs=1, parameters_lr=1e-9, init_inventory_lr=0, policy_iterations=1,
        policy_iteration_max_entries=1000, seed=0, progress=False,
    )
    fit = ctrl.fallback_policy_
    assert fit.policy == "arrival_service_level" and ctrl.policy_iteration_log_ == []
    states = torch.tensor([[0.0, 2, 2, 2], [1, 1, 1, 1], [6, 2, 0, 0], [3, 3, 2, 1]])
    want = arrival_service_level_policy(m, fit.parameters["service_level"]).orders(states.numpy().astype(np.int64))
    assert ctrl.policy(states)[:, 0].tolist() == want.astype(float).tolist()
    with pytest.raises(ValueError, match="'policy_iteration_max_entries' parameter"):
        SingleSourcingNeuralController().fit(m, sourcing_periods=5, epochs=1, progress=False,
                                             policy_iteration_max_entries=0)


def test_exact_ties_order_the_smaller_quantity():
    """U{0, 1, 2}, L = 3, state [3, 0, 1, 0]: P(I_{t+3} >= D) is exactly 54/81, so alpha = 54/81 orders 0."""
    m = model(3)
    state = np.array([[3, 0, 1, 0]])
    law = brute_force_law(state[0], THIRDS)
    assert sum(pz * (min(z, 2) + 1) / 3 for z, pz in law.items()) == pytest.approx(54 / 81, abs=1e-15)
    assert arrival_service_level_policy(m, 54 / 81).orders(state).tolist() == [0]
    assert arrival_service_level_policy(m, 54 / 81 + 1e-9).orders(state).tolist() == [1]


def test_more_bad_input_names_the_function_called():
    m = model(2)
    backlog = SingleSourcingModel(lead_time=2, holding_cost=1, shortage_cost=9, batch_size=8, init_inventory=0,
                                  demand_generator=UniformDemand(0, 2))
    with pytest.raises(ValueError, match="of evaluate_lost_sales_service_level"):
        evaluate_lost_sales_service_level(backlog, 0.9)
    with pytest.raises(ValueError, match="'max_entries' parameter of fit_lost_sales_projected_level"):
        fit_lost_sales_projected_level(m, max_entries=-5)
    with pytest.raises(ValueError, match="'states' parameter.*rectangular array of numbers"):
        arrival_service_level_policy(m, 0.9).orders([[1, 2, 0], [3]])
    with pytest.raises(ValueError, match="'states' parameter.*rectangular array of numbers"):
        projected_arrival_inventory([["1", "0"]], THIRDS)
    with pytest.raises(ValueError, match="'seed' parameter of fit_lost_sales_service_level_by_simulation"):
        fit_lost_sales_service_level_by_simulation(m, seed=-1)
    with pytest.raises(ValueError, match="init_policy.'service_level'.* parameter of SingleSourcingNeuralController"):
        SingleSourcingNeuralController().fit(m, sourcing_periods=5, epochs=1, progress=False,
                                             init_policy={"service_level": 1.5, "cap": None})
    pol = arrival_service_level_policy(m, 0.9)
    assert hash(pol) != 0 and pol == pol and pol != arrival_service_level_policy(m, 0.9)  # identity, no array compare


@pytest.mark.parametrize("demands, burn_in, rule", [
    (np.ones((2, 10)), 10, "'burn_in' parameter"),
    (np.ones((2, 10)), -3, "'burn_in' parameter"),
    (-np.ones((2, 10)), 0, "'demands' parameter.*non-negative"),
    ([[1, 2], [3, 4]], 0, "'demands' parameter.*2-D numpy array"),
    (np.ones(10), 0, "'demands' parameter.*2-D numpy array"),
])
def test_simulated_average_cost_checks_its_input(demands, burn_in, rule):
    m = model(1)
    with pytest.raises(ValueError, match=rule):
        simulated_average_cost(arrival_service_level_policy(m, 0.9), m, demands, burn_in)


def test_a_user_warm_start_is_kept_when_no_dp_fits():
    m = model(3, p=9.0, demand=UniformDemand(0, 4))
    ctrl = SingleSourcingNeuralController(hidden_layers=[16, 16]).fit(
        m, sourcing_periods=5, epochs=1, parameters_lr=1e-9, init_inventory_lr=0, policy_iterations=1,
        policy_iteration_max_entries=1000, init_policy={"base_stock_level": 14, "cap": 3}, seed=0, progress=False,
    )
    assert ctrl.fallback_policy_ is None and not hasattr(ctrl, "optimal_cost_")
    assert ctrl.policy(torch.tensor([[0.0, 0, 0, 0]]))[:, 0].tolist() == [3.0]  # the cap of the user's policy
