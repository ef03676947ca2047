"""Scaling law: derived maths on known parameters (no sampling), graph checks, one small real fit."""
import arviz as az
import numpy as np
import pytest
from scipy import optimize

from forecast.models.scaling_law import ScalingLaw
from forecast.data.tables import load_table


@pytest.fixture(scope="module")
def known():
    """A ScalingLaw with a fake posterior holding Hoffmann's point values (one chain, two identical draws)."""
    m = ScalingLaw({"scaling_runs": load_table("scaling_runs")})
    alpha, beta, A, B, E = 0.34, 0.28, 406.4, 410.7, 1.69
    x = m.inputs
    post = {"alpha": [[alpha, alpha]], "beta": [[beta, beta]], "log_E": [[np.log(E)] * 2],
            "a0": [[np.log(A) - alpha * x["logN0"]] * 2], "b0": [[np.log(B) - beta * x["logD0"]] * 2]}
    m.attach(az.from_dict(posterior=post))
    return m, (alpha, beta, A, B, E)


def test_parameters_round_trip(known):
    m, (alpha, beta, A, B, E) = known
    p = m.params()
    assert np.exp(p["logA"][0]) == pytest.approx(A) and np.exp(p["logB"][0]) == pytest.approx(B)
    assert p["E"][0] == pytest.approx(E)


def test_compute_optimal_matches_numeric_minimum(known):
    m, (alpha, beta, A, B, E) = known
    C = 1e24
    res = m.compute_optimal(C)

    def loss(logN):
        N = np.exp(logN)
        return E + A * N ** -alpha + B * (C / (6 * N)) ** -beta

    opt = optimize.minimize_scalar(loss, bounds=(np.log(1e8), np.log(1e13)), method="bounded")
    assert np.log(res["N_opt"][0, 0]) == pytest.approx(opt.x, abs=1e-3)
    assert res["loss"][0, 0] == pytest.approx(opt.fun, rel=1e-9)
    assert res["N_opt"][0, 0] * res["D_opt"][0, 0] * 6 == pytest.approx(C)
    # N_opt ∝ C^(β/(α+β)): doubling compute scales N by 2^a
    r2 = m.compute_optimal(2 * C)
    assert r2["N_opt"][0, 0] / res["N_opt"][0, 0] == pytest.approx(2 ** (beta / (alpha + beta)))


def test_predict_loss_hand_value(known):
    m, (alpha, beta, A, B, E) = known
    got = m.predict_loss([1e9], [2e10])[0, 0]
    assert got == pytest.approx(E + A * 1e9 ** -alpha + B * 2e10 ** -beta)


def test_graph_logp_finite():
    m = ScalingLaw({"scaling_runs": load_table("scaling_runs")})
    model = m.build_model()
    assert np.isfinite(model.compile_logp()(model.initial_point()))
    assert {"alpha", "beta", "log_E", "a0", "b0", "sigma"} <= {v.name for v in model.free_RVs} | {"nu"}


def test_small_fit_recovers_published_range(fitted):
    m = fitted("scaling_law")
    d = m.diagnostics
    assert d.n_chains == 2 and d.n_draws == m.draws_count() == 300 and np.isfinite(d.max_rhat)
    p = m.params()
    # the Epoch replication on the same digitized runs: alpha 0.348 (0.317-0.373), beta 0.366 (0.331-0.415), E 1.82
    assert 0.28 < np.median(p["alpha"]) < 0.42
    assert 0.28 < np.median(p["beta"]) < 0.45
    assert 1.6 < np.median(p["E"]) < 2.0
    rows = {r["quantity"]: r for r in m.summary()}
    assert "α (parameter exponent)" in rows and rows["α (parameter exponent)"]["seed_claim"]


def test_same_seed_same_numbers(fitted, small_cfg):
    m = fitted("scaling_law")
    again = ScalingLaw({"scaling_runs": load_table("scaling_runs")}, cfg=small_cfg)
    again.fit()
    np.testing.assert_array_equal(again.draws("alpha"), m.draws("alpha"))
