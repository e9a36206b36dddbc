r"""Long-run behaviour of a finite Markov chain started in one state.

The long-run (Cesàro) distribution of a finite chain :math:`P` started in state
:math:`s_0` is

.. math:: \bar\pi = \lim_{T\to\infty} \frac{1}{T} \sum_{t<T} e_{s_0}^\top P^t
          = \sum_{C} a_C \, \pi_C ,

where :math:`C` runs over the closed communicating classes of :math:`P`, :math:`a_C` is the
probability that the chain started in :math:`s_0` is absorbed in :math:`C` and
:math:`\pi_C` is the stationary distribution of :math:`P` restricted to :math:`C`. It
needs no aperiodicity and handles transient states (they get mass 0). The long-run
average cost of a policy is :math:`\bar\pi^\top c`.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import spsolve

__all__ = ["cesaro_limit", "closed_class_stationary"]


def closed_class_stationary(P: sp.csr_matrix) -> np.ndarray:
    r"""Stationary distribution of an irreducible stochastic matrix.

    Fixes :math:`\pi_k = 1` for the state :math:`k` with the most incoming probability and
    solves :math:`(I - P_{-k,-k})^\top \pi_{-k} = P_{k,-k}^\top` (non-singular for an
    irreducible chain), then normalises.

    Parameters
    ----------
    P : scipy.sparse matrix, shape (n, n)
        Row-stochastic and irreducible.

    Returns
    -------
    ndarray, shape (n,)
    """
    P = sp.csr_matrix(P)
    n = P.shape[0]
    if n == 1:
        return np.ones(1)
    k = int(np.asarray(P.sum(axis=0)).ravel().argmax())
    keep = np.r_[0:k, k + 1 : n]
    Pk = P[keep][:, keep]
    rhs = np.asarray(P[k][:, keep].todense()).ravel()
    A = (sp.identity(n - 1, format="csc") - Pk.T).tocsc()
    rest = spsolve(A, rhs)
    pi = np.empty(n)
    pi[k] = 1.0
    pi[keep] = rest
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def _cesaro_direct(P: sp.csr_matrix, start: int) -> np.ndarray:
    """Cesàro limit by strongly connected components and sparse direct solves."""
    n = P.shape[0]
    n_comp, comp = connected_components(P, directed=True, connection="strong")
    coo = P.tocoo()
    leaving = comp[coo.row] != comp[coo.col]
    open_comp = np.zeros(n_comp, dtype=bool)
    open_comp[comp[coo.row[leaving]]] = True
    pi = np.zeros(n)
    if not open_comp[comp[start]]:
        members = np.flatnonzero(comp == comp[start])
        pi[members] = closed_class_stationary(P[members][:, members])
        return pi
    transient = np.flatnonzero(open_comp[comp])
    pos = np.full(n, -1)
    pos[transient] = np.arange(len(transient))
    # expected number of visits to each transient state: x^T (I - P_TT) = e_start^T
    Ptt = P[transient][:, transient]
    e = np.zeros(len(transient))
    e[pos[start]] = 1.0
    visits = spsolve((sp.identity(len(transient), format="csc") - Ptt.T).tocsc(), e)
    visits = np.atleast_1d(visits)
    # probability of entering each closed class
    flow = sp.csr_matrix(visits[None, :]) @ P[transient]
    flow = np.asarray(flow.todense()).ravel()
    flow[transient] = 0.0
    for c in np.unique(comp[flow > 0]):
        if open_comp[c]:
            continue
        members = np.flatnonzero(comp == c)
        absorbed = flow[members].sum()
        if absorbed > 0:
            pi[members] += absorbed * closed_class_stationary(P[members][:, members])
    total = pi.sum()
    return pi / total if total > 0 else pi


def _cesaro_iterative(P: sp.csr_matrix, start: int, tolerance: float, max_iterations: int) -> np.ndarray:
    r"""Cesàro limit as the limit of the lazy chain :math:`(I + P)/2` from ``start``.

    The lazy chain has the same closed classes, stationary distributions and absorption
    probabilities as :math:`P` and is aperiodic, so :math:`e_{s_0}^\top ((I+P)/2)^t`
    converges to :math:`\bar\pi`. Stops when the geometric tail estimate
    :math:`\delta_t \rho / (1 - \rho)` of the remaining L1 change is below
    ``tolerance`` (:math:`\delta_t` the last L1 step, :math:`\rho` the largest recent
    ratio of successive steps), or when the steps stop shrinking below 1e-11
    (the round-off floor).
    """
    n = P.shape[0]
    pt = P.T.tocsr()
    mu = np.zeros(n)
    mu[start] = 1.0
    steps: list[float] = []
    for _ in range(max_iterations):
        new = 0.5 * (mu + pt @ mu)
        step = float(np.abs(new - mu).sum())
        mu = new
        if step == 0.0:
            break
        steps.append(step)
        if len(steps) > 10:
            recent = steps[-10:]
            rho = max(b / a for a, b in zip(recent[:-1], recent[1:]) if a > 0)
            if rho < 1.0 and step * rho / (1.0 - rho) < tolerance:
                break
            if rho > 1.0 and step < 1e-11:  # steps no longer shrink: round-off floor
                break
    else:
        warnings.warn(
            f"The long-run distribution of the {n}-state chain did not converge within "
            f"{max_iterations} lazy power iterations (last L1 change {steps[-1]:.3g}); the "
            "chain mixes very slowly.",
            RuntimeWarning,
            stacklevel=3,
        )
    mu = np.clip(mu, 0.0, None)
    return mu / mu.sum()


#: Chains up to this many states are solved directly (sparse LU), larger ones iteratively.
DIRECT_SOLVE_MAX_STATES = 4000


def cesaro_limit(
    P: sp.csr_matrix,
    start: int,
    *,
    tolerance: float = 1e-14,
    max_iterations: int = 200_000,
) -> np.ndarray:
    r"""Long-run distribution :math:`\bar\pi` of the chain ``P`` started in ``start``.

    Chains with at most :data:`DIRECT_SOLVE_MAX_STATES` states are solved exactly: the
    closed classes are the closed strongly connected components, the expected visits
    :math:`x` to the transient states solve :math:`x^\top (I - P_{TT}) = e_{s_0}^\top`,
    the absorption probability of class :math:`C` is :math:`x^\top P_{TC}\mathbf 1` and
    each :math:`\pi_C` comes from :func:`closed_class_stationary`. Larger chains (whose
    LU factors fill in badly) use lazy power iteration from ``start``, which converges
    to the same limit.

    Parameters
    ----------
    P : scipy.sparse matrix, shape (n, n)
        Row-stochastic transition matrix.
    start : int
        Index of the initial state :math:`s_0`.
    tolerance : float, default=1e-14
        Target L1 accuracy of the iterative method.
    max_iterations : int, default=200_000
        Most lazy power iterations (a ``RuntimeWarning`` is issued when reached).

    Returns
    -------
    ndarray, shape (n,)
        :math:`\bar\pi`; zero on transient states and on classes not reachable from
        ``start``.
    """
    P = sp.csr_matrix(P)
    if P.shape[0] <= DIRECT_SOLVE_MAX_STATES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a singular factorisation is caught below
            pi = _cesaro_direct(P, start)
        if np.all(np.isfinite(pi)) and abs(pi.sum() - 1.0) < 1e-9:
            return pi
        # round-off made a direct solve singular: the iteration converges to the same limit
    pi = _cesaro_iterative(P, start, tolerance, max_iterations)
    if not np.all(np.isfinite(pi)):  # pragma: no cover - defensive: never return NaN
        raise FloatingPointError(f"The long-run distribution of the {P.shape[0]}-state chain could not be computed.")
    return pi
