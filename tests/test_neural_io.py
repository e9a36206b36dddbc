"""Neural controllers: save/load (and refusing foreign or malicious files), TensorBoard,
the dual controller's predict/simulate/plot."""

from __future__ import annotations

import pathlib
import pickle
import re

import numpy as np
import pytest
import torch

from idinn.demand import UniformDemand
from idinn.dual_controller import DualSourcingNeuralController
from idinn.single_controller import SingleSourcingNeuralController
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel

NOT_FITTED = (
    "This {} instance is not fitted yet. Call 'fit' with a sourcing model "
    "(or 'load' a saved controller) before using this method."
)


def single_model(lead_time=2, batch_size=8):
    return SingleSourcingModel(
        lead_time=lead_time, holding_cost=2, shortage_cost=9, init_inventory=4,
        demand_generator=UniformDemand(0, 4), batch_size=batch_size,
    )


def dual_model(batch_size=8):
    return DualSourcingModel(
        regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
        holding_cost=5, shortage_cost=495, init_inventory=6, demand_generator=UniformDemand(0, 4),
        batch_size=batch_size,
    )


@pytest.fixture(scope="module")
def fitted_single():
    model = single_model()
    ctrl = SingleSourcingNeuralController(hidden_layers=[6, 3], activation=torch.nn.Tanh())
    ctrl.fit(model, sourcing_periods=15, epochs=60, validation_sourcing_periods=40, seed=0, progress=False)
    return ctrl, model


@pytest.fixture(scope="module")
def fitted_dual():
    model = dual_model()
    ctrl = DualSourcingNeuralController(hidden_layers=[8, 4], activation=torch.nn.ELU(alpha=0.5))
    ctrl.fit(model, sourcing_periods=15, epochs=60, validation_sourcing_periods=40, seed=0, progress=False)
    return ctrl, model


def state_batch(seed: int, n: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    inv = torch.randint(-8, 12, (n, 1), generator=g).float()
    pipe = torch.randint(0, 6, (n, width), generator=g).float()
    return inv, pipe


# --------------------------------------------------------------------------------------
# Save / load round trips.
# --------------------------------------------------------------------------------------


def test_single_save_load_round_trip(fitted_single, tmp_path):
    ctrl, model = fitted_single
    path = tmp_path / "single.pt"
    ctrl.save(path)
    loaded = SingleSourcingNeuralController(hidden_layers=[1]).load(path)  # configuration comes from the file
    assert loaded.hidden_layers == [6, 3]
    assert isinstance(loaded.activation, torch.nn.Tanh)
    assert loaded.params_ == model.params
    inv, pipe = state_batch(0, 64, 2)
    expected = ctrl.predict(inv, past_orders=pipe)
    assert torch.equal(loaded.predict(inv, past_orders=pipe), expected)
    assert len(set(expected[:, 0].tolist())) > 1  # a non-constant policy is compared
    assert loaded.predict(3, past_orders=[1, 2]) == ctrl.predict(3, past_orders=[1, 2])
    # The loaded controller evaluates like the original on the same demands.
    assert float(loaded.get_total_cost(model, 30, seed=5).detach()) == float(ctrl.get_total_cost(model, 30, seed=5).detach())


def test_dual_save_load_round_trip(fitted_dual, tmp_path):
    ctrl, model = fitted_dual
    path = tmp_path / "dual.pt"
    ctrl.save(str(path))
    loaded = DualSourcingNeuralController().load(str(path))
    assert loaded.hidden_layers == [8, 4]
    assert isinstance(loaded.activation, torch.nn.ELU) and loaded.activation.alpha == 0.5
    inv, pipe = state_batch(1, 64, 2)
    reg, exp = ctrl.predict(inv, past_regular_orders=pipe)
    reg2, exp2 = loaded.predict(inv, past_regular_orders=pipe)
    assert torch.equal(reg, reg2) and torch.equal(exp, exp2)
    assert len(set(reg[:, 0].tolist()) | set(exp[:, 0].tolist())) > 1


def test_load_refuses_a_controller_of_the_other_class(fitted_dual, tmp_path):
    path = tmp_path / "dual.pt"
    fitted_dual[0].save(path)
    with pytest.raises(
        ValueError, match=re.escape(f"{path} holds a DualSourcingNeuralController, not a SingleSourcingNeuralController.")
    ):
        SingleSourcingNeuralController().load(path)


def test_load_refuses_a_random_file(tmp_path):
    path = tmp_path / "random.bin"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 200, dtype=np.uint8).tobytes())
    with pytest.raises(ValueError, match=re.escape(f"{path} is not a saved idinn controller")):
        SingleSourcingNeuralController().load(path)
    text = tmp_path / "notes.txt"
    text.write_text("garbage that is not a pickle at all")
    with pytest.raises(ValueError, match=re.escape(f"{text} is not a saved idinn controller")):
        SingleSourcingNeuralController().load(text)


@pytest.mark.parametrize("content", [b".", b"h\x00."], ids=["stop-on-empty-stack", "missing-memo"])
def test_load_refuses_malformed_pickles(tmp_path, content):
    path = tmp_path / "malformed.pt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(f"{path} is not a saved idinn controller")):
        SingleSourcingNeuralController().load(path)


def test_load_refuses_a_marked_dict_with_missing_keys(tmp_path):
    path = tmp_path / "partial.pt"
    torch.save({"format": "idinn-controller", "version": 1, "class": "SingleSourcingNeuralController"}, path)
    with pytest.raises(ValueError, match=re.escape(f"{path} is not a complete saved idinn controller (missing")):
        SingleSourcingNeuralController().load(path)


def test_load_refuses_a_dict_without_the_format_marker(tmp_path):
    path = tmp_path / "plain.pt"
    torch.save({"hidden_layers": [2], "state_dict": {}}, path)
    with pytest.raises(ValueError, match=re.escape(f"{path} is not a saved idinn controller.")):
        SingleSourcingNeuralController().load(path)
    torch.save([1, 2, 3], path)
    with pytest.raises(ValueError, match=re.escape(f"{path} is not a saved idinn controller.")):
        SingleSourcingNeuralController().load(path)


class _TouchFile:
    """Unpickling this object would create ``target`` (a harmless stand-in for malicious code)."""

    def __init__(self, target: pathlib.Path) -> None:
        self.target = target

    def __reduce__(self):
        return (pathlib.Path.touch, (self.target,))


@pytest.mark.parametrize("writer", ["pickle", "torch.save", "torch.save-in-dict"])
def test_load_never_runs_code_from_a_crafted_pickle(tmp_path, writer):
    target = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    if writer == "pickle":
        path.write_bytes(pickle.dumps(_TouchFile(target), protocol=2))
    elif writer == "torch.save":
        torch.save(_TouchFile(target), path)
    else:
        torch.save({"format": "idinn-controller", "class": "SingleSourcingNeuralController", "x": _TouchFile(target)}, path)
    # Sanity check of the payload: a plain unpickle would run it.
    if writer == "pickle":
        pickle.loads(path.read_bytes())
        assert target.exists()
        target.unlink()
    with pytest.raises(ValueError, match=re.escape(f"{path} is not a saved idinn controller")):
        SingleSourcingNeuralController().load(path)
    assert not target.exists()


class _Square(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * x

    def __repr__(self) -> str:
        return "_Square()"


def test_saving_a_custom_activation_raises(tmp_path):
    model = single_model(lead_time=0, batch_size=4)
    ctrl = SingleSourcingNeuralController(hidden_layers=[2], activation=_Square())
    ctrl.fit(model, sourcing_periods=5, epochs=3, seed=0, progress=False)  # autograd path
    message = (
        "Cannot save a controller with activation _Square(): only "
        "['CELU', 'ELU', 'Identity', 'LeakyReLU', 'ReLU', 'SiLU', 'Sigmoid', 'Softplus', 'Tanh'] "
        "can be stored safely."
    )
    with pytest.raises(TypeError, match=re.escape(message)):
        ctrl.save(tmp_path / "custom.pt")
    assert not (tmp_path / "custom.pt").exists()


def test_save_before_fit_raises(tmp_path):
    with pytest.raises(ValueError, match=re.escape(NOT_FITTED.format("DualSourcingNeuralController"))):
        DualSourcingNeuralController().save(tmp_path / "x.pt")


# --------------------------------------------------------------------------------------
# TensorBoard.
# --------------------------------------------------------------------------------------


def test_tensorboard_scalars_are_written(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter

    model = single_model(lead_time=0, batch_size=4)
    ctrl = SingleSourcingNeuralController()
    writer = SummaryWriter(log_dir=str(tmp_path))
    try:
        ctrl.fit(model, sourcing_periods=10, epochs=25, validation_sourcing_periods=20, validation_freq=10,
                 tensorboard_writer=writer, seed=2, progress=False)
    finally:
        writer.close()
    assert list(tmp_path.glob("events.out.tfevents*"))
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert "Avg. cost per period/train" in tags and "Avg. cost per period/val" in tags
    train = acc.Scalars("Avg. cost per period/train")
    val = acc.Scalars("Avg. cost per period/val")
    assert [e.step for e in train] == list(range(25))
    assert [e.step for e in val] == [0, 10, 20, 24]  # every validation_freq epochs and the last
    np.testing.assert_allclose([e.value for e in train], [r["train"] for r in ctrl.history_], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in val], [r["val"] for r in ctrl.history_ if "val" in r], rtol=1e-6)
    assert ctrl.best_cost_ == pytest.approx(min(e.value for e in val), rel=1e-6)


# --------------------------------------------------------------------------------------
# Dual neural controller: predict, simulate, plot.
# --------------------------------------------------------------------------------------


def test_dual_predict_types(fitted_dual):
    ctrl, _ = fitted_dual
    q = ctrl.predict(3, past_regular_orders=[1, 2])
    assert isinstance(q, tuple) and len(q) == 2 and all(type(x) is int for x in q)
    inv, pipe = state_batch(2, 5, 2)
    reg, exp = ctrl.predict(inv, past_regular_orders=pipe)
    assert reg.shape == (5, 1) and exp.shape == (5, 1)
    for i in range(5):
        assert (int(reg[i, 0]), int(exp[i, 0])) == ctrl.predict(float(inv[i, 0]), past_regular_orders=pipe[i].tolist())
    # Short past orders are left-padded with zeros; None = empty pipeline.
    assert ctrl.predict(3, past_regular_orders=[2]) == ctrl.predict(3, past_regular_orders=[0, 2])
    assert ctrl.predict(3) == ctrl.predict(3, past_regular_orders=[0, 0])
    reg1, exp1 = ctrl.predict(3, output_tensor=True)
    assert reg1.shape == exp1.shape == (1, 1)


def test_dual_predict_bad_input(fitted_dual):
    ctrl, _ = fitted_dual
    owner = "DualSourcingNeuralController"
    with pytest.raises(ValueError, match=re.escape(
        f"The 'current_inventory' parameter of {owner} must be finite (not NaN or infinite). Got nan instead."
    )):
        ctrl.predict(float("nan"))
    with pytest.raises(TypeError, match=re.escape(
        f"The 'current_inventory' parameter of {owner} must be a number or a tensor of numbers. Got 'abc' instead."
    )):
        ctrl.predict("abc")
    with pytest.raises(ValueError, match=re.escape(
        f"The 'past_regular_orders' parameter of {owner} must be finite and >= 0. Got [1.0, -2.0] instead."
    )):
        ctrl.predict(1, past_regular_orders=[1, -2])
    with pytest.raises(ValueError, match=re.escape(NOT_FITTED.format(owner))):
        DualSourcingNeuralController().predict(1)


def test_dual_simulate_and_plot(fitted_dual, close_figures):
    ctrl, model = fitted_dual
    inv, reg, exp = ctrl.simulate(model, 20, seed=4)
    assert inv.shape == reg.shape == exp.shape == (21,)
    assert model.batch_size == 8
    demands = UniformDemand(0, 4).sample_periods(1, 20, torch.Generator().manual_seed(4))[0].numpy()
    # (l_r, l_e) = (2, 0): I_{t+1} = I_t + q^r_{t-2} + q^e_t - D_t.
    reg_placed = np.concatenate([[0.0, 0.0], reg[1:]])  # q^r_{t-2} for t = 0.. sits at index t
    for t in range(20):
        assert inv[t + 1] == inv[t] + reg_placed[t] + exp[t + 1] - demands[t]
    fig, axes = ctrl.plot(model, sourcing_periods=20, seed=4)
    assert len(axes) == 3
    assert [a.get_title() for a in axes] == ["Inventory", "Regular order", "Expedited order"]
