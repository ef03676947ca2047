"""Compute trend: frontier definition by hand, graph checks, small fit, milestone paths."""
import numpy as np
import pandas as pd
import pytest

from forecast.core.timeutil import month_grid
from forecast.core.timeutil import decimal_year
from forecast.models.compute_trend import ComputeTrend, frontier_mask
from forecast.data.tables import load_table


def test_frontier_mask_by_hand():
    dates = pd.Series(pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01", "2020-05-01"]))
    logc = pd.Series([22.0, 21.0, 23.0, 20.0, 22.5])
    # top-2 at release: 22 (yes), 21 (2nd of {22,21}: yes), 23 (yes), 20 (no: 23, 22 above), 22.5 (2nd: yes)
    assert frontier_mask(dates, logc, 2).tolist() == [True, True, True, False, True]
    assert frontier_mask(dates, logc, 1).tolist() == [True, False, True, False, False]


def test_decimal_year():
    assert decimal_year(["2024-01-01"])[0] == 2024.0
    assert decimal_year(["2023-07-02"])[0] == pytest.approx(2023 + 182 / 365)


def test_prepare_respects_as_of(small_cfg):
    frames = {"models": load_table("models")}
    m = ComputeTrend(frames, cfg=small_cfg.replace(as_of="2023-01-01"))
    assert m.data_end < pd.Timestamp("2023-01-01")
    assert m.inputs["frontier"]["publication_date"].max() < pd.Timestamp("2023-01-01")


def test_graph_logp_finite():
    m = ComputeTrend({"models": load_table("models")})
    model = m.build_model()
    assert np.isfinite(model.compile_logp()(model.initial_point()))


def test_small_fit_and_paths(fitted):
    m = fitted("compute_trend")
    g = 10 ** m.draws("growth_log10")
    assert 1.5 < np.median(g) < 20
    dates = month_grid(m.data_end, "2030-12-31")
    rng = np.random.default_rng(0)
    hit = m.paths("compute_at_least", {"flop": 1e27}, dates, rng)
    assert hit.shape[1] == len(dates) and hit.dtype == bool
    # running max is monotone: once true, stays true
    assert not (hit[:, :-1] & ~hit[:, 1:]).any()
    # a higher threshold is never reached earlier
    hit28 = m.paths("compute_at_least", {"flop": 1e28}, dates, rng)
    assert (hit28 <= hit).all()


def test_observed_passage_for_crossed_threshold(fitted):
    m = fitted("compute_trend")
    obs = m.observed_passage("compute_at_least", {"flop": 1e26})
    assert obs is not None and pd.Timestamp(obs["date"]) < pd.Timestamp("2026-01-01")
    assert "FLOP" in obs["source"]
    assert m.observed_passage("compute_at_least", {"flop": 1e29}) is None
