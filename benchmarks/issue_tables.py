"""One command per issue table: run every benchmark that produced the figures of an issue.

    python benchmarks/issue_tables.py fixed_costs   # issue 10: fixed costs, capacities, review periods, K suppliers
    python benchmarks/issue_tables.py lost_sales    # issue 9: lost sales
    python benchmarks/issue_tables.py fixed_costs --dry-run   # list the commands only

Each part is one of the benchmark scripts of this folder, run in turn with this interpreter;
their outputs follow each other on standard output. The exit status is the first non-zero
status of a part (0 when all succeed). Long parts are marked; the full ``lost_sales`` run takes
hours on a 2-core machine (the 32-instance neural table and the 24 long-lead instances).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

PARTS: dict[str, list[tuple[str, list[str]]]] = {
    "fixed_costs": [
        ("Zheng-Federgruen (s, S), 24 instances, side by side with stockpyl when installed", ["check_zheng_federgruen.py"]),
        ("exact optima: three suppliers, dual lost sales, dual fixed costs", ["check_multi_sourcing.py"]),
        ("multi-index heuristic gaps to the three-supplier optima", ["check_multi_sourcing.py", "--heuristic"]),
        ("neural gaps: fixed costs, capacities, review periods, three suppliers (long)", ["neural_extensions.py"]),
        ("lost sales with a fixed cost: DP optimum vs best (s, S)", ["lost_sales_table.py", "--no-zipkin"]),
    ],
    "lost_sales": [
        ("Zipkin's 32 optima and every classical column; dual lost-sales rows (long)", ["lost_sales_table.py"]),
        ("neural gaps on the 32 instances and the dual lost-sales rows (long)", ["lost_sales_neural.py"]),
        ("neural on the dual lost-sales rows", ["lost_sales_neural.py", "--dual"]),
        ("dual lost sales where the rule binds (l_e = 1)", ["check_dual_lost_sales_extra.py"]),
        ("long lead times L in {6, 8, 10}: capped base-stock, PIL, arrival service level and neural, CRN 95 % CIs "
         "(long)", ["lost_sales_long_lead.py"]),
        ("long lead times: the library's default recipe (exact stage at L = 6 where the DP fits, else the "
         "simulated arrival service level)", ["lost_sales_long_lead.py", "--recipe", "default"]),
        ("long lead times: exact optimum and room over capped base-stock at L = 6 (long)",
         ["lost_sales_long_lead.py", "--exact", "--neighbours", "--only", "poisson_L6_p4", "poisson_L6_p9",
          "poisson_L6_p19", "poisson_L6_p39", "geometric_L6_p4"]),
        ("exact gap between the best capped base-stock and the optimum, L = 1..5 (long)",
         ["lost_sales_cbs_gap.py"]),
    ],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("issue", choices=sorted(PARTS))
    parser.add_argument("--dry-run", action="store_true", help="print the commands without running them")
    args = parser.parse_args(argv)
    status = 0
    for title, cmd in PARTS[args.issue]:
        line = [sys.executable, str(HERE / cmd[0]), *cmd[1:]]
        print(f"\n=== {title}\n$ {' '.join(line)}", flush=True)
        if args.dry_run:
            continue
        rc = subprocess.call(line)
        status = status or rc
    return status


if __name__ == "__main__":
    raise SystemExit(main())
