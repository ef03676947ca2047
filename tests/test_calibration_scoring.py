"""Backtest scoring pieces on hand-made inputs: baseline error spreads, skill scores, crossing events, Brier,
climatology and reliability bins."""
import numpy as np
import pandas as pd
import pytest

from forecast.calibration.backtest_tables import events_summary, skill_table, summarize
from forecast.evaluation import baselines as bl
from forecast.evaluation import events as evt
from forecast.evaluation import scoring as ev


def test_error_model_recovers_random_walk_plus_noise():
    # y = random walk (variance 0.5 per year) + scatter (sd 0.3), monthly for 30 years. The persistence rule (last
    # year's mean) errs by the walk over h plus the half-year its mean lags and the scatter: variance ≈ a + b·h with
    # b = 0.5 and a ≈ 0.5/3 + 0.09. One path's estimate is noisy, so the check is on the average over 40 paths.
    a, b = [], []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        t = np.arange(0, 30, 1 / 12)
        y = np.cumsum(rng.normal(0, np.sqrt(0.5 / 12), t.size)) + rng.normal(0, 0.3, t.size)
        em = bl.fit_error_model(t, y, bl.persistence_point)
        assert em.n_errors > 100
        a.append(em.a)
        b.append(em.b)
    assert np.mean(b) == pytest.approx(0.5, abs=0.12)
    assert np.mean(a) == pytest.approx(0.5 / 3 + 0.09, abs=0.1)


def test_error_model_floor_and_short_history():
    t, y = np.array([0.0, 0.5, 1.0]), np.array([3.0, 3.0, 3.0])
    em = bl.fit_error_model(t, y, bl.persistence_point, floor=0.5)
    assert em.sd(0.0) == pytest.approx(0.5)  # a constant count still gets half a unit of spread
    d = bl.baseline_draws("persistence", t, y, [1.5, 2.0], 2000, np.random.default_rng(1), floor=0.5)
    assert np.isfinite(ev.log_score(d, [3.0, 4.0])).all()


def test_share_baselines_add_binomial_noise_and_stay_in_bounds():
    # a share stuck at 1.0 has no scatter of its own; measured on n = 50 models it still varies by sampling
    t, y = np.arange(0, 3, 0.25), np.ones(12)
    d = bl.baseline_draws("persistence", t, y, [3.25, 3.5], 20000, np.random.default_rng(2), sample_size=[50, 50])
    assert d.min() >= 0.0 and d.max() <= 1.0
    p = 1 - 1 / 52
    assert d[:, 0].std() == pytest.approx(np.sqrt(p * (1 - p) / 50) * np.sqrt(1 - 0.5), rel=0.35)  # half the mass clipped at 1
    assert np.isfinite(ev.log_score(d, [0.96, 0.98])).all() and ev.log_score(d, [0.96, 0.98]).max() < 10


def test_baseline_paths_are_joint_random_walks():
    # with no scatter, the walk makes later targets correlate with earlier ones: corr(x1, x2) = sqrt(h1/h2)
    rng = np.random.default_rng(3)
    t = np.arange(0, 20, 0.25)
    y = np.cumsum(rng.normal(0, 0.5, t.size))
    d = bl.baseline_draws("persistence", t, y, [t.max() + 1, t.max() + 4], 20000, rng)
    em = bl.fit_error_model(t, y, bl.persistence_point)
    expected = em.b * 1 / np.sqrt((em.a + em.b * 1) * (em.a + em.b * 4))
    assert np.corrcoef(d.T)[0, 1] == pytest.approx(expected, abs=0.03)


def test_linear_rule_uses_recent_years():
    t = np.arange(0, 10, 0.5)
    y = np.where(t < 6, 0.0, 2.0 * (t - 6))  # flat, then rising 2 per year over the last 4 years
    assert bl.linear_point(t, y, np.array([10.0]))[0] == pytest.approx(8.0, abs=1.0)


def test_skill_score_and_bootstrap_reference_values():
    m, b = np.array([1.0, 1.0, 2.0, 2.0]), np.array([2.0, 2.0, 2.0, 2.0])
    assert ev.skill_score(m, b) == pytest.approx(1 - 1.5 / 2.0)
    lo, hi = ev.paired_bootstrap(m, b, blocks=["a", "a", "b", "b"], n_boot=4000, rng=np.random.default_rng(0))
    # two blocks: resamples give skill 0.5 (aa), 0.25 (ab/ba) or 0 (bb)
    assert lo == pytest.approx(0.0) and hi == pytest.approx(0.5)
    # pooled over series in different units: the geometric mean of the ratios
    assert ev.pooled_skill([1.0, 100.0], [2.0, 50.0]) == pytest.approx(0.0)
    assert ev.pooled_skill([1.0, 1.0], [4.0, 4.0]) == pytest.approx(0.75)


def test_crossing_events_by_hand():
    h = np.array([0.25, 0.75, 1.5])
    y = np.array([1.0, 2.5, 0.0])
    paths = {"model": np.array([[0.0, 3.0, 0.0], [0.0, 0.0, 0.0], [2.1, 0.0, 0.0], [0.0, 0.0, 5.0]])}
    rows = {(r["horizon_years"], r["step"]): r for r in evt.crossing_events(h, y, paths, y0=1.0, s=1.0)}
    # up-event k=1 (x=2) within 6 months: target 1.0 only → no; paths crossing on the first target: one of four
    r = rows[(0.5, 1.0)]
    assert r["outcome"] == 0 and r["n_targets"] == 1 and r["p_model"] == pytest.approx((1 + 0.5) / 5)
    # within a year: 2.5 ≥ 2 → yes; paths 0 and 2 cross
    assert rows[(1.0, 1.0)]["outcome"] == 1 and rows[(1.0, 1.0)]["p_model"] == pytest.approx(2.5 / 5)
    # down-event k=−1 (x=0) within two years: 0.0 ≤ 0 → yes; every path has a zero
    assert rows[(2.0, -1.0)]["outcome"] == 1 and rows[(2.0, -1.0)]["p_model"] == pytest.approx(4.5 / 5)
    assert evt.crossing_events(h, y, paths, y0=1.0, s=0.0) == []


def test_brier_log_loss_climatology_reliability_by_hand():
    assert evt.brier([0.7, 0.2], [1, 0]).tolist() == pytest.approx([0.09, 0.04])
    assert evt.log_loss([0.8], [0])[0] == pytest.approx(-np.log(0.2))
    events = pd.DataFrame({"origin": ["a", "a", "b", "b"], "horizon_years": 1.0, "step": 1.0, "outcome": [1, 1, 0, 1]})
    # leave-one-origin-out: origin a sees b's 1 of 2, origin b sees a's 2 of 2 (Jeffreys-smoothed)
    assert evt.climatology(events).tolist() == pytest.approx([1.5 / 3, 1.5 / 3, 2.5 / 3, 2.5 / 3])
    rel = evt.reliability([0.05, 0.07, 0.95, 0.91, 0.93], [0, 1, 1, 1, 1], bins=10)
    assert rel["n"].tolist() == [2, 3] and rel["freq"].tolist() == pytest.approx([0.5, 1.0])
    assert rel["p_mean"].tolist() == pytest.approx([0.06, 0.93])
    assert (rel["freq_lo"] <= rel["freq"]).all() and (rel["freq"] <= rel["freq_hi"]).all()


def test_events_summary_known_brier():
    ev_ = pd.DataFrame({"origin": ["a", "b"], "horizon_years": [1.0, 1.0], "step": [1.0, 1.0], "outcome": [1, 0],
                        "p_model": [0.9, 0.2], "p_persistence": [0.5, 0.5]})
    s = events_summary(ev_).set_index(["method", "horizon"])
    assert s.loc[("model", "all"), "brier"] == pytest.approx((0.01 + 0.04) / 2)
    assert s.loc[("persistence", "all"), "brier"] == pytest.approx(0.25)
    # climatology with one other origin: a sees 0 of 1 → 0.25, b sees 1 of 1 → 0.75: Brier (0.5625 + 0.5625) / 2
    assert s.loc[("climatology", "all"), "brier"] == pytest.approx(0.5625)
    assert s.loc[("model", "all"), "brier_skill_vs_climatology"] == pytest.approx(1 - 0.025 / 0.5625)


def _scores():
    rows = []
    for origin, j, method, crps in [("o1", 0, "model", 1.0), ("o1", 0, "persistence", 2.0), ("o1", 0, "linear_trend", 4.0),
                                    ("o2", 0, "model", 3.0), ("o2", 0, "persistence", 2.0), ("o2", 0, "linear_trend", 4.0)]:
        rows.append({"origin": origin, "model": "m", "series": "s", "method": method, "target": j, "date": "2024-01-01",
                     "horizon_years": 0.3 if origin == "o1" else 1.5, "y": 1.0, "crps": crps, "log_score": 1.0,
                     "pit": 0.5, "cover50": 1.0, "cover80": 1.0, "cover95": 1.0})
    return pd.DataFrame(rows)


def test_skill_table_paired_by_band():
    sk = skill_table(_scores(), n_boot=500)
    row = sk[(sk["series"] == "s") & (sk["baseline"] == "persistence") & (sk["band"] == "all")].iloc[0]
    assert row["n"] == 2 and row["skill"] == pytest.approx(0.0)
    short = sk[(sk["series"] == "s") & (sk["baseline"] == "persistence") & (sk["band"] == "0-6 m")].iloc[0]
    assert short["n"] == 1 and short["skill"] == pytest.approx(0.5)
    pooled = sk[(sk["series"] == "(pooled)") & (sk["baseline"] == "linear_trend") & (sk["band"] == "all")].iloc[0]
    assert pooled["skill"] == pytest.approx(0.5)
    s = summarize(_scores())
    assert s[(s["series"] == "(pooled)")]["crps"].isna().all()  # raw CRPS is not pooled
