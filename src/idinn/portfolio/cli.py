"""``idinn portfolio``: solve a portfolio table from the command line.

::

    idinn portfolio skus.csv [--demand-history sales.csv] [--method auto]
        [--executor serial|processes|dask] [--scheduler ADDRESS] [--workers N]
        [--seed N] [--fill-missing] [--no-progress] -o results.csv [--force]
        [--sku-column NAME] [--date-column NAME | --period-column NAME] [--quantity-column NAME]

Paths are checked before any work; an existing output is never overwritten without
``--force`` (which also discards the part files of an earlier run). Without ``--force`` an
interrupted run (its ``<output>.parts`` folder) is resumed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence

from ._schema import METHODS

__all__ = ["main", "build_parser", "status_summary"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="idinn portfolio",
        description="Solve every SKU of a portfolio table: one policy and its exact KPIs per row.",
    )
    p.add_argument("skus", help="portfolio table (.csv or .parquet), one row per SKU")
    p.add_argument("--demand-history", metavar="PATH", help="long table sku, period|date, quantity")
    p.add_argument("--method", default="auto", choices=METHODS, help="method of rows without their own (default auto)")
    p.add_argument("--executor", default="serial", choices=("serial", "processes", "dask"))
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (with --executor dask)")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes (processes / local Dask cluster)")
    p.add_argument("--seed", type=int, default=0, help="seed of randomised methods (default 0)")
    for role, example in (("sku", "sku_id"), ("date", "day"), ("period", "week"), ("quantity", "demand")):
        p.add_argument(f"--{role}-column", metavar="NAME",
                       help=f"the demand history's {role} column, if not named {role!r} (e.g. {example})")
    p.add_argument("--fill-missing", action="store_true", help="count missing history periods as zero demand")
    p.add_argument("--neural-batch-size", type=int, default=1, metavar="N",
                   help="train up to N same-shaped neural rows in one batched run (default 1: one by one)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="result table (.csv or .parquet)")
    p.add_argument("--force", action="store_true", help="overwrite the output (and discard an earlier run's parts)")
    return p


def status_summary(statuses: Sequence[str]) -> str:
    """``"10 ok, 1 not_supported, 0 failed (error)"``: the same three counts as the progress bar."""
    values = list(statuses)
    ok = sum(1 for v in values if v == "ok")
    unsupported = sum(1 for v in values if v == "not_supported")
    failed = len(values) - ok - unsupported
    return f"{ok} ok, {unsupported} not_supported, {failed} failed (error)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``idinn portfolio``; returns the exit status (0 ok, 1 some rows failed, 2 usage)."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    problems = []
    for label, path in (("portfolio table", args.skus), ("demand history", args.demand_history)):
        if path is not None and not os.path.isfile(path):
            problems.append(f"The {label} {path!r} does not exist.")
    out = args.output
    if not out.lower().endswith((".csv", ".parquet")):
        problems.append(f"The output {out!r} must end in .csv or .parquet.")
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        problems.append(f"The folder {folder!r} of the output does not exist.")
    if os.path.exists(out) and not args.force:
        problems.append(f"The output {out!r} exists; pass --force to overwrite it.")
    if args.scheduler is not None and args.executor != "dask":
        problems.append("--scheduler needs --executor dask.")
    if args.workers is not None and args.workers < 1:
        problems.append(f"--workers must be an int >= 1. Got {args.workers} instead.")
    if args.seed < 0:
        problems.append(f"--seed must be an int >= 0. Got {args.seed} instead.")
    if args.date_column is not None and args.period_column is not None:
        problems.append("--date-column and --period-column exclude each other: a history has dates or periods.")
    history_columns = {role: name for role in ("sku", "date", "period", "quantity")
                       if (name := getattr(args, f"{role}_column")) is not None}
    if history_columns and args.demand_history is None:
        problems.append("--sku-column, --date-column, --period-column and --quantity-column need --demand-history.")
    if problems:
        for msg in problems:
            print(f"idinn portfolio: error: {msg}", file=sys.stderr)
        return 2
    from ._run import parts_directory, solve_portfolio

    if args.force:
        shutil.rmtree(parts_directory(out), ignore_errors=True)
    try:
        frame = solve_portfolio(
            args.skus,
            args.demand_history,
            method=args.method,
            executor=args.executor,
            n_workers=args.workers,
            scheduler=args.scheduler,
            output=out,
            seed=args.seed,
            progress_bar=not args.no_progress,
            fill_missing=args.fill_missing,
            history_columns=history_columns or None,
            neural_batch_size=args.neural_batch_size,
        )
    except (OSError, TypeError, ValueError) as err:
        print(f"idinn portfolio: error: {err}", file=sys.stderr)
        return 2
    print(f"{len(frame)} SKUs: {status_summary(frame['status'])}. Results written to {out}.")
    counts = frame["status"].value_counts().to_dict()
    return 0 if counts.get("ok", 0) == len(frame) else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
