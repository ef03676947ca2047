"""Number of foundation-model providers over time: formal definition, provider process, reporting-delay nowcast.

Definition (settings in priors/market.yaml; `definition`). A *foundation-model provider* at the end of quarter q is
an organization with at least one model that
  * has a domain in `domains` (Language / Multimodal: foundation models, not game or vision systems),
  * was published in the trailing `window_months` (12) up to the quarter end, and
  * has training compute within `oom` orders of magnitude of the running frontier — the largest compute of any
    such model published up to the model's release date — or, with `rule: absolute`, at least `absolute_flop`.
Organizations are Epoch's comma-separated `organization` field split into names, whitespace collapsed and mapped
through `org_aliases` (e.g. Google Brain / DeepMind / Google DeepMind → Google; Facebook AI Research / Meta AI →
Meta). A model with several organizations credits each of them.

Outlier check (`summary.outlier_table`). The running maximum is set by a handful of runs: in 2025 three models of
3.5–5e26 FLOP by two organizations (Grok 3, GPT-4.5, Grok 4) put the bar at 5e25, and the count fell from 12 at
2025-03-31 to 7 at 2025-09-30 and 4 at 2025-12-31. Without the single largest run (Grok 4) it is the same up to
one (GPT-4.5 and Grok 3 hold the bar nearly as high): no single model dominates. Without all three it stays at
12-15 through 2025, so the 2025 fall is those three runs of two organizations. Beside the count the report gives
the count within 1 OOM of the third-largest organization's best model (`robust_reference`: three organizations
must move the bar): 20, 18 and 17 at 2025-06-30, 2025-09-30 and 2025-12-31, against 10, 7 and 4.

Observations (`process`). Counts over overlapping 12-month windows share their releases, so they are not fitted
directly. The data are per quarter: entries (organizations not active that release a qualifying model) and, for
the active organizations by quarters since their last release, how many release again. Given the states at the
start of a quarter these are independent counts (negative binomial entries around a log-linear trend, binomial
re-releases), and the provider count — the reported quantity — is the number of active organizations, derived
from the same process: forecasts are its joint paths from the (nowcast) state of the last quarter.

Reporting delay (`vintages`). Epoch publishes rows and compute estimates late. Three snapshots of its tables
(2025-03-14, 2025-11-01, 2026-03-30) show which near-frontier models were already there with compute; the fitted
delay says what share of a quarter's releases a snapshot holds, thins the entries and re-releases of recent
quarters in the likelihood, and nowcasts their counts (an incomplete quarter is neither dropped nor read as
consolidation). The newest snapshot is fitted; backtests fit the snapshot a forecaster had at each origin.
"""
from forecast.models.market.definition import eligible_models, normalize_org, provider_counts, release_panel, states, transitions
from forecast.models.market.model import Market

__all__ = ["Market", "eligible_models", "normalize_org", "provider_counts", "release_panel", "states", "transitions"]
