"""Densing law: capability density ρ = N_eff / N_active of open base models, and how fast its frontier doubles.

Per benchmark group g (one benchmark under one source's protocol, list and chance floors in
priors/densing.yaml `settings.groups`), a capability-vs-size curve

    f_g(x) = floor_g + (1 − floor_g)·c_g·logistic(k_g (x − m_g)),      x = ln(parameters)

with the floor fixed at the benchmark's chance level and the ceiling floor_g + (1 − floor_g)·c_g ≤ 1.
A model i (group g, date t_i, active parameters N_i) has log density u_i = ln N_eff − ln N_i with
ln N_eff = f_g⁻¹(score_i), scattered around a trend line

    L_g(t) = r_g·(t − t_ref) − Δ·min(t − t_break, 0)        (t in years; Δ term only with `break: true`)
    r_g ~ Normal(12·ln2 / T, τ_r)                             (partial pooling).

Each score's likelihood is located at μ_i = f_g(ln N_i + L_g(t_i) + c_i) with the delta-method scale
S_i = √((f_g'·s_g)² + σ_g²) (density scatter through the curve's slope, plus measurement noise), so the per-model
latent densities are integrated out. Two fits of this structure are stored together (frontier variables under their
names, typical ones with the suffix `_typ`):

* FRONTIER (τ = 0.9, c_i = 0): an asymmetric-Laplace quantile working likelihood (kink rounded over `al_smoothing`
  standardized units) makes L_g the 0.9-quantile line of log density, the upper envelope with 10% of models above
  it. The doubling-time milestone and `open_model_score` read this fit. A working likelihood pins a quantile; its
  scale is whatever makes the check loss a likelihood, not the spread of later scores, so nothing is predicted
  from it.
* TYPICAL: a generative model of every score, the one `predictive` draws from. Student-t scatter (ν fitted: a few
  models sit far below their peers of the same size and date) with per-group scales around L_g, plus one shared
  log-density effect c_i per release cohort of `period_months`, Normal(0, sigma_period): a half-year's releases are
  collectively denser or sparser than the straight trend (a wave of strong releases, then a lull). Without it the
  growth rate is read off the last cohorts alone and extrapolated with too little uncertainty; a cohort after the
  data gets a new draw, shared by all its models.

The scores of one model on several benchmarks are correlated beyond the cohort effect (a model dense on one is dense
on the others); a per-model effect would say so, but each would be pinned by one to seven scores while the scales
that pin it move, a funnel that needs several times the draws for the same effective sample size. Given its
parameters and cohort, the typical fit treats a model's scores as independent.

The curve is sampled in data-centred coordinates (level, slope and ceiling headroom at each group's median size and
date, with the priors on k, h, ceil_frac applied through the Jacobian), the score scale as its total at the data
centre and the share of it that is measurement noise (priors on sigma_rho and sigma_score through the Jacobian), and
each group rate r_g and cohort effect partially non-centred by how many scores pin it (`centring_weight`: non-centred
with few, centred with many; the ramp is `settings.centring` in the priors file). L_g(t_ref) = 0 is a convention
(densities relative to the group's own curve at t_ref);
doubling times and "smallest size reaching a score at a date" do not depend on it.

Speed: the likelihood of each fit is one numba pass over the scores (`likelihood`), and the sampler adapts a
low-rank mass matrix (`nutpie_options`) to the linear ridges left in the posterior (a group's growth rate with its
curve slope, a group's level with the cohorts its scores fall in). The two fits sample the run's draws each: their
posteriors are stored as one, draw by draw, and both feed the report (frontier milestones, typical trend).

Calibration: the backtest scores later open models with the typical fit's `predictive` (each row one joint draw:
one parameter draw and one effect per cohort after the data); SBC (`sbc_draw`) simulates scores from the prior and
the likelihood of the fit `sbc_fit` names (default: typical).

Active parameters are used for N (for MoE models the active count; the current table holds dense
models only, MoE rows having been dropped upstream). Open LLM Leaderboard v1 rows are not used: their
dates are evaluation timestamps (see the priors file).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from forecast.core.timeutil import years_since
from forecast.inference.diagnostics import combine
from forecast.inference.sampling import FitResult, sample
from forecast.models.base import ForecastModel, fixed_data, quantile_row
from forecast.models.densing.curves import LN2, TYP, cohort_index, doubling_months
from forecast.models.densing.derived import DensingDerived
from forecast.models.densing.likelihood import quantile_loglik, scatter_loglik
from forecast.models.densing.simulate import DensingSimulation

MONITOR = ["log_T", "tau_r", "r", "k", "h", "ceil_frac", "sigma_score", "sigma_rho"]
MONITOR_TYPICAL = ["sigma_period", "nu", "period_effect"]
FITS = ("frontier", "typical")


def mixed_normal(name: str, mu, sd, weight: np.ndarray, dims: str):
    """`name` ~ Normal(mu, sd) elementwise (mu scalar), sampled partially non-centred: z_`name` ~ Normal(w·mu, sd^w)
    and `name` = mu + sd^(1−w)·(z − w·mu), with w = `weight` per element (1: centred, 0: non-centred). One
    distribution, a geometry per element by how well the data pin it (Papaspiliopoulos, Roberts & Sköld 2007)."""
    import pymc as pm

    import pytensor.tensor as pt

    w = np.asarray(weight, float)
    log_sd = pt.log(sd)
    z = pm.Normal(f"z_{name}", w * mu, pt.exp(w * log_sd), shape=len(w))
    return pm.Deterministic(name, mu + pt.exp((1.0 - w) * log_sd) * (z - w * mu), dims=dims)


def centring_weight(n_scores: np.ndarray, zero_at: float, one_at: float) -> np.ndarray:
    """How centred to sample a parameter pinned by `n_scores` scores: 0 (non-centred) up to `zero_at` scores, 1
    (centred) from `one_at`, linear between."""
    return np.clip((np.asarray(n_scores, float) - zero_at) / (one_at - zero_at), 0.0, 1.0)


class Densing(DensingDerived, DensingSimulation, ForecastModel):
    """Capability density of open base models (effective size from per-benchmark capability-vs-size curves, divided by active parameters): frontier (90% quantile) log-density trend and a generative model of typical scores (Student-t scatter, half-year release-cohort effects), partially pooled across benchmark groups, with an optional break at ChatGPT; answers the doubling-time and 'small open model reaches score X' milestones."""

    name = "densing"
    typical_sample_s = 13.0  # two fits: among the longest sampling of a run, so it is fitted early
    # the posterior's correlations are linear ridges (a group's growth rate with its curve slope; a group's curve
    # level with the effects of the cohorts its scores fall in), which a low-rank mass matrix follows and a diagonal
    # one does not: about half the leapfrog steps per draw, at a higher effective sample size
    nutpie_options = {"low_rank_modified_mass_matrix": True}
    # both fits' step size and low-rank mass matrix settle well within 500 tuning steps; more only lengthens the run
    max_tune = 500
    # at the default 0.9 the adapted step is long enough for an occasional divergent transition where a group's
    # ceiling fraction nears its bound, depending on the seed; smaller steps cost about a tenth more sampling time
    min_target_accept = 0.95
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
        gi = obs["group"].to_numpy(int)
        log_n = np.log(obs["active_parameters"].to_numpy(float))
        med = lambda v: np.array([np.median(v[gi == i]) for i in range(len(groups))])  # noqa: E731
        log_n_mid, t_mid, t_pre_mid = med(log_n), med(t), med(tb)
        cohort = cohort_index(obs["date"], s["start_date"], s.get("period_months", 6))
        n_cohorts = int(cohort.max()) + 1
        per_group = np.bincount(gi, minlength=len(groups))
        per_cohort = np.bincount(cohort, minlength=n_cohorts)
        ramp = (float(s.get("centring", {}).get("zero_at", 20)), float(s.get("centring", {}).get("one_at", 40)))
        return {
            "obs": obs, "all": all_rows, "groups": groups, "g": gi,
            "floor": np.array([float(g["floor"]) for g in groups]),
            "log_n": log_n, "t": t, "t_pre": tb, "score": obs["score"].to_numpy(float),
            "weight": np.ones(len(obs)),
            "log_n_mid": log_n_mid, "t_mid": t_mid, "t_pre_mid": t_pre_mid,
            # each score relative to its group's median size and date: the centred curve coordinates' reference
            "dlogn": log_n - log_n_mid[gi], "dt": t - t_mid[gi], "dtp": tb - t_pre_mid[gi],
            "cohort": cohort, "n_cohorts": n_cohorts,
            "scores_per_group": per_group, "scores_per_cohort": per_cohort,
            "centring_r": centring_weight(per_group, *ramp), "centring_cohort": centring_weight(per_cohort, *ramp),
            "t_ref": t_ref, "t_break": t_break, "use_break": bool(s.get("break", False)),
            "data_end": obs["date"].max(),
        }

    # ---- priors + likelihood
    def build_model(self, fit: str | None = None, weight: np.ndarray | None = None):
        """The graph of one fit: 'frontier' (quantile working likelihood) or 'typical' (generative); default
        `settings.sbc_fit`, the fit SBC checks. `weight` (0/1 per score) drops scores without a new graph."""
        import pymc as pm
        import pytensor.tensor as pt

        fit = fit or str(self.priors.settings.get("sbc_fit", "typical"))
        if fit not in FITS:
            raise ValueError(f"densing has fits {FITS}, not {fit!r}")
        x, P, s = self.inputs, self.priors, self.priors.settings
        G = len(x["groups"])
        coords = {"group": [g["label"] for g in x["groups"]]}
        typical = fit == "typical"
        if typical:
            coords |= {"cohort": np.arange(x["n_cohorts"])}

        def prior_logp(key, value):  # log density of a YAML prior at a derived value
            spec = P[key]
            return pm.logp(getattr(pm, spec.distribution).dist(**spec.params), value)

        with pm.Model(coords=coords) as model:
            rows = {v: fixed_data(v, x[v]) for v in ("g", "dlogn", "dt", "dtp")}
            y = fixed_data("score", x["score"])
            w = fixed_data("weight", x["weight"] if weight is None else np.asarray(weight, float))
            log_T = P.rv("log_T")
            tau_r = P.rv("tau_r")
            # a group's rate is centred where its own scores pin it (a non-centred z_r would then be pinned by the data
            # and move with tau_r), non-centred where they do not (a centred rate the data leave free is the funnel
            # of tau_r near zero), and partially between (`centring_weight` of the group's score count)
            r = mixed_normal("r", 12.0 * LN2 * pt.exp(-log_T), tau_r, x["centring_r"], dims="group")
            shift = r * x["t_mid"]  # L_g(t_mid_g): converts the centred curve position back to the t_ref convention
            if x["use_break"]:
                delta = P.rv("delta_break")
                shift = shift - delta * x["t_pre_mid"]
            else:
                delta = pt.constant(0.0)
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
            pm.Deterministic("m", x["log_n_mid"] - h / k, dims="group")
            log_jac = pt.log1p(-a) + pt.log1p(-se) + pt.log(c) + pt.log(k)
            pm.Potential("curve_prior", pt.sum(prior_logp("k", k) + prior_logp("h", h) + prior_logp("ceil_frac", c) + log_jac))
            # score scale in centred coordinates: the total scale of a score at the data centre (density scatter
            # through the curve's slope there, plus measurement noise) and the share of its variance that is
            # measurement noise; the data pin the total and only weakly the split, which no longer bends the
            # posterior. The priors on sigma_rho and sigma_score apply through the Jacobian (for fixed curve, the
            # map (scale_total, scale_split) → (sigma_rho, sigma_score) has log |J| = 2·log total + ½·log φ(1 − φ)
            # − log slope − log 2).
            log_tot = pm.Flat("scale_total", dims="group", initval=np.full(G, np.log(0.05)))
            split = pm.Flat("scale_split", dims="group", initval=np.zeros(G))
            tot, phi = pt.exp(log_tot), pt.sigmoid(split)
            log_slope = np.log1p(-x["floor"]) + slope  # log dμ/d ln N at the data centre
            s_rho = pm.Deterministic("sigma_rho", tot * pt.sqrt(1.0 - phi) * pt.exp(-log_slope), dims="group")
            sig = pm.Deterministic("sigma_score", tot * pt.sqrt(phi), dims="group")
            log_jac_s = 2.0 * log_tot + 0.5 * pt.log(phi) + 0.5 * pt.log1p(-phi) - log_slope - np.log(2.0)
            pm.Potential("scale_prior", pt.sum(prior_logp("sigma_rho", s_rho) + prior_logp("sigma_score", sig) + log_jac_s))
            span = (1.0 - x["floor"]) * c
            rows |= {"y": y, "w": w}
            if typical:
                s_cohort = P.rv("sigma_period")
                # the same per release cohort: centred where many scores fall in it, non-centred where few or none
                # do (an empty cohort's centred effect is a pure funnel in sigma_period)
                cohort = mixed_normal("period_effect", 0.0, s_cohort, x["centring_cohort"], dims="cohort")
                nu = P.rv("nu")
                lik = scatter_loglik(k, h_mid, span, r, s_rho, sig, delta, cohort, nu, floor=x["floor"],
                                     per=fixed_data("cohort", x["cohort"]), **rows)
            else:
                lik = quantile_loglik(k, h_mid, span, r, s_rho, sig, delta, q_level=float(s["frontier_quantile"]),
                                      eps=float(s.get("al_smoothing", 0.1)), floor=x["floor"], **rows)
            pm.Potential("lik", lik)
            pm.Deterministic("T_months", pt.exp(log_T))
        return model

    @property
    def monitor(self):
        return MONITOR + (["delta_break"] if self.inputs["use_break"] else [])

    @property
    def data_end(self) -> pd.Timestamp:
        return self.inputs["data_end"]

    # ---- lifecycle: frontier and typical fits
    def fit_graphs(self) -> list[dict]:
        return [{"fit": "frontier", "weight": None}, {"fit": "typical", "weight": None}]

    def _sample(self, fit: str, weight=None, cfg=None, seed_offset=0) -> FitResult:
        model = self.graph(fit=fit, weight=weight)
        monitor = self.monitor + (MONITOR_TYPICAL if fit == "typical" else [])
        cfg = cfg or self.cfg
        cfg = dataclasses.replace(cfg, tune=min(int(cfg.tune), self.max_tune))
        return sample(model, cfg, name=self.name, monitor=monitor, seed_offset=seed_offset,
                      nutpie_options=self.nutpie_options, target_accept=self.target_accept(cfg), draws=self.draws_count(cfg))

    def fit(self, seed_offset: int = 0) -> FitResult:
        fr = self._sample("frontier", seed_offset=seed_offset)
        ty = self._sample("typical", seed_offset=seed_offset + 7919)
        # sampler coordinates (curve_*, scale_*, z_*, log-transformed scales) are not stored: everything derived
        # reads the natural parameters
        drop = lambda ds: [v for v in ds.data_vars if v.startswith(("curve_", "z_", "scale_")) or v.endswith("__")]  # noqa: E731
        post_ty = ty.idata.posterior
        post_ty = post_ty.drop_vars(drop(post_ty))
        idata = fr.idata
        idata.posterior = idata.posterior.drop_vars(drop(idata.posterior)).merge(
            post_ty.rename({v: v + TYP for v in post_ty.data_vars}))
        d = combine(fr.diagnostics, ty.diagnostics, self.cfg.gate, suffix_b=TYP)
        self.fit_result = FitResult(idata, d, fr.sampler, fr.seconds_compile + ty.seconds_compile,
                                    fr.seconds_sample + ty.seconds_sample, fr.compile_cached,
                                    fr.disk_cache_new + ty.disk_cache_new)
        self.idata, self.diagnostics = idata, d
        if self.priors.settings.get("sensitivity", False):
            self._sensitivity = self.sensitivity()
        return self.fit_result

    # ---- sensitivity (refits; not part of a default run)
    def sensitivity(self, draws: int | None = None) -> pd.DataFrame:
        """Frontier T (pooled) leaving out each group in turn and using only models dated ≥ post_cutoff.

        Refits the frontier graph with zero likelihood weights (shapes unchanged, no recompile).
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
            res = self._sample("frontier", weight=keep.astype(float), cfg=cfg, seed_offset=101 + j)
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
            quantile_row(f"{when}typical doubling time (months), pooled", ty["overall"],
                         "≈ 1 year for a mean over all models (paper)",
                         note="generative fit: median trend of log density, cohort effects around it", fmt="{:.1f}"),
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
        for var, label, fmt in (("sigma_period" + TYP, f"typical fit: sd of a {s.get('period_months', 6)}-month cohort's log density effect", "{:.2f}"),
                                ("nu" + TYP, "typical fit: Student-t degrees of freedom of the score scatter", "{:.1f}")):
            rows.append(quantile_row(label, self.draws(var), fmt=fmt))
        sens = getattr(self, "_sensitivity", None)
        if sens is not None:
            for _, r in sens.iterrows():
                rows.append({"quantity": f"sensitivity: frontier T, {r['variant']}", "median": f"{r['T_median']:.1f}",
                             "q05": f"{r['T_q05']:.1f}", "q95": f"{r['T_q95']:.1f}", "seed_claim": "", "note": f"{r['n_obs']} scores",
                             "values": (r["T_median"], r["T_q05"], r["T_q95"])})
        return rows
