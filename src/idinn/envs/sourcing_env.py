r"""A Gymnasium environment over the one simulator of :mod:`idinn.dynamics`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .._validation import check_int, fail, is_integral
from ..dynamics import advance, check_review_periods, period_cost
from ..problem import SourcingProblem, as_problem
from ._spaces import (
    default_inventory_bounds,
    default_max_order,
    observation_cycle,
    period_feature_count,
    review_mask,
    sample_demand,
)

__all__ = ["SourcingEnv", "DEFAULT_HORIZON"]

#: Default number of periods of an episode.
DEFAULT_HORIZON = 1000


def check_max_order(value: Any, problem: SourcingProblem, owner: str) -> tuple[int, ...]:
    """``max_order`` as one int >= 0 per supplier (``None``: :func:`default_max_order`)."""
    k = problem.n_suppliers
    if value is None:
        return default_max_order(problem)
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != k:
            fail("max_order", owner, f"an int >= 0 or a sequence of {k} ints >= 0 (one per supplier)", value)
        out = tuple(check_int(v, "max_order", owner, minimum=0) for v in value)
    else:
        out = (check_int(value, "max_order", owner, minimum=0),) * k
    caps = getattr(problem.params, "capacities", None)  # order capacities, where the problem has them
    if caps is not None and any(c is not None and q > c for q, c in zip(out, caps)):
        fail("max_order", owner, f"at most the supplier capacities {list(caps)}", value)
    return out


def check_inventory_bounds(value: Any, owner: str) -> tuple[int, int]:
    """A pair ``(low, high)`` of ints with ``low <= high``."""
    if not isinstance(value, tuple | list) or len(value) != 2:
        fail("inventory_bounds", owner, "a pair (low, high) of ints", value, TypeError)
    low = check_int(value[0], "inventory_bounds", owner)
    high = check_int(value[1], "inventory_bounds", owner)
    if low > high:
        fail("inventory_bounds", owner, "a pair (low, high) with low <= high", value)
    return low, high


class SourcingEnv(gym.Env[np.ndarray, np.ndarray]):
    r"""An inventory system with :math:`K` suppliers as a Gymnasium environment.

    One class serves every :class:`~idinn.problem.SourcingProblem` (single sourcing,
    dual sourcing, more suppliers, any demand model): a period of the environment is
    one call of :func:`idinn.dynamics.transition` and :func:`idinn.dynamics.period_cost`
    on numpy arrays, the simulator that every idinn trainer and solver uses.

    State and observation
        The observation is the state row :math:`s_t = [I_t, \text{pipelines}]` of
        :mod:`idinn.dynamics` (net inventory, then each supplier's outstanding orders,
        oldest first), an int64 ``Box`` of length ``problem.state_dim``. When the demand
        is period-dependent (``demand.season_length`` = :math:`L \ge 2`) or a supplier is
        reviewed only every :math:`R_k \ge 2` periods, one more entry follows, the phase
        :math:`t \bmod C` with :math:`C = \operatorname{lcm}(L, R_1, \dots, R_K)`
        (:func:`~idinn.envs._spaces.observation_cycle`).

        Bounds: the net inventory lies in ``inventory_bounds``; each pipeline entry of
        supplier :math:`k` in :math:`[0, \bar q_k]` (or the largest initial pipeline
        entry if larger); the phase in :math:`[0, C-1]`. The default inventory bounds
        (:func:`~idinn.envs._spaces.default_inventory_bounds`) cannot be left within
        ``horizon`` periods from the problem's initial state when demand has finite
        support. Nothing is clipped: a step whose next inventory leaves the bounds (only
        possible from another ``init_state``, with explicit narrower bounds, or with
        unbounded demand beyond its :math:`1 - 10^{-12}` quantile) ends the episode
        with ``terminated=True`` and ``info["out_of_bounds"] = True``, and returns the
        true (out-of-bounds) state.
    Action
        ``MultiDiscrete(max_order + 1)``: the order quantities :math:`q^k_t`, one integer
        per supplier in :math:`0..\bar q_k` (suppliers in the order of
        ``problem.params.lead_times``). An action outside this set raises a
        ``ValueError``; it is never clipped. Under review periods a positive order to a
        supplier outside its review periods raises too (never zeroed); ``info["may_order"]``
        (one bool per supplier, present when the problem has review periods) says which
        suppliers the next action may use.
    Order of events (period :math:`t`), as in :mod:`idinn.dynamics`
        the orders are placed; the order of each supplier placed :math:`l_k` periods ago
        arrives (lead time 0: the order just placed); demand :math:`D_t` is drawn and
        unmet demand is backlogged (or lost, under ``excess_demand="lost_sales"``), as
        :func:`idinn.dynamics.advance` does.
    Reward
        Minus the period cost
        :math:`c_t = \sum_k c_k q^k_t + h[I_{t+1}]^+ + b[-I_{t+1}]^+`.
    Episode
        Starts at ``problem.init_state`` (or ``options["init_state"]``) in period 0 and
        is truncated after ``horizon`` periods. The demand of the whole episode is drawn
        at ``reset`` with the environment's generator ``self.np_random``
        (``demand.sample_array``), so a seed fixes the episode.
    Info
        ``period`` (the next period :math:`t`), and after a step ``demand`` (:math:`D_t`),
        ``cost`` (:math:`c_t`) and ``out_of_bounds``.

    Parameters
    ----------
    problem : SourcingProblem or sourcing model
        The inventory system (:func:`idinn.problem.as_problem`).
    horizon : int, default=1000
        Periods per episode [:math:`T`], >= 1.
    max_order : int or sequence of int, optional
        Largest order per supplier [:math:`\bar q_k`]; one int for all suppliers.
        Default :func:`~idinn.envs._spaces.default_max_order`: twice the 99.9 % demand
        quantile (at least 1), capped by a supplier capacity where the problem has one.
    inventory_bounds : pair of int, optional
        Observation bounds of the net inventory; default
        :func:`~idinn.envs._spaces.default_inventory_bounds`.
    render_mode : None
        No rendering is offered.

    Raises
    ------
    TypeError, ValueError
        With the project's wording, for bad arguments.

    Examples
    --------
    >>> import gymnasium as gym
    >>> import idinn.envs
    >>> env = gym.make("idinn/DualSourcing-v0")
    >>> obs, info = env.reset(seed=0)
    >>> obs.tolist(), env.action_space
    ([0, 0, 0], MultiDiscrete([9 9]))
    """

    metadata: dict[str, Any] = {"render_modes": []}
    _owner = "SourcingEnv"

    def __init__(
        self,
        problem: Any,
        *,
        horizon: int = DEFAULT_HORIZON,
        max_order: int | Sequence[int] | None = None,
        inventory_bounds: tuple[int, int] | None = None,
        render_mode: str | None = None,
    ) -> None:
        owner = self._owner
        self.problem = as_problem(problem, owner, "problem")
        self.horizon = check_int(horizon, "horizon", owner, minimum=1)
        self.max_order = check_max_order(max_order, self.problem, owner)
        if render_mode is not None:
            fail("render_mode", owner, "None (no rendering is offered)", render_mode)
        self.render_mode = render_mode
        init = self.problem.init_state
        if inventory_bounds is None:
            self.inventory_bounds = default_inventory_bounds(self.problem, init, self.max_order, self.horizon)
        else:
            self.inventory_bounds = check_inventory_bounds(inventory_bounds, owner)
            if not self.inventory_bounds[0] <= int(init[0]) <= self.inventory_bounds[1]:
                fail("inventory_bounds", owner, f"a pair (low, high) containing the initial inventory {int(init[0])}", inventory_bounds)
        self.observation_space, self.action_space = _spaces(self.problem, init, self.max_order, self.inventory_bounds)
        self._n_features = period_feature_count(self.problem)
        self._cycle = observation_cycle(self.problem)
        self._state = init.copy()
        self._period = 0
        self._demands = np.zeros(0, dtype=np.int64)

    # ------------------------------------------------------------------ helpers
    @property
    def state(self) -> np.ndarray:
        """Current state row ``[I_t, pipelines]``, int64 (state_dim,) (a copy)."""
        return self._state.copy()

    @property
    def period(self) -> int:
        """Period :math:`t` of the next decision (0 after ``reset``)."""
        return self._period

    def observe(self, state: np.ndarray, period: int) -> np.ndarray:
        """The observation of ``state`` (..., state_dim) in period(s) ``period``: int64."""
        state = np.asarray(state, dtype=np.int64)
        if not self._n_features:
            return state.copy()
        phase = np.broadcast_to(np.asarray(period, dtype=np.int64) % self._cycle, state.shape[:-1])
        return np.concatenate([state, phase[..., None]], axis=-1)

    def check_init_state(self, value: Any) -> np.ndarray:
        """An initial state row as int64 within the observation bounds, or a ``ValueError``."""
        dim = self.problem.state_dim
        arr = np.asarray(value, dtype=np.float64).reshape(-1) if not isinstance(value, str) else np.zeros(0)
        if arr.shape != (dim,) or not all(is_integral(x) for x in arr.tolist()):
            fail("init_state", self._owner, f"{dim} integers (net inventory, then the pipelines)", value)
        state = arr.astype(np.int64)
        box = self.observation_space
        if np.any(state < box.low[:dim]) or np.any(state > box.high[:dim]):
            fail(
                "init_state",
                self._owner,
                f"within the observation bounds (low {box.low[:dim].tolist()}, high {box.high[:dim].tolist()}); "
                "widen them with 'inventory_bounds' or 'max_order'",
                value,
            )
        return state

    def check_action(self, action: Any, period: int | None = None) -> np.ndarray:
        """The action as int64 orders (n_suppliers,), or a ``ValueError`` (never clipped).

        With ``period`` given, a positive order to a supplier outside its review periods
        is refused too (:func:`idinn.dynamics.check_review_periods`), never zeroed.
        """
        k = self.problem.n_suppliers
        arr = np.asarray(action)
        ok = arr.shape == (k,) and np.issubdtype(arr.dtype, np.number) and not np.issubdtype(arr.dtype, np.complexfloating)
        if ok:
            flat = arr.astype(np.float64)
            ok = bool(np.all(np.isfinite(flat)) and np.all(flat == np.rint(flat)))
        if not ok or np.any(arr < 0) or np.any(arr > np.asarray(self.max_order)):
            fail(
                "action",
                self._owner,
                f"{k} integer orders within 0..max_order={list(self.max_order)} (raise 'max_order' for larger orders)",
                action,
            )
        orders = arr.astype(np.int64)
        if period is not None:
            check_review_periods(orders[None], self.problem.params, period, self._owner, "action")
        return orders

    def may_order(self, period: int | None = None) -> tuple[bool, ...]:
        """Which suppliers may be ordered from in ``period`` (default: the current one), one bool each."""
        return tuple(bool(x) for x in review_mask(self.problem, self._period if period is None else period))

    def _with_review(self, info: dict[str, Any]) -> dict[str, Any]:
        """``info`` plus ``may_order`` (for the next decision) when the problem has review periods."""
        if self.problem.params.has_review_periods:
            info["may_order"] = self.may_order(info["period"])
        return info

    # ------------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode; ``options={"init_state": s0}`` sets the initial state row."""
        super().reset(seed=seed)
        init = _init_from_options(options, self._owner)
        self._state = self.problem.init_state if init is None else self.check_init_state(init)
        self._period = 0
        self._demands = sample_demand(self.problem.demand, self.np_random, 1, self.horizon, 0)[0]
        return self.observe(self._state, 0), self._with_review({"period": 0})

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """One period: place ``action``, receive, meet demand; reward = minus the period cost."""
        if self._demands.shape[0] == 0 or self._period >= self.horizon:
            raise RuntimeError("SourcingEnv.step was called before reset or after the episode ended; call reset first.")
        orders = self.check_action(action, self._period)[None]
        demand = self._demands[self._period : self._period + 1]
        nxt, net = advance(self._state[None], orders, demand, self.problem.params)
        nxt = nxt[0]
        cost = float(period_cost(net.astype(np.float64), orders.astype(np.float64), self.problem.params)[0])
        self._state = nxt
        self._period += 1
        low, high = self.inventory_bounds
        out = not low <= int(nxt[0]) <= high
        info = self._with_review({"period": self._period, "demand": int(demand[0]), "cost": cost, "out_of_bounds": out})
        return self.observe(nxt, self._period), -cost, out, self._period >= self.horizon, info


def _init_from_options(options: dict[str, Any] | None, owner: str) -> Any:
    if options is None:
        return None
    if not isinstance(options, dict) or set(options) - {"init_state"}:
        fail("options", owner, "None or a dict with the only key 'init_state'", options)
    return options.get("init_state")


def _spaces(
    problem: SourcingProblem, init: np.ndarray, max_order: Sequence[int], inventory_bounds: tuple[int, int]
) -> tuple[spaces.Box, spaces.MultiDiscrete]:
    """Observation and action spaces of one environment copy."""
    low = [inventory_bounds[0]]
    high = [inventory_bounds[1]]
    for k, sl in enumerate(problem.params.pipeline_slices):
        for j in range(sl.start, sl.stop):
            low.append(0)
            high.append(max(int(max_order[k]), int(init[j])))
    if period_feature_count(problem):
        low.append(0)
        high.append(observation_cycle(problem) - 1)
    obs = spaces.Box(np.asarray(low, dtype=np.int64), np.asarray(high, dtype=np.int64), dtype=np.int64)
    act = spaces.MultiDiscrete(np.asarray(max_order, dtype=np.int64) + 1)
    return obs, act
