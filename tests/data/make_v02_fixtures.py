"""Make the 0.2.0.post1 fixtures of tests/test_compat_v02*.py (run with the reference installed:
/tmp/idinn-ref/bin/python tests/data/make_v02_fixtures.py tests/data)."""
import json, sys, itertools
import torch
import idinn
from idinn.sourcing_model import SingleSourcingModel, DualSourcingModel
from idinn.single_controller import SingleSourcingNeuralController
from idinn.dual_controller import DualSourcingNeuralController
from idinn.demand import UniformDemand

out = sys.argv[1]
assert idinn.__version__ == "0.2.0.post1"
torch.manual_seed(0)
single_model = SingleSourcingModel(lead_time=2, holding_cost=5, shortage_cost=495, batch_size=16,
                                   init_inventory=10, demand_generator=UniformDemand(low=0, high=4))
single = SingleSourcingNeuralController(hidden_layers=[4], activation=torch.nn.CELU(alpha=1))
single.fit(sourcing_model=single_model, sourcing_periods=20, epochs=40, parameters_lr=3e-2, seed=7)
single.save(f"{out}/v02_single.pt")

dual_model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0,
                               expedited_order_cost=20, holding_cost=5, shortage_cost=495, batch_size=16,
                               init_inventory=6, demand_generator=UniformDemand(low=0, high=4))
dual = DualSourcingNeuralController(hidden_layers=[8, 4], activation=torch.nn.CELU(alpha=1))
dual.fit(sourcing_model=dual_model, sourcing_periods=20, epochs=40, parameters_lr=3e-2, seed=11)
dual.save(f"{out}/v02_dual.pt")

def near_int(x, tol=1e-3):
    if x <= 0.0:
        return False
    return abs(x - round(x)) < tol

records = {"reference": "idinn 0.2.0.post1", "torch": torch.__version__}
rows = []
with torch.no_grad():
    for inv, a, b in itertools.product([-6, -2, 0, 3, 8, 15], [0, 2, 5], [0, 4]):
        x = single.prepare_inputs(inv, [a, b])
        raw = float(single.model[:-1](x).item())
        if (near_int(raw) or abs(raw) < 1e-3):
            continue
        rows.append({"current_inventory": inv, "past_orders": [a, b], "order": single.predict(inv, [a, b]),
                     "network_output": raw})
records["single"] = {"file": "v02_single.pt", "lead_time": 2, "hidden_layers": [4],
                     "activation": {"name": "CELU", "alpha": 1.0}, "states": rows}
rows = []
with torch.no_grad():
    for inv, a, b in itertools.product([-6, -2, 0, 3, 8, 15], [0, 2, 5], [0, 4]):
        x = dual.prepare_inputs(torch.tensor([[float(inv)]]), [a, b], None, sourcing_model=dual_model)
        raw = [float(v) for v in dual.model[:-1](x)[0]]
        if any(near_int(r) or abs(r) < 1e-3 for r in raw):
            continue
        qr, qe = dual.predict(inv, [a, b], None)
        rows.append({"current_inventory": inv, "past_regular_orders": [a, b], "past_expedited_orders": None,
                     "orders": [qr, qe], "network_output": raw})
records["dual"] = {"file": "v02_dual.pt", "regular_lead_time": 2, "expedited_lead_time": 0,
                   "hidden_layers": [8, 4], "activation": {"name": "CELU", "alpha": 1.0}, "states": rows}
json.dump(records, open(f"{out}/v02_predictions.json", "w"), indent=1)
print(len(records["single"]["states"]), len(records["dual"]["states"]))
print(sorted({r["order"] for r in records["single"]["states"]}), sorted({tuple(r["orders"]) for r in records["dual"]["states"]}))

# The reference DP controller's vf and qf on the documentation's dual-sourcing example.
from idinn.dual_controller import DynamicProgrammingController

dp_model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0,
                             expedited_order_cost=20, holding_cost=5, shortage_cost=495, init_inventory=0,
                             demand_generator=UniformDemand(low=0, high=4))
dp = DynamicProgrammingController()
dp.fit(dp_model, max_iterations=10000, tolerance=1e-6)
json.dump({"reference": "idinn 0.2.0.post1", "vf": float(dp.vf),
           "qf": [[list(k), list(v)] for k, v in dp.qf.items()]}, open(f"{out}/v02_dp_qf.json", "w"))

# Parameters of every public method of 0.2's documented modules (names, kinds, optionality).
import inspect

import idinn.demand
import idinn.dual_controller
import idinn.single_controller
import idinn.sourcing_model

signatures = {}
for mod in (idinn.sourcing_model, idinn.demand, idinn.single_controller, idinn.dual_controller):
    for cname, cls in sorted(vars(mod).items()):
        if not inspect.isclass(cls) or not cls.__module__.startswith("idinn") or cname.startswith("_"):
            continue
        methods = {}
        for klass in reversed(cls.__mro__):
            if not klass.__module__.startswith("idinn"):
                continue
            for mname, fn in vars(klass).items():
                if mname.startswith("_") and mname != "__init__":
                    continue
                f = fn.__func__ if isinstance(fn, (staticmethod, classmethod)) else fn
                if not callable(f):
                    continue
                try:
                    sig = inspect.signature(f)
                except (TypeError, ValueError):
                    continue
                methods[mname] = [[p.name, p.kind.name, p.default is not inspect.Parameter.empty]
                                  for p in sig.parameters.values() if p.name != "self"]
        signatures[f"{mod.__name__}.{cname}"] = methods
json.dump({"reference": "idinn 0.2.0.post1", "signatures": signatures}, open(f"{out}/v02_signatures.json", "w"),
          indent=0, sort_keys=True)
