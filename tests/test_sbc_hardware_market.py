"""SBC for hardware (generative: PyMC's prior predictive) and market (its own simulator of the provider process and
the delay observations, whose likelihood term is a Potential)."""
import numpy as np
import pytest

from forecast.core.config import RunConfig
from forecast.models.registry import build_models
from forecast.inference.prior_predictive import observed_data_names, scalar_parameters

# the pm.Data holding each model's observations
OBSERVED_DATA = {"hardware": ("y", "yp"), "market": ("entries", "at_risk", "released", "delay_hits")}


def _model(name):
    m = build_models([name], RunConfig(seed=3), evidence=False)[name]
    return m, m.build_model()


def _ranked(model) -> set[str]:
    """The parameter names SBC ranks (forecast.calibration.sbc's convention: scalars, and `name[i]` for small vectors)."""
    import warnings

    import pymc as pm
    with warnings.catch_warnings():  # market's delay Potential: irrelevant here, only the names are used
        warnings.simplefilter("ignore", UserWarning)
        prior = pm.sample_prior_predictive(draws=1, model=model, random_seed=0)
    return set(scalar_parameters(model, prior))


@pytest.mark.parametrize("name", sorted(OBSERVED_DATA))
def test_sbc_draw_truths_and_data(name):
    m, model = _model(name)
    truth, data = m.sbc_draw(model, seed=11)
    assert set(truth) == _ranked(model) and all(np.isfinite(v) for v in truth.values())
    current = {d.name: np.asarray(d.get_value()) for d in model.data_vars}
    assert set(data) == set(current)  # a complete data set for `with_data`
    for k in OBSERVED_DATA[name]:
        assert data[k].shape == current[k].shape and data[k].dtype == current[k].dtype
        assert np.isfinite(data[k]).all() and not np.array_equal(data[k], current[k])  # simulated, not the real data
    again, _ = m.sbc_draw(model, seed=11)
    other, _ = m.sbc_draw(model, seed=12)
    assert again == truth and other != truth


def test_hardware_uses_the_default_generative_path():
    _, model = _model("hardware")
    assert not model.potentials
    assert observed_data_names(model) == {"obs": "y", "obs_ppd": "yp"}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(OBSERVED_DATA))
def test_sbc_small_run(name, tmp_path):
    from forecast.calibration.sbc import run_sbc
    path, summary = run_sbc(name, 10, RunConfig(seed=3, chains=2, draws=300, tune=300), out_dir=tmp_path)
    for f in ("ranks.csv", "summary.csv", "ranks.png", "manifest.json"):
        assert (path / f).exists()
    assert set(summary["parameter"]) == _ranked(_model(name)[1])
    # 10 sims cannot prove uniformity, but gross miscalibration (ranks piled at one end) must not happen
    assert summary["mean_rank_fraction"].between(0.1, 0.9, inclusive="neither").all()
