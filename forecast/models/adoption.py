"""Adoption share of each technology among new models: hierarchical logistic curves.

For technology k in pyramid layer l(k) and t in years since `settings.ref_date`:

    s_k(t) = c_k · logistic(r_k · (t − t0_k))

with log r_k, t0_k and logit c_k partially pooled by layer and NON-CENTRED:
x_k = layer_mean_x[l(k)] + tech_sd_x · z_k, z_k ~ Normal(0, 1) (priors/adoption.yaml).

Observations (data/adoption_observations.csv):

* ``count`` — k of n new models in a quarter in a sampling frame (popular open-model lists). The lists are
  small and popular-model-biased (DESIGN §9), so the likelihood is beta-binomial with concentration φ,
  evaluated at the quarter's midpoint, with a logit offset per (technology, frame) for frames other than
  `settings.reference_series` (the share forecast is defined on the reference frame).
* ``elicited`` — a stated share with an 80% interval [lo, hi]: share ~ Normal(s_k(t_mid), (hi − lo) / (2 · 1.2816))
  on the share scale; a one-sided claim ("X% or more", hi ≈ 1) only as a soft lower bound log Φ((s − lo)/sd). A *seed's* elicited
  share for a technology that has counted data is a claim under test, not data: by default it is kept out of
  the likelihood (`use_seed_elicited_for_counted: false`) and reported beside the posterior in `summary()`.
* ``ecosystem_count`` — monthly listed MCP servers (month-end commits). A growth series informs the TIMING and
  STEEPNESS of MCP's curve, not its share level: log(count) ~ Normal(log M_series + log logistic(r_mcp (t − t0_mcp)), σ_eco)
  with a per-list scale M_series (the list's size at saturation). Only rows while the list was open are in the
  table (the data builder filters frozen lists). Cumulative counts have autocorrelated residuals, so the MCP
  timing is somewhat over-confident.

A technology without counted data gets its layer's pooled curve, updated only by its elicited rows (if any);
`counted_techs`, `growth_techs` and `elicited_only_techs` say which is which. `cfg.as_of` drops every
observation with period_end ≥ as_of (hindcasts).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from ..technologies import Registry, load_technologies
from .base import ForecastModel, quantile_row

FILE = "adoption_observations.csv"


def years_since(dates, ref) -> np.ndarray:
    """Time in years (365.25 days) from `ref` to each date."""
    d = pd.DatetimeIndex(pd.to_datetime(dates))
    return ((d - pd.Timestamp(ref)) / pd.Timedelta(days=1)).to_numpy(float) / 365.25


def logistic(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


def share_curve(t, ceiling, r, t0) -> np.ndarray:
    """s(t) = c · logistic(r (t − t0)); parameters broadcast against t (draws × 1 against 1 × T, say)."""
    return np.asarray(ceiling) * logistic(np.asarray(r) * (np.asarray(t) - np.asarray(t0)))


def elicited_sd(lo, hi, z80: float = 1.2816) -> np.ndarray:
    """sd on the share scale of a normal whose central 80% interval is [lo, hi].

    Elicited shares are compared with the curve on the share scale, not the logit scale: near 0 or 1 the
    logit of a stated share ("100%", "95%以上") lies beyond what a curve with a ceiling below 1 can reach,
    which made a hard wall in the posterior (87 divergences at 4×1000 with the logit-normal form)."""
    return (np.asarray(hi, dtype=float) - np.asarray(lo, dtype=float)) / (2 * z80)


def registry_for(priors_file: str | None) -> Registry:
    """The technology registry next to the model's prior file (a run's own copy), else the project's."""
    if priors_file:
        p = Path(priors_file).parent
        if (p / "technologies.yaml").exists():
            return load_technologies(p)
    return load_technologies()


class Adoption(ForecastModel):
    """Share of new models using each technology: logistic curves with ceilings, partially pooled by pyramid layer (non-centred), fitted to beta-binomial quarterly counts from open-model lists, elicited seed shares and, for MCP, the growth of listed servers."""

    # the extrapolated curves (MoE's midpoint lies after most of its data) correlate t0, r and the ceiling:
    # a low-rank mass-matrix correction fixes the mixing (measured at 4×1000: R-hat 1.012 / tail ESS 323 with
    # the diagonal default, 1.005 / 1093 with low rank, similar time)
    nutpie_options = {"low_rank_modified_mass_matrix": True}
    name = "adoption"
    title = "Technology adoption curves"
    tables = ("adoption_observations",)

    # ---- data contract
    def prepare(self, frames):
        from ..schema import validate
        from ..tables import ADOPTION_OBSERVATIONS

        s = self.priors.settings
        self.registry = registry_for(self.priors.file)
        reg = self.registry
        f = validate(frames["adoption_observations"], ADOPTION_OBSERVATIONS, FILE)
        row_no = f.index.to_numpy() + 2  # file row numbers (header = row 1)
        f = f.assign(_row=row_no)
        unknown = ~f["technology"].astype(str).isin(reg.ids)
        if unknown.any():
            r = f[unknown].iloc[0]
            raise DataValidationError(f"unknown technology {r['technology']!r}; not in {reg.file}", file=FILE, row=int(r["_row"]), column="technology")
        today = pd.Timestamp.today().normalize()
        future = f["period_end"] > today
        if future.any():
            r = f[future].iloc[0]
            raise DataValidationError(f"period_end {r['period_end'].date()} is in the future (today {today.date()})", file=FILE, row=int(r["_row"]), column="period_end")
        eco_bad = (f["kind"] == "ecosystem_count") & (f["technology"] != "mcp")
        if eco_bad.any():
            r = f[eco_bad].iloc[0]
            raise DataValidationError("ecosystem_count rows are only modelled for technology 'mcp'", file=FILE, row=int(r["_row"]), column="technology")
        if self.cfg.as_of:
            f = f[f["period_end"] < pd.Timestamp(self.cfg.as_of)]
        techs = reg.ids
        tix = {t: i for i, t in enumerate(techs)}
        layers = list(reg.layers)
        ref = pd.Timestamp(s["ref_date"])
        z80 = float(s["z80"])
        mid = f["period_start"] + (f["period_end"] - f["period_start"]) / 2

        cnt = f[f["kind"] == "count"]
        counted = sorted(set(cnt["technology"]), key=techs.index)
        refser = s["reference_series"]
        pairs = sorted({(t, ser) for t, ser in zip(cnt["technology"], cnt["series"]) if ser != refser})
        pair_ix = {p: i + 1 for i, p in enumerate(pairs)}  # 0 = reference frame (offset 0)

        eli = f[f["kind"] == "elicited"]
        if not s.get("use_seed_elicited_for_counted", False):
            held = eli["technology"].isin(counted) & (eli["series"] == s["seed_elicited_series"])
        else:
            held = pd.Series(False, index=eli.index)
        eli_used, eli_held = eli[~held], eli[held]

        eco = f[f["kind"] == "ecosystem_count"].sort_values(["series", "period_end"])
        eco_series = sorted(set(eco["series"]))
        growth = ["mcp"] if len(eco) else []
        elicited_only = [t for t in techs if t not in counted and t not in growth and t in set(eli_used["technology"])]
        no_data = [t for t in techs if t not in counted and t not in growth and t not in elicited_only]
        used = pd.concat([cnt, eli_used, eco])
        data_end = used.loc[used["kind"] != "elicited", "period_end"].max() if (used["kind"] != "elicited").any() else used["period_end"].max()
        if pd.isna(data_end):
            data_end = pd.Timestamp(self.cfg.as_of) if self.cfg.as_of else today
        sh = eli_used["share"].to_numpy(float)
        return {
            "frame": f, "techs": techs, "layers": layers,
            "growth_idx": np.array([tix[t] for t in growth], dtype=int), "counted_idx": np.array([tix[t] for t in counted], dtype=int),
            "layer_idx": np.array([layers.index(reg[t].layer) for t in techs], dtype=int),
            "ref_date": ref,
            "count": {"tech": cnt["technology"].map(tix).to_numpy(int), "t": years_since(mid[cnt.index], ref),
                      "k": cnt["k"].to_numpy(int), "n": cnt["n"].to_numpy(int),
                      "frame": np.array([pair_ix.get((t, ser), 0) for t, ser in zip(cnt["technology"], cnt["series"])], dtype=int),
                      "rows": cnt},
            "frame_pairs": [f"{t}|{ser}" for t, ser in pairs],
            "elicited": {"tech": eli_used["technology"].map(tix).to_numpy(int), "t": years_since(mid[eli_used.index], ref),
                         "y": sh,
                         "sd": np.maximum(elicited_sd(eli_used["share_lo"], eli_used["share_hi"], z80), 0.01),
                         # "X% or more" claims (upper bound ~1) only say the share is at least share_lo
                         "lower_only": eli_used["share_hi"].to_numpy(float) >= 0.99,
                         "lo": eli_used["share_lo"].to_numpy(float),
                         "lo_sd": np.maximum((sh - eli_used["share_lo"].to_numpy(float)) / z80, 0.01),
                         "rows": eli_used},
            "held_out": eli_held,
            "eco": {"series": eco["series"].map({x: i for i, x in enumerate(eco_series)}).to_numpy(int),
                    "t": years_since(eco["period_end"], ref), "log_count": np.log(eco["k"].to_numpy(float)), "rows": eco},
            "eco_series": eco_series,
            "counted_techs": counted, "growth_techs": growth, "elicited_only_techs": elicited_only, "no_data_techs": no_data,
            "data_end": pd.Timestamp(data_end),
        }

    @property
    def counted_techs(self) -> list[str]:
        return list(self.inputs["counted_techs"])

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
        if x["frame_pairs"]:
            coords["frame_pair"] = x["frame_pairs"]
        if x["eco_series"]:
            coords["eco_series"] = x["eco_series"]

        def log_sigmoid(v):
            return -pt.softplus(-v)

        with pm.Model(coords=coords) as model:
            lix = x["layer_idx"]
            logr_mu = self.priors.rv("logr_layer_mean", dims="layer")
            logr_sd = self.priors.rv("logr_tech_sd")
            t0_mu = self.priors.rv("t0_layer_mean", dims="layer")
            t0_sd = self.priors.rv("t0_tech_sd")
            lc_mu = self.priors.rv("logitc_layer_mean", dims="layer")
            lc_sd = self.priors.rv("logitc_tech_sd")
            growth_ix, counted_ix = x["growth_idx"], x["counted_idx"]
            K = len(x["techs"])

            def pooled(name, mu, sd, prior, unpooled_ix, layer_only_ix=()):
                # partial pooling by layer, non-centred (layer mean + tech_sd · z), except:
                #  * unpooled_ix: technologies whose data pin this parameter down get the population prior of a
                #    layer mean, unpooled. Measured at 4×1000: non-centred pooling of the counted techs' t0 gave
                #    R-hat 1.02 / ESS 230 (the non-centred funnel), centred pooling 74 divergences (the centred
                #    funnel at small t0_tech_sd); for MCP the growth series sets timing and steepness of a list,
                #    which must not set the share curves of its layer siblings either.
                #  * layer_only_ix: technologies with no time series take the layer's value itself: one share
                #    point cannot inform a growth rate, and a free deviation there let r → ∞ along saturated
                #    curves (the divergences at large logr_tech_sd).
                out = pt.zeros(K)
                special = set(unpooled_ix) | set(layer_only_ix)
                nc = np.array([i for i in range(K) if i not in special], dtype=int)
                if len(nc):
                    z = pm.Normal(f"z_{name}", 0.0, 1.0, shape=len(nc))
                    out = pt.set_subtensor(out[nc], mu[lix[nc]] + sd * z)
                lo_ix = np.array(sorted(layer_only_ix), dtype=int)
                if len(lo_ix):
                    out = pt.set_subtensor(out[lo_ix], mu[lix[lo_ix]])
                if len(unpooled_ix):
                    out = pt.set_subtensor(out[unpooled_ix], self.priors.rv(prior, name=f"{name}_unpooled", shape=len(unpooled_ix)))
                return out

            data_ix = np.concatenate([counted_ix, growth_ix]).astype(int)
            no_series = [i for i in range(K) if i not in set(counted_ix) | set(growth_ix)]
            # technologies with no data at all are not sampled: their curve is drawn from the layer's
            # population distribution after the fit (`_params`), which is exactly their posterior predictive
            no_data = [x["techs"].index(t) for t in x["no_data_techs"]]
            r = pm.Deterministic("r", pt.exp(pooled("logr", logr_mu, logr_sd, "logr_layer_mean", growth_ix, no_series)), dims="tech")
            # t0 is not exchangeable within a layer (settled items from the 2010s sit beside 2020s contests), and
            # one-sided share claims make a ridge in a pooled t0 (divergences at large t0_tech_sd, measured 23-28
            # per 4000 draws): every technology with any data gets its own t0 under the broad layer-mean prior;
            # r and the ceiling stay partially pooled by layer.
            eli_ix = [x["techs"].index(t) for t in x["elicited_only_techs"]]
            t0 = pm.Deterministic("t0", pooled("t0", t0_mu, t0_sd, "t0_layer_mean", np.concatenate([data_ix, eli_ix]).astype(int), no_data), dims="tech")
            lc = pooled("logitc", lc_mu, lc_sd, None, [], no_data)
            pm.Deterministic("ceiling", pm.math.sigmoid(lc), dims="tech")

            def logit_share(ti, t):
                log_s = log_sigmoid(lc[ti]) + log_sigmoid(r[ti] * (t - t0[ti]))
                return log_s - pt.log1mexp(log_s)

            c = x["count"]
            if len(c["k"]):
                c_tech = pm.Data("count_tech", c["tech"])
                c_t = pm.Data("count_t", c["t"])
                c_n = pm.Data("count_n", c["n"])
                c_k = pm.Data("count_k", c["k"])
                c_fr = pm.Data("count_frame", c["frame"])
                phi = self.priors.rv("concentration")
                if x["frame_pairs"]:
                    off = pt.concatenate([pt.zeros(1), self.priors.rv("frame_offset", dims="frame_pair")])
                else:
                    off = pt.zeros(1)
                p = pm.math.sigmoid(logit_share(c_tech, c_t) + off[c_fr])
                pm.BetaBinomial("count_obs", n=c_n, alpha=p * phi, beta=(1 - p) * phi, observed=c_k, shape=c_t.shape)
            e = x["elicited"]
            two = ~e["lower_only"]
            if two.any():
                e_tech = pm.Data("elicited_tech", e["tech"][two])
                e_t = pm.Data("elicited_t", e["t"][two])
                e_sd = pm.Data("elicited_sd", e["sd"][two])
                e_y = pm.Data("elicited_y", e["y"][two])
                share_e = pt.exp(log_sigmoid(lc[e_tech]) + log_sigmoid(r[e_tech] * (e_t - t0[e_tech])))
                pm.Normal("elicited_obs", mu=share_e, sigma=e_sd, observed=e_y, shape=e_t.shape)
            if e["lower_only"].any():
                # a one-sided claim ("90%以上", "100%") as a soft lower bound: log Φ((s − lo)/sd). A point
                # likelihood at 1.0 would push ceiling → 1 and t0 → −∞ along a ridge (the divergences seen).
                lo_ = e["lower_only"]
                s_lo = pt.exp(log_sigmoid(lc[e["tech"][lo_]]) + log_sigmoid(r[e["tech"][lo_]] * (e["t"][lo_] - t0[e["tech"][lo_]])))
                pm.Potential("elicited_lower", pt.sum(pm.logcdf(pm.Normal.dist(0.0, 1.0), (s_lo - e["lo"][lo_]) / e["lo_sd"][lo_])))
            g = x["eco"]
            if len(g["t"]):
                m = x["techs"].index("mcp")
                g_ser = pm.Data("eco_series_idx", g["series"])
                g_t = pm.Data("eco_t", g["t"])
                g_y = pm.Data("eco_log_count", g["log_count"])
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
        if kind != "share_at_least":
            return super().paths(kind, params, dates, rng)
        return self.share_paths(params["tech"], dates) >= float(params["value"])

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
                f"elicited only (layer curve + stated share): {', '.join(x['elicited_only_techs']) or 'none'}; "
                f"no data (layer prior curve): {', '.join(x['no_data_techs']) or 'none'}")
        rows.append({"quantity": "data coverage", "median": "", "q05": "", "q95": "", "seed_claim": "", "note": note, "values": (np.nan, np.nan, np.nan)})
        return rows

    def figures(self):
        from .. import plots
        s = self.priors.settings
        dates = pd.date_range(s["plot_start"], s["plot_end"], freq="ME")
        figs = {}
        reg = self.registry
        for layer in reg.layers:
            techs = [t for t in self.inputs["techs"] if reg[t].layer == layer]
            if techs:
                figs[f"adoption_{layer}"] = plots.adoption_grid(self, techs, dates, title=f"Adoption share, {layer} layer")
        return figs

    # ---- backtesting: later quarterly counts k/n of each counted technology in each sampling frame
    # Series "adoption_share:{tech}:{frame}". The target is the observed share k/n, scored as a continuous
    # quantity (discrete=False); the predictive is the beta-binomial count divided by n, so it is a point
    # mass on {0, 1/n, …, 1} for each target. `t` is the decimal year of the quarter midpoint (the backtest
    # driver's convention for horizons and baselines); `t_model` is the same midpoint in the model's own
    # time (years since settings.ref_date), which is what `predictive` evaluates the curve at.
    @staticmethod
    def _count_series(rows: pd.DataFrame) -> pd.Series:
        return "adoption_share:" + rows["technology"].astype(str) + ":" + rows["series"].astype(str)

    def backtest_targets(self, full, horizon_years):
        from .compute_trend import decimal_year
        as_of = pd.Timestamp(self.cfg.as_of)
        rows = full.inputs["count"]["rows"]
        later = rows[(rows["period_end"] >= as_of)
                     & (rows["period_start"] < as_of + pd.DateOffset(days=int(365.25 * horizon_years)))]
        mid = later["period_start"] + (later["period_end"] - later["period_start"]) / 2
        k, n = later["k"].to_numpy(float), later["n"].to_numpy(float)
        return pd.DataFrame({"series": self._count_series(later).to_numpy(), "date": mid.to_numpy(),
                             "t": decimal_year(mid), "y": k / n, "discrete": False,
                             "t_model": years_since(mid, self.inputs["ref_date"]),
                             "tech": [self.inputs["techs"].index(t) for t in later["technology"]],
                             "n": later["n"].to_numpy(int), "frame": later["series"].astype(str).to_numpy(),
                             "period_end": later["period_end"].to_numpy()})

    def backtest_history(self):
        from .compute_trend import decimal_year
        rows = self.inputs["count"]["rows"]
        mid = rows["period_start"] + (rows["period_end"] - rows["period_start"]) / 2
        return pd.DataFrame({"series": self._count_series(rows).to_numpy(), "t": decimal_year(mid),
                             "y": rows["k"].to_numpy(float) / rows["n"].to_numpy(float)})

    def predictive(self, targets, rng, n_draws=1000):
        c, r, t0 = self._params()
        S = c.shape[0]
        idx = rng.choice(S, size=n_draws, replace=S < n_draws)
        ti = targets["tech"].to_numpy(int)
        tm = targets["t_model"].to_numpy(float)
        # logit of s = c·logistic(r (t − t0)), in log space as in the likelihood
        log_sig = lambda v: -np.logaddexp(0.0, -v)  # noqa: E731
        with np.errstate(divide="ignore"):
            log_c = np.log(c[idx][:, ti])
        log_s = log_c + log_sig(r[idx][:, ti] * (tm[None, :] - t0[idx][:, ti]))
        log_s = np.minimum(log_s, -1e-12)
        log1mexp = np.where(log_s > -np.log(2.0), np.log(-np.expm1(log_s)), np.log1p(-np.exp(log_s)))
        eta = log_s - log1mexp
        # frame offsets: 0 on the reference frame; a (tech, frame) pair the fit never saw gets its prior
        pairs = list(self.inputs["frame_pairs"])
        off_draws = self.draws("frame_offset")[idx] if pairs else np.zeros((n_draws, 0))
        refser = self.priors.settings["reference_series"]
        techs = self.inputs["techs"]
        for j, (k, fr) in enumerate(zip(ti, targets["frame"].astype(str))):
            if fr == refser:
                continue
            key = f"{techs[k]}|{fr}"
            if key in pairs:
                eta[:, j] += off_draws[:, pairs.index(key)]
            else:
                eta[:, j] += self.priors["frame_offset"].to_scipy().rvs(size=n_draws, random_state=rng)
        p = np.clip(logistic(eta), 1e-12, 1 - 1e-12)
        if len(self.inputs["count"]["k"]):
            phi = self.draws("concentration")[idx][:, None]
        else:  # no counts before the origin: the concentration is not in the posterior, draw its prior
            phi = self.priors["concentration"].to_scipy().rvs(size=n_draws, random_state=rng)[:, None]
        n = targets["n"].to_numpy(int)
        q = rng.beta(p * phi, (1 - p) * phi)
        k_draws = rng.binomial(np.broadcast_to(n, q.shape), q)
        return k_draws / n[None, :]
