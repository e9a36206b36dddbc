"""Neural controllers as idinn 0.2 used them: torch.nn.Module, init_layers, prepare_inputs,
forward, reset, compressed inputs, 0.2's saved networks; devices and process settings."""

from __future__ import annotations

import pickle
import re
import warnings

import numpy as np
import pytest
import torch

from idinn.demand import UniformDemand
from idinn.dual_controller import DualSourcingNeuralController
from idinn.neural.training import flush_denormal_enabled, thread_settings
from idinn.single_controller import SingleSourcingNeuralController
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


def single_model(lead_time: int = 2) -> SingleSourcingModel:
    return SingleSourcingModel(
        lead_time=lead_time, holding_cost=2, shortage_cost=9, init_inventory=4,
        demand_generator=UniformDemand(0, 4), batch_size=8,
    )


def dual_model(regular_lead_time: int = 2) -> DualSourcingModel:
    return DualSourcingModel(
        regular_lead_time=regular_lead_time, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
        holding_cost=5, shortage_cost=495, init_inventory=6, demand_generator=UniformDemand(0, 4), batch_size=8,
    )


def reference_network(sizes: list[int], n_out: int, activation: torch.nn.Module, bias_last: bool) -> torch.nn.Sequential:
    """The network idinn 0.2's init_layers builds (Linear/act..., last Linear, ReLU), fixed weights."""
    layers: list[torch.nn.Module] = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [torch.nn.Linear(a, b), activation]
    layers += [torch.nn.Linear(sizes[-1], n_out, bias=bias_last), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers)
    g = torch.Generator().manual_seed(4)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 3)
        last = [m for m in net if isinstance(m, torch.nn.Linear)][-1]
        last.weight.abs_()  # orders vary with the state (not all 0)
    return net


def test_the_old_import_paths_give_the_same_classes():
    from idinn.dual_controller.dual_neural import DualSourcingNeuralController as D
    from idinn.single_controller.single_neural import SingleSourcingNeuralController as S

    assert S is SingleSourcingNeuralController and D is DualSourcingNeuralController


def test_neural_controllers_are_torch_modules_with_model_keys():
    ctrl = SingleSourcingNeuralController(hidden_layers=[3])
    assert isinstance(ctrl, torch.nn.Module) and list(ctrl.parameters()) == []
    ctrl.fit(single_model(), sourcing_periods=10, epochs=3, seed=0, progress=False)
    # Standardize (buffers), Linear(3->3), CELU, Linear(3->1)
    assert sum(p.numel() for p in ctrl.parameters()) == 3 * 3 + 3 + 3 + 1
    keys = list(ctrl.state_dict())
    assert keys == ["model.0.shift", "model.0.scale", "model.1.weight", "model.1.bias", "model.3.weight", "model.3.bias"]
    assert ctrl.to("cpu") is ctrl and ctrl.train() is ctrl and ctrl.training
    assert ctrl.eval() is ctrl and not ctrl.training


def test_state_dict_round_trips_between_two_controllers():
    a = DualSourcingNeuralController(hidden_layers=[6, 3])
    a.fit(dual_model(), sourcing_periods=10, epochs=3, seed=0, progress=False, init_policy=None, policy_iterations=0)
    b = DualSourcingNeuralController(hidden_layers=[6, 3])
    b.init_layers(regular_lead_time=2, expedited_lead_time=0)
    b.load_state_dict(a.state_dict())
    states = torch.tensor([[i, j, k] for i in range(-4, 10) for j in range(3) for k in range(3)], dtype=torch.float32)
    assert torch.equal(a.policy(states), b.policy(states))


def test_dual_init_layers_and_prepare_inputs_as_the_reference_app_calls_them():
    model = dual_model()
    ctrl = DualSourcingNeuralController(hidden_layers=[8, 4], activation=torch.nn.ELU())
    ctrl.init_layers(regular_lead_time=np.int32(2), expedited_lead_time=np.int32(0))  # before any fit
    x = ctrl.prepare_inputs(torch.rand([4, 1]), torch.rand([4, 2]), torch.rand([4, 2]), sourcing_model=model)
    assert x.shape == (4, 3)
    out = ctrl.model(x)  # what torchview.draw_graph runs
    assert out.shape == (4, 2)
    reg, exp = ctrl(x)  # forward: a pair of (B, 1) integer tensors
    assert reg.shape == exp.shape == (4, 1)
    assert torch.equal(torch.cat([reg, exp], 1), torch.floor(torch.relu(out)))
    # prepare_inputs lays out [I, regular pipeline, expedited pipeline]
    x = ctrl.prepare_inputs(torch.tensor([[3.0]]), torch.tensor([[9.0, 1.0, 2.0]]), None, sourcing_model=model)
    assert x.tolist() == [[3.0, 1.0, 2.0]]


def test_single_init_layers_and_prepare_inputs():
    ctrl = SingleSourcingNeuralController()
    with pytest.raises(AttributeError, match="not fitted"):
        ctrl.init_layers()  # idinn 0.2 needs the model of a fit
    ctrl.init_layers(lead_time=2)
    x = ctrl.prepare_inputs(5, past_orders=[7, 1, 3])
    assert x.tolist() == [[5.0, 1.0, 3.0]]
    q = ctrl(x)
    assert q.shape == (1, 1) and float(q.detach()) == float(torch.floor(torch.relu(ctrl.model(x))).detach())


def test_reset_forgets_the_network():
    ctrl = SingleSourcingNeuralController().fit(single_model(), sourcing_periods=5, epochs=2, seed=0, progress=False)
    ctrl.reset()
    assert ctrl.model is None and ctrl.sourcing_model is None
    with pytest.raises(AttributeError, match="not fitted"):
        ctrl.predict(current_inventory=1)


@pytest.mark.parametrize("lead_time", [0, 2])
def test_a_network_saved_by_idinn_02_loads_with_the_same_orders(tmp_path, lead_time):
    # idinn 0.2's save() is torch.save(self.model): the pickled Sequential (last Linear without bias).
    net = reference_network([lead_time + 1, 4, 3], 1, torch.nn.CELU(alpha=1), bias_last=False)
    path = tmp_path / "v02.pt"
    torch.save(net, path)
    ctrl = SingleSourcingNeuralController().load(path)
    assert ctrl.hidden_layers == [4, 3] and isinstance(ctrl.activation, torch.nn.CELU)
    g = torch.Generator().manual_seed(0)
    inv = torch.randint(-10, 20, (50,), generator=g).float()
    past = torch.randint(0, 8, (50, lead_time), generator=g).float()
    expected = torch.floor(net(torch.cat([inv[:, None], past], 1)))  # 0.2's h - frac(h) of relu output
    assert torch.equal(ctrl.predict(inv, past_orders=past), expected)
    assert len(set(expected.flatten().tolist())) > 3  # the check is not vacuous


def test_a_dual_network_saved_by_idinn_02_uses_the_known_lead_times(tmp_path):
    net = reference_network([4, 8, 4], 2, torch.nn.ReLU(), bias_last=True)  # 1 + l_r + l_e = 4
    path = tmp_path / "v02_dual.pt"
    torch.save(net, path)
    assumed = DualSourcingNeuralController().load(path)  # 0.2 does not store the split: l_e = 0
    assert assumed.params_.lead_times == (3, 0)
    ctrl = DualSourcingNeuralController()
    ctrl.init_layers(regular_lead_time=2, expedited_lead_time=1)
    ctrl.load(path)
    assert ctrl.params_.lead_times == (2, 1)
    x = torch.tensor([[3.0, 1.0, 2.0, 0.0], [-4.0, 0.0, 0.0, 2.0]])
    reg, exp = ctrl.predict(x[:, 0], past_regular_orders=x[:, 1:3], past_expedited_orders=x[:, 3:])
    assert torch.equal(torch.cat([reg, exp], 1), torch.floor(net(x)))
    with pytest.raises(ValueError, match="does not fit lead times"):
        DualSourcingNeuralController().load(path, regular_lead_time=1, expedited_lead_time=1)


class Evil:
    def __reduce__(self):
        return (print, ("code from the file ran",))


def test_files_naming_other_globals_are_refused(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save({"format": "idinn-controller", "payload": Evil()}, path)
    with pytest.raises(ValueError, match="refused to load it"):
        SingleSourcingNeuralController().load(path)
    assert "code from the file ran" not in capsys.readouterr().out
    path2 = tmp_path / "module.pt"
    torch.save(torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.GELU()), path2)  # GELU is not allowed
    with pytest.raises(ValueError, match="refused to load it"):
        SingleSourcingNeuralController().load(path2)


def test_compressed_inputs_add_the_inventory_to_the_oldest_regular_order():
    model = dual_model()
    ctrl = DualSourcingNeuralController(hidden_layers=[6], compressed=True)
    ctrl.init_layers(regular_lead_time=2, expedited_lead_time=0)
    x = ctrl.prepare_inputs(torch.tensor([[3.0]]), torch.tensor([[4.0, 1.0]]), None, sourcing_model=model)
    assert x.tolist() == [[7.0, 1.0]] and ctrl.model[1].in_features == 2
    ctrl.fit(model, sourcing_periods=10, epochs=5, seed=0, progress=False, init_policy=None, policy_iterations=0)
    state = torch.tensor([[3.0, 4.0, 1.0]])
    expected = torch.floor(torch.relu(ctrl.model(torch.tensor([[7.0, 1.0]]))))
    assert torch.equal(ctrl.policy(state), expected)
    with pytest.raises(TypeError, match=re.escape("The 'compressed' parameter of DualSourcingNeuralController must be a bool")):
        DualSourcingNeuralController(compressed="no")


def test_average_cost_evaluation_keeps_no_autograd_graph():
    model = single_model()
    ctrl = SingleSourcingNeuralController().fit(model, sourcing_periods=5, epochs=2, seed=0, progress=False)
    cost = ctrl.get_average_cost(model, sourcing_periods=50, seed=0)
    assert cost.dim() == 0 and not cost.requires_grad


def test_fit_restores_threads_and_a_flush_denormal_mode_the_user_turned_on():
    threads = torch.get_num_threads()
    model = single_model()
    try:
        torch.set_flush_denormal(True)
        SingleSourcingNeuralController().fit(model, sourcing_periods=5, epochs=2, seed=0, progress=False)
        assert flush_denormal_enabled() and torch.get_num_threads() == threads
        torch.set_flush_denormal(False)
        SingleSourcingNeuralController().fit(model, sourcing_periods=5, epochs=2, seed=0, progress=False)
        assert not flush_denormal_enabled()
    finally:
        torch.set_flush_denormal(False)


def test_thread_settings_apply_inside_and_can_be_switched_off():
    before = torch.get_num_threads()
    with thread_settings(True):
        assert torch.get_num_threads() == 1 and flush_denormal_enabled()
    assert torch.get_num_threads() == before and not flush_denormal_enabled()
    with thread_settings(False):
        assert torch.get_num_threads() == before and not flush_denormal_enabled()
    with pytest.raises(TypeError, match=re.escape("The 'tune_threads' parameter of SingleSourcingNeuralController must be a bool")):
        SingleSourcingNeuralController().fit(single_model(), sourcing_periods=5, epochs=2, tune_threads="no")


def test_cuda_is_refused_clearly_where_there_is_none():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ValueError, match="CUDA is not available"):
        SingleSourcingNeuralController(device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_training_on_cuda_and_moving_between_devices(tmp_path):
    model = dual_model()
    ctrl = DualSourcingNeuralController(hidden_layers=[16, 8], device="cuda")
    ctrl.fit(model, sourcing_periods=20, epochs=20, validation_sourcing_periods=50, seed=0, progress=False,
             init_policy=None, policy_iterations=0)
    assert ctrl.device.type == "cuda" and all(p.is_cuda for p in ctrl.parameters())
    states = torch.tensor([[i, j, k] for i in range(-4, 10) for j in range(3) for k in range(3)], dtype=torch.float32)
    on_gpu = ctrl.policy(states)
    assert on_gpu.device.type == "cpu"  # orders come back where the states were
    ctrl.save(tmp_path / "gpu.pt")
    cpu = DualSourcingNeuralController(hidden_layers=[16, 8]).load(tmp_path / "gpu.pt")
    assert torch.equal(cpu.policy(states), on_gpu)
    assert torch.equal(ctrl.to("cpu").policy(states), on_gpu)


def test_a_diverging_fit_warns_and_says_what_to_change():
    model = single_model(lead_time=0)
    with pytest.warns(RuntimeWarning, match=r"diverged.*Lower 'parameters_lr' \(now 1e\+06\)"):
        ctrl = SingleSourcingNeuralController(hidden_layers=[8]).fit(
            model, sourcing_periods=50, epochs=40, parameters_lr=1e6, seed=0, progress=False
        )
    assert isinstance(ctrl.predict(current_inventory=0), int)


def test_a_sane_fit_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SingleSourcingNeuralController().fit(single_model(), sourcing_periods=20, epochs=30, seed=0, progress=False)


def test_pickle_round_trip_keeps_the_policy():
    ctrl = SingleSourcingNeuralController().fit(single_model(), sourcing_periods=5, epochs=2, seed=0, progress=False)
    clone = pickle.loads(pickle.dumps(ctrl))
    states = torch.tensor([[i, 1.0, 2.0] for i in range(-5, 10)])
    assert torch.equal(clone.policy(states), ctrl.policy(states))


def test_warmup_compiles_exactly_the_kernel_signatures_a_fit_uses():
    from idinn.neural import _kernels
    from idinn.neural.warmup import warmup

    warmup()
    grad_sigs, fwd_sigs = list(_kernels.rollout_grad.signatures), list(_kernels.rollout_forward.signatures)
    SingleSourcingNeuralController().fit(
        single_model(), sourcing_periods=5, epochs=2, validation_sourcing_periods=5, validation="simulation",
        seed=0, progress=False,
    )
    assert list(_kernels.rollout_grad.signatures) == grad_sigs and len(grad_sigs) == 1
    assert list(_kernels.rollout_forward.signatures) == fwd_sigs and len(fwd_sigs) == 1


@pytest.mark.parametrize("name", ["finite_horizon", "warm_start", "progress"])
def test_strings_for_booleans_are_refused_before_training(name):
    ctrl = SingleSourcingNeuralController()
    with pytest.raises(TypeError, match=re.escape(
        f"The '{name}' parameter of SingleSourcingNeuralController must be a bool (True or False). Got 'no' instead."
    )):
        ctrl.fit(single_model(), sourcing_periods=5, epochs=2, **{name: "no"})
    assert ctrl.model is None
