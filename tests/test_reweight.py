"""`forecast update` by importance reweighting: PSIS kernel reference values, adoption's data log-likelihood
against PyMC's, and an update that reweights (and one forced to refit) on a copy of the project."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forecast.core import config
from forecast.inference import importance
from forecast.pipeline import reweight as rw


def test_psis_resample_reference_normal():
    # proposal N(0, 1), likelihood N(1 | x, 1): the target is N(0.5, 0.5)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(20000)
    idx, info = importance.psis_resample(-0.5 * (1.0 - x) ** 2, np.random.default_rng(1))
    y = x[idx]
    assert abs(y.mean() - 0.5) < 0.02 and abs(y.var() - 0.5) < 0.03
    assert info["pareto_k"] < 0.5 and 0.5 * 20000 < info["ess"] < 20000 and info["n_unique"] < 20000
    assert np.all(np.diff(idx) >= 0)  # draw order kept: chains keep their own draws


def test_psis_resample_flat_weights_keep_every_draw():
    idx, info = importance.psis_resample(np.zeros(1000), np.random.default_rng(3))
    assert (idx == np.arange(1000)).all() and info["ess"] == pytest.approx(1000)


def test_psis_heavy_tail_flags_k():
    # proposal N(0, 1) for a target with heavier tails than it: the weights have a heavy right tail
    rng = np.random.default_rng(2)
    x = rng.standard_normal(4000)
    # (target N(0, 10²): theoretical k = 1 − 1/10² ≈ 0.99)
    _, info = importance.psis_resample(0.5 * x ** 2 - 0.5 * (x / 10) ** 2, np.random.default_rng(0))
    assert info["pareto_k"] > rw.K_MAX


def test_take_draws_keeps_shape_and_coords():
    ds = xr.Dataset({"a": (("chain", "draw", "k"), np.arange(12.0).reshape(2, 3, 2)), "b": (("k",), [5.0, 6.0])},
                    coords={"k": ["x", "y"]})
    out = importance.take_draws(ds, np.array([0, 0, 1, 3, 5, 5]))
    flat = ds["a"].values.reshape(6, 2)
    np.testing.assert_array_equal(out["a"].values.reshape(6, 2), flat[[0, 0, 1, 3, 5, 5]])
    assert out["a"].dims == ("chain", "draw", "k") and list(out["k"].values) == ["x", "y"] and (out["b"] == ds["b"]).all()


def test_base_run_follows_reuse_and_reweighting():
    assert rw.base_run({"run_id": "r3", "timings": {"a": {"sample_s": 1}}}, "a") == "r3"
    assert rw.base_run({"run_id": "r3", "timings": {"a": {"reused_from": "r1"}}}, "a") == "r1"
    assert rw.base_run({"run_id": "r3", "timings": {"a": {"reused_from": "r2", "base_run": "r1"}}}, "a") == "r1"


def test_adoption_data_loglik_matches_pymc(fitted):
    m = fitted("adoption")
    model = m.build_model()
    obs_logp = model.compile_logp(vars=model.observed_RVs, jacobian=False, sum=True)
    post = m.idata.posterior
    p = m.natural_draws(m.idata)
    ours = m.data_loglik(p)
    n_draw = post.sizes["draw"]
    for flat in (0, 7, n_draw + 11, 2 * n_draw - 1):
        c, d = divmod(flat, n_draw)
        point = {v.name: post[v.name].values[c, d] for v in model.value_vars}
        assert ours[flat] == pytest.approx(float(obs_logp(point)), rel=1e-9, abs=1e-6)


def test_adoption_reweighting_onto_its_own_data_is_the_identity(fitted):
    m = fitted("adoption")
    idata, info = m.reweighted_posterior(m, m.idata, np.random.default_rng(0))
    assert info["ess"] == pytest.approx(info["n_draws"])
    for v in ("r", "t0", "ceiling", "level_ref", "frame_offset"):
        np.testing.assert_allclose(idata.posterior[v].values, m.idata.posterior[v].values, rtol=1e-12, atol=1e-12)


def reweight_cfg(small_cfg):
    # importance weights keep a fraction of the base fit's effective draws: the base needs more than the smallest fit
    return small_cfg.replace(draws=900)


@pytest.fixture(scope="module")
def adoption_home(tmp_path_factory, fitted, small_cfg):
    fitted("convergence")  # adoption and convergence compiled once per test run
    root = tmp_path_factory.mktemp("rwhome")
    shutil.copytree(config.project_root() / "data", root / "data")
    shutil.copytree(config.project_root() / "priors", root / "priors")
    (root / "data" / "evidence" / "evidence.csv").unlink(missing_ok=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("FORECAST_HOME", str(root))
    from forecast.app import api
    api.run(["convergence"], reweight_cfg(small_cfg))
    yield root
    mp.undo()


def test_update_reweights_and_agrees_with_a_refit(adoption_home, small_cfg):
    from forecast.data import evidence
    from forecast.app import api
    # a count in a list the data never had: a new frame, whose offset comes from a spare (prior-only) slot
    evidence.append(evidence.make_row("count", observed_date="2026-09-30", period_start="2026-07-01", technology="moe",
                                      k=12, n=20, series="newlist", source="test"))
    parent = (adoption_home / "reports" / "latest").resolve()
    from unittest import mock

    from forecast.models.adoption import Adoption
    with mock.patch.object(Adoption, "build_model", side_effect=AssertionError("reweighting built the PyMC graph")):
        a, _ = api.update(parent, reweight_cfg(small_cfg))  # the monitored variables come from the base fit's diagnostics
    man = json.loads((a.path / "manifest.json").read_text())
    assert man["reweighted"] == ["adoption"] and man["refit"] == []
    # convergence reads adoption only in derived quantities: its own posterior is kept, what derives is recomputed
    assert man["rederived"] == ["convergence"] and man["milestones_reused"] == []
    conv = [xr.open_dataset(r / "convergence.nc", group="posterior") for r in (parent, a.path)]
    xr.testing.assert_identical(conv[0], conv[1])
    secs = [{s["name"]: s for s in json.loads((r / "figures" / "sections.json").read_text())["sections"]} for r in (parent, a.path)]
    assert secs[0]["convergence"]["key"] != secs[1]["convergence"]["key"]
    t = man["timings"]["adoption"]
    assert t["method"] == "reweighted" and t["base_run"] == parent.name and t["pareto_k"] <= rw.K_MAX
    post = a.models["adoption"].idata.posterior
    assert "moe|newlist" in post["frame_offset"].coords["frame_pair"].values.tolist()
    assert "reweighting" in (a.path / "report.md").read_text()
    b, _ = api.update(parent, reweight_cfg(small_cfg), reweight=False)
    man_b = json.loads((b.path / "manifest.json").read_text())
    assert man_b["refit"] == ["adoption"] and man_b["reweighted"] == []
    ma, mb = (pd.read_json(r.path / "milestones.json").set_index("id") for r in (a, b))
    moe = [i for i in ma.index if i.startswith("moe-") and ma.loc[i, "forecast"]]
    assert moe and (ma.loc[moe, "model"] == "adoption").any() and (ma.loc[moe, "model"] == "convergence").any()
    # the same posterior by two routes: agreement within the Monte-Carlo error of 2 × 600 draws
    assert np.abs(ma.loc[moe, "p_by_target"] - mb.loc[moe, "p_by_target"]).max() < 0.08
    # and the convergence milestones did move with adoption (they are recomputed, not copied from the parent)
    m0 = pd.read_json(parent / "milestones.json").set_index("id")
    conv = [i for i in ma.index if ma.loc[i, "model"] == "convergence" and ma.loc[i, "forecast"]]
    assert (ma.loc[conv, "p_by_target"] != m0.loc[conv, "p_by_target"]).any()
    # the next update still reweights the same base fit (no compounding), now with both rows
    evidence.append(evidence.make_row("count", observed_date="2026-06-30", period_start="2026-04-01", technology="moe",
                                      k=10, n=20, series="newlist", source="test"))
    c, _ = api.update(a.path, reweight_cfg(small_cfg))
    tc = json.loads((c.path / "manifest.json").read_text())["timings"]["adoption"]
    assert tc.get("method") == "reweighted" and tc["base_run"] == parent.name
