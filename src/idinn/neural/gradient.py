"""The gradient stage: training through the dynamics with model selection."""

from __future__ import annotations

import copy
import logging
import math
import sys
import warnings
from typing import Any

import numpy as np
import torch

from .network import time_features
from .optim import Adam, RMSprop
from .rollout import FusedMLP, torch_rollout_cost
from .training import TrainingRun
from .validation import Validator

logger = logging.getLogger("idinn.neural")


class GradientTraining:
    """Gradient descent on the total cost of simulated paths, straight through the dynamics.

    Each epoch simulates ``batch_size`` fresh demand paths of ``sourcing_periods``
    periods, differentiates their mean total cost with respect to the weights (fused
    kernels on the CPU, autograd on other devices or for custom activations) and takes
    one optimizer step; the initial inventory is learned too (RMSprop) when configured.
    Every ``validation_freq`` epochs the policy is validated (:class:`Validator`); the
    best weights are restored at the end, a step whose validation exceeds the best by
    ``revert_tolerance`` is undone, and training stops after ``patience`` validations
    without improvement. Steps with non-finite costs or gradients are skipped; when that
    happens often, or the cost explodes, a warning says what to change.

    Sets on the controller: ``history_``, ``best_cost_``, ``stopped_epoch_``,
    ``reverts_``, ``skipped_steps_``, ``fit_time_``.
    """

    name = "gradient"

    def __init__(self, tensorboard_writer: Any = None) -> None:
        self.writer = tensorboard_writer

    def run(self, run: TrainingRun) -> None:  # noqa: C901 - one loop, kept readable in order
        cfg, ctrl, model, params = run.config, run.controller, run.model, run.params
        net = run.net
        device = next(net.parameters()).device
        fused = FusedMLP(net) if FusedMLP.supports(net) else None
        season = run.demand.season_length
        horizon = cfg.sourcing_periods if cfg.finite_horizon else None
        periods = cfg.sourcing_periods
        batch = model.batch_size
        feats_train = time_features(season, 0, periods, horizon)
        disc_train = np.ones(periods) if cfg.discount is None else cfg.discount ** np.arange(periods)
        burn = cfg.burn_in_periods
        disc_train[:burn] = 0.0  # burn-in: the first periods' costs are not counted
        inv_param = model.init_inventory
        learn_inv = cfg.learn_init_inventory and not cfg.finite_horizon and cfg.discount is None
        inv_opt = (
            RMSprop([inv_param], lr=cfg.init_inventory_lr) if learn_inv and cfg.init_inventory_lr > 0 else None
        )

        def init_state(b: int) -> np.ndarray:
            s = np.zeros((b, params.state_dim), dtype=np.float32)
            s[:, 0] = math.floor(float(inv_param.detach()))
            return s

        val_periods = cfg.sourcing_periods if cfg.finite_horizon else cfg.validation_sourcing_periods
        validator = None
        if val_periods is not None:
            demand = run.demand
            exact = cfg.validation == "exact" or (
                cfg.validation == "auto" and cfg.discount is None and not cfg.finite_horizon
                and demand.season_length is None and demand.has_finite_support
            )
            # Simulated validation uses the training batch; where it only stands in for the exact
            # evaluation (a chain too large), at least 256 paths, so that selection is not noise.
            val_batch = max(batch, 1024) if cfg.finite_horizon else (max(batch, 256) if exact else batch)
            validator = Validator(run, val_periods, exact, init_state, val_batch, horizon, cfg.discount,
                                  burn_in=min(burn, val_periods - 1))

        opt_cls = {"adam": Adam, "rmsprop": RMSprop}[cfg.optimizer]
        opt = opt_cls(net.parameters(), lr=cfg.parameters_lr)
        best_cost = math.inf
        best_state: dict[str, Any] | None = None
        reverts = skipped = since_best = 0
        first_train: float | None = None
        last_train = math.nan
        ctrl.stopped_epoch_ = None
        ctrl.history_ = []
        show = sys.stderr.isatty() if cfg.progress is None else bool(cfg.progress)
        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=cfg.epochs, desc=f"{type(ctrl).__name__}.fit", leave=False)
        start = run.session.elapsed_s
        logger.info("fit %s: batch=%d periods=%d epochs=%d fused=%s", type(ctrl).__name__, batch, periods, cfg.epochs, fused is not None)

        def snapshot(epoch: int) -> dict[str, Any]:
            return {"net": copy.deepcopy(net.state_dict()), "init_inventory": inv_param.detach().clone(), "epoch": epoch}

        def validate() -> tuple[float, float]:
            nonlocal best_cost
            assert validator is not None
            value = validator()
            if validator.switched:  # re-measure the best so far the way the others are measured now
                validator.switched = False
                if best_state is not None:
                    probe = copy.deepcopy(net)
                    probe.load_state_dict(best_state["net"])
                    best_cost = validator.simulate(probe)
            return value

        started_from_weights = cfg.warm_start or bool(getattr(ctrl, "policy_iteration_log_", None)) or getattr(
            ctrl, "imitation_agreement_", None
        ) is not None
        if validator is not None and started_from_weights:
            # The starting weights are a candidate too (they may already be very good).
            best_cost = validate()[0]
            best_state = snapshot(-1)
        for epoch in range(cfg.epochs):
            if run.stop_requested:
                ctrl.stopped_epoch_ = epoch
                break
            demands = run.demand.sample_periods(batch, periods, run.generator)
            opt.zero_grad(set_to_none=False)
            if fused is not None:
                total, g_init = fused.cost_and_grad(params, init_state(batch), demands.numpy(), feats_train, disc_train)
                inv_grad = float(g_init[0])
            else:
                s0 = torch.from_numpy(init_state(batch)).to(device).requires_grad_(True)
                j = torch_rollout_cost(
                    net, params, s0, demands.to(device), torch.from_numpy(feats_train).to(device),
                    torch.from_numpy(disc_train).float().to(device),
                )
                j.backward()
                total = float(j.detach())
                inv_grad = float(s0.grad[:, 0].sum())  # type: ignore[index]
            grads = [p.grad for p in net.parameters() if p.grad is not None]
            finite = math.isfinite(total) and all(bool(torch.isfinite(g).all()) for g in grads)
            if not finite:
                # A diverged rollout (astronomical orders): skip the step rather than poison the weights.
                skipped += 1
                opt.zero_grad(set_to_none=False)
                inv_grad = 0.0
            else:
                if cfg.max_grad_norm is not None:
                    torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.max_grad_norm)
                opt.step()
            if inv_opt is not None and epoch % cfg.init_inventory_freq == 0 and math.isfinite(inv_grad):
                inv_opt.zero_grad()
                inv_param.grad = torch.tensor([inv_grad])
                inv_opt.step()
            train_avg = total / (periods - burn)
            if first_train is None and math.isfinite(train_avg):
                first_train = train_avg
            last_train = train_avg
            record = {"epoch": float(epoch), "train": train_avg}
            if self.writer is not None:
                self.writer.add_scalar("Avg. cost per period/train", train_avg, epoch)
            if validator is not None and (epoch % cfg.validation_freq == 0 or epoch == cfg.epochs - 1):
                val_total, shown = validate()
                record["val"] = shown / val_periods
                if math.isinf(val_total):
                    record["unstable"] = True
                if self.writer is not None:
                    self.writer.add_scalar("Avg. cost per period/val", shown / val_periods, epoch)
                since_best = 0 if val_total < best_cost else since_best + 1
                if val_total <= best_cost:  # ties: keep the later (better-trained) initial inventory
                    best_cost = val_total
                    best_state = snapshot(epoch)
                elif (
                    cfg.revert_tolerance is not None and best_state is not None
                    and val_total > best_cost * (1 + cfg.revert_tolerance)
                ):
                    # A step that made the policy clearly worse: go back to the best weights.
                    net.load_state_dict(best_state["net"])
                    reverts += 1
            ctrl.history_.append(record)
            run.report(
                self.name, epoch + 1, cfg.epochs, train_cost=train_avg, validation_cost=record.get("val"),
                best_cost=best_cost / val_periods if val_periods is not None and math.isfinite(best_cost) else None,
            )
            if cfg.patience is not None and since_best >= cfg.patience:
                ctrl.stopped_epoch_ = epoch
                logger.info("early stop at epoch %d: no validation improvement in %d validations", epoch, cfg.patience)
                break
            if epoch % cfg.log_freq == 0:
                logger.info("epoch %d/%d train %.4f val %s", epoch, cfg.epochs, train_avg, record.get("val"))
            if bar is not None:
                bar.update(1)
                if "val" in record:
                    bar.set_postfix(val=f"{record['val']:.3f}")
        if bar is not None:
            bar.close()
        if self.writer is not None and hasattr(self.writer, "flush"):
            self.writer.flush()
        if best_state is not None:
            net.load_state_dict(best_state["net"])
            with torch.no_grad():
                inv_param.copy_(best_state["init_inventory"])
            ctrl.best_cost_ = best_cost / val_periods if math.isfinite(best_cost) else None
            logger.info("restored best weights of epoch %d (val %s)", best_state["epoch"], ctrl.best_cost_)
        else:
            ctrl.best_cost_ = None
        ctrl.fit_time_ = run.session.elapsed_s - start
        ctrl.reverts_ = reverts
        ctrl.skipped_steps_ = skipped
        self._warn_if_diverged(ctrl, len(ctrl.history_), skipped, first_train, last_train, cfg)

    @staticmethod
    def _warn_if_diverged(ctrl: Any, steps: int, skipped: int, first: float | None, last: float, cfg: Any) -> None:
        """Say so when training blew up: many non-finite steps or a cost 1000x its start."""
        if steps == 0:
            return
        exploded = first is not None and math.isfinite(last) and last > 1e3 * max(abs(first), 1e-12)
        if skipped > max(1, steps // 10) or (skipped > 0 and steps < 10) or exploded or not math.isfinite(last):
            what = (
                f"{skipped} of {steps} steps had non-finite costs or gradients and were skipped"
                if skipped
                else f"the training cost grew from {first:.4g} to {last:.4g} per period"
            )
            warnings.warn(
                f"{type(ctrl).__name__}.fit diverged: {what}. Lower 'parameters_lr' (now {cfg.parameters_lr:g}), "
                f"set 'max_grad_norm' (now {cfg.max_grad_norm}) to clip the steps, or shorten 'sourcing_periods'.",
                RuntimeWarning,
                stacklevel=4,
            )
