"""What every controller shares: evaluation, simulation, plotting, input checks.

A controller implements ``fit(sourcing_model, ...) -> self`` and
``policy(state) -> orders`` (batched, in the state layout of :mod:`idinn.dynamics`);
this base class builds the paper's API on top of those two.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ._validation import check_int, check_seed, fail, not_fitted
from .sourcing_model import BaseSourcingModel

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.axes
    import matplotlib.figure


def solution_property(field: str) -> property:
    """Read-only attribute forwarding to ``self._solution().<field>`` (fitted exact solvers)."""

    def get(self: Any) -> Any:
        return getattr(self._solution(), field)

    return property(get, doc=f"``{field}`` of the fitted solution (see the solver's result).")


class BaseController:
    """Base class of all controllers (see :class:`idinn.single_controller.base.BaseSingleController`)."""

    #: Class of sourcing model the controller works with.
    _model_class: type[BaseSourcingModel] = BaseSourcingModel
    sourcing_model: BaseSourcingModel | None = None

    @property
    def _owner(self) -> str:
        return type(self).__name__

    # ------------------------------------------------------------ to implement
    @property
    def is_stationary(self) -> bool:
        """True when the orders do not depend on the period (:math:`\\mu_t = \\mu`).

        Period-dependent controllers (finite horizon, seasonal) override this; see
        :class:`idinn.policy.Policy`.
        """
        return True

    def policy(self, state: torch.Tensor, period: int | None = None) -> torch.Tensor:
        """Orders for a batch of states (the :class:`idinn.policy.Policy` protocol).

        Parameters
        ----------
        state : torch.Tensor of shape (B, state_dim)
            Rows ``[I_t, pipelines]`` (see :mod:`idinn.dynamics`).
        period : int, optional
            Calendar period :math:`t`; ignored by stationary controllers, required by
            period-dependent ones.

        Returns
        -------
        torch.Tensor of shape (B, n_suppliers)
            Non-negative integer-valued orders.
        """
        raise NotImplementedError

    def _policy_at(self, state: torch.Tensor, period: int) -> torch.Tensor:
        """Orders in calendar period ``period`` (time-aware controllers override)."""
        return self.policy(state)

    # ------------------------------------------------------------------ checks
    def _check_model(self, sourcing_model: Any) -> BaseSourcingModel:
        if not isinstance(sourcing_model, self._model_class):
            fail(
                "sourcing_model",
                self._owner,
                f"a {self._model_class.__name__}",
                type(sourcing_model).__name__,
                TypeError,
            )
        return sourcing_model

    def _check_fitted(self) -> BaseSourcingModel:
        if self.sourcing_model is None:
            raise not_fitted(self._owner)
        return self.sourcing_model

    def _inventory_tensor(self, current_inventory: Any) -> tuple[torch.Tensor, bool]:
        """(B,) float tensor and whether the input was a single number."""
        owner = self._owner
        if isinstance(current_inventory, bool) or isinstance(current_inventory, str):
            fail("current_inventory", owner, "a number or a tensor of numbers", current_inventory, TypeError)
        if isinstance(current_inventory, numbers.Real):
            if not math.isfinite(float(current_inventory)):
                fail("current_inventory", owner, "finite (not NaN or infinite)", current_inventory)
            return torch.tensor([float(current_inventory)]), True
        if isinstance(current_inventory, np.ndarray | list | tuple):
            try:
                current_inventory = torch.as_tensor(np.asarray(current_inventory, dtype=float))
            except (TypeError, ValueError):
                fail("current_inventory", owner, "a number or a tensor of numbers", current_inventory, TypeError)
        if not isinstance(current_inventory, torch.Tensor):
            fail("current_inventory", owner, "a number or a tensor of numbers", current_inventory, TypeError)
        t = current_inventory.detach()
        if t.dtype == torch.bool or t.is_complex():
            fail("current_inventory", owner, "a real-valued tensor", t.dtype, TypeError)
        t = t.to(torch.float32)
        if not bool(torch.isfinite(t).all()):
            fail("current_inventory", owner, "finite (not NaN or infinite)", t.flatten().tolist()[:8])
        scalar = t.dim() == 0
        if t.dim() == 2 and t.shape[1] == 1:
            t = t[:, 0]
        elif t.dim() > 1:
            fail("current_inventory", owner, "a scalar or of shape (B,) or (B, 1)", tuple(t.shape))
        return t.reshape(-1), scalar

    def _pipeline_tensor(self, past: Any, lead_time: int, batch: int, name: str) -> torch.Tensor:
        """(B, lead_time) pipeline from the last ``lead_time`` past orders, left-padded with 0."""
        owner = self._owner
        if past is None:
            return torch.zeros(batch, lead_time)
        if isinstance(past, numbers.Real) and not isinstance(past, bool):
            past = [past]
        if isinstance(past, np.ndarray | list | tuple):
            try:
                past = torch.as_tensor(np.asarray(past, dtype=float))
            except (TypeError, ValueError):
                fail(name, owner, "a list or tensor of numbers", past, TypeError)
        if not isinstance(past, torch.Tensor):
            fail(name, owner, "a list or tensor of numbers", past, TypeError)
        t = past.detach().to(torch.float32)
        if t.dim() <= 1:
            t = t.reshape(1, -1).expand(batch, -1)
        if t.dim() != 2 or t.shape[0] != batch:
            fail(name, owner, f"of shape (n,) or ({batch}, n)", tuple(past.shape))
        if not bool(torch.isfinite(t).all()) or bool((t < 0).any()):
            fail(name, owner, "finite and >= 0", t.flatten().tolist()[:8])
        if lead_time == 0:
            return torch.zeros(batch, 0)
        if t.shape[1] < lead_time:
            t = torch.nn.functional.pad(t, (lead_time - t.shape[1], 0))
        return t[:, t.shape[1] - lead_time :]

    # -------------------------------------------------------------- evaluation
    def _rollout(
        self, sourcing_model: BaseSourcingModel, sourcing_periods: int, seed: int | None, batch_size: int | None = None
    ) -> torch.Tensor:
        """Reset the model, simulate, return the per-period batch-mean costs (T,)."""
        owner = self._owner
        sourcing_model = self._check_model(sourcing_model)
        check_int(sourcing_periods, "sourcing_periods", owner, minimum=1)
        check_seed(seed, "seed", owner)
        self._check_fitted()
        sourcing_model.reset(batch_size=batch_size, seed=seed)
        demands = sourcing_model.demand_generator.sample_periods(
            sourcing_model.batch_size, sourcing_periods, sourcing_model.generator
        )
        costs = []
        for t in range(sourcing_periods):
            q = self._policy_at(sourcing_model.get_state(), t)
            costs.append(sourcing_model.step(q, demands[:, t]).mean())
        return torch.stack(costs)

    def get_total_cost(
        self, sourcing_model: BaseSourcingModel, sourcing_periods: int, seed: int | None = None
    ) -> torch.Tensor:
        """Total over ``sourcing_periods`` periods of the batch-mean cost per period.

        The model is reset to its initial state first; ``seed`` seeds the model's own
        demand generator (the global RNG is never touched).

        Returns
        -------
        torch.Tensor, scalar
        """
        return self._rollout(sourcing_model, sourcing_periods, seed).sum()

    def get_average_cost(
        self, sourcing_model: BaseSourcingModel, sourcing_periods: int, seed: int | None = None
    ) -> torch.Tensor:
        """Average cost per period, :meth:`get_total_cost` / ``sourcing_periods``."""
        return self.get_total_cost(sourcing_model, sourcing_periods, seed) / sourcing_periods

    def _simulate(
        self, sourcing_model: BaseSourcingModel, sourcing_periods: int, seed: int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        old_batch = sourcing_model.batch_size if isinstance(sourcing_model, BaseSourcingModel) else None
        try:
            with torch.no_grad():
                self._rollout(sourcing_model, sourcing_periods, seed, batch_size=1)
            inv = sourcing_model.get_past_inventories()[0].detach().numpy().copy()
            orders = sourcing_model._stacked("ord")[0].detach().numpy().copy()
        finally:
            if old_batch is not None:
                sourcing_model.reset(batch_size=old_batch)
        return inv, orders

    def _plot(
        self,
        series: list[tuple[str, np.ndarray, str]],
        sourcing_periods: int,
        linewidth: float,
        ax: Any = None,
    ) -> tuple[matplotlib.figure.Figure, np.ndarray]:
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(ncols=len(series), figsize=(5 * len(series), 4))
        else:
            fig = np.atleast_1d(ax)[0].figure
        axes = np.atleast_1d(ax)
        if len(axes) != len(series):
            fail("ax", self._owner, f"an array of {len(series)} matplotlib axes", len(axes))
        for a, (title, values, color) in zip(axes, series):
            a.step(range(sourcing_periods), values[-sourcing_periods:], where="post", linewidth=linewidth, color=color)
            a.yaxis.get_major_locator().set_params(integer=True)
            a.set_title(title)
            a.set_xlabel("Period")
            a.set_ylabel("Quantity")
        fig.tight_layout()
        return fig, axes
