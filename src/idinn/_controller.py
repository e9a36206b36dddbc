"""What every controller shares: policy protocol, evaluation, simulation, plotting,
reset, save/load and input checks.

A controller implements ``fit(sourcing_model, ...) -> self`` and ``_policy_at(state,
period) -> orders`` (batched, in the state layout of :mod:`idinn.dynamics`); this base
class builds the public policy protocol and the paper's API on top of those two.
"""

from __future__ import annotations

import inspect
import math
import numbers
import os
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ._validation import MAX_EXACT_QUANTITY, check_int, check_seed, fail, not_fitted
from .dynamics import SourcingParams
from .problem import SourcingProblem, as_problem
from .sourcing_model import BaseSourcingModel

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.axes
    import matplotlib.figure


def solution_property(field: str) -> property:
    """Read-only attribute forwarding to ``self._solution().<field>`` (fitted exact solvers)."""

    def get(self: Any) -> Any:
        return getattr(self._solution(), field)

    return property(get, doc=f"``{field}`` of the fitted solution (see the solver's result).")


_CONTROLLER_CLASSES: dict[str, type[BaseController]] = {}

#: Path-periods (batch size x periods) up to which an evaluation samples its demand in
#: one call and keeps the per-period histories; beyond, demand is drawn in chunks and
#: the model keeps only the last period (bounded memory, see get_total_cost).
EVALUATION_HISTORY_LIMIT = 2**24

_EXACT_RULE = (
    f"at most {MAX_EXACT_QUANTITY} in absolute value (float32, the simulator's number type, holds "
    "integers exactly only up to 2**24)"
)


class BaseController:
    """Base class of all controllers.

    A controller implements ``fit(sourcing_model, ...) -> self`` and ``_policy_at(state,
    period)`` (batched orders, in the state layout of :mod:`idinn.dynamics`); this class
    builds the public policy protocol (:meth:`policy`, :attr:`is_stationary`), the paper's
    evaluation API, :meth:`reset`, :meth:`get_last_cost` and :meth:`save` / :meth:`load`
    on top of them.

    Hooks for subclasses
    --------------------
    ``_policy_at(state, period)``
        Orders (B, n_suppliers) for states (B, state_dim) in calendar period ``period``.
    ``_hyperparameters() -> dict``
        Constructor arguments as plain values (default: the ``__init__`` parameters
        read back from attributes of the same name).
    ``_fitted_state() -> dict`` / ``_restore_fitted_state(state)``
        What ``fit`` learned, as plain values, NumPy arrays, tensors or dataclasses of
        those (see :mod:`idinn._persist`), and its inverse; ``sourcing_model`` is set to
        a fresh model of the saved problem before ``_restore_fitted_state`` runs.
    ``_reset_hyperparameters() -> dict``
        Constructor arguments :meth:`reset` re-initialises with (default:
        ``_hyperparameters()``).
    """

    #: Class of sourcing model the controller works with.
    _model_class: type[BaseSourcingModel] = BaseSourcingModel
    #: Class whose module holds the dataclasses of the saved state (exact solutions).
    _saved_dataclass_home: type | None = None
    sourcing_model: BaseSourcingModel | None = None
    #: Whether ``fit`` models fixed order costs :math:`K_k` (others refuse a problem with them).
    _accepts_fixed_order_costs: bool = False
    #: Whether the orders never exceed the order capacities :math:`u_k` (others refuse them).
    _accepts_order_capacities: bool = False
    #: Whether the orders honour the suppliers' review periods :math:`R_k` (others refuse them).
    _accepts_review_periods: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        known = _CONTROLLER_CLASSES.get(cls.__name__)
        if known is None or not known.__module__.startswith("idinn."):
            _CONTROLLER_CLASSES[cls.__name__] = cls

    @property
    def _owner(self) -> str:
        return type(self).__name__

    # ------------------------------------------------------------ policy protocol
    @property
    def is_stationary(self) -> bool:
        """True when the orders do not depend on the period (:math:`\\mu_t = \\mu`).

        False for a controller fitted to a problem with review periods (its orders are zero
        outside them). Period-dependent controllers (finite horizon, seasonal) override this;
        see :class:`idinn.policy.Policy`.
        """
        params = getattr(getattr(self, "sourcing_model", None), "params", None)
        return not (isinstance(params, SourcingParams) and params.has_review_periods)

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

        Raises
        ------
        ValueError
            ``period`` is None for a period-dependent controller.
        NotFittedError
            Before ``fit`` (or ``load``).
        """
        if period is None:
            if not self.is_stationary:
                fail("period", self._owner, "given (an int >= 0): this controller's orders depend on the period", period)
            period = 0
        return self._policy_at(state, period)

    def _policy_at(self, state: torch.Tensor, period: int) -> torch.Tensor:
        """Orders in calendar period ``period`` (every controller implements this)."""
        raise NotImplementedError(f"{self._owner} does not implement _policy_at(state, period).")

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
        self._check_supported_terms(sourcing_model.params)
        return sourcing_model

    def _check_supported_terms(self, params: SourcingParams) -> None:
        """Refuse fixed order costs or capacities this controller does not model (before any work)."""
        if params.has_fixed_costs and not self._accepts_fixed_order_costs:
            fail("sourcing_model", self._owner, "a model without fixed order costs (this controller does not model "
                 "them; for single sourcing use SSController)", list(params.fixed_order_costs))
        if params.has_capacities and not self._accepts_order_capacities:
            fail("sourcing_model", self._owner, "a model without order capacities (this controller does not "
                 "honour them)", list(params.order_capacities))
        if params.has_review_periods and not self._accepts_review_periods:
            fail("sourcing_model", self._owner, "a model whose suppliers can order every period (this controller "
                 "does not honour review periods)", list(params.review_periods))
    #: Excess-demand rules (``SourcingParams.excess_demand``) this controller's ``fit``
    #: handles; a method that assumes backlogging refuses lost sales.
    excess_demand_rules: tuple[str, ...] = ("backlog",)

    def _check_excess_demand(self, model: BaseSourcingModel) -> BaseSourcingModel:
        """``model``, or the standard error when its excess-demand rule is not handled."""
        rule = model.params.excess_demand
        if rule not in self.excess_demand_rules:
            if rule == "lost_sales":
                why = (f"{self._owner} assumes backlogging; for lost sales use "
                       "idinn.single_controller.LostSalesDPController or idinn.exact.solve_lost_sales_average_cost")
            else:
                why = f"{self._owner} handles {' and '.join(self.excess_demand_rules)} only"
            fail("sourcing_model", self._owner, f"a model with excess_demand in {self.excess_demand_rules} ({why})", rule)
        return model

    def _model_to_fit(self, sourcing_model: Any) -> BaseSourcingModel:
        """The model ``fit`` works on: the given model, or a fresh one of a
        :class:`~idinn.problem.SourcingProblem` (``fit`` accepts either)."""
        if isinstance(sourcing_model, SourcingProblem):
            self._check_supported_terms(sourcing_model.params)
            return self._check_excess_demand(self._model_class.from_problem(sourcing_model))
        return self._check_excess_demand(self._check_model(sourcing_model))

    def _fitted_params(self) -> SourcingParams:
        """Parameters of the fitted problem; raises the "not fitted" error before ``fit``."""
        params = getattr(self, "params_", None)
        if params is not None:
            return params
        if self.sourcing_model is None:
            raise not_fitted(self._owner)
        return self.sourcing_model.params

    def _check_fitted(self) -> Any:
        self._fitted_params()
        return self.sourcing_model

    def _fitted_problem(self) -> SourcingProblem:
        """The :class:`~idinn.problem.SourcingProblem` the controller was fitted for."""
        self._check_fitted()
        return as_problem(self.sourcing_model, owner=self._owner)

    # ----------------------------------------------------------- reset, save, load
    def _hyperparameters(self) -> dict[str, Any]:
        sig = inspect.signature(type(self).__init__)
        return {
            name: getattr(self, name)
            for name, p in list(sig.parameters.items())[1:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }

    def _reset_hyperparameters(self) -> dict[str, Any]:
        return self._hyperparameters()

    def _fitted_state(self) -> dict[str, Any]:
        raise NotImplementedError(f"{self._owner} cannot be saved: it defines no _fitted_state().")

    def _restore_fitted_state(self, state: dict[str, Any]) -> None:
        raise NotImplementedError(f"{self._owner} cannot be loaded: it defines no _restore_fitted_state().")

    def reset(self) -> None:
        """Forget what ``fit`` learned (the reference API); ``predict`` then raises "not fitted".

        The controller is re-initialised with its constructor arguments and
        ``sourcing_model`` becomes ``None``.
        """
        type(self).__init__(self, **self._reset_hyperparameters())
        self.sourcing_model = None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Save the fitted controller to ``path`` (overwritten if it exists).

        The file holds plain data only (the problem as ``SourcingProblem.to_dict()``, the
        constructor arguments and what ``fit`` learned; see :mod:`idinn._persist`), so
        :meth:`load` and :func:`idinn.load_controller` never execute code from it.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        """
        from ._persist import FORMAT, VERSION, encode, write_payload

        problem = self._fitted_problem()
        payload = {
            "format": FORMAT,
            "version": VERSION,
            "class": type(self).__name__,
            "hyperparameters": encode(self._hyperparameters()),
            "problem": problem.to_dict(),
            "state": encode(self._fitted_state()),
        }
        write_payload(path, payload)

    def load(self, path: str | os.PathLike[str]) -> BaseController:
        """Load a controller saved by :meth:`save` into this one; returns ``self``.

        Raises
        ------
        FileNotFoundError
            No such file.
        ValueError
            The file is not a saved idinn controller, or holds another class.
        """
        from ._persist import read_payload

        payload = read_payload(path, f"{self._owner}.load")
        if payload["class"] != type(self).__name__:
            raise ValueError(
                f"{str(path)!r} holds a {payload['class']}, not a {self._owner}; use "
                "idinn.load_controller(path) to load a controller of any class."
            )
        self._load_payload(payload)
        return self

    def _load_payload(self, payload: dict[str, Any]) -> None:
        from ._persist import decode

        problem = SourcingProblem.from_dict(payload["problem"])
        type(self).__init__(self, **decode(payload.get("hyperparameters", {})))
        self.sourcing_model = self._model_class.from_problem(problem)
        self._restore_fitted_state(decode(payload.get("state", {}), self._saved_dataclass_home))

    # -------------------------------------------------------------- evaluation
    def get_last_cost(self, sourcing_model: BaseSourcingModel) -> torch.Tensor:
        """Cost of the last simulated period of every path of ``sourcing_model``, shape (B, 1).

        The reference API; the same as ``sourcing_model.get_last_cost()``.
        """
        return self._check_model(sourcing_model).get_last_cost()

    def _inventory_tensor(self, current_inventory: Any) -> tuple[torch.Tensor, bool]:
        """(B,) float tensor and whether the input was a single number."""
        owner = self._owner
        if isinstance(current_inventory, bool) or isinstance(current_inventory, str):
            fail("current_inventory", owner, "a number or a tensor of numbers", current_inventory, TypeError)
        if isinstance(current_inventory, numbers.Real):
            if not math.isfinite(float(current_inventory)):
                fail("current_inventory", owner, "finite (not NaN or infinite)", current_inventory)
            if abs(float(current_inventory)) > MAX_EXACT_QUANTITY:
                fail("current_inventory", owner, _EXACT_RULE, current_inventory)
            return torch.tensor([float(current_inventory)]), True
        if isinstance(current_inventory, np.ndarray | list | tuple):
            try:
                current_inventory = torch.as_tensor(np.asarray(current_inventory, dtype=float))
            except (TypeError, ValueError):
                fail("current_inventory", owner, "a number or a tensor of numbers", current_inventory, TypeError)
            if bool((current_inventory.abs() > MAX_EXACT_QUANTITY).any()):
                fail("current_inventory", owner, _EXACT_RULE, current_inventory.flatten().tolist()[:8])
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
            if bool((past.abs() > MAX_EXACT_QUANTITY).any()):
                fail(name, owner, _EXACT_RULE, past.flatten().tolist()[:8])
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
        self,
        sourcing_model: BaseSourcingModel,
        sourcing_periods: int,
        seed: int | None,
        batch_size: int | None = None,
    ) -> torch.Tensor:
        """Reset the model, simulate without autograd, return the per-period batch-mean costs (T,)."""
        owner = self._owner
        sourcing_model = self._check_model(sourcing_model)
        check_int(sourcing_periods, "sourcing_periods", owner, minimum=1)
        check_seed(seed, "seed", owner)
        self._check_fitted()
        with torch.no_grad():
            sourcing_model.reset(batch_size=batch_size, seed=seed)
        b = sourcing_model.batch_size
        chunk = max(1, EVALUATION_HISTORY_LIMIT // b)
        record = b * sourcing_periods <= EVALUATION_HISTORY_LIMIT
        costs = torch.empty(sourcing_periods, dtype=torch.float64)
        demand = sourcing_model.demand_generator
        with torch.no_grad():
            for start in range(0, sourcing_periods, chunk):
                n = min(chunk, sourcing_periods - start)
                demands = demand.sample_periods(b, n, sourcing_model.generator, start_period=start)
                for j in range(n):
                    q = self._policy_at(sourcing_model.get_state(), start + j)
                    costs[start + j] = sourcing_model.step(q, demands[:, j], record=record).mean()
        return costs.to(torch.float32)

    def get_total_cost(
        self, sourcing_model: BaseSourcingModel, sourcing_periods: int, seed: int | None = None
    ) -> torch.Tensor:
        """Total over ``sourcing_periods`` periods of the batch-mean cost per period.

        The model is reset to its initial state first and then holds the simulated paths
        (as in the reference); ``seed`` seeds the model's own demand generator (the global
        RNG is never touched). No autograd graph is kept. Beyond
        ``EVALUATION_HISTORY_LIMIT`` (2**24) path-periods the demand is drawn in chunks
        and the model keeps the last period only, so memory stays bounded.

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
        """One path on a copy of the model (the user's model keeps its paths and batch size).

        With ``seed=None`` the copy's generator is seeded from the model's own generator.
        """
        model = self._check_model(sourcing_model)
        check_seed(seed, "seed", self._owner)
        copy = model.simulation_copy()
        self._rollout(copy, sourcing_periods, seed, batch_size=1)
        inv = copy.get_past_inventories()[0].detach().numpy().copy()
        orders = copy._stacked("ord")[0].detach().numpy().copy()
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


def load_controller(path: str | os.PathLike[str]) -> BaseController:
    """Load a controller saved with ``save(path)``, as an instance of its saved class.

    The file is read as plain data (``torch.load(weights_only=True)``): no code from it is
    executed.

    Raises
    ------
    FileNotFoundError, ValueError
        No such file, not a saved idinn controller, or an unknown class.

    Examples
    --------
    >>> import tempfile, os
    >>> from idinn import load_controller
    >>> from idinn.demand import UniformDemand
    >>> from idinn.single_controller import BaseStockController
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> m = SingleSourcingModel(lead_time=0, holding_cost=5, shortage_cost=495,
    ...                         init_inventory=10, demand_generator=UniformDemand(0, 4))
    >>> path = os.path.join(tempfile.mkdtemp(), "c.pt")
    >>> BaseStockController().fit(m).save(path)
    >>> load_controller(path).z_star
    4
    """
    from ._persist import read_payload

    payload = read_payload(path, "load_controller")
    _import_controllers()
    cls = _CONTROLLER_CLASSES.get(str(payload["class"]))
    if cls is None:
        raise ValueError(
            f"{str(path)!r} holds a {payload['class']!r}, which is not a controller class of idinn "
            f"(known: {sorted(_CONTROLLER_CLASSES)})."
        )
    return cls().load(path)


def _import_controllers() -> None:
    """Import the controller packages so that every class is registered."""
    import importlib

    for name in ("idinn.single_controller", "idinn.dual_controller", "idinn.multi_controller"):
        importlib.import_module(name)
