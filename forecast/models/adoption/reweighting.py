"""Adoption's updating by importance reweighting: the parameter structure, the data log-likelihood at posterior
draws and the reweighted posterior (the protocol of `forecast.models.protocols.Reweightable`)."""
from __future__ import annotations


import numpy as np

from forecast.core.timeutil import logit
from forecast.models.adoption.likelihood import count_loglik_kernel



class AdoptionReweighting:
    """Mixin of `Adoption`: what `forecast.pipeline.reweight` needs to update it without MCMC."""

    # ---- updating by importance reweighting (forecast/reweight.py)
    def structure(self) -> dict:
        """What fixes the parameters and their priors (not the likelihood). Two data sets with equal structures
        give posteriors over the same parameters, so one posterior can be reweighted into the other."""
        x = self.inputs
        return {"techs": list(x["techs"]), "counted": list(x["counted_techs"]), "growth": list(x["growth_techs"]),
                "elicited_only": list(x["elicited_only_techs"]), "one_sided": x["one_sided_idx"].tolist(),
                "level": x["level_idx"].tolist(), "centred": list(x["centred_techs"]), "centred_ceiling": list(x["centred_ceiling_techs"]), "frame_slots": len(x["frame_slots"]),
                "eco_series": list(x["eco_series"]), "priors": self.priors.sha256}

    def data_loglik(self, p: dict) -> np.ndarray:
        """Log-likelihood of all of this model's data at each draw of the natural parameters `p`
        (ceiling, r, t0: draws × techs; concentration: draws; frame_offset: {frame pair: draws};
        eco_log_scale: draws × series; eco_sigma: draws) — the same terms as `build_model`'s likelihood."""
        from scipy import special, stats
        x = self.inputs
        c = np.clip(p["ceiling"], 0.0, 1.0)
        with np.errstate(divide="ignore"):
            lc, log_c = logit(c), np.log(c)  # ±inf at a ceiling of exactly 0 or 1: the kernel's limits hold
        r, t0 = p["r"], p["t0"]
        out = np.zeros(len(c))
        if len(x["count"]["rows"]):
            kernel = count_loglik_kernel()
            gr = x["grid"]
            rt, rf = gr["row_tech"], gr["row_frame"]
            off = np.zeros((len(c), 1 + len(x["frame_slots"])))
            for j, pair in enumerate(x["frame_pairs"]):
                off[:, 1 + j] = p["frame_offset"][pair]
            phi = p["concentration"]
            for i in range(len(c)):
                out[i] += kernel(lc[i, rt], r[i, rt], t0[i, rt], off[i, rf], phi[i], gr["t"], gr["n"], gr["k"])[0]
        e = x["elicited"]
        log_share = lambda ti, t: log_c[:, ti] - np.logaddexp(0.0, -r[:, ti] * (t - t0[:, ti]))  # noqa: E731
        two, lo_ = ~e["lower_only"], e["lower_only"]
        if two.any():
            s = np.exp(log_share(e["tech"][two], e["t"][two]))
            out += stats.norm.logpdf(e["y"][two], s, e["sd"][two]).sum(axis=1)
        if lo_.any():
            s = np.exp(log_share(e["tech"][lo_], e["t"][lo_]))
            out += special.log_ndtr((s - e["lo"][lo_]) / e["lo_sd"][lo_]).sum(axis=1)
        g = x["eco"]
        if len(g["t"]):
            m = x["techs"].index("mcp")
            mu = p["eco_log_scale"][:, g["series"]] - np.logaddexp(0.0, -r[:, [m]] * (g["t"] - t0[:, [m]]))
            out += stats.norm.logpdf(g["log_count"], mu, p["eco_sigma"][:, None]).sum(axis=1)
        return out

    def natural_draws(self, idata) -> dict:
        """The natural parameters `data_loglik` reads, from a posterior of this model (flattened draws)."""
        post = idata.posterior
        flat = lambda v: post[v].stack(sample=("chain", "draw")).transpose("sample", ...).to_numpy()  # noqa: E731
        p = {v: flat(v) for v in ("ceiling", "r", "t0", "concentration", "eco_log_scale", "eco_sigma") if v in post}
        if "frame_offset" in post:
            p["frame_offset"] = dict(zip(post["frame_offset"].coords["frame_pair"].values.tolist(), flat("frame_offset").T))
        return p

    def reweighted_posterior(self, base: "AdoptionReweighting", idata, rng) -> tuple[object | None, dict]:
        """`base`'s posterior `idata` (fitted on an earlier data set) moved to this model's data by importance
        weights p(D_self | θ) / p(D_base | θ), Pareto-smoothed and resampled (systematic, in draw order, so
        chains keep their draws). Returns (None, reason) when the two data sets do not share the parameters."""
        from forecast.inference import importance
        mine, theirs = self.structure(), base.structure()
        if mine != theirs:
            changed = [k for k in mine if mine[k] != theirs[k]]
            return None, {"reason": f"the new evidence changes the model's parameters ({', '.join(changed)})"}
        p = base.natural_draws(idata)
        # each of this model's frame slots takes a base slot: a pair the base has, its own; a new pair (a list the
        # fit never saw) or a spare, one of the base's spare slots, whose draws are prior draws independent of
        # everything else — exactly the new offset's prior (equal slot counts: `structure`)
        base_pairs = list(base.inputs["frame_pairs"])
        spares = iter([sl for sl in base.inputs["frame_slots"] if sl not in base_pairs])
        new_slots = [sl if sl in base_pairs else next(spares) for sl in self.inputs["frame_slots"]]
        p_self = dict(p)
        if "frame_offset" in p:
            p_self["frame_offset"] = {sl: p["frame_offset"][b] for sl, b in zip(self.inputs["frame_slots"], new_slots)}
        log_w = self.data_loglik(p_self) - base.data_loglik(p)
        idx, info = importance.psis_resample(log_w, rng)
        post = importance.take_draws(idata.posterior, idx)
        if "frame_pair" in post.dims:
            post = post.sel(frame_pair=new_slots).assign_coords(frame_pair=list(self.inputs["frame_slots"]))
        post = self._relevel(post)
        out = type(idata)(posterior=post, **({"sample_stats": importance.take_draws(idata.sample_stats, idx)} if "sample_stats" in idata.groups() else {}))
        return out, info

    def _relevel(self, post):
        """Recompute the level variables (`level_ref`, `level_elicited`) at this model's reference times from
        r, ceiling and t0: the draws' natural parameters are what was reweighted; the level is their
        re-parameterisation at data-dependent reference times (`build_model`)."""
        x = self.inputs
        for var, ix, tau in (("level_ref", x["level_idx"], x["t_ref"]), ("level_elicited", x["one_sided_idx"], self._one_sided_tau())):
            if var in post and len(ix):
                sel = {"tech": list(np.asarray(x["techs"])[ix])}
                r, c, t0 = (post[v].sel(sel).values for v in ("r", "ceiling", "t0"))
                with np.errstate(divide="ignore"):
                    post[var] = post[var].copy(data=r * (tau - t0) + np.log(c))
        return post

