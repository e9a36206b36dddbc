"""The demand interface, finite-support models, sampling and the dict round trip.

Every demand model draws integer demand paths with an explicit random generator
(``torch.Generator`` for the differentiable simulator, ``numpy.random.Generator`` for
environments and exact cross-checks) and, when its support is finite, exposes its
probability mass function (pmf) so that the exact methods can use it without sampling.

Every model is plain data: :meth:`BaseDemand.to_dict` writes it as a JSON/TOML-able dict,
:func:`demand_from_dict` rebuilds it, and two models are equal exactly when their dicts
are equal (``__eq__``/``__hash__`` follow ``to_dict``).
"""

from __future__ import annotations

import inspect
import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch

from .._validation import check_int, fail, is_integral

__all__ = [
    "BaseDemand",
    "FiniteDemand",
    "UniformDemand",
    "CustomDemand",
    "demand_from_dict",
    "demand_types",
    "MAX_EXACT_DEMAND",
]

MAX_EXACT_DEMAND = 2**24
"""Largest demand (and quantity) held exactly: float32, the simulator's dtype, represents
every integer up to :math:`2^{24} = 16{,}777{,}216` exactly and rounds above it."""

_FLOAT32_NOTE = f"(float32, the simulator's number type, holds integers exactly only up to 2**24 = {MAX_EXACT_DEMAND})"

_REGISTRY: dict[str, type[BaseDemand]] = {}


class BaseDemand(ABC):
    """Interface of every demand model.

    Subclasses implement :meth:`sample_periods` and :meth:`pmf`; to be written with
    :meth:`to_dict` they set the class attribute ``type_name`` (which registers them
    with :func:`demand_from_dict`) and implement :meth:`_params`.

    Attributes
    ----------
    season_length : int or None
        ``None`` for i.i.d. (stationary) demand; otherwise the number of periods after
        which the per-period distribution repeats.
    type_name : str or None
        The ``"type"`` key of :meth:`to_dict` (class attribute).
    """

    season_length: int | None = None
    type_name: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("type_name")
        if name is not None:
            known = _REGISTRY.get(name)
            if known is not None and known.__qualname__ != cls.__qualname__:
                raise TypeError(
                    f"The demand type name {name!r} of {cls.__name__} is already used by "
                    f"{known.__name__}; choose another 'type_name'."
                )
            _REGISTRY[name] = cls

    # ----------------------------------------------------------------- sampling
    @abstractmethod
    def sample_periods(
        self,
        batch_size: int,
        periods: int,
        generator: torch.Generator | None = None,
        start_period: int = 0,
    ) -> torch.Tensor:
        """Draw demand for ``periods`` consecutive periods.

        Parameters
        ----------
        batch_size : int
            Number of independent sample paths :math:`B`.
        periods : int
            Number of periods :math:`T`.
        generator : torch.Generator, optional
            Source of randomness. ``None`` uses a fresh, randomly seeded generator (never
            the global torch RNG).
        start_period : int, default=0
            Calendar index of the first period (used by non-stationary models).

        Returns
        -------
        torch.Tensor of shape (batch_size, periods), dtype float32
            Integer-valued demands :math:`D_t` (exact: every demand is <= 2**24).
        """

    def sample(
        self, batch_size: int, batch_width: int = 1, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Draw a ``(batch_size, batch_width)`` integer tensor (int64) of demands.

        The reference API of idinn 0.2 (``sample(1).item()`` is a Python int); the
        simulator uses :meth:`sample_periods` (float32).
        """
        owner = type(self).__name__
        check_int(batch_size, "batch_size", owner, minimum=1)
        check_int(batch_width, "batch_width", owner, minimum=1)
        return self.sample_periods(batch_size, batch_width, generator).to(torch.int64)

    def sample_array(
        self, rng: np.random.Generator, n_paths: int, periods: int, start_period: int = 0
    ) -> np.ndarray:
        """Draw demand paths with a NumPy generator (environments, exact cross-checks).

        Parameters
        ----------
        rng : numpy.random.Generator
            Source of randomness (e.g. ``numpy.random.default_rng(0)``).
        n_paths : int
            Number of independent sample paths, >= 1.
        periods : int
            Number of consecutive periods, >= 1.
        start_period : int, default=0
            Calendar index of the first period (used by non-stationary models).

        Returns
        -------
        ndarray of int64, shape (n_paths, periods)

        Raises
        ------
        TypeError
            ``rng`` is not a ``numpy.random.Generator``.
        """
        owner = f"{type(self).__name__}.sample_array"
        if not isinstance(rng, np.random.Generator):
            fail("rng", owner, "a numpy.random.Generator (e.g. numpy.random.default_rng(0))", rng, TypeError)
        n = check_int(n_paths, "n_paths", owner, minimum=1)
        t = check_int(periods, "periods", owner, minimum=1)
        s = check_int(start_period, "start_period", owner, minimum=0)
        return self._sample_array(rng, n, t, s)

    def _sample_array(self, rng: np.random.Generator, n: int, t: int, s: int) -> np.ndarray:
        """Default: inverse-CDF draws from each period's pmf (arguments checked)."""
        if not self.has_finite_support:  # no pmf: fall back on the torch sampler, seeded from rng
            g = torch.Generator().manual_seed(int(rng.integers(0, 2**63 - 1)))
            return self.sample_periods(n, t, g, start_period=s).to(torch.int64).numpy()
        if self.season_length is None:
            return draw_from_pmf(*self.pmf(0), rng, (n, t))
        out = np.empty((n, t), dtype=np.int64)
        phase = (s + np.arange(t)) % self.season_length
        for p in np.unique(phase):
            cols = np.flatnonzero(phase == p)
            out[:, cols] = draw_from_pmf(*self.pmf(int(p)), rng, (n, len(cols)))
        return out

    # --------------------------------------------------------------- the law
    @property
    def has_finite_support(self) -> bool:
        """Whether :meth:`pmf` is available."""
        return True

    @abstractmethod
    def pmf(self, period: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Support and probabilities of the demand in ``period``.

        Returns
        -------
        values : ndarray of int64, shape (n,)
            Sorted support points.
        probabilities : ndarray of float64, shape (n,)
            Their probabilities (sum to one).
        """

    def mean(self, period: int = 0) -> float:
        """Expected demand :math:`E[D_t]` in ``period``."""
        values, probs = self.pmf(period)
        return float(np.dot(values, probs))

    def enumerate_support(self) -> dict[int, float]:
        """``{value: probability}`` of the (first-period) demand."""
        values, probs = self.pmf(0)
        return {int(v): float(p) for v, p in zip(values, probs)}

    def get_min_demand(self) -> int:
        return int(self.pmf(0)[0][0])

    def get_max_demand(self) -> int:
        return int(self.pmf(0)[0][-1])

    # ------------------------------------------------------------ plain data
    def _params(self) -> dict[str, Any]:
        """The constructor arguments as plain JSON/TOML-able values (subclasses)."""
        raise NotImplementedError

    @classmethod
    def _from_params(cls, params: dict[str, Any]) -> BaseDemand:
        """Rebuild from :meth:`_params` (default: ``cls(**params)``, keys checked)."""
        _check_keys(cls, params, inspect.signature(cls).parameters)
        return cls(**params)

    def to_dict(self) -> dict[str, Any]:
        """The model as a plain dict, e.g. ``{"type": "uniform", "low": 0, "high": 4}``.

        Only ``str``/``int``/``float``/``list``/``dict`` values: JSON and TOML can hold
        it, and :func:`demand_from_dict` rebuilds an equal model. Unbounded models
        censored with ``tail_mass`` record the censoring point ``max_demand`` chosen.

        Raises
        ------
        NotImplementedError
            For a user subclass that declares no ``type_name`` of its own or no
            ``_params``.
        """
        cls = type(self)
        if cls.type_name is None or _REGISTRY.get(cls.type_name) is not cls:
            raise NotImplementedError(
                f"{cls.__name__} cannot be written as a dict: give the class its own "
                "'type_name' (a class attribute) and a '_params()' method returning its "
                "constructor arguments (see docs/demand.md)."
            )
        try:
            params = self._params()
        except NotImplementedError:
            raise NotImplementedError(
                f"{cls.__name__} cannot be written as a dict: it has no '_params()' method "
                "returning its constructor arguments (see docs/demand.md)."
            ) from None
        return {"type": cls.type_name, **params}

    def _key(self) -> Any:
        try:
            return _freeze(self.to_dict())
        except NotImplementedError:
            return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseDemand):
            return NotImplemented
        if type(self) is not type(other):
            return False
        key = self._key()
        return self is other if key is None else key == other._key()

    def __hash__(self) -> int:
        key = self._key()
        return id(self) if key is None else hash((type(self).__qualname__, key))


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _check_keys(cls: type, params: Mapping[str, Any], parameters: Mapping[str, inspect.Parameter]) -> None:
    owner = f"demand_from_dict (type {cls.type_name!r})"  # type: ignore[attr-defined]
    allowed = [n for n, p in parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    for key in params:
        if key not in allowed:
            fail(key, owner, f"one of the keys {allowed} (unknown key)", params[key])
    for n in allowed:
        if parameters[n].default is inspect.Parameter.empty and n not in params:
            fail(n, owner, "given (required key)", None)


def demand_types() -> dict[str, type[BaseDemand]]:
    """The registered ``"type"`` names of :func:`demand_from_dict` and their classes."""
    return dict(sorted(_REGISTRY.items()))


def demand_from_dict(d: Mapping[str, Any]) -> BaseDemand:
    """Rebuild a demand model from :meth:`BaseDemand.to_dict` (or a hand-written dict).

    Parameters
    ----------
    d : mapping
        ``{"type": name, **constructor arguments}``, e.g. ``{"type": "poisson",
        "rate": 3.0}``; the names are those of :func:`demand_types`.

    Returns
    -------
    BaseDemand

    Raises
    ------
    TypeError, ValueError
        Not a mapping, no or an unknown ``"type"``, an unknown or missing key, or a
        value the model refuses; the message names the key.

    Examples
    --------
    >>> from idinn.demand import demand_from_dict, UniformDemand
    >>> demand_from_dict({"type": "uniform", "low": 0, "high": 4}) == UniformDemand(0, 4)
    True
    """
    owner = "demand_from_dict"
    if not isinstance(d, Mapping):
        fail("d", owner, "a mapping with a 'type' key, e.g. {'type': 'uniform', 'low': 0, 'high': 4}", d, TypeError)
    name = d.get("type")
    if name not in _REGISTRY:
        fail("type", owner, f"one of {sorted(_REGISTRY)}", name)
    params = {k: v for k, v in d.items() if k != "type"}
    for k in params:
        if not isinstance(k, str):
            fail("d", owner, "keyed by strings", k, TypeError)
    return _REGISTRY[name]._from_params(params)


# ------------------------------------------------------------------ sampling tools
def _fresh_generator() -> torch.Generator:
    g = torch.Generator()
    g.seed()
    return g


def sample_from_pmf(
    values: np.ndarray,
    probabilities: np.ndarray,
    shape: tuple[int, ...],
    generator: torch.Generator | None,
) -> torch.Tensor:
    """Inverse-CDF sampling of an integer pmf with an explicit torch generator (float32)."""
    if generator is None:
        generator = _fresh_generator()
    cdf = torch.as_tensor(np.cumsum(probabilities), dtype=torch.float64)
    cdf[-1] = 1.0
    u = torch.rand(shape, generator=generator, dtype=torch.float64)
    idx = torch.searchsorted(cdf, u, right=True).clamp_(max=len(values) - 1)
    return torch.as_tensor(values, dtype=torch.float32)[idx]


def draw_from_pmf(
    values: np.ndarray, probabilities: np.ndarray, rng: np.random.Generator, shape: tuple[int, ...]
) -> np.ndarray:
    """Inverse-CDF sampling of an integer pmf with a NumPy generator (int64)."""
    cdf = np.cumsum(probabilities)
    cdf[-1] = 1.0
    idx = np.minimum(np.searchsorted(cdf, rng.random(shape), side="right"), len(values) - 1)
    return np.asarray(values, dtype=np.int64)[idx]


def check_demand_value(value: int, name: str, owner: str) -> int:
    """Refuse a demand beyond :data:`MAX_EXACT_DEMAND` (float32 would round it)."""
    if value > MAX_EXACT_DEMAND:
        fail(name, owner, f"at most {MAX_EXACT_DEMAND} {_FLOAT32_NOTE}", value)
    return value


# --------------------------------------------------------------- finite support
class FiniteDemand(BaseDemand):
    """I.i.d. demand with a finite support given as arrays.

    Parameters
    ----------
    values : array-like of int
        Support points: integers in 0..2**24, any order, no duplicates.
    probabilities : array-like of float
        Their probabilities: real numbers (not strings or booleans), each >= 0,
        summing to 1 (within 1e-9).

    Examples
    --------
    >>> from idinn.demand import FiniteDemand
    >>> FiniteDemand([3, 1], [0.25, 0.75]).pmf()
    (array([1, 3]), array([0.75, 0.25]))
    """

    type_name = "finite"

    def __init__(self, values: object, probabilities: object) -> None:
        self._set_pmf(values, probabilities, type(self).__name__, "values", "probabilities")

    def _set_pmf(self, values: object, probabilities: object, owner: str, vname: str, pname: str) -> None:
        """Check and store the pmf; ``vname``/``pname`` name the parameters in errors."""
        if isinstance(values, str | bytes | Mapping) or isinstance(probabilities, str | bytes | Mapping):
            fail(vname, owner, "a 1-d sequence of demand values (with one of probabilities)", values, TypeError)
        vals = list(np.asarray(values, dtype=object).ravel()) if np.ndim(values) == 1 else None
        probs = list(np.asarray(probabilities, dtype=object).ravel()) if np.ndim(probabilities) == 1 else None
        if vals is None or len(vals) == 0:
            fail(vname, owner, "a non-empty 1-d sequence of demand values", values)
        if probs is None or len(probs) != len(vals):
            fail(pname, owner, f"a 1-d sequence as long as '{vname}' ({len(vals)})", probabilities)
        for v in vals:
            if not is_integral(v) or isinstance(v, float | np.floating):
                fail(vname, owner, "integer demand values", v, TypeError)
            if v < 0:
                fail(vname, owner, "demand values >= 0", v)
            check_demand_value(int(v), vname, owner)
        for p in probs:
            if isinstance(p, bool | np.bool_) or not isinstance(p, numbers.Real):
                fail(pname, owner, "real probabilities (not strings or booleans)", p, TypeError)
            if not math.isfinite(float(p)) or p < 0:
                fail(pname, owner, "finite probabilities >= 0", p)
        ivals = np.array([int(v) for v in vals], dtype=np.int64)
        fprobs = np.array([float(p) for p in probs], dtype=np.float64)
        if abs(fprobs.sum() - 1.0) > 1e-9:
            fail(pname, owner, "probabilities that sum to 1", float(fprobs.sum()))
        if len(np.unique(ivals)) != len(ivals):
            fail(vname, owner, "free of duplicates", ivals.tolist())
        order = np.argsort(ivals)
        self._values = ivals[order]
        self._given_probs = fprobs[order]
        self._probs = self._given_probs / self._given_probs.sum()

    def _params(self) -> dict[str, Any]:
        return {"values": self._values.tolist(), "probabilities": self._given_probs.tolist()}

    def pmf(self, period: int = 0) -> tuple[np.ndarray, np.ndarray]:
        return self._values.copy(), self._probs.copy()

    def sample_periods(
        self,
        batch_size: int,
        periods: int,
        generator: torch.Generator | None = None,
        start_period: int = 0,
    ) -> torch.Tensor:
        return sample_from_pmf(self._values, self._probs, (batch_size, periods), generator)

    def __repr__(self) -> str:
        return f"FiniteDemand({self._values.tolist()!r}, {self._given_probs.tolist()!r})"


class UniformDemand(FiniteDemand):
    """Discrete uniform demand on the integers ``low, low + 1, ..., high`` (both included).

    Parameters
    ----------
    low : int
        Smallest demand, >= 0 [:math:`\\underline{d}`].
    high : int
        Largest demand, >= ``low`` and <= 2**24 [:math:`\\overline{d}`].

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> UniformDemand(low=0, high=4).mean()
    2.0
    """

    type_name = "uniform"

    def __init__(self, low: int, high: int) -> None:
        self.low = check_int(low, "low", "UniformDemand", minimum=0)
        self.high = check_int(high, "high", "UniformDemand")
        if self.high < self.low:
            fail("high", "UniformDemand", f"an int >= low ({self.low})", high)
        check_demand_value(self.high, "high", "UniformDemand")
        n = self.high - self.low + 1
        self._values = np.arange(self.low, self.high + 1, dtype=np.int64)
        self._given_probs = self._probs = np.full(n, 1.0 / n)

    def _params(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high}

    def mean(self, period: int = 0) -> float:
        return (self.low + self.high) / 2

    def sample_periods(
        self,
        batch_size: int,
        periods: int,
        generator: torch.Generator | None = None,
        start_period: int = 0,
    ) -> torch.Tensor:
        if generator is None:
            generator = _fresh_generator()
        return torch.randint(
            self.low, self.high + 1, (batch_size, periods), generator=generator
        ).to(torch.float32)

    def _sample_array(self, rng: np.random.Generator, n: int, t: int, s: int) -> np.ndarray:
        return rng.integers(self.low, self.high + 1, size=(n, t), dtype=np.int64)

    def __repr__(self) -> str:
        return f"UniformDemand(low={self.low}, high={self.high})"


class CustomDemand(FiniteDemand):
    """Demand with a user-given pmf.

    Parameters
    ----------
    demand_prob : dict of {int: float}
        ``{demand value: probability}``; values are integers in 0..2**24,
        probabilities are real numbers >= 0 that sum to 1.

    Notes
    -----
    :meth:`to_dict` writes ``{"type": "custom", "values": [...], "probabilities":
    [...]}`` (sorted by value), since JSON and TOML keys are strings.

    Examples
    --------
    >>> from idinn.demand import CustomDemand
    >>> CustomDemand({1: 0.5, 3: 0.5}).mean()
    2.0
    """

    type_name = "custom"

    def __init__(self, demand_prob: Mapping[int, float]) -> None:
        owner = "CustomDemand"
        if not isinstance(demand_prob, Mapping):
            fail("demand_prob", owner, "a mapping {demand value: probability}", demand_prob, TypeError)
        if len(demand_prob) == 0:
            fail("demand_prob", owner, "a non-empty mapping {demand value: probability}", dict(demand_prob))
        for v in demand_prob:
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                fail("demand_prob", owner, "keyed by integer demand values", v, TypeError)
            if v < 0:
                fail("demand_prob", owner, "keyed by demand values >= 0", v)
            check_demand_value(int(v), "demand_prob", owner)
        for p in demand_prob.values():
            if isinstance(p, bool | np.bool_) or not isinstance(p, numbers.Real):
                fail("demand_prob", owner, "a mapping to real probabilities", p, TypeError)
            if not math.isfinite(float(p)) or p < 0:
                fail("demand_prob", owner, "a mapping to finite probabilities >= 0", p)
        total = float(sum(float(p) for p in demand_prob.values()))
        if abs(total - 1.0) > 1e-9:
            fail("demand_prob", owner, "a mapping whose probabilities sum to 1", total)
        self.demand_prob = dict(demand_prob)
        self._set_pmf(list(demand_prob.keys()), list(demand_prob.values()), owner, "demand_prob", "demand_prob")

    @classmethod
    def _from_params(cls, params: dict[str, Any]) -> BaseDemand:
        _check_keys(cls, params, inspect.signature(FiniteDemand).parameters)
        values, probs = params["values"], params["probabilities"]
        if isinstance(values, str | bytes) or np.ndim(values) != 1 or np.ndim(probs) != 1 or len(values) != len(probs):
            fail("probabilities", "demand_from_dict (type 'custom')", "a list as long as 'values'", probs)
        if len(set(map(repr, values))) != len(values):
            fail("values", "demand_from_dict (type 'custom')", "free of duplicates", values)
        return cls(dict(zip(values, probs)))

    def __repr__(self) -> str:
        return f"CustomDemand({self.demand_prob!r})"
