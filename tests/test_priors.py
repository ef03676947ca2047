"""Prior YAML loader: every committed prior file validates; bad specs raise PriorSpecError naming file and key."""
from pathlib import Path

import pytest

from forecast.core import config
from forecast.core.errors import PriorSpecError
from forecast.data.priors import DISTRIBUTIONS, load_priors, validate_entry

GOOD = {"distribution": "Normal", "params": {"mu": 0.0, "sigma": 1.0}, "source": "x", "rationale": "y"}


def _write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "m.yaml").write_text(body)
    return tmp_path


@pytest.mark.parametrize("path", sorted(p for p in config.priors_dir().glob("*.yaml")
                                        if p.stem not in ("technologies", "levels")), ids=lambda p: p.stem)
def test_committed_prior_files_validate(path):
    ps = load_priors(path.stem)
    assert ps.parameters, "a prior file without parameters"
    for spec in ps.parameters.values():
        assert spec.source and spec.rationale


def test_unknown_distribution_names_valid_choices():
    with pytest.raises(PriorSpecError) as e:
        validate_entry("alpha", {**GOOD, "distribution": "Cauchyish"}, "p.yaml")
    assert "alpha" in str(e.value) and "p.yaml" in str(e.value) and "Normal" in str(e.value)


@pytest.mark.parametrize("params, key", [
    ({"mu": 0.0}, "alpha.params"),                      # missing sigma
    ({"mu": 0.0, "sigma": -1.0}, "alpha.params.sigma"),  # negative scale
    ({"mu": 0.0, "sigma": "wide"}, "alpha.params.sigma"),
    ({"mu": 0.0, "sigma": 1.0, "tau": 2.0}, "alpha.params"),  # unknown parameter
])
def test_invalid_parameters(params, key):
    with pytest.raises(PriorSpecError) as e:
        validate_entry("alpha", {**GOOD, "params": params}, "p.yaml")
    assert e.value.key == key


@pytest.mark.parametrize("field", ["source", "rationale"])
def test_missing_source_or_rationale(field):
    entry = {k: v for k, v in GOOD.items() if k != field}
    with pytest.raises(PriorSpecError, match=field):
        validate_entry("alpha", entry, "p.yaml")


def test_truncation_bounds_ordered():
    with pytest.raises(PriorSpecError, match="lower"):
        validate_entry("a", {**GOOD, "distribution": "TruncatedNormal", "params": {"mu": 0, "sigma": 1, "lower": 2, "upper": 1}}, "p.yaml")


def test_load_file_errors(tmp_path):
    with pytest.raises(PriorSpecError, match="not found"):
        load_priors("nope", tmp_path)
    _write(tmp_path, "parameters: [1, 2]\n")
    with pytest.raises(PriorSpecError, match="parameters"):
        load_priors("m", tmp_path)
    _write(tmp_path, "parameters:\n  a: {distribution: Beta, params: {alpha: 2, beta: 2}, source: s, rationale: r}\n")
    with pytest.raises(PriorSpecError) as e:
        load_priors("m", tmp_path, required=("b",))
    assert e.value.key == "b"


def test_scientific_notation_reads_as_number(tmp_path):
    _write(tmp_path, "settings: {N0: 5.0e8}\nparameters:\n  a: {distribution: Normal, params: {mu: 1e2, sigma: 1}, source: s, rationale: r}\n")
    ps = load_priors("m", tmp_path)
    assert ps.settings["N0"] == 5e8 and ps["a"].params["mu"] == 100.0


@pytest.mark.parametrize("dist", sorted(DISTRIBUTIONS))
def test_prior_mean_matches_scipy(dist):
    params = {"Normal": {"mu": 1, "sigma": 2}, "HalfNormal": {"sigma": 2}, "LogNormal": {"mu": 0.1, "sigma": 0.5},
              "StudentT": {"nu": 5, "mu": 1, "sigma": 2}, "HalfStudentT": {"nu": 5, "sigma": 1},
              "TruncatedNormal": {"mu": 0.3, "sigma": 0.2, "lower": 0.0}, "Beta": {"alpha": 2, "beta": 5},
              "Gamma": {"alpha": 2, "beta": 0.5}, "Exponential": {"lam": 2}, "Uniform": {"lower": -1, "upper": 3},
              "Exponential1p": {"lam": 0.5}}[dist]
    spec = validate_entry("x", {"distribution": dist, "params": params, "source": "s", "rationale": "r"}, "p.yaml")
    if dist == "HalfStudentT":
        return
    assert spec.mean() == pytest.approx(spec.to_scipy().mean(), rel=1e-6)
