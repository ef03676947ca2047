"""Number of foundation-model providers over time: formal definition, lag-aware negative-binomial trend.

Definition (settings in priors/market.yaml). A *foundation-model provider* at the end of quarter q
is an organization with at least one model that
  * has a domain in `domains` (Language / Multimodal: foundation models, not game or vision systems),
  * was published in the trailing `window_months` (12) up to the quarter end, and
  * has training compute within `oom` orders of magnitude of the running frontier — the largest
    compute of any such model published up to the model's release date (`frontier_at: release`;
    `quarter_end` measures it against the frontier at the quarter end instead) — or, with
    `rule: absolute`, at least `absolute_flop` (1e25 FLOP).
Organizations are Epoch's comma-separated `organization` field split into names, whitespace
collapsed and mapped through `org_aliases` (e.g. Google Brain / DeepMind / Google DeepMind → Google;
Facebook AI Research / Meta AI → Meta). A model with several organizations credits each of them.

Reporting lag: Epoch's compute estimates arrive months late, so quarters ending within `lag_months`
of the data end are under-counted. They are shown but carry no weight in the likelihood — a drop
there is not read as consolidation.

Count model: y_q ~ NegBinomial(μ_q, α), log μ_q = a + b·(t_q − t_ref) [+ Δb·hinge(t_q − τ) with
`change_point: true`]. Quarterly counts over 12-month windows overlap (each release sits in four
consecutive counts), so the log-likelihood is weighted by `likelihood_weight` (3/12): the data count
as the independent information they hold, not four times over. Forecasts are posterior predictive
NB draws of the count at each month.
"""
from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd

from forecast.models.base import ForecastModel, quantile_row
from forecast.core.timeutil import decimal_year


def normalize_org(name: str, aliases) -> str:
    """One organization name → canonical provider name (first matching alias pattern, case-insensitive)."""
    n = " ".join(str(name).split())
    for pattern, canon in aliases:
        if re.search(pattern, n, flags=re.IGNORECASE):
            return canon
    return n


def _orgs(field, aliases) -> set[str]:
    if not isinstance(field, str) or not field.strip():
        return set()
    return {normalize_org(x, aliases) for x in field.split(",") if x.strip()}


def eligible_models(frame: pd.DataFrame, settings) -> pd.DataFrame:
    """Models with compute in the foundation-model domains, with log10 compute and the running frontier at release."""
    doms = {d.lower() for d in settings["domains"]}
    f = frame.dropna(subset=["training_compute"])
    keep = f["domain"].fillna("").map(lambda d: bool(doms & {x.strip().lower() for x in d.split(",")}))
    f = f[keep].sort_values("publication_date", kind="mergesort").copy()
    f["log10_compute"] = np.log10(f["training_compute"].astype(float))
    # frontier at release: max over everything published on or before the same date (same-day releases compete)
    daily = f.groupby("publication_date")["log10_compute"].max().cummax()
    f["frontier_at_release"] = f["publication_date"].map(daily)
    return f.reset_index(drop=True)


def provider_counts(frame: pd.DataFrame, quarter_ends: pd.DatetimeIndex, settings) -> pd.DataFrame:
    """Providers per quarter end under the formal definition: quarter_end, count, providers, frontier."""
    f = eligible_models(frame, settings)
    aliases = [tuple(a) for a in settings.get("org_aliases", [])]
    window = int(settings.get("window_months", 12))
    rule = settings.get("rule", "relative")
    oom = float(settings.get("oom", 1.0))
    tol = 1e-9
    rows = []
    for q in pd.DatetimeIndex(quarter_ends):
        upto = f[f["publication_date"] <= q]
        frontier = float(upto["log10_compute"].max()) if len(upto) else np.nan
        w = upto[upto["publication_date"] > q - pd.DateOffset(months=window)]
        if rule == "absolute":
            sel = w[w["log10_compute"] >= np.log10(float(settings["absolute_flop"])) - tol]
        elif settings.get("frontier_at", "release") == "quarter_end":
            sel = w[w["log10_compute"] >= frontier - oom - tol]
        else:
            sel = w[w["log10_compute"] >= w["frontier_at_release"] - oom - tol]
        provs = set().union(*[_orgs(o, aliases) for o in sel["organization"]]) if len(sel) else set()
        rows.append({"quarter_end": q, "count": len(provs), "providers": "; ".join(sorted(provs)), "frontier_log10": frontier,
                     "n_models": len(sel)})
    return pd.DataFrame(rows)


def language_orgs_per_year(frame: pd.DataFrame, aliases) -> pd.Series:
    """Distinct (normalized) organizations with at least one Language-domain model published in each year."""
    f = frame[frame["domain"].fillna("").map(lambda d: "language" in {x.strip().lower() for x in d.split(",")})]
    out = {}
    for y, g in f.groupby(f["publication_date"].dt.year):
        out[int(y)] = len(set().union(*[_orgs(o, aliases) for o in g["organization"]]))
    return pd.Series(out, name="language_orgs")


def _nb_draws(rng, mu, alpha):
    """Negative binomial with mean mu and variance mu + mu²/alpha."""
    return rng.negative_binomial(alpha, alpha / (alpha + mu))


def _log_mean(t, settings, log_level, trend, trend_change=None, change_time=None):
    """log μ at t (years from t_ref): the numpy twin of the graph in `Market.build_model`; parameters broadcast against t."""
    eta = log_level + trend * t
    if settings.get("change_point"):
        k = float(settings.get("change_sharpness", 8.0))
        eta = eta + trend_change * np.logaddexp(0.0, k * (t - change_time)) / k
    return eta


class Market(ForecastModel):
    """Count of foundation-model providers (organizations with a Language/Multimodal model within an order of magnitude of the running frontier compute in the trailing 12 months; Epoch AI): lag-aware negative-binomial trend and its posterior predictive count."""

    name = "market"
    title = "Foundation-model providers"
    tables = ("models",)

    # ---- data contract
    def prepare(self, frames):
        s = self.priors.settings
        f = frames["models"]
        if self.cfg.as_of:
            f = f[f["publication_date"] < pd.Timestamp(self.cfg.as_of)]
        elig = eligible_models(f, s)
        data_end = elig["publication_date"].max()
        quarters = pd.date_range(pd.Timestamp(s["start_date"]) + pd.offsets.QuarterEnd(0), data_end, freq="QE")
        counts = provider_counts(f, quarters, s)
        lag_cut = data_end - pd.DateOffset(months=int(s["lag_months"]))
        counts["lagged"] = counts["quarter_end"] > lag_cut
        t = decimal_year(counts["quarter_end"]) - float(s["t_ref"])
        w = np.where(counts["lagged"], 0.0, float(s["likelihood_weight"]))
        aliases = [tuple(a) for a in s.get("org_aliases", [])]
        return {
            "counts": counts, "t": t, "y": counts["count"].to_numpy(int), "w": w,
            "data_end": data_end, "lag_cut": lag_cut, "eligible": elig,
            "language_orgs": language_orgs_per_year(f, aliases),
        }

    # ---- priors + likelihood
    def build_model(self):
        import pymc as pm

        x = self.inputs
        s = self.priors.settings
        with pm.Model() as model:
            t = pm.Data("t", x["t"])
            y = pm.Data("y", x["y"])
            w = pm.Data("w", x["w"])
            a = self.priors.rv("log_level")
            b = self.priors.rv("trend")
            od = self.priors.rv("overdispersion")
            eta = a + b * t
            if s.get("change_point"):
                db = self.priors.rv("trend_change")
                lo, hi = (float(v) - float(s["t_ref"]) for v in s["change_window"])
                tau = pm.Uniform("change_time", lo, hi)
                k = float(s.get("change_sharpness", 8.0))
                eta = eta + db * pm.math.log1pexp(k * (t - tau)) / k
            mu = pm.math.exp(eta)
            alpha = pm.Deterministic("alpha", 1.0 / od**2)
            ll = pm.logp(pm.NegativeBinomial.dist(mu=mu, alpha=alpha), y)
            pm.Potential("obs_weighted", (w * ll).sum())
            pm.Deterministic("growth_per_year", pm.math.exp(b) - 1)
        return model

    @property
    def trend_parameters(self) -> list[str]:
        """Free parameters of log μ(t) (the arguments of `_log_mean`)."""
        return ["log_level", "trend", *(["trend_change", "change_time"] if self.priors.settings.get("change_point") else [])]

    @property
    def monitor(self):
        return [*self.trend_parameters, "overdispersion"]

    # ---- simulation-based calibration
    def sbc_draw(self, model, seed):
        """θ* from the model's priors, counts y* ~ NB(μ(t; θ*), α*) at every quarter (weight-0 ones included)."""
        import pymc as pm

        # The overlap weights (3/12, and 0 in the lag window) temper the NB likelihood; a tempered likelihood is not a
        # distribution to simulate from, so the Potential stays and the counts come from the NB it tempers. The
        # weighted posterior is then wider than the exact one for such independent counts: expect ∩-shaped ranks.
        free = model.free_RVs
        truth = {rv.name: float(v) for rv, v in zip(free, pm.draw(free, random_seed=seed))}
        data = {d.name: np.asarray(d.get_value()) for d in model.data_vars}
        mu = np.exp(_log_mean(data["t"], self.priors.settings, **{v: truth[v] for v in self.trend_parameters}))
        y = _nb_draws(np.random.default_rng([seed, 1]), mu, 1.0 / truth["overdispersion"] ** 2)
        data["y"] = y.astype(data["y"].dtype)
        return truth, data

    @property
    def data_end(self) -> pd.Timestamp:
        return self.inputs["data_end"]

    # ---- derived quantities
    def log_mean(self, dates) -> np.ndarray:
        """log μ(t) per draw at dates: (draws, T)."""
        s = self.priors.settings
        t = decimal_year(pd.DatetimeIndex(dates)) - float(s["t_ref"])
        return _log_mean(t[None, :], s, **{v: self.draws(v)[:, None] for v in self.trend_parameters})

    def predictive_counts(self, dates, rng: np.random.Generator) -> np.ndarray:
        """Posterior predictive provider count at each date: (draws, T) ints (independent NB draws per date)."""
        mu = np.exp(self.log_mean(dates))
        alpha = 1.0 / self.draws("overdispersion")[:, None] ** 2
        return _nb_draws(rng, mu, np.broadcast_to(alpha, mu.shape))

    def paths(self, kind, params, dates, rng):
        if kind != "providers_between":
            return super().paths(kind, params, dates, rng)
        c = self.predictive_counts(dates, rng)
        return (c >= int(params["lo"])) & (c <= int(params["hi"]))

    def observed_state(self, kind, params, date):
        if kind != "providers_between":
            return None
        cnt = self.inputs["counts"]
        past = cnt[cnt["quarter_end"] <= pd.Timestamp(date)]
        if past.empty:
            return {"reason": f"no provider counts before {pd.Timestamp(date).date()}"}
        last = past.iloc[-1]
        if bool(last["lagged"]):
            return {"reason": f"{last['quarter_end'].date()} lies in the reporting-lag window (counts there are incomplete)"}
        n = int(last["count"])
        yes = int(params["lo"]) <= n <= int(params["hi"])
        return {"outcome": "yes" if yes else "no", "date": last["quarter_end"].date().isoformat(),
                "source": f"data/models.csv (Epoch AI): {n} providers at {last['quarter_end'].date()} under the formal definition ({self.definition_text()})"}

    def p_between(self, lo: int, hi: int, date, rng) -> float:
        c = self.predictive_counts(pd.DatetimeIndex([pd.Timestamp(date)]), rng)[:, 0]
        return float(((c >= lo) & (c <= hi)).mean())

    def sensitivity(self, dates=("2027-06-30", "2027-12-31"), lo: int = 3, hi: int = 5) -> pd.DataFrame:
        """Refit under every definition in settings.definitions; P(lo–hi providers) on each date per definition."""
        rows = []
        for d in self.priors.settings["definitions"]:
            d = dict(d)
            label = d.pop("label")
            pr = dataclasses.replace(self.priors, settings={**self.priors.settings, **d})
            m = Market(self.frames, pr, self.cfg)
            r = m.fit()
            inc = m.inputs["counts"][~m.inputs["counts"]["lagged"]]
            row = {"definition": label, "last_full_quarter": inc["quarter_end"].iloc[-1].date().isoformat(),
                   "count_then": int(inc["count"].iloc[-1])}
            for dt_ in dates:
                rng = np.random.default_rng([int(self.cfg.seed), *label.encode()])
                row[f"P({lo}-{hi}) on {dt_}"] = m.p_between(lo, hi, dt_, rng)
            c = m.predictive_counts(pd.DatetimeIndex([pd.Timestamp(dates[-1])]), np.random.default_rng(int(self.cfg.seed)))[:, 0]
            row[f"median count {dates[-1]}"] = float(np.median(c))
            row["growth_per_year_median"] = float(np.median(np.exp(m.draws("trend")) - 1))
            row["diagnostics"] = r.diagnostics.status if hasattr(r.diagnostics, "status") else str(r.diagnostics.passed)
            row["seconds_sample"] = round(r.seconds_sample, 1)
            rows.append(row)
        return pd.DataFrame(rows)

    # ---- reporting
    def summary(self):
        s = self.priors.settings
        x = self.inputs
        cnt = x["counts"]
        rng = np.random.default_rng(int(self.cfg.seed))
        rows = []
        for date, seed in (("2027-06-30", "3-5 providers (000_61de7e8b4708d969.txt «七、收敛时间表» Gantt milestone)"), ("2027-12-31", "3-5 providers (000_61de7e8b4708d969.txt «七、收敛时间表» key prediction 4)")):
            p = self.p_between(3, 5, date, rng)
            rows.append({"quantity": f"P(3-5 providers on {date})", "median": f"{p:.3f}", "q05": "", "q95": "", "seed_claim": seed,
                         "note": f"definition: {self.definition_text()}", "values": (p, np.nan, np.nan)})
        years = range(int(s.get("predictive_from", 2026)), int(s.get("predictive_to", 2030)) + 1)
        dates = pd.DatetimeIndex([pd.Timestamp(f"{y}-12-31") for y in years])
        pc = self.predictive_counts(dates, rng)
        for j, d in enumerate(dates):
            rows.append(quantile_row(f"providers on {d.date()} (posterior predictive)", pc[:, j], fmt="{:.0f}"))
        rows.append(quantile_row("trend in provider count per year", np.exp(self.draws("trend")) - 1, fmt="{:+.0%}",
                                 note=f"fit on {int((~cnt['lagged']).sum())} quarters {cnt['quarter_end'].iloc[0].date()}–"
                                      f"{x['lag_cut'].date()}; {int(cnt['lagged'].sum())} later quarters excluded (reporting lag {s['lag_months']} months)"))
        # seed's 200+ → 15 beside the data
        lo = x["language_orgs"]
        dec = cnt[cnt["quarter_end"].dt.month == 12]
        q4 = pd.Series(dec["count"].to_numpy(), index=dec["quarter_end"].dt.year.to_numpy())
        for y, claim in ((2023, "200+ players (000_61de7e8b4708d969.txt «三、收敛的四层金字塔模型»)"), (2025, "15 mainstream players (000_61de7e8b4708d969.txt «三、收敛的四层金字塔模型»)")):
            n_lang = int(lo.get(y, 0))
            n_def = int(q4.get(y, -1))
            lag = bool(cnt.loc[cnt["quarter_end"] == pd.Timestamp(f"{y}-12-31"), "lagged"].any())
            note = (f"{n_lang} distinct organizations published a Language model in {y} (data/models.csv, all sizes); "
                    f"{n_def} providers at {y}-12-31 by the formal definition"
                    + (" (inside the reporting-lag window: under-counted, not consolidation; Epoch's all-models table ends 2025-03)" if lag else ""))
            rows.append({"quantity": f"providers in {y}: seed vs data", "median": str(n_def), "q05": "", "q95": "", "seed_claim": claim,
                         "note": note, "values": (float(n_def), np.nan, np.nan)})
        if s.get("sensitivity"):
            for _, r in self.sensitivity().iterrows():
                rows.append({"quantity": f"sensitivity: P(3-5 on 2027-12-31), {r['definition']}", "median": f"{r['P(3-5) on 2027-12-31']:.3f}",
                             "q05": "", "q95": "", "seed_claim": "", "note": f"P(3-5 on 2027-06-30) = {r['P(3-5) on 2027-06-30']:.3f}; median count end-2027 {r['median count 2027-12-31']:.0f}",
                             "values": (float(r["P(3-5) on 2027-12-31"]), np.nan, np.nan)})
        return rows

    def definition_text(self) -> str:
        s = self.priors.settings
        if s.get("rule", "relative") == "absolute":
            thr = f">= {float(s['absolute_flop']):.0e} FLOP"
        else:
            thr = f"within {float(s['oom']):g} OOM of the running frontier (at {s.get('frontier_at', 'release')})"
        return f"orgs with a {'/'.join(s['domains'])} model {thr} in the trailing {s.get('window_months', 12)} months"

    # ---- backtesting: later provider counts, outside the full data's reporting-lag window
    def backtest_targets(self, full, horizon_years):
        as_of = pd.Timestamp(self.cfg.as_of)
        cnt = full.inputs["counts"]
        later = cnt[(cnt["quarter_end"] >= as_of) & (cnt["quarter_end"] < as_of + pd.DateOffset(days=int(365.25 * horizon_years)))
                    & ~cnt["lagged"].astype(bool)]
        return pd.DataFrame({"series": "providers", "date": later["quarter_end"].to_numpy(),
                             "t": decimal_year(later["quarter_end"]), "y": later["count"].to_numpy(float),
                             "discrete": True})

    def backtest_history(self):
        cnt = self.inputs["counts"]
        seen = cnt[~cnt["lagged"].astype(bool)]
        return pd.DataFrame({"series": "providers", "t": decimal_year(seen["quarter_end"]),
                             "y": seen["count"].to_numpy(float)})

    def predictive(self, targets, rng, n_draws=1000):
        c = self.predictive_counts(pd.DatetimeIndex(pd.to_datetime(targets["date"])), rng)
        idx = rng.choice(c.shape[0], size=n_draws, replace=c.shape[0] < n_draws)
        return c[idx].astype(float)
