"""ML hardware growth: peak FLOP/s by precision and FLOP/s per dollar against release date (Epoch AI).

Performance (settings in priors/hardware.yaml). Each accelerator contributes one point per precision
it reports — FP32 and dense 16-bit tensor (FP16/BF16 on matrix units) — and precision is a partially
pooled group k:
    log10 F_ik ~ StudentT(ν, a_k + g_k·(t_i − t_ref), σ_k),   g_k = μ_g + τ_g·z_k,  z_k ~ N(0, 1)
(non-centred; the two groups share the growth hyper-mean μ_g; by default the sampler works on the groups' mean slope and a zero-sum z, μ_g derived — see `parameterization` in the YAML),
plus the chip's market segment read off its rated power: β_k·x_i, with x_i the chip's log10 TDP minus the log10
TDP of the period's typical chip (a least-squares line of log10 TDP on release date, `tdp_reference`). An edge part
draws a tenth of a datacenter part's power and delivers far fewer FLOP/s; without x both share one scatter, and a
forecast for "a chip released next year" is as wide as the whole market. x is centred on the period's typical chip,
so g_k stays the growth of a typical chip, power gains included. A chip without a TDP has x = 0 and its scale widened
by β_k·s_x (s_x: the spread of x). Only the groups in `segment_groups` have a segment slope (the shipped priors: 16-bit
tensor): FP32 peaks do not rank by power across segments going forward, as the newest high-power parts are ML
accelerators whose FP32 units are secondary to their tensor units. Price-performance is a separate
robust regression on priced chips:
    log10 (FLOP/s per USD)_i ~ StudentT(ν_p, a_p + δ_p·[16-bit]_i + g_p·(t_i − t_ref), σ_p)
where δ_p shifts chips priced at 16-bit tensor FLOP/s (see data/SOURCES.md), so g_p is growth within
a precision, not the one-off jump from adopting tensor units. Growth per year is reported as a
fraction, 10^g − 1.

Milestone `growth_at_least {series, per_year}`: series "flops" is the **16-bit tensor group's** slope
(the precision ML training runs at and the one the AI Index 2025 43 %/yr figure refers to);
"flops_fp32" the FP32 group's; "flops_per_dollar" the price-performance slope g_p.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.models.base import ForecastModel, fixed_data, quantile_row
from forecast.core.timeutil import decimal_year

GROUPS = ("fp32", "tensor16")  # index order of the precision group
SERIES = {"flops": "tensor16", "flops_fp32": "fp32", "flops_per_dollar": "per_dollar"}


def tdp_reference(t: np.ndarray, log_tdp: np.ndarray) -> dict[str, float]:
    """The typical chip's log10 TDP against release date (least squares over chips with a TDP) and the spread of
    chips around it: {"intercept", "slope", "spread"}; flat at 0 with spread 0 when fewer than 3 chips have one."""
    ok = np.isfinite(log_tdp)
    if ok.sum() < 3:
        return {"intercept": 0.0, "slope": 0.0, "spread": 0.0}
    slope, intercept = np.polyfit(t[ok], log_tdp[ok], 1)
    resid = log_tdp[ok] - (intercept + slope * t[ok])
    return {"intercept": float(intercept), "slope": float(slope), "spread": float(resid.std(ddof=2))}


def segment(t: np.ndarray, log_tdp: np.ndarray, ref: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Each chip's segment covariate (log10 TDP above the reference line at its date; 0 without a TDP) and whether
    its TDP is missing."""
    miss = ~np.isfinite(log_tdp)
    x = log_tdp - (ref["intercept"] + ref["slope"] * np.asarray(t, float))
    return np.where(miss, 0.0, x), miss


class Hardware(ForecastModel):
    """Peak FLOP/s of ML accelerators by precision (FP32, 16-bit tensor; partially pooled growth) and FLOP/s per dollar against release date, robust log-linear trends on Epoch AI's hardware table."""

    name = "hardware"
    typical_sample_s = 3.0
    title = "ML hardware performance and price-performance"
    tables = ("hardware",)

    # ---- data contract
    def prepare(self, frames):
        s = self.priors.settings
        f = frames["hardware"]
        f = f[f["release_date"] >= pd.Timestamp(s["start_date"])]
        if self.cfg.as_of:
            f = f[f["release_date"] < pd.Timestamp(self.cfg.as_of)]
        f = f.sort_values("release_date").reset_index(drop=True)
        t_ref = float(s["t_ref"])
        t = decimal_year(f["release_date"]) - t_ref
        log_tdp = np.log10(f["tdp_w"].to_numpy(float)) if "tdp_w" in f else np.full(len(f), np.nan)
        tdp_ref = tdp_reference(t, log_tdp)
        perf = []
        for k, (g, col) in enumerate(zip(GROUPS, ("flops_fp32", "flops_16bit"))):
            ok = f[col].notna().to_numpy()
            perf.append(pd.DataFrame({"hardware": f.loc[ok, "hardware"].to_numpy(), "release_date": f.loc[ok, "release_date"].to_numpy(),
                                      "t": t[ok], "y": np.log10(f.loc[ok, col].to_numpy(float)), "group": k,
                                      "log10_tdp": log_tdp[ok]}))
        perf = pd.concat(perf, ignore_index=True)
        seg, miss = segment(perf["t"].to_numpy(float), perf["log10_tdp"].to_numpy(float), tdp_ref)
        pr = f[f["flops_per_dollar"].notna()]
        tp = decimal_year(pr["release_date"]) - t_ref
        n_g = perf.groupby("group").size().reindex(range(len(GROUPS)), fill_value=0)
        if (n_g < 3).any() or len(pr) < 3:
            from forecast.core.errors import DataValidationError
            raise DataValidationError(f"hardware: too few dated chips to fit (per precision {n_g.tolist()}, priced {len(pr)})",
                                      file="hardware.csv")
        return {
            "frame": f, "perf": perf, "priced": pr.assign(t=tp, y=np.log10(pr["flops_per_dollar"].to_numpy(float))),
            "t": perf["t"].to_numpy(float), "y": perf["y"].to_numpy(float), "g": perf["group"].to_numpy(int),
            "segment": seg, "no_tdp": miss.astype(float), "tdp_ref": tdp_ref,
            # a priors file without `segment_groups` (one written before the segment term) fits without it
            "segment_on": np.array([g in s.get("segment_groups", ()) for g in GROUPS]),
            "tp": tp, "yp": np.log10(pr["flops_per_dollar"].to_numpy(float)),
            "is16": (pr["precision"] == "tensor16").to_numpy(float),
            "n_per_group": dict(zip(GROUPS, n_g.tolist())), "n_priced": len(pr),
            "data_end": f["release_date"].max(),
        }

    # ---- priors + likelihood
    def build_model(self):
        import pymc as pm
        import pytensor.tensor as pt

        x = self.inputs
        P = self.priors
        coords = {"precision": list(GROUPS), "segment_precision": [g for g, on in zip(GROUPS, x["segment_on"]) if on]}
        with pm.Model(coords=coords) as model:
            t, y, grp = fixed_data("t", x["t"]), fixed_data("y", x["y"]), fixed_data("group", x["g"])
            seg, no_tdp = fixed_data("segment", x["segment"]), fixed_data("no_tdp", x["no_tdp"])
            tp, yp, is16 = fixed_data("tp", x["tp"]), fixed_data("yp", x["yp"]), fixed_data("is16", x["is16"])
            # performance: precision groups, non-centred growth around a shared hyper-mean
            param = self.priors.settings.get("parameterization", "noncentred_mean")
            tau_g = P.rv("growth_tau")
            if param == "centred":
                mu_g = P.rv("growth_mu")
                g = pm.Normal("growth_log10", mu_g, tau_g, dims="precision")
            elif param == "noncentred":
                mu_g = P.rv("growth_mu")
                z = pm.Normal("growth_z", 0.0, 1.0, dims="precision")
                g = pm.Deterministic("growth_log10", mu_g + tau_g * z, dims="precision")
            else:  # "noncentred_mean": sample the groups' mean slope; mu_g is derived
                # gbar = mu_g + tau·zbar with mu_g ~ N(m, s), zbar ~ N(0, 1/√K). Drawn in generative order — gbar from
                # its Normal marginal, then zbar | gbar by Gaussian conditioning — it has exactly the density of a flat
                # gbar plus a prior potential on mu_g, yet the prior predictive can draw it (SBC needs that).
                if P["growth_mu"].distribution != "Normal":  # the closed-form marginal needs it
                    from forecast.core.errors import PriorSpecError
                    raise PriorSpecError("parameterization noncentred_mean needs a Normal prior", file=P.file, key="growth_mu")
                m, s = (float(P["growth_mu"].params[k]) for k in ("mu", "sigma"))
                vz = 1.0 / len(GROUPS)  # variance of the mean of K independent N(0, 1)
                v_g = s**2 + tau_g**2 * vz
                gbar = pm.Normal("growth_mean", m, pm.math.sqrt(v_g))
                z = pm.ZeroSumNormal("growth_z", sigma=1.0, dims="precision")
                zbar = pm.Normal("growth_zbar", tau_g * vz * (gbar - m) / v_g, s * pm.math.sqrt(vz / v_g))
                mu_g = pm.Deterministic("growth_mu", gbar - tau_g * zbar)
                g = pm.Deterministic("growth_log10", gbar + tau_g * z, dims="precision")
            a = P.rv("level", dims="precision")
            sigma = P.rv("sigma", dims="precision")
            nu = P.rv("nu")
            on = np.flatnonzero(x["segment_on"])
            beta = pt.zeros(len(GROUPS))
            if len(on):
                beta = pt.set_subtensor(beta[on], P.rv("tdp_slope", dims="segment_precision"))
            scale = pm.math.sqrt(sigma[grp] ** 2 + (beta[grp] * x["tdp_ref"]["spread"]) ** 2 * no_tdp)
            pm.StudentT("obs", nu=nu, mu=a[grp] + g[grp] * t + beta[grp] * seg, sigma=scale, observed=y, shape=t.shape)
            # price-performance
            ap = P.rv("ppd_level")
            dp = P.rv("ppd_tensor_offset")
            gp = P.rv("ppd_growth_log10")
            sp = P.rv("ppd_sigma")
            nup = P.rv("ppd_nu")
            pm.StudentT("obs_ppd", nu=nup, mu=ap + dp * is16 + gp * tp, sigma=sp, observed=yp, shape=tp.shape)
            pm.Deterministic("growth_per_year", 10 ** g - 1, dims="precision")
            pm.Deterministic("ppd_growth_per_year", 10 ** gp - 1)
        return model

    @property
    def monitor(self):
        param = self.priors.settings.get("parameterization", "noncentred_mean")
        extra = {"centred": [], "noncentred": ["growth_z"], "noncentred_mean": ["growth_mean", "growth_z", "growth_zbar"]}[param]
        segment = ["tdp_slope"] if self.inputs["segment_on"].any() else []
        return ["growth_mu", "growth_tau", *extra, "growth_log10", "level", "sigma", "nu", *segment,
                "ppd_level", "ppd_tensor_offset", "ppd_growth_log10", "ppd_sigma", "ppd_nu"]

    @property
    def data_end(self) -> pd.Timestamp:
        return self.inputs["data_end"]

    # ---- derived quantities
    def growth(self, series: str) -> np.ndarray:
        """Posterior draws of growth per year as a fraction (10^slope − 1) for a milestone series name."""
        if series not in SERIES:
            raise KeyError(f"unknown hardware series {series!r}; valid: {', '.join(SERIES)}")
        which = SERIES[series]
        if which == "per_dollar":
            return 10 ** self.draws("ppd_growth_log10") - 1
        return 10 ** self.draws("growth_log10")[:, GROUPS.index(which)] - 1

    def static(self, kind, params):
        if kind != "growth_at_least":
            return super().static(kind, params)
        return self.growth(params["series"]) >= float(params["per_year"])

    def trend_quantiles(self, series: str, dates: pd.DatetimeIndex, qs=(0.05, 0.5, 0.95)) -> np.ndarray:
        """Quantiles of the trend line (log10 units) at dates: (len(qs), T). For per-dollar: at 16-bit pricing."""
        t = decimal_year(dates) - float(self.priors.settings["t_ref"])
        if SERIES[series] == "per_dollar":
            mu = (self.draws("ppd_level") + self.draws("ppd_tensor_offset"))[:, None] + self.draws("ppd_growth_log10")[:, None] * t[None, :]
        else:
            k = GROUPS.index(SERIES[series])
            mu = self.draws("level")[:, k, None] + self.draws("growth_log10")[:, k, None] * t[None, :]
        return np.quantile(mu, qs, axis=0)

    def segment_slopes(self) -> np.ndarray:
        """Draws of the segment slope per precision group, (draws, groups); 0 for a group without one."""
        on = np.flatnonzero(self.inputs["segment_on"])
        out = np.zeros((self.draws("nu").shape[0], len(GROUPS)))
        if len(on):
            out[:, on] = self.draws("tdp_slope").reshape(len(out), len(on))
        return out

    # ---- backtesting: later accelerators' log10 peak FLOP/s per precision and log10 FLOP/s per dollar
    def _rows(self, since=None, until=None) -> pd.DataFrame:
        x = self.inputs
        perf, pr = x["perf"], x["priced"]
        parts = [pd.DataFrame({"series": "log10_flops_" + perf["group"].map(dict(enumerate(GROUPS))), "date": perf["release_date"],
                               "y": perf["y"], "group": perf["group"], "is16": 0.0, "log10_tdp": perf["log10_tdp"]}),
                 pd.DataFrame({"series": "log10_flops_per_dollar", "date": pr["release_date"], "y": pr["y"], "group": -1,
                               "is16": (pr["precision"] == "tensor16").astype(float)})]
        rows = pd.concat(parts, ignore_index=True)
        rows["date"] = pd.to_datetime(rows["date"])
        if since is not None:
            rows = rows[(rows["date"] >= since) & (rows["date"] < until)]
        return rows.assign(t=decimal_year(rows["date"]), discrete=False).reset_index(drop=True)

    def backtest_targets(self, full, horizon_years):
        as_of = pd.Timestamp(self.cfg.as_of)
        return full._rows(as_of, as_of + pd.DateOffset(days=int(365.25 * horizon_years)))

    def backtest_history(self):
        return self._rows()[["series", "t", "y"]]

    def predictive(self, targets, rng, n_draws=1000):
        """Joint draws: one posterior draw per row, a Student-t scatter per chip (its precision's or the priced fit's).
        A chip's segment is read off its TDP against this fit's reference line (data up to the fit's cut-off)."""
        S = self.draws("nu").shape[0]
        idx = rng.choice(S, size=n_draws, replace=S < n_draws)
        t = targets["t"].to_numpy(float) - float(self.priors.settings["t_ref"])
        grp = targets["group"].to_numpy(int)
        perf = grp >= 0
        out = np.empty((n_draws, len(t)))
        if perf.any():
            k = grp[perf]
            ref = self.inputs["tdp_ref"]
            seg, miss = segment(t[perf], targets["log10_tdp"].to_numpy(float)[perf], ref)
            beta = self.segment_slopes()[idx][:, k]
            mu = (self.draws("level")[idx][:, k] + self.draws("growth_log10")[idx][:, k] * t[None, perf]
                  + beta * seg[None, :])
            sig = np.sqrt(self.draws("sigma")[idx][:, k] ** 2 + (beta * ref["spread"]) ** 2 * miss[None, :])
            nu = self.draws("nu")[idx, None]
            out[:, perf] = mu + sig * rng.standard_t(np.broadcast_to(nu, mu.shape))
        if (~perf).any():
            is16 = targets["is16"].to_numpy(float)[~perf]
            mu = (self.draws("ppd_level")[idx, None] + self.draws("ppd_tensor_offset")[idx, None] * is16[None, :]
                  + self.draws("ppd_growth_log10")[idx, None] * t[None, ~perf])
            nu = np.broadcast_to(self.draws("ppd_nu")[idx, None], mu.shape)
            out[:, ~perf] = mu + self.draws("ppd_sigma")[idx, None] * rng.standard_t(nu)
        return out

    # ---- reporting
    def summary(self):
        s = self.priors.settings
        claim = float(s["seed_claim_per_year"])
        epoch = s.get("epoch_published", {})
        x = self.inputs
        rows = []
        spec = [
            ("flops", "16-bit tensor FLOP/s growth per year", f"+{claim:.0%}/yr (000_61de7e8b4708d969.txt «11.1 硬件性能提升», Stanford HAI AI Index 2025)",
             f"Epoch published: {epoch.get('flops_16bit', '')}", x["n_per_group"]["tensor16"]),
            ("flops_fp32", "FP32 FLOP/s growth per year", "", f"Epoch published: {epoch.get('flops_fp32', '')}", x["n_per_group"]["fp32"]),
            ("flops_per_dollar", "FLOP/s per dollar growth per year", "000_61de7e8b4708d969.txt «11.1 硬件性能提升»: 'price-performance improved markedly' (no figure)",
             f"Epoch published: {epoch.get('flops_per_dollar', '')}", x["n_priced"]),
        ]
        for series, label, seed, epoch_note, n in spec:
            gr = self.growth(series)
            p = float((gr >= claim).mean())
            rows.append(quantile_row(label, gr, seed, f"P(≥ +{claim:.0%}/yr) = {p:.2f}; {epoch_note}; n = {n} chips", fmt="{:+.1%}"))
        for series in ("flops", "flops_per_dollar"):
            gr = self.growth(series)
            rows.append(quantile_row(f"doubling time, {'16-bit FLOP/s' if series == 'flops' else 'FLOP/s per $'} (years)",
                                     np.log(2) / np.log1p(gr), fmt="{:.2f}"))
        rows.append(quantile_row("shared growth hyper-mean (both precisions)", 10 ** self.draws("growth_mu") - 1, fmt="{:+.1%}"))
        ref, slopes = x["tdp_ref"], self.segment_slopes()
        for k, g in enumerate(GROUPS):
            if not x["segment_on"][k]:
                continue
            rows.append(quantile_row(f"segment: log10 {'16-bit tensor' if g == 'tensor16' else 'FP32'} FLOP/s per log10 W above the "
                                     "period's typical chip", slopes[:, k], fmt="{:.2f}",
                                     note=f"typical chip's TDP {10 ** ref['intercept']:.0f} W in {float(s['t_ref']):g}, "
                                          f"{10 ** ref['slope'] - 1:+.1%}/yr; "
                                          f"chips scatter ×{10 ** ref['spread']:.1f} around it; {int(x['no_tdp'].sum())} points without a TDP"))
        return rows

