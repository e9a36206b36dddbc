r"""B copies of :class:`~idinn.envs.SourcingEnv` stepped in one numpy call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .._validation import check_int, fail
from ..dynamics import advance, period_cost
from ._spaces import review_mask, sample_demand
from .sourcing_env import DEFAULT_HORIZON, SourcingEnv

__all__ = ["SourcingVectorEnv"]


class SourcingVectorEnv(VectorEnv):
    r"""``num_envs`` copies of :class:`SourcingEnv` advanced together.

    A step is one call of :func:`idinn.dynamics.transition` and
    :func:`~idinn.dynamics.period_cost` on arrays of shape (num_envs, state_dim), with the
    same spaces, rewards, bounds and episode rules as :class:`SourcingEnv` (built with
    the same arguments); the copies share one generator ``self.np_random``, which draws
    each copy's whole episode of demand at its reset. A copy whose episode ended is
    reset at its next step (Gymnasium's ``AutoresetMode.NEXT_STEP``, as
    ``SyncVectorEnv``): that step ignores its action and returns its initial
    observation with reward 0.

    Parameters
    ----------
    problem : SourcingProblem or sourcing model
    num_envs : int
        Number of copies :math:`B`, >= 1.
    horizon, max_order, inventory_bounds
        As in :class:`SourcingEnv`.

    Notes
    -----
    ``reset(seed=..., options={"init_state": s0})`` takes one state row (every copy)
    or an array (num_envs, state_dim). ``infos`` holds arrays ``period``, ``demand``,
    ``cost`` and ``out_of_bounds`` (with Gymnasium's ``_key`` masks).
    """

    metadata: dict[str, Any] = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}
    _owner = "SourcingVectorEnv"

    def __init__(
        self,
        problem: Any,
        num_envs: int,
        *,
        horizon: int = DEFAULT_HORIZON,
        max_order: int | Sequence[int] | None = None,
        inventory_bounds: tuple[int, int] | None = None,
    ) -> None:
        self.num_envs = check_int(num_envs, "num_envs", self._owner, minimum=1)
        self.single_env = SourcingEnv(problem, horizon=horizon, max_order=max_order, inventory_bounds=inventory_bounds)
        self.problem = self.single_env.problem
        self.horizon = self.single_env.horizon
        self.max_order = self.single_env.max_order
        self.inventory_bounds = self.single_env.inventory_bounds
        self.single_observation_space = self.single_env.observation_space
        self.single_action_space = self.single_env.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        b, d = self.num_envs, self.problem.state_dim
        self._init = np.broadcast_to(self.problem.init_state, (b, d)).copy()
        self._state = self._init.copy()
        self._period = np.zeros(b, dtype=np.int64)
        self._demands = np.zeros((b, 0), dtype=np.int64)
        self._autoreset = np.zeros(b, dtype=bool)

    @property
    def state(self) -> np.ndarray:
        """Current states, int64 (num_envs, state_dim) (a copy)."""
        return self._state.copy()

    def _reset_rows(self, rows: np.ndarray) -> None:
        n = int(rows.sum())
        self._state[rows] = self._init[rows]
        self._period[rows] = 0
        self._demands[rows] = sample_demand(self.problem.demand, self.np_random, n, self.horizon, 0)

    def reset(
        self, *, seed: int | Sequence[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every copy (``seed`` an int or None: one generator for all copies)."""
        if seed is not None:
            if isinstance(seed, Sequence):
                fail("seed", self._owner, "an int or None (the copies share one generator)", seed, TypeError)
            self._np_random, self._np_random_seed = seeding.np_random(seed)
        b, d = self.num_envs, self.problem.state_dim
        init = None
        if options is not None:
            if not isinstance(options, dict) or set(options) - {"init_state"}:
                fail("options", self._owner, "None or a dict with the only key 'init_state'", options)
            init = options.get("init_state")
        if init is None:
            self._init = np.broadcast_to(self.problem.init_state, (b, d)).copy()
        else:
            arr = np.asarray(init)
            rows = arr.reshape(1, -1) if arr.ndim == 1 else arr
            if rows.ndim != 2 or rows.shape[0] not in (1, b):
                fail("init_state", self._owner, f"one state row or an array of shape ({b}, {d})", init)
            checked = np.stack([self.single_env.check_init_state(r) for r in rows])
            self._init = np.broadcast_to(checked, (b, d)).copy()
        self._demands = np.zeros((b, self.horizon), dtype=np.int64)
        self._autoreset = np.zeros(b, dtype=bool)
        self._reset_rows(np.ones(b, dtype=bool))
        info: dict[str, Any] = {"period": self._period.copy()}
        if self.problem.params.has_review_periods:
            info["may_order"] = review_mask(self.problem, self._period)
        return self.single_env.observe(self._state, self._period), info

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Advance every copy one period (copies that ended last step are reset instead)."""
        if self._demands.shape[1] == 0:
            raise RuntimeError("SourcingVectorEnv.step was called before reset; call reset first.")
        b, k = self.num_envs, self.problem.n_suppliers
        arr = np.asarray(actions)
        if arr.shape != (b, k) or not np.issubdtype(arr.dtype, np.integer):
            fail("actions", self._owner, f"an integer array of shape ({b}, {k})", actions)
        live = ~self._autoreset
        orders = np.where(live[:, None], arr, 0).astype(np.int64)
        if np.any(orders < 0) or np.any(orders > np.asarray(self.max_order)):
            fail(
                "actions",
                self._owner,
                f"orders within 0..max_order={list(self.max_order)} (raise 'max_order' for larger orders)",
                arr[np.any((orders < 0) | (orders > np.asarray(self.max_order)), axis=1)][0].tolist(),
            )
        allowed = review_mask(self.problem, self._period)
        if np.any((orders > 0) & ~allowed):
            bad = int(np.argmax(np.any((orders > 0) & ~allowed, axis=1)))
            fail(
                "actions",
                self._owner,
                f"orders of 0 to suppliers outside their review periods (copy {bad} is in period "
                f"{int(self._period[bad])}; may order from {allowed[bad].tolist()})",
                arr[bad].tolist(),
            )
        rows = np.arange(b)
        demand = self._demands[rows, np.minimum(self._period, self.horizon - 1)]
        nxt, net = advance(self._state, orders, demand, self.problem.params)
        cost = period_cost(net.astype(np.float64), orders.astype(np.float64), self.problem.params)
        low, high = self.inventory_bounds
        out = live & ((nxt[:, 0] < low) | (nxt[:, 0] > high))
        self._state = np.where(live[:, None], nxt, self._state)
        self._period = np.where(live, self._period + 1, self._period)
        truncated = live & (self._period >= self.horizon)
        if np.any(self._autoreset):
            self._reset_rows(self._autoreset)
        reward = np.where(live, -cost, 0.0)
        infos = {
            "period": self._period.copy(),
            "_period": np.ones(b, dtype=bool),
            "demand": np.where(live, demand, 0),
            "_demand": live.copy(),
            "cost": np.where(live, cost, 0.0),
            "_cost": live.copy(),
            "out_of_bounds": out,
            "_out_of_bounds": live.copy(),
        }
        if self.problem.params.has_review_periods:
            infos["may_order"] = review_mask(self.problem, self._period)
            infos["_may_order"] = np.ones(b, dtype=bool)
        self._autoreset = out | truncated
        return self.single_env.observe(self._state, self._period), reward, out, truncated, infos
