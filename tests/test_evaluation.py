"""Scoring kernels against reference values (closed forms), no sampling."""
import numpy as np
import pytest
from scipy import stats

from forecast.evaluation import scoring as ev
from forecast.evaluation.baselines import baseline_draws


def test_crps_normal_closed_form():
    # CRPS of N(mu, s) at y: s * [z(2Φ(z) − 1) + 2φ(z) − 1/√π]
    rng = np.random.default_rng(0)
    draws = rng.normal(1.0, 2.0, size=200_000)
    y = 2.5
    z = (y - 1.0) / 2.0
    exact = 2.0 * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))
    assert ev.crps(draws, y)[0] == pytest.approx(exact, rel=5e-3)


def test_crps_degenerate_and_two_point():
    assert ev.crps(np.full(10, 3.0), 5.0)[0] == pytest.approx(2.0)  # point forecast: |x − y|
    # draws {0, 1}: E|X−y| at y=0 is 0.5; E|X−X'| = 0.5 → CRPS 0.25
    assert ev.crps(np.array([0.0, 1.0]), 0.0)[0] == pytest.approx(0.25)


def test_pit_and_coverage():
    draws = np.arange(100.0)
    assert ev.pit(draws, 49.5)[0] == pytest.approx(0.5)
    assert ev.covered(draws, 50.0, 0.8)[0] and not ev.covered(draws, 99.0, 0.8)[0]
    d2 = np.column_stack([draws, draws + 1000])
    assert ev.covered(d2, [50.0, 50.0], 0.95).tolist() == [True, False]


def test_log_score_normal_and_discrete():
    rng = np.random.default_rng(1)
    draws = rng.normal(size=50_000)
    assert ev.log_score(draws, 0.0)[0] == pytest.approx(-stats.norm.logpdf(0.0), abs=0.02)
    d = np.array([0, 0, 1, 1, 1, 2])
    # y=1: (3 + 1) / (6 + 3 support values) = 4/9
    assert ev.log_score(d, 1, discrete=True)[0] == pytest.approx(-np.log(4 / 9))


def test_baselines_centre_and_width():
    rng = np.random.default_rng(2)
    t = np.arange(10.0)
    y = 2.0 * t + 1.0
    lin = baseline_draws("linear_trend", t, y + rng.normal(0, 0.1, 10), [12.0], 4000, rng)
    assert np.median(lin) == pytest.approx(25.0, abs=0.3)
    noisy = y + rng.normal(0, 0.5, 10)
    per = baseline_draws("persistence", t, noisy, [12.0, 20.0], 4000, rng)
    assert np.median(per[:, 0]) == pytest.approx(noisy[-2:].mean(), abs=0.15)
    assert per[:, 1].std() > per[:, 0].std()  # wider further out
