"""Pyramid fitted from data: S/K measurements from variant counts, data labels, and prior-only probabilities."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.core.config import RunConfig
from forecast.evaluation.milestones import Milestone, PREDICATES
from forecast.evaluation.prior_only import add_prior_columns, mcse, moved, prior_row
from forecast.models.base import ForecastModel
from forecast.models.convergence.measurements import dirichlet_sk, judgement_measurements, last_year, variant_measurements
from forecast.models.registry import build_models


def test_dirichlet_sk_hand_values():
    rng = np.random.default_rng(0)
    s, k = dirichlet_sk(np.array([400, 0, 0]), rng)
    assert np.median(s) > 0.99 and np.median(k) < 0.05  # one variant: standardized, no controversy
    s, k = dirichlet_sk(np.array([200, 200]), rng)
    assert abs(np.median(s) - 0.5) < 0.05 and np.median(k) > 0.98  # even split: the most contested
    s, k = dirichlet_sk(np.array([3, 1]), rng)
    assert 0.55 < np.median(s) < 0.85 and np.std(s) > 0.1  # few models: wide
    with pytest.raises(ValueError):
        dirichlet_sk(np.array([5]), rng)


def _variants(rows):
    f = pd.DataFrame(rows, columns=["technology", "series", "period_start", "period_end", "variant", "k", "source"])
    f[["period_start", "period_end"]] = f[["period_start", "period_end"]].apply(pd.to_datetime)
    return f


def test_variant_measurements_use_the_last_year_and_skip_single_variants():
    v = _variants([
        ("moe", "a", "2023-01-01", "2023-06-30", "x", 50, "s"),  # older than a year before the last period: ignored
        ("moe", "a", "2025-01-01", "2025-06-30", "y", 30, "s"),
        ("moe", "a", "2025-07-01", "2025-12-31", "y", 30, "s"),
        ("moe", "a", "2025-07-01", "2025-12-31", "x", 2, "s"),
        ("long_context", "a", "2025-01-01", "2025-12-31", "only", 9, "s"),  # one variant ever: no S/K measurement
        ("warp_drive", "a", "2025-01-01", "2025-12-31", "x", 9, "s"),  # not in the registry: ignored
    ])
    assert len(last_year(v[v["technology"] == "moe"])) == 3
    m = variant_measurements(v, ["moe", "long_context"], seed=1)
    assert set(m["technology"]) == {"moe"} and set(m["component"]) == {"standardization", "controversy"}
    row = m[m["component"] == "standardization"].iloc[0]
    assert row["dominant"] == "y" and row["n_models"] == 62 and row["m"] > 2.0  # logit of S ≈ 60/62
    assert (m["s"] > 0).all()
    again = variant_measurements(v, ["moe", "long_context"], seed=1)
    pd.testing.assert_frame_equal(m, again)  # seeded: the same numbers every run
    assert variant_measurements(v, ["moe"], seed=1, as_of="2025-07-01")["n_models"].iloc[0] == 30


def test_judgement_measurements():
    j = pd.DataFrame({"technology": ["moe", "moe"], "attribute": ["standardization", "maturity"], "share": [0.5, 0.5],
                      "share_lo": [0.3, 0.3], "share_hi": [0.7, 0.7], "id": ["ev-1", "ev-2"]})
    m = judgement_measurements(j, ["attention", "moe"], ["standardization", "controversy"], 1.2816)
    assert len(m) == 1 and m["tech"].iloc[0] == 1 and m["m"].iloc[0] == pytest.approx(0.0)
    assert m["s"].iloc[0] == pytest.approx(2 * np.log(0.7 / 0.3) / (2 * 1.2816))


@pytest.fixture(scope="module")
def pyramid():
    return build_models(["convergence"], RunConfig(), evidence=False)


def test_data_labels(pyramid):
    ad, cv = pyramid["adoption"], pyramid["convergence"]
    cv.upstream = {"adoption": ad}
    assert ad.data_label("share_at_least", {"tech": "moe"}) == "observed"
    assert ad.data_label("share_at_least", {"tech": "adamw"}) == "prior only"
    assert ad.data_label("share_at_least", {"tech": "mcp"}) == "partly observed"  # growth series: timing, not level
    assert cv.data_label("level_at_least", {"tech": "moe"}) == "observed"  # adoption, S and K all measured
    assert cv.data_label("level_at_least", {"tech": "adamw"}) == "prior only"
    assert cv.data_label("level_at_least", {"tech": "reasoning"}) == "partly observed"  # adoption only
    with pytest.raises(KeyError):
        ad.data_label("share_at_least", {"tech": "warp_drive"})


def test_no_prior_is_centred_on_a_seed_value(pyramid):
    cv = pyramid["convergence"]
    # S and K priors are population parameters, not per-technology values taken from the seeds
    names = set(cv.priors.parameters)
    assert not any(t in n for n in names for t in cv.inputs["techs"])


class _Toy(ForecastModel):
    """θ ~ Normal(0, 1); the claim 'θ ≤ x' has prior probability Φ(x)."""
    name = "densing"  # answers the doubling_time_at_most predicate of the engine
    tables = ()
    title = "toy"

    def prepare(self, frames):
        return {}

    def build_model(self):
        import pymc as pm
        with pm.Model() as m:
            pm.Normal("T_months", 0.0, 1.0)
        return m

    def static(self, kind, params):
        return self.draws("T_months") <= float(params["months"])


def test_prior_only_probability_on_a_known_answer():
    from forecast.data.priors import PriorSet
    toy = _Toy({}, PriorSet("toy", "toy.yaml", "0", {}, {}), RunConfig(seed=3))
    prior = toy.prior_model(4000, 3)
    assert prior.prior_only and prior.idata.posterior.sizes["draw"] == 4000
    m = Milestone("toy-claim", "t", "c", "s", pd.Timestamp("2030-01-01"), "densing",
                  {"kind": "doubling_time_at_most", "months": 1.0}, "open")
    assert PREDICATES["doubling_time_at_most"][1] == "static"
    p = prior_row(m, prior, "2032-12-31", 3)["p_prior"]
    assert p == pytest.approx(0.8413, abs=3 * np.sqrt(0.84 * 0.16 / 4000))
    # the posterior copy is left alone: a model whose posterior is its prior is "not moved by the data"
    toy.idata = prior.idata
    table = pd.DataFrame([{"id": "toy-claim", "p_by_target": p, "status": "open", "data_label": None,
                           "p_prior": None, "prior_median_date": None, "mcse": None, "data_moved": None}])
    out = add_prior_columns(table, [m], {"densing": toy}, {"densing": prior}, "2032-12-31", 3, 4000)
    assert out["data_label"].iloc[0] == "observed" and out["data_moved"].iloc[0] is False
    assert out["p_prior"].iloc[0] == pytest.approx(p)


def test_monte_carlo_error_and_moved():
    assert mcse(0.5, 400) == pytest.approx(np.sqrt((0.25 + 1 / 400) / 400))
    assert mcse(None, 400) is None
    assert moved(0.50, mcse(0.50, 400), 0.52, 2000) is False  # within Monte Carlo error
    assert moved(0.90, mcse(0.90, 400), 0.40, 2000) is True
    assert moved(1.0, 0.0, 0.0, 2000) is True
