"""SBC helpers without sampling, and (slow) a few real simulations per spine model."""
import numpy as np
import pytest

from forecast.calibration.sbc import rank_statistic, uniformity_pvalue, verdict


def test_rank_statistic():
    post = np.arange(1000.0)
    assert rank_statistic(post, -1.0, 99) == 0
    assert rank_statistic(post, 2000.0, 99) == 99
    assert 45 <= rank_statistic(post, 500.0, 99) <= 54


def test_uniformity_detects_skew():
    rng = np.random.default_rng(0)
    uniform = rng.integers(0, 100, size=500)
    skewed = np.minimum(rng.exponential(15, size=500), 99).astype(int)
    assert uniformity_pvalue(uniform, 99) > 0.01
    assert uniformity_pvalue(skewed, 99) < 1e-6


def test_verdict_table():
    import pandas as pd
    rng = np.random.default_rng(1)
    r = pd.DataFrame({"parameter": ["a"] * 300 + ["b"] * 300, "sim": list(range(300)) * 2, "max_rank": 99,
                      "rank": np.r_[rng.integers(0, 100, 300), np.zeros(300, int)]})
    v = verdict(r).set_index("parameter")
    assert bool(v.loc["a", "uniform"]) and not bool(v.loc["b", "uniform"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["scaling_law", "compute_trend"])
def test_sbc_small(name, tmp_path):
    from forecast.core.config import RunConfig
    from forecast.calibration.sbc import run_sbc
    path, summary = run_sbc(name, 20, RunConfig(seed=3, chains=2, draws=300, tune=300), out_dir=tmp_path)
    assert (path / "ranks.png").exists() and len(summary) >= 3
    # 20 sims cannot prove uniformity, but gross miscalibration (all ranks at one end) must not happen
    assert summary["mean_rank_fraction"].between(0.15, 0.85).all()


def test_vector_parameters_ranked_by_element():
    import pymc as pm

    from forecast.inference.prior_predictive import parameter_values, prior_predictive_draw
    with pm.Model() as m:
        mu = pm.Normal("mu")
        pm.Beta("share", 2.0, 3.0, shape=3)
        y = pm.Data("y", np.zeros(5))
        pm.Normal("obs", mu, 1.0, observed=y)
    truth, data = prior_predictive_draw(m, seed=4)
    assert set(truth) == {"mu", "share[0]", "share[1]", "share[2]"}
    assert all(np.isfinite(v) for v in truth.values()) and 0 < truth["share[1]"] < 1
    assert data["y"].shape == (5,) and not np.allclose(data["y"], 0)
    with m:
        prior = pm.sample_prior_predictive(draws=4, random_seed=1)
    assert parameter_values(prior.prior, "share[2]").shape == (4,)
    assert np.allclose(parameter_values(prior.prior, "share[2]"), prior.prior["share"].values[0, :, 2])


def test_model_with_potential_is_refused():
    import pymc as pm

    from forecast.core.errors import RunError
    from forecast.inference.prior_predictive import prior_predictive_draw
    with pm.Model() as m:
        mu = pm.Normal("mu")
        pm.Potential("soft", -mu ** 2)
    with pytest.raises(RunError, match="potentials"):
        prior_predictive_draw(m, seed=0)
