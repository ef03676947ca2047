"""Time and curve helpers shared by data preparation, models and the milestone engine (numpy/pandas only)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def decimal_year(dates) -> np.ndarray:
    """Calendar year plus the elapsed fraction of that year (leap years counted as 366 days)."""
    d = pd.DatetimeIndex(pd.to_datetime(dates))
    start = pd.to_datetime(d.year.astype(str) + "-01-01")
    length = np.where(d.is_leap_year, 366.0, 365.0)
    return d.year.to_numpy(float) + (d - start).days.to_numpy(float) / length


def years_since(dates, ref) -> np.ndarray:
    """Time in years (365.25 days) from `ref` to each date."""
    d = pd.DatetimeIndex(pd.to_datetime(dates))
    return ((d - pd.Timestamp(ref)) / pd.Timedelta(days=1)).to_numpy(float) / 365.25


def logistic(x):
    from scipy.special import expit  # no overflow warning for large |x|
    return expit(np.asarray(x, dtype=float))


def logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


def month_grid(start, end) -> pd.DatetimeIndex:
    """Month-end dates from the month of `start` through `end` (the forecast grid)."""
    return pd.date_range(pd.Timestamp(start) + pd.offsets.MonthEnd(0), pd.Timestamp(end), freq="ME")


def first_passage_index(hit: np.ndarray) -> np.ndarray:
    """Index of the first True along the last axis; -1 where never True. hit: (draws, T) bool."""
    hit = np.asarray(hit, dtype=bool)
    idx = hit.argmax(axis=-1)
    return np.where(hit.any(axis=-1), idx, -1)
