"""Densing's derived quantities: trend lines, per-score densities, doubling times and the milestone answers."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.core.timeutil import years_since
from forecast.models.densing.curves import LN2, capability_curve, cohort_index, doubling_months, inverse_curve, log_density


class DensingDerived:
    """Mixin of `Densing`: what the milestone engine, the summary and the figures read from the posterior."""

    def _group_index(self, benchmark: str) -> int:
        b = benchmark.lower()
        groups = self.inputs["groups"]
        order = {src: i for i, src in enumerate(self.priors.settings.get("source_preference", []))}
        cand = [i for i, g in enumerate(groups) if g["benchmark"].lower() == b]
        if not cand:
            raise KeyError(f"densing has no group for benchmark {benchmark!r}; groups: {[g['label'] for g in groups]}")
        return min(cand, key=lambda i: order.get(groups[i]["source"], len(order)))

    def _curve_draws(self, gi: int, suffix: str = ""):
        return tuple(self.draws(v + suffix)[:, gi] for v in ("ceil_frac", "k", "m"))

    def line(self, gi: int, dates, suffix: str = "") -> np.ndarray:
        """Trend line L_g(t) of log density (draws × dates): the frontier (0.9-quantile) line by default, the typical
        fit's linear trend (without cohort effects) with suffix '_typ'."""
        x = self.inputs
        t = years_since(dates, x["t_ref"])
        out = self.draws("r" + suffix)[:, gi, None] * t[None, :]
        if x["use_break"]:
            out = out - self.draws("delta_break" + suffix)[:, None] * np.minimum(years_since(dates, x["t_break"]), 0.0)[None, :]
        return out

    def pooled_line(self, dates, suffix: str = "") -> tuple[np.ndarray, np.ndarray]:
        """The pooled trend of log density (draws × dates) at the pooled growth rate ln 2 / T, and that rate
        (per year, per draw); frontier by default, typical with suffix '_typ'."""
        x = self.inputs
        rate = 12 * LN2 / self.draws("T_months" + suffix)
        out = rate[:, None] * years_since(dates, x["t_ref"])[None, :]
        if x["use_break"]:
            out = out - self.draws("delta_break" + suffix)[:, None] * np.minimum(years_since(dates, x["t_break"]), 0.0)[None, :]
        return out, rate

    def cohorts_of(self, dates) -> np.ndarray:
        """Release cohort (index into the typical fit's `period_effect`) of each date."""
        s = self.priors.settings
        return cohort_index(dates, s["start_date"], s.get("period_months", 6))

    def model_log_density(self, suffix: str = "", clip: float = 0.01) -> np.ndarray:
        """Per-score log density ln N_eff − ln N_active (draws × obs) under each draw's curves; scores are
        clipped to [floor + clip, ceiling − clip] of the headroom so floor/ceiling scores stay finite."""
        x = self.inputs
        c, k, m = (self.draws(v + suffix)[:, x["g"]] for v in ("ceil_frac", "k", "m"))
        fl = x["floor"][x["g"]][None, :]
        span = (1.0 - fl) * c
        y = np.clip(x["score"][None, :], fl + clip * span, fl + (1 - clip) * span)
        return log_density(y, x["log_n"][None, :], fl, c, k, m)

    def smallest_model_for(self, benchmark: str, score: float, date) -> np.ndarray:
        """Draws of the smallest active parameter count reaching `score` on `benchmark` at `date` (frontier density; inf if above the ceiling)."""
        gi = self._group_index(benchmark)
        c, k, m = self._curve_draws(gi)
        need = inverse_curve(score, self.inputs["floor"][gi], c, k, m)
        return np.exp(need - self.line(gi, pd.DatetimeIndex([pd.Timestamp(date)]))[:, 0])

    def doubling_draws(self, suffix: str = "") -> dict[str, np.ndarray]:
        """Doubling time (months): overall (pooled) and per group, frontier ('') or typical ('_typ')."""
        out = {"overall": self.draws("T_months" + suffix)}
        r = self.draws("r" + suffix)
        for i, g in enumerate(self.inputs["groups"]):
            out[g["label"]] = doubling_months(r[:, i])
        return out

    # ---- derived quantities for the milestone engine
    def static(self, kind, params):
        if kind != "doubling_time_at_most":
            return super().static(kind, params)
        return self.draws("T_months") <= float(params["months"])

    def paths(self, kind, params, dates, rng):
        if kind != "open_model_score":
            return super().paths(kind, params, dates, rng)
        gi = self._group_index(params["benchmark"])
        c, k, m = self._curve_draws(gi)
        x = np.log(float(params["max_active_params"])) + self.line(gi, dates)
        reach = capability_curve(x, self.inputs["floor"][gi], c[:, None], k[:, None], m[:, None])
        return reach >= float(params["score"])

    def observed_passage(self, kind, params):
        if kind != "open_model_score":
            return None
        f = self.inputs["all"]
        hit = f[(f["benchmark"].str.lower() == params["benchmark"].lower()) & f["open_weights"].fillna(False).astype(bool)
                & (f["active_parameters"] <= float(params["max_active_params"])) & (f["score"] >= float(params["score"]))]
        if hit.empty:
            return None
        r = hit.sort_values("date").iloc[0]
        return {"date": r["date"].date().isoformat(),
                "source": f"data/benchmarks.csv ({r['source']}): {r['model']}, {r['active_parameters']:.3g} active parameters, "
                          f"{r['benchmark']} {r['score']:.3f} ({r['date_kind']} date)"}
