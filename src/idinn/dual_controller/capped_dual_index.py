r"""Capped dual index (CDI) policy of Sun & Van Mieghem (2019)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_int, fail
from ..dynamics import SourcingParams
from ..sourcing_model import DualSourcingModel
from ._heuristic_search import (
    Array,
    DualHeuristicController,
    Param,
    check_level,
    demand_bounds,
    expedited_inventory_position,
    full_inventory_position,
    minimum,
    order_up_to,
    stack_orders,
)

__all__ = ["CappedDualIndexController", "capped_dual_index_orders"]


def capped_dual_index_orders(state: Array, params: SourcingParams, s_e: Param, s_r: Param, q_r: Param) -> Array:
    r"""Orders of the capped dual index policy.

    .. math::
        q^e_t = [S^e - \mathrm{IP}^e_t]^+, \qquad
        q^r_t = \min\{[S^r - \mathrm{IP}_t]^+,\ \bar q^r\},

    with the expedited inventory position
    :math:`\mathrm{IP}^e_t = I_t + \sum_{j=1}^{l_e+1} r_j + \sum_{j=1}^{l_e} e_j`
    (everything that arrives by period :math:`t + l_e`) and the regular inventory position
    :math:`\mathrm{IP}_t = I_t + \sum_{j=1}^{l_r} r_j + \sum_{j=1}^{l_e} e_j`
    (everything that arrives by period :math:`t + l_r - 1`, i.e. every outstanding order,
    *not* counting the expedited order placed now). Both orders are computed from the
    state at the start of period :math:`t`. With :math:`l_e = 0` these are Sun & Van
    Mieghem's :math:`I_t^t` and :math:`I_t^{t+l-1}`.

    Parameters
    ----------
    state : tensor or ndarray, shape (B, 1 + l_r + l_e)
        ``[I_t, r_1..r_{l_r}, e_1..e_{l_e}]`` (see :mod:`idinn.dynamics`).
    params : SourcingParams
        Lead times :math:`(l_r, l_e)`.
    s_e : int or array of shape (B,)
        Expedited order-up-to level [:math:`S^e`].
    s_r : int or array of shape (B,)
        Regular order-up-to level [:math:`S^r`].
    q_r : int or array of shape (B,)
        Cap on the regular order [:math:`\bar q^r`].

    Returns
    -------
    same type as ``state``, shape (B, 2)
        Column 0 regular, column 1 expedited.
    """
    q_e = order_up_to(s_e, expedited_inventory_position(state, params))
    q_reg = minimum(order_up_to(s_r, full_inventory_position(state, params)), q_r)
    return stack_orders(q_reg, q_e)


class CappedDualIndexController(DualHeuristicController):
    r"""Capped dual index policy (Sun & Van Mieghem 2019).

    Each period the expedited order raises the expedited inventory position to
    :math:`S^e` and the regular order raises the regular inventory position towards
    :math:`S^r`, but never by more than the cap :math:`\bar q^r`:

    .. math::
        q^e_t = [S^e - \mathrm{IP}^e_t]^+, \qquad
        q^r_t = \min\{[S^r - \mathrm{IP}_t]^+,\ \bar q^r\}

    (positions defined in :func:`capped_dual_index_orders`). Without the cap it is a dual
    index policy whose regular position ignores the expedited order placed in the same
    period; as :math:`S^r` grows it becomes a tailored base-surge policy with constant
    regular order :math:`\bar q^r`.

    Parameters
    ----------
    s_e : int, default=0
        Expedited order-up-to level [:math:`S^e`], >= 0.
    s_r : int, default=0
        Regular order-up-to level [:math:`S^r`], >= 0.
    q_r : int, default=0
        Cap on the regular order [:math:`\bar q^r`], >= 0.

    Attributes
    ----------
    s_e, s_r, q_r : int
        Parameters in use (found by :meth:`fit` unless ``search=False``).
    best_cost_ : float
        Long-run average cost per period of the fitted parameters: exact (Markov-chain
        evaluation, :func:`idinn.exact.evaluate_policy`) when ``best_cost_is_exact_``,
        simulated otherwise.
    best_cost_is_exact_ : bool
    search_result_ : SearchResult
        Every candidate and its simulated cost, and the exactly re-ranked ones.

    Notes
    -----
    Automatic candidate ranges, with :math:`\bar d` the largest demand:
    :math:`S^e \in \{0, \dots, (l_e + 1)\bar d\}` (above it no expedited position can run
    short before the next expedited order arrives, so a higher level only adds holding
    cost), :math:`S^r \in \{0, \dots, (l_r + 1)\bar d\}` and
    :math:`\bar q^r \in \{0, \dots, \bar d\}` (once the regular position has been raised
    to :math:`S^r`, a regular order never exceeds one period's demand, so a cap
    :math:`\ge \bar d` is no cap).

    The test-bed values ``best_capped_dual_index_cost`` of
    ``idinn/data/dual_sourcing_testbed.csv`` (Böttcher, Asikis & Fragkos 2023) are
    reproduced to four decimals by this definition.

    References
    ----------
    Sun, J., & Van Mieghem, J. A. (2019). Robust dual sourcing inventory management:
    Optimality of capped dual index policies and smoothing. *Manufacturing & Service
    Operations Management*, 21(4), 912–931. https://doi.org/10.1287/msom.2018.0731

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.sourcing_model import DualSourcingModel
    >>> from idinn.dual_controller import CappedDualIndexController
    >>> model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0,
    ...     regular_order_cost=0, expedited_order_cost=20, holding_cost=5,
    ...     shortage_cost=495, init_inventory=6, demand_generator=UniformDemand(0, 4))
    >>> controller = CappedDualIndexController().fit(model, sourcing_periods=1000, seed=0)
    >>> controller
    CappedDualIndexController(s_e=4, s_r=9, q_r=3)
    >>> round(controller.best_cost_, 4)
    23.2456
    """

    _param_names = ("s_e", "s_r", "q_r")

    def __init__(self, s_e: int = 0, s_r: int = 0, q_r: int = 0) -> None:
        owner = "CappedDualIndexController"
        self.s_e = check_level(s_e, "s_e", owner)
        self.s_r = check_level(s_r, "s_r", owner)
        self.q_r = check_level(q_r, "q_r", owner)
        self._init_fit_state()

    _rule = staticmethod(capped_dual_index_orders)
    #: Review periods: the periodic-review variant (orders zero off review; docs/review_periods.md).
    _accepts_review_periods = True

    def _default_ranges(self, model: DualSourcingModel) -> list[np.ndarray]:
        _, high, _ = demand_bounds(model.demand_generator, "demand_generator", self._owner)
        l_r, l_e = model.params.lead_times
        r_r = model.params.review_period(0)  # 1 without review periods
        return [
            np.arange((l_e + 1) * high + 1),
            np.arange((l_r + r_r) * high + 1),
            np.arange(r_r * high + 1),
        ]

    def capped_dual_index_sum(
        self,
        current_inventory: Any,
        past_regular_orders: Any,
        past_expedited_orders: Any,
        regular_lead_time: int,
        expedited_lead_time: int,
        limit: bool = False,
    ) -> int:
        r"""The inventory position a CDI order uses (idinn 0.2's method name).

        ``limit=False``: the expedited position :math:`\mathrm{IP}^e_t` (what the expedited
        order raises to :math:`S^e`); ``limit=True``: the regular position
        :math:`\mathrm{IP}_t` (what the regular order raises towards :math:`S^r`); see
        :func:`capped_dual_index_orders`. Pipelines are given oldest first and
        left-padded with zeros when shorter than the lead time.

        Raises
        ------
        NotFittedError
            Before ``fit``. ``ValueError`` when the lead times differ from the fitted ones.
        """
        params = self._fitted_params()
        owner = self._owner
        for given, fitted, name in zip(
            (regular_lead_time, expedited_lead_time), params.lead_times, ("regular_lead_time", "expedited_lead_time")
        ):
            if check_int(given, name, owner, minimum=0) != fitted:
                fail(name, owner, f"the fitted model's lead time ({fitted})", given)
        state, _ = self._state_from_inputs(current_inventory, past_regular_orders, past_expedited_orders)
        position = full_inventory_position if limit else expedited_inventory_position
        return int(position(state, params)[0].item())

    def fit(
        self,
        sourcing_model: DualSourcingModel,
        sourcing_periods: int = 1000,
        s_e_range: Any = None,
        s_r_range: Any = None,
        q_r_range: Any = None,
        seed: int | None = None,
        *,
        search: bool = True,
        n_paths: int = 128,
        n_exact: int = 8,
    ) -> CappedDualIndexController:
        r"""Find the best :math:`(S^e, S^r, \bar q^r)` for ``sourcing_model``.

        Every candidate of the product of the three ranges is simulated at once on common
        demand paths; the best :math:`\max(4 n_\text{exact}, 16)` are simulated again on
        ``4 * n_paths`` paths and the best ``n_exact`` of those are re-ranked by their
        exact long-run average cost (stationary finite-support demand only; see
        :func:`~idinn.dual_controller._heuristic_search.search_parameters`).

        Parameters
        ----------
        sourcing_model : DualSourcingModel
        sourcing_periods : int, default=1000
            Periods per simulated path (the first tenth is burn-in), >= 2.
        s_e_range, s_r_range, q_r_range : range, list, ndarray or tensor of int, optional
            Candidate values of :math:`S^e`, :math:`S^r`, :math:`\bar q^r` (ints >= 0,
            non-empty). ``None``: the automatic range (see Notes of the class).
        seed : int, optional
            Seed of the search's own random generator (the global RNG is never used).
        search : bool, default=True
            ``False`` keeps the constructor's parameters and only evaluates them.
        n_paths : int, default=128
            Simulated paths per candidate in the first stage, >= 1.
        n_exact : int, default=8
            Candidates re-ranked exactly, >= 0 (0: rank by simulation alone).

        Returns
        -------
        self
        """
        return self._fit(
            sourcing_model, sourcing_periods, (s_e_range, s_r_range, q_r_range), seed, search, n_paths, n_exact
        )
