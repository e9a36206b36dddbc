"""Dual sourcing with lost sales where the rule binds (expedited lead time 1).

The shipped dual lost-sales instances (l_e = 0, p > c_e) have the backlog optimum: the
expedited supplier can always cover demand, so nothing is ever lost under the optimal policy
(docs/exact_multi_sourcing.md). With l_e = 1 the lost-sales optimum is below the backlog one.
For each instance this prints the exact lost-sales and backlog optima (general engine), the
default neural controller's exact cost and CPU fit time, and the best capped dual index.

    .venv/bin/python benchmarks/check_dual_lost_sales_extra.py
"""
import time
from idinn.sourcing_model import DualSourcingModel
from idinn.dual_controller import DualSourcingNeuralController, CappedDualIndexController
from idinn.demand import UniformDemand
from idinn.exact import evaluate_policy, solve_multi_sourcing_average_cost
for lr, le, ce, p in [(3, 1, 20, 495), (2, 1, 20, 495), (3, 1, 20, 95)]:
    m = DualSourcingModel(regular_lead_time=lr, expedited_lead_time=le, regular_order_cost=0, expedited_order_cost=ce,
                          holding_cost=5, shortage_cost=p, batch_size=256, init_inventory=6,
                          demand_generator=UniformDemand(0, 4), excess_demand="lost_sales")
    opt = solve_multi_sourcing_average_cost(m).average_cost
    mb = DualSourcingModel(regular_lead_time=lr, expedited_lead_time=le, regular_order_cost=0, expedited_order_cost=ce,
                          holding_cost=5, shortage_cost=p, batch_size=256, init_inventory=6,
                          demand_generator=UniformDemand(0, 4))
    optb = solve_multi_sourcing_average_cost(mb).average_cost
    t = time.process_time()
    c = DualSourcingNeuralController().fit(m, sourcing_periods=100, validation_sourcing_periods=1000, epochs=300, seed=1)
    tn = time.process_time() - t
    nc = evaluate_policy(c, m).average_cost
    cdi = CappedDualIndexController().fit(m, seed=0)
    cc = evaluate_policy(cdi, m).average_cost
    print(f"lr={lr} le={le} ce={ce} p={p}: lost-sales opt {opt:.6f} (backlog {optb:.6f}); neural {nc:.6f} gap {100*(nc/opt-1):.4f}% fit {tn:.1f}s CPU; CDI {cc:.6f} gap {100*(cc/opt-1):.3f}%", flush=True)
