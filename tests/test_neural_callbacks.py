"""Neural training: progress callbacks, cancellation and Ctrl-C keep the best weights."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import signal
import threading

import pytest
import torch

from idinn.demand import UniformDemand
from idinn.dual_controller import DualSourcingNeuralController
from idinn.neural import TrainingProgress
from idinn.single_controller import SingleSourcingNeuralController
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


def paper_model() -> SingleSourcingModel:
    return SingleSourcingModel(
        lead_time=0, holding_cost=5, shortage_cost=495, batch_size=32, init_inventory=10,
        demand_generator=UniformDemand(low=0, high=4),
    )


def dual_model() -> DualSourcingModel:
    return DualSourcingModel(
        regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
        holding_cost=5, shortage_cost=495, init_inventory=6, demand_generator=UniformDemand(0, 4), batch_size=16,
    )


def best_validation(ctrl):
    """The lowest validation cost of the stable candidates (None when every one was unstable)."""
    best = min((h["val"] for h in ctrl.history_ if "val" in h and "unstable" not in h), default=float("inf"))
    return None if best == float("inf") else pytest.approx(best)


def test_progress_is_a_frozen_dataclass_with_the_contract_fields():
    fields = [f.name for f in dataclasses.fields(TrainingProgress)]
    assert fields == ["stage", "epoch", "epochs", "train_cost", "validation_cost", "best_cost", "elapsed_s"]
    p = TrainingProgress("gradient", 1, 2, 3.0, None, None, 0.1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.epoch = 5  # type: ignore[misc]


def test_callbacks_see_every_epoch_and_validation_of_the_gradient_stage():
    seen: list[TrainingProgress] = []
    ctrl = SingleSourcingNeuralController().fit(
        paper_model(), sourcing_periods=20, epochs=30, validation_sourcing_periods=100, validation_freq=10, seed=1,
        progress=False, callbacks=[seen.append],
    )
    assert [p.epoch for p in seen] == list(range(1, 31))
    assert {p.stage for p in seen} == {"gradient"} and {p.epochs for p in seen} == {30}
    validated = [p for p in seen if p.validation_cost is not None]
    assert [p.epoch for p in validated] == [1, 11, 21, 30]  # epochs 0, 10, 20 and the last
    assert all(p.train_cost is not None and p.train_cost > 0 for p in seen)
    assert all(math.isfinite(p.validation_cost) for p in validated)  # unstable candidates show simulated costs
    # best_cost is the running minimum of the stable candidates' validation costs
    stable = ["unstable" not in h for h in ctrl.history_ if "val" in h]
    assert not all(stable) and any(stable)  # this run sees both kinds
    running = float("inf")
    for p, ok in zip(validated, stable):
        if ok:
            running = min(running, p.validation_cost)
        assert p.best_cost == (None if running == float("inf") else pytest.approx(running))
    assert ctrl.best_cost_ == pytest.approx(running)
    assert all(b.elapsed_s >= a.elapsed_s for a, b in zip(seen, seen[1:]))
    assert ctrl.cancelled_ is False


def test_a_callback_returning_true_stops_training_and_keeps_the_best_weights():
    calls: list[TrainingProgress] = []

    def stop_at_25(p: TrainingProgress) -> bool:
        calls.append(p)
        return p.epoch >= 25

    model = paper_model()
    ctrl = SingleSourcingNeuralController().fit(
        model, sourcing_periods=20, epochs=2000, validation_sourcing_periods=100, validation_freq=10, seed=1,
        progress=False, callbacks=[stop_at_25],
    )
    assert ctrl.cancelled_ is True
    assert calls[-1].epoch == 25 and len(ctrl.history_) == 25
    # the controller holds the best validated weights and stays usable
    assert ctrl.best_cost_ == best_validation(ctrl)
    assert isinstance(ctrl.predict(current_inventory=0), int)
    # and can be trained again (a fresh fit is not cancelled)
    ctrl.fit(model, sourcing_periods=20, epochs=3, seed=1, progress=False)
    assert ctrl.cancelled_ is False


def test_cancelling_the_dual_recipe_during_the_warm_start_skips_the_later_stages():
    stages: list[str] = []

    def stop(p: TrainingProgress) -> bool:
        stages.append(p.stage)
        return True

    ctrl = DualSourcingNeuralController(hidden_layers=[8, 4]).fit(
        dual_model(), sourcing_periods=20, epochs=50, validation_sourcing_periods=100, seed=0, progress=False,
        callbacks=[stop], imitation_steps=300,
    )
    assert stages == ["warm_start"]
    assert ctrl.cancelled_ is True and ctrl.history_ == [] and ctrl.policy_iteration_log_ == []
    reg, exp = ctrl.predict(current_inventory=3, past_regular_orders=[1, 1])
    assert isinstance(reg, int) and isinstance(exp, int)


def test_ctrl_c_stops_cleanly_like_a_cancel(monkeypatch):
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread only")

    def interrupt_at_12(p: TrainingProgress) -> None:
        if p.epoch == 12:
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C in a terminal does

    before = signal.getsignal(signal.SIGINT)
    ctrl = SingleSourcingNeuralController().fit(
        paper_model(), sourcing_periods=20, epochs=500, validation_sourcing_periods=100, validation_freq=5, seed=1,
        progress=False, callbacks=[interrupt_at_12],
    )
    assert ctrl.cancelled_ is True
    assert 12 <= len(ctrl.history_) <= 14  # stopped at the next step boundary
    assert signal.getsignal(signal.SIGINT) is before  # the user's handler is back
    assert ctrl.best_cost_ == best_validation(ctrl)
    assert isinstance(ctrl.predict(current_inventory=0), int)


@pytest.mark.parametrize("bad", ["print", 3, [1], [print, None]])
def test_callbacks_that_are_not_callables_are_refused_before_training(bad):
    ctrl = SingleSourcingNeuralController()
    with pytest.raises(TypeError, match=re.escape("The 'callbacks' parameter of SingleSourcingNeuralController must be")):
        ctrl.fit(paper_model(), sourcing_periods=5, epochs=1, progress=False, callbacks=bad)
    assert ctrl.model is None
