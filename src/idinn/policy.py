r"""The public policy protocol and the one adapter every evaluator uses.

A *policy* maps a batch of states (rows ``[I_t, pipelines]``, see :mod:`idinn.dynamics`) and
the calendar period :math:`t` to integer orders, one column per supplier:
:math:`q_t = \mu_t(s_t)`. Every controller of idinn implements :class:`Policy`:

``policy(state, period=None) -> orders``
    ``state`` a float tensor of shape (B, state_dim); ``period`` the calendar period
    :math:`t` (0 = the first simulated period), ignored by stationary controllers and
    required by period-dependent ones (they raise a ``ValueError`` when it is ``None``);
    returns a tensor of shape (B, n_suppliers) with non-negative integer values.
``is_stationary``
    ``True`` when the rule does not depend on :math:`t` (:math:`\mu_t = \mu`).

Plain callables ``f(state)`` (stationary) or ``f(state, period)`` are accepted wherever a
policy is, so any Gymnasium-style or hand-written rule can be evaluated exactly.

:func:`as_policy_function` turns any of these into one numpy function
``(states int64 (B, d), period) -> orders int64 (B, K)`` with the output checked once,
and refuses a period-dependent policy where a stationary one is required (a stationary
evaluator would otherwise silently use its period-0 rule).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from ._validation import fail

__all__ = ["Policy", "PolicyFunction", "as_policy_function", "check_orders"]


@runtime_checkable
class Policy(Protocol):
    """What every idinn controller implements (see the module docstring)."""

    @property
    def is_stationary(self) -> bool:  # pragma: no cover - protocol
        ...

    def policy(self, state: torch.Tensor, period: int | None = None) -> torch.Tensor:  # pragma: no cover
        ...


def check_orders(out: Any, batch: int, n_suppliers: int, owner: str, name: str = "policy") -> np.ndarray:
    """Orders returned by a policy as int64 (batch, n_suppliers), or a clear error.

    Accepts a tensor or array of shape (batch, n_suppliers), or (batch,) for one supplier.

    Raises
    ------
    ValueError
        Wrong shape, NaN/infinite or negative orders, or orders that are not integers
        (within 1e-4).
    """
    if isinstance(out, torch.Tensor):
        arr = out.detach().cpu().to(torch.float64).numpy()
    else:
        arr = np.asarray(out, dtype=np.float64)
    if arr.ndim == 1 and n_suppliers == 1 and arr.shape[0] == batch:
        arr = arr[:, None]
    if arr.shape != (batch, n_suppliers):
        fail(name, owner, f"returning orders of shape ({batch}, {n_suppliers})", tuple(arr.shape), ValueError)
    ok = np.isfinite(arr) & (arr >= 0)
    if not np.all(ok):
        fail(name, owner, "returning finite orders >= 0", arr[~np.all(ok, axis=1)][0].tolist(), ValueError)
    rounded = np.rint(arr)
    off = np.abs(arr - rounded) > 1e-4
    if np.any(off):
        fail(name, owner, "returning integer-valued orders", arr[np.any(off, axis=1)][0].tolist(), ValueError)
    return rounded.astype(np.int64)


@dataclass(frozen=True)
class PolicyFunction:
    """A checked numpy view of a policy (returned by :func:`as_policy_function`).

    Attributes
    ----------
    stationary : bool
        Whether the rule ignores the period.
    n_suppliers : int
    """

    _call: Callable[[torch.Tensor, int], Any]
    stationary: bool
    n_suppliers: int
    owner: str

    def __call__(self, states: np.ndarray, period: int = 0) -> np.ndarray:
        """Orders for ``states`` (B, state_dim) in period ``period``: int64 (B, n_suppliers)."""
        states = np.asarray(states)
        with torch.no_grad():
            out = self._call(torch.as_tensor(states, dtype=torch.float32), period)
        return check_orders(out, states.shape[0], self.n_suppliers, self.owner)


def _positional_arity(fn: Callable[..., Any]) -> int:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # builtins without a signature
        return 1
    return sum(
        1
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    )


def as_policy_function(
    policy: Any, n_suppliers: int, *, owner: str, require_stationary: bool = False
) -> PolicyFunction:
    """The one adapter from a controller or callable to a checked policy function.

    Parameters
    ----------
    policy : Policy or callable
        A controller implementing :class:`Policy`, an object with a ``policy(state)`` /
        ``policy(state, period)`` method (stationary when it takes one argument), or a
        callable ``f(state)`` / ``f(state, period)`` taking a float tensor (B, state_dim).
    n_suppliers : int
        Expected number of order columns.
    owner : str
        The calling function, named in error messages.
    require_stationary : bool, default=False
        Refuse period-dependent policies (stationary evaluators set this).

    Raises
    ------
    TypeError
        ``policy`` is neither a controller nor a callable.
    ValueError
        ``require_stationary`` and the policy depends on the period.
    """
    if isinstance(policy, Policy):
        stationary = bool(policy.is_stationary)
        fn = policy.policy
        call: Callable[[torch.Tensor, int], Any] = (  # a stationary rule ignores the period
            (lambda s, t: fn(s)) if stationary else (lambda s, t: fn(s, t))
        )
    elif callable(getattr(policy, "policy", None)):
        # an object with a 'policy' method but no 'is_stationary': its arity decides
        method = policy.policy
        two = _positional_arity(method) >= 2
        stationary = not two
        call = (lambda s, t: method(s, t)) if two else (lambda s, t: method(s))
    elif callable(policy):
        two = _positional_arity(policy) >= 2
        stationary = not two
        call = (lambda s, t: policy(s, t)) if two else (lambda s, t: policy(s))
    else:
        fail(
            "policy",
            owner,
            "a controller (with 'policy(state, period)') or a callable state -> orders or (state, period) -> orders",
            type(policy).__name__,
            TypeError,
        )
        raise AssertionError  # pragma: no cover
    if require_stationary and not stationary:
        fail(
            "policy",
            owner,
            "a stationary policy (its orders may not depend on the period); evaluate a period-dependent "
            "policy with evaluate_policy_finite_horizon or evaluate_policy_discounted",
            type(policy).__name__,
            ValueError,
        )
    return PolicyFunction(call, stationary, n_suppliers, owner)
