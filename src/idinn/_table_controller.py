"""One base for the controllers whose policy is a table computed by an exact solver.

:class:`TableController` holds what the five dynamic-programming controllers share
(:class:`~idinn.dual_controller.DynamicProgrammingController`, the finite-horizon and
discounted controllers of both supplier counts): the solver's result (one frozen
dataclass, exposed through :func:`~idinn._controller.solution_property` accessors), the
check of the truncation keywords of ``fit``, the handling of the calendar period, the
policy protocol, ``reset`` and ``save``/``load`` (the whole solution is saved, so every
accessor works identically after :meth:`load`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch

from ._controller import BaseController
from ._validation import check_int, fail, not_fitted

__all__ = ["TableController"]


def _as_numpy(state: Any) -> np.ndarray:
    if isinstance(state, torch.Tensor):
        return state.detach().cpu().numpy()
    return np.asarray(state)


class TableController(BaseController):
    """Base of the exact-table controllers.

    Subclasses set

    ``_solution_attr``
        Attribute holding the solver's result (``"solution_"``; ``"result_"`` for the
        average-cost controller).
    ``_saved_dataclass_home``
        The result's dataclass (its module's dataclasses may be rebuilt by ``load``).
    ``_period_kind``
        ``"stationary"`` (period ignored), ``"finite"`` (periods ``0 .. horizon - 1``) or
        ``"periodic"`` (phase ``period % season_length``).
    ``_truncation_keywords``
        The keyword arguments of ``fit`` that set the table's truncation.

    and implement ``fit`` (which calls :meth:`_set_solution`) and, unless the result has
    ``orders(states, period)``, :meth:`_table_orders`.
    """

    _solution_attr: ClassVar[str] = "solution_"
    _period_kind: ClassVar[str] = "stationary"
    _truncation_keywords: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.sourcing_model = None
        setattr(self, self._solution_attr, None)

    # ------------------------------------------------------------------ solution
    def _solution(self) -> Any:
        solution = getattr(self, self._solution_attr, None)
        if solution is None:
            raise not_fitted(self._owner)
        return solution

    def _fitted_params(self) -> Any:
        self._solution()
        return super()._fitted_params()

    def _set_solution(self, solution: Any, model: Any) -> None:
        """Store the solver's result for ``model`` (called at the end of ``fit``)."""
        setattr(self, self._solution_attr, solution)
        self.sourcing_model = model

    def _check_truncation(self, kwargs: dict[str, Any]) -> None:
        for key in kwargs:
            if key not in self._truncation_keywords:
                raise TypeError(
                    f"{self._owner}.fit() got an unexpected keyword argument {key!r}; the allowed "
                    f"keywords are {sorted(self._truncation_keywords)}."
                )

    # -------------------------------------------------------------------- period
    @property
    def is_stationary(self) -> bool:
        """Whether the orders ignore the period (see :class:`idinn.policy.Policy`)."""
        return self._period_kind == "stationary"

    def _period_index(self, period: Any) -> int:
        """Index of ``period`` into the solution's tables."""
        if self._period_kind == "stationary":
            return 0
        if isinstance(period, torch.Tensor) and period.numel() == 1:
            period = int(period.item())
        p = check_int(period, "period", self._owner, minimum=0)
        solution = self._solution()
        if self._period_kind == "finite":
            horizon = int(solution.horizon)
            if p >= horizon:
                fail("period", self._owner, f"an int in [0, {horizon - 1}] (the fitted horizon is {horizon} periods)", p)
            return p
        return p % int(solution.season_length)

    # -------------------------------------------------------------------- orders
    def _table_orders(self, states: np.ndarray, index: int) -> np.ndarray:
        """Orders (B, n_suppliers) of full states (B, state_dim) at table index ``index``."""
        return self._solution().orders(states, index)

    def _policy_at(self, state: torch.Tensor, period: int) -> torch.Tensor:
        index = self._period_index(period)
        return torch.as_tensor(self._table_orders(_as_numpy(state), index), dtype=torch.float32)

    # ------------------------------------------------------- pickle, save / load
    def __getstate__(self) -> dict[str, Any]:
        """Pickle the solution as plain data (solver results may hold read-only mappings)."""
        from ._persist import encode

        state = dict(self.__dict__)
        solution = state.get(self._solution_attr)
        if solution is not None:
            state[self._solution_attr] = {"__encoded_solution__": encode(solution)}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        from ._persist import decode

        solution = state.get(self._solution_attr)
        if isinstance(solution, dict) and "__encoded_solution__" in solution:
            state = {**state, self._solution_attr: decode(solution["__encoded_solution__"], self._saved_dataclass_home)}
        self.__dict__.update(state)

    def _fitted_state(self) -> dict[str, Any]:
        return {"solution": self._solution()}

    def _restore_fitted_state(self, state: dict[str, Any]) -> None:
        solution = state["solution"]
        home = self._saved_dataclass_home
        if home is not None and not isinstance(solution, home):
            raise ValueError(f"The saved state of {self._owner} does not hold a {home.__name__}.")
        setattr(self, self._solution_attr, solution)
