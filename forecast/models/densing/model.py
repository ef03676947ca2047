"""Densing law: capability density ρ = N_eff / N_active of open base models, and how fast its frontier doubles.

Per benchmark group g (one benchmark under one source's protocol, list and chance floors in
priors/densing.yaml `settings.groups`), a capability-vs-size curve

    f_g(x) = floor_g + (1 − floor_g)·c_g·logistic(k_g (x − m_g)),      x = ln(parameters)

with the floor fixed at the benchmark's chance level and the ceiling floor_g + (1 − floor_g)·c_g ≤ 1.
A model i (group g, date t_i, active parameters N_i) has log density u_i = ln N_eff − ln N_i with
ln N_eff = f_g⁻¹(score_i), and u_i = L_g(t_i) + s_g·(unit-sd noise) where

    L_g(t) = r_g·(t − t_ref) − Δ·min(t − t_break, 0)        (t in years; Δ term only with `break: true`)
    r_g ~ Normal(12·ln2 / T, τ_r)                             (partial pooling, centred).

Quantiles commute with the monotone curve, so the τ-quantile of score_i is f_g(ln N_i + L_g(t_i)); the
per-model latent densities are integrated out and the likelihood is an asymmetric-Laplace (quantile τ)
working likelihood in score space, located at f_g(ln N_i + L_g(t_i)) with the delta-method scale
sqrt((f_g'·s_g)² + σ_g²) (density scatter plus measurement noise); its kink is rounded off over
`al_smoothing` standardized units (pseudo-Huber) so NUTS can take larger steps. The curve is sampled in
data-centred coordinates (level, slope and ceiling headroom at each group's median size and date, with
the priors on k, h, ceil_frac applied through the Jacobian) and the group rates r_g are centred. (With one
latent log density per score instead, score noise and density noise trade off and the sampler cannot separate
them.) Per-score log densities are recovered afterwards by inverting the curve (`model_log_density`).
L_g is the τ-quantile line of log density over time: with τ = 0.9 it is the FRONTIER (upper envelope;
10% of models lie above it), with τ = 0.5 the TYPICAL (median) density. The two are separate fits of
the same compiled graph (τ enters as data), stored together: frontier variables under their names,
typical ones with the suffix `_typ`. The doubling-time milestone and `open_model_score` use the
frontier fit. L_g(t_ref) = 0 is a convention (densities relative to the group's own curve at t_ref);
doubling times and "smallest size reaching a score at a date" do not depend on it.

Calibration: the backtest predicts each later open model's score from the typical fit's likelihood
(`predictive`); SBC (`sbc_draw`) simulates scores from the prior and the same kink-rounded AL likelihood.

Active parameters are used for N (for MoE models the active count; the current table holds dense
models only, MoE rows having been dropped upstream). Open LLM Leaderboard v1 rows are not used: their
dates are evaluation timestamps (see the priors file).
"""
from __future__ import annotations


import numpy as np
import pandas as pd

from forecast.core.timeutil import years_since
from forecast.inference.diagnostics import combine
from forecast.inference.sampling import FitResult, sample
from forecast.models.base import ForecastModel, quantile_row
from forecast.core.timeutil import decimal_year
from forecast.models.densing.curves import capability_curve, doubling_months, inverse_curve, log_density, score_location_scale, smoothed_al_noise
from forecast.models.densing.simulate import DensingSimulation
from forecast.models.densing.curves import LN2, TYP

MONITOR = ["log_T", "tau_r", "r", "k", "h", "ceil_frac", "sigma_score", "sigma_rho"]



class Densing(DensingSimulation, ForecastModel):
    """Capability density of open base models (effective size from per-benchmark capability-vs-size curves, divided by active parameters): frontier (90% quantile) and typical (median) log-density trends, partially pooled across benchmark groups, with an optional break at ChatGPT; answers the doubling-time and 'small open model reaches score X' milestones."""

    name = "densing"
    typical_sample_s = 35.0  # two quantile fits: the longest sampling of a run, so it is fitted first
    title = "Densing law (capability density)"
    tables = ("benchmarks",)

    # ---- data contract
    def prepare(self, frames):
        s = self.priors.settings
        f = frames["benchmarks"].copy()
        f = f[f["date"] >= pd.Timestamp(s["start_date"])]
        if self.cfg.as_of:
            f = f[f["date"] < pd.Timestamp(self.cfg.as_of)]
        all_rows = f.copy()
        if s.get("open_weights_only", True):
            f = f[f["open_weights"].fillna(False).astype(bool)]
        groups = [dict(g) for g in s["groups"]]
        parts = []
        for gi, g in enumerate(groups):
            sub = f[(f["source"] == g["source"]) & (f["benchmark"] == g["benchmark"])]
            # one score per (model, group): keep the latest row (the builder already keeps one per repo)
            sub = sub.sort_values("date").drop_duplicates("model", keep="last")
            g["n"] = len(sub)
            parts.append(sub.assign(group=gi))
        obs = pd.concat(parts, ignore_index=True).sort_values(["group", "date", "model"], kind="stable").reset_index(drop=True)
        keep = [g["n"] >= 8 for g in groups]
        if not all(keep):  # too few models to fit a curve (happens only for early as_of backtests)
            idx = {old: new for new, old in enumerate(i for i, k in enumerate(keep) if k)}
            groups = [g for g, k in zip(groups, keep) if k]
            obs = obs[obs["group"].isin(idx)].assign(group=lambda d: d["group"].map(idx)).reset_index(drop=True)
        for g in groups:
            g["label"] = f"{g['benchmark']} ({g['source']})"
        t_ref, t_break = pd.Timestamp(s["t_ref"]), pd.Timestamp(s["break_date"])
        t = years_since(obs["date"], t_ref)
        tb = np.minimum(years_since(obs["date"], t_break), 0.0)
        return {
            "obs": obs, "all": all_rows, "groups": groups,
            "g": obs["group"].to_numpy(int),
            "floor": np.array([float(g["floor"]) for g in groups]),
            "log_n": np.log(obs["active_parameters"].to_numpy(float)),
            "t": t, "t_pre": tb, "score": obs["score"].to_numpy(float),
            "weight": np.ones(len(obs)),
            "log_n_mid": np.array([np.median(np.log(obs.loc[obs["group"] == i, "active_parameters"].to_numpy(float)))
                                   for i in range(len(groups))]),
            "t_mid": np.array([np.median(t[obs["group"].to_numpy() == i]) for i in range(len(groups))]),
            "t_pre_mid": np.array([np.median(tb[obs["group"].to_numpy() == i]) for i in range(len(groups))]),
            "t_ref": t_ref, "t_break": t_break, "use_break": bool(s.get("break", False)),
            "data_end": obs["date"].max(),
        }

    # ---- priors + likelihood
    def build_model(self, quantile: float | None = None, weight: np.ndarray | None = None):
        import pymc as pm
        import pytensor.tensor as pt

        x = self.inputs
        q = float(self.priors.settings["frontier_quantile"] if quantile is None else quantile)
        G, n = len(x["groups"]), len(x["obs"])
        coords = {"group": [g["label"] for g in x["groups"]], "obs": np.arange(n)}
        eps = float(self.priors.settings.get("al_smoothing", 0.1))
        P = self.priors

        def prior_logp(key, value):  # log density of a YAML prior at a derived value
            spec = P[key]
            return pm.logp(getattr(pm, spec.distribution).dist(**spec.params), value)

        with pm.Model(coords=coords) as model:
            g = pm.Data("g", x["g"])
            log_n = pm.Data("log_n", x["log_n"])
            t = pm.Data("t", x["t"])
            y = pm.Data("score", x["score"])
            w = pm.Data("weight", x["weight"] if weight is None else np.asarray(weight, float))
            tau = pm.Data("quantile", q)
            t_mid = pm.Data("t_mid", x["t_mid"])            # per-group median date (years from t_ref)
            log_n_mid = pm.Data("log_n_mid", x["log_n_mid"])  # per-group median ln(active parameters)
            floor = pt.as_tensor_variable(x["floor"])
            log_T = P.rv("log_T")
            tau_r = P.rv("tau_r")
            # centred pooling: every group's rate is well identified by its own data, the case in which the centred
            # form samples better (a non-centred z_r would be pinned by the data and correlated with log_T)
            r = pm.Normal("r", 12.0 * LN2 * pt.exp(-log_T), tau_r, dims="group")
            # the line is evaluated relative to each group's median date, so the curve position sampled
            # below is the one the group's data pin down (not an extrapolation to t_ref)
            line = r[g] * (t - t_mid[g])
            shift = r * t_mid  # L_g(t_mid_g): converts the centred curve position back to the t_ref convention
            if x["use_break"]:
                t_pre = pm.Data("t_pre", x["t_pre"])
                t_pre_mid = pm.Data("t_pre_mid", x["t_pre_mid"])
                delta = P.rv("delta_break")
                line = line - delta * (t_pre - t_pre_mid[g])
                shift = shift - delta * t_pre_mid
            # Curve in data-centred coordinates (an exact change of variables; the priors on k, h, ceil_frac
            # are applied to the derived values with the Jacobian):
            #   a = sigmoid(curve_level): headroom fraction reached at the group's median size and date,
            #   ceil_frac = a + (1 − a)·sigmoid(curve_head): ceiling above that level,
            #   exp(curve_slope) = d(headroom fraction)/d(ln N) there.
            # (k, h, ceil_frac) are strongly correlated in the posterior; these three are each pinned by the data.
            lvl = pm.Flat("curve_level", dims="group", initval=np.zeros(G))
            head = pm.Flat("curve_head", dims="group", initval=np.ones(G))
            slope = pm.Flat("curve_slope", dims="group", initval=np.full(G, -2.0))
            a, se = pt.sigmoid(lvl), pt.sigmoid(head)
            c = pm.Deterministic("ceil_frac", a + (1.0 - a) * se, dims="group")
            h_mid = lvl - pt.log(se)  # logit(a / c): logistic argument at the data centre
            pc = a / c
            k = pm.Deterministic("k", pt.exp(slope) / (c * pc * (1.0 - pc)), dims="group")
            h = pm.Deterministic("h", h_mid - k * shift, dims="group")
            pm.Deterministic("m", log_n_mid - h / k, dims="group")
            log_jac = pt.log1p(-a) + pt.log1p(-se) + pt.log(c) + pt.log(k)
            pm.Potential("curve_prior", pt.sum(prior_logp("k", k) + prior_logp("h", h) + prior_logp("ceil_frac", c) + log_jac))
            sig = P.rv("sigma_score", dims="group")
            s_rho = P.rv("sigma_rho", dims="group")
            # τ-quantile of the score is the curve at the τ-quantile of log density (quantiles commute with the
            # monotone curve), so the latent densities are integrated out: AL working likelihood in score space
            # with the delta-method scale |f'(x)|·s_rho (density scatter) combined with measurement noise.
            p = pm.math.sigmoid(k[g] * (log_n - log_n_mid[g] + line) + h_mid[g])
            span = (1.0 - floor[g]) * c[g]
            mu = floor[g] + span * p
            scale = pt.sqrt((span * k[g] * p * (1.0 - p) * s_rho[g]) ** 2 + sig[g] ** 2)
            # Asymmetric Laplace (quantile τ, unit sd at scale 1) with its kink rounded off over `al_smoothing`
            # standardized units (pseudo-Huber): an exact kink at every score forces NUTS to tiny steps and long
            # trajectories; the rounding moves the fitted quantile by a negligible fraction of the scatter.
            kap = pt.sqrt(tau / (1.0 - tau))
            b = pt.sqrt(1.0 + kap ** 4) / kap
            u = (y - mu) * b / scale
            loss = 0.5 * ((kap - 1.0 / kap) * u + (kap + 1.0 / kap) * pt.sqrt(u ** 2 + eps ** 2))
            lp = pt.log(b / ((kap + 1.0 / kap) * scale)) - loss
            pm.Potential("lik", pt.sum(w * lp))
            pm.Deterministic("T_months", pt.exp(log_T))
        return model

    @property
    def monitor(self):
        return MONITOR + (["delta_break"] if self.inputs["use_break"] else [])

    @property
    def data_end(self) -> pd.Timestamp:
        return self.inputs["data_end"]

    # ---- lifecycle: frontier and typical fits of one compiled graph
    def fit_graphs(self) -> list[dict]:
        s = self.priors.settings
        return [{"quantile": float(s["frontier_quantile"]), "weight": None}, {"quantile": float(s["typical_quantile"]), "weight": None}]

    def _sample(self, quantile, weight=None, cfg=None, seed_offset=0) -> FitResult:
        model = self.graph(quantile=quantile, weight=weight)
        return sample(model, cfg or self.cfg, name=self.name, monitor=self.monitor, seed_offset=seed_offset)

    def fit(self, seed_offset: int = 0) -> FitResult:
        s = self.priors.settings
        fr = self._sample(float(s["frontier_quantile"]), seed_offset=seed_offset)
        ty = self._sample(float(s["typical_quantile"]), seed_offset=seed_offset + 7919)
        idata = fr.idata
        keep = [v for v in ty.idata.posterior.data_vars if not v.startswith("curve_") and not v.endswith("__")]
        idata.posterior = idata.posterior.merge(ty.idata.posterior[keep].rename({v: v + TYP for v in keep}))
        d = combine(fr.diagnostics, ty.diagnostics, self.cfg.gate, suffix_b=TYP)
        self.fit_result = FitResult(idata, d, fr.sampler, fr.seconds_compile + ty.seconds_compile,
                                    fr.seconds_sample + ty.seconds_sample, fr.compile_cached,
                                    fr.disk_cache_new + ty.disk_cache_new)
        self.idata, self.diagnostics = idata, d
        if s.get("sensitivity", False):
            self._sensitivity = self.sensitivity()
        return self.fit_result

    # ---- posterior pieces
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
        """τ-quantile line L_g(t) of log density (draws × dates); frontier by default, typical with suffix '_typ'."""
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

    # ---- backtesting: scores of open models released after the origin
    # Target: each later open model's score per group, given its size and date. Predictive: the TYPICAL (τ = 0.5)
    # fit's own likelihood, a (kink-rounded) Laplace around its median line through the curve with the delta-method
    # scale. The frontier fit's τ = 0.9 asymmetric Laplace is a working likelihood that pins the upper quantile
    # line; its skewed shape is not a model of how individual scores scatter, so it is not used as a predictive.
    def backtest_targets(self, full, horizon_years):
        as_of = pd.Timestamp(self.cfg.as_of)
        obs = full.inputs["obs"]
        label = obs["group"].map(dict(enumerate(g["label"] for g in full.inputs["groups"])))
        # a group the cut fit dropped (fewer than 8 models before the origin) has no curve to forecast from
        keep = label.isin([g["label"] for g in self.inputs["groups"]])
        later = (obs["date"] >= as_of) & (obs["date"] < as_of + pd.DateOffset(days=int(365.25 * horizon_years))) & keep
        rows = obs[later]
        return pd.DataFrame({"series": ("densing_score:" + label[later]).to_numpy(), "date": rows["date"].to_numpy(),
                             "t": decimal_year(rows["date"]), "y": rows["score"].to_numpy(float), "discrete": False,
                             "group": label[later].to_numpy(), "log_n": np.log(rows["active_parameters"].to_numpy(float))})

    def backtest_history(self):
        obs = self.inputs["obs"]
        label = obs["group"].map(dict(enumerate(g["label"] for g in self.inputs["groups"])))
        return pd.DataFrame({"series": ("densing_score:" + label).to_numpy(), "t": decimal_year(obs["date"]),
                             "y": obs["score"].to_numpy(float)})

    def predictive(self, targets, rng, n_draws=1000):
        x = self.inputs
        idx = rng.choice(self.draws("T_months").shape[0], size=n_draws)
        index = {g["label"]: i for i, g in enumerate(x["groups"])}
        gi = targets["group"].map(index).to_numpy(int)
        d = {v: self.draws(v + TYP)[idx] for v in ("r", "ceil_frac", "k", "m", "sigma_rho", "sigma_score")}
        dates = pd.DatetimeIndex(pd.to_datetime(targets["date"]))
        line = d["r"][:, gi] * years_since(dates, x["t_ref"])[None, :]
        if x["use_break"]:
            line = line - self.draws("delta_break" + TYP)[idx, None] * np.minimum(years_since(dates, x["t_break"]), 0.0)[None, :]
        mu, scale = score_location_scale(targets["log_n"].to_numpy(float)[None, :] + line, x["floor"][gi],
                                         *(d[v][:, gi] for v in ("ceil_frac", "k", "m", "sigma_rho", "sigma_score")))
        s = self.priors.settings
        return mu + scale * smoothed_al_noise(float(s["typical_quantile"]), float(s.get("al_smoothing", 0.1)), mu.shape, rng)




    # ---- sensitivity (refits; not part of a default run)
    def sensitivity(self, draws: int | None = None) -> pd.DataFrame:
        """Frontier T (pooled) leaving out each group in turn and using only models dated ≥ post_cutoff.

        Refits the same compiled graph with zero likelihood weights (shapes unchanged, no recompile).
        Run with `m.sensitivity()` on a built model, or set `sensitivity: true` in priors/densing.yaml.
        """
        s = self.priors.settings
        nd = int(draws or s.get("sensitivity_draws", 500))
        cfg = self.cfg.replace(draws=nd, tune=nd)
        x = self.inputs
        variants = [(f"without {g['label']}", x["g"] != i) for i, g in enumerate(x["groups"])]
        variants.append((f"only models dated ≥ {s['post_cutoff']}", (x["obs"]["date"] >= pd.Timestamp(s["post_cutoff"])).to_numpy()))
        rows = []
        for j, (label, keep) in enumerate(variants):
            res = self._sample(float(s["frontier_quantile"]), weight=keep.astype(float), cfg=cfg, seed_offset=101 + j)
            T = res.idata.posterior["T_months"].to_numpy().ravel()
            q05, q50, q95 = np.quantile(T, [0.05, 0.5, 0.95])
            rows.append({"variant": label, "n_obs": int(keep.sum()), "T_median": q50, "T_q05": q05, "T_q95": q95,
                         "P_T_le_3.5": float((T <= 3.5).mean()), "divergences": res.diagnostics.divergences,
                         "max_rhat": res.diagnostics.max_rhat})
        return pd.DataFrame(rows)

    # ---- reporting
    def summary(self):
        s = self.priors.settings
        claim = s.get("seed_claim", "")
        fr, ty = self.doubling_draws(), self.doubling_draws(TYP)
        x = self.inputs
        when = "post-ChatGPT (after 2022-11-30) " if x["use_break"] else ""
        p35 = float((fr["overall"] <= 3.5).mean())
        rows = [
            quantile_row(f"{when}frontier doubling time T (months), pooled", fr["overall"], claim,
                         note=f"τ = {s['frontier_quantile']} quantile line of log density; {len(x['obs'])} scores, "
                              f"{x['obs']['model'].nunique()} models, {len(x['groups'])} groups", fmt="{:.1f}"),
            quantile_row(f"{when}typical (median) doubling time (months), pooled", ty["overall"],
                         "≈ 1 year for a mean over all models (paper)", note=f"τ = {s['typical_quantile']}", fmt="{:.1f}"),
            {"quantity": "P(frontier T ≤ 3.5 months)", "median": f"{p35:.2f}", "q05": "", "q95": "",
             "seed_claim": claim, "note": "milestone densing-doubling-3.5mo", "values": (p35, p35, p35)},
        ]
        for lab in fr:
            if lab != "overall":
                rows.append(quantile_row(f"frontier T (months): {lab}", fr[lab], fmt="{:.1f}",
                                         note=f"typical: median {np.median(ty[lab]):.1f}"))
        if x["use_break"]:
            d = self.draws("delta_break")
            r_post = 12 * LN2 / fr["overall"]
            rows.append(quantile_row("frontier doubling time before 2022-11-30 (months), pooled", doubling_months(r_post - d),
                                     "4.8 months pre vs 3.2 post (NMI); A 0.0048 vs 0.0073/day (arXiv MMLU)", fmt="{:.1f}",
                                     note="negative or huge = no growth before the break"))
            rows.append(quantile_row("break: post − pre growth rate of log density (per year)", d, "+0.9/yr (paper, MMLU only)",
                                     note=f"P(faster after ChatGPT) = {(d > 0).mean():.2f}", fmt="{:.2f}"))
        sens = getattr(self, "_sensitivity", None)
        if sens is not None:
            for _, r in sens.iterrows():
                rows.append({"quantity": f"sensitivity: frontier T, {r['variant']}", "median": f"{r['T_median']:.1f}",
                             "q05": f"{r['T_q05']:.1f}", "q95": f"{r['T_q95']:.1f}", "seed_claim": "", "note": f"{r['n_obs']} scores",
                             "values": (r["T_median"], r["T_q05"], r["T_q95"])})
        return rows

