"""A repeated run reuses the previous run's prior-only answers for models whose code, priors and tables are
unchanged, and recomputes them for a model whose inputs changed."""
import copy
import dataclasses
import time

import pandas as pd

from forecast.evaluation import prior_only
from forecast.pipeline import prior_cache
from forecast.pipeline.store import finalize


def _count_prior_rows(monkeypatch) -> list:
    calls = []
    real = prior_only.prior_row

    def counting(m, *a, **k):
        calls.append(m.model)
        return real(m, *a, **k)
    monkeypatch.setattr(prior_only, "prior_row", counting)
    return calls


def test_repeated_run_reuses_prior_answers_of_unchanged_models(tmp_path, fitted, small_cfg, monkeypatch):
    models = {"compute_trend": fitted("compute_trend")}
    calls = _count_prior_rows(monkeypatch)
    first = finalize(models, small_cfg, {"compute_trend": {"total_s": 0.0}}, time.perf_counter(), out_dir=tmp_path)
    assert calls and set(calls) == {"compute_trend"}
    assert first.manifest["prior_keys"] == prior_cache.prior_keys(models, prior_only.PRIOR_DRAWS)

    calls.clear()
    second = finalize(models, small_cfg, {"compute_trend": {"total_s": 0.0}}, time.perf_counter(), out_dir=tmp_path)
    assert calls == []  # every answer came from the first run
    cols = ["id", "p_prior", "prior_median_date", "data_label"]
    pd.testing.assert_frame_equal(first.milestones[cols].reset_index(drop=True), second.milestones[cols].reset_index(drop=True))

    # another seed scores claims on other random numbers: nothing is reused
    calls.clear()
    finalize(models, dataclasses.replace(small_cfg, seed=small_cfg.seed + 1), {"compute_trend": {"total_s": 0.0}},
             time.perf_counter(), out_dir=tmp_path)
    assert calls


def test_prior_key_follows_priors_tables_and_upstream(fitted):
    m = fitted("compute_trend")
    base = prior_cache.prior_keys({"compute_trend": m}, 2000)["compute_trend"]
    assert prior_cache.prior_keys({"compute_trend": m}, 1000)["compute_trend"] != base

    shifted = copy.copy(m)  # the same model on a table with one value changed
    shifted.frames = {t: f.copy() for t, f in m.frames.items()}
    t = next(iter(shifted.frames))
    col = shifted.frames[t].select_dtypes("number").columns[0]
    shifted.frames[t].loc[0, col] = shifted.frames[t].loc[0, col] + 1
    assert prior_cache.prior_keys({"compute_trend": shifted}, 2000)["compute_trend"] != base

    downstream, downstream_shifted = copy.copy(m), copy.copy(m)
    downstream.upstream, downstream_shifted.upstream = {"compute_trend": m}, {"compute_trend": shifted}
    k1 = prior_cache.prior_keys({"d": downstream}, 2000)["d"]
    assert k1 != prior_cache.prior_keys({"d": downstream_shifted}, 2000)["d"]


def test_an_attached_posterior_takes_the_digest_its_run_recorded(tmp_path):
    import json

    import pytest

    from forecast.pipeline import store
    (tmp_path / "manifest.json").write_text(json.dumps({"prior_keys": {"m": "key"}, "posterior_digests": {"m": "abc"}}))

    class Attached:
        posterior_file = tmp_path / "m.nc"

        @property
        def idata(self):
            raise AssertionError("the posterior was read to be hashed")

    assert store._posterior_digest("m", Attached(), "key") == "abc"
    with pytest.raises(AssertionError):  # another prior key: the recorded digest does not apply, the draws are hashed
        store._posterior_digest("m", Attached(), "another key")
