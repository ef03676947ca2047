"""Frame ``llm_architecture_gallery``: the dated notable LLM architectures of the LLM Architecture Gallery, with
their adoption and variant rules.

Frame: every dated row (72 architectures, 2019-11 .. 2026-05; dates must lie in 2018-01-01 .. 2026-05-29, the
fetch date). Only the facts columns are read (Date, Decoder type, Attention, Layer mix, Context (tokens), Scale),
never the prose columns. The gallery is one author's selection of the most-discussed architectures, mostly of
2025-2026: quarters before 2024Q4 hold fewer than 3 rows and are dropped.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from forecast.data.build.base import Input
from forecast.data.build.hf_model_types import CONTEXT_BUCKETS, LONG_CONTEXT_MIN
from forecast.data.build.periods import Rule, bucket, check_dates_in_frame, count_rows, doc_rules, variant_rows, \
    with_rows

GALLERY_TSV = "llm_architecture_gallery/llm-list.tsv"
SERIES = "llm_architecture_gallery"
SOURCE = "llm_architecture_gallery/llm-list.tsv (facts columns only)"
INPUTS = (Input(GALLERY_TSV, "none stated; only the facts columns are used (dates, decoder type, attention, layer mix, "
                "context, scale)", "qundao/backup-llm-architecture-gallery llm-list.tsv, commit 882ba695 (backup of "
                "the table behind Sebastian Raschka's LLM Architecture Gallery)"),)

NON_ATTENTION = re.compile(r"mamba|deltanet|delta attention|lightning|mlstm", re.I)
MOE_DECODER = re.compile(r"moe|^sparse", re.I)
ACTIVE_BUCKETS = [(5, "<5% active"), (10, "5-<10% active"), (float("inf"), ">=10% active")]
# (technology, feature column, input column the rule reads)
COUNT_RULES = (("transformer", "attention", "Attention"), ("attention", "attention", "Attention"),
               ("moe", "moe", "Decoder type"), ("long_context", "long_context", "Context (tokens)"),
               ("ssm_hybrid", "ssm_hybrid", "Decoder type"))


def read(shared: Path) -> pd.DataFrame:
    return with_rows(pd.read_csv(shared / GALLERY_TSV, sep="\t"), GALLERY_TSV)


def parse_context(text) -> float | None:
    """'128,000' -> 128000; '128K input, 64K output' -> 128000; no number -> None."""
    if not isinstance(text, str):
        return None if pd.isna(text) else float(text)
    m = re.search(r"(\d[\d,]*(?:\.\d+)?)\s*([KkMm]?)", text)
    if not m:
        return None
    return float(m.group(1).replace(",", "")) * {"k": 1e3, "m": 1e6}.get(m.group(2).lower(), 1)


def attention_label(text) -> str | None:
    """First match wins: none (no self-attention), linear_hybrid, MLA, MQA, GQA, MHA, else other (e.g. only
    sliding-window / global attention named)."""
    if not isinstance(text, str):
        return None
    t = text.lower()
    for label, pat in (("none", r"no self-attention"), ("linear_hybrid", NON_ATTENTION.pattern), ("MLA", r"\bmla"),
                       ("MQA", r"multi-query|\bmqa\b"), ("GQA", r"\bgqa\b"), ("MHA", r"\bmha\b")):
        if re.search(pat, t):
            return label
    return "other"


def mixer(attention: str, layer_mix: str) -> str:
    m = NON_ATTENTION.search(f"{attention} {layer_mix}")
    return m.group(0).lower().replace("delta attention", "deltanet") if m else "recurrent/other"


def active_fraction(scale) -> float | None:
    """'671B total, 37B active (5.5% active)' -> 5.5."""
    m = re.search(r"\((?:~)?([\d.]+)% active\)", str(scale))
    return float(m.group(1)) if m else None


def frame(gallery: pd.DataFrame) -> pd.DataFrame:
    g = gallery.assign(date=pd.to_datetime(gallery["Date"], errors="coerce"))
    g = g[g["date"].notna()].copy()
    check_dates_in_frame(g, SERIES, "Date")
    dec = g["Decoder type"].fillna("").astype(str)
    att = g["Attention"].fillna("").astype(str)
    g["moe"] = dec.str.contains(MOE_DECODER)
    g["ssm_hybrid"] = dec.str.contains("hybrid|recurrent", case=False) | att.str.contains(NON_ATTENTION)
    g["ctx"] = g["Context (tokens)"].map(parse_context)
    g["long_context"] = (g["ctx"] >= LONG_CONTEXT_MIN).where(g["ctx"].notna())
    g["attention"] = ~att.str.contains("no self-attention", case=False)
    g["attention_variant"] = g["Attention"].map(attention_label)
    return g


def rule(technology: str, column: str) -> Rule:
    return Rule(f"{SERIES}:{technology}", technology, SERIES, GALLERY_TSV, column, "Date", SOURCE)


def count_rows_gallery(g: pd.DataFrame) -> pd.DataFrame:
    """Adoption counts (kind=count, calendar quarters with at least 3 dated rows in the rule's frame).

    transformer and attention: the Attention text is not "No self-attention" (attention hybrids adopt).
    moe: the Decoder type says MoE or Sparse (Sparse MoE, Sparse hybrid, Hybrid MoE, Sparse omnimodal MoE: the
    gallery's "Sparse" rows are all given as "X total, Y active"). long_context: a numeric Context of at least
    128,000 tokens; rows without a numeric limit leave this frame. ssm_hybrid: the Decoder type says hybrid or
    recurrent, or the Attention text names Mamba, DeltaNet, Delta Attention, Lightning Attention or mLSTM. Frame:
    all dated rows.
    """
    return pd.concat([rows_for(g, tech) for tech, _, _ in COUNT_RULES], ignore_index=True)


def rows_for(g: pd.DataFrame, technology: str) -> pd.DataFrame:
    _, feat, col = next(r for r in COUNT_RULES if r[0] == technology)
    return count_rows(g[g[feat].notna()], feat, rule(technology, col))


def variant_rows_gallery(g: pd.DataFrame) -> pd.DataFrame:
    """Variant counts (half-years; periods with fewer than 3 labelled rows dropped).

    attention: none, linear_hybrid, MLA, MQA, GQA, MHA, other (first match in the Attention text). decoder_only:
    the Decoder type as written. moe: active-parameter fraction <5%, 5-<10%, >=10% among MoE rows. long_context:
    128K-<256K, 256K-<1M, >=1M among rows with at least 128,000 tokens. ssm_hybrid: the non-attention mixer named
    (mamba, deltanet, lightning, mlstm; recurrent/other).
    """
    moe = g[g["moe"]]
    ssm = g[g["ssm_hybrid"]]
    return pd.concat([
        variant_rows(g, "attention_variant", rule("attention", "Attention")),
        variant_rows(g.assign(v=g["Decoder type"].str.strip()), "v", rule("decoder_only", "Decoder type")),
        variant_rows(moe.assign(v=moe["Scale"].map(active_fraction).map(lambda x: bucket(x, ACTIVE_BUCKETS))), "v",
                     rule("moe", "Scale")),
        variant_rows(g.assign(v=g["ctx"].map(lambda x: bucket(x, CONTEXT_BUCKETS))), "v",
                     rule("long_context", "Context (tokens)")),
        variant_rows(ssm.assign(v=[mixer(a, m) for a, m in zip(ssm["Attention"], ssm["Layer mix"])]), "v",
                     rule("ssm_hybrid", "Attention")),
    ], ignore_index=True)


def count_frame(shared: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
    g = frame(read(shared))
    return count_rows_gallery(g), doc_rules(__doc__, count_rows_gallery.__doc__, label=SERIES), [f"{SERIES}: {len(g)} dated rows"]


def variant_frame(shared: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
    return variant_rows_gallery(frame(read(shared))), doc_rules(__doc__, variant_rows_gallery.__doc__, label=SERIES), []
