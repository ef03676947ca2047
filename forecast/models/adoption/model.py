"""Adoption share of each technology among new models: hierarchical logistic curves.

For technology k and t in years since `settings.ref_date`:

    s_k(t) = c_k · logistic(r_k · (t − t0_k))

NON-CENTRED partial pooling, x_k = mean_x[g(k)] + tech_sd_x · z_k, z_k ~ Normal(0, 1) (priors/adoption.yaml), with
the group g(k) chosen per parameter: log r_k over all technologies, t0_k by pyramid layer, logit c_k within the
technology's ceiling group (priors/technologies.yaml `ceiling_group`: standards vs contested options), so a contested
choice never borrows a near-universal ceiling. Well-measured technologies are centred where their data pin the
parameter down (`centred_techs`, `centred_ceiling_techs`).

Observations (data/adoption_observations.csv):

* ``count`` — k of n new models in a period in a sampling frame. The frames are small and popular-model-biased, so
  the likelihood is beta-binomial with concentration φ, evaluated at the period's midpoint, with a logit offset per
  (technology, frame) for frames other than the technology's reference frame (registry `reference_series`; the
  share forecast is defined on it). Counts added as evidence are in the frame of the list they name, or in one
  `evidence` frame per technology (forecast/data/evidence.py).
* ``elicited`` — a stated share with an 80% interval [lo, hi] from evidence: share ~ Normal(s_k(t_mid), (hi − lo) /
  (2 · 1.2816)) on the share scale; a one-sided claim ("X% or more", hi ≈ 1) only as a soft lower bound log Φ((s −
  lo)/sd). A *seed's* stated share is a claim under test, never data: it is held out of the likelihood and reported
  beside the posterior in `summary()`.
* ``ecosystem_count`` — monthly listed MCP servers (month-end commits). A growth series informs the TIMING and
  STEEPNESS of MCP's curve, not its share level: log(count) ~ Normal(log M_series + log logistic(r_mcp (t − t0_mcp)),
  σ_eco) with a per-list scale M_series (the list's size at saturation). Cumulative counts have autocorrelated
  residuals, so the MCP timing is somewhat over-confident.

Counts that start on their plateau (`plateau_start_techs`) show that a curve rose before them, not when: their t0
lies a positive, prior-given lag before the first count. A technology without any series takes its group's and
layer's population curve (`no_data_techs`; its claims are labelled 'prior only'). `cfg.as_of` drops every observation
with period_end ≥ as_of (hindcasts).
"""
from __future__ import annotations


import numpy as np
import pandas as pd

from forecast.core.timeutil import logistic, logit, years_since
from forecast.core.errors import PriorSpecError
from forecast.models.base import ForecastModel, fixed_data, quantile_row
from forecast.models.adoption.data import prepare_inputs
from forecast.models.adoption.likelihood import count_dist, count_logp
from forecast.models.adoption.curves import LOW_RANK_MAX_TECHS, registry_for, share_curve
from forecast.models.adoption.reweighting import AdoptionReweighting
from forecast.models.adoption.backtest import AdoptionBacktest



class Adoption(AdoptionReweighting, AdoptionBacktest, ForecastModel):
    """Share of new models using each technology: logistic curves with ceilings, partially pooled by pyramid layer (non-centred), fitted to beta-binomial quarterly counts from open-model lists, elicited seed shares and, for MCP, the growth of listed servers."""

    name = "adoption"
    typical_sample_s = 10.0
    title = "Technology adoption curves"
    tables = ("adoption_observations",)
    prior_files = ("technologies.yaml",)

    @property
    def min_target_accept(self) -> float:
        # Smaller steps where the geometry curves: technologies with one-sided stated shares only (evidence "X% or
        # more": mostly-prior, one-side-bounded curves) and plateau series (the lag prior meets the ceiling's tails)
        if len(self.inputs["plateau_start_idx"]):
            return 0.97
        return 0.95 if self.inputs["elicited_only_techs"] else 0.0

    @property
    def nutpie_options(self) -> dict:
        # Curves extrapolated past their data (a midpoint after most counts) correlate t0, r and the ceiling, which a
        # low-rank mass-matrix correction captures; its cost per leapfrog step grows with the dimension while it
        # buys nothing for large synthetic registries, so it is used only for registries of realistic size.
        sampled = len(self.inputs["techs"]) - len(self.inputs["no_data_techs"])
        return {"low_rank_modified_mass_matrix": True} if sampled <= LOW_RANK_MAX_TECHS else {}

    @property
    def draws_multiplier(self) -> float:
        # heavy-tailed parameters need more draws for the tail ESS gate: the t0 of one-sided stated shares (twice the
        # draws), and the ceilings of low, flat plateau series (their lag prior and the ceiling trade off in the tails)
        if self.inputs["elicited_only_techs"]:
            return 2
        return 1.5 if len(self.inputs["plateau_start_idx"]) else 1

    # ---- data contract
    # ---- data contract
    def prepare(self, frames):
        self.registry = registry_for(self.priors.file)
        return prepare_inputs(frames, self.priors.settings, self.registry, self.cfg.as_of)


    @property
    def counted_techs(self) -> list[str]:
        return list(self.inputs["counted_techs"])

    @property
    def centred_techs(self) -> list[str]:
        """Technologies whose r is sampled centred (layer mean, tech_sd) rather than non-centred; their ceiling is
        centred too where their counts reach the plateau (`centred_ceiling_techs`).

        Same model, different geometry. A non-centred z of a technology whose counts pin its curve down moves
        with tech_sd, so with many such technologies tech_sd mixes badly (synthetic 50 × 40 quarters); centred,
        they inform tech_sd directly. With few of them tech_sd is mostly prior and the centred funnel opens, so
        the project's three counted technologies stay non-centred."""
        return list(self.inputs["centred_techs"])

    @property
    def centred_ceiling_techs(self) -> list[str]:
        """Centred technologies whose ceiling is centred as well: those whose counts level off
        (`reaches_plateau`). Counts that see only a curve's exponential phase do not fix its ceiling, and a
        centred ceiling the data leave free is a funnel in tech_sd (synthetic 500 technologies: 47 leapfrogs per
        draw, trajectories at the 1023-step limit, R-hat 1.02 on a layer's ceiling mean)."""
        return list(self.inputs["centred_ceiling_techs"])

    @property
    def growth_techs(self) -> list[str]:
        return list(self.inputs["growth_techs"])

    @property
    def elicited_only_techs(self) -> list[str]:
        return list(self.inputs["elicited_only_techs"])

    def config_hash(self) -> str:
        import hashlib
        return hashlib.sha256((super().config_hash() + self.registry.sha256).encode()).hexdigest()

    # ---- priors + likelihood
    def build_model(self):
        import pymc as pm
        import pytensor.tensor as pt

        x = self.inputs
        coords = {"tech": x["techs"], "layer": x["layers"]}
        if len(x["count"]["rows"]):
            coords["frame_pair"] = x["frame_slots"]
        if x["eco_series"]:
            coords["eco_series"] = x["eco_series"]

        def log_sigmoid(v):
            return -pt.softplus(-v)

        with pm.Model(coords=coords) as model:
            # growth rates are pooled over all technologies, not by layer: a layer with one technology (hardware,
            # market) would split its rate between a layer mean and a deviation the data cannot tell apart
            logr_mu = self.priors.rv("logr_mean", shape=1)
            logr_sd = self.priors.rv("logr_tech_sd")
            t0_mu = self.priors.rv("t0_layer_mean", dims="layer")
            t0_sd = self.priors.rv("t0_tech_sd")
            # ceilings pooled within comparable technologies (registry ceiling_group), not within layers
            lc_mu = pt.stack([self.priors.rv(f"logitc_{g}_mean") for g in x["ceiling_groups"]])
            lc_sd = self.priors.rv("logitc_tech_sd")
            growth_ix, counted_ix = x["growth_idx"], x["counted_idx"]
            K = len(x["techs"])

            def pooled(name, mu, sd, prior, unpooled_ix, layer_only_ix=(), centred_ix=(), skip_ix=(), lix=x["layer_idx"]):
                # partial pooling by layer, non-centred (layer mean + tech_sd · z), except:
                #  * unpooled_ix: technologies whose data pin this parameter down get the population prior of a
                #    layer mean, unpooled. Measured at 4×1000: non-centred pooling of the counted techs' t0 gave
                #    R-hat 1.02 / ESS 230 (the non-centred funnel), centred pooling 74 divergences (the centred
                #    funnel at small t0_tech_sd); for MCP the growth series sets timing and steepness of a list,
                #    which must not set the share curves of its layer siblings either.
                #  * layer_only_ix: technologies with no time series take the layer's value itself: one share
                #    point cannot inform a growth rate, and a free deviation there let r → ∞ along saturated
                #    curves (the divergences at large logr_tech_sd).
                #  * centred_ix: well-measured technologies, centred (see `centred_techs`).
                #  * skip_ix: left for the caller to set.
                out = pt.zeros(K)
                special = set(unpooled_ix) | set(layer_only_ix) | set(skip_ix)
                cen = np.array([i for i in centred_ix if i not in special], dtype=int)
                special |= set(cen)
                nc = np.array([i for i in range(K) if i not in special], dtype=int)
                if len(nc):
                    z = pm.Normal(f"z_{name}", 0.0, 1.0, shape=len(nc))
                    out = pt.set_subtensor(out[nc], mu[lix[nc]] + sd * z)
                if len(cen):
                    out = pt.set_subtensor(out[cen], pm.Normal(f"{name}_centred", mu[lix[cen]], sd, shape=len(cen)))
                lo_ix = np.array(sorted(layer_only_ix), dtype=int)
                if len(lo_ix):
                    out = pt.set_subtensor(out[lo_ix], mu[lix[lo_ix]])
                if len(unpooled_ix):
                    out = pt.set_subtensor(out[unpooled_ix], self.priors.rv(prior, name=f"{name}_unpooled", shape=len(unpooled_ix)))
                return out

            no_series = [i for i in range(K) if i not in set(counted_ix) | set(growth_ix)]
            # technologies with no data at all are not sampled: their curve is drawn from the layer's
            # population distribution after the fit (`_params`), which is exactly their posterior predictive
            no_data = [x["techs"].index(t) for t in x["no_data_techs"]]
            cen = x["centred_idx"]
            r = pm.Deterministic("r", pt.exp(pooled("logr", logr_mu, logr_sd, "logr_mean", growth_ix, no_series, cen,
                                                    lix=np.zeros(K, dtype=int))), dims="tech")
            lc = pooled("logitc", lc_mu, lc_sd, None, [], no_data, x["centred_ceiling_idx"], lix=x["ceiling_idx"])
            pm.Deterministic("ceiling", pm.math.sigmoid(lc), dims="tech")
            # t0 is not exchangeable within a layer (settled items from the 2010s sit beside 2020s contests), and
            # one-sided share claims make a ridge in a pooled t0 (divergences at large t0_tech_sd, measured 23-28
            # per 4000 draws): every technology with any data gets its own t0 under the broad layer-mean prior;
            # r and the ceiling stay partially pooled by layer.
            e = x["elicited"]
            eli_ix = [x["techs"].index(t) for t in x["elicited_only_techs"]]
            one_sided, level_ix = x["one_sided_idx"], x["level_idx"]
            # counted technologies with (almost) no adopters yet (no level to pin down): t0 directly, under the same
            # prior. Through the level their u had a prior scale r σ and a one-sided likelihood (u below the first
            # adopter's level), a funnel in r (synthetic 500 technologies: R-hat 1.017, tail ESS 82 on such u).
            high_ix = x["plateau_start_idx"]
            direct = [int(i) for i in np.concatenate([growth_ix, eli_ix, counted_ix]) if i not in set(one_sided) | set(level_ix) | set(high_ix)]
            t0 = pooled("t0", t0_mu, t0_sd, "t0_layer_mean", np.array(direct, dtype=int),
                        no_data, skip_ix=np.concatenate([level_ix, one_sided, high_ix]).astype(int))
            if len(high_ix):
                # Counts that start on their plateau (or fall) show that the curve rose before them, not when: its
                # midpoint lies a positive lag before the first count. Left free, t0 and r would trade a rise long
                # before the data for a slow one through them towards a higher ceiling, a ridge the flat counts
                # cannot resolve; the lag prior says which (priors/adoption.yaml t0_plateau_log_lag).
                lag = pt.exp(self.priors.rv("t0_plateau_log_lag", shape=len(high_ix)))
                t0 = pt.set_subtensor(t0[high_ix], fixed_data("plateau_t_start", x["t_start"]) - lag)
            if len(level_ix) or len(one_sided):
                # A counted technology's t0 is sampled through the curve's level at its counts' reference time τ,
                # u = r (τ − t0) + log c. Counts that see only the start of a curve, s ≈ c·e^(r (t − t0)), fix u and r
                # but not c and t0 apart: in (t0, c) that is a ridge, in (u, c) an axis. u | r, c ~ Normal(r (τ − μ) + log c,
                # r σ) is exactly t0 ~ Normal(μ, σ), the unpooled prior (t0 is a shift and scale of u for fixed r, c).
                # τ: `level_time`. At the mean adopter time instead, u and log r of curves observed on their plateau
                # correlated at 0.99 (synthetic, 500 technologies: 94 leapfrogs per draw).
                t0_prior = self.priors["t0_layer_mean"]
                if t0_prior.distribution != "Normal":
                    raise PriorSpecError("adoption's t0 prior must be Normal (counted technologies sample t0 through a "
                                         "shifted and scaled Normal)", file=self.priors.file, key="t0_layer_mean")
                mu0, sd0 = t0_prior.params["mu"], t0_prior.params["sigma"]

                def through_level(name, ix, tau, t0):
                    r_c, log_c = r[ix], log_sigmoid(lc[ix])
                    u = pm.Normal(name, r_c * (tau - mu0) + log_c, r_c * sd0, shape=len(ix))
                    return pt.set_subtensor(t0[ix], tau - (u - log_c) / r_c)

                if len(level_ix):
                    t0 = through_level("level_ref", level_ix, fixed_data("level_tau", x["t_ref"]), t0)
                if len(one_sided):
                    # An elicited-only technology whose claims are all one-sided ("90%以上") says only that the
                    # curve is high at the stated date τ: in (r, t0) that bound is the curve t0 ≤ τ − K/r (1–3
                    # divergences per 4000 draws at small r and t0 ≈ −7, at target_accept 0.9, 0.95 and 0.97), in (r, u)
                    # the flat u ≥ K'. Measured at 4×1000, target_accept 0.95, 4 seeds: 0 divergences, R-hat ≤ 1.010, min
                    # ESS ≥ 477 (the u of a one-sided claim has a heavy right tail, its prior scale being r σ). Not
                    # for the two-sided claim (benchmark_homogenization): there u mixed worse than t0 (ESS 350).
                    t0 = through_level("level_elicited", one_sided, self._one_sided_tau(), t0)
            t0 = pm.Deterministic("t0", t0, dims="tech")

            gr = x["grid"]
            if len(x["count"]["rows"]):
                # row indices are data, not constants, so that new rows keep the graph (and its compiled code)
                rt = fixed_data("count_row_tech", gr["row_tech"])
                rf = fixed_data("count_row_frame", gr["row_frame"])
                phi = self.priors.rv("concentration")
                off = pt.concatenate([pt.zeros(1), self.priors.rv("frame_offset", dims="frame_pair")])
                pm.CustomDist("count_obs", lc[rt], r[rt], t0[rt], off[rf], phi,
                              fixed_data("count_t", gr["t"]), fixed_data("count_n", gr["n"]),
                              dist=count_dist, logp=count_logp, observed=fixed_data("count_k", gr["k"]))
            two = ~e["lower_only"]
            if two.any():
                e_tech = fixed_data("elicited_tech", e["tech"][two])
                e_t = fixed_data("elicited_t", e["t"][two])
                e_sd = fixed_data("elicited_sd", e["sd"][two])
                e_y = fixed_data("elicited_y", e["y"][two])
                share_e = pt.exp(log_sigmoid(lc[e_tech]) + log_sigmoid(r[e_tech] * (e_t - t0[e_tech])))
                pm.Normal("elicited_obs", mu=share_e, sigma=e_sd, observed=e_y, shape=e_t.shape)
            if e["lower_only"].any():
                # a one-sided claim ("90%以上", "100%") says only that the share is at least lo: a normal observation
                # of the curve censored above at lo, whose likelihood is log Φ((s − lo)/sd). A point likelihood at
                # 1.0 would push ceiling → 1 and t0 → −∞ along a ridge (the divergences seen).
                lo_ = e["lower_only"]
                ti = e["tech"][lo_]
                s_lo = pt.exp(log_sigmoid(lc[ti]) + log_sigmoid(r[ti] * (e["t"][lo_] - t0[ti])))
                pm.Censored("elicited_lower", pm.Normal.dist(s_lo, e["lo_sd"][lo_]), lower=None, upper=e["lo"][lo_],
                            observed=fixed_data("elicited_lower_y", e["lo"][lo_]))
            g = x["eco"]
            if len(g["t"]):
                m = x["techs"].index("mcp")
                g_ser = fixed_data("eco_series_idx", g["series"])
                g_t = fixed_data("eco_t", g["t"])
                g_y = fixed_data("eco_log_count", g["log_count"])
                log_m = self.priors.rv("eco_log_scale", dims="eco_series")
                sig = self.priors.rv("eco_sigma")
                pm.Normal("eco_obs", mu=log_m[g_ser] + log_sigmoid(r[m] * (g_t - t0[m])), sigma=sig, observed=g_y, shape=g_t.shape)
        return model

    @property
    def forecast_start(self) -> pd.Timestamp:
        # the share is latent: its posterior path before the data end is part of the answer (e.g. "60% in 2025")
        return pd.Timestamp(self.priors.settings.get("forecast_start", "2020-01-01"))

    @property
    def data_end(self) -> pd.Timestamp:
        return self.inputs["data_end"]

    # ---- derived quantities
    def _tech_index(self, tech: str) -> int:
        if tech not in self.inputs["techs"]:
            raise KeyError(f"adoption: technology {tech!r} is not in the registry ({self.registry.file}); "
                           f"known: {', '.join(self.inputs['techs'])}")
        return self.inputs["techs"].index(tech)

    def _params(self):
        cache = self.__dict__.setdefault("_param_cache", {})
        key = id(self.idata)
        if key not in cache:
            cache.clear()
            c, r, t0 = (self.draws(v).copy() for v in ("ceiling", "r", "t0"))
            nd = [self.inputs["techs"].index(t) for t in self.inputs["no_data_techs"]]
            if nd:
                # posterior predictive of an unobserved technology in its layer: layer value + tech_sd · z
                rng = np.random.default_rng([int(self.cfg.seed), 7])
                z = rng.standard_normal((3, c.shape[0], len(nd)))
                r[:, nd] = np.exp(np.log(r[:, nd]) + self.draws("logr_tech_sd")[:, None] * z[0])
                t0[:, nd] = t0[:, nd] + self.draws("t0_tech_sd")[:, None] * z[1]
                c[:, nd] = logistic(logit(c[:, nd]) + self.draws("logitc_tech_sd")[:, None] * z[2])
            cache[key] = (c, r, t0)
        return cache[key]

    def share_paths(self, tech: str, dates) -> np.ndarray:
        """Latent share s_k(t) per posterior draw at `dates`: (draws, T) in [0, 1]."""
        k = self._tech_index(tech)
        c, r, t0 = (a[:, k] for a in self._params())
        t = years_since(pd.DatetimeIndex(pd.to_datetime(dates)), self.inputs["ref_date"])
        return share_curve(t[None, :], c[:, None], r[:, None], t0[:, None])

    def paths(self, kind, params, dates, rng):
        if kind not in ("share_at_least", "share_at_least_on"):  # passage or state: the engine reads them differently
            return super().paths(kind, params, dates, rng)
        return self.share_paths(params["tech"], dates) >= float(params["value"])

    def data_label(self, kind, params):
        # counts fix a share; a growth series (MCP's listed servers) fixes only timing and steepness, not the level
        tech = params["tech"]
        self._tech_index(tech)
        x = self.inputs
        return "observed" if tech in x["counted_techs"] else "partly observed" if tech in x["growth_techs"] else "prior only"

    def observed_passage(self, kind, params):
        # the share is latent: a noisy quarter of a small list with k/n ≥ value is not the share passing the value
        return None

    def t0_dates(self, tech: str) -> pd.DatetimeIndex:
        """Posterior draws of the curve's midpoint as dates."""
        t0 = self._params()[2][:, self._tech_index(tech)]
        return self.inputs["ref_date"] + pd.to_timedelta(t0 * 365.25, unit="D")

    # ---- reporting
    def summary(self):
        s = self.priors.settings
        when = pd.Timestamp(s["summary_date"])
        x = self.inputs
        rows = []
        for tech in x["counted_techs"] + x["growth_techs"]:
            k = self._tech_index(tech)
            c, r, t0 = (a[:, k] for a in self._params())
            share = self.share_paths(tech, pd.DatetimeIndex([when]))[:, 0]
            seed = self.registry[tech].seed_values.get("adoption")
            growth_note = "share level from the layer prior: the growth series informs timing/steepness only" if tech in x["growth_techs"] else ""
            rows.append(quantile_row(f"{tech}: share on {when.date()}", share, "" if seed is None else f"{seed:g}", growth_note, fmt="{:.2f}"))
            t0d = x["ref_date"].value + (t0 * 365.25 * 86400e9)
            q05, q50, q95 = (pd.Timestamp(int(v)).date().isoformat() for v in np.quantile(t0d, [0.05, 0.5, 0.95]))
            rows.append({"quantity": f"{tech}: curve midpoint t0 (date)", "median": q50, "q05": q05, "q95": q95,
                         "seed_claim": "", "note": "date the share reaches half its ceiling",
                         "values": tuple(float(v) for v in np.quantile(t0 + x["ref_date"].year + (x["ref_date"].dayofyear - 1) / 365.25, [0.5, 0.05, 0.95]))})
            rows.append(quantile_row(f"{tech}: growth rate r (logit units / year)", r, fmt="{:.2f}"))
            rows.append(quantile_row(f"{tech}: ceiling c", c, fmt="{:.2f}"))
        for _, e in x["held_out"].iterrows():
            tech = e["technology"]
            midd = e["period_start"] + (e["period_end"] - e["period_start"]) / 2
            share = self.share_paths(tech, pd.DatetimeIndex([midd]))[:, 0]
            p_in = float(((share >= e["share_lo"]) & (share <= e["share_hi"])).mean())
            pct = float((share < e["share"]).mean())
            verdict = "data CONTRADICT the seed" if (pct > 0.95 or pct < 0.05) else ("data are in tension with the seed" if (pct > 0.9 or pct < 0.1) else "data are consistent with the seed")
            rows.append(quantile_row(f"{tech}: seed check, share on {midd.date()}", share,
                                     f"{e['share']:g} (80% {e['share_lo']:g}–{e['share_hi']:g}; {e['source']})",
                                     f"{verdict}: P(share in the seed's interval) = {p_in:.2f}; the seed's value sits at posterior percentile {100 * pct:.0f} (seed row held out of the fit)",
                                     fmt="{:.2f}"))
        note = (f"counted data (beta-binomial): {', '.join(x['counted_techs']) or 'none'}; growth series only: {', '.join(x['growth_techs']) or 'none'}; "
                f"stated share only (evidence): {', '.join(x['elicited_only_techs']) or 'none'}; "
                f"prior only (population curve, no public series): {', '.join(x['no_data_techs']) or 'none'}")
        rows.append({"quantity": "data coverage", "median": "", "q05": "", "q95": "", "seed_claim": "", "note": note, "values": (np.nan, np.nan, np.nan)})
        return rows

    def _one_sided_tau(self) -> np.ndarray:
        """Reference time of each one-sided elicited-only technology's level: the mean date of its claims."""
        e = self.inputs["elicited"]
        return np.array([e["t"][e["tech"] == i].mean() for i in self.inputs["one_sided_idx"]])









