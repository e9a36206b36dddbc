r"""The registered environment ids and the default problem each one builds.

==================================  =====================================================
id                                  default problem
==================================  =====================================================
``idinn/SingleSourcing-v0``         :math:`l = 2`, :math:`c = 0`, :math:`h = 5`,
                                    :math:`b = 495`, :math:`D \sim U\{0..4\}`, :math:`I_0 = 0`
``idinn/DualSourcing-v0``           test-bed row ``lr2_ce20_u04``: :math:`l_r = 2`,
                                    :math:`l_e = 0`, :math:`c_r = 0`, :math:`c_e = 20`,
                                    :math:`h = 5`, :math:`b = 495`, :math:`D \sim U\{0..4\}`
``idinn/SeasonalSingleSourcing-v0`` :math:`l = 1`, :math:`h = 5`, :math:`b = 495`, demand
                                    uniform on :math:`\{0..4\}, \{2..6\}, \{4..8\},
                                    \{2..6\}` in a season of 4 periods (observation adds
                                    the phase :math:`t \bmod 4`)
``idinn/TripleSourcing-v0``         three suppliers, :math:`l = (3, 1, 0)`,
                                    :math:`c = (0, 10, 20)`, :math:`h = 5`,
                                    :math:`b = 495`, :math:`D \sim U\{0..4\}`
==================================  =====================================================

Every id takes the constructor arguments of :class:`~idinn.envs.SourcingEnv`:
``gymnasium.make("idinn/DualSourcing-v0", problem=my_problem, horizon=200, max_order=6)``
replaces the default problem by ``my_problem`` (a
:class:`~idinn.problem.SourcingProblem` or a sourcing model). ``gymnasium.make_vec(id,
num_envs=B, vectorization_mode="vector_entry_point")`` builds a
:class:`~idinn.envs.SourcingVectorEnv`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym

from ..demand import SeasonalDemand, UniformDemand
from ..dynamics import SourcingParams
from ..problem import SourcingProblem
from .sourcing_env import SourcingEnv
from .vector_env import SourcingVectorEnv

__all__ = ["DEFAULT_PROBLEMS", "default_problem", "make_sourcing_env", "make_sourcing_vector_env", "register_envs"]


def _single() -> SourcingProblem:
    return SourcingProblem.single(lead_time=2, holding_cost=5, shortage_cost=495, demand=UniformDemand(0, 4))


def _dual() -> SourcingProblem:
    return SourcingProblem.dual(
        regular_lead_time=2,
        expedited_lead_time=0,
        regular_order_cost=0,
        expedited_order_cost=20,
        holding_cost=5,
        shortage_cost=495,
        demand=UniformDemand(0, 4),
    )


def _seasonal() -> SourcingProblem:
    demand = SeasonalDemand.uniform([0, 2, 4, 2], [4, 6, 8, 6])
    return SourcingProblem.single(lead_time=1, holding_cost=5, shortage_cost=495, demand=demand)


def _triple() -> SourcingProblem:
    params = SourcingParams(lead_times=(3, 1, 0), order_costs=(0.0, 10.0, 20.0), holding_cost=5.0, shortage_cost=495.0)
    return SourcingProblem(params=params, demand=UniformDemand(0, 4))


#: Builder of the default problem of each registered id.
DEFAULT_PROBLEMS: dict[str, Callable[[], SourcingProblem]] = {
    "idinn/SingleSourcing-v0": _single,
    "idinn/DualSourcing-v0": _dual,
    "idinn/SeasonalSingleSourcing-v0": _seasonal,
    "idinn/TripleSourcing-v0": _triple,
}


def default_problem(env_id: str) -> SourcingProblem:
    """The default :class:`~idinn.problem.SourcingProblem` of a registered id."""
    if env_id not in DEFAULT_PROBLEMS:
        from .._validation import fail

        fail("env_id", "default_problem", f"one of {sorted(DEFAULT_PROBLEMS)}", env_id)
    return DEFAULT_PROBLEMS[env_id]()


def make_sourcing_env(env_id: str, problem: Any = None, **kwargs: Any) -> SourcingEnv:
    """Entry point of the registered ids: ``problem`` or the id's default problem."""
    return SourcingEnv(default_problem(env_id) if problem is None else problem, **kwargs)


def make_sourcing_vector_env(env_id: str, num_envs: int = 1, problem: Any = None, **kwargs: Any) -> SourcingVectorEnv:
    """Vector entry point of the registered ids (``gymnasium.make_vec``)."""
    return SourcingVectorEnv(default_problem(env_id) if problem is None else problem, num_envs, **kwargs)


def register_envs() -> None:
    """Register every id of :data:`DEFAULT_PROBLEMS` with Gymnasium (idempotent)."""
    for env_id in DEFAULT_PROBLEMS:
        if env_id in gym.registry:
            continue
        gym.register(
            id=env_id,
            entry_point="idinn.envs.registration:make_sourcing_env",
            vector_entry_point="idinn.envs.registration:make_sourcing_vector_env",
            kwargs={"env_id": env_id},
        )
