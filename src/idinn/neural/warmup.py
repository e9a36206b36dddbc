"""Compile (and cache on disk) the fused training kernels ahead of the first fit.

numba compiles :mod:`idinn.neural._kernels` on first use (about 10 s on an idle 2-core
machine) and caches the machine code on disk (next to the module, or in numba's user
cache directory when the package directory is read-only, or in ``NUMBA_CACHE_DIR``).
Run this once per environment -- at install, in a container build, in CI setup::

    python -m idinn.neural.warmup

Later processes (new Python sessions, Dask workers on the same machine) then load the
kernels from the cache in well under a second instead of compiling them.
"""

from __future__ import annotations

import time

import numpy as np


def warmup() -> float:
    """Compile every kernel signature a fit uses (one per kernel); returns the seconds spent."""
    from . import _kernels, _kernels_dual
    from .network import ACT_RELU

    t0 = time.perf_counter()
    sizes = np.array([2, 3, 2], dtype=np.int64)
    theta = np.zeros(int(sizes[1] * sizes[0] + sizes[1] + sizes[2] * sizes[1] + sizes[2]), dtype=np.float32)
    args = (
        theta, sizes, ACT_RELU, 0.0, np.array([1, 0], dtype=np.int64), np.array([0.0, 1.0]), 1.0, 1.0,
        np.zeros((2, 2), dtype=np.float32), np.ones((2, 3), dtype=np.float32), np.zeros((3, 0), dtype=np.float32),
        np.zeros(2, dtype=np.float32), np.ones(2, dtype=np.float32), np.ones(3), False,
    )
    _kernels.rollout_grad(*args)
    _kernels_dual.rollout_grad(*args[:-1])  # the backlog gradient kernel (issue 14; no lost-sales flag)
    _kernels.rollout_forward(*args)
    return time.perf_counter() - t0


def main() -> int:
    seconds = warmup()
    print(f"idinn: neural training kernels ready ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
