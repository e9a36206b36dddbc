r"""Tailored base-surge (TBS) policy of Allon & Van Mieghem (2010)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dynamics import SourcingParams
from ..sourcing_model import DualSourcingModel
from ._heuristic_search import (
    Array,
    DualHeuristicController,
    Param,
    check_level,
    constant_order,
    demand_bounds,
    expedited_inventory_position,
    levels_below_mean,
    order_up_to,
    stack_orders,
)

__all__ = ["TailoredBaseSurgeController", "tailored_base_surge_orders"]


def tailored_base_surge_orders(state: Array, params: SourcingParams, q_r: Param, s_e: Param) -> Array:
    r"""Orders of the tailored base-surge policy.

    .. math::
        q^r_t = q^r, \qquad q^e_t = [S^e - \mathrm{IP}^e_t]^+,

    with the expedited inventory position
    :math:`\mathrm{IP}^e_t = I_t + \sum_{j=1}^{l_e+1} r_j + \sum_{j=1}^{l_e} e_j`
    (net inventory plus every order that arrives by period :math:`t + l_e`).

    Parameters
    ----------
    state : tensor or ndarray, shape (B, 1 + l_r + l_e)
        ``[I_t, r_1..r_{l_r}, e_1..e_{l_e}]`` (see :mod:`idinn.dynamics`).
    params : SourcingParams
        Lead times :math:`(l_r, l_e)`.
    q_r : int or array of shape (B,)
        Constant regular ("base") order [:math:`q^r`].
    s_e : int or array of shape (B,)
        Expedited ("surge") order-up-to level [:math:`S^e`].

    Returns
    -------
    same type as ``state``, shape (B, 2)
        Column 0 regular, column 1 expedited.
    """
    q_e = order_up_to(s_e, expedited_inventory_position(state, params))
    return stack_orders(constant_order(q_r, q_e), q_e)


class TailoredBaseSurgeController(DualHeuristicController):
    r"""Tailored base-surge policy (Allon & Van Mieghem 2010).

    The regular (offshore) supplier delivers a constant base quantity :math:`q^r` every
    period; the expedited (nearshore) supplier covers the surges with an order-up-to rule
    on the expedited inventory position:

    .. math::
        q^r_t = q^r, \qquad q^e_t = [S^e - \mathrm{IP}^e_t]^+

    (position defined in :func:`tailored_base_surge_orders`). The regular order ignores
    the state, so the policy is stable only for :math:`q^r < E[D]`; the expedited supplier
    then carries on average :math:`E[D] - q^r` per period.

    Parameters
    ----------
    q_r : int, default=0
        Constant regular order [:math:`q^r`], >= 0.
    s_e : int, default=0
        Expedited order-up-to level [:math:`S^e`], >= 0.

    Attributes
    ----------
    q_r, s_e : int
        Parameters in use (found by :meth:`fit` unless ``search=False``).
    best_cost_ : float
        Long-run average cost per period of the fitted parameters: exact
        (:func:`idinn.exact.evaluate_policy`) when ``best_cost_is_exact_``, simulated
        otherwise.
    best_cost_is_exact_ : bool
    search_result_ : SearchResult

    Notes
    -----
    Automatic candidate ranges, with :math:`\bar d` the largest and :math:`\mu` the mean
    demand: :math:`q^r \in \{0, 1, \dots\}` with :math:`q^r < \mu` (stability) and
    :math:`S^e \in \{0, \dots, (l_e + 1)\bar d\}`.

    The test-bed values ``best_tailored_base_surge_cost`` of
    ``idinn/data/dual_sourcing_testbed.csv`` are reproduced to four decimals by this
    definition; with a constant regular order they do not depend on :math:`l_r`.

    References
    ----------
    Allon, G., & Van Mieghem, J. A. (2010). Global dual sourcing: Tailored base-surge
    allocation to near- and offshore production. *Management Science*, 56(1), 110–124.
    https://doi.org/10.1287/mnsc.1090.1099

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.sourcing_model import DualSourcingModel
    >>> from idinn.dual_controller import TailoredBaseSurgeController
    >>> model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0,
    ...     regular_order_cost=0, expedited_order_cost=20, holding_cost=5,
    ...     shortage_cost=495, init_inventory=6, demand_generator=UniformDemand(0, 4))
    >>> controller = TailoredBaseSurgeController().fit(model, sourcing_periods=1000, seed=0)
    >>> controller
    TailoredBaseSurgeController(q_r=1, s_e=4)
    >>> round(controller.best_cost_, 4)
    31.903
    """

    _param_names = ("q_r", "s_e")

    def __init__(self, q_r: int = 0, s_e: int = 0) -> None:
        owner = "TailoredBaseSurgeController"
        self.q_r = check_level(q_r, "q_r", owner)
        self.s_e = check_level(s_e, "s_e", owner)
        self._init_fit_state()

    _rule = staticmethod(tailored_base_surge_orders)
    #: Review periods: the constant regular order is placed on review days only, so its
    #: candidates are below R_r times the mean demand (docs/review_periods.md).
    _accepts_review_periods = True

    def _default_ranges(self, model: DualSourcingModel) -> list[np.ndarray]:
        _, high, mean = demand_bounds(model.demand_generator, "demand_generator", self._owner)
        l_e = model.params.lead_times[1]
        return [levels_below_mean(mean * model.params.review_period(0)), np.arange((l_e + 1) * high + 1)]

    def fit(
        self,
        sourcing_model: DualSourcingModel,
        sourcing_periods: int = 1000,
        q_r_range: Any = None,
        s_e_range: Any = None,
        seed: int | None = None,
        *,
        search: bool = True,
        n_paths: int = 128,
        n_exact: int = 8,
    ) -> TailoredBaseSurgeController:
        r"""Find the best :math:`(q^r, S^e)` for ``sourcing_model``.

        Same search as :meth:`CappedDualIndexController.fit
        <idinn.dual_controller.CappedDualIndexController.fit>` over
        ``q_r_range`` :math:`\times` ``s_e_range``.

        Parameters
        ----------
        sourcing_model : DualSourcingModel
        sourcing_periods : int, default=1000
            Periods per simulated path (the first tenth is burn-in), >= 2.
        q_r_range, s_e_range : range, list, ndarray or tensor of int, optional
            Candidate values of :math:`q^r` and :math:`S^e` (ints >= 0, non-empty).
            ``None``: the automatic range.
        seed : int, optional
            Seed of the search's own random generator.
        search : bool, default=True
            ``False`` keeps the constructor's parameters and only evaluates them.
        n_paths : int, default=128
            Simulated paths per candidate in the first stage, >= 1.
        n_exact : int, default=8
            Candidates re-ranked exactly, >= 0.

        Returns
        -------
        self
        """
        return self._fit(sourcing_model, sourcing_periods, (q_r_range, s_e_range), seed, search, n_paths, n_exact)
