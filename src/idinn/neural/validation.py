"""Validation of a neural policy during training: exact where it fits, simulation otherwise.

Model selection (keeping the weights with the lowest validation cost) needs one
comparable number per candidate. :class:`Validator` gives the exact long-run average cost
(:func:`idinn.exact.evaluate_policy`, no sampling noise) when the demand is stationary
with finite support and the policy's Markov chain has at most ``max_states`` states.
When a chain is larger, it says so once (a ``UserWarning``) and from then on measures
every candidate by simulation on one fixed set of sample paths (common random numbers);
the trainer re-measures its best weights the same way, so candidates stay comparable.
A policy whose chain leaves the inventory range of the exact evaluation (an unstable
policy: backlog or stock growing without bound) has an infinite long-run cost.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from typing import Any

import numpy as np
import torch

from .rollout import FusedMLP, torch_rollout_cost
from .network import time_features

logger = logging.getLogger("idinn.neural")


class Validator:
    """Total validation cost over ``periods`` periods of the controller's current weights.

    Parameters
    ----------
    run : idinn.neural.training.TrainingRun
    periods : int
        Validation periods :math:`T_v` (costs are per period times :math:`T_v`).
    exact : bool
        Try the exact evaluation first.
    init_state : callable
        ``init_state(B) -> (B, state_dim) float32 array`` (reads the learned :math:`I_0`).
    batch : int
        Paths of the simulation (common random numbers, drawn once here).
    burn_in : int, default=0
        Simulated validation leaves out the costs of the first ``burn_in`` periods.
    """

    def __init__(self, run: Any, periods: int, exact: bool, init_state: Any, batch: int, horizon: int | None,
                 discount: float | None, burn_in: int = 0):
        self.run = run
        self.periods = periods
        self.exact = exact
        self.init_state = init_state
        self.batch = batch
        gen = run.child_generator()
        self.demands = run.demand.sample_periods(batch, periods, gen).numpy()
        self.feats = time_features(run.demand.season_length, 0, periods, horizon)
        self.discounts = np.ones(periods) if discount is None else discount ** np.arange(periods)
        # burn-in: simulated totals count the later periods only, rescaled to ``periods`` periods
        self.discounts[:burn_in] = 0.0
        self.discounts *= periods / (periods - burn_in)
        self.switched = False  # set once when exact validation gave way to simulation
        self.said_unstable = False
        self.max_states = run.config.max_validation_states

    def __call__(self) -> tuple[float, float]:
        """``(selection value, shown value)``: totals over the validation periods.

        They differ only for an unstable policy: selected as infinitely costly (any stable
        candidate is better), shown (history, TensorBoard, callbacks) with its simulated cost.
        """
        if self.exact:
            value = self._exact()
            if value is not None:
                if math.isinf(value):
                    if not self.said_unstable:
                        self.said_unstable = True
                        logger.info(
                            "validation: a candidate policy is unstable (its inventory drifts without bound, so its "
                            "long-run cost is infinite); such candidates are never kept and are shown with their "
                            "simulated cost"
                        )
                    return value, self.simulate(self.run.net)
                return value, value
        value = self.simulate(self.run.net)
        return value, value

    def _exact(self) -> float | None:
        from ..exact import evaluate_policy

        ctrl = self.run.controller
        t0 = time.perf_counter()
        params = self.run.params
        if (params.n_suppliers == 1 and params.excess_demand == "lost_sales" and params.lead_times[0] >= 1
                and bool(getattr(ctrl, "compressed", False)) and not params.has_review_periods):
            reduced = self._exact_reduced(ctrl, t0)
            if reduced is not None or not self.exact:
                return reduced
            # None with exact still on: positions without bound, the full chain below decides
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                ev = evaluate_policy(ctrl, self.run.model, max_states=self.max_states)
        except (ValueError, MemoryError) as exc:
            self._fall_back(f"the exact evaluation failed ({exc})")
            return None
        if ev.n_states >= self.max_states and ev.boundary_mass > 0:
            self._fall_back(f"the policy's Markov chain has more than {self.max_states:,} states")
            return None
        if ev.boundary_mass >= 1e-6:
            logger.debug("validation: unstable policy (boundary mass %.3g): infinite long-run cost", ev.boundary_mass)
            return math.inf
        logger.debug("exact validation: %d states in %.2f s", ev.n_states, time.perf_counter() - t0)
        return float(ev.average_cost) * self.periods

    def _exact_reduced(self, ctrl: Any, t0: float) -> float | None:
        """Compressed lost-sales network: exact on Zipkin's reduced state (:mod:`idinn.exact.lost_sales_chain`)."""
        from ..exact import evaluate_lost_sales_policy_reduced

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                ev = evaluate_lost_sales_policy_reduced(ctrl, self.run.model)
        except ValueError as exc:  # positions without bound (e.g. a constant order): the full chain handles it
            logger.debug("exact validation: %s; using the full chain", exc)
            return None
        except MemoryError as exc:
            self._fall_back(f"the exact evaluation failed ({exc})")
            return None
        logger.debug("exact validation (reduced state): %d states in %.2f s", len(ev.states), time.perf_counter() - t0)
        return float(ev.average_cost) * self.periods

    def _fall_back(self, why: str) -> None:
        self.exact = False
        self.switched = True
        warnings.warn(
            f"{type(self.run.controller).__name__}.fit: exact validation stops here because {why}; "
            f"validating by simulation of {self.batch} paths x {self.periods} periods (common random numbers) "
            "from now on. Raise TrainConfig.max_validation_states to keep validating exactly.",
            UserWarning,
            stacklevel=4,
        )

    def simulate(self, net: torch.nn.Sequential) -> float:
        """Total cost of ``net`` on the fixed validation paths (no autograd graph)."""
        params = self.run.params
        init = self.init_state(self.batch)
        if FusedMLP.supports(net):
            return float(FusedMLP(net).forward_costs(params, init, self.demands, self.feats, self.discounts).sum())
        device = next(net.parameters()).device
        with torch.no_grad():
            return float(
                torch_rollout_cost(
                    net, params, torch.from_numpy(init).to(device), torch.from_numpy(self.demands).to(device),
                    torch.from_numpy(self.feats).to(device), torch.from_numpy(self.discounts).float().to(device),
                )
            )
