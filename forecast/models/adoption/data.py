"""Adoption data contract: the validated observation table → the arrays the model and its likelihood read."""
from __future__ import annotations


import numpy as np
import pandas as pd

from forecast.core.timeutil import years_since
from forecast.core.errors import DataValidationError
from forecast.models.adoption.curves import CELL_BUCKET, CENTRE_MIN_EVENTS, CENTRE_MIN_TECHS, FILE, FRAME_BUCKET, LEVEL_MIN_ADOPTERS, ROW_BUCKET, capacity, elicited_sd, level_time, reaches_plateau, starts_high



def prepare_inputs(frames: dict, settings: dict, registry, as_of: str | None) -> dict:
    """Validate `adoption_observations` against the technology registry and build the model's inputs (observations dated
    at or after `as_of` are dropped)."""
    from forecast.data.schema import validate
    from forecast.data.tables import ADOPTION_OBSERVATIONS

    s = settings
    reg = registry
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
    if as_of:
        f = f[f["period_end"] < pd.Timestamp(as_of)]
    techs = reg.ids
    tix = {t: i for i, t in enumerate(techs)}
    layers = list(reg.layers)
    ref = pd.Timestamp(s["ref_date"])
    z80 = float(s["z80"])
    mid = f["period_start"] + (f["period_end"] - f["period_start"]) / 2

    cnt = f[f["kind"] == "count"]
    counted = sorted(set(cnt["technology"]), key=techs.index)
    refser = reference_frames(cnt, reg)
    pairs = sorted({(t, ser) for t, ser in zip(cnt["technology"], cnt["series"]) if ser != refser[t]})
    pair_ix = {p: i + 1 for i, p in enumerate(pairs)}  # 0 = reference frame (offset 0)

    # counts on a (technology, frame) × cell grid: each row holds its counts in time order in its first
    # cells (t per cell), n = 0 in the rest. The curve is evaluated per row and broadcast over cells (no
    # per-count gather or scatter-add). Rows, cells and frame slots are padded to capacity buckets with
    # spare room, so one more count (a new quarter, or a first count in a technology's evidence frame) keeps
    # every array's shape and the compiled graph is reused (`forecast update` does not recompile).
    cmid = mid[cnt.index]
    dup = cnt.assign(_mid=cmid).duplicated(["technology", "series", "_mid"], keep="first")
    if dup.any():
        r = cnt[dup].iloc[0]
        raise DataValidationError(f"a second count for {r['technology']} in frame {r['series']!r} for the period "
                                  f"{r['period_start'].date()} – {r['period_end'].date()} (one count per technology, frame and period)",
                                  file=FILE, row=int(r["_row"]), column="period_start")
    row_key = list(zip(cnt["technology"].map(tix), [pair_ix.get((t, ser), 0) for t, ser in zip(cnt["technology"], cnt["series"])]))
    rows_u = sorted(set(row_key))
    cells = {rk: [] for rk in rows_u}
    for rk, tm, kk, nn in zip(row_key, years_since(cmid, ref), cnt["k"].to_numpy(int), cnt["n"].to_numpy(int)):
        cells[rk].append((tm, kk, nn))
    n_rows = capacity(len(rows_u), ROW_BUCKET)
    n_cells = capacity(max((len(v) for v in cells.values()), default=0), CELL_BUCKET)
    grid_t, grid_n = np.zeros((n_rows, n_cells)), np.zeros((n_rows, n_cells), dtype=int)
    grid_k = np.zeros_like(grid_n)
    for i, rk in enumerate(rows_u):
        c = sorted(cells[rk])
        grid_t[i, :len(c)], grid_k[i, :len(c)], grid_n[i, :len(c)] = zip(*c)
    row_tech = np.zeros(n_rows, dtype=int)  # padding rows: technology 0 on the reference frame, no counts
    row_frame = np.zeros(n_rows, dtype=int)
    row_tech[:len(rows_u)], row_frame[:len(rows_u)] = [t for t, _ in rows_u], [fr for _, fr in rows_u]

    events = cnt.groupby("technology")[["k", "n"]].sum()
    periods = {t: cnt[cnt["technology"] == t].assign(_t=years_since(cmid[cnt["technology"] == t], ref)).groupby("_t")[["k", "n"]].sum()
               for t in counted}
    # a curve is sampled through its level only where the counts see it rise: counts that start on the plateau (or
    # fall) say nothing of when it rose, and there the level's prior scale r σ gives u a heavy tail
    high = [t for t in counted if starts_high(periods[t]["k"].to_numpy(int), periods[t]["n"].to_numpy(int))]
    level = [t for t in counted if events.loc[t, "k"] >= LEVEL_MIN_ADOPTERS and t not in high]
    t_ref, plateau = [], set()
    for t in counted:
        by_period = periods[t]
        if t in level:
            t_ref.append(level_time(by_period.index.to_numpy(float), by_period["k"].to_numpy(int), by_period["n"].to_numpy(int)))
        if reaches_plateau(by_period["k"].to_numpy(int), by_period["n"].to_numpy(int)):
            plateau.add(t)
    well = [t for t in counted if events.loc[t, "k"] >= CENTRE_MIN_EVENTS and events.loc[t, "n"] - events.loc[t, "k"] >= CENTRE_MIN_EVENTS]
    # centred where the data pin the parameter down: r where the counts see the rise, the ceiling where they level off
    rising = [t for t in well if not starts_high(periods[t]["k"].to_numpy(int), periods[t]["n"].to_numpy(int))]
    centred = rising if len(rising) >= CENTRE_MIN_TECHS else []
    centred_ceiling = [t for t in well if t in plateau] if len(well) >= CENTRE_MIN_TECHS else []

    eli = f[f["kind"] == "elicited"]
    # a seed's stated share is a claim under test, never data: held out and reported beside the posterior
    held = eli["series"] == s["seed_elicited_series"]
    eli_used, eli_held = eli[~held], eli[held]

    eco = f[f["kind"] == "ecosystem_count"].sort_values(["series", "period_end"])
    eco_series = sorted(set(eco["series"]))
    growth = ["mcp"] if len(eco) else []
    elicited_only = [t for t in techs if t not in counted and t not in growth and t in set(eli_used["technology"])]
    no_data = [t for t in techs if t not in counted and t not in growth and t not in elicited_only]
    used = pd.concat([cnt, eli_used, eco])
    data_end = used.loc[used["kind"] != "elicited", "period_end"].max() if (used["kind"] != "elicited").any() else used["period_end"].max()
    if pd.isna(data_end):
        data_end = pd.Timestamp(as_of) if as_of else today
    sh = eli_used["share"].to_numpy(float)
    lower_only = eli_used["share_hi"].to_numpy(float) >= 0.99  # "X% or more" claims (upper bound ~1)
    eli_tech = eli_used["technology"].to_numpy()
    return {
        "frame": f, "techs": techs, "layers": layers,
        "growth_idx": np.array([tix[t] for t in growth], dtype=int), "counted_idx": np.array([tix[t] for t in counted], dtype=int),
        "layer_idx": np.array([layers.index(reg[t].layer) for t in techs], dtype=int),
        "ceiling_groups": list(reg.ceiling_groups),
        "ceiling_idx": np.array([list(reg.ceiling_groups).index(reg[t].ceiling_group) for t in techs], dtype=int),
        "reference_frames": refser,
        "ref_date": ref,
        "count": {"rows": cnt},  # the likelihood reads the grid below; the rows feed backtests and plots
        "grid": {"row_tech": row_tech, "row_frame": row_frame, "t": grid_t, "n": grid_n, "k": grid_k},
        "frame_pairs": [f"{t}|{ser}" for t, ser in pairs],
        # frame offsets beyond the data's pairs: spare slots (prior only) so a new frame keeps the shape
        "frame_slots": [f"{t}|{ser}" for t, ser in pairs] + [f"(spare {i + 1})" for i in range(capacity(len(pairs), FRAME_BUCKET) - len(pairs))],
        "elicited": {"tech": eli_used["technology"].map(tix).to_numpy(int), "t": years_since(mid[eli_used.index], ref),
                     "y": sh,
                     "sd": np.maximum(elicited_sd(eli_used["share_lo"], eli_used["share_hi"], z80), 0.01),
                     # "X% or more" claims (upper bound ~1) only say the share is at least share_lo
                     "lower_only": lower_only,
                     "lo": eli_used["share_lo"].to_numpy(float),
                     "lo_sd": np.maximum((sh - eli_used["share_lo"].to_numpy(float)) / z80, 0.01),
                     "rows": eli_used},
        "held_out": eli_held,
        "eco": {"series": eco["series"].map({x: i for i, x in enumerate(eco_series)}).to_numpy(int),
                "t": years_since(eco["period_end"], ref), "log_count": np.log(eco["k"].to_numpy(float)), "rows": eco},
        "eco_series": eco_series,
        "level_idx": np.array([tix[t] for t in level], dtype=int), "t_ref": np.array(t_ref, dtype=float),  # τ of each level_idx
        # counts that start on their plateau: t0 = first count's time − a positive lag (build_model)
        "plateau_start_idx": np.array([tix[t] for t in high], dtype=int),
        "t_start": np.array([float(periods[t].index.min()) for t in high], dtype=float),
        "plateau_start_techs": high,
        "centred_idx": np.array([tix[t] for t in centred], dtype=int), "centred_techs": centred,
        "centred_ceiling_idx": np.array([tix[t] for t in centred_ceiling], dtype=int), "centred_ceiling_techs": centred_ceiling,
        # elicited-only technologies whose every claim is one-sided: t0 sampled through their level (build_model)
        "one_sided_idx": np.array([tix[t] for t in elicited_only if lower_only[eli_tech == t].all()], dtype=int),
        "counted_techs": counted, "growth_techs": growth, "elicited_only_techs": elicited_only, "no_data_techs": no_data,
        "data_end": pd.Timestamp(data_end),
    }


def reference_frames(counts: pd.DataFrame, registry) -> dict[str, str]:
    """The frame each technology's share is defined on (its logit offset fixed at 0): its registry reference_series, or,
    when that frame has no counts (e.g. in a hindcast before the frame starts), its frame with the most counted models."""
    out = {t: registry[t].reference_series for t in registry.ids}
    for tech, rows in counts.groupby("technology"):
        if out[tech] not in set(rows["series"]):
            n = rows.groupby("series")["n"].sum()
            out[tech] = str(n.sort_values(ascending=False, kind="stable").index[0])
    return out
