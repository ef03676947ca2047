"""Build data/market_vintages.csv: the Language/Multimodal models of three vintages of Epoch AI's model tables, with
the training compute each vintage gave, so the market model can count providers as each vintage saw them and
measure how late models and their compute estimates arrive.

Vintages (Epoch AI 'Data on AI Models', each a snapshot of the same database): 2025-03-14 (all-models table),
2025-11-01 and 2026-03-30 (all-models and large-scale tables of one export, joined). A model is one row per vintage
in which it appears; renamed models carry the newest vintage's name in every vintage, so a model's history across
vintages can be read row by row. `first_vintage_with_compute` is the earliest vintage whose row has a training
compute: a late arrival is a row whose first vintage with compute is later than the first vintage published after
the model.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.core.errors import DataValidationError
from forecast.data.build.base import BuildResult, Builder, Input
from forecast.data.build.epoch_models import EPOCH_LICENSE
from forecast.data.schema import Column, TableSchema
from forecast.data.tables import TABLES

DOMAINS = ("Language", "Multimodal")  # Epoch domains of foundation models

# vintage date -> files of that snapshot (the all-models table first: it wins where both list a model)
VINTAGES: dict[str, tuple[str, ...]] = {
    "2025-03-14": ("epoch_all_ai_models/all_ai_models.csv",),
    "2025-11-01": ("epoch_ai_models_2025-11-01/all_ai_models.csv", "epoch_ai_models_2025-11-01/large_scale_ai_models.csv"),
    "2026-03-30": ("epoch_ai_models_2026-03-30/all_ai_models.csv", "epoch_ai_models_2026-03-30/large_scale_ai_models.csv"),
}
NEWEST = max(VINTAGES)

# Models Epoch renamed between vintages (older name -> newest name). Checked at build time: the older name is in an
# older vintage, the newest name in the newest one, and both rows credit the same first organization and compute.
RENAMES = {
    "GPT-4": "GPT-4 (Mar 2023)",
    "GPT-4 Turbo": "GPT-4 Turbo (Nov 2023)",
    "GPT-3.5": "GPT-3.5 (davinci-002)",
    "Llama 3.3": "Llama 3.3 70B",
    "Microsoft MAI-1": "Microsoft MAI-1 (2024 unreleased)",
}

MARKET_VINTAGES = TableSchema(
    name="market_vintages",
    filename="market_vintages.csv",
    description=("Language/Multimodal models of Epoch AI's model tables in three vintages (2025-03-14, 2025-11-01, "
                 "2026-03-30): one row per model and vintage, with the compute that vintage gave."),
    columns=(
        Column("vintage", "date", min="2025-01-01", description="date of the Epoch snapshot the row comes from"),
        Column("model", "str", description="model name (the newest vintage's spelling for renamed models)"),
        Column("organization", "str", required=False, description="developer organization(s) in this vintage, comma-separated"),
        Column("publication_date", "date", min="1950-01-01", description="publication date in this vintage"),
        Column("domain", "str", description="Epoch domain(s) in this vintage"),
        Column("training_compute", "float", required=False, min=1.0, max=1e30, unit="FLOP",
               description="training compute in this vintage (blank: no estimate yet)"),
        Column("first_vintage_with_compute", "date", required=False, min="2025-01-01",
               description="earliest vintage whose row of this model has a training compute (blank: none)"),
    ),
    key=("vintage", "model"),
    checks=(
        ("publication_date after the row's vintage", lambda f: f["publication_date"] > f["vintage"], "publication_date"),
        ("training_compute given in a vintage before first_vintage_with_compute",
         lambda f: (f["training_compute"].notna() & (f["first_vintage_with_compute"].isna()
                                                     | (f["vintage"] < f["first_vintage_with_compute"]))).astype(bool),
         "first_vintage_with_compute"),
        ("first_vintage_with_compute differs between rows of one model",
         lambda f: f.groupby("model")["first_vintage_with_compute"].transform(lambda s: s.nunique(dropna=False) > 1).astype(bool),
         "first_vintage_with_compute"),
    ),
)
# the table's schema lives with its builder; the market model and `forecast data build` find it in TABLES
TABLES.setdefault(MARKET_VINTAGES.name, MARKET_VINTAGES)


def _key(name: str) -> str:
    """Matching key: case-insensitive, whitespace collapsed, '-' and '_' read as spaces."""
    return " ".join(re.sub(r"[-_]", " ", name).split()).lower()


def _clean(s: pd.Series) -> pd.Series:
    return s.fillna("").astype(str).map(lambda x: " ".join(x.split()))


def _first_org(org: str) -> str:
    return org.split(",")[0].strip().lower()


def read_vintage_file(shared: Path, relpath: str) -> pd.DataFrame:
    """One Epoch CSV → model, organization, publication_date, domain, training_compute, with the source row number;
    a malformed date or compute stops the build naming the file, row and column."""
    raw = pd.read_csv(shared / relpath, dtype=str, keep_default_na=False)
    out = pd.DataFrame({"model": _clean(raw["Model"]), "organization": _clean(raw["Organization"]),
                        "domain": _clean(raw["Domain"]), "_row": np.arange(len(raw)) + 2, "_file": relpath})
    for col, name in (("Publication date", "publication_date"), ("Training compute (FLOP)", "training_compute")):
        text = _clean(raw[col])
        val = (pd.to_datetime(text.replace("", None), errors="coerce", format="ISO8601") if name == "publication_date"
               else pd.to_numeric(text.replace("", None), errors="coerce"))
        bad = val.isna() & (text != "")
        if name == "training_compute":
            bad |= (val <= 0).fillna(False)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataValidationError(f"cannot read {text.iloc[i]!r} as a {'date' if name == 'publication_date' else 'positive number'}",
                                      file=str(shared / relpath), row=i + 2, column=col)
        out[name] = val
    return out


def _vintage_rows(shared: Path, files: tuple[str, ...], notes: list[str], vintage: str) -> pd.DataFrame:
    parts = []
    for rank, f in enumerate(files):
        df = read_vintage_file(shared, f)
        n0 = len(df)
        df = df[(df["model"] != "") & df["publication_date"].notna()]
        doms = df["domain"].map(lambda d: bool({x.strip() for x in d.split(",")} & set(DOMAINS)))
        df = df[doms].assign(_rank=rank)
        notes.append(f"{vintage}: {f}: {n0} rows, {n0 - len(doms)} without name or publication date, "
                     f"{len(df)} Language/Multimodal.")
        parts.append(df)
    df = pd.concat(parts, ignore_index=True)
    df["model"] = df["model"].map(lambda m: RENAMES.get(m, m))
    df["_key"] = df["model"].map(_key)
    for c in ("organization", "domain"):
        df[c] = df[c].replace("", np.nan)
    # one row per model: the all-models table first, within a table a row with compute first, then file order;
    # each blank field of that row is filled from the next row of the same model (a large-scale row may carry the compute)
    df["_none"] = df["training_compute"].isna()
    df = df.sort_values(["_key", "_rank", "_none", "_row"], kind="mergesort")
    dups = int(df["_key"].duplicated().sum())
    kept = df.groupby("_key", sort=False).first()  # first non-blank value of each column in the order above
    notes.append(f"{vintage}: {dups} rows merged into another row of the same model (both tables, or repeated names).")
    return kept.reset_index()


def build(shared_data: Path, built: dict) -> BuildResult:
    shared = Path(shared_data)
    notes: list[str] = []
    frames = {v: _vintage_rows(shared, files, notes, v) for v, files in VINTAGES.items()}
    newest = frames[NEWEST].set_index("_key")
    for old, new in RENAMES.items():
        hits = [frames[v].set_index("_key").loc[_key(new)] for v in VINTAGES if v != NEWEST and _key(new) in set(frames[v]["_key"])]
        if _key(new) not in newest.index or not hits:
            raise DataValidationError(f"rename {old!r} -> {new!r} no longer matches a row in an older vintage and one in the newest",
                                      file=str(shared / VINTAGES[NEWEST][0]), column="Model")
        for h in hits:
            n = newest.loc[_key(new)]
            same_compute = pd.isna(h["training_compute"]) or pd.isna(n["training_compute"]) or \
                abs(np.log10(h["training_compute"] / n["training_compute"])) < 0.05
            if _first_org(h["organization"]) != _first_org(n["organization"]) or not same_compute:
                raise DataValidationError(f"rename {old!r} -> {new!r}: organization or compute differ between the vintages",
                                          file=str(shared / VINTAGES[NEWEST][0]), column="Model")
    rows = []
    for v, f in frames.items():
        keep = f["training_compute"].notna() | (v == NEWEST)
        rows.append(f[keep].assign(vintage=pd.Timestamp(v)))
    out = pd.concat(rows, ignore_index=True)
    # one spelling per model: the newest vintage's where it has the model, else the latest vintage's
    name = out.sort_values("vintage").groupby("_key")["model"].last()
    out["model"] = out["_key"].map(name)
    first = out[out["training_compute"].notna()].groupby("_key")["vintage"].min()
    out["first_vintage_with_compute"] = out["_key"].map(first)
    out["organization"] = out["organization"].replace("", np.nan)
    late = out.drop_duplicates("_key").copy()
    late = late[late["first_vintage_with_compute"].notna()]
    for v in list(VINTAGES)[:-1]:
        pub = late[late["publication_date"] <= pd.Timestamp(v)]
        first_v = pub["first_vintage_with_compute"]
        notes.append(f"Models published by {v} with compute in a later vintage: "
                     f"{int((first_v > pd.Timestamp(v)).sum())} of {len(pub)}.")
    out = out.sort_values(["vintage", "publication_date", "model"], kind="mergesort").reset_index(drop=True)
    out = out[[c.name for c in MARKET_VINTAGES.columns]]
    for v in VINTAGES:
        sub = out[out["vintage"] == pd.Timestamp(v)]
        notes.append(f"{v}: {len(sub)} rows written, {int(sub['training_compute'].notna().sum())} with training compute.")
    rules = [
        "Vintages: " + "; ".join(f"{v} = {', '.join(f'`{x}`' for x in files)}" for v, files in VINTAGES.items())
        + ". A vintage's date is the date of its snapshot (for 2025-03-14 the last publication date it holds).",
        "CSVs are parsed with pandas' CSV parser (multi-line quoted fields); text fields are whitespace-collapsed.",
        "Rows without a model name or publication date are dropped; only rows whose Domain list contains "
        + " or ".join(DOMAINS) + " are kept.",
        "Within a vintage, rows are matched on a normalized name (lower-case, whitespace collapsed, '-' and '_' as spaces); "
        "where both tables of a vintage (or repeated names) list a model, the all-models row is kept (a row with "
        "compute before one without) and its blank organization, domain or compute is filled from the other row.",
        "Renamed models carry the newest vintage's name in every vintage: " + "; ".join(f"'{k}' -> '{v}'" for k, v in RENAMES.items())
        + " (same first organization and compute within 0.05 OOM; checked at build time). Other models keep the newest "
        "vintage's spelling of their normalized name, or their latest spelling if the newest vintage dropped them.",
        "Kept rows: every row with a training compute, and every newest-vintage row (with or without compute, for "
        "counting organizations of all sizes). Organization, publication date and domain are each vintage's own.",
        "training_compute = `Training compute (FLOP)` of that vintage (pre-training compute); first_vintage_with_compute "
        "= the earliest vintage whose row of the model has one.",
        "Rows are sorted by vintage, publication date and model; numbers are written with 6 significant digits.",
    ]
    return BuildResult(frame=out, rules=rules, notes=notes)


_ORIGINS = {
    "epoch_all_ai_models/all_ai_models.csv": "Epoch AI 'All AI Models' (https://epoch.ai/data/ai-models), via the mirror GitHub "
        "`simsharmaa/INFSCI1520`, `all_ai_models.csv` at commit 295b483d98268fbf03775fbad08204d3611931b6 (data to 2025-03-14)",
    "epoch_ai_models_2025-11-01/all_ai_models.csv": "Epoch AI 'Data on AI Models' vintage 2025-11-01, via Zanmadit/ai_hack_cast "
        "data/ai_models.zip, commit 09f58382 (all_ai_models.csv)",
    "epoch_ai_models_2025-11-01/large_scale_ai_models.csv": "Epoch AI 'Data on AI Models' vintage 2025-11-01, via "
        "Zanmadit/ai_hack_cast data/ai_models.zip, commit 09f58382 (large_scale_ai_models.csv)",
    "epoch_ai_models_2026-03-30/all_ai_models.csv": "Epoch AI 'Data on AI Models' vintage 2026-03-30, via georgetown-cset/aixbiodata "
        "data/ai_models.zip, commit 61756292 (all_ai_models.csv)",
    "epoch_ai_models_2026-03-30/large_scale_ai_models.csv": "Epoch AI 'Data on AI Models' vintage 2026-03-30, via "
        "georgetown-cset/aixbiodata data/ai_models.zip, commit 61756292 (large_scale_ai_models.csv)",
}

BUILDER = Builder(
    table=MARKET_VINTAGES.name,
    inputs=tuple(Input(relpath=f, license=EPOCH_LICENSE, origin=_ORIGINS[f]) for files in VINTAGES.values() for f in files),
    build=build,
)
