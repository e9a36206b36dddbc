"""Reinforcement-learning baselines (Stable-Baselines3) on the dual-sourcing test bed, judged exactly.

For each test-bed row (default: c_e = 20, l_r in {2, 3, 4}, demand U{0..4}) this trains

* PPO on ``idinn/DualSourcing-v0`` built from the row (``MultiDiscrete`` orders), and
* DQN on the same environment with one flat ``Discrete`` action (``FlatOrdersWrapper``),

then evaluates each learned *deterministic* policy exactly (``idinn.exact.evaluate_policy``
through ``idinn.envs.as_state_policy``: no sampling), and prints a table beside the exact
optimum (``solve_dual_sourcing_average_cost``) and the default-recipe
``DualSourcingNeuralController``, with training times.

Usage (needs ``pip install stable-baselines3``, the ``rl`` extra)::

    .venv/bin/python benchmarks/rl_baselines.py                       # the docs table
    .venv/bin/python benchmarks/rl_baselines.py --rows lr2_ce20_u04 --ppo-steps 20000 --dqn-steps 10000

The agents see the state scaled by 1/10 (part of the evaluated policy) and the reward (minus
the period cost) scaled by 1/100; PPO (8 environments, 64x64 MLP, ent_coef 0, gamma 0.99)
also normalises rewards with VecNormalize; DQN (64x64 MLP, 81 flat actions) uses the
hyperparameters in ``DQN_KWARGS``. Training episodes last ``--horizon`` periods. Everything
runs on one CPU thread. Budget: about 15-20 minutes for the three default rows on a shared
2-core machine (the neural fit, about a minute per row, included).
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import idinn.envs  # noqa: F401  (registers the ids)
from idinn.dual_controller import DualSourcingNeuralController
from idinn.envs import FlatOrdersWrapper, as_state_policy
from idinn.exact import evaluate_policy, solve_dual_sourcing_average_cost
from idinn.instances import get_instance, make_model

OBS_SCALE = 0.1
REWARD_SCALE = 0.01
DEFAULT_ROWS = ["lr2_ce20_u04", "lr3_ce20_u04", "lr4_ce20_u04"]
#: Hyperparameters (Stable-Baselines3 defaults except where written here).
PPO_KWARGS: dict[str, Any] = {"n_steps": 256, "batch_size": 256, "gamma": 0.99, "ent_coef": 0.0,
                              "policy_kwargs": {"net_arch": [64, 64]}}
PPO_ENVS = 8
#: PPO learns from rewards normalised by a running estimate of the return's scale (VecNormalize).
NORMALIZE_REWARD = True
DQN_KWARGS: dict[str, Any] = {"learning_rate": 5e-4, "buffer_size": 100_000, "learning_starts": 2_000,
                              "batch_size": 128, "gamma": 0.99, "train_freq": 4, "target_update_interval": 2_000,
                              "exploration_fraction": 0.3, "exploration_final_eps": 0.02,
                              "policy_kwargs": {"net_arch": [64, 64]}}


def scaled_env(row: Any, horizon: int, flat: bool) -> gym.Env:
    """The row's environment with the observation and reward scaling the agents see."""
    env = gym.make("idinn/DualSourcing-v0", problem=make_model(row).problem, horizon=horizon)
    box = env.observation_space
    space = gym.spaces.Box((box.low * OBS_SCALE).astype(np.float32), (box.high * OBS_SCALE).astype(np.float32))
    env = gym.wrappers.TransformObservation(env, lambda o: (o * OBS_SCALE).astype(np.float32), space)
    env = gym.wrappers.TransformReward(env, lambda r: r * REWARD_SCALE)
    return FlatOrdersWrapper(env) if flat else env


def train(algo: str, row: Any, steps: int, horizon: int, seed: int) -> tuple[Any, float]:
    """A trained Stable-Baselines3 model and its training time in seconds."""
    from stable_baselines3 import DQN, PPO
    from stable_baselines3.common.env_util import make_vec_env

    start = time.perf_counter()
    if algo == "PPO":
        venv = make_vec_env(lambda: scaled_env(row, horizon, flat=False), n_envs=PPO_ENVS, seed=seed)
        if NORMALIZE_REWARD:
            from stable_baselines3.common.vec_env import VecNormalize

            venv = VecNormalize(venv, norm_obs=False, norm_reward=True, gamma=PPO_KWARGS.get("gamma", 0.99))
        model = PPO("MlpPolicy", venv, seed=seed, device="cpu", verbose=0, **PPO_KWARGS)
    else:
        venv = make_vec_env(lambda: scaled_env(row, horizon, flat=True), n_envs=1, seed=seed)
        model = DQN("MlpPolicy", venv, seed=seed, device="cpu", verbose=0, **DQN_KWARGS)
    model.learn(total_timesteps=steps)
    return model, time.perf_counter() - start


def exact_cost(algo: str, model: Any, row: Any, horizon: int) -> tuple[float, float]:
    """Exact long-run average cost and boundary mass of the learned deterministic policy."""
    env = gym.make("idinn/DualSourcing-v0", problem=make_model(row).problem, horizon=horizon)
    nvec = env.action_space.nvec

    def act(obs: np.ndarray) -> np.ndarray:
        a, _ = model.predict((obs * OBS_SCALE).astype(np.float32), deterministic=True)
        if algo == "DQN":
            return np.stack(np.unravel_index(np.asarray(a, dtype=np.int64), tuple(nvec)), axis=-1)
        return a

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the boundary mass is reported instead
        res = evaluate_policy(as_state_policy(act, env, batched=True), make_model(row), max_states=200_000)
    return res.average_cost, res.boundary_mass


def neural(row: Any, seed: int) -> tuple[float, float]:
    """Default-recipe neural controller: exact cost and fit time (as benchmarks/check_testbed_neural.py)."""
    ctrl = DualSourcingNeuralController()
    start = time.perf_counter()
    ctrl.fit(make_model(row, batch_size=256, init_inventory=6), sourcing_periods=100,
             validation_sourcing_periods=1000, epochs=2000, seed=seed, progress=False)
    elapsed = time.perf_counter() - start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return evaluate_policy(ctrl, make_model(row)).average_cost, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="*", default=DEFAULT_ROWS)
    parser.add_argument("--ppo-steps", type=int, default=150_000)
    parser.add_argument("--dqn-steps", type=int, default=40_000)
    parser.add_argument("--horizon", type=int, default=200, help="training episode length (periods)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--neural-seed", type=int, default=1)
    parser.add_argument("--no-neural", action="store_true", help="skip the neural controller (quick RL checks)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"PPO {args.ppo_steps} steps, DQN {args.dqn_steps} steps, horizon {args.horizon}, seed {args.seed}", flush=True)
    print("| instance | optimum (DP) | neural: cost, gap %, fit s | PPO: cost, gap %, train s | "
          "DQN: cost, gap %, train s | best RL gap / neural gap |")
    print("|---|---|---|---|---|---|", flush=True)
    for name in args.rows:
        row = get_instance(name)
        g_star = solve_dual_sourcing_average_cost(make_model(row)).optimal_cost
        cells = []
        gaps = []
        if args.no_neural:
            n_gap = float("nan")
            cells.append("skipped")
        else:
            n_cost, n_s = neural(row, args.neural_seed)
            n_gap = 100 * (n_cost / g_star - 1)
            n_gap = 0.0 if abs(n_gap) < 5e-4 else n_gap  # no negative zero
            cells.append(f"{n_cost:.4f}, {n_gap:.3f}, {n_s:.0f}")
        for algo, steps in (("PPO", args.ppo_steps), ("DQN", args.dqn_steps)):
            model, secs = train(algo, row, steps, args.horizon, args.seed)
            cost, mass = exact_cost(algo, model, row, args.horizon)
            gap = 100 * (cost / g_star - 1)
            gaps.append(gap)
            flag = "" if mass < 1e-6 else f" (boundary mass {mass:.1e})"
            cells.append(f"{cost:.4f}, {gap:.2f}, {secs:.0f}{flag}")
        if args.no_neural:
            ratio = "n/a"
        else:
            ratio = "inf (neural gap 0)" if n_gap == 0 else f"{min(gaps) / n_gap:.1f}x"
        print(f"| {name} | {g_star:.4f} | {' | '.join(cells)} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
