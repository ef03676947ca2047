"""Build data/models.csv: one row per notable AI model from Epoch AI's model tables.

Two Epoch tables are merged: "All AI Models" (to 2025-03) and "Large-Scale AI Models" (> 1e23 FLOP,
to 2025-12). Rows are matched on a normalized model name; the large-scale table is newer and wins.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.data.build.base import BuildResult, Builder, Input

ALL_PATH = "epoch_all_ai_models/all_ai_models.csv"
LS_PATH = "epoch_large_scale_ai_models/large_scale_ai_models.csv"

ALL_TAG, LS_TAG = "epoch_all", "epoch_large_scale"

# Same model, renamed between the two Epoch snapshots (all-models name -> large-scale name). Checked at
# build time: both rows must exist and carry the same publication date.
ALIASES = {
    "GPT-4": "GPT-4 (Mar 2023)",
    "GPT-4 Turbo": "GPT-4 Turbo (Nov 2023)",
    "Llama 3.3": "Llama 3.3 70B",
}

FIELDS = ("model", "organization", "publication_date", "parameters", "active_parameters",
          "training_compute", "training_tokens", "accessibility", "domain")

_UNITS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9,
          "t": 1e12, "trillion": 1e12}
_NUM = r"(?P<num>\d+(?:\.\d+)?)\s?(?P<unit>trillion|billion|million|bn|[tbm])\b"
# "<N> active/activated/activation [parameters]", "<N> parameters active", "<N> are activated", "<N> - activated"
_ACTIVE_AFTER = re.compile(_NUM + r"(?:\s+(?:parameters|params|are|parameter))?\s*(?:-\s*)?(?:active|activated|activation)\b"
                           r"(?!\s+parameters(?:\s+per\s+token)?\s*:)",  # "456B Activated Parameters per Token: 45.9B"
                           re.IGNORECASE)
# "activates <N> parameters", "active parameters: <N>", "Activated Parameters per Token: <N>"
_ACTIVE_BEFORE = re.compile(r"(?:activates\s+" + _NUM + r"\s+parameters"
                            r"|activ(?:e|ated)\s+parameters(?:\s+per\s+token)?\s*:\s*" + _NUM.replace("num", "num2").replace("unit", "unit2") + ")",
                            re.IGNORECASE)
_HEDGED = re.compile(r"rumou?r|suspect|assum|estimate|guess|speculat", re.IGNORECASE)


def _norm(name: str) -> str:
    """Matching key: case-insensitive, whitespace-collapsed, '-' and '_' treated as spaces."""
    return " ".join(re.sub(r"[-_]", " ", name).split()).lower()


def _clean(s: pd.Series) -> pd.Series:
    return s.fillna("").astype(str).map(lambda x: " ".join(x.split()))


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(_clean(s).replace("", np.nan), errors="raise").astype(float)


def parse_active(note: str, total: float) -> float:
    """Active parameter count stated in an Epoch `Parameters notes` text, or NaN.

    Conservative: only explicit "<N> active/activated" statements with a unit, not hedged
    (rumoured/assumed/estimated), exactly one distinct value, and strictly below the total.
    """
    if not isinstance(note, str) or not note.strip() or not np.isfinite(total):
        return np.nan
    text = " ".join(note.split())
    if _HEDGED.search(text):
        return np.nan
    vals = set()
    for m in _ACTIVE_AFTER.finditer(text):
        vals.add(float(m.group("num")) * _UNITS[m.group("unit").lower()])
    for m in _ACTIVE_BEFORE.finditer(text):
        num, unit = (m.group("num"), m.group("unit")) if m.group("num") else (m.group("num2"), m.group("unit2"))
        vals.add(float(num) * _UNITS[unit.lower()])
    if len(vals) != 1:
        return np.nan
    v = vals.pop()
    return v if 0 < v < total else np.nan


def _accessibility(v: str) -> str:
    v = v.strip()
    if not v:
        return "unknown"
    if v.lower().startswith("open weights"):
        return "open"
    if v in ("API access", "Hosted access (no API)", "Unreleased") or v.startswith("Hosted access"):
        return "closed"
    raise ValueError(f"unmapped Model accessibility value {v!r}")


def _standardize(raw: pd.DataFrame, tag: str, tokens_col: str) -> pd.DataFrame:
    out = pd.DataFrame({
        "model": _clean(raw["Model"]),
        "organization": _clean(raw["Organization"]),
        "publication_date": pd.to_datetime(_clean(raw["Publication date"]).replace("", None), format="ISO8601", errors="raise"),
        "parameters": _num(raw["Parameters"]),
        "training_compute": _num(raw["Training compute (FLOP)"]),
        "accessibility": _clean(raw["Model accessibility"]).map(_accessibility),
        "domain": _clean(raw["Domain"]),
        "_tokens": _num(raw[tokens_col]),
        "_pnotes": raw["Parameters notes"].fillna("").astype(str),
        "_modified": pd.to_datetime(_clean(raw["Last modified"]).replace("", None), utc=True, errors="raise")
        if "Last modified" in raw.columns else pd.NaT,
        "_pos": np.arange(len(raw)),
    })
    out["active_parameters"] = [parse_active(n, p) for n, p in zip(out["_pnotes"], out["parameters"])]
    out.loc[out["accessibility"] == "unknown", "accessibility"] = np.nan  # so the other table can fill it
    for c in ("organization", "domain"):
        out.loc[out[c] == "", c] = np.nan
    out["_src"] = tag
    return out


def _dedup_within(df: pd.DataFrame, label: str, notes: list[str]) -> pd.DataFrame:
    df = df.copy()
    df["_key"] = df["model"].map(_norm)
    # rows whose names collide only after normalization but that name different models
    # (different exact name and different organization) keep their exact name as key
    for key, g in df.groupby("_key"):
        if len(g) > 1 and g["model"].nunique() == len(g) and g["organization"].nunique(dropna=False) == len(g):
            df.loc[g.index, "_key"] = g["model"]
            notes.append(f"{label}: {', '.join(repr(m) for m in g['model'])} differ only in case/punctuation but have "
                         "different organizations; kept as distinct models.")
    dups = df[df["_key"].duplicated(keep=False)]
    if len(dups):
        df = df.sort_values(["_key", "_modified", "_pos"], ascending=[True, False, True], na_position="last")
        kept = df.drop_duplicates("_key", keep="first")
        for key, g in dups.groupby("_key"):
            k = kept.loc[kept["_key"] == key].iloc[0]
            notes.append(f"{label}: {len(g)} rows named {k['model']!r}; kept the one last modified "
                         f"{k['_modified'].date() if pd.notna(k['_modified']) else '(n/a)'} (source row {int(k['_pos']) + 2}).")
        df = kept.sort_values("_pos")
    return df


def build(shared_data: Path, built: dict) -> BuildResult:
    shared_data = Path(shared_data)
    raw_all = pd.read_csv(shared_data / ALL_PATH, dtype=str, keep_default_na=False)
    raw_ls = pd.read_csv(shared_data / LS_PATH, dtype=str, keep_default_na=False)
    notes: list[str] = [f"Read {len(raw_all)} rows from the all-models table and {len(raw_ls)} from the large-scale table."]

    frames = {}
    for tag, raw, tokcol, label in ((ALL_TAG, raw_all, "Training dataset size (datapoints)", "all-models"),
                                    (LS_TAG, raw_ls, "(DEPRECATED) Training dataset size (datapoints)", "large-scale")):
        df = _standardize(raw, tag, tokcol)
        blank = df["model"] == ""
        nodate = ~blank & df["publication_date"].isna()
        if blank.any():
            notes.append(f"{label}: dropped {int(blank.sum())} rows with no model name.")
        notes.append(f"{label}: dropped {int(nodate.sum())} rows with no publication date"
                     + (f" ({', '.join(df.loc[nodate, 'model'].head(50))})." if nodate.any() else "."))
        df = df[~blank & ~nodate]
        frames[tag] = _dedup_within(df, label, notes)

    a, b = frames[ALL_TAG], frames[LS_TAG]
    # a model kept under its exact name in one table (case-collision exception) matches the other table by exact name
    for x, y in ((a, b), (b, a)):
        exact = set(x.loc[x["_key"] == x["model"], "model"])
        hit = y["model"].isin(exact)
        y.loc[hit, "_key"] = y.loc[hit, "model"]
    # explicit renames between the snapshots
    for old, new in ALIASES.items():
        ra, rb = a[a["model"] == old], b[b["model"] == new]
        if (len(ra) != 1 or len(rb) != 1 or ra["publication_date"].iloc[0] != rb["publication_date"].iloc[0]
                or ra["_key"].iloc[0] in set(b["_key"])):
            raise ValueError(f"alias {old!r} -> {new!r} no longer matches one row with the same date in each table "
                         "(or the old name also exists in the large-scale table)")
        a.loc[ra.index, "_key"] = rb["_key"].iloc[0]

    a = a.set_index("_key")
    b = b.set_index("_key")
    both = a.index.intersection(b.index)
    notes.append(f"{len(both)} models appear in both tables, {len(a.index.difference(b.index))} only in the all-models "
                 f"table, {len(b.index.difference(a.index))} only in the large-scale table.")

    cols = ["model", "organization", "publication_date", "parameters", "active_parameters", "training_compute",
            "accessibility", "domain", "_tokens"]
    keys = b.index.append(a.index.difference(b.index))
    bb = b.reindex(keys)[cols]
    aa = a.reindex(keys)[cols]
    merged = bb.combine_first(aa).reindex(keys)[cols]  # combine_first re-sorts the index; restore key order
    assert merged.index.is_unique and len(merged) == len(keys)
    # active parameters only make sense against the parameter count they were stated with
    mismatch = bb["active_parameters"].isna() & aa["active_parameters"].notna() & bb["parameters"].notna() & \
        (np.abs(aa["parameters"] / bb["parameters"] - 1) > 0.01)
    merged.loc[mismatch, "active_parameters"] = np.nan
    conflicts = (bb["training_compute"].notna() & aa["training_compute"].notna()
                 & (np.abs(np.log10(bb["training_compute"] / aa["training_compute"])) > np.log10(1.1)))
    for k in keys[conflicts.to_numpy()]:
        notes.append(f"{merged.loc[k, 'model']}: training compute {bb.loc[k, 'training_compute']:.3g} FLOP (large-scale) "
                     f"used over {aa.loc[k, 'training_compute']:.3g} (all-models).")

    src = np.where(keys.isin(both), f"{ALL_TAG}+{LS_TAG}", np.where(keys.isin(b.index), LS_TAG, ALL_TAG))
    merged["source"] = pd.Series(src, index=keys)
    merged["accessibility"] = merged["accessibility"].fillna("unknown")
    is_lang = merged["domain"].fillna("").map(lambda d: "language" in [x.strip().lower() for x in d.split(",")])
    merged["training_tokens"] = merged["_tokens"].where(is_lang & (merged["_tokens"] >= 1))
    bad = merged["active_parameters"] >= merged["parameters"]
    merged.loc[bad, "active_parameters"] = np.nan

    out = merged.reset_index(drop=True)
    out = out.sort_values(["publication_date", "model"], kind="mergesort").reset_index(drop=True)
    out = out[["model", "organization", "publication_date", "parameters", "active_parameters", "training_compute",
               "training_tokens", "accessibility", "domain", "source"]]
    notes.append(f"{len(out)} models written; {int(out['active_parameters'].notna().sum())} with a parsed active-parameter count; "
                 f"{int((out['training_compute'] >= 1e25).sum())} with training compute >= 1e25 FLOP, "
                 f"{int((out['training_compute'] >= 1e26).sum())} >= 1e26 FLOP.")

    rules = [
        "Both CSVs are parsed with pandas' CSV parser (multi-line quoted fields); every text field is whitespace-collapsed "
        "(model names in the source carry stray tabs and newlines).",
        "Rows with no model name or no publication date are dropped (counts under Notes).",
        "Models are matched on a normalized name: lower-case, whitespace collapsed, '-' and '_' read as spaces "
        "(so 'Grok-3' and 'Grok 3' are one model). Exception: names that collide only after normalization within one "
        "table but belong to different organizations are kept as distinct models.",
        "Models renamed between the two Epoch snapshots are matched explicitly (all-models name -> large-scale name): "
        + "; ".join(f"'{k}' -> '{v}'" for k, v in ALIASES.items()) + " (same organization and publication date, old name absent from the large-scale table; checked at build time).",
        "Within one table, rows with the same normalized name are collapsed to the row with the latest `Last modified` "
        "timestamp; if that is missing or tied, the first row in file order is kept.",
        "When a model is in both tables every field is taken from the large-scale table (the newer snapshot, to 2025-12), "
        "and only fields blank there are filled from the all-models table; the model name is the large-scale spelling.",
        "parameters = `Parameters`; training_compute = `Training compute (FLOP)` (pre-training compute; fine-tune compute is not added).",
        "active_parameters is parsed from `Parameters notes` only where the note states an active count with a unit, e.g. "
        "'671B total, 37B activated', '21B active params', 'activates 14 billion parameters', 'active parameters: 47B'; "
        "notes that are hedged (rumoured, assumed, estimated, suspected), ranges, or yield more than one value are skipped, "
        "and the value must be below `Parameters` (a value filled from the other table is used only if both tables give the "
        "same parameter count). All other models have it blank: dense is not assumed.",
        "training_tokens = `Training dataset size (datapoints)` (all-models) or `(DEPRECATED) Training dataset size "
        "(datapoints)` (large-scale), only for models whose domain list includes Language (there datapoints are tokens or "
        "words); blank for other domains and for values below 1.",
        "accessibility: `Model accessibility` 'Open weights (...)' -> open; 'API access', 'Hosted access (no API)', "
        "'Unreleased' -> closed; blank -> unknown (after filling from the other table).",
        "domain = Epoch `Domain` (comma-separated); organization = Epoch `Organization` (comma-separated).",
        "source records which table(s) the row came from: epoch_all, epoch_large_scale or epoch_all+epoch_large_scale.",
        "Rows are sorted by publication date, then model name; numbers are written with 6 significant digits.",
    ]
    return BuildResult(frame=out, rules=rules, notes=notes)


EPOCH_LICENSE = "CC BY 4.0 — credit Epoch AI, 'Data on AI Models', https://epoch.ai/data/ai-models"

BUILDER = Builder(
    table="models",
    inputs=(
        Input(relpath=ALL_PATH, license=EPOCH_LICENSE,
              origin="Epoch AI 'All AI Models' (https://epoch.ai/data/ai-models), via the mirror GitHub "
                     "`simsharmaa/INFSCI1520`, `all_ai_models.csv` at commit 295b483d98268fbf03775fbad08204d3611931b6 (data to 2025-03-14)"),
        Input(relpath=LS_PATH, license=EPOCH_LICENSE,
              origin="Epoch AI 'Large-Scale AI Models' (https://epoch.ai/data/ai-models), via the mirror GitHub "
                     "`rauletorresc/llmfit`, `data/large_scale_ai_models.csv` at commit a652be31dd0cbe36f89572de7022e2a145fb3788 (data to 2025-12-31)"),
    ),
    build=build,
)
