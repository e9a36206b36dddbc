"""Gymnasium environments (idinn.envs): conformance, exactness against the simulator, adapters."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

gym = pytest.importorskip("gymnasium")

import idinn.envs  # noqa: E402  (registers the ids)
from gymnasium.utils.env_checker import check_env  # noqa: E402
from idinn.demand import TraceDemand, UniformDemand  # noqa: E402
from idinn.envs import (  # noqa: E402
    ControllerAgent,
    FlatOrdersWrapper,
    SourcingEnv,
    SourcingVectorEnv,
    as_state_policy,
    default_max_order,
    run_episode,
    sample_demand,
)
from idinn.exact import evaluate_policy  # noqa: E402
from idinn.problem import SourcingProblem  # noqa: E402
from idinn.single_controller import BaseStockController  # noqa: E402
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel  # noqa: E402

IDS = sorted(i for i in gym.registry if i.startswith("idinn/"))


def test_registry_has_the_documented_ids():
    assert IDS == [
        "idinn/DualSourcing-v0",
        "idinn/SeasonalSingleSourcing-v0",
        "idinn/SingleSourcing-v0",
        "idinn/TripleSourcing-v0",
    ]


@pytest.mark.parametrize("env_id", IDS)
def test_check_env_passes(env_id):
    env = gym.make(env_id, horizon=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any checker warning fails the test
        check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize("env_id", IDS)
def test_same_seed_same_episode(env_id):
    a, b = gym.make(env_id, horizon=40), gym.make(env_id, horizon=40)
    oa, _ = a.reset(seed=11)
    ob, _ = b.reset(seed=11)
    np.testing.assert_array_equal(oa, ob)
    a.action_space.seed(3)
    for _ in range(40):
        act = a.action_space.sample()
        ra, rb = a.step(act), b.step(act)
        np.testing.assert_array_equal(ra[0], rb[0])
        assert ra[1:4] == rb[1:4] and ra[4] == rb[4]
    assert ra[3] is True  # truncated at the horizon
    c = gym.make(env_id, horizon=40)
    c.reset(seed=12)
    demands = [c.step(act)[4]["demand"] for _ in range(40)]
    a.reset(seed=11)
    assert demands != [a.step(act)[4]["demand"] for _ in range(40)]


def test_hand_computed_dual_trajectory():
    # l_r = 2, l_e = 0, c_e = 20, h = 5, b = 495, replayed demand 3, 1, 4, I_0 = 2
    problem = SourcingProblem.dual(
        regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
        holding_cost=5, shortage_cost=495, demand=TraceDemand([3, 1, 4]), init_inventory=2,
    )
    env = SourcingEnv(problem, horizon=3, max_order=5)
    obs, info = env.reset(seed=0)
    assert obs.tolist() == [2, 0, 0, 0] and info == {"period": 0}
    expected = [
        # action, next obs [I, q_r(t-1)... , phase], reward
        ((2, 1), [0, 0, 2, 1], -20.0),  # I = 2 + 0 + 1 - 3 = 0; cost 20 * 1
        ((3, 0), [-1, 2, 3, 2], -495.0),  # I = 0 + 0 + 0 - 1 = -1; cost 495 * 1
        ((0, 2), [-1, 3, 0, 0], -535.0),  # I = -1 + 2 + 2 - 4 = -1; cost 20 * 2 + 495
    ]
    for i, (action, nxt, reward) in enumerate(expected):
        obs, r, terminated, truncated, info = env.step(np.array(action))
        assert obs.tolist() == nxt and r == reward and not terminated
        assert truncated is (i == 2)
    assert info == {"period": 3, "demand": 4, "cost": 535.0, "out_of_bounds": False}
    with pytest.raises(RuntimeError, match="call reset first"):
        env.step(np.array([0, 0]))


@pytest.mark.parametrize("dual", [False, True])
def test_env_step_equals_simulator_step(dual):
    demand = UniformDemand(0, 4)
    if dual:
        model = DualSourcingModel(regular_lead_time=3, expedited_lead_time=1, regular_order_cost=1,
                                  expedited_order_cost=12, holding_cost=5, shortage_cost=95,
                                  init_inventory=4, demand_generator=demand, batch_size=1)
    else:
        model = SingleSourcingModel(lead_time=2, holding_cost=5, shortage_cost=95, init_inventory=4,
                                    demand_generator=demand, batch_size=1)
    env = SourcingEnv(model, horizon=60)
    obs, _ = env.reset(seed=5)
    model.reset()
    rng = np.random.default_rng(0)
    for _ in range(60):
        np.testing.assert_array_equal(model.get_state()[0].detach().numpy(), obs)
        action = rng.integers(0, 6, size=env.problem.n_suppliers)
        obs, reward, _, _, info = env.step(action)
        cost = model.step(torch.tensor(action, dtype=torch.float32)[None], torch.tensor([float(info["demand"])]))
        assert reward == pytest.approx(-float(cost[0].detach()), rel=1e-6)
    np.testing.assert_array_equal(model.get_state()[0].detach().numpy(), obs)


def test_bad_actions_options_and_arguments_are_refused():
    env = gym.make("idinn/DualSourcing-v0").unwrapped
    env.reset(seed=0)
    msg = "The 'action' parameter of SourcingEnv must be 2 integer orders within 0..max_order=[8, 8]"
    for bad in (np.array([9, 0]), np.array([-1, 0]), np.array([1.5, 0]), np.array([1, 2, 3])):
        with pytest.raises(ValueError, match=re.escape(msg)):
            env.step(bad)
    with pytest.raises(ValueError, match="within the observation bounds"):
        env.reset(options={"init_state": [0, 0, 99]})
    with pytest.raises(ValueError, match="only key 'init_state'"):
        env.reset(options={"start": 1})
    with pytest.raises(ValueError, match=re.escape("The 'horizon' parameter of SourcingEnv must be an int >= 1. Got 0")):
        SourcingEnv(env.problem, horizon=0)
    with pytest.raises(ValueError, match="one per supplier"):
        SourcingEnv(env.problem, max_order=[1, 2, 3])
    with pytest.raises(TypeError, match="'problem' parameter of SourcingEnv"):
        SourcingEnv("dual")


def test_defaults_spaces_and_init_state_option():
    env = gym.make("idinn/DualSourcing-v0", horizon=100).unwrapped
    assert default_max_order(env.problem) == (8, 8)  # 2 x the 99.9 % quantile of U{0..4}
    assert env.action_space == gym.spaces.MultiDiscrete([9, 9])
    # I_0 - T d_max .. I_0 + T (8 + 8); pipeline entries 0..8
    assert env.observation_space.low.tolist() == [-400, 0, 0]
    assert env.observation_space.high.tolist() == [1600, 8, 8]
    obs, _ = env.reset(seed=1, options={"init_state": [3, 1, 2]})
    assert obs.tolist() == [3, 1, 2]
    seasonal = gym.make("idinn/SeasonalSingleSourcing-v0").unwrapped
    assert seasonal.observation_space.shape == (3,) and seasonal.observation_space.high[-1] == 3
    assert default_max_order(seasonal.problem) == (16,)  # the largest season entry U{4..8}


def test_leaving_explicit_bounds_terminates_with_info():
    problem = SourcingProblem.single(lead_time=0, holding_cost=1, shortage_cost=1, demand=TraceDemand([4]))
    env = SourcingEnv(problem, horizon=10, max_order=1, inventory_bounds=(-5, 5))
    env.reset(seed=0)
    _, _, terminated, _, info = env.step(np.array([0]))
    assert not terminated and info["out_of_bounds"] is False
    obs, reward, terminated, truncated, info = env.step(np.array([0]))
    assert obs.tolist() == [-8] and reward == -8.0  # the true state, not clipped
    assert terminated and not truncated and info["out_of_bounds"] is True


def test_sample_demand_numpy_generator():
    d = UniformDemand(1, 3)
    a = sample_demand(d, np.random.default_rng(4), 50, 20)
    b = sample_demand(d, np.random.default_rng(4), 50, 20)
    assert a.dtype == np.int64 and a.shape == (50, 20)
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a).tolist()) == {1, 2, 3}
    np.testing.assert_array_equal(a, d.sample_array(np.random.default_rng(4), 50, 20))
    trace = sample_demand(TraceDemand([4, 0, 7]), np.random.default_rng(0), 2, 4, start_period=1)
    assert trace.tolist() == [[0, 7, 4, 0], [0, 7, 4, 0]]


def test_vector_env_matches_single_env_and_autoresets():
    problem = SourcingProblem.dual(
        regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
        holding_cost=5, shortage_cost=495, demand=TraceDemand([3, 1, 4]), init_inventory=2,
    )
    vec = SourcingVectorEnv(problem, 3, horizon=2, max_order=5)
    one = SourcingEnv(problem, horizon=2, max_order=5)
    obs, info = vec.reset(seed=0, options={"init_state": [[2, 0, 0], [1, 1, 1], [0, 2, 0]]})
    assert obs.tolist() == [[2, 0, 0, 0], [1, 1, 1, 0], [0, 2, 0, 0]]
    actions = np.array([[2, 1], [0, 3], [5, 5]])
    o1, r1, t1, tr1, _ = vec.step(actions)
    o2, r2, t2, tr2, _ = vec.step(actions)
    for i in range(3):
        one.reset(options={"init_state": obs[i, :3]})
        s1 = one.step(actions[i])
        s2 = one.step(actions[i])
        assert (o1[i].tolist(), r1[i]) == (s1[0].tolist(), s1[1])
        assert (o2[i].tolist(), r2[i]) == (s2[0].tolist(), s2[1])
    assert not tr1.any() and tr2.all() and not t2.any()
    o3, r3, t3, tr3, info = vec.step(actions)  # NEXT_STEP autoreset: back to the initial states
    assert o3.tolist() == obs.tolist() and r3.tolist() == [0.0, 0.0, 0.0] and not (t3.any() or tr3.any())


def test_vector_env_equals_simulator_with_random_demand():
    vec = gym.make_vec("idinn/DualSourcing-v0", num_envs=8, vectorization_mode="vector_entry_point", horizon=30)
    assert isinstance(vec, SourcingVectorEnv)
    model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0,
                              expedited_order_cost=20, holding_cost=5, shortage_cost=495, init_inventory=0,
                              demand_generator=UniformDemand(0, 4), batch_size=8)
    obs, _ = vec.reset(seed=2)
    vec.action_space.seed(0)
    for _ in range(30):
        act = vec.action_space.sample()
        obs, reward, _, _, info = vec.step(act)
        cost = model.step(torch.tensor(act, dtype=torch.float32), torch.tensor(info["demand"], dtype=torch.float32))
        np.testing.assert_array_equal(model.get_state().detach().numpy(), obs)
        np.testing.assert_allclose(-cost.detach().numpy(), reward, rtol=1e-6)


def test_controller_agent_acts_like_the_controller():
    model = SingleSourcingModel(lead_time=2, holding_cost=5, shortage_cost=495, init_inventory=0,
                                demand_generator=UniformDemand(0, 4))
    controller = BaseStockController(base_stock_level=8).fit(model)
    env = SourcingEnv(model, horizon=25)
    agent = ControllerAgent(controller, env)
    assert agent(np.array([3, 1, 2])).tolist() == [2]
    assert agent(np.array([[3, 1, 2], [1, 0, 0]])).tolist() == [[2], [7]]
    # an episode of the agent costs what the simulator's base-stock run costs on the same demand
    env.reset(seed=9)
    demands = env._demands.copy()
    total = run_episode(env, agent, seed=9)
    model.reset()
    expected = 0.0
    for d in demands:
        q = controller.policy(model.get_state())
        expected += float(model.step(q, torch.tensor([float(d)]))[0].detach())
    assert total == pytest.approx(expected, rel=1e-6)
    small = ControllerAgent(controller, SourcingEnv(model, max_order=3))
    with pytest.raises(ValueError, match="larger 'max_order'"):
        small(np.array([0, 0, 0]))


def test_gym_base_stock_policy_evaluates_to_the_controller_exact_cost():
    model = SingleSourcingModel(lead_time=2, holding_cost=5, shortage_cost=495, init_inventory=0,
                                demand_generator=UniformDemand(0, 4))
    controller = BaseStockController().fit(model)
    level = controller.base_stock_level_
    env = gym.make("idinn/SingleSourcing-v0", problem=model, max_order=level)

    def gym_policy(obs):  # order up to the base-stock level (inventory position = sum of the state)
        return np.array([max(0, level - int(obs.sum()))])

    exact_gym = evaluate_policy(as_state_policy(gym_policy, env), model).average_cost
    exact_ctrl = evaluate_policy(controller, model).average_cost
    assert exact_gym == pytest.approx(exact_ctrl, abs=1e-9)
    batched = as_state_policy(lambda o: np.maximum(0, level - o.sum(1, keepdims=True)), env, batched=True)
    assert evaluate_policy(batched, model).average_cost == pytest.approx(exact_ctrl, abs=1e-9)
    with pytest.raises(ValueError, match="action space"):
        as_state_policy(lambda o: np.array([level + 1]), env)(torch.zeros(1, 3))


def test_flat_orders_wrapper_round_trip():
    env = FlatOrdersWrapper(gym.make("idinn/DualSourcing-v0", horizon=5))
    assert env.action_space.n == 81
    assert env.action(10).tolist() == [1, 1] and int(env.index([1, 1])) == 10
    assert env.action(80).tolist() == [8, 8]
    env.reset(seed=0)
    _, reward, _, _, info = env.step(10)
    assert reward == -info["cost"] and info["cost"] >= 20.0  # one expedited unit was paid


def test_supplier_capacities_bound_the_orders():
    from dataclasses import dataclass

    from idinn.dynamics import SourcingParams

    @dataclass(frozen=True)
    class CappedParams(SourcingParams):  # stands in for order capacities on the problem
        capacities: tuple = (3, None)

    params = CappedParams(lead_times=(2, 0), order_costs=(0.0, 20.0), holding_cost=5.0, shortage_cost=495.0)
    problem = SourcingProblem(params=params, demand=UniformDemand(0, 4))
    assert default_max_order(problem) == (3, 8)
    assert SourcingEnv(problem).action_space == gym.spaces.MultiDiscrete([4, 9])
    with pytest.raises(ValueError, match=re.escape("at most the supplier capacities [3, None]")):
        SourcingEnv(problem, max_order=5)


def test_controller_agent_passes_the_period_to_period_dependent_policies():
    env = gym.make("idinn/SeasonalSingleSourcing-v0", horizon=6)
    agent = ControllerAgent(lambda s, t: torch.full((s.shape[0], 1), float(t % 3)), env)
    obs, info = env.reset(seed=0)
    actions = []
    for _ in range(6):
        a = agent(obs, info)
        actions.append(int(a[0]))
        obs, _, _, _, info = env.step(a)
    assert actions == [0, 1, 2, 0, 1, 2]
    batch = np.zeros((2, 3), dtype=np.int64)
    assert agent(batch, {"period": np.array([4, 5])}).tolist() == [[1], [2]]
    with pytest.raises(ValueError, match="'period' entry"):
        agent(obs)
    # the exact adapter passes the period on as the phase of the observation
    f = as_state_policy(lambda o: np.array([int(o[-1])]), env)
    assert f(torch.zeros(2, 2), 6).tolist() == [[2.0], [2.0]]


def test_vector_env_same_seed_same_steps():
    a = SourcingVectorEnv(idinn.envs.default_problem("idinn/TripleSourcing-v0"), 4, horizon=7)
    b = SourcingVectorEnv(idinn.envs.default_problem("idinn/TripleSourcing-v0"), 4, horizon=7)
    np.testing.assert_array_equal(a.reset(seed=3)[0], b.reset(seed=3)[0])
    a.action_space.seed(1)
    for _ in range(20):  # crosses two autoresets
        act = a.action_space.sample()
        for x, y in zip(a.step(act)[:4], b.step(act)[:4]):
            np.testing.assert_array_equal(x, y)


# ---------------------------------------------------------------- review periods
def _weekly_problem():
    from idinn.demand import UniformDemand
    from idinn.dynamics import SourcingParams
    from idinn.problem import SourcingProblem

    params = SourcingParams((2, 0), (0.0, 20.0), 5.0, 495.0, review_periods=(3, 1), review_offsets=(1, 0))
    return SourcingProblem(params=params, demand=UniformDemand(0, 4))


def test_review_periods_phase_is_observed_and_off_review_orders_refused():
    from idinn.envs import SourcingEnv

    env = SourcingEnv(_weekly_problem(), horizon=7, max_order=4)
    assert env.observation_space.shape == (4,)  # I, two regular pipeline slots, phase t mod 3
    assert env.observation_space.high[-1] == 2
    obs, info = env.reset(seed=0)
    assert obs.tolist() == [0, 0, 0, 0] and info["may_order"] == (False, True)
    with pytest.raises(ValueError, match="supplier 0 in period 0"):
        env.step([1, 0])
    obs, _, _, _, info = env.step([0, 2])  # expedited only: allowed
    assert obs[-1] == 1 and info["may_order"] == (True, True)
    obs, _, _, _, info = env.step([3, 0])  # period 1 = offset: the regular supplier may order
    assert obs.tolist()[1:] == [0, 3, 2] and info["may_order"] == (False, True)


def test_review_periods_in_the_vector_env():
    from idinn.envs import SourcingVectorEnv

    venv = SourcingVectorEnv(_weekly_problem(), 2, horizon=7, max_order=4)
    _, info = venv.reset(seed=0)
    assert info["may_order"].tolist() == [[False, True], [False, True]]
    with pytest.raises(ValueError, match="outside their review periods"):
        venv.step(np.array([[0, 1], [2, 0]]))
    venv.step(np.array([[0, 1], [0, 0]]))
    _, _, _, _, info = venv.step(np.array([[4, 0], [1, 1]]))
    assert info["period"].tolist() == [2, 2] and info["may_order"].tolist() == [[False, True], [False, True]]
