r"""Single index (SI) policy of Scheller-Wolf, Veeraraghavan & van Houtum (2007)."""

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
    full_inventory_position,
    order_up_to,
    stack_orders,
)

__all__ = ["SingleIndexController", "single_index_orders"]


def single_index_orders(state: Array, params: SourcingParams, s_e: Param, s_r: Param) -> Array:
    r"""Orders of the single index policy.

    .. math::
        q^e_t = [S^e - \mathrm{IP}_t]^+, \qquad
        q^r_t = [S^r - (\mathrm{IP}_t + q^e_t)]^+ = [S^r - \max(\mathrm{IP}_t, S^e)]^+,

    both on the one inventory position
    :math:`\mathrm{IP}_t = I_t + \sum_{j=1}^{l_r} r_j + \sum_{j=1}^{l_e} e_j`
    (net inventory plus every outstanding order).

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

    Returns
    -------
    same type as ``state``, shape (B, 2)
        Column 0 regular, column 1 expedited.
    """
    position = full_inventory_position(state, params)
    q_e = order_up_to(s_e, position)
    q_reg = order_up_to(s_r, position + q_e)
    return stack_orders(q_reg, q_e)


class SingleIndexController(OrderedLevelsController):
    r"""Single index policy (Scheller-Wolf, Veeraraghavan & van Houtum 2007).

    Both orders look at one index, the inventory position :math:`\mathrm{IP}_t` (net
    inventory plus all outstanding orders): when it is below :math:`S^e` the expedited
    order raises it to :math:`S^e`, and the regular order then raises it to
    :math:`S^r \ge S^e`:

    .. math::
        q^e_t = [S^e - \mathrm{IP}_t]^+, \qquad q^r_t = [S^r - \mathrm{IP}_t - q^e_t]^+.

    In steady state the position after ordering is always :math:`S^r`; a period's demand
    :math:`D` is replaced by :math:`\min(D, S^r - S^e)` regular and
    :math:`[D - (S^r - S^e)]^+` expedited units.

    Parameters
    ----------
    s_e : int, default=0
        Expedited order-up-to level [:math:`S^e`], >= 0.
    s_r : int, default=0
        Regular order-up-to level [:math:`S^r`], >= ``s_e``.

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
    Automatic candidate ranges, with :math:`\bar d` the largest demand: both levels in
    :math:`\{0, \dots, (l_r + 1)\bar d\}` with :math:`S^e \le S^r` (the single index
    counts regular orders too, so :math:`S^e` is a position over the regular lead time).

    The test-bed values ``best_single_index_cost`` of
    ``idinn/data/dual_sourcing_testbed.csv`` are reproduced to four decimals by this
    definition.

    References
    ----------
    Scheller-Wolf, A., Veeraraghavan, S., & van Houtum, G.-J. (2007). Effective dual
    sourcing with a single index policy. Working paper, Tepper School of Business,
    Carnegie Mellon University.

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.sourcing_model import DualSourcingModel
    >>> from idinn.dual_controller import SingleIndexController
    >>> model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0,
    ...     regular_order_cost=0, expedited_order_cost=20, holding_cost=5,
    ...     shortage_cost=495, init_inventory=6, demand_generator=UniformDemand(0, 4))
    >>> controller = SingleIndexController().fit(model, sourcing_periods=1000, seed=0)
    >>> controller
    SingleIndexController(s_e=7, s_r=10)
    >>> round(controller.best_cost_, 4)
    26.0
    """

    _rule = staticmethod(single_index_orders)
    #: Review periods: the periodic-review variant (orders zero off review; docs/review_periods.md).
    _accepts_review_periods = True

    def _default_ranges(self, model: DualSourcingModel) -> list[np.ndarray]:
        _, high, _ = demand_bounds(model.demand_generator, "demand_generator", self._owner)
        l_r = model.params.lead_times[0]
        levels = np.arange((l_r + model.params.review_period(0)) * high + 1)
        return [levels, levels]

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
    ) -> SingleIndexController:
        r"""Find the best :math:`(S^e, S^r)`, :math:`S^e \le S^r`, for ``sourcing_model``.

        Same search as :meth:`CappedDualIndexController.fit
        <idinn.dual_controller.CappedDualIndexController.fit>` over the pairs of
        ``s_e_range`` :math:`\times` ``s_r_range`` with ``s_e <= s_r``.

        Parameters
        ----------
        sourcing_model : DualSourcingModel
        sourcing_periods : int, default=1000
            Periods per simulated path (the first tenth is burn-in), >= 2.
        s_e_range, s_r_range : range, list, ndarray or tensor of int, optional
            Candidate values of :math:`S^e` and :math:`S^r` (ints >= 0, non-empty, and at
            least one pair with :math:`S^e \le S^r`). ``None``: the automatic range.
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
