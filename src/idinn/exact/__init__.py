"""Exact methods: average-cost dynamic programming and exact policy evaluation.

* :func:`solve_dual_sourcing_average_cost` / :func:`dual_sourcing_relative_value_iteration`:
  optimal average cost, certified bounds and optimal policy of dual sourcing by relative
  value iteration on a reduced, truncated state space.
* :func:`evaluate_policy`: long-run average cost of any stationary policy of a single-
  or dual-sourcing model with finite-support demand, from the stationary distribution of
  the Markov chain it induces.
* :func:`demand_pmf`: the one path from a demand model to its pmf, used by every exact
  method.

Every solver and evaluator takes a :class:`~idinn.problem.SourcingProblem` or a paper
sourcing model as its model argument and runs on numpy.
"""

from ._pmf import demand_pmf
from .dual_sourcing_dp import (
    DualSourcingDPResult,
    default_truncation,
    dual_sourcing_relative_value_iteration,
    expected_newsvendor_cost,
    reduce_dual_state,
    solve_dual_sourcing_average_cost,
)
from .policy_evaluation import PolicyEvaluation, default_inventory_bounds, evaluate_policy

__all__ = [
    "demand_pmf",
    "DualSourcingDPResult",
    "PolicyEvaluation",
    "default_inventory_bounds",
    "default_truncation",
    "evaluate_policy",
    "dual_sourcing_relative_value_iteration",
    "expected_newsvendor_cost",
    "reduce_dual_state",
    "solve_dual_sourcing_average_cost",
]

# Finite-horizon and discounted dynamic programming (time-dependent demand).
from .discounted import (  # noqa: E402
    DiscountedEvaluation,
    DiscountedSolution,
    evaluate_policy_discounted,
    solve_discounted,
)
from .finite_horizon import (  # noqa: E402
    FiniteHorizonEvaluation,
    FiniteHorizonSolution,
    evaluate_policy_finite_horizon,
    solve_finite_horizon,
)

__all__ += [
    "DiscountedEvaluation",
    "DiscountedSolution",
    "FiniteHorizonEvaluation",
    "FiniteHorizonSolution",
    "evaluate_policy_discounted",
    "evaluate_policy_finite_horizon",
    "solve_discounted",
    "solve_finite_horizon",
]

# Fixed order costs: the optimal (s, S) policy (Zheng & Federgruen 1991).
from .fixed_cost import SSPolicyResult, optimal_ss_policy, ss_average_cost  # noqa: E402

__all__ += ["SSPolicyResult", "optimal_ss_policy", "ss_average_cost"]
# Lost sales (single sourcing, average cost).
from .lost_sales import LostSalesSolution, solve_lost_sales_average_cost  # noqa: E402

from .lost_sales_policies import (  # noqa: E402
    LostSalesPolicyFit,
    evaluate_lost_sales_base_stock,
    evaluate_lost_sales_constant_order,
    fit_lost_sales_base_stock,
    fit_lost_sales_capped_base_stock,
    fit_lost_sales_constant_order,
    standard_base_stock_level,
)
from .lost_sales_policies import evaluate_lost_sales_ss, fit_lost_sales_ss  # noqa: E402
from .lost_sales_heuristics import fit_lost_sales_policy, lost_sales_heuristic  # noqa: E402
from .lost_sales_chain import ReducedLostSalesEvaluation, evaluate_lost_sales_policy_reduced  # noqa: E402

__all__ += ["LostSalesSolution", "solve_lost_sales_average_cost", "LostSalesPolicyFit",
            "evaluate_lost_sales_base_stock", "evaluate_lost_sales_constant_order", "fit_lost_sales_base_stock",
            "fit_lost_sales_capped_base_stock", "fit_lost_sales_constant_order", "standard_base_stock_level"]
__all__ += ["evaluate_lost_sales_ss", "fit_lost_sales_ss", "fit_lost_sales_policy", "lost_sales_heuristic"]
__all__ += ["ReducedLostSalesEvaluation", "evaluate_lost_sales_policy_reduced"]

# General exact engine: up to five suppliers, lost sales, fixed costs, capacities, review periods.
from .multi_dp import MultiSourcingSolution, solve_multi_sourcing_average_cost  # noqa: E402

__all__ += ["MultiSourcingSolution", "solve_multi_sourcing_average_cost"]

# Policies on the law of the stock the order will meet (PIL; fixed arrival service level).
from .lost_sales_projected import (  # noqa: E402
    ArrivalServiceLevelPolicy,
    ProjectedInventoryLevelPolicy,
    arrival_service_level_policy,
    evaluate_lost_sales_projected_level,
    evaluate_lost_sales_service_level,
    fit_lost_sales_projected_level,
    fit_lost_sales_service_level,
    fit_lost_sales_service_level_by_simulation,
    projected_arrival_inventory,
    projected_inventory_level_policy,
    simulated_average_cost,
)

__all__ += ["ArrivalServiceLevelPolicy", "ProjectedInventoryLevelPolicy", "arrival_service_level_policy",
            "evaluate_lost_sales_projected_level", "evaluate_lost_sales_service_level", "fit_lost_sales_projected_level",
            "fit_lost_sales_service_level", "fit_lost_sales_service_level_by_simulation", "projected_arrival_inventory",
            "projected_inventory_level_policy", "simulated_average_cost"]
