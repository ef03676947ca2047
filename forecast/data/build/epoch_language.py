"""Frames ``epoch_notable_language_models`` and ``epoch_all_language_models``: language models in Epoch AI's
"Data on AI Models", newest vintage (2026-03-30), with their adoption and variant rules.

Frame: rows whose Domain list contains "Language", published 2018-01-01 or later (the era of pretrained transformer
language models); notable = notable_ai_models.csv, all = all_ai_models.csv (notable plus every other tracked model).
Dates must not fall after the vintage (2026-03-30); undated rows are left out. Older vintages (2025-11-01,
2025-03-14) are not read: the newest holds the most models per year, and its last quarters are still incomplete
because Epoch adds entries and hardware fields for about a year after release.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from forecast.data.build.base import Input
from forecast.data.build.epoch_models import EPOCH_LICENSE
from forecast.data.build.hf_model_types import name_family
from forecast.data.build.periods import Rule, check_dates_in_frame, count_rows, doc_rules, file_stamp, frame_span, \
    variant_rows, with_rows

NOTABLE_CSV = "epoch_ai_models_2026-03-30/notable_ai_models.csv"
ALL_CSV = "epoch_ai_models_2026-03-30/all_ai_models.csv"
NOTABLE, ALL = "epoch_notable_language_models", "epoch_all_language_models"
FILES = {NOTABLE: NOTABLE_CSV, ALL: ALL_CSV}
LABEL = f"{NOTABLE} / {ALL}"
_ORIGIN = "Epoch AI 'Data on AI Models' vintage 2026-03-30, via georgetown-cset/aixbiodata data/ai_models.zip, commit 61756292"
INPUTS = (Input(NOTABLE_CSV, EPOCH_LICENSE, _ORIGIN + " (notable_ai_models.csv)"),
          Input(ALL_CSV, EPOCH_LICENSE, _ORIGIN + " (all_ai_models.csv)"))

CHINA_DOMESTIC = re.compile(r"ascend|昇腾|huawei|cambricon|hygon|kunlun|enflame|biren|metax|mtt|moore threads|"
                            r"iluvatar|sunway|t-head", re.I)
VENDOR_PREFIXES = (("nvidia", "nvidia"), ("google tpu", "google_tpu"), ("amd", "amd"), ("amazon", "amazon"),
                   ("cerebras", "cerebras"), ("intel", "intel"), ("habana", "intel"), ("graphcore", "other"))
NON_LANGUAGE_MODALITIES = {"Multimodal", "Vision", "Video", "Image generation", "Speech", "Audio"}
TOP_ORGS = 6


def read(shared: Path) -> dict[str, pd.DataFrame]:
    return {series: with_rows(pd.read_csv(shared / f), f) for series, f in FILES.items()}


def chip_vendor(chip: str) -> str:
    """Vendor of one training chip as Epoch names it; Chinese domestic accelerators first (some names carry a
    vendor-like prefix)."""
    c = chip.strip()
    if CHINA_DOMESTIC.search(c):
        return "china_domestic"
    low = c.lower()
    for prefix, vendor in VENDOR_PREFIXES:
        if low.startswith(prefix):
            return vendor
    return "other"


def model_vendor(hardware) -> str | None:
    """The vendor of a model's chips, "multiple" when they come from several vendors, None without hardware."""
    if not isinstance(hardware, str) or not hardware.strip():
        return None
    vendors = {chip_vendor(c) for c in hardware.split(",") if c.strip()}
    return vendors.pop() if len(vendors) == 1 else "multiple"


def first_org(org) -> str | None:
    if not isinstance(org, str) or not org.strip():
        return None
    return org.split(",")[0].strip()


def base_family(base) -> str | None:
    """Family of the (first) named base model: 'Qwen/Qwen2.5-14B' -> qwen, 'Llama 4 Scout' -> llama."""
    if not isinstance(base, str) or not base.strip():
        return None
    return name_family(base.split(",")[0].strip().split("/")[-1])


def language_models(df: pd.DataFrame, series: str) -> pd.DataFrame:
    """The frame: language-domain rows dated on or after the frame's start, with date, domain set and labels."""
    d = df.assign(date=pd.to_datetime(df["Publication date"], errors="coerce"),
                  domains=df["Domain"].fillna("").map(lambda x: {p.strip() for p in str(x).split(",") if p.strip()}))
    start, _ = frame_span(series)
    lm = d[d["domains"].map(lambda s: "Language" in s) & (d["date"] >= start)].copy()
    check_dates_in_frame(lm, series, "Publication date")
    lm["vendor"] = lm["Training hardware"].map(model_vendor)
    lm["nvidia"] = lm["Training hardware"].map(
        lambda h: isinstance(h, str) and any(chip_vendor(c) == "nvidia" for c in h.split(",") if c.strip()))
    lm["domestic"] = lm["Training hardware"].map(
        lambda h: isinstance(h, str) and any(chip_vendor(c) == "china_domestic" for c in h.split(",") if c.strip()))
    lm["china"] = lm["Country (of organization)"].fillna("").astype(str).str.contains("China")
    lm["multimodal"] = lm["domains"].map(lambda s: bool(s & NON_LANGUAGE_MODALITIES))
    lm["org"] = lm["Organization"].map(first_org)
    lm["base_family"] = lm["Base model"].map(base_family)
    acc = lm["Model accessibility"].fillna("").astype(str).str.strip()
    lm["open_weights"] = acc.str.startswith("Open weights").where(acc.ne(""))
    return lm


def top_orgs(orgs: pd.Series, n: int = TOP_ORGS) -> set:
    """The n most prolific organisations; ties broken alphabetically."""
    ranked = sorted(orgs.value_counts().items(), key=lambda kv: (-kv[1], kv[0]))
    return {o for o, _ in ranked[:n]}


def with_top_orgs(lm: pd.DataFrame) -> pd.DataFrame:
    d = lm[lm["org"].notna()]
    top = {y: top_orgs(g["org"]) for y, g in d.groupby(d["date"].dt.year)}
    return d.assign(top6=[o in top[y] for o, y in zip(d["org"], d["date"].dt.year)])


def rule(technology: str, series: str, column: str) -> Rule:
    return Rule(f"{series}:{technology}", technology, series, FILES[series], column, "Publication date",
                f"{FILES[series]} (Epoch AI, CC BY 4.0)")


def count_rows_epoch(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Adoption counts (kind=count, calendar quarters with at least 3 models in the rule's frame).

    hardware_ecosystem: adopter = any listed training chip is NVIDIA's. Frame: language models with a Training
    hardware entry, in both frames (epoch_notable_language_models; epoch_all_language_models).

    multimodal_fusion: adopter = the Domain list also names Multimodal, Vision, Video, Image generation, Speech or
    Audio. Frame: notable language models.

    foundation_model_market: the concentration ratio CR6. Adopter = a model whose first-listed organisation is among
    that calendar year's six most prolific first-listed organisations (ties broken alphabetically). Frame: notable
    language models with an organisation. The open-weights share is not used for this technology: it measures
    openness, not concentration (its yearly values are in the notes).

    domestic_compute: adopter = any listed training chip is a Chinese accelerator (Huawei Ascend, Cambricon, Hygon,
    Kunlun, Enflame, Biren, MetaX, Moore Threads, Iluvatar, Sunway, T-Head). Frame: language models of organisations
    whose country includes China, with a Training hardware entry, in all tracked models (epoch_all_language_models;
    the notable frame holds too few Chinese models per quarter).

    pretrain_finetune is not counted as adoption: Epoch's `Base model` marks fine-tunes of a third-party base, i.e.
    derivative models, not use of the pretrain-then-finetune paradigm (which every modern LLM follows), and a blank
    field does not prove pretraining from scratch. Its base-model families stay a variant series.
    """
    return pd.concat([hardware_rows(frames[NOTABLE], NOTABLE), hardware_rows(frames[ALL], ALL),
                      multimodal_rows(frames[NOTABLE]), cr6_rows(frames[NOTABLE]), domestic_rows(frames[ALL])],
                     ignore_index=True)


def hardware_rows(lm: pd.DataFrame, series: str) -> pd.DataFrame:
    return count_rows(lm[lm["vendor"].notna()], "nvidia", rule("hardware_ecosystem", series, "Training hardware"))


def domestic_rows(lm: pd.DataFrame) -> pd.DataFrame:
    frame = lm[lm["vendor"].notna() & lm["china"]]
    return count_rows(frame, "domestic", rule("domestic_compute", ALL, "Training hardware"))


def multimodal_rows(lm: pd.DataFrame) -> pd.DataFrame:
    return count_rows(lm, "multimodal", rule("multimodal_fusion", NOTABLE, "Domain"))


def cr6_rows(lm: pd.DataFrame) -> pd.DataFrame:
    return count_rows(with_top_orgs(lm), "top6", rule("foundation_model_market", NOTABLE, "Organization"))


def open_weights_shares(lm: pd.DataFrame) -> pd.DataFrame:
    """Per year, open-weight models (k) among models with an accessibility entry (n); reported, not fitted."""
    ow = lm.dropna(subset=["open_weights"])
    return ow.groupby(ow["date"].dt.year)["open_weights"].agg(k="sum", n="size").astype(int)


def variant_rows_epoch(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Variant counts (calendar years, whose per-quarter counts are thin; years with fewer than 3 labelled models
    dropped).

    hardware_ecosystem: vendor of the model's training chips: nvidia, google_tpu, amd, amazon, cerebras, intel,
    china_domestic (Ascend / Huawei, Cambricon, Hygon, Kunlun, Enflame, Biren, MetaX, Moore Threads (MTT), Iluvatar,
    Sunway, T-Head), other; "multiple" when chips of several vendors are listed. Both frames.

    foundation_model_market: first-listed organisation of notable language models.
    pretrain_finetune: family of the named base model (first name in `Base model`) among notable language models
    that are fine-tunes.
    """
    notable, all_lm = frames[NOTABLE], frames[ALL]
    return pd.concat([
        variant_rows(notable, "vendor", rule("hardware_ecosystem", NOTABLE, "Training hardware"), "Y"),
        variant_rows(all_lm, "vendor", rule("hardware_ecosystem", ALL, "Training hardware"), "Y"),
        variant_rows(notable, "org", rule("foundation_model_market", NOTABLE, "Organization"), "Y"),
        variant_rows(notable, "base_family", rule("pretrain_finetune", NOTABLE, "Base model"), "Y"),
    ], ignore_index=True)


def _notes(frames: dict[str, pd.DataFrame]) -> list[str]:
    out = []
    for series, lm in frames.items():
        hw = lm[lm["vendor"].notna()]
        out.append(f"{series}: {len(lm)} language models; with training hardware per year: "
                   + ", ".join(f"{y} {n}" for y, n in hw.groupby(hw["date"].dt.year).size().items()))
    shares = open_weights_shares(frames[NOTABLE])
    out.append("open-weights share of notable language models per year (not used as adoption: openness, not "
               "concentration): " + ", ".join(f"{y} {r.k}/{r.n}" for y, r in shares.iterrows()))
    return out


@lru_cache(maxsize=2)
def _frames_of(stamp: tuple) -> dict[str, pd.DataFrame]:
    return {series: language_models(df, series) for series, df in read(Path(stamp[0])).items()}


def frames_of(shared: Path) -> dict[str, pd.DataFrame]:
    """Both language-model frames of `shared`, computed once while the files are unchanged (callers get copies)."""
    return {s: f.copy() for s, f in _frames_of(file_stamp(shared, FILES.values())).items()}


def count_frame(shared: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
    frames = frames_of(shared)
    return count_rows_epoch(frames), doc_rules(__doc__, count_rows_epoch.__doc__, label=LABEL), _notes(frames)


def variant_frame(shared: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
    frames = frames_of(shared)
    return variant_rows_epoch(frames), doc_rules(__doc__, variant_rows_epoch.__doc__, label=LABEL), []
