"""The compact simplex layout of the lost-sales solvers: enumeration, ranking, next-state rows, memory."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from idinn.demand import PoissonDemand
from idinn.exact import _pmf, solve_lost_sales_average_cost
from idinn.exact.lost_sales import next_state_row, simplex_rank, simplex_states
from idinn.exact.lost_sales_heuristics import fit_lost_sales_policy
from idinn.sourcing_model import SingleSourcingModel


def brute_states(B: int, L: int) -> list[tuple[int, ...]]:
    """(x, v_1, ..., v_{L-1}) with sum <= B, sorted lexicographically by (v_1, ..., v_{L-1}, x)."""
    pts = [s for s in itertools.product(range(B + 1), repeat=L) if sum(s) <= B]
    return sorted(pts, key=lambda s: (*s[1:], s[0]))


@pytest.mark.parametrize("B, L", [(0, 1), (5, 1), (0, 3), (4, 2), (5, 3), (4, 4), (3, 5)])
def test_states_and_ranks_match_a_brute_force_enumeration(B, L):
    expected = brute_states(B, L)
    states = simplex_states(B, L)
    assert states.shape == (math.comb(B + L, L), L) == (len(expected), L)
    assert [tuple(s) for s in states.tolist()] == expected
    assert tuple(states[0]) == (0,) * L  # row 0 is the empty state
    np.testing.assert_array_equal(simplex_rank(states, B), np.arange(len(expected)))
    # any subset, in any order
    rng = np.random.default_rng(3)
    pick = rng.permutation(len(expected))[: max(1, len(expected) // 3)]
    np.testing.assert_array_equal(simplex_rank(states[pick], B), pick)


@pytest.mark.parametrize("B, L", [(4, 1), (5, 2), (4, 3), (3, 4)])
def test_next_state_row_is_the_rank_of_the_next_state(B, L):
    """Row of (y, v_2, ..., v_{L-1}, q) for every state, order q and arriving stock y that stays inside."""
    index = {s: i for i, s in enumerate(brute_states(B, L))}
    checked = 0
    for s in index:
        v = s[1:]
        rest = sum(v[1:])  # v_2 + ... + v_{L-1}
        tail, width, tri = (0, 1, 0) if L == 1 else (index[(0, *v[1:], 0)], B - rest + 1, 1)
        for q in range(B - sum(s) + 1):
            for y in range(B - rest - q + 1):
                nxt = (y + q,) if L == 1 else (y, *v[1:], q)
                assert next_state_row(tail, width, tri, q, y) == index[nxt]
                checked += 1
    assert checked > 0


def test_solution_order_table_and_order_agree_and_large_boxes_are_refused(monkeypatch):
    m = SingleSourcingModel(lead_time=2, holding_cost=1, shortage_cost=9, init_inventory=0,
                            demand_generator=PoissonDemand(5), excess_demand="lost_sales")
    sol = solve_lost_sales_average_cost(m)
    assert round(sol.average_cost, 2) == 6.09  # Zipkin (2008), Table 3
    B = sol.max_position
    states = simplex_states(B, 2)
    assert sol.state_orders.shape == (math.comb(B + 2, 2),) == (sol.n_states,)
    table = sol.order_table
    assert table.shape == (B + 1, B + 1)
    np.testing.assert_array_equal(table[states[:, 0], states[:, 1]], sol.state_orders)
    full = np.stack([states[:, 0], np.zeros(len(states), dtype=np.int32), states[:, 1]], axis=1)
    np.testing.assert_array_equal(sol.order(full), sol.state_orders)
    monkeypatch.setattr("idinn.exact._pmf.MAX_TABLE_ENTRIES", (B + 1) ** 2 - 1)
    with pytest.raises(MemoryError, match=rf"{B + 1} \*\* 2 = {(B + 1) ** 2:,} entries"):
        sol.order_table  # noqa: B018 - the property raises


def test_memory_refusal_names_states_and_limit():
    m = SingleSourcingModel(lead_time=6, holding_cost=1, shortage_cost=9, init_inventory=0,
                            demand_generator=PoissonDemand(5), excess_demand="lost_sales")
    # S_bar = 43 at L = 6 (the 0.9 quantile of Poisson(35)): C(49, 6) states
    n = math.comb(49, 6)
    with pytest.raises(MemoryError, match=rf"{n:,} states \(positions up to 43, lead time 6\)"):
        solve_lost_sales_average_cost(m)
    assert _pmf.MAX_TABLE_ENTRIES < 18 * n


def test_heuristic_tables_use_the_same_layout():
    m = SingleSourcingModel(lead_time=3, holding_cost=1, shortage_cost=4, init_inventory=0,
                            demand_generator=PoissonDemand(5), excess_demand="lost_sales")
    myopic = fit_lost_sales_policy(m, "myopic")
    assert round(myopic.average_cost, 2) == 4.84  # Zipkin (2008), Table 3, myopic column
    states = simplex_states(myopic.max_position, 3)
    full = np.concatenate([states[:, :1], np.zeros((len(states), 1), dtype=np.int32), states[:, 1:]], axis=1)
    np.testing.assert_array_equal(myopic.order(full), myopic.state_orders)
    np.testing.assert_array_equal(myopic.order_table[tuple(states.T)], myopic.state_orders)


def test_bound_below_morton_iteration_limit_and_bad_states_are_not_silent():
    m = SingleSourcingModel(lead_time=2, holding_cost=1, shortage_cost=9, init_inventory=0,
                            demand_generator=PoissonDemand(5), excess_demand="lost_sales")
    sol = solve_lost_sales_average_cost(m)
    assert sol.max_position == 20  # the 0.9 quantile of Poisson(15)
    with pytest.raises(ValueError, match=r"'max_position' parameter .* must be an int >= 20, Morton's bound.*Got 5"):
        solve_lost_sales_average_cost(m, max_position=5)
    assert solve_lost_sales_average_cost(m, max_position=26).average_cost == pytest.approx(sol.average_cost, abs=1e-6)
    with pytest.warns(RuntimeWarning, match=r"stopped after max_iterations=1 sweeps"):
        rough = solve_lost_sales_average_cost(m, max_iterations=1)
    assert rough.upper_bound - rough.lower_bound > 1.0
    with pytest.raises(ValueError, match=r"'state' parameter of LostSalesSolution.order must be an array of shape "
                                         r"\(B, 3\).*Got 'shape \(1, 2\)'"):
        sol.order([[1, 2]])
    with pytest.raises(ValueError, match=r"must be non-negative.*Got 'a state with -1'"):
        sol.order([[-1, 0, 0]])
    np.testing.assert_array_equal(sol.order([0, 0, 0]), sol.order([[0, 0, 0]]))


@pytest.mark.parametrize("L", [1, 3])
def test_benchmark_table_simulation_looks_states_up_by_rank(L, long_lead_benchmark):
    """A capped base-stock written as an order table on the simplex costs exactly the same, path by path."""
    from idinn.exact.lost_sales import _binomials

    bench = long_lead_benchmark
    S, r = 5 * (L + 1) + 3, 6
    states = simplex_states(S, L)
    table = np.minimum(np.maximum(S - states.sum(1), 0), r).astype(np.int32)
    demands = bench.sample("poisson", 20, 400, seed=4)
    direct = bench.capped_costs(demands, L, S, r, 1.0, 9.0, 50)
    looked_up = bench.table_costs(demands, L, table, _binomials(S + L + 1, L), S, 1.0, 9.0, 50)
    np.testing.assert_array_equal(direct, looked_up)
    assert direct.mean() > 0


def test_order_refuses_fractional_and_nan_states():
    m = SingleSourcingModel(lead_time=2, holding_cost=1, shortage_cost=9, init_inventory=0,
                            demand_generator=PoissonDemand(5), excess_demand="lost_sales")
    sol = solve_lost_sales_average_cost(m)
    np.testing.assert_array_equal(sol.order(np.array([[0.0, 0.0, 6.0]])), sol.order([[0, 0, 6]]))
    with pytest.raises(ValueError, match=r"must be whole numbers of units.*Got 'a state with 5.99999'"):
        sol.order([[0, 0, 5.99999]])
    with pytest.raises(ValueError, match=r"must be whole numbers of units.*Got 'a state with nan'"):
        sol.order(np.array([[0, np.nan, 1]]))


def test_simplex_functions_refuse_bad_input():
    with pytest.raises(ValueError, match=r"'max_position' parameter of simplex_states must be an int >= 0\. Got -1"):
        simplex_states(-1, 2)
    with pytest.raises(ValueError, match=r"'lead_time' parameter of simplex_states must be an int >= 1\. Got 0"):
        simplex_states(3, 0)
    with pytest.raises(ValueError, match=r"'states' parameter of simplex_rank must be an array of shape \(n, L\)"):
        simplex_rank(np.array([1, 2]), 5)
    with pytest.raises(ValueError, match=r"sum at most max_position = 5.*sum up to 6"):
        simplex_rank(np.array([[3, 3]]), 5)
    with pytest.raises(ValueError, match=r"non-negative.*minimum -1"):
        simplex_rank(np.array([[-1, 2]]), 5)
    assert simplex_rank(np.zeros((0, 2), dtype=np.int64), 5).shape == (0,)
