r"""Gymnasium environments over idinn's one simulator (requires ``gymnasium``).

Importing this package registers the ids of :mod:`idinn.envs.registration`
(``idinn/SingleSourcing-v0``, ``idinn/DualSourcing-v0``, ...)::

    import gymnasium as gym
    import idinn.envs

    env = gym.make("idinn/DualSourcing-v0")                 # the test-bed row lr2_ce20_u04
    env = gym.make("idinn/DualSourcing-v0", problem=my_problem, horizon=200)

* :class:`SourcingEnv`: one class for every :class:`~idinn.problem.SourcingProblem`;
  a step is :func:`idinn.dynamics.transition` + :func:`~idinn.dynamics.period_cost`.
* :class:`SourcingVectorEnv`: B copies stepped in one numpy call.
* :class:`ControllerAgent`, :func:`as_state_policy`, :func:`run_episode`: idinn
  controllers acting in the environments, Gymnasium policies evaluated exactly.

See ``docs/envs.md``.
"""

from __future__ import annotations

from ._spaces import default_inventory_bounds, default_max_order, demand_quantile, sample_demand
from .adapters import ControllerAgent, as_state_policy, run_episode
from .discrete import FlatOrdersWrapper
from .registration import DEFAULT_PROBLEMS, default_problem, register_envs
from .sourcing_env import DEFAULT_HORIZON, SourcingEnv
from .vector_env import SourcingVectorEnv

__all__ = [
    "DEFAULT_HORIZON",
    "DEFAULT_PROBLEMS",
    "ControllerAgent",
    "FlatOrdersWrapper",
    "SourcingEnv",
    "SourcingVectorEnv",
    "as_state_policy",
    "default_inventory_bounds",
    "default_max_order",
    "default_problem",
    "demand_quantile",
    "register_envs",
    "run_episode",
    "sample_demand",
]

register_envs()
