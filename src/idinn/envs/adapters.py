r"""Adapters between idinn policies and Gymnasium-style agents.

* :class:`ControllerAgent` lets any idinn controller (the policy protocol
  ``controller.policy(state, period)`` of :mod:`idinn.policy`) act in a
  :class:`~idinn.envs.SourcingEnv` or :class:`~idinn.envs.SourcingVectorEnv`.
* :func:`as_state_policy` turns a Gymnasium-style policy ``obs -> action`` into the
  ``state -> orders`` callable that idinn's exact evaluators take
  (:func:`idinn.exact.evaluate_policy`), so a learned agent is judged without sampling.
* :func:`run_episode` plays one episode and returns its total cost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .._validation import fail
from ..policy import as_policy_function
from .sourcing_env import SourcingEnv

__all__ = ["ControllerAgent", "as_state_policy", "run_episode"]


def _single(env: Any, owner: str) -> SourcingEnv:
    base = getattr(env, "single_env", None) or getattr(env, "unwrapped", env)
    base = getattr(base, "single_env", base)
    if not isinstance(base, SourcingEnv):
        fail("env", owner, "an idinn SourcingEnv or SourcingVectorEnv (possibly wrapped)", type(env).__name__, TypeError)
    return base


class ControllerAgent:
    r"""An idinn controller acting in a sourcing environment: ``agent(obs, info) -> action``.

    The state is the first ``state_dim`` entries of the observation; a period-dependent
    controller (``is_stationary`` false) reads the period :math:`t` from
    ``info["period"]``, which the environments put in every ``reset`` and ``step`` info.

    Parameters
    ----------
    controller : controller or callable
        Anything :func:`idinn.policy.as_policy_function` accepts: a controller with
        ``policy(state, period=None)``, or a callable ``f(state)`` / ``f(state, period)``
        on float tensors (B, state_dim).
    env : SourcingEnv or SourcingVectorEnv (possibly wrapped)
        Gives the state layout and the action bounds.

    Raises
    ------
    ValueError
        When called, if the controller orders more than the environment's ``max_order``
        (the message says to raise it), or needs a period the info does not give.

    Examples
    --------
    >>> import gymnasium as gym, idinn.envs
    >>> from idinn.envs import ControllerAgent, run_episode
    >>> env = gym.make("idinn/SingleSourcing-v0", horizon=5)
    >>> agent = ControllerAgent(lambda s: (4 - s.sum(1, keepdim=True)).clamp(min=0), env)
    >>> run_episode(env, agent, seed=0)  # total cost of 5 periods
    8910.0
    """

    def __init__(self, controller: Any, env: Any) -> None:
        self.env = _single(env, "ControllerAgent")
        self.controller = controller
        self._policy = as_policy_function(controller, self.env.problem.n_suppliers, owner="ControllerAgent")

    def __call__(self, obs: Any, info: dict[str, Any] | None = None) -> np.ndarray:
        """Orders for one observation (n_obs,) or a batch (B, n_obs): int64 (K,) or (B, K)."""
        env = self.env
        obs = np.asarray(obs)
        one = obs.ndim == 1
        states = obs[None, : env.problem.state_dim] if one else obs[:, : env.problem.state_dim]
        period = 0
        if not self._policy.stationary:
            if info is None or "period" not in info:
                fail("info", "ControllerAgent", "the step info with a 'period' entry (period-dependent controller)", info)
            periods = np.unique(np.asarray(info["period"]))
            if periods.size != 1:
                orders = np.concatenate([self._policy(states[i : i + 1], int(t)) for i, t in enumerate(np.asarray(info["period"]))])
                return self._check(orders, one)
            period = int(periods[0])
        return self._check(self._policy(states, period), one)

    def _check(self, orders: np.ndarray, one: bool) -> np.ndarray:
        cap = np.asarray(self.env.max_order)
        if np.any(orders > cap):
            fail(
                "controller",
                "ControllerAgent",
                f"ordering within the environment's max_order={cap.tolist()} (build the environment with a larger "
                "'max_order')",
                orders[np.any(orders > cap, axis=1)][0].tolist(),
            )
        return orders[0] if one else orders


def as_state_policy(policy: Callable[[np.ndarray], Any], env: Any, *, batched: bool = False) -> Callable[..., torch.Tensor]:
    r"""A Gymnasium-style policy ``obs -> action`` as an idinn ``state -> orders`` policy.

    The result is what :func:`idinn.exact.evaluate_policy` (and every evaluator using
    :func:`idinn.policy.as_policy_function`) takes: ``f(state)`` for stationary demand,
    ``f(state, period)`` when the observation carries the season phase. Each state row
    becomes the environment's observation (int64, plus the phase), the policy's action
    is checked against ``env.action_space`` (a ``ValueError`` otherwise: the environment
    would refuse it too) and returned as orders.

    Parameters
    ----------
    policy : callable
        ``policy(obs) -> action`` on one observation (``batched=False``) or on a batch
        (B, n_obs) returning (B, K) (``batched=True``, e.g.
        ``lambda o: model.predict(o, deterministic=True)[0]`` for Stable-Baselines3).
    env : SourcingEnv or SourcingVectorEnv (possibly wrapped)
    batched : bool, default=False

    Returns
    -------
    callable
        ``f(state)`` or ``f(state, period)``: float tensor (B, state_dim) to a float
        tensor of orders (B, K).

    Examples
    --------
    >>> import numpy as np, gymnasium as gym, idinn.envs
    >>> from idinn.envs import as_state_policy
    >>> env = gym.make("idinn/SingleSourcing-v0")
    >>> f = as_state_policy(lambda obs: np.array([max(0, 4 - int(obs.sum()))]), env)
    >>> import torch; f(torch.tensor([[1.0]])).tolist()
    [[3.0]]
    """
    if not callable(policy):
        fail("policy", "as_state_policy", "a callable obs -> action", type(policy).__name__, TypeError)
    base = _single(env, "as_state_policy")
    k = base.problem.n_suppliers
    cap = np.asarray(base.max_order)

    def orders(state: torch.Tensor, period: int = 0) -> torch.Tensor:
        rows = np.rint(np.asarray(state.detach().cpu().numpy(), dtype=np.float64)).astype(np.int64)
        obs = base.observe(rows, period)
        if batched:
            acts = np.asarray(policy(obs)).reshape(len(rows), -1)
        else:
            acts = np.stack([np.asarray(policy(o)).reshape(-1) for o in obs]) if len(rows) else np.zeros((0, k))
        if acts.shape != (len(rows), k) or np.any(acts < 0) or np.any(acts > cap) or np.any(acts != np.rint(acts)):
            bad = acts.reshape(len(rows), -1)[0].tolist() if acts.size else acts.tolist()
            fail("policy", "as_state_policy", f"returning actions in the environment's action space ({k} ints within 0..{cap.tolist()})", bad)
        return torch.as_tensor(acts, dtype=torch.float32)

    if base.observation_space.shape[0] > base.problem.state_dim:  # period features
        return lambda state, period: orders(state, period)
    return lambda state: orders(state, 0)


def run_episode(
    env: Any, agent: Callable[..., Any], *, seed: int | None = None, options: dict[str, Any] | None = None
) -> float:
    """Play one episode of ``env`` with ``agent(obs, info)``; return the total cost (minus the return)."""
    obs, info = env.reset(seed=seed, options=options)
    total = 0.0
    done = False
    while not done:
        obs, reward, terminated, truncated, info = env.step(agent(obs, info))
        total -= float(reward)
        done = bool(terminated or truncated)
    return total
