"""Compiling the next model while the current one samples (`schedule.fit_all`): same draws, errors surface, order respected."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from forecast.models import registry
from forecast.pipeline import schedule
from forecast.core.config import RunConfig
from forecast.core.errors import PriorSpecError


class _Fake:
    def __init__(self, name, requires, log, fitted, on_disk=True):
        self.name, self.requires, self.log, self.fitted, self.on_disk = name, requires, log, fitted, on_disk

    def compiled_on_disk(self):
        return self.on_disk

    def prepare_fit(self):
        # records which requirements had been fitted when this model was compiled
        self.log.append((self.name, threading.current_thread().name, {r: r in self.fitted for r in self.requires}))


def test_models_compile_in_worker_after_their_requirements():
    log, fitted = [], set()
    names = ["a", "b", "c", "d"]
    reqs = {"a": (), "b": (), "c": ("a",), "d": ("c",)}
    models = {n: _Fake(n, reqs[n], log, fitted) for n in names}
    with schedule._CompileAhead(models, names, RunConfig()) as ahead:
        for n in names:
            ahead.wait(n)
            time.sleep(0.01)
            fitted.add(n)
            ahead.fitted(n)
    assert [e[0] for e in log] == names
    assert all(e[1].startswith("forecast-compile") for e in log)
    assert all(all(ok.values()) for _, _, ok in log)  # never compiled before its requirements were fitted


def test_cold_models_compile_in_worker_processes_first(monkeypatch):
    import forecast.inference.compile_worker as cw
    calls = []

    def fake_worker(model, started):
        calls.append(model.name)
        if model.name == "a":
            raise RuntimeError("boom")
        return 1.5

    monkeypatch.setattr(cw, "run_worker", fake_worker)
    log = []
    models = {"a": _Fake("a", (), log, set(), on_disk=False), "b": _Fake("b", (), log, set(), on_disk=False),
              "c": _Fake("c", (), log, set()), "d": _Fake("d", ("c",), log, set(), on_disk=False)}
    with schedule._CompileAhead(models, list(models), RunConfig()) as ahead:
        for n in models:
            ahead.wait(n)
            ahead.fitted(n)
    # warm graphs and models reading an upstream posterior compile in the run only; a failed worker falls back to it
    assert sorted(calls) == ["a", "b"] and ahead.worker_s == {"b": 1.5} and ahead.cold.failed == {"a": "boom"}
    assert [e[0] for e in log] == ["a", "b", "c", "d"]
    monkeypatch.setenv("FORECAST_COMPILE_WORKERS", "0")
    calls.clear()
    with schedule._CompileAhead(models, list(models), RunConfig()) as ahead:
        for n in models:
            ahead.wait(n)
            ahead.fitted(n)
    assert calls == [] and not ahead.cold.futures


def test_no_worker_for_pymc_sampler():
    log = []
    models = {"a": _Fake("a", (), log, set())}
    with schedule._CompileAhead(models, ["a"], RunConfig(sampler="pymc")) as ahead:
        ahead.wait("a")
    assert log == [] and ahead.pool is None


def test_pipelined_fit_gives_the_same_draws(fitted, small_cfg):
    ref = fitted("scaling_law")  # fitted directly, no worker
    models = registry.build_models(["scaling_law", "compute_trend"], small_cfg)
    timings = schedule.fit_all(models, small_cfg, say=lambda m: None)
    for v in ("alpha", "beta"):
        np.testing.assert_array_equal(models["scaling_law"].idata.posterior[v].values, ref.idata.posterior[v].values)
    assert set(timings) == {"scaling_law", "compute_trend"}
    assert all(t["wait_s"] >= 0 and t["compile_s"] >= 0 for t in timings.values())
    assert not models["compute_trend"]._prebuilt  # the prepared graph was the one sampled


def test_worker_error_is_raised_typed(small_cfg, monkeypatch):
    models = registry.build_models(["scaling_law", "compute_trend"], small_cfg)

    def bad_build(**kw):
        raise PriorSpecError("bad prior", file="priors/compute_trend.yaml", key="sigma")

    monkeypatch.setattr(models["compute_trend"], "build_model", bad_build)
    with pytest.raises(PriorSpecError, match="bad prior"):
        schedule.fit_all(models, small_cfg, say=lambda m: None)


def test_fit_order_longest_sampling_first_after_requirements():
    req = {"a": (), "b": (), "c": ("a",), "d": ()}
    assert schedule.fit_order(list(req), req) == ["a", "b", "c", "d"]  # no timings: registry order
    assert schedule.fit_order(list(req), req, {"d": 30.0, "c": 50.0, "a": 1.0}) == ["d", "a", "c", "b"]
    assert schedule.fit_order(["c", "d"], req, {"c": 5.0}) == ["c", "d"]  # a requirement outside the list is not waited for


def test_last_sample_seconds_reads_latest_manifest(tmp_path):
    assert schedule.last_sample_seconds(tmp_path) == {}
    (tmp_path / "latest").mkdir()
    (tmp_path / "latest" / "manifest.json").write_text('{"timings": {"a": {"sample_s": 3.5}, "b": {"reused_from": "x"}}}')
    assert schedule.last_sample_seconds(tmp_path) == {"a": 3.5}
    (tmp_path / "latest" / "manifest.json").write_text("{not json")
    assert schedule.last_sample_seconds(tmp_path) == {}
