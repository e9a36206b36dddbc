"""``solve_portfolio``: one table in, one result table out, on any executor, resumable."""

from __future__ import annotations

import concurrent.futures as cf
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import _message
from ._history import read_demand_history, read_table
from ._schema import METHODS, RowError, SkuSpec, _missing, parse_row, row_fingerprint, table_fingerprints
from ._solve import RESULT_COLUMNS, error_record, solve_chunk

__all__ = ["solve_portfolio", "parts_directory"]

_OWNER = "solve_portfolio"
EXECUTORS = ("serial", "processes", "dask")
#: Rows per chunk: vectorised base-stock rows, and every other row.
DEFAULT_CHUNK_SIZE = {"vector": 5000, "other": 1, "neural": 1}


def parts_directory(output: str | os.PathLike[str]) -> Path:
    """Folder next to ``output`` holding the part files of finished chunks (``<output>.parts``)."""
    p = Path(output)
    return p.with_name(p.name + ".parts")


def _fmt(output: Path) -> str:
    low = output.name.lower()
    if low.endswith((".parquet", ".pq")):
        return "parquet"
    if low.endswith(".csv"):
        return "csv"
    raise ValueError(_message("output", _OWNER, "a path ending in .csv or .parquet", str(output)))


def _write(frame: Any, path: Path, fmt: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    if fmt == "parquet":
        frame.to_parquet(tmp, index=False)
    else:
        frame.to_csv(tmp, index=False)
    os.replace(tmp, path)


def _read_parts(folder: Path) -> Any:
    import pandas as pd

    frames = []
    for f in sorted(folder.glob("part-*")):
        if f.suffix == ".parquet":
            frames.append(pd.read_parquet(f))
        elif f.suffix == ".csv":
            frames.append(pd.read_csv(f, dtype={"sku": str, "row_hash": str}, keep_default_na=True))
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True)


def _check_args(method: Any, executor: Any, n_workers: Any, seed: Any, progress: Any, output: Any) -> None:
    if method not in METHODS:
        raise ValueError(_message("method", _OWNER, f"one of {METHODS}", method))
    if isinstance(executor, str):
        if executor not in EXECUTORS:
            raise ValueError(_message("executor", _OWNER, f"one of {EXECUTORS}, a concurrent.futures.Executor "
                                      "or a distributed.Client", executor))
    elif not (isinstance(executor, cf.Executor) or type(executor).__name__ == "Client"):
        raise TypeError(_message("executor", _OWNER, f"one of {EXECUTORS}, a concurrent.futures.Executor "
                                 "or a distributed.Client", type(executor).__name__))
    if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1):
        raise ValueError(_message("n_workers", _OWNER, "None or an int >= 1", n_workers))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(_message("seed", _OWNER, "an int >= 0", seed))
    if progress is not None and not callable(progress):
        raise TypeError(_message("progress", _OWNER, "None or a callable progress(done, failed, total)", progress))
    if output is not None:
        out = Path(output)
        _fmt(out)
        if not out.parent.exists():
            raise FileNotFoundError(f"The folder {str(out.parent)!r} of the output {str(out)!r} does not exist.")


def _specs(
    table: Any, history: Any, method: str, seed: int, fill_missing: bool, history_columns: Any = None
) -> tuple[list[Any], list[str]]:
    """One SkuSpec or error record per row, and each row's fingerprint."""
    if "sku" not in table.columns:
        raise ValueError(f"The portfolio table must have a 'sku' column. Got columns {list(table.columns)!r} instead.")
    histories: dict[str, Any] = {}
    hist_errors: dict[str, str] = {}
    if history is not None:
        histories, hist_errors = read_demand_history(history, fill_missing=fill_missing, columns=history_columns)
    records = table.to_dict("records")
    row_hashes = table_fingerprints(table)
    ids = ["" if _missing(r.get("sku")) else str(r.get("sku")).strip() for r in records]
    seen: dict[str, int] = {}
    out: list[Any] = []
    hashes: list[str] = []
    for pos, (cells, sku) in enumerate(zip(records, ids)):
        hist = histories.get(sku)
        h = row_fingerprint(row_hashes[pos], method, seed, hist)
        hashes.append(h)
        try:
            if sku == "":
                raise RowError(_message("sku", f"the portfolio row {pos}", "a non-empty identifier", cells.get("sku"))
                               .replace(" parameter of ", " column of ", 1))
            if sku in seen:
                raise RowError(_message("sku", f"the portfolio row {pos}", f"unique (row {seen[sku]} has it too)", sku)
                               .replace(" parameter of ", " column of ", 1))
            seen[sku] = pos
            cells = dict(cells, sku=sku)
            out.append(parse_row(cells, pos, method=method, seed=seed, history=hist,
                                 history_error=hist_errors.get(sku), row_hash=h))
        except RowError as err:
            out.append(error_record(sku or f"<row {pos}>", pos, err, _cell_text(cells.get("model")),
                                    _cell_text(cells.get("method")) or method))
    return out, hashes


def _cell_text(value: Any) -> str:
    return "" if _missing(value) else str(value)


def _chunks(specs: list[SkuSpec], sizes: dict[str, int]) -> list[list[SkuSpec]]:
    """Deterministic chunks (input order): vectorisable base-stock rows together, same-shaped
    neural rows together by ``sizes["neural"]`` (batched training), others alone."""
    from ._neural import batch_key
    from ._solve import is_vector_row

    vector = [s for s in specs if is_vector_row(s)]
    rest = [s for s in specs if not is_vector_row(s)]
    out = [vector[i : i + sizes["vector"]] for i in range(0, len(vector), sizes["vector"])]
    groups: dict[Any, list[SkuSpec]] = {}
    other = []
    for s in rest:
        key = batch_key(s) if sizes["neural"] > 1 else None
        if key is None:
            other.append(s)
        else:
            groups.setdefault(key, []).append(s)
    for group in groups.values():
        out += [group[i : i + sizes["neural"]] for i in range(0, len(group), sizes["neural"])]
    out += [other[i : i + sizes["other"]] for i in range(0, len(other), sizes["other"])]
    return out


class _Dispatcher:
    """Runs chunks on the chosen executor and yields their records as they finish."""

    def __init__(self, executor: Any, n_workers: int | None, scheduler: str | None) -> None:
        self.kind = executor
        self.n_workers = n_workers
        self.scheduler = scheduler
        self._owned: list[Any] = []

    def run(self, chunks: list[list[SkuSpec]], seed: int) -> Iterator[list[dict[str, Any]]]:
        ex = self.kind
        if isinstance(ex, str) and ex == "serial":
            for chunk in chunks:
                yield solve_chunk(chunk, seed)
            return
        if isinstance(ex, str) and ex == "dask":
            yield from self._dask(chunks, seed)
            return
        if type(ex).__name__ == "Client":
            yield from self._client(ex, chunks, seed)
            return
        if isinstance(ex, str):  # processes
            pool = cf.ProcessPoolExecutor(max_workers=self.n_workers or os.cpu_count() or 1)
            self._owned.append(pool)
            ex = pool
        futures = [ex.submit(solve_chunk, chunk, seed) for chunk in chunks]
        try:
            for fut in cf.as_completed(futures):
                yield fut.result()
        finally:
            for fut in futures:
                fut.cancel()

    def _dask(self, chunks: list[list[SkuSpec]], seed: int) -> Iterator[list[dict[str, Any]]]:
        try:
            from distributed import Client, LocalCluster
        except ImportError as err:  # pragma: no cover - optional extra
            raise ImportError('executor="dask" needs Dask: pip install "idinn[distributed]"') from err
        if self.scheduler is not None:
            client = Client(self.scheduler)
        else:
            cluster = LocalCluster(n_workers=self.n_workers or 2, threads_per_worker=1, processes=True,
                                   dashboard_address=":0")
            self._owned.append(cluster)
            client = Client(cluster)
        self._owned.insert(0, client)
        yield from self._client(client, chunks, seed)

    @staticmethod
    def _client(client: Any, chunks: list[list[SkuSpec]], seed: int) -> Iterator[list[dict[str, Any]]]:
        from distributed import as_completed

        futures = [client.submit(solve_chunk, chunk, seed, pure=False) for chunk in chunks]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            client.cancel(futures)

    def close(self) -> None:
        for obj in self._owned:
            try:
                if isinstance(obj, cf.Executor):
                    obj.shutdown(wait=True, cancel_futures=True)
                else:
                    obj.close()
            except Exception:  # noqa: BLE001 - closing must not hide the real error
                pass
        self._owned.clear()


def solve_portfolio(
    skus: Any,
    demand_history: Any = None,
    *,
    method: str = "auto",
    executor: Any = "serial",
    n_workers: int | None = None,
    scheduler: str | None = None,
    output: str | os.PathLike[str] | None = None,
    seed: int = 0,
    progress: Callable[[int, int, int], Any] | None = None,
    progress_bar: bool = True,
    fill_missing: bool = False,
    chunk_size: int | None = None,
    history_columns: dict[str, str] | None = None,
    neural_batch_size: int = 1,
) -> Any:
    r"""Solve every SKU of a portfolio table: one policy and its exact KPIs per row.

    Parameters
    ----------
    skus : DataFrame or path
        The portfolio, one row per SKU (columns in :mod:`idinn.portfolio._schema`); a
        ``.csv`` or ``.parquet`` path is read with pandas.
    demand_history : DataFrame or path, optional
        Long table ``sku, period|date, quantity``; SKUs with history and no ``demand_type``
        get their empirical demand.
    method : {"auto", "base_stock", "dp", "capped_dual_index", "dual_index", \
"tailored_base_surge", "single_index", "capped_base_stock", "constant_order", "ss", \
"modified_base_stock", "multi_index", "neural"}, default="auto"
        Method of every row without its own ``method`` cell.
    executor : {"serial", "processes", "dask"}, concurrent.futures.Executor or distributed.Client
        Where chunks run. ``"dask"`` connects to ``scheduler`` or starts a ``LocalCluster``
        of ``n_workers`` (default 2) processes.
    n_workers : int, optional
        Workers of ``"processes"`` (default: CPU count) or of the local Dask cluster.
    scheduler : str, optional
        Address of a Dask scheduler (``"tcp://host:8786"``), with ``executor="dask"``.
    output : path, optional
        ``.csv`` or ``.parquet`` result file. Each finished chunk is first written to
        ``<output>.parts/``; rows already there with the same inputs, method and seed are
        not solved again (a killed run resumes). The output file is (re)written at the end,
        and ``<output>.parts/`` is then removed; a run that raises or is interrupted keeps it.
    seed : int, default=0
        Seed of the randomised methods (each SKU's own seed derives from it and its id).
    progress : callable, optional
        ``progress(done, failed, total)`` after every chunk: ``done`` rows finished
        whatever their status, ``failed`` of them with status ``"error"`` (a
        ``"not_supported"`` row is done, not failed).
        An exception it raises stops the run; finished chunks stay on disk.
    progress_bar : bool, default=True
        Show a tqdm bar (done, failed, not supported, estimated time left) on stderr.
    fill_missing : bool, default=False
        Count missing periods of a demand history as zero demand instead of refusing them.
    chunk_size : int, optional
        Rows per chunk of vectorised base-stock rows (default 5000).
    history_columns : dict of str to str, optional
        Names of the demand history's columns, by role, when they are not ``sku``,
        ``period``/``date`` and ``quantity``: e.g. ``{"sku": "sku_id", "date": "date",
        "quantity": "demand"}`` (keys among ``"sku"``, ``"date"``, ``"period"``,
        ``"quantity"``). A name the table lacks is refused before any work.
    neural_batch_size : int, default=1
        Up to this many same-shaped ``neural`` rows (single sourcing, one lead time) are
        trained together in one batched run (:func:`idinn.neural.batched.fit_batched`:
        same seeds, recipe and per-SKU model selection as one by one). The default 1
        trains one by one, which measured faster on a CPU (docs/portfolio.md).

    Returns
    -------
    pandas.DataFrame
        One row per input row, in input order, columns :data:`RESULT_COLUMNS`:
        ``status`` is ``"ok"``, ``"error"`` or ``"not_supported"`` with ``message``.

    Raises
    ------
    TypeError, ValueError, FileNotFoundError
        Bad arguments or unreadable tables, before any work. A bad *row* never raises.
    """
    import pandas as pd

    _check_args(method, executor, n_workers, seed, progress, output)
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(_message("chunk_size", _OWNER, "None or an int >= 1", chunk_size))
    if isinstance(neural_batch_size, bool) or not isinstance(neural_batch_size, int) or neural_batch_size < 1:
        raise ValueError(_message("neural_batch_size", _OWNER, "an int >= 1", neural_batch_size))
    if scheduler is not None and executor != "dask":
        raise ValueError(_message("scheduler", _OWNER, 'None unless executor="dask"', scheduler))
    table = read_table(skus, "skus")
    if history_columns is not None and demand_history is None:
        raise ValueError(_message("history_columns", _OWNER, "None when there is no demand_history", history_columns))
    items, hashes = _specs(table, demand_history, method, int(seed), fill_missing, history_columns)
    total = len(items)
    done_records: dict[int, dict[str, Any]] = {}
    folder = fmt = None
    if output is not None:
        out_path = Path(output)
        fmt = _fmt(out_path)
        folder = parts_directory(out_path)
        folder.mkdir(exist_ok=True)
        previous = _read_parts(folder)
        if previous is not None and "row_hash" in previous.columns:
            by_hash = {h: rec for h, rec in zip(previous["row_hash"].astype(str), previous.to_dict("records"))}
            for pos, h in enumerate(hashes):
                rec = by_hash.get(h)
                if rec is not None and str(rec.get("sku")) == str(getattr(items[pos], "sku", rec.get("sku"))):
                    done_records[pos] = rec
    errors_now = [r for pos, r in enumerate(items) if isinstance(r, dict) and pos not in done_records]
    pending = [s for pos, s in enumerate(items) if isinstance(s, SkuSpec) and pos not in done_records]
    sizes = dict(DEFAULT_CHUNK_SIZE)
    if chunk_size is not None:
        sizes["vector"] = chunk_size
    sizes["neural"] = neural_batch_size

    def save(records: list[dict[str, Any]]) -> None:
        for r in records:
            r["row_hash"] = hashes[int(r["position"])]
            done_records[int(r["position"])] = r
        if folder is not None and records:
            name = f"part-{int(records[0]['position']):09d}-{uuid.uuid4().hex[:8]}.{ 'parquet' if fmt == 'parquet' else 'csv'}"
            _write(pd.DataFrame(records), folder / name, fmt or "csv")

    failed = sum(1 for r in done_records.values() if r.get("status") == "error")
    unsupported = sum(1 for r in done_records.values() if r.get("status") == "not_supported")
    bar = None
    if progress_bar:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=len(done_records), desc="SKUs", unit="sku", dynamic_ncols=True)
    dispatcher = _Dispatcher(executor, n_workers, scheduler)
    try:
        if errors_now:
            save(errors_now)
            failed += sum(1 for r in errors_now if r.get("status") == "error")
            unsupported += sum(1 for r in errors_now if r.get("status") == "not_supported")
        if bar is not None:
            bar.update(len(errors_now))
            bar.set_postfix(failed=failed, not_supported=unsupported)
        if progress is not None:
            progress(len(done_records), failed, total)
        chunks = _chunks(pending, sizes)
        if chunks:
            for records in dispatcher.run(chunks, int(seed)):
                save(records)
                failed += sum(1 for r in records if r["status"] == "error")
                unsupported += sum(1 for r in records if r["status"] == "not_supported")
                if bar is not None:
                    bar.update(len(records))
                    bar.set_postfix(failed=failed, not_supported=unsupported)
                if progress is not None:
                    progress(len(done_records), failed, total)
    finally:
        dispatcher.close()
        if bar is not None:
            bar.close()
    frame = pd.DataFrame([done_records[pos] for pos in range(total)])
    frame = frame.reindex(columns=RESULT_COLUMNS)
    for col in ("sku", "model", "method", "policy", "policy_parameters", "target", "status", "message"):
        frame[col] = frame[col].fillna("").astype(str)
    if output is not None:
        _write(frame, Path(output), fmt or "csv")
        # The output is complete: the parts only served a resume.
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    return frame
