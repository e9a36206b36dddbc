"""Scale of each exact method and search: states, seconds and peak memory on this machine.

Each case runs in a fresh subprocess (peak RSS is per process). The table goes to stdout
in Markdown, for docs/exact_evaluation.md.

Run: ``python benchmarks/check_testbed_exact_scale.py [NAME_PART]`` (only the rows whose name contains NAME_PART)
"""

from __future__ import annotations

import json
import subprocess
import sys

CASES = {
    "evaluate_policy, base stock on positions, Poisson(40) l=3": """
from idinn.demand import PoissonDemand
from idinn.sourcing_model import SingleSourcingModel
from idinn.single_controller import BaseStockController
from idinn.exact import evaluate_policy
m = SingleSourcingModel(lead_time=3, holding_cost=1, shortage_cost=9, init_inventory=0,
    demand_generator=PoissonDemand(40).truncated(tail_mass=1e-9))
c = BaseStockController().fit(m)
t = time.perf_counter(); ev = evaluate_policy(c, m); dt = time.perf_counter() - t
out = dict(states=ev.n_states, value=ev.average_cost)
""",
    "evaluate_policy, full chain, Poisson(1.5) l=3 (issue 15)": """
from idinn.demand import PoissonDemand
from idinn.sourcing_model import SingleSourcingModel
from idinn.exact import evaluate_policy
m = SingleSourcingModel(lead_time=3, holding_cost=0.01, shortage_cost=6, init_inventory=6,
    demand_generator=PoissonDemand(1.5).truncated(tail_mass=1e-9))
bs = lambda s: (14 - s.sum(1, keepdim=True)).clamp(min=0)
t = time.perf_counter(); ev = evaluate_policy(bs, m, position_only=False); dt = time.perf_counter() - t
out = dict(states=ev.n_states, value=ev.average_cost)
""",
    "evaluate_policy, dual index, U{0..20} l_r=2": """
import torch
from idinn.demand import UniformDemand
from idinn.sourcing_model import DualSourcingModel
from idinn.exact import evaluate_policy
m = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
    holding_cost=5, shortage_cost=495, init_inventory=0, demand_generator=UniformDemand(0, 20))
def di(s):
    qe = (25 - s[:, 0] - s[:, 1]).clamp(min=0)
    qr = (40 - s.sum(1) - qe).clamp(min=0)
    return torch.stack([qr, qe], 1)
t = time.perf_counter(); ev = evaluate_policy(di, m); dt = time.perf_counter() - t
out = dict(states=ev.n_states, value=ev.average_cost)
""",
    "solve_dual_sourcing_average_cost, N(25,8) l_r=2": """
from idinn.demand import DiscretizedNormalDemand
from idinn.sourcing_model import DualSourcingModel
from idinn.exact import solve_dual_sourcing_average_cost
m = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=100, expedited_order_cost=108,
    holding_cost=5, shortage_cost=495, init_inventory=30, demand_generator=DiscretizedNormalDemand(mean=25, std=8))
t = time.perf_counter(); r = solve_dual_sourcing_average_cost(m); dt = time.perf_counter() - t
out = dict(states=r.policy_table[..., 0].size, value=r.optimal_cost)
""",
    "solve_dual_sourcing_average_cost, U{0..4} l_r=6": """
from idinn.demand import UniformDemand
from idinn.sourcing_model import DualSourcingModel
from idinn.exact import solve_dual_sourcing_average_cost
m = DualSourcingModel(regular_lead_time=6, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=10,
    holding_cost=5, shortage_cost=495, init_inventory=0, demand_generator=UniformDemand(0, 4))
t = time.perf_counter(); r = solve_dual_sourcing_average_cost(m); dt = time.perf_counter() - t
out = dict(states=r.policy_table[..., 0].size, value=r.optimal_cost)
""",
    "solve_finite_horizon, seasonal U, l_r=2, T=52": """
from idinn.demand import SeasonalDemand
from idinn.sourcing_model import DualSourcingModel
from idinn.exact import solve_finite_horizon
m = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
    holding_cost=5, shortage_cost=495, init_inventory=6,
    demand_generator=SeasonalDemand.uniform(lows=[0, 1, 3, 1], highs=[2, 5, 7, 5]))
t = time.perf_counter(); r = solve_finite_horizon(m, horizon=52); dt = time.perf_counter() - t
out = dict(states=r.value_tables[0].size, value=r.optimal_cost)
""",
    "CappedDualIndexController.fit, N(25,8) l_r=2 (issue 15)": """
from idinn.demand import DiscretizedNormalDemand
from idinn.sourcing_model import DualSourcingModel
from idinn.dual_controller import CappedDualIndexController
m = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=100, expedited_order_cost=108,
    holding_cost=5, shortage_cost=495, init_inventory=30, demand_generator=DiscretizedNormalDemand(mean=25, std=8))
t = time.perf_counter(); c = CappedDualIndexController().fit(m, seed=1); dt = time.perf_counter() - t
out = dict(states=len(c.search_result_.candidates), value=c.best_cost_)
""",
    "DualIndexController.fit, N(25,8) l_r=2 (issue 15)": """
from idinn.demand import DiscretizedNormalDemand
from idinn.sourcing_model import DualSourcingModel
from idinn.dual_controller import DualIndexController
m = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=100, expedited_order_cost=108,
    holding_cost=5, shortage_cost=495, init_inventory=30, demand_generator=DiscretizedNormalDemand(mean=25, std=8))
t = time.perf_counter(); c = DualIndexController().fit(m, seed=1); dt = time.perf_counter() - t
out = dict(states=len(c.search_result_.candidates), value=c.best_cost_)
""",
    "SingleIndexController.fit, N(25,8) l_r=2 (issue 15)": """
from idinn.demand import DiscretizedNormalDemand
from idinn.sourcing_model import DualSourcingModel
from idinn.dual_controller import SingleIndexController
m = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=100, expedited_order_cost=108,
    holding_cost=5, shortage_cost=495, init_inventory=30, demand_generator=DiscretizedNormalDemand(mean=25, std=8))
t = time.perf_counter(); c = SingleIndexController().fit(m, seed=1); dt = time.perf_counter() - t
out = dict(states=len(c.search_result_.candidates), value=c.best_cost_)
""",
    "TailoredBaseSurgeController.fit, N(25,8) l_r=2 (issue 15)": """
from idinn.demand import DiscretizedNormalDemand
from idinn.sourcing_model import DualSourcingModel
from idinn.dual_controller import TailoredBaseSurgeController
m = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=100, expedited_order_cost=108,
    holding_cost=5, shortage_cost=495, init_inventory=30, demand_generator=DiscretizedNormalDemand(mean=25, std=8))
t = time.perf_counter(); c = TailoredBaseSurgeController().fit(m, seed=1); dt = time.perf_counter() - t
out = dict(states=len(c.search_result_.candidates), value=c.best_cost_)
""",
    "SingleSourcingNeuralController.fit, Poisson(1.5) l=3, 2000 epochs, exact validation (issue 15)": """
import torch
from idinn.demand import PoissonDemand
from idinn.sourcing_model import SingleSourcingModel
from idinn.single_controller import SingleSourcingNeuralController
from idinn.exact import evaluate_policy
m = SingleSourcingModel(lead_time=3, holding_cost=0.01, shortage_cost=6, init_inventory=6, batch_size=32,
    demand_generator=PoissonDemand(1.5).truncated(tail_mass=1e-9))
c = SingleSourcingNeuralController(hidden_layers=[2], activation=torch.nn.CELU(alpha=1))
t = time.perf_counter()
c.fit(m, sourcing_periods=50, validation_sourcing_periods=1000, epochs=2000, seed=1, progress=False)
dt = time.perf_counter() - t
ev = evaluate_policy(c, m)
out = dict(states=ev.n_states, value=ev.average_cost)
""",
    "DualSourcingNeuralController.fit, N(25,8) l_r=2, 200 epochs (issue 15)": """
from idinn.demand import DiscretizedNormalDemand
from idinn.sourcing_model import DualSourcingModel
from idinn.dual_controller import DualSourcingNeuralController
from idinn.exact import evaluate_policy
m = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=100, expedited_order_cost=108,
    holding_cost=5, shortage_cost=495, init_inventory=30, demand_generator=DiscretizedNormalDemand(mean=25, std=8))
t = time.perf_counter()
c = DualSourcingNeuralController().fit(m, sourcing_periods=100, epochs=200, seed=1, progress=False)
dt = time.perf_counter() - t
ev = evaluate_policy(c, m)
out = dict(states=ev.n_states, value=ev.average_cost)
""",
    "optimal_base_stock, U{0..10^6} l=1": """
from idinn.demand import UniformDemand
from idinn.single_controller.base_stock import optimal_base_stock
d = UniformDemand(0, 10**6)
t = time.perf_counter(); level, cost = optimal_base_stock(d, 1, 1.0, 9.0); dt = time.perf_counter() - t
out = dict(states=2 * 10**6 + 1, value=cost)
""",
}

RUNNER = """
import json, resource, time, warnings
warnings.simplefilter("ignore")
{body}
out["seconds"] = dt
out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def main() -> None:
    only = sys.argv[1] if len(sys.argv) > 1 else ""  # run only the rows whose name contains this
    print("| method and instance | states / candidates | value | seconds | peak RSS (MiB) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, body in CASES.items():
        if only not in name:
            continue
        proc = subprocess.run([sys.executable, "-c", RUNNER.format(body=body)], capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"| {name} | failed: {proc.stderr.strip().splitlines()[-1]} | | | |")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"| {name} | {r['states']:,} | {r['value']:.4f} | {r['seconds']:.2f} | {r['peak_mib']:.0f} |")


if __name__ == "__main__":
    main()
