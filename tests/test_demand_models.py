"""Tests of the parametric, empirical, seasonal and trace demand models."""

from __future__ import annotations

import doctest
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import chisquare

import idinn.demand as demand_module
from idinn.demand import (
    BaseDemand,
    DiscretizedGammaDemand,
    DiscretizedNormalDemand,
    EmpiricalDemand,
    FiniteDemand,
    PoissonDemand,
    SeasonalDemand,
    TraceDemand,
    TruncatedPoissonDemand,
    UniformDemand,
)
from idinn.sourcing_model import SingleSourcingModel

DOCS = Path(__file__).resolve().parents[1] / "docs" / "demand.md"


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def poisson_pmf(k: int, lam: float) -> float:
    return math.exp(-lam) * lam**k / math.factorial(k)


def phi(x: float) -> float:
    """Standard normal cdf by hand."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def chi2_pvalue(samples: torch.Tensor, values: np.ndarray, probs: np.ndarray) -> float:
    """Pearson chi-square p-value of integer samples against a pmf.

    Support points with expected count < 5 are pooled into one cell; a sample outside
    the support fails the test outright.
    """
    x = samples.reshape(-1).numpy().astype(np.int64)
    n = x.size
    assert np.isin(x, values).all(), "sample outside the support"
    counts = np.array([(x == v).sum() for v in values], dtype=float)
    expected = probs * n
    big = expected >= 5
    obs = list(counts[big])
    exp = list(expected[big])
    if (~big).any():
        obs.append(counts[~big].sum())
        exp.append(expected[~big].sum())
    exp_arr = np.array(exp) * (n / np.sum(exp))
    return float(chisquare(obs, exp_arr).pvalue)


# --------------------------------------------------------------------------- Poisson
def test_poisson_has_no_finite_pmf_and_says_how_to_get_one():
    d = PoissonDemand(rate=2.0)
    assert d.has_finite_support is False
    assert d.season_length is None
    assert d.mean() == 2.0 and d.mean(7) == 2.0
    msg = (
        "PoissonDemand(rate=2.0) has unbounded support, so it has no finite pmf. Use "
        "PoissonDemand(rate=2.0).truncated(tail_mass=1e-9) (or truncated(max_demand=...)) "
        "for a finite model censored at a maximum demand."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        d.pmf()
    with pytest.raises(ValueError, match=re.escape(msg)):
        d.get_max_demand()
    assert d.get_min_demand() == 0


def test_truncated_poisson_exact_pmf_values():
    d = PoissonDemand(2.0).truncated(max_demand=10)
    assert isinstance(d, TruncatedPoissonDemand) and isinstance(d, FiniteDemand)
    values, probs = d.pmf()
    assert values.dtype == np.int64 and values.tolist() == list(range(11))
    hand = [0.1353352832366127, 0.2706705664732254, 0.2706705664732254, 0.1804470443154836]
    np.testing.assert_allclose(probs[:4], hand, rtol=1e-12)
    np.testing.assert_allclose(probs[:4], [poisson_pmf(k, 2.0) for k in range(4)], rtol=1e-12)
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)


def test_truncated_poisson_censors_tail_onto_max_demand():
    d = TruncatedPoissonDemand(rate=2.0, max_demand=3)
    values, probs = d.pmf()
    below = [poisson_pmf(k, 2.0) for k in range(3)]
    np.testing.assert_allclose(probs, below + [1.0 - sum(below)], rtol=1e-12)
    assert d.dropped_mass == pytest.approx(1.0 - sum(below) - poisson_pmf(3, 2.0), rel=1e-10)
    assert d.max_demand == 3 and d.tail_mass is None
    # law of min(D, 3): mean = sum_k min(k,3) p_k
    assert d.mean() == pytest.approx(sum(k * p for k, p in enumerate(below)) + 3 * (1 - sum(below)), rel=1e-12)


@pytest.mark.parametrize("rate, eps", [(2.0, 1e-6), (2.0, 1e-9), (7.5, 1e-3), (0.3, 0.5)])
def test_truncated_poisson_picks_smallest_max_demand(rate, eps):
    d = PoissonDemand(rate).truncated(tail_mass=eps)

    def tail(m: int) -> float:  # P(D > m) by hand
        return 1.0 - sum(poisson_pmf(k, rate) for k in range(m + 1))

    m = d.max_demand
    assert tail(m) <= eps + 1e-15
    assert m == 0 or tail(m - 1) > eps
    assert d.dropped_mass == pytest.approx(tail(m), abs=1e-14)
    assert d.tail_mass == eps


def test_truncated_poisson_default_tail_mass_and_known_cutoff():
    d = PoissonDemand(2.0).truncated()
    assert d.tail_mass == 1e-9 and d.dropped_mass <= 1e-9
    assert PoissonDemand(2.0).truncated(tail_mass=1e-6).max_demand == 12
    assert TruncatedPoissonDemand(0.0).pmf()[0].tolist() == [0]


def test_truncated_poisson_rejects_both_truncation_arguments():
    msg = (
        "The 'tail_mass' parameter of TruncatedPoissonDemand must be None when 'max_demand' "
        "is given (pass one of the two). Got 0.001 instead."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        PoissonDemand(2.0).truncated(tail_mass=1e-3, max_demand=5)


def test_poisson_sampling_matches_pmf():
    samples = PoissonDemand(3.0).sample_periods(200, 100, gen(1))
    assert samples.shape == (200, 100) and samples.dtype == torch.float32
    values, probs = PoissonDemand(3.0).truncated(tail_mass=1e-12).pmf()
    assert chi2_pvalue(samples, values, probs) > 1e-3
    assert float(samples.mean()) == pytest.approx(3.0, abs=0.05)


# ---------------------------------------------------------------- discretised normal
def test_discretized_normal_hand_values():
    d = DiscretizedNormalDemand(mean=0.0, std=1.0, max_demand=2)
    values, probs = d.pmf()
    assert values.tolist() == [0, 1, 2]
    np.testing.assert_allclose(
        probs, [phi(0.5), phi(1.5) - phi(0.5), 1.0 - phi(1.5)], rtol=1e-12
    )
    assert probs[0] == pytest.approx(0.6914624612740131, rel=1e-12)
    assert d.dropped_mass == pytest.approx(1.0 - phi(2.5), rel=1e-10)
    assert d.negative_mass == pytest.approx(phi(-0.5), rel=1e-12)


def test_discretized_normal_interior_masses_and_mean():
    mu, sigma = 20.0, 3.0
    d = DiscretizedNormalDemand(mu, sigma)
    values, probs = d.pmf()
    for k in (5, 17, 20, 26, 35):
        hand = phi((k + 0.5 - mu) / sigma) - phi((k - 0.5 - mu) / sigma)
        assert probs[k] == pytest.approx(hand, rel=1e-9, abs=1e-15)
    # rounding half up is symmetric about an integer mean; the censoring is ~1e-9
    assert d.mean() == pytest.approx(mu, abs=1e-6)
    assert d.mu == mu and d.sigma == sigma
    m = d.max_demand
    assert 1.0 - phi((m + 0.5 - mu) / sigma) <= 1e-9 < 1.0 - phi((m - 0.5 - mu) / sigma)


def test_discretized_normal_sampling_matches_pmf():
    d = DiscretizedNormalDemand(5.0, 2.0)
    samples = d.sample_periods(100, 200, gen(2))
    assert chi2_pvalue(samples, *d.pmf()) > 1e-3


# ----------------------------------------------------------------- discretised gamma
def test_discretized_gamma_exponential_closed_form():
    theta = 2.0  # shape 1: exponential with mean theta
    d = DiscretizedGammaDemand(shape=1.0, scale=theta, max_demand=4)
    _, probs = d.pmf()
    hand = [1 - math.exp(-0.5 / theta)]
    hand += [math.exp(-(k - 0.5) / theta) - math.exp(-(k + 0.5) / theta) for k in (1, 2, 3)]
    hand += [math.exp(-3.5 / theta)]
    np.testing.assert_allclose(probs, hand, rtol=1e-12)
    assert d.dropped_mass == pytest.approx(math.exp(-4.5 / theta), rel=1e-12)


def test_discretized_gamma_tail_and_mean():
    d = DiscretizedGammaDemand(4.0, 2.5, tail_mass=1e-6)
    assert d.dropped_mass <= 1e-6
    assert d.mean() == pytest.approx(10.0, abs=1e-3)
    samples = d.sample_periods(100, 200, gen(3))
    assert chi2_pvalue(samples, *d.pmf()) > 1e-3


# ------------------------------------------------------------------------- empirical
def test_empirical_pmf_is_relative_frequencies():
    d = EmpiricalDemand([3, 1, 3, 5, 3, 0])
    values, probs = d.pmf()
    assert values.tolist() == [0, 1, 3, 5]
    np.testing.assert_allclose(probs, [1 / 6, 1 / 6, 3 / 6, 1 / 6])
    assert d.mean() == pytest.approx(15 / 6)
    assert d.history.tolist() == [3, 1, 3, 5, 3, 0]
    assert isinstance(d, FiniteDemand) and d.season_length is None
    assert EmpiricalDemand(np.array([2.0, 4.0])).pmf()[0].tolist() == [2, 4]


def test_empirical_sampling_matches_pmf():
    d = EmpiricalDemand([0, 0, 1, 2, 2, 2, 7])
    samples = d.sample_periods(100, 100, gen(4))
    assert chi2_pvalue(samples, *d.pmf()) > 1e-3


@pytest.mark.parametrize(
    "history, exc, rule, got",
    [
        ([1, -1], ValueError, "a 1-d sequence of integers >= 0 (entry 1 is not)", "-1"),
        ([1, 2.5], ValueError, "a 1-d sequence of integers >= 0 (entry 1 is not)", "2.5"),
        (np.array([1.0, np.nan]), ValueError, "a 1-d sequence of integers >= 0 (entry 1 is not)", "nan"),
        ([True], TypeError, "a 1-d sequence of integers >= 0 (entry 0 is not)", "True"),
        (["a"], TypeError, "a 1-d sequence of integers >= 0 (entry 0 is not)", "'a'"),
        ([], ValueError, "a non-empty 1-d sequence of integers >= 0", "[]"),
        (5, TypeError, "a 1-d sequence of integers >= 0", "5"),
    ],
)
def test_empirical_rejects_bad_history(history, exc, rule, got):
    msg = f"The 'history' parameter of EmpiricalDemand must be {rule}. Got {got} instead."
    with pytest.raises(exc, match=re.escape(msg)):
        EmpiricalDemand(history)


# -------------------------------------------------------------------------- seasonal
def test_seasonal_sampling_uses_the_right_schedule_entry():
    # degenerate entries make the draw exact: period t has demand 10 * ((start + t) % 3)
    d = SeasonalDemand.uniform(lows=[0, 10, 20], highs=[0, 10, 20])
    assert d.season_length == 3
    for start in (0, 1, 2, 5):
        out = d.sample_periods(4, 8, gen(0), start_period=start)
        expected = torch.tensor([10.0 * ((start + t) % 3) for t in range(8)]).expand(4, 8)
        assert torch.equal(out, expected)
    assert [d.mean(p) for p in range(5)] == [0.0, 10.0, 20.0, 0.0, 10.0]
    assert d.pmf(4)[0].tolist() == [10] and d.pmf(4)[1].tolist() == [1.0]
    assert d.get_min_demand() == 0 and d.get_max_demand() == 20


def test_seasonal_mixed_entries_sample_their_own_distributions():
    d = SeasonalDemand([UniformDemand(0, 2), PoissonDemand(4.0), EmpiricalDemand([5, 9])])
    assert d.has_finite_support is False
    out = d.sample_periods(3000, 6, gen(5), start_period=2)
    cols = {j: [t for t in range(6) if (2 + t) % 3 == j] for j in range(3)}
    finite = d.truncated(tail_mass=1e-12)
    assert finite.has_finite_support
    assert isinstance(finite.schedule[1], TruncatedPoissonDemand)
    for j in range(3):
        assert chi2_pvalue(out[:, cols[j]], *finite.pmf(j)) > 1e-3
    assert d.mean(1) == 4.0 and d.mean(2) == 7.0
    msg = (
        "Period 4 of SeasonalDemand uses PoissonDemand(rate=4.0) (schedule entry 1), which has "
        "unbounded support. Use SeasonalDemand.truncated(tail_mass=1e-9) for a season of finite models."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        d.pmf(4)


def test_seasonal_poisson_constructor():
    d = SeasonalDemand.poisson([1.0, 2.0])
    assert [d.mean(p) for p in range(3)] == [1.0, 2.0, 1.0]
    assert repr(d) == "SeasonalDemand([PoissonDemand(rate=1.0), PoissonDemand(rate=2.0)])"


def test_seasonal_validation():
    with pytest.raises(
        ValueError,
        match=re.escape("The 'highs' parameter of SeasonalDemand.uniform must be a list as long as 'lows' (2). Got [1] instead."),
    ):
        SeasonalDemand.uniform([0, 1], [1])
    with pytest.raises(
        TypeError,
        match=re.escape("The 'schedule' parameter of SeasonalDemand must be a list of demand models (entry 1 is not). Got 3 instead."),
    ):
        SeasonalDemand([UniformDemand(0, 1), 3])
    with pytest.raises(ValueError, match=re.escape("must be a non-empty list of demand models. Got [] instead.")):
        SeasonalDemand([])
    with pytest.raises(ValueError, match=re.escape("a list of stationary demand models (entry 0 is not)")):
        SeasonalDemand([TraceDemand([1, 2])])
    with pytest.raises(ValueError, match=re.escape("The 'low' parameter of UniformDemand must be an int >= 0. Got -1 instead.")):
        SeasonalDemand.uniform([-1], [2])


# ----------------------------------------------------------------------------- trace
def test_trace_replay_is_exact_and_wraps():
    series = [4, 0, 7, 2]
    d = TraceDemand(series)
    assert d.season_length == 4 and d.mode == "replay"
    out = d.sample_periods(3, 10, gen(0), start_period=2)
    expected = torch.tensor([float(series[(2 + t) % 4]) for t in range(10)]).expand(3, 10)
    assert torch.equal(out, expected)
    assert torch.equal(d.sample_periods(3, 10, start_period=2), out)  # no randomness at all
    assert [d.mean(p) for p in range(5)] == [4.0, 0.0, 7.0, 2.0, 4.0]
    values, probs = d.pmf(6)
    assert values.tolist() == [7] and probs.tolist() == [1.0]
    assert d.get_min_demand() == 0 and d.get_max_demand() == 7


def test_trace_windows_are_cyclic_shifts_with_uniform_offsets():
    series = np.array([4, 0, 7, 2, 9])
    d = TraceDemand(series, mode="windows")
    out = d.sample_periods(5000, 7, gen(6)).numpy().astype(np.int64)
    shifts = {tuple(np.roll(series, -o)[np.arange(7) % 5]) for o in range(5)}
    assert {tuple(row) for row in out} == shifts
    # offsets uniform: the first column is the series' empirical distribution
    assert chi2_pvalue(torch.as_tensor(out[:, 0]), *d.pmf(0)) > 1e-3
    assert d.mean(3) == pytest.approx(series.mean())
    assert d.pmf(3)[0].tolist() == [0, 2, 4, 7, 9]


def test_trace_validation():
    with pytest.raises(
        ValueError,
        match=re.escape("The 'mode' parameter of TraceDemand must be one of 'replay', 'windows'. Got 'loop' instead."),
    ):
        TraceDemand([1], mode="loop")
    with pytest.raises(
        ValueError,
        match=re.escape("The 'series' parameter of TraceDemand must be a 1-d sequence of integers >= 0 (entry 2 is not). Got -3 instead."),
    ):
        TraceDemand([1, 2, -3])


# ------------------------------------------------------------------------------- CSV
def write(tmp_path: Path, text: str, name: str = "demand.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_trace_from_csv_reads_column(tmp_path):
    p = write(tmp_path, "\ufeffweek, sales\n1, 4\n2,0\n3, 7.0 \n4,1e1\n\n\n")
    d = TraceDemand.from_csv(p, "sales")
    assert d.series.tolist() == [4, 0, 7, 10]
    assert d.season_length == 4
    e = EmpiricalDemand.from_csv(str(p), "week")
    assert e.history.tolist() == [1, 2, 3, 4]
    w = TraceDemand.from_csv(write(tmp_path, "a;b\n1;2\n", "semi.csv"), "b", mode="windows", delimiter=";")
    assert w.series.tolist() == [2] and w.mode == "windows"


@pytest.mark.parametrize(
    "text, detail",
    [
        ("week,sales\n1,4\n2,\n3,5\n", "data row 2 (line 3), column 'sales': missing value."),
        ("week,sales\n1,4\n2\n", "data row 2 (line 3), column 'sales': missing value."),
        ("week,sales\n1,4\n\n3,5\n", "data row 2 (line 3), column 'sales': missing value."),
        ("week,sales\n1,4\n2,5\n3,-2\n", "data row 3 (line 4), column 'sales': '-2' is negative."),
        ("week,sales\n1,abc\n", "data row 1 (line 2), column 'sales': 'abc' is not a number."),
        ("week,sales\n1,4\n2,nan\n", "data row 2 (line 3), column 'sales': 'nan' is not a finite number."),
        ("week,sales\n1,2.5\n", "data row 1 (line 2), column 'sales': '2.5' is not an integer."),
        ('week,sales\n"1\n2",x\n', "data row 1 (line 3), column 'sales': 'x' is not a number."),
    ],
)
def test_trace_from_csv_bad_value_names_file_row_and_column(tmp_path, text, detail):
    p = write(tmp_path, text)
    msg = f"File {str(p)!r}, {detail} Every demand must be an integer >= 0."
    with pytest.raises(ValueError, match=re.escape(msg)):
        TraceDemand.from_csv(p, "sales")


def test_from_csv_structural_errors(tmp_path):
    p = write(tmp_path, "week,demand\n1,3\n")
    with pytest.raises(
        ValueError,
        match=re.escape(f"File {str(p)!r} has no column 'sales' in its header (line 1); its columns are ['week', 'demand']."),
    ):
        TraceDemand.from_csv(p, "sales")
    e = write(tmp_path, "", "empty.csv")
    with pytest.raises(
        ValueError, match=re.escape(f"File {str(e)!r} is empty: expected a header row naming the column 'sales'.")
    ):
        EmpiricalDemand.from_csv(e, "sales")
    h = write(tmp_path, "week,sales\n\n", "header_only.csv")
    with pytest.raises(
        ValueError,
        match=re.escape(f"File {str(h)!r} has no data rows below its header: column 'sales' is empty."),
    ):
        TraceDemand.from_csv(h, "sales")
    with pytest.raises(ValueError, match=re.escape("The 'mode' parameter of TraceDemand must be one of")):
        TraceDemand.from_csv(p, "demand", mode="random")


# ------------------------------------------------------------ shared behaviour, all models
def all_models() -> list[BaseDemand]:
    return [
        PoissonDemand(2.5),
        TruncatedPoissonDemand(2.5, tail_mass=1e-6),
        DiscretizedNormalDemand(6.0, 2.0),
        DiscretizedGammaDemand(2.0, 3.0),
        EmpiricalDemand([1, 2, 2, 8]),
        SeasonalDemand([UniformDemand(0, 3), PoissonDemand(5.0)]),
        TraceDemand([3, 1, 4, 1, 5]),
        TraceDemand([3, 1, 4, 1, 5], mode="windows"),
    ]


@pytest.mark.parametrize("model", all_models(), ids=repr)
def test_determinism_under_seed(model):
    a = model.sample_periods(16, 12, gen(42), start_period=3)
    b = model.sample_periods(16, 12, gen(42), start_period=3)
    assert a.shape == (16, 12) and a.dtype == torch.float32
    assert torch.equal(a, b)
    assert torch.equal(a, a.round()) and bool((a >= 0).all())
    if not (isinstance(model, TraceDemand) and model.mode == "replay"):
        assert not torch.equal(a, model.sample_periods(16, 12, gen(43), start_period=3))


@pytest.mark.parametrize("model", all_models(), ids=repr)
def test_sampling_arguments_are_validated(model):
    owner = type(model).__name__
    with pytest.raises(ValueError, match=re.escape(f"The 'batch_size' parameter of {owner} must be an int >= 1. Got 0 instead.")):
        model.sample_periods(0, 3)
    with pytest.raises(ValueError, match=re.escape(f"The 'periods' parameter of {owner} must be an int >= 1. Got 0 instead.")):
        model.sample_periods(2, 0)
    with pytest.raises(TypeError, match=re.escape(f"The 'generator' parameter of {owner} must be a torch.Generator or None. Got 7 instead.")):
        model.sample_periods(2, 3, 7)
    with pytest.raises(ValueError, match=re.escape(f"The 'start_period' parameter of {owner} must be an int >= 0. Got -1 instead.")):
        model.sample_periods(2, 3, None, -1)
    with pytest.raises(ValueError, match=re.escape(f"The 'period' parameter of {owner} must be an int >= 0. Got -2 instead.")):
        model.mean(-2)


@pytest.mark.parametrize("model", all_models(), ids=repr)
def test_mean_matches_pmf_and_samples(model):
    for period in range(3):
        if model.has_finite_support:
            values, probs = model.pmf(period)
            assert values.dtype == np.int64 and np.all(np.diff(values) > 0)
            assert probs.sum() == pytest.approx(1.0, abs=1e-12)
            assert model.mean(period) == pytest.approx(float(values @ probs), rel=1e-12)
    if model.season_length is None:
        draws = model.sample_periods(4000, 10, gen(9))
        sd = max(1.0, math.sqrt(float(draws.var())))
        assert float(draws.mean()) == pytest.approx(model.mean(), abs=4 * sd / math.sqrt(draws.numel()))


@pytest.mark.parametrize(
    "call, exc, msg",
    [
        (lambda: PoissonDemand(-1), ValueError, "The 'rate' parameter of PoissonDemand must be a finite real number >= 0. Got -1 instead."),
        (lambda: PoissonDemand("2"), TypeError, "The 'rate' parameter of PoissonDemand must be a finite real number >= 0. Got '2' instead."),
        (lambda: TruncatedPoissonDemand(1.0, tail_mass=0), ValueError, "The 'tail_mass' parameter of TruncatedPoissonDemand must be a finite real number > 0 and < 1. Got 0 instead."),
        (lambda: TruncatedPoissonDemand(1.0, max_demand=-1), ValueError, "The 'max_demand' parameter of TruncatedPoissonDemand must be an int >= 0. Got -1 instead."),
        (lambda: DiscretizedNormalDemand(-1.0, 1.0), ValueError, "The 'mean' parameter of DiscretizedNormalDemand must be a finite real number >= 0. Got -1.0 instead."),
        (lambda: DiscretizedNormalDemand(1.0, 0.0), ValueError, "The 'std' parameter of DiscretizedNormalDemand must be a finite real number > 0. Got 0.0 instead."),
        (lambda: DiscretizedNormalDemand(1.0, 1.0, tail_mass=1.0), ValueError, "The 'tail_mass' parameter of DiscretizedNormalDemand must be a finite real number > 0 and < 1. Got 1.0 instead."),
        (lambda: DiscretizedGammaDemand(0.0, 1.0), ValueError, "The 'shape' parameter of DiscretizedGammaDemand must be a finite real number > 0. Got 0.0 instead."),
        (lambda: DiscretizedGammaDemand(1.0, float("inf")), ValueError, "The 'scale' parameter of DiscretizedGammaDemand must be a finite real number > 0. Got inf instead."),
        (lambda: DiscretizedGammaDemand(1.0, 1.0, max_demand=2.0), TypeError, "The 'max_demand' parameter of DiscretizedGammaDemand must be an int >= 0. Got 2.0 instead."),
        (lambda: SeasonalDemand.uniform([0], [1]).pmf(1.5), TypeError, "The 'period' parameter of SeasonalDemand must be an int >= 0. Got 1.5 instead."),
    ],
)
def test_parameter_validation_wording(call, exc, msg):
    with pytest.raises(exc, match=re.escape(msg)):
        call()


def test_reprs():
    assert repr(PoissonDemand(2)) == "PoissonDemand(rate=2.0)"
    assert repr(PoissonDemand(2).truncated(max_demand=5)) == "TruncatedPoissonDemand(rate=2.0, max_demand=5)"
    assert repr(DiscretizedNormalDemand(3, 1, max_demand=9)) == "DiscretizedNormalDemand(mean=3.0, std=1.0, max_demand=9)"
    assert repr(DiscretizedGammaDemand(2, 1.5, max_demand=9)) == "DiscretizedGammaDemand(shape=2.0, scale=1.5, max_demand=9)"
    assert repr(EmpiricalDemand([2, 1])) == "EmpiricalDemand(history=[2, 1])"
    assert repr(EmpiricalDemand(range(10))) == "EmpiricalDemand(history=[0, 1, 2, 3, 4, 5, 6, 7, ... (10 values)])"
    assert repr(TraceDemand([1, 2], mode="windows")) == "TraceDemand(series=[1, 2], mode='windows')"
    assert repr(SeasonalDemand.uniform([0], [1])) == "SeasonalDemand([UniformDemand(low=0, high=1)])"
    # reprs of the finite models rebuild the same pmf
    for d in (PoissonDemand(2).truncated(), DiscretizedNormalDemand(3, 1), DiscretizedGammaDemand(2, 1.5)):
        rebuilt = eval(repr(d), vars(demand_module))
        np.testing.assert_array_equal(rebuilt.pmf()[1], d.pmf()[1])


# --------------------------------------------------------------- integration and docs
def test_sourcing_model_steps_through_season_and_trace():
    season = SeasonalDemand.uniform([1, 5, 9], [1, 5, 9])
    m = SingleSourcingModel(0, 1.0, 1.0, init_inventory=0, demand_generator=season, batch_size=2)
    for _ in range(7):
        m.order(0)
    assert m.get_past_demands()[0, 1:].tolist() == [1, 5, 9, 1, 5, 9, 1]
    trace = TraceDemand([2, 0, 3])
    m = SingleSourcingModel(0, 1.0, 1.0, init_inventory=0, demand_generator=trace, batch_size=2)
    for _ in range(4):
        m.order(0)
    assert m.get_past_inventories()[1].tolist() == [0, -2, -2, -5, -7]


def test_class_docstring_examples():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for cls in (PoissonDemand, TruncatedPoissonDemand, DiscretizedNormalDemand, DiscretizedGammaDemand,
                EmpiricalDemand, SeasonalDemand, TraceDemand):
        for test in finder.find(cls, cls.__name__, globs={}):
            runner.run(test)
    assert runner.failures == 0 and runner.tries > 10


def test_docs_page_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = doctest.testfile(str(DOCS), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 20


def test_from_csv_column_must_be_a_name(tmp_path):
    p = write(tmp_path, "week,sales\n1,3\n")
    with pytest.raises(
        TypeError,
        match=re.escape("The 'column' parameter of TraceDemand.from_csv must be a str naming a column of the header row. Got 1 instead."),
    ):
        TraceDemand.from_csv(p, 1)
    with pytest.raises(FileNotFoundError, match=re.escape("missing.csv")):
        EmpiricalDemand.from_csv(tmp_path / "missing.csv", "sales")


# ------------------------------------------------------- plain data: to_dict / from_dict
import json  # noqa: E402

from idinn.demand import CustomDemand, MAX_EXACT_DEMAND, demand_from_dict, demand_types  # noqa: E402
from idinn.demand import GeometricDemand, TruncatedGeometricDemand  # noqa: E402


def every_model() -> list[BaseDemand]:
    return [
        UniformDemand(0, 4),
        CustomDemand({3: 0.25, 1: 0.75}),
        FiniteDemand([5, 2], [0.5, 0.5]),
        PoissonDemand(2.5),
        TruncatedPoissonDemand(2.0, tail_mass=1e-6),
        DiscretizedNormalDemand(3.0, 1.5),
        DiscretizedGammaDemand(2.0, 1.5, max_demand=12),
        EmpiricalDemand([3, 1, 3, 5]),
        SeasonalDemand([UniformDemand(1, 1), PoissonDemand(4.0)]),
        TraceDemand([4, 0, 7], mode="windows"),
        GeometricDemand(5.0),
        TruncatedGeometricDemand(2.0, tail_mass=1e-6),
    ]


@pytest.mark.parametrize("d", every_model(), ids=lambda d: type(d).__name__)
def test_to_dict_round_trips_through_json(d):
    data = d.to_dict()
    text = json.dumps(data)  # plain JSON types only
    rebuilt = demand_from_dict(json.loads(text))
    assert type(rebuilt) is type(d)
    assert rebuilt == d and hash(rebuilt) == hash(d)
    assert rebuilt.to_dict() == data
    if d.has_finite_support:
        for period in range(3 if d.season_length else 1):
            for a, b in zip(rebuilt.pmf(period), d.pmf(period)):
                np.testing.assert_array_equal(a, b)


def test_to_dict_layouts():
    assert UniformDemand(0, 4).to_dict() == {"type": "uniform", "low": 0, "high": 4}
    assert CustomDemand({3: 0.25, 1: 0.75}).to_dict() == {"type": "custom", "values": [1, 3], "probabilities": [0.75, 0.25]}
    assert PoissonDemand(2).to_dict() == {"type": "poisson", "rate": 2.0}
    # censoring chosen by tail mass is recorded as its censoring point
    assert TruncatedPoissonDemand(2.0, tail_mass=1e-6).to_dict() == {"type": "truncated_poisson", "rate": 2.0, "max_demand": 12}
    assert DiscretizedNormalDemand(0.0, 1.0, max_demand=2).to_dict() == {
        "type": "discretized_normal", "mean": 0.0, "std": 1.0, "max_demand": 2}
    assert SeasonalDemand.uniform([0], [1]).to_dict() == {"type": "seasonal", "schedule": [{"type": "uniform", "low": 0, "high": 1}]}
    assert TraceDemand([4, 0]).to_dict() == {"type": "trace", "series": [4, 0], "mode": "replay"}
    assert set(demand_types()) == {"uniform", "custom", "finite", "poisson", "truncated_poisson",
                                   "discretized_normal", "discretized_gamma", "empirical", "seasonal", "trace",
                                   "geometric", "truncated_geometric"}


def test_value_equality():
    assert UniformDemand(0, 4) == UniformDemand(0, 4) != UniformDemand(0, 5)
    assert CustomDemand({1: 0.5, 3: 0.5}) == CustomDemand({3: 0.5, 1: 0.5})
    # same censoring point, whatever way it was chosen
    assert TruncatedPoissonDemand(2.0, tail_mass=1e-6) == TruncatedPoissonDemand(2.0, max_demand=12)
    assert UniformDemand(1, 1) != CustomDemand({1: 1.0})  # different types
    assert len({UniformDemand(0, 4), UniformDemand(0, 4), PoissonDemand(1)}) == 2
    assert UniformDemand(0, 4) != "uniform"


def test_hand_written_dicts_and_their_errors():
    d = demand_from_dict({"type": "discretized_normal", "mean": 25, "std": 8})
    assert d == DiscretizedNormalDemand(25, 8)
    assert demand_from_dict({"type": "custom", "values": [0, 2], "probabilities": [0.5, 0.5]}) == CustomDemand({0: 0.5, 2: 0.5})
    with pytest.raises(ValueError, match=re.escape("The 'type' parameter of demand_from_dict must be one of [")):
        demand_from_dict({"type": "gaussian", "mean": 1})
    with pytest.raises(ValueError, match=re.escape(
            "The 'hihg' parameter of demand_from_dict (type 'uniform') must be one of the keys ['low', 'high'] (unknown key). Got 4 instead.")):
        demand_from_dict({"type": "uniform", "low": 0, "hihg": 4})
    with pytest.raises(ValueError, match=re.escape("The 'high' parameter of demand_from_dict (type 'uniform') must be given (required key)")):
        demand_from_dict({"type": "uniform", "low": 0})
    with pytest.raises(TypeError, match=re.escape("The 'd' parameter of demand_from_dict must be a mapping")):
        demand_from_dict("uniform")


def test_user_subclass_without_type_name_cannot_be_written():
    class Mine(UniformDemand):
        pass

    with pytest.raises(NotImplementedError, match="give the class its own 'type_name'"):
        Mine(0, 1).to_dict()
    assert Mine(0, 1) != Mine(0, 1)  # identity equality when there is no plain-data form


# ------------------------------------------------------------ numpy sampling
@pytest.mark.parametrize("d", every_model(), ids=lambda d: type(d).__name__)
def test_sample_array_shape_dtype_determinism(d):
    a = d.sample_array(np.random.default_rng(3), 4, 6, start_period=1)
    b = d.sample_array(np.random.default_rng(3), 4, 6, start_period=1)
    assert a.dtype == np.int64 and a.shape == (4, 6)
    np.testing.assert_array_equal(a, b)
    assert (a >= 0).all()


def test_sample_array_values():
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(TraceDemand([4, 0, 7]).sample_array(rng, 2, 4, start_period=1), [[0, 7, 4, 0]] * 2)
    season = SeasonalDemand.uniform([1, 5, 9], [1, 5, 9])
    np.testing.assert_array_equal(season.sample_array(rng, 1, 5, start_period=2), [[9, 1, 5, 9, 1]])
    w = TraceDemand([0, 1, 2, 3, 4], mode="windows").sample_array(rng, 50, 3)
    np.testing.assert_array_equal((w[:, 1:] - w[:, :-1]) % 5, np.ones((50, 2)))  # contiguous windows
    # frequencies: 20,000 draws of a two-point law are within 4 standard errors of 0.25
    x = CustomDemand({1: 0.75, 3: 0.25}).sample_array(rng, 200, 100)
    assert set(np.unique(x)) == {1, 3}
    assert abs((x == 3).mean() - 0.25) < 4 * math.sqrt(0.25 * 0.75 / 20000)
    p = PoissonDemand(3.0).sample_array(rng, 100, 100)
    assert abs(p.mean() - 3.0) < 4 * math.sqrt(3.0 / 10000)
    u = UniformDemand(2, 4).sample_array(rng, 100, 100)
    assert set(np.unique(u)) == {2, 3, 4}


def test_sample_array_bad_arguments():
    d = UniformDemand(0, 4)
    with pytest.raises(TypeError, match=re.escape("The 'rng' parameter of UniformDemand.sample_array must be a numpy.random.Generator")):
        d.sample_array(torch.Generator(), 2, 2)
    with pytest.raises(ValueError, match=re.escape("The 'n_paths' parameter of UniformDemand.sample_array must be an int >= 1. Got 0 instead.")):
        d.sample_array(np.random.default_rng(0), 0, 2)


# ------------------------------------------ what CustomDemand refuses, FiniteDemand refuses
@pytest.mark.parametrize(
    "values, probs, exc, fragment",
    [
        ([-1, 2], [0.5, 0.5], ValueError, "The 'values' parameter of FiniteDemand must be demand values >= 0. Got -1 instead."),
        ([1, 2], ["0.5", "0.5"], TypeError, "The 'probabilities' parameter of FiniteDemand must be real probabilities (not strings or booleans). Got '0.5' instead."),
        ([0, 1], [True, False], TypeError, "The 'probabilities' parameter of FiniteDemand must be real probabilities (not strings or booleans). Got True instead."),
        ([0.5, 1], [0.5, 0.5], TypeError, "The 'values' parameter of FiniteDemand must be integer demand values. Got 0.5 instead."),
        ([1, 1], [0.5, 0.5], ValueError, "The 'values' parameter of FiniteDemand must be free of duplicates"),
    ],
)
def test_finite_demand_refuses_what_custom_refuses(values, probs, exc, fragment):
    with pytest.raises(exc, match=re.escape(fragment)):
        FiniteDemand(values, probs)


# ------------------------------------------------------------ float32's exact integers
def test_demand_beyond_float32_exact_integers_is_refused():
    assert MAX_EXACT_DEMAND == 16777216
    assert UniformDemand(0, 16777216).get_max_demand() == 16777216  # 2**24 itself is exact
    with pytest.raises(ValueError, match=re.escape("The 'high' parameter of UniformDemand must be at most 16777216 (float32")):
        UniformDemand(0, 16777217)
    with pytest.raises(ValueError, match="at most 16777216"):
        CustomDemand({16777217: 1.0})
    with pytest.raises(ValueError, match="at most 16777216"):
        TraceDemand([1, 16777217])
    with pytest.raises(ValueError, match="at most 16777216"):
        EmpiricalDemand([16777217])
    with pytest.raises(ValueError, match=re.escape("The 'rate' parameter of PoissonDemand must be <= 16744448")):
        PoissonDemand(2e7)
    with pytest.raises(ValueError, match="2\\*\\*24"):
        DiscretizedNormalDemand(2e7, 1.0)
    # a value at the limit is sampled exactly by both samplers
    d = CustomDemand({16777215: 0.5, 16777216: 0.5})
    assert set(d.sample_periods(64, 4, gen(0)).unique().tolist()) <= {16777215.0, 16777216.0}
    assert set(np.unique(d.sample_array(np.random.default_rng(0), 64, 4)).tolist()) == {16777215, 16777216}


def test_reference_sample_gives_integers():
    x = UniformDemand(1, 4).sample(1)
    assert x.dtype == torch.int64 and x.shape == (1, 1)
    assert type(x.item()) is int and 1 <= x.item() <= 4
    assert PoissonDemand(3.0).sample(5, 2, gen(0)).dtype == torch.int64
