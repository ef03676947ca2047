"""The market model's report rows: claim probabilities, forecasts, the nowcast, the delay, the outlier check and
the refits under other provider definitions."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from forecast.models.base import quantile_row
from forecast.models.market import definition as dfn
from forecast.models.market.process import entry_mean, release_probability
from forecast.models.market.vintages import delay_cdf

SEED_DATES = (("2027-06-30", "3-5 providers (000_61de7e8b4708d969.txt «七、收敛时间表» Gantt milestone)"),
              ("2027-12-31", "3-5 providers (000_61de7e8b4708d969.txt «七、收敛时间表» key prediction 4)"))
SEED_COUNTS = ((2023, "200+ players (000_61de7e8b4708d969.txt «三、收敛的四层金字塔模型»)"),
               (2025, "15 mainstream players (000_61de7e8b4708d969.txt «三、收敛的四层金字塔模型»)"))


def outlier_table(model) -> pd.DataFrame:
    """Per fitted quarter: the count under the definition, without its single largest run, without its three largest,
    and under the robust reference (`robust_reference` in the settings: the k-th largest organization's best model),
    all from the same rows."""
    cache = model.__dict__.setdefault("_outlier_cache", {})
    if "table" in cache:
        return cache["table"]
    s = model.priors.settings
    x = model.inputs
    rows, ends = x["rows"], x["counts"]["quarter_end"]
    elig = x["eligible"]
    top = elig.nlargest(3, "log10_compute")
    largest = top.iloc[0] if len(top) else None
    robust = {**s, **dict(s.get("robust_reference", {"reference": "org_rank", "reference_rank": 3}))}
    out = pd.DataFrame({"quarter_end": ends.to_numpy(), "count": x["counts"]["count"].to_numpy(),
                        "count_without_largest": dfn.provider_counts(rows[~rows["model"].isin(top["model"][:1])], ends, s)["count"].to_numpy(),
                        "count_without_top3": dfn.provider_counts(rows[~rows["model"].isin(top["model"])], ends, s)["count"].to_numpy()})
    rb = dfn.provider_counts(rows, ends, robust)
    out["count_robust"] = rb["count"].to_numpy()
    out["reference_log10"] = dfn.provider_counts(rows, ends, s)["reference_log10"].to_numpy()
    out["robust_reference_log10"] = rb["reference_log10"].to_numpy()
    out.attrs["largest"] = "" if largest is None else f"{largest['model']} ({largest['training_compute']:.2g} FLOP, {largest['publication_date'].date()})"
    out.attrs["top3"] = ", ".join(f"{r['model']} ({r['training_compute']:.2g})" for _, r in top.iterrows())
    out.attrs["robust_text"] = (f"within {float(s.get('oom', 1.0)):g} OOM of the {dfn.ordinal(int(robust.get('reference_rank', 3)))}"
                                "-largest organization's best model")
    cache["table"] = out
    return out


def _outlier_rows(model) -> list[dict]:
    tab = outlier_table(model)
    done = tab[model.inputs["counts"]["complete"].to_numpy()]
    if done.empty:
        return []
    last = done.iloc[-1]
    q = pd.Timestamp(last["quarter_end"]).date()
    peak = done.loc[done["count"].idxmax()]
    note = (f"largest runs {tab.attrs['top3']}; reference {10 ** last['reference_log10']:.2g} FLOP under the definition, "
            f"{10 ** last['robust_reference_log10']:.2g} FLOP under the robust one; peak {int(peak['count'])} at "
            f"{pd.Timestamp(peak['quarter_end']).date()}")
    return [
        {"quantity": f"providers at {q}: definition / without its largest run / without its three largest / robust "
                     f"({tab.attrs['robust_text']})",
         "median": f"{int(last['count'])} / {int(last['count_without_largest'])} / {int(last['count_without_top3'])} / "
                   f"{int(last['count_robust'])}",
         "q05": "", "q95": "", "seed_claim": "", "note": note, "values": (float(last["count"]), np.nan, np.nan)},
    ]


def summary_rows(model) -> list[dict]:
    s = model.priors.settings
    x = model.inputs
    cnt = x["counts"]
    rng = np.random.default_rng(int(model.cfg.seed))
    rows = []
    for date, seed in SEED_DATES:
        p = model.p_between(3, 5, date, rng)
        rows.append({"quantity": f"P(3-5 providers on {date})", "median": f"{p:.3f}", "q05": "", "q95": "", "seed_claim": seed,
                     "note": f"definition: {model.definition_text()}", "values": (p, np.nan, np.nan)})
    years = range(int(s.get("predictive_from", 2026)), int(s.get("predictive_to", 2030)) + 1)
    dates = pd.DatetimeIndex([pd.Timestamp(f"{y}-12-31") for y in years])
    pc = model.predictive_counts(dates, rng)
    for j, d in enumerate(dates):
        rows.append(quantile_row(f"providers on {d.date()} (posterior predictive)", pc[:, j], fmt="{:.0f}"))
    open_q = cnt[~cnt["complete"]]
    if len(open_q):
        now = model.predictive_counts(pd.DatetimeIndex(open_q["quarter_end"]), rng)
        for j, (_, r) in enumerate(open_q.iterrows()):
            rows.append(quantile_row(f"providers at {r['quarter_end'].date()} (nowcast)", now[:, j], fmt="{:.0f}",
                                     note=f"{int(r['count'])} reported in the {model.inputs['snapshot']}; expected share "
                                          f"of its releases reported {r['completeness']:.0%}"))
    rows.append(quantile_row("expected entries per quarter in the last fitted quarter",
                             entry_mean(x["t"][-1:], model.draws("log_level"), model.draws("trend"))[:, 0], fmt="{:.2f}"))
    rows.append(quantile_row("trend in the entry rate per year", np.exp(model.draws("trend")) - 1, fmt="{:+.0%}",
                             note=f"fit on {len(cnt)} quarters {cnt['quarter_end'].iloc[0].date()}–{cnt['quarter_end'].iloc[-1].date()}, "
                                  f"the last {int((~cnt['complete']).sum())} nowcast ({model.inputs['snapshot']})"))
    r = release_probability(model.draws("release_logit"), model.draws("release_decay"), int(x["window"]))
    for k in (0, int(x["window"]) - 1):
        rows.append(quantile_row(f"P(another qualifying release next quarter | {k} quarters since the last)", r[:, k], fmt="{:.2f}"))
    shape, scale = model.draws("delay_shape"), model.draws("delay_scale")
    for months in (1, 3, 6, 12):
        rows.append(quantile_row(f"reporting delay: P(in the snapshot with compute {months} months after release)",
                                 delay_cdf(months / 12, shape, scale), fmt="{:.2f}",
                                 note=f"{len(x['delay_obs'])} comparisons of near-frontier models between snapshots"))
    rows.append(quantile_row("backfill: share of older models added per year", 1 - np.exp(-model.draws("backfill_rate")), fmt="{:.2f}"))
    rows += _seed_rows(model)
    rows += _outlier_rows(model)
    if s.get("sensitivity"):
        for _, r in sensitivity(model).iterrows():
            rows.append({"quantity": f"sensitivity: P(3-5 on 2027-12-31), {r['definition']}", "median": f"{r['P(3-5) on 2027-12-31']:.3f}",
                         "q05": "", "q95": "", "seed_claim": "", "note": f"P(3-5 on 2027-06-30) = {r['P(3-5) on 2027-06-30']:.3f}; "
                         f"median count end-2027 {r['median count 2027-12-31']:.0f}", "values": (float(r["P(3-5) on 2027-12-31"]), np.nan, np.nan)})
    return rows


def _seed_rows(model) -> list[dict]:
    """The seed's 200+ → 15 beside the data."""
    cnt = model.inputs["counts"]
    lo = model.inputs["language_orgs"]
    rows = []
    for y, claim in SEED_COUNTS:
        at = cnt[cnt["quarter_end"] == pd.Timestamp(f"{y}-12-31")]
        n_def = int(at["count"].iloc[0]) if len(at) else -1
        note = (f"{int(lo.get(y, 0))} distinct organizations published a Language model in {y} (Epoch, all sizes); "
                f"{n_def} providers at {y}-12-31 by the formal definition"
                + (" (still incomplete in the snapshot: see the nowcast)" if len(at) and not bool(at["complete"].iloc[0]) else ""))
        rows.append({"quantity": f"providers in {y}: seed vs data", "median": str(n_def), "q05": "", "q95": "", "seed_claim": claim,
                     "note": note, "values": (float(n_def), np.nan, np.nan)})
    return rows


def sensitivity(model, dates=("2027-06-30", "2027-12-31"), lo: int = 3, hi: int = 5) -> pd.DataFrame:
    """Refit under every definition in settings.definitions; P(lo–hi providers) on each date per definition."""
    rows = []
    for d in model.priors.settings["definitions"]:
        d = dict(d)
        label = d.pop("label")
        pr = dataclasses.replace(model.priors, settings={**model.priors.settings, **d})
        m = type(model)(model.frames, pr, model.cfg)
        r = m.fit()
        done = m.inputs["counts"][m.inputs["counts"]["complete"]]
        row = {"definition": label, "last_full_quarter": done["quarter_end"].iloc[-1].date().isoformat(),
               "count_then": int(done["count"].iloc[-1])}
        for dt_ in dates:
            rng = np.random.default_rng([int(model.cfg.seed), *label.encode()])
            row[f"P({lo}-{hi}) on {dt_}"] = m.p_between(lo, hi, dt_, rng)
        c = m.predictive_counts(pd.DatetimeIndex([pd.Timestamp(dates[-1])]), np.random.default_rng(int(model.cfg.seed)))[:, 0]
        row[f"median count {dates[-1]}"] = float(np.median(c))
        row["entry_growth_per_year_median"] = float(np.median(np.exp(m.draws("trend")) - 1))
        row["diagnostics"] = r.diagnostics.status
        row["seconds_sample"] = round(r.seconds_sample, 1)
        rows.append(row)
    return pd.DataFrame(rows)
