r"""Exact long-run average cost of a stationary policy (no sampling).

A stationary policy :math:`\mu` (state :math:`\to` orders) of a sourcing model with
i.i.d. finite-support demand turns the state into a Markov chain. Starting from the
initial state :math:`s_0` the states reachable under :math:`\mu` are enumerated breadth
first (the policy is called once per frontier on a batched tensor), each with its
transitions for every demand value (:func:`idinn.dynamics.transition`) and its expected
period cost (:func:`idinn.dynamics.period_cost`). The long-run average cost is

.. math:: \bar c = \sum_s \bar\pi(s)\, E_D[c(s, \mu(s), D)],

with :math:`\bar\pi` the long-run (Cesàro) distribution from :math:`s_0`
(:func:`idinn.exact._markov.cesaro_limit`), which exists for every finite chain and
ignores transient states.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from .._validation import check_int, fail, is_integral
from ..dynamics import period_cost, transition
from ..sourcing_model import BaseSourcingModel
from ._common import convolve_pmf, finite_pmf, newsvendor_level
from ._markov import cesaro_limit

__all__ = ["PolicyEvaluation", "evaluate_policy", "default_inventory_bounds"]

_OWNER = "evaluate_policy"
#: Long-run boundary probability above which a RuntimeWarning is issued.
BOUNDARY_MASS_WARNING = 1e-6


@dataclass(frozen=True, eq=False)
class PolicyEvaluation:
    r"""Exact evaluation of a stationary policy (returned by :func:`evaluate_policy`).

    Attributes
    ----------
    average_cost : float
        Long-run average cost per period :math:`\bar c` from the initial state.
    boundary_mass : float
        Long-run probability of the states at which the truncation acted (a successor's
        inventory was clipped to ``inventory_bounds`` or a successor beyond
        ``max_states`` was replaced by a self-transition). 0 when nothing was truncated.
    n_states : int
        Number of enumerated states.
    states : ndarray of int64, shape (n_states, state_dim)
        The enumerated states, the initial state first.
    probabilities : ndarray of float64, shape (n_states,)
        Long-run distribution :math:`\bar\pi` over ``states`` (0 on transient states).
    expected_inventory : float
        :math:`E[(I_{t+1})^+]`, long-run mean end-of-period on-hand inventory.
    expected_backlog : float
        :math:`E[(I_{t+1})^-]`, long-run mean end-of-period backlog.
    mean_orders : tuple of float
        Long-run mean order per period of each supplier (regular first).
    inventory_bounds : tuple of int
        The bounds :math:`(\underline I, \bar I)` used.

    Notes
    -----
    ``average_cost == sum_k c_k * mean_orders[k] + h * expected_inventory
    + b * expected_backlog``.
    """

    average_cost: float
    boundary_mass: float
    n_states: int
    states: np.ndarray
    probabilities: np.ndarray
    expected_inventory: float
    expected_backlog: float
    mean_orders: tuple[float, ...]
    inventory_bounds: tuple[int, int]


def default_inventory_bounds(
    lead_times: tuple[int, ...],
    values: np.ndarray,
    probs: np.ndarray,
    holding_cost: float,
    shortage_cost: float,
    init_inventory: int,
) -> tuple[int, int]:
    r"""Default inventory truncation of :func:`evaluate_policy`.

    With :math:`l = \max_k l_k`, :math:`S` the newsvendor level of :math:`D^{(l+1)}` at
    :math:`b/(b+h)` and :math:`\bar d` the largest demand, the bounds are
    :math:`\min(I_0, S) - W` and :math:`\max(I_0, S) + W` with
    :math:`W = 10 (l + 1) \max(\bar d, 1)`: ten lead-time demands of room on either side
    of any sensible order-up-to level.
    """
    n = max(lead_times) + 1
    vn, pn = convolve_pmf(values, probs, n)
    level = newsvendor_level(vn, pn, holding_cost, shortage_cost)
    width = 10 * n * max(int(values[-1]), 1)
    return min(init_inventory, level) - width, max(init_inventory, level) + width


def _policy_function(policy: Any) -> Callable[[torch.Tensor], Any]:
    fn = getattr(policy, "policy", None)
    if callable(fn):
        return fn
    if callable(policy):
        return policy
    fail(
        "policy",
        _OWNER,
        "a controller with a 'policy(state)' method or a callable state -> orders",
        type(policy).__name__,
        TypeError,
    )
    raise AssertionError  # pragma: no cover


def _orders(out: Any, batch: int, n_suppliers: int) -> np.ndarray:
    if isinstance(out, torch.Tensor):
        arr = out.detach().cpu().to(torch.float64).numpy()
    else:
        arr = np.asarray(out, dtype=np.float64)
    if arr.ndim == 1 and n_suppliers == 1 and arr.shape[0] == batch:
        arr = arr[:, None]
    if arr.shape != (batch, n_suppliers):
        fail("policy", _OWNER, f"returning orders of shape ({batch}, {n_suppliers})", tuple(arr.shape), ValueError)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        bad = arr[~np.all(np.isfinite(arr) & (arr >= 0), axis=1)][0]
        fail("policy", _OWNER, "returning finite orders >= 0", bad.tolist(), ValueError)
    rounded = np.rint(arr)
    if np.any(np.abs(arr - rounded) > 1e-4):
        bad = arr[np.any(np.abs(arr - rounded) > 1e-4, axis=1)][0]
        fail("policy", _OWNER, "returning integer-valued orders", bad.tolist(), ValueError)
    return rounded.astype(np.int64)


def _keys(rows: np.ndarray) -> list[bytes]:
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    return rows.view(np.dtype((np.void, rows.shape[1] * 8))).ravel().tolist()


def evaluate_policy(
    policy: Any,
    sourcing_model: BaseSourcingModel,
    *,
    max_states: int = 500_000,
    init_state: Any = None,
    inventory_bounds: tuple[int, int] | None = None,
) -> PolicyEvaluation:
    r"""Exact long-run average cost of a stationary policy by Markov-chain analysis.

    Parameters
    ----------
    policy : controller or callable
        A controller with ``policy(state) -> orders`` or such a callable: float32
        tensor of shape (B, state_dim) (layout of :mod:`idinn.dynamics`) to non-negative
        integer orders of shape (B, n_suppliers). It must not depend on time or history.
    sourcing_model : SingleSourcingModel or DualSourcingModel
        Stationary demand with finite support (``demand_generator.pmf()``).
    max_states : int, default=500_000
        Most states to enumerate; a transition to a state beyond is replaced by a
        transition back to its source state (counted in ``boundary_mass``).
    init_state : array-like of int, shape (state_dim,), optional
        Initial state :math:`s_0`; default: the model's initial inventory with empty
        pipelines.
    inventory_bounds : tuple of int, optional
        :math:`(\underline I, \bar I)`: successors' net inventory is clipped to this
        range (counted in ``boundary_mass``). Default: :func:`default_inventory_bounds`.

    Returns
    -------
    PolicyEvaluation

    Raises
    ------
    ValueError
        Demand without finite support or non-stationary; bad arguments; a policy returning
        orders that are not non-negative integers.

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> from idinn.exact import evaluate_policy
    >>> model = SingleSourcingModel(lead_time=0, holding_cost=5, shortage_cost=495,
    ...     init_inventory=0, demand_generator=UniformDemand(0, 4))
    >>> base_stock = lambda s: (4 - s.sum(1, keepdim=True)).clamp(min=0)
    >>> round(evaluate_policy(base_stock, model).average_cost, 6)
    10.0
    """
    fn = _policy_function(policy)
    if not isinstance(sourcing_model, BaseSourcingModel):
        fail("sourcing_model", _OWNER, "a SingleSourcingModel or DualSourcingModel", type(sourcing_model).__name__, TypeError)
    values, probs = finite_pmf(sourcing_model.demand_generator, "demand_generator", _OWNER)
    max_states = check_int(max_states, "max_states", _OWNER, minimum=1)
    params = sourcing_model.params
    dim, n_sup = params.state_dim, params.n_suppliers
    with torch.no_grad():
        init_inv = int(sourcing_model.get_init_inventory().item())
    if init_state is None:
        s0 = np.zeros(dim, dtype=np.int64)
        s0[0] = init_inv
    else:
        arr = np.asarray(init_state, dtype=np.float64).reshape(-1)
        if arr.shape != (dim,) or not all(is_integral(x) for x in arr.tolist()) or np.any(arr[1:] < 0):
            fail("init_state", _OWNER, f"{dim} integers (net inventory, then pipelines >= 0)", init_state)
        s0 = arr.astype(np.int64)
    if inventory_bounds is None:
        lo, hi = default_inventory_bounds(
            params.lead_times, values, probs, params.holding_cost, params.shortage_cost, int(s0[0])
        )
    else:
        if not isinstance(inventory_bounds, tuple | list) or len(inventory_bounds) != 2:
            fail("inventory_bounds", _OWNER, "a pair (low, high) of ints", inventory_bounds, TypeError)
        lo = check_int(inventory_bounds[0], "inventory_bounds", _OWNER)
        hi = check_int(inventory_bounds[1], "inventory_bounds", _OWNER)
        if not lo <= s0[0] <= hi:
            fail("inventory_bounds", _OWNER, f"a range (low, high) containing the initial inventory {int(s0[0])}", inventory_bounds)

    k = len(values)
    index: dict[bytes, int] = {_keys(s0[None])[0]: 0}
    blocks = [s0[None]]
    n_known = 1
    overflow = False
    rows, cols = [], []
    exp_cost, exp_pos, exp_neg, ords, truncated = [], [], [], [], []
    frontier = s0[None]
    first = 0  # index of frontier[0]
    while len(frontier):
        m = len(frontier)
        with torch.no_grad():
            out = fn(torch.as_tensor(frontier, dtype=torch.float32))
        q = _orders(out, m, n_sup)
        src = np.repeat(frontier, k, axis=0)
        qq = np.repeat(q, k, axis=0)
        nxt = transition(src, qq, np.tile(values, m), params)
        inv = nxt[:, 0].astype(np.float64)
        cost = period_cost(inv, qq.astype(np.float64), params)
        exp_cost.append(cost.reshape(m, k) @ probs)
        exp_pos.append(np.clip(inv, 0, None).reshape(m, k) @ probs)
        exp_neg.append(np.clip(-inv, 0, None).reshape(m, k) @ probs)
        ords.append(q.astype(np.float64))
        clipped = (nxt[:, 0] < lo) | (nxt[:, 0] > hi)
        nxt[:, 0] = np.clip(nxt[:, 0], lo, hi)
        cut = clipped.reshape(m, k).any(axis=1)
        target = np.empty(m * k, dtype=np.int64)
        new_rows = []
        redirect = []
        for j, key in enumerate(_keys(nxt)):
            t = index.get(key)
            if t is None:
                if n_known < max_states:
                    t = n_known
                    index[key] = t
                    n_known += 1
                    new_rows.append(j)
                else:
                    t = -1
                    redirect.append(j)
            target[j] = t
        if redirect:
            # no room for new states: the transition stays in its source state
            overflow = True
            redirect_arr = np.asarray(redirect)
            target[redirect_arr] = first + redirect_arr // k
            cut[redirect_arr // k] = True
        truncated.append(cut)
        rows.append(np.repeat(np.arange(first, first + m), k))
        cols.append(target)
        first += m
        frontier = nxt[new_rows]
        if len(frontier):
            blocks.append(frontier)
    n = n_known
    states = np.concatenate(blocks)
    P = sp.csr_matrix(
        (np.tile(probs, n), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    P.sum_duplicates()
    pi = cesaro_limit(P, 0)
    cost_s = np.concatenate(exp_cost)
    boundary = float(pi[np.concatenate(truncated)].sum())
    if boundary > BOUNDARY_MASS_WARNING:
        hint = "raise 'max_states'" if overflow else f"widen 'inventory_bounds' (now ({lo}, {hi}))"
        warnings.warn(
            f"The policy's long-run distribution puts probability {boundary:.3g} on states where "
            f"the enumeration was truncated (> {BOUNDARY_MASS_WARNING:g}); the average cost may be "
            f"distorted: {hint}.",
            RuntimeWarning,
            stacklevel=2,
        )
    states.setflags(write=False)
    pi.setflags(write=False)
    return PolicyEvaluation(
        average_cost=float(pi @ cost_s),
        boundary_mass=boundary,
        n_states=n,
        states=states,
        probabilities=pi,
        expected_inventory=float(pi @ np.concatenate(exp_pos)),
        expected_backlog=float(pi @ np.concatenate(exp_neg)),
        mean_orders=tuple(float(x) for x in pi @ np.concatenate(ords)),
        inventory_bounds=(lo, hi),
    )
