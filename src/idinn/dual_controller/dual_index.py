r"""Dual index (DI) policy of Veeraraghavan & Scheller-Wolf (2008)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dynamics import SourcingParams
from ..sourcing_model import DualSourcingModel
from ._heuristic_search import (
    OrderedLevelsController,
    Array,
    Param,
    demand_bounds,
    expedited_inventory_position,
    full_inventory_position,
    order_up_to,
    stack_orders,
)

__all__ = ["DualIndexController", "dual_index_orders"]


def dual_index_orders(state: Array, params: SourcingParams, s_e: Param, s_r: Param) -> Array:
    r"""Orders of the dual index policy.

    .. math::
        q^e_t = [S^e - \mathrm{IP}^e_t]^+, \qquad
        q^r_t = [S^r - (\mathrm{IP}_t + q^e_t)]^+,

    with the expedited inventory position
    :math:`\mathrm{IP}^e_t = I_t + \sum_{j=1}^{l_e+1} r_j + \sum_{j=1}^{l_e} e_j`
    (net inventory plus every order, regular or expedited, that arrives by period
    :math:`t + l_e`) and the inventory position
    :math:`\mathrm{IP}_t = I_t + \sum_{j=1}^{l_r} r_j + \sum_{j=1}^{l_e} e_j`. The
    expedited order is placed first and counts in the regular position.

    Parameters
    ----------
    state : tensor or ndarray, shape (B, 1 + l_r + l_e)
        ``[I_t, r_1..r_{l_r}, e_1..e_{l_e}]`` (see :mod:`idinn.dynamics`).
    params : SourcingParams
        Lead times :math:`(l_r, l_e)`.
    s_e : int or array of shape (B,)
        Expedited order-up-to level [:math:`z_e`].
    s_r : int or array of shape (B,)
        Regular order-up-to level [:math:`z_r`].

    Returns
    -------
    same type as ``state``, shape (B, 2)
        Column 0 regular, column 1 expedited.
    """
    q_e = order_up_to(s_e, expedited_inventory_position(state, params))
    q_reg = order_up_to(s_r, full_inventory_position(state, params) + q_e)
    return stack_orders(q_reg, q_e)


class DualIndexController(OrderedLevelsController):
    r"""Dual index policy (Veeraraghavan & Scheller-Wolf 2008).

    Two order-up-to levels on two inventory positions: the expedited order raises the
    expedited inventory position (what arrives within the expedited lead time) to
    :math:`z_e`, then the regular order raises the full inventory position, expedited
    order included, to :math:`z_r \ge z_e`:

    .. math::
        q^e_t = [z_e - \mathrm{IP}^e_t]^+, \qquad
        q^r_t = [z_r - \mathrm{IP}_t - q^e_t]^+

    (positions defined in :func:`dual_index_orders`). In steady state the regular order
    replaces last period's demand minus this period's expedited order.

    Parameters
    ----------
    s_e : int, default=0
        Expedited order-up-to level [:math:`z_e`], >= 0.
    s_r : int, default=0
        Regular order-up-to level [:math:`z_r`], >= ``s_e``.

    Attributes
    ----------
    s_e, s_r : int
        Parameters in use (found by :meth:`fit` unless ``search=False``).
    best_cost_ : float
        Long-run average cost per period of the fitted parameters: exact
        (:func:`idinn.exact.evaluate_policy`) when ``best_cost_is_exact_``, simulated
        otherwise.
    best_cost_is_exact_ : bool
    search_result_ : SearchResult

    Notes
    -----
    Automatic candidate ranges, with :math:`\bar d` the largest demand:
    :math:`z_e \in \{0, \dots, (l_e + 1)\bar d\}` and
    :math:`z_r \in \{z_e, \dots, (l_r + 1)\bar d\}`. A level :math:`z_r < z_e` would
    never order regularly, which :math:`z_r = z_e` already covers.

    The test-bed values ``best_dual_index_cost`` of
    ``idinn/data/dual_sourcing_testbed.csv`` are reproduced to four decimals by this
    definition.

    References
    ----------
    Veeraraghavan, S., & Scheller-Wolf, A. (2008). Now or later: A simple policy for
    effective dual sourcing in capacitated systems. *Operations Research*, 56(4),
    850–864. https://doi.org/10.1287/opre.1080.0552

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.sourcing_model import DualSourcingModel
    >>> from idinn.dual_controller import DualIndexController
    >>> model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0,
    ...     regular_order_cost=0, expedited_order_cost=20, holding_cost=5,
    ...     shortage_cost=495, init_inventory=6, demand_generator=UniformDemand(0, 4))
    >>> controller = DualIndexController().fit(model, sourcing_periods=1000, seed=0)
    >>> controller
    DualIndexController(s_e=4, s_r=9)
    >>> round(controller.best_cost_, 4)
    23.3377
    """

    _rule = staticmethod(dual_index_orders)
    #: Review periods: the periodic-review variant (orders zero off review; docs/review_periods.md).
    _accepts_review_periods = True

    def _default_ranges(self, model: DualSourcingModel) -> list[np.ndarray]:
        _, high, _ = demand_bounds(model.demand_generator, "demand_generator", self._owner)
        l_r, l_e = model.params.lead_times
        r_r = model.params.review_period(0)  # 1 without review periods
        return [np.arange((l_e + 1) * high + 1), np.arange((l_r + r_r) * high + 1)]

    def fit(
        self,
        sourcing_model: DualSourcingModel,
        sourcing_periods: int = 1000,
        s_e_range: Any = None,
        s_r_range: Any = None,
        seed: int | None = None,
        *,
        search: bool = True,
        n_paths: int = 128,
        n_exact: int = 8,
    ) -> DualIndexController:
        r"""Find the best :math:`(z_e, z_r)`, :math:`z_e \le z_r`, for ``sourcing_model``.

        Same search as :meth:`CappedDualIndexController.fit
        <idinn.dual_controller.CappedDualIndexController.fit>` over the pairs of
        ``s_e_range`` :math:`\times` ``s_r_range`` with ``s_e <= s_r``.

        Parameters
        ----------
        sourcing_model : DualSourcingModel
        sourcing_periods : int, default=1000
            Periods per simulated path (the first tenth is burn-in), >= 2.
        s_e_range, s_r_range : range, list, ndarray or tensor of int, optional
            Candidate values of :math:`z_e` and :math:`z_r` (ints >= 0, non-empty, and at
            least one pair with :math:`z_e \le z_r`). ``None``: the automatic range.
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
        return self._fit(sourcing_model, sourcing_periods, (s_e_range, s_r_range), seed, search, n_paths, n_exact)
