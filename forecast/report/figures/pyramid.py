"""The convergence pyramid redrawn from the posterior: every technology in its layer, coloured by its most probable level
now (left half) and at a later date (right half), with those levels' probabilities, the seed's level and the data label."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.report.figures.convergence import LEVEL_CMAP

# the seeds' pyramid, top to bottom (000_61de7e8b4708d969.txt «三、收敛的四层金字塔模型»: mathematics at the base); layers the seeds added later sit where
# their notes place them, hardware under everything; a layer not named here goes below
LAYER_ORDER = ("application", "market", "capability", "architecture", "math", "hardware")
LEVEL_WORDS = {"L0": "diverging", "L1": "not converged", "L2": "two-way contest", "L3": "quasi-converged", "L4": "full convergence"}
PER_ROW = 5


def pyramid_records(model, now, later) -> list[dict]:
    """Per technology of a fitted convergence model: layer, seed level, data label and the most probable level (with its
    probability) at `now` and at `later`."""
    out = []
    for tech in model.inputs["techs"]:
        t = model.registry[tech]
        rec = {"id": tech, "name": t.name, "layer": t.layer, "seed_level": t.seed_level,
               "label": model.data_label("level_at_least", {"tech": tech})}
        for key, when in (("now", now), ("later", later)):
            p = model.level_probabilities(tech, pd.Timestamp(when))
            best = max(p, key=p.get)
            rec[key] = (best, p[best])
            rec[f"p_{key}"] = p
        out.append(rec)
    return out


def _rows(records: list[dict]) -> list[tuple[str, list[dict]]]:
    layers = [l for l in LAYER_ORDER if any(r["layer"] == l for r in records)]
    layers += sorted({r["layer"] for r in records} - set(layers))
    rows = []
    for layer in layers:
        techs = [r for r in records if r["layer"] == layer]
        for i in range(0, len(techs), PER_ROW):
            rows.append((layer if i == 0 else "", techs[i:i + PER_ROW]))
    return rows


def pyramid(records: list[dict], now_label: str, later_label: str, ax=None):
    """Boxes by layer (the seeds' pyramid order); each box split into the level now (left) and later (right), P of each,
    the seed's level and the data label; a red outline marks a seed level that is not the most probable level now, a
    dashed one a technology without data. Drawn in inches (one data unit = one inch) so boxes keep their shape."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch, Patch, Rectangle
    rows = _rows(records)
    w, h, gap, layer_gap, lab = 1.78, 0.6, 0.09, 0.16, 1.05
    width = lab + PER_ROW * (w + gap)
    ys, y = [], 0.0
    for i, (layer, _) in enumerate(reversed(rows)):
        ys.append(y)
        y += h + (layer_gap if layer else gap)
    ys = ys[::-1]
    height = y
    if ax is None:
        top, bottom = 0.35, 0.62
        fig = plt.figure(figsize=(width, height + top + bottom))
        ax = fig.add_axes((0, bottom / (height + top + bottom), 1, height / (height + top + bottom)))
    fig = ax.figure
    colours = dict(zip(LEVEL_WORDS, LEVEL_CMAP))
    band_top = 0.0
    for i, ((layer, _), y) in enumerate(zip(rows, ys)):  # a light band behind each layer's rows
        last = i + 1 == len(rows) or rows[i + 1][0]
        if layer:
            band_top = y + h
        if last:
            ax.add_patch(Rectangle((0.05, y - 0.045), width - 0.1, band_top - y + 0.09, color="#f3f4f6", lw=0, zorder=0))
    for (layer, techs), y in zip(rows, ys):
        if layer:
            ax.text(lab - 0.12, y + h / 2, layer, ha="right", va="center", fontsize=8.5, fontweight="bold", color="0.25")
        x0 = lab + (PER_ROW - len(techs)) * (w + gap) / 2  # centred: the rows form the layer's band
        for j, r in enumerate(techs):
            x = x0 + j * (w + gap)
            (lv_now, p_now), (lv_later, p_later) = r["now"], r["later"]
            ax.add_patch(Rectangle((x, y), w / 2, h, color=colours.get(lv_now, "0.9"), lw=0))
            ax.add_patch(Rectangle((x + w / 2, y), w / 2, h, color=colours.get(lv_later, "0.9"), lw=0))
            differs = r["seed_level"] is not None and r["seed_level"] != lv_now
            prior = r["label"] == "prior only"
            ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.04", fill=False,
                                        ec="#b91c1c" if differs else "0.35", lw=1.8 if differs else 0.8,
                                        ls=(0, (3, 2)) if prior else "-"))
            ax.text(x + w / 2, y + h * 0.79, r["id"].replace("_", " "), ha="center", va="center", fontsize=7.8, fontweight="bold")
            ax.text(x + w / 4, y + h * 0.48, f"{lv_now} {100 * p_now:.0f}%", ha="center", va="center", fontsize=7.8)
            ax.text(x + 3 * w / 4, y + h * 0.48, f"{lv_later} {100 * p_later:.0f}%", ha="center", va="center", fontsize=7.8)
            seed = f"seed {r['seed_level']}" if r["seed_level"] else "no seed level"
            ax.text(x + w / 2, y + h * 0.17, f"{seed} · {r['label']}", ha="center", va="center", fontsize=6.8,
                    color="0.35" if prior else "0.1", style="italic" if prior else "normal")
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    handles = [Patch(color=c, label=f"{lid} {LEVEL_WORDS[lid]}") for lid, c in colours.items()]
    handles += [Patch(fill=False, ec="#b91c1c", lw=1.8, label="seed's level is not the most probable now"),
                Patch(fill=False, ec="0.35", ls=(0, (3, 2)), label="prior only: no data on this technology")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=4, fontsize=7.2, frameon=False)
    ax.set_title(f"Most probable level: left half {now_label}, right half {later_label}, each with its probability",
                 fontsize=9)
    return fig


def level_table(records: list[dict]) -> list[dict]:
    """The pyramid's numbers as rows (the figure's text alternative)."""
    return [{"id": r["id"], "layer": r["layer"], "seed_level": r["seed_level"] or "—", "label": r["label"],
             "now": f"{r['now'][0]} ({100 * r['now'][1]:.0f}%)", "later": f"{r['later'][0]} ({100 * r['later'][1]:.0f}%)",
             "p_seed_now": None if not r["seed_level"] else float(np.round(r["p_now"][r["seed_level"]], 4))}
            for r in records]
