"""Interval estimates over seeds, as the RL evaluation literature asks (Agarwal et al. 2021, "Deep RL
at the edge of the statistical precipice"): the interquartile mean (IQM) and the mean, each with a 95%
percentile interval from a stratified bootstrap, and performance profiles.

Written here on numpy rather than taken from rliable: rliable 1.2.0 installs beside numpy 2.4, but
importing it fails (its dependency arch 7.2 calls pandas' deprecate_kwarg with the pandas 2 signature,
and Ray Tune brings pandas 3). The definitions follow rliable's: IQM is the mean of the middle 50% of
the scores (scipy.stats.trim_mean with 25% cut from each end, over all runs of all tasks); the
stratified bootstrap resamples runs with replacement within each task (stratum) independently, and the
interval is the percentile interval of the statistic over the resamples.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

CONFIDENCE = 0.95
REPS = 10_000
SEED = 0


def iqm(scores, axis: Optional[int] = None) -> np.ndarray:
    """Interquartile mean: sort, cut floor(n / 4) values from each end, average the rest (n values along
    `axis`, or all of them with axis None); as scipy.stats.trim_mean(scores, 0.25)."""
    x = np.asarray(scores, dtype=np.float64)
    if axis is None:
        x, axis = x.reshape(-1), 0
    x = np.sort(np.moveaxis(x, axis, -1), axis=-1)
    n = x.shape[-1]
    if n == 0:
        raise ValueError("the IQM of no scores is undefined")
    cut = int(0.25 * n)
    return x[..., cut:n - cut].mean(axis=-1)


def mean(scores, axis: Optional[int] = None) -> np.ndarray:
    x = np.asarray(scores, dtype=np.float64)
    return x.reshape(-1).mean() if axis is None else x.mean(axis=axis)


AGGREGATES = {"iqm": iqm, "mean": mean}


def stratified_bootstrap(strata: Sequence[Sequence[float]], statistic: Callable, reps: int = REPS,
                         seed: int = SEED) -> np.ndarray:
    """`reps` values of `statistic` (a function of a (reps, runs) array along axis 1) over resamples
    that draw, in each stratum (task) on its own, as many runs as it has, with replacement."""
    rng = np.random.default_rng(seed)
    parts = []
    for stratum in strata:
        s = np.asarray(stratum, dtype=np.float64).reshape(-1)
        if s.size == 0:
            raise ValueError("a stratum without scores cannot be resampled")
        parts.append(s[rng.integers(0, s.size, size=(reps, s.size))])
    return statistic(np.concatenate(parts, axis=1), axis=1)


@dataclass
class Estimate:
    """A point estimate and its (lower, upper) 95% interval."""
    value: float
    low: float
    high: float

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high


def interval(strata: Sequence[Sequence[float]], aggregate: str = "iqm", confidence: float = CONFIDENCE,
             reps: int = REPS, seed: int = SEED) -> Estimate:
    """The aggregate (`iqm` or `mean`) of all runs and its stratified bootstrap percentile interval.
    Deterministic for a given seed. One run per stratum throughout gives a zero-width interval."""
    f = AGGREGATES[aggregate]
    point = float(f(np.concatenate([np.asarray(s, dtype=np.float64).reshape(-1) for s in strata])))
    draws = stratified_bootstrap(strata, f, reps=reps, seed=seed)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(draws, [tail, 100.0 - tail])
    # The percentile interval of a statistic that resamples to the point itself can miss it by rounding.
    return Estimate(point, float(min(low, point)), float(max(high, point)))


def performance_profile(scores: Sequence[float], thresholds: Sequence[float]) -> np.ndarray:
    """Fraction of runs whose score exceeds each threshold tau (the run-score distribution)."""
    x = np.asarray(scores, dtype=np.float64).reshape(-1, 1)
    return (x > np.asarray(thresholds, dtype=np.float64).reshape(1, -1)).mean(axis=0)


def profile_band(strata: Sequence[Sequence[float]], thresholds: Sequence[float], confidence: float = CONFIDENCE,
                 reps: int = 2000, seed: int = SEED):
    """The performance profile and its pointwise stratified bootstrap interval: (profile, low, high)."""
    t = np.asarray(thresholds, dtype=np.float64)

    def stat(x, axis=1):
        return (x[:, :, None] > t[None, None, :]).mean(axis=1)

    all_scores = np.concatenate([np.asarray(s, dtype=np.float64).reshape(-1) for s in strata])
    draws = stratified_bootstrap(strata, stat, reps=reps, seed=seed)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(draws, [tail, 100.0 - tail], axis=0)
    return performance_profile(all_scores, t), low, high


def difference(a: Sequence[float], b: Sequence[float], aggregate: str = "mean", confidence: float = CONFIDENCE,
               reps: int = REPS, seed: int = SEED) -> Estimate:
    """agg(a) - agg(b) and its percentile interval, the two groups resampled independently (each group
    its own stratum): an interval that excludes 0 supports "a differs from b"."""
    f = AGGREGATES[aggregate]
    point = float(f(a) - f(b))
    da = stratified_bootstrap([a], f, reps=reps, seed=seed)
    db = stratified_bootstrap([b], f, reps=reps, seed=seed + 1)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(da - db, [tail, 100.0 - tail])
    return Estimate(point, float(min(low, point)), float(max(high, point)))
