"""The model-builder lifecycle shared by every model: data contract → priors → build → fit → derived.

A subclass declares `name`, the curated `tables` it reads, and implements
`prepare` (validated frames → arrays), `build_model` (pure; never samples) and the derived
quantities the milestone engine asks for (`paths`, `static`, `observed_passage`).
Fitted models are re-created from a run directory with `attach`, without sampling.
"""
from __future__ import annotations

import abc
import copy
import hashlib
import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from forecast.core.config import RunConfig
from forecast.data.priors import PriorSet, load_priors
from forecast.inference.sampling import PYTENSOR_LOCK, FitResult, compiled_on_disk, precompile, sample


class ForecastModel(abc.ABC):
    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    title: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ()  # models whose posterior this one reads (fitted first)
    optional_frames: ClassVar[tuple[str, ...]] = ()  # frames taken when present (e.g. judgement evidence)
    prior_files: ClassVar[tuple[str, ...]] = ()  # shared prior files read besides priors/<name>.yaml
    backtest_note: ClassVar[str] = ""  # why a model without `predictive` has no rolling-origin backtest
    # False when the `requires` models enter only derived quantities (this model's posterior is sampled without
    # them): an update that changes only their posteriors keeps this one's and recomputes what derives from it
    upstream_in_posterior: ClassVar[bool] = True
    nutpie_options: ClassVar[dict] = {}  # extra nutpie settings this model's geometry needs
    prior_only: bool = False  # True on a `prior_model` copy: its "posterior" is the prior
    # a model whose geometry needs smaller steps raises the run's target_accept, one with slowly mixing (heavy-tailed)
    # parameters keeps more draws (class attributes, or properties where it depends on the data)
    min_target_accept: ClassVar[float] = 0.0
    draws_multiplier: ClassVar[float] = 1
    # rough sampling seconds at the default settings, used to order fits when no earlier run says (`schedule.fit_order`)
    typical_sample_s: ClassVar[float] = 1.0

    def __init__(self, data: dict[str, pd.DataFrame], priors: PriorSet | None = None, cfg: RunConfig | None = None):
        self.cfg = cfg or RunConfig()
        self.priors = priors or load_priors(self.name)
        self.frames = {t: data[t] for t in self.tables}
        self.frames.update({t: data[t] for t in self.optional_frames if t in data})
        self.inputs = self.prepare(self.frames)
        self.fit_result: FitResult | None = None
        self.diagnostics = None
        self._idata = None
        self._idata_path = None
        self.upstream: dict[str, "ForecastModel"] = {}
        self._prebuilt: list[tuple[dict, Any]] = []  # (build_model kwargs, graph) from `prepare_fit`
        self._built: list[tuple[dict, Any]] = []  # graphs built but not compiled yet (see `compiled_on_disk`)

    # ---- data contract
    @abc.abstractmethod
    def prepare(self, frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
        """Validated frames → the arrays the model consumes (and anything derived needs)."""

    # ---- priors + likelihood
    @abc.abstractmethod
    def build_model(self):
        """Return a fresh pm.Model on self.inputs and self.priors. Never samples."""

    @property
    def monitor(self) -> list[str]:
        """Variables the diagnostics gate checks (default: every free RV)."""
        return []

    # ---- lifecycle
    def fit_graphs(self) -> list[dict]:
        """`build_model` keyword arguments of each graph `fit` samples, in order (one graph by default)."""
        return [{}]

    def prepare_fit(self) -> None:
        """Build and compile the graphs `fit` will sample, ahead of it (nutpie only).

        `schedule.fit_all` runs this in a worker thread while the previous model samples."""
        if self.cfg.sampler != "nutpie":
            return
        for kw, g in self._fit_graph_objects():
            precompile(g, self.name)
            self._prebuilt.append((kw, g))
        self._built = []

    def _fit_graph_objects(self) -> list[tuple[dict, Any]]:
        # built once: `compiled_on_disk` builds them to look at them, `prepare_fit` then compiles the same objects
        if not self._built:
            with PYTENSOR_LOCK:
                self._built = [(kw, self.build_model(**kw)) for kw in self.fit_graphs()]
        return self._built

    def compiled_on_disk(self) -> bool:
        """Whether every graph `fit` samples was compiled on this machine before (a warm numba disk cache)."""
        return all(compiled_on_disk(g, self.name) for _, g in self._fit_graph_objects())

    def graph(self, **kw):
        """`build_model(**kw)`, or the graph `prepare_fit` already built (and compiled) for these arguments."""
        for i, (k, g) in enumerate(self._prebuilt):
            if k.keys() == kw.keys() and all(k[a] is kw[a] or (np.isscalar(k[a]) and np.isscalar(kw[a]) and k[a] == kw[a]) for a in k):
                return self._prebuilt.pop(i)[1]
        with PYTENSOR_LOCK:
            return self.build_model(**kw)

    def fit(self, seed_offset: int = 0) -> FitResult:
        model = self.graph()
        monitor = self.monitor or [rv.name for rv in model.free_RVs]
        self.fit_result = sample(model, self.cfg, name=self.name, monitor=monitor, seed_offset=seed_offset,
                                 nutpie_options=self.nutpie_options, target_accept=self.target_accept(), draws=self.draws_count())
        self.idata = self.fit_result.idata
        self.diagnostics = self.fit_result.diagnostics
        return self.fit_result

    def target_accept(self, cfg=None) -> float:
        """The run's target acceptance rate, or this model's minimum if that is higher."""
        return max(float((cfg or self.cfg).target_accept), self.min_target_accept)

    def draws_count(self, cfg=None) -> int:
        """Draws per chain for this model: the run's setting times `draws_multiplier`."""
        return int(round(int((cfg or self.cfg).draws) * self.draws_multiplier))

    def attach(self, idata) -> None:
        """Use a saved posterior (InferenceData, or the path of its netCDF file, read on first use) instead of fitting."""
        if isinstance(idata, (str, Path)):
            self._idata, self._idata_path = None, Path(idata)
        else:
            self.idata = idata

    @property
    def idata(self):
        """The posterior (arviz.InferenceData); a run loaded from disk reads it only when first needed, so
        re-rendering a report from cached sections never opens the netCDF files."""
        if self._idata is None and self._idata_path is not None:
            from forecast.core.io import load_idata
            self._idata = load_idata(self._idata_path)
        return self._idata

    @idata.setter
    def idata(self, value) -> None:
        self._idata, self._idata_path = value, None

    @property
    def posterior_file(self) -> Path | None:
        """The netCDF file the posterior was attached from (None after a fit): a run that reuses the posterior
        copies this file instead of writing the InferenceData again."""
        return self._idata_path

    def config_hash(self) -> str:
        """Hash of priors, inputs and sampler settings: equal hashes → the same posterior."""
        h = hashlib.sha256(self.priors.sha256.encode())
        for t, f in sorted(self.frames.items()):
            h.update(t.encode())
            h.update(pd.util.hash_pandas_object(f, index=False).values.tobytes())
        settings = {k: v for k, v in self.cfg.to_dict().items() if k != "quiet"}  # display only
        h.update(json.dumps(settings, sort_keys=True, default=str).encode())
        return h.hexdigest()

    def draws(self, var: str) -> np.ndarray:
        """Posterior draws of `var` flattened over chains: shape (n_draws, *var_shape)."""
        x = self.idata.posterior[var]
        return x.stack(sample=("chain", "draw")).transpose("sample", ...).to_numpy()

    @property
    def data_end(self) -> pd.Timestamp:
        """Last date covered by the data."""
        raise NotImplementedError

    @property
    def forecast_start(self) -> pd.Timestamp:
        """First date of the milestone grid. Observable series start at the data end (earlier dates are
        data, not forecasts); models of a latent quantity (an adoption share) start earlier, since the
        posterior of the latent path also covers the past."""
        return self.data_end

    @property
    def all_diagnostics(self) -> list:
        """This model's diagnostics and those of every model it reads (a failure upstream taints it)."""
        out = [self.diagnostics] if self.diagnostics is not None else []
        for u in self.upstream.values():
            out += u.all_diagnostics
        return out

    # ---- the prior alone: what a claim's probability would be without any data
    def prior_posterior(self, draws: int, seed: int):
        """Draws from this model's prior, shaped like a posterior (one chain): every free variable and Deterministic
        of its (first) graph. A model whose prior is not PyMC's prior predictive (a prior set by a Potential) overrides it."""
        import pymc as pm

        from forecast.inference.prior_predictive import quiet_logger
        with PYTENSOR_LOCK:
            model = self.build_model(**self.fit_graphs()[0])
            names = [v.name for v in [*model.free_RVs, *model.deterministics]]
            with quiet_logger("pymc"):
                prior = pm.sample_prior_predictive(draws=draws, model=model, var_names=names, random_seed=seed,
                                                   compile_kwargs={"mode": "FAST_COMPILE"})
        return prior.prior

    def prior_model(self, draws: int, seed: int, upstream: dict | None = None) -> "ForecastModel":
        """A copy of this model whose posterior is replaced by draws from its prior (and whose upstream models are
        their prior copies): the same derived quantities then say what the priors alone imply."""
        import arviz as az
        clone = copy.copy(self)
        clone.__dict__ = {k: v for k, v in self.__dict__.items() if not k.endswith("_cache")}
        clone.upstream = dict(upstream or {})
        clone._prebuilt, clone._built = [], []
        clone.fit_result, clone.diagnostics = None, None
        clone.prior_only = True
        clone.idata = az.InferenceData(posterior=self.prior_posterior(draws, seed))
        return clone

    # ---- derived quantities for the milestone engine (override what the model supports)
    def paths(self, kind: str, params: dict, dates: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError(f"{self.name} does not answer {kind}")

    def static(self, kind: str, params: dict) -> np.ndarray:
        raise NotImplementedError(f"{self.name} does not answer {kind}")

    def data_label(self, kind: str, params: dict) -> str:
        """Whether the quantity a claim reads is fitted to data: 'observed', 'partly observed' or 'prior only'."""
        return "observed"

    def observed_passage(self, kind: str, params: dict) -> dict | None:
        """If the data already show the predicate true, return {date, source}; else None."""
        return None

    def observed_state(self, kind: str, params: dict, date: pd.Timestamp) -> dict | None:
        """For a state claim dated inside the data: {outcome: yes|no, date, source}, or {reason} if the data
        cannot say (e.g. a reporting lag); None if the model has nothing to say."""
        return None

    # ---- backtesting (rolling origin): what was observed after `as_of`, and this fit's predictive draws for it
    def backtest_targets(self, full: "ForecastModel", horizon_years: float) -> pd.DataFrame:
        """Observations in `full` (the model built on all data) dated after self.cfg.as_of, within the horizon.

        Columns: series, date, t (decimal year), y, discrete (bool) and any extra fields `predictive` needs."""
        return pd.DataFrame(columns=["series", "date", "t", "y", "discrete"])

    def backtest_history(self) -> pd.DataFrame:
        """Observations the fit saw, per series (columns series, t, y), for the naive baselines."""
        return pd.DataFrame(columns=["series", "t", "y"])

    def predictive(self, targets: pd.DataFrame, rng: np.random.Generator, n_draws: int = 1000) -> np.ndarray:
        """Posterior-predictive draws (n_draws, len(targets)) for the target rows."""
        raise NotImplementedError(f"{self.name} has no backtest predictive")

    # ---- simulation-based calibration
    def sbc_draw(self, model, seed: int) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        """One SBC simulation for the pm.Model `model` (built by `build_model`): the true values of the scalar
        parameters to rank (by free-RV name) and the pm.Data values of a data set simulated from them.

        Default: PyMC's prior predictive (every likelihood term an observed variable on pm.Data). Models with
        a Potential (a weighted or working likelihood, a prior on a transformed quantity) override it."""
        from forecast.inference.prior_predictive import prior_predictive_draw
        return prior_predictive_draw(model, seed)

    # ---- reporting
    def summary(self) -> list[dict]:
        """Headline posterior quantities: rows of {quantity, median, q05, q95, seed_claim, note}."""
        return []


def fixed_data(name: str, value, **kwargs):
    """`pm.Data` with its length fixed in the graph's type.

    With symbolic lengths PyTensor adds shape checks between data vectors whose order in the compiled graph
    varies between processes, so the graph's numba cache key does too and every new process would recompile
    it. Data of another length is then another graph type and is
    compiled anew, so use this only where new data means a new graph anyway (not for `with_data` reuse across
    lengths, as compute_trend and market do in backtests)."""
    import pymc as pm
    return pm.Data(name, value, shape=np.shape(value), **kwargs)


def quantile_row(quantity: str, x: np.ndarray, seed_claim: str = "", note: str = "", fmt: str = "{:.3g}") -> dict:
    """A summary row with posterior median and 90% interval."""
    q05, q50, q95 = np.quantile(np.asarray(x, dtype=float), [0.05, 0.5, 0.95])
    return {"quantity": quantity, "median": fmt.format(q50), "q05": fmt.format(q05), "q95": fmt.format(q95),
            "seed_claim": seed_claim, "note": note, "values": (float(q50), float(q05), float(q95))}
