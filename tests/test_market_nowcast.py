"""Market's reporting delay and nowcast on synthetic data with a known delay, what a forecaster had at a date, and
bad rows of the snapshot table."""
import numpy as np
import pandas as pd
import pytest

from forecast.core.errors import DataValidationError
from forecast.data.build.market_vintages import MARKET_VINTAGES
from forecast.data.priors import load_priors
from forecast.data.schema import format_frame, read_csv
from forecast.models.market import definition as dfn
from forecast.models.market import vintages as vin
from forecast.models.market.process import simulate

SNAPS = [pd.Timestamp("2025-03-14"), pd.Timestamp("2025-11-01"), pd.Timestamp("2026-03-30")]
TRUE = {"delay_shape": 0.8, "delay_scale": 0.2, "backfill_rate": 0.15}
SETTINGS = {"domains": ["Language"], "window_months": 12, "rule": "relative", "oom": 1.0, "reference": "max",
            "delay_margin_oom": 0.5, "org_aliases": []}


def _synthetic_table(n=6000, seed=0) -> pd.DataFrame:
    """Models published 2018-2026, each in a snapshot with compute when its Weibull delay has passed and, for the
    older snapshots, unless a backfill (rate TRUE["backfill_rate"] per year to the newest) is still to come."""
    rng = np.random.default_rng(seed)
    start, end = pd.Timestamp("2018-01-01"), SNAPS[-1]
    pub = start + pd.to_timedelta(rng.uniform(0, (end - start).days, n), unit="D")
    delay = TRUE["delay_scale"] * rng.weibull(TRUE["delay_shape"], n)  # years
    rows = []
    for v in SNAPS:
        age = (v - pub).days.to_numpy() / 365.25
        gap = (SNAPS[-1] - v).days / 365.25
        here = (age > 0) & (delay <= age) & (rng.random(n) < np.exp(-TRUE["backfill_rate"] * gap))
        rows.append(pd.DataFrame({"vintage": v, "model": [f"m{i}" for i in np.flatnonzero(here)],
                                  "organization": "Lab", "publication_date": pub[here], "domain": "Language",
                                  "training_compute": 1e24}))
    t = pd.concat(rows, ignore_index=True)
    t["first_vintage_with_compute"] = t.groupby("model")["vintage"].transform("min")
    return t


def test_delay_recovered_from_synthetic_snapshots():
    obs = vin.delay_observations(_synthetic_table(), SETTINGS)
    assert set(obs["vintage"]) == set(SNAPS[:-1]) and (obs["age"] > 0).all() and (obs["age_ref"] > obs["age"]).all()
    groups = vin.delay_groups(obs)
    assert groups["n"].sum() == len(obs) and groups["hits"].sum() == obs["hit"].sum() and len(groups) < len(obs)
    got = vin.delay_map(groups, load_priors("market"))
    for months in (1, 3, 6, 12):
        a = months / 12
        assert vin.delay_cdf(a, got["delay_shape"], got["delay_scale"]) == pytest.approx(
            vin.delay_cdf(a, TRUE["delay_shape"], TRUE["delay_scale"]), abs=0.05), months
    assert got["backfill_rate"] == pytest.approx(TRUE["backfill_rate"], abs=0.04)


def _process(rng, quarters=16, mu=2.5, r=0.3, window=4):
    """True releases (organizations × quarters) of the provider process: Poisson(mu) new organizations a quarter, each
    active one releasing again with probability r."""
    rows, state = [], np.zeros(0, int)
    for q in range(quarters):
        for i in np.flatnonzero((state < window) & (rng.random(state.size) < r)):
            rows[i][q] = True
        for _ in range(rng.poisson(mu)):
            rows.append([False] * quarters)
            rows[-1][q] = True
        state = dfn.states(np.array(rows, bool)[:, :q + 1], window)[:, -1] if rows else state
    return np.array(rows, bool)


def test_nowcast_corrects_incomplete_quarters_on_average():
    """Releases of the last quarters are reported with the known delay; the nowcast at the true parameters is
    unbiased for the true count where the reported count is well below it."""
    w, q_all, d = 4, 16, 400
    quarters = pd.period_range("2022Q1", periods=q_all, freq="Q")
    snap = quarters[-1].start_time + pd.Timedelta(days=40)
    ages = vin.quarter_ages(quarters, snap, 13)
    shape, scale = 1.0, 0.3
    pi = vin.completeness(ages, shape, scale)
    assert pi[-1] < 0.3 and pi[-3] > 0.5  # the snapshot misses most of the last quarter
    params = {"log_level": np.full(d, np.log(2.5)), "trend": np.zeros(d), "overdispersion": np.full(d, 1e-3),
              "release_logit": np.full(d, np.log(0.3 / 0.7)), "release_decay": np.zeros(d),
              "delay_shape": np.full(d, shape), "delay_scale": np.full(d, scale)}
    rng = np.random.default_rng(7)
    errs_now, errs_seen = [], []
    for rep in range(120):
        true = _process(rng, q_all, window=w)
        seen = true & (rng.random(true.shape) < pi[None, :])  # one release per organization and quarter here
        s_true, s_seen = dfn.states(true, w), dfn.states(seen, w)
        tr = dfn.transitions(seen, w, first=w)
        x = {"window": w, "ages": ages[w:], "t": np.zeros(q_all - w), "count": tr["count"], "entries": tr["entries"],
             "panel": seen[:, w:], "states_before": s_seen[:, w - 1:-1]}
        now = simulate(params, x, 0, rng)
        truth = (s_true[:, -1] < w).sum()
        errs_now.append(now[:, -1].mean() - truth)
        errs_seen.append(tr["count"][-1] - truth)
    assert np.mean(errs_seen) < -1.0  # reading the incomplete quarter as it stands under-counts
    assert abs(np.mean(errs_now)) < 0.35 and abs(np.mean(errs_now)) < abs(np.mean(errs_seen)) / 3


def test_snapshot_a_forecaster_had():
    t = _synthetic_table(1500, seed=1)
    rows, end, how = vin.snapshot_at(t, "2025-07-01", TRUE)
    assert end == SNAPS[0] and (rows["vintage"] == SNAPS[0]).all() and "newest before" in how
    rows, end, how = vin.snapshot_at(t, None, TRUE)
    assert end == SNAPS[-1]
    rows, end, how = vin.snapshot_at(t, "2024-01-01", TRUE)
    assert end == pd.Timestamp("2023-12-31") and (rows["publication_date"] < pd.Timestamp("2024-01-01")).all()
    oldest = t[(t["vintage"] == SNAPS[0]) & (t["publication_date"] < pd.Timestamp("2024-01-01"))]
    age = (pd.Timestamp("2023-12-31") - oldest["publication_date"]).dt.days / 365.25
    recent, old = oldest[age < 0.1], oldest[age > 2]
    kept = set(rows["model"])
    assert recent["model"].isin(kept).mean() < 0.6 and old["model"].isin(kept).all()  # the cut misses the recent ones
    again, _, _ = vin.snapshot_at(t, "2024-01-01", TRUE)
    assert again["model"].tolist() == rows["model"].tolist()  # the same cut every time


def _write(tmp_path, frame) -> str:
    path = tmp_path / "market_vintages.csv"
    format_frame(frame).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("column, value, message", [
    ("training_compute", "lots", "expected a number"),
    ("publication_date", "2026-13-01", "expected an ISO date"),
    ("training_compute", "-5", "below minimum"),
])
def test_bad_cell_names_file_row_and_column(tmp_path, column, value, message):
    t = _synthetic_table(50, seed=2)[[c.name for c in MARKET_VINTAGES.columns]]
    raw = format_frame(t).astype(object)
    raw.loc[7, column] = value
    path = tmp_path / "market_vintages.csv"
    raw.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as e:
        read_csv(path, MARKET_VINTAGES)
    assert e.value.file == str(path) and e.value.row == 9 and e.value.column == column and message in str(e.value)


def test_row_checks_name_the_column(tmp_path):
    t = _synthetic_table(50, seed=3)[[c.name for c in MARKET_VINTAGES.columns]]
    late = t.copy()
    late.loc[4, "publication_date"] = late.loc[4, "vintage"] + pd.Timedelta(days=3)
    with pytest.raises(DataValidationError) as e:
        read_csv(_write(tmp_path, late), MARKET_VINTAGES)
    assert e.value.row == 6 and e.value.column == "publication_date" and "after the row's vintage" in str(e.value)
    early = t.copy()
    early["first_vintage_with_compute"] = pd.Timestamp("2026-03-30")
    with pytest.raises(DataValidationError) as e:
        read_csv(_write(tmp_path, early), MARKET_VINTAGES)
    assert e.value.column == "first_vintage_with_compute" and "before first_vintage_with_compute" in str(e.value)
