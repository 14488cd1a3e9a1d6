"""Fewer points for long curves: a refresh redraws every live chart, so a 5000-step curve is cut down before
plotting, keeping what a learner looks for (the start, the latest step, and every spike or dip)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def downsample_indices(ys: Sequence[float] | np.ndarray, max_points: int) -> np.ndarray:
    """Returns sorted indices of at most max_points values of ys: the first, the last, and the lowest and
    highest of each of (max_points - 2) // 2 equal buckets in between (non-finite values count as neither)."""
    y = np.asarray(ys, dtype=float)
    n = len(y)
    if n <= max(max_points, 2):
        return np.arange(n)
    buckets = max(1, (max_points - 2) // 2)
    inner = y[1:-1]
    width = -(-len(inner) // buckets)  # ceil: equal buckets, the last one padded
    pad = width * buckets - len(inner)
    finite = np.isfinite(inner)
    low = np.pad(np.where(finite, inner, np.inf), (0, pad), constant_values=np.inf).reshape(buckets, width)
    high = np.pad(np.where(finite, inner, -np.inf), (0, pad), constant_values=-np.inf).reshape(buckets, width)
    starts = 1 + width * np.arange(buckets)
    keep = np.concatenate([[0, n - 1], starts + low.argmin(axis=1), starts + high.argmax(axis=1)])
    return np.unique(np.minimum(keep, n - 1))  # a padded bucket's index falls back on the last point


def downsample(xs: Sequence[float] | np.ndarray, ys: Sequence[float] | np.ndarray,
               max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Returns (xs, ys) cut to at most max_points points that keep the first, the last and the extremes."""
    idx = downsample_indices(ys, max_points)
    return np.asarray(xs)[idx], np.asarray(ys, dtype=float)[idx]
