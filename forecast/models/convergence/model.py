"""Convergence degree C_k(t) and pyramid level of each technology (003_3410920be6d6df1f.txt «三、核心形式化理论 › 3.1 收敛进行时的形式化定义», «四、代表技术 › 3.1 MoE vs Dense»).

    C_k(t) = w_A·A_k(t) + w_S·S_k + w_K·(1 − K_k)            (three_term, default; weights 0.4/0.3/0.3)
    C_k(t) = w_A·A_k(t) + w_S·S_k + w_K·(1 − K_k) + w_M·M_k  (four_term; 0.3/0.3/0.2/0.2)

selected by `settings.formula` in priors/convergence.yaml, weights read from priors/levels.yaml `formula:`.
A_k(t) is the adoption share path of the fitted `adoption` model, paired draw by draw with this model's
draws (tiled / permuted deterministically from cfg.seed when the draw counts differ).

Standardization S_k and controversy K_k (and maturity M_k in the four-term formula) are fitted, not assumed. On the
logit scale each is partially pooled, non-centred: x_k = μ + σ_layer·z_layer[l(k)] + σ_tech·z_k, with population
priors that are not centred on any seed's value (priors/convergence.yaml). Where a technology's variant distribution
is observed (data/variant_counts.csv: the share of the dominant variant and the normalised entropy over the last year
of each series, see `measurements`), each series is a noisy measurement of logit S_k and logit K_k with its Dirichlet
sd plus a shared frame-disagreement scale; judgement evidence is a measurement with its stated interval. A technology
without such data takes its layer's population distribution, fitted to the technologies with data: its S and K are
"prior" (`component_sources`), and claims on it say so (`data_label`).

The level is the band of priors/levels.yaml containing C, bands (lower, upper] with L0 closed at 0:
`level_at_least` is C > lower bound of the target band (level index ≥ target); `level_is` is level == target.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.core.errors import PriorSpecError
from forecast.core.timeutil import first_passage_index
from forecast.data.technologies import COMPONENTS, convergence_degree, level_index, load_levels
from forecast.models.adoption.curves import registry_for
from forecast.models.base import ForecastModel, fixed_data, quantile_row
from forecast.models.convergence.measurements import judgement_measurements, variant_measurements


class Convergence(ForecastModel):
    """Convergence degree C(t) = weighted adoption, standardization and (1 − controversy) per technology (seed 003), with the level bands of priors/levels.yaml; adoption paths come from the adoption model draw by draw."""

    name = "convergence"
    title = "Convergence degree and level"
    backtest_note = ("derived draw by draw from adoption's paths (backtested under adoption) and the variant-count "
                     "measurements of standardization and controversy")
    tables = ("adoption_observations", "variant_counts")
    prior_files = ("technologies.yaml", "levels.yaml")
    optional_frames = ("judgements",)  # judgement evidence, when any
    requires = ("adoption",)
    upstream_in_posterior = False  # S, K, M are sampled alone; adoption's paths are paired with them afterwards
    # the layer and technology standard deviations of S and K make funnels with their non-centred deviations, and at
    # the default 0.9 most seeds leave one to three divergent transitions there; smaller steps leave none
    min_target_accept = 0.95

    # ---- data contract
    def prepare(self, frames):
        from pathlib import Path
        s = self.priors.settings
        self.registry = registry_for(self.priors.file)
        pdir = Path(self.priors.file).parent
        self.levels = load_levels(pdir if (pdir / "levels.yaml").exists() else None)
        formula = s.get("formula", "three_term")
        if formula not in self.levels.formulas:
            raise PriorSpecError(f"formula {formula!r} not in {self.levels.file}; valid: {', '.join(self.levels.formulas)}",
                                 file=self.priors.file, key="settings.formula")
        weights = self.levels.formulas[formula]
        techs = self.registry.ids
        comps = [c for c in COMPONENTS if c != "maturity" or weights.get("maturity")]
        f = frames["adoption_observations"]
        variants = frames["variant_counts"]
        if self.cfg.as_of:
            f = f[f["period_end"] < pd.Timestamp(self.cfg.as_of)]
        nonel = f[f["kind"] != "elicited"]
        data_end = (nonel if len(nonel) else f)["period_end"].max()
        meas = variant_measurements(variants, techs, int(self.cfg.seed), self.cfg.as_of)
        judged = judgement_measurements(frames.get("judgements"), techs, comps, float(s.get("z80", 1.2816)))
        layers = list(self.registry.layers)
        return {"techs": techs, "formula": formula, "weights": weights, "components": comps,
                "layers": layers, "layer_idx": np.array([layers.index(self.registry[t].layer) for t in techs]),
                "measurements": meas, "judgements": judged,
                "snapshot": pd.Timestamp(s["snapshot_date"]), "data_end": pd.Timestamp(data_end)}

    def config_hash(self) -> str:
        import hashlib
        return hashlib.sha256((super().config_hash() + self.registry.sha256 + self.levels.sha256).encode()).hexdigest()

    # ---- priors + likelihood
    def build_model(self):
        import pymc as pm
        import pytensor.tensor as pt

        x = self.inputs
        with pm.Model(coords={"tech": x["techs"], "layer": x["layers"]}) as model:
            latent = {}
            for c in x["components"]:
                mu = self.priors.rv(f"{c}_mean")
                sd_layer = self.priors.rv(f"{c}_layer_sd")
                sd_tech = self.priors.rv(f"{c}_tech_sd")
                z_layer = pm.Normal(f"z_{c}_layer", 0.0, 1.0, dims="layer")
                z_tech = pm.Normal(f"z_{c}", 0.0, 1.0, dims="tech")
                lat = mu + sd_layer * z_layer[x["layer_idx"]] + sd_tech * z_tech
                latent[c] = lat
                pm.Deterministic(c, pm.math.sigmoid(lat), dims="tech")
            meas, judged = x["measurements"], x["judgements"]
            if len(meas):
                frame_sd = self.priors.rv("frame_sd")
                at = pt.stack([latent[c][i] for c, i in zip(meas["component"], meas["tech"])])
                sd = pt.sqrt(fixed_data("measurement_s", meas["s"].to_numpy(float)) ** 2 + frame_sd ** 2)
                pm.Normal("variant_obs", at, sd, observed=fixed_data("measurement_m", meas["m"].to_numpy(float)))
            if len(judged):
                at = pt.stack([latent[c][i] for c, i in zip(judged["component"], judged["tech"])])
                pm.Normal("judgement_obs", at, fixed_data("judgement_s", judged["s"].to_numpy(float)),
                          observed=fixed_data("judgement_m", judged["m"].to_numpy(float)))
        return model

    def component_sources(self, tech: str) -> dict[str, list[str]]:
        """Per component, the series (and judgement evidence ids) that measure it for `tech`; empty = prior only."""
        x = self.inputs
        out = {c: [] for c in x["components"]}
        for frame, key in ((x["measurements"], "series"), (x["judgements"], "id")):
            for c, name in zip(frame.loc[frame["technology"] == tech, "component"], frame.loc[frame["technology"] == tech, key]):
                if c in out and name not in out[c]:
                    out[c].append(str(name))
        return out

    @property
    def monitor(self):
        return list(self.inputs["components"]) + [f"{c}_{p}" for c in self.inputs["components"] for p in ("mean", "layer_sd", "tech_sd")]

    @property
    def forecast_start(self) -> pd.Timestamp:
        # the share is latent: its posterior path before the data end is part of the answer (e.g. "60% in 2025")
        return pd.Timestamp(self.priors.settings.get("forecast_start", "2020-01-01"))

    @property
    def data_end(self) -> pd.Timestamp:
        up = self.upstream.get("adoption")
        return up.data_end if up is not None else self.inputs["data_end"]

    # ---- derived quantities
    def _tech_index(self, tech: str) -> int:
        if tech not in self.inputs["techs"]:
            raise KeyError(f"convergence: technology {tech!r} is not in the registry ({self.registry.file}); "
                           f"known: {', '.join(self.inputs['techs'])}")
        return self.inputs["techs"].index(tech)

    def _components(self) -> dict:
        cache = self.__dict__.setdefault("_comp_cache", {})
        key = id(self.idata)
        if key not in cache:
            cache.clear()
            cache[key] = {c: self.draws(c) for c in self.inputs["components"]}
        return cache[key]

    def pair_index(self, n_adoption: int, n_self: int) -> np.ndarray:
        """Which adoption draw pairs with each of this model's draws: identity when the counts match,
        else a seed-determined permutation tiled to length n_self."""
        if n_adoption == n_self:
            return np.arange(n_self)
        rng = np.random.default_rng([int(self.cfg.seed), 7])
        return np.resize(rng.permutation(n_adoption), n_self)

    def adoption_paths(self, tech: str, dates) -> np.ndarray:
        up = self.upstream.get("adoption")
        if up is None or up.idata is None:
            raise RuntimeError("convergence needs the fitted adoption model in self.upstream['adoption']")
        a = up.share_paths(tech, dates)
        n = len(self._components()[self.inputs["components"][0]])
        return a[self.pair_index(a.shape[0], n)]

    def c_paths(self, tech: str, dates) -> np.ndarray:
        """Convergence degree C_k(t) per draw: (draws, T) in [0, 1]."""
        k = self._tech_index(tech)
        dates = pd.DatetimeIndex(pd.to_datetime(dates))
        comp = {c: v[:, k][:, None] for c, v in self._components().items()}
        a = self.adoption_paths(tech, dates)
        return convergence_degree(self.inputs["weights"], a, comp["standardization"], comp["controversy"], comp.get("maturity"))

    def level_paths(self, tech: str, dates) -> np.ndarray:
        """Level index (0 = L0 … 4 = L4) per draw and date."""
        return level_index(self.c_paths(tech, dates), self.levels.lower)

    def paths(self, kind, params, dates, rng):
        if kind not in ("level_at_least", "level_is", "level_below"):
            return super().paths(kind, params, dates, rng)
        lv = self.level_paths(params["tech"], dates)
        j = self.levels.index(params["level"])
        return {"level_at_least": lv >= j, "level_is": lv == j, "level_below": lv < j}[kind]

    def level_probabilities(self, tech: str, date) -> dict[str, float]:
        lv = self.level_paths(tech, pd.DatetimeIndex([pd.Timestamp(date)]))[:, 0]
        return {lid: float((lv == j).mean()) for j, lid in enumerate(self.levels.ids)}

    def transition_dates(self, tech: str, dates) -> dict[str, np.ndarray]:
        """Per level L1…L4: the first grid date each draw is at or above it (NaT if never on the grid)."""
        dates = pd.DatetimeIndex(pd.to_datetime(dates))
        lv = self.level_paths(tech, dates)
        out = {}
        for j, lid in enumerate(self.levels.ids[1:], start=1):
            idx = first_passage_index(lv >= j)
            d = np.full(idx.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
            d[idx >= 0] = dates.to_numpy()[idx[idx >= 0]]
            out[lid] = d
        return out

    def data_label(self, kind: str, params: dict) -> str:
        """'observed' when adoption, S and K of the claim's technology all rest on data, 'prior only' when none does,
        else 'partly observed'."""
        tech = params.get("tech")
        up = self.upstream.get("adoption")
        sources = self.component_sources(tech)
        parts = [bool(up is not None and up.data_label("share_at_least", {"tech": tech}) == "observed")]
        parts += [bool(v) for v in sources.values()]
        return "observed" if all(parts) else "prior only" if not any(parts) else "partly observed"

    # ---- reporting
    def summary(self):
        x = self.inputs
        when = x["snapshot"]
        rows = []
        for tech in x["techs"]:
            t = self.registry[tech]
            probs = self.level_probabilities(tech, when)
            best = max(probs, key=probs.get)
            seed_lv = t.seed_level
            claim = "" if seed_lv is None else (f"{seed_lv}" + (f" ({100 * t.seed_convergence:.0f}%)" if t.seed_convergence is not None else ""))
            label = self.data_label("level_at_least", {"tech": tech})
            if seed_lv is None:
                note = f"no seed level; {label}"
            elif best == seed_lv:
                note = f"agrees with the seed (P(seed level) = {probs[seed_lv]:.2f}); {label}"
            else:
                note = f"DIFFERS from the seed: P({seed_lv}) = {probs[seed_lv]:.2f}; {label}"
            rows.append({"quantity": f"{tech}: most probable level on {when.date()}", "median": f"{best} (P={probs[best]:.2f})",
                         "q05": "", "q95": "", "seed_claim": claim, "note": note,
                         "values": (float(self.levels.index(best)), float(probs[best]), float("nan"))})
            c = self.c_paths(tech, pd.DatetimeIndex([when]))[:, 0]
            rows.append(quantile_row(f"{tech}: convergence degree C on {when.date()}", c,
                                     "" if t.seed_convergence is None else f"{t.seed_convergence:g}",
                                     f"{x['formula']} formula", fmt="{:.2f}"))
            comp = self._components()
            for c_name, series in self.component_sources(tech).items():
                seed_v = t.seed_values.get(c_name)
                rows.append(quantile_row(f"{tech}: {c_name}", comp[c_name][:, x["techs"].index(tech)],
                                         "" if seed_v is None else f"{seed_v:g}",
                                         ("observed: " + ", ".join(series)) if series else "prior only (layer population)", fmt="{:.2f}"))
        return rows
