"""The market model: the provider process fitted to quarterly entries and re-releases, with the reporting delay."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.core.timeutil import decimal_year
from forecast.data.build.market_vintages import MARKET_VINTAGES  # noqa: F401  (importing it registers the table's schema)
from forecast.models.base import ForecastModel
from forecast.models.market import definition as dfn
from forecast.models.market import vintages as vin
from forecast.models.market.process import COUNT_PARAMETERS, simulate, simulate_observed, simulate_prior

# the graph reads ages as logs (and each quarter date's weight in the quarter's mean, 0 after the snapshot)
DATA_VARS = ("t", "log_ages", "age_weight", "entries", "at_risk", "released", "delay_log_age", "delay_log_age_ref",
             "delay_gap", "delay_n", "delay_hits")


def quarter_end(periods: pd.PeriodIndex) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(periods.end_time.normalize())


class Market(ForecastModel):
    """Count of foundation-model providers: organizations with a Language/Multimodal model within an order of magnitude of the running frontier compute in the trailing 12 months (Epoch AI snapshots 2025-03 to 2026-03). Quarterly entries of organizations and re-releases by those already counted are modelled as independent counts given each quarter's start (negative binomial entries with a log-linear trend, re-release probabilities by quarters since the last release); the count's last quarters, incomplete because Epoch adds models and compute estimates late, are nowcast with a reporting delay measured by comparing the snapshots. Forecasts are joint paths of that process."""

    name = "market"
    title = "Foundation-model providers"
    tables = ("market_vintages",)
    typical_sample_s = 3.0

    # ---- data contract
    def prepare(self, frames):
        s = self.priors.settings
        table = frames["market_vintages"]
        delay_obs = vin.delay_observations(table, s)
        groups = vin.delay_groups(delay_obs)
        delay_hat = vin.delay_map(groups, self.priors)
        rows, snap, how = vin.snapshot_at(table, self.cfg.as_of, delay_hat)
        w = dfn.window_quarters(s)
        elig = dfn.eligible_models(rows, s)
        first = pd.Period(pd.Timestamp(s["start_date"]), freq="Q")
        every = pd.period_range(first - w, pd.Period(snap, freq="Q"), freq="Q")
        orgs, panel = dfn.release_panel(elig, every, s)
        tr = dfn.transitions(panel, w, first=w)
        quarters = every[w:]
        states_all = dfn.states(panel, w)
        ages_all = vin.quarter_ages(every, snap, int(s.get("delay_points", 13)))
        pi_all = vin.completeness(ages_all, delay_hat["delay_shape"], delay_hat["delay_scale"])
        # a count at a quarter end holds the releases of the window's quarters: its completeness is their mean
        count_pi = np.convolve(pi_all, np.ones(w) / w, mode="valid")[1:]
        mid = quarters.start_time + (quarters.end_time - quarters.start_time) / 2
        ends = quarter_end(quarters)
        counts = pd.DataFrame({"quarter_end": ends, "count": tr["count"], "entries": tr["entries"],
                               "completeness": count_pi, "complete": count_pi >= float(s.get("complete_at", 0.95))})
        counts["providers"] = ["; ".join(o for o, on in zip(orgs, states_all[:, w + j] < w) if on) for j in range(len(quarters))]
        return {
            "quarters": quarters, "t": decimal_year(mid) - float(s["t_ref"]), "window": w,
            "entries": tr["entries"].astype(np.int64), "at_risk": tr["at_risk"].astype(np.int64),
            "released": tr["released"].astype(np.int64), "count": tr["count"].astype(np.int64),
            "panel": panel[:, w:], "states_before": states_all[:, w - 1:-1], "orgs": orgs,
            "ages": ages_all[w:], "delay_obs": delay_obs, "delay_map": delay_hat,
            **{f"delay_{c}": groups[c].to_numpy(np.int64 if c in ("n", "hits") else float) for c in groups.columns},
            "log_ages": np.log(np.maximum(ages_all[w:], 1e-9)), "age_weight": (ages_all[w:] > 0) / ages_all.shape[1],
            "delay_log_age": np.log(groups["age"].to_numpy(float)), "delay_log_age_ref": np.log(groups["age_ref"].to_numpy(float)),
            "counts": counts, "snapshot_date": snap, "snapshot": how, "eligible": elig, "rows": rows,
            "language_orgs": dfn.language_orgs_per_year(rows, dfn.aliases_of(s)),
        }

    # ---- priors + likelihood
    def build_model(self):
        import pymc as pm
        import pytensor.tensor as pt

        x = self.inputs
        with pm.Model() as model:
            d = {n: pm.Data(n, x[n]) for n in DATA_VARS}
            a = self.priors.rv("log_level")
            b = self.priors.rv("trend")
            od = self.priors.rv("overdispersion")
            rho = self.priors.rv("release_logit")
            kappa = self.priors.rv("release_decay")
            shape = self.priors.rv("delay_shape")
            scale = self.priors.rv("delay_scale")
            backfill = self.priors.rv("backfill_rate")
            log_scale = pt.log(scale)

            def z(log_age):  # (age/scale)^shape; F(age) = 1 − exp(−z)
                return pt.exp(shape * (log_age - log_scale))

            pi = pt.maximum((-pt.expm1(-z(d["log_ages"])) * d["age_weight"]).sum(axis=1), 1e-9)
            # the three likelihood terms as log-density kernels (terms of the data alone dropped): the same
            # posterior as observed NegBinomial / Binomial variables at a fraction of the cost per gradient
            mu = pt.exp(a + b * d["t"]) * pi
            alpha = 1.0 / od**2
            y = d["entries"]
            pm.Potential("entries_obs", pt.sum(pt.gammaln(y + alpha) - pt.gammaln(alpha) + alpha * pt.log(alpha)
                                               + y * pt.log(mu) - (y + alpha) * pt.log(mu + alpha)))
            r = pm.math.sigmoid(rho + kappa * np.arange(x["window"], dtype=float))
            p_rel = r[None, :] * pi[:, None]
            m, n_k = d["released"], d["at_risk"]
            pm.Potential("released_obs", pt.sum(m * pt.log(p_rel) + (n_k - m) * pt.log1p(-p_rel)))
            # delay observations: hits ~ Binomial(n, p), log p = log F(age) − log F(age_ref) − backfill·gap
            log_f_old = pt.log(-pt.expm1(-z(d["delay_log_age"])))
            log_f_new = pt.log(-pt.expm1(-z(d["delay_log_age_ref"])))
            log_p = pt.minimum(log_f_old - log_f_new - backfill * d["delay_gap"], -1e-12)
            k, n = d["delay_hits"], d["delay_n"]
            pm.Potential("delay_obs", pt.sum(k * log_p + (n - k) * pt.log(-pt.expm1(log_p))))
        return model

    @property
    def monitor(self):
        return [*COUNT_PARAMETERS, *vin.DELAY_PARAMETERS]

    # ---- simulation-based calibration
    def sbc_draw(self, model, seed):
        """θ* from the priors; entries, states at risk, re-releases and delay hits from the likelihood's own process."""
        import pymc as pm

        free = model.free_RVs
        values = {rv.name: np.asarray(v, float) for rv, v in zip(free, pm.draw(free, random_seed=seed))}
        data = {dv.name: np.asarray(dv.get_value()) for dv in model.data_vars}
        sim = simulate_observed(values, self.inputs, np.random.default_rng([seed, 1]))
        for k, v in sim.items():
            data[k] = v.astype(data[k].dtype)
        return {name: float(v) for name, v in values.items()}, data

    @property
    def data_end(self) -> pd.Timestamp:
        return self.inputs["snapshot_date"]

    @property
    def forecast_start(self) -> pd.Timestamp:
        """The day after the last complete quarter: later quarters are nowcast, so claims dated there are answered
        by the paths, not read from an incomplete count."""
        c = self.inputs["counts"]
        done = c[c["complete"]]
        last = done["quarter_end"].iloc[-1] if len(done) else c["quarter_end"].iloc[0] - pd.offsets.QuarterEnd(1)
        return last + pd.Timedelta(days=1)

    # ---- derived quantities
    def parameter_draws(self, idx=None) -> dict[str, np.ndarray]:
        names = [*COUNT_PARAMETERS, "delay_shape", "delay_scale"]
        return {n: (self.draws(n) if idx is None else self.draws(n)[idx]) for n in names}

    def quarterly_paths(self, until, rng: np.random.Generator, n_draws: int | None = None):
        """Quarter ends from the first fitted quarter through `until` and the provider count on each: (draws, quarters),
        one joint path per row (observed counts, nowcast of incomplete quarters, then forecast). A prior-only copy
        simulates every quarter from the process with no organization active before the first one."""
        total = self.draws("log_level").shape[0]
        idx = None if n_draws is None else rng.choice(total, size=n_draws, replace=n_draws > total)
        p = self.parameter_draws(idx)
        q = self.inputs["quarters"]
        last = max(pd.Period(pd.Timestamp(until), freq="Q"), q[-1])
        horizon = (last - q[-1]).n
        if self.prior_only:
            counts = simulate_prior(p, self.inputs, len(q) + horizon, rng)
        else:
            counts = simulate(p, self.inputs, horizon, rng)
        ends = quarter_end(pd.period_range(q[0], last, freq="Q"))
        return ends, counts

    def predictive_counts(self, dates, rng: np.random.Generator, n_draws: int | None = None) -> np.ndarray:
        """Provider count read at the last quarter end on or before each date: (draws, T), rows joint paths."""
        dates = pd.DatetimeIndex(pd.to_datetime(dates))
        ends, c = self.quarterly_paths(dates.max(), rng, n_draws)
        pos = np.searchsorted(ends, dates, side="right") - 1
        return c[:, np.maximum(pos, 0)]

    def paths(self, kind, params, dates, rng):
        if kind != "providers_between":
            return super().paths(kind, params, dates, rng)
        c = self.predictive_counts(dates, rng)
        return (c >= int(params["lo"])) & (c <= int(params["hi"]))

    def p_between(self, lo: int, hi: int, date, rng) -> float:
        c = self.predictive_counts(pd.DatetimeIndex([pd.Timestamp(date)]), rng)[:, 0]
        return float(((c >= lo) & (c <= hi)).mean())

    def observed_state(self, kind, params, date):
        if kind != "providers_between":
            return None
        cnt = self.inputs["counts"]
        past = cnt[cnt["quarter_end"] <= pd.Timestamp(date)]
        if past.empty:
            return {"reason": f"no provider counts before {pd.Timestamp(date).date()}"}
        last = past.iloc[-1]
        if not bool(last["complete"]):
            return {"reason": f"the count at {last['quarter_end'].date()} is still incomplete in the data (nowcast)"}
        n = int(last["count"])
        yes = int(params["lo"]) <= n <= int(params["hi"])
        return {"outcome": "yes" if yes else "no", "date": last["quarter_end"].date().isoformat(),
                "source": f"data/market_vintages.csv ({self.inputs['snapshot']}): {n} providers at {last['quarter_end'].date()} "
                          f"under the formal definition ({self.definition_text()})"}

    def definition_text(self) -> str:
        s = self.priors.settings
        if s.get("rule", "relative") == "absolute":
            thr = f">= {float(s['absolute_flop']):.0e} FLOP"
        elif s.get("reference", "max") == "max":
            thr = f"within {float(s['oom']):g} OOM of the running frontier"
        else:
            thr = f"within {float(s['oom']):g} OOM of the {dfn.ordinal(int(s.get('reference_rank', 3)))}-largest organization's best"
        return f"orgs with a {'/'.join(s['domains'])} model {thr} in the trailing {s.get('window_months', 12)} months"

    # ---- reporting (forecast/models/market/summary.py)
    def summary(self):
        from forecast.models.market.summary import summary_rows
        return summary_rows(self)

    def outlier_table(self) -> pd.DataFrame:
        """Per fitted quarter: the count, the count without the single largest run, and under the robust reference."""
        from forecast.models.market.summary import outlier_table
        return outlier_table(self)

    def sensitivity(self, dates=("2027-06-30", "2027-12-31"), lo: int = 3, hi: int = 5) -> pd.DataFrame:
        from forecast.models.market.summary import sensitivity
        return sensitivity(self, dates, lo, hi)

    # ---- backtesting: counts of the newest snapshot after the origin, complete quarters only
    def backtest_targets(self, full, horizon_years):
        as_of = pd.Timestamp(self.cfg.as_of)
        cnt = full.inputs["counts"]
        later = cnt[(cnt["quarter_end"] >= as_of) & (cnt["quarter_end"] < as_of + pd.DateOffset(days=int(365.25 * horizon_years)))
                    & cnt["complete"].astype(bool)]
        return pd.DataFrame({"series": "providers", "date": later["quarter_end"].to_numpy(),
                             "t": decimal_year(later["quarter_end"]), "y": later["count"].to_numpy(float), "discrete": True})

    def backtest_history(self):
        cnt = self.inputs["counts"]
        seen = cnt[cnt["complete"].astype(bool)]
        return pd.DataFrame({"series": "providers", "t": decimal_year(seen["quarter_end"]), "y": seen["count"].to_numpy(float)})

    def predictive(self, targets, rng, n_draws=1000):
        """(n_draws, targets): each row one posterior draw's joint path read at the target quarter ends."""
        dates = pd.DatetimeIndex(pd.to_datetime(targets["date"]))
        return self.predictive_counts(dates, rng, n_draws=n_draws).astype(float)
