"""The model-independent milestone engine on synthetic draws with known answers (no sampling)."""
import numpy as np
import pandas as pd
import pytest

from forecast.core.errors import MilestoneSpecError
from forecast.core.timeutil import first_passage_index, month_grid
from forecast.evaluation.milestones import evaluate, load_milestones, parse_milestone, state_probability, summarize_passage


def test_first_passage_index():
    hit = np.array([[0, 0, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0], [0, 1, 0, 1]], dtype=bool)
    assert first_passage_index(hit).tolist() == [2, 0, -1, 1]


def test_summary_known_answer():
    dates = month_grid("2026-01-15", "2026-12-31")  # Jan..Dec month ends
    assert len(dates) == 12 and dates[0] == pd.Timestamp("2026-01-31")
    # 10 draws passing in months 0..9 (one each): uniform passage
    hit = np.zeros((10, 12), dtype=bool)
    for i in range(10):
        hit[i, i:] = True
    s = summarize_passage(hit, dates, "2026-05-31")
    assert s.p_by_target == pytest.approx(0.5)  # months 0..4
    assert s.median == dates[4] and s.q10 == dates[0] and s.q90 == dates[8]
    assert s.p_by_horizon == 1.0


def test_summary_with_never_passing_draws():
    dates = month_grid("2026-01-01", "2026-06-30")
    hit = np.zeros((4, 6), dtype=bool)
    hit[0, 1:] = True  # one draw passes in Feb; three never
    s = summarize_passage(hit, dates, "2026-12-31")
    assert s.p_by_target == 0.25 and s.p_by_horizon == 0.25
    assert s.median is None and s.q90 is None  # beyond the horizon
    assert s.q10 == dates[1]


def test_state_probability_reads_target_month():
    dates = month_grid("2026-01-01", "2026-04-30")
    hit = np.array([[1, 0, 0, 0], [1, 1, 0, 0]], dtype=bool)
    assert state_probability(hit, dates, "2026-02-28") == 0.5
    assert state_probability(hit, dates, "2026-03-15") == 0.5  # last grid date not after target
    assert np.isnan(state_probability(hit, dates, "2025-12-31"))


class _Toy:
    """A stand-in model: the predicate becomes true when a per-draw random walk crosses a value."""

    diagnostics = None
    all_diagnostics: list = []
    upstream: dict = {}
    data_end = forecast_start = pd.Timestamp("2026-01-01")

    def __init__(self, passage_month):
        self.passage_month = np.asarray(passage_month)

    def paths(self, kind, params, dates, rng):
        return np.arange(len(dates))[None, :] >= self.passage_month[:, None]

    def static(self, kind, params):
        return np.array([True, False, False, False])

    def observed_passage(self, kind, params):
        return {"date": "2025-02-01", "source": "toy"} if params.get("flop", 0) < 1e20 else None


def _m(id_, kind, target, model="compute_trend", **params):
    return parse_milestone({"id": id_, "title": id_, "claim": "c", "source": "s", "target_date": target, "model": model,
                            "predicate": {"kind": kind, **params}, "status": "open"}, "t.yaml", 0)


def test_evaluate_modes_and_observed():
    ms = [_m("a", "compute_at_least", "2026-06-30", flop=1e27), _m("b", "compute_at_least", "2026-06-30", flop=1e10),
          _m("c", "doubling_time_at_most", "2026-06-30", model="densing", months=3.5),
          _m("d", "providers_between", "2027-06-30", model="market", lo=3, hi=5)]
    toy = _Toy(passage_month=np.arange(100) % 12)
    out = evaluate(ms, {"compute_trend": toy, "densing": toy}, "2026-12-31", seed=1).set_index("id")
    # passage months 0..11 uniformly; target June = month index 5 → 6/12
    assert out.loc["a", "p_by_target"] == pytest.approx(sum((np.arange(100) % 12) <= 5) / 100)
    assert out.loc["b", "status"] == "observed" and out.loc["b", "outcome"] == "yes"
    assert out.loc["c", "p_by_target"] == 0.25
    assert not out.loc["d", "forecast"] and "not part of this run" in out.loc["d", "note"]


def test_committed_milestones_validate():
    ms = load_milestones()
    ids = [m.id for m in ms]
    assert len(ids) == len(set(ids))
    kinds = {m.kind for m in ms}
    assert {"compute_at_least", "level_at_least", "share_at_least"} <= kinds
    flops = sorted(m.params["flop"] for m in ms if m.kind == "compute_at_least")
    assert flops == [1e26, 1e27, 1e28]


@pytest.mark.parametrize("patch, key", [
    ({"model": "oracle"}, "x.model"),
    ({"predicate": {"kind": "compute_at_least"}}, "x.predicate.flop"),
    ({"predicate": {"kind": "level_at_least", "tech": "moe", "level": "L9"}, "model": "convergence"}, "x.predicate.level"),
    ({"predicate": {"kind": "share_at_least", "tech": "moe", "value": 0.5}}, "x.model"),  # wrong model for predicate
    ({"target_date": "mid 2026"}, "x.target_date"),
    ({"status": "resolved"}, "x.resolution"),
])
def test_bad_milestone_records(patch, key):
    rec = {"id": "x", "title": "t", "claim": "c", "source": "s", "target_date": "2026-06-30",
           "model": "compute_trend", "predicate": {"kind": "compute_at_least", "flop": 1e27}, "status": "open", **patch}
    with pytest.raises(MilestoneSpecError) as e:
        parse_milestone(rec, "m.yaml", 0)
    assert e.value.key == key and "m.yaml" in str(e.value)
