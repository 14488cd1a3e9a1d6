"""What a fed-back forecast did on this series (settled, overshot, oscillated, followed), and the series' noise.

The forecasting lesson's titles and explanations are chosen from these measurements, so the words match the
picture on every series, not only on d2l's sine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from rnnviz.catalog import t

Kind = Literal["constant", "overshoots", "oscillates", "follows", "drifts"]

FLAT = 0.05  # the rollout's last third moves less than this share of the series' spread: it has settled
OVERSHOOT = 0.25  # it leaves the range of everything seen and true by more than this share of that range
FOLLOW = 0.35  # its RMSE against the truth is below this share of the truth's spread: it follows the series
WAVY = 0.15  # its last half swings by more than this share of the spread and crosses its own mean often

# Each kind's short phrase for a chart title ("…, the forecast {phrase}") and its explanation are catalogue entries:
# forecasting.rollout.phrase.<kind> and forecasting.rollout.explain.<kind>.
KINDS: tuple[Kind, ...] = ("constant", "overshoots", "oscillates", "follows", "drifts")


@dataclass(frozen=True)
class Behaviour:
    """What a rollout did: its kind and the numbers the explanation quotes (in the series' own units)."""

    kind: Kind
    settle: float  # mean of the rollout's last third
    peak: float  # its value farthest from the data's middle
    lo: float  # range of everything seen and true around the rollout
    hi: float
    rmse: float | None  # against the truth where the truth is known
    k: int  # rollout length

    @property
    def phrase(self) -> str:
        """Returns the short phrase for a chart title."""
        return t(f"forecasting.rollout.phrase.{self.kind}")

    def explanation(self, fmt=lambda v: f"{v:.3g}") -> str:
        """Returns one or two sentences describing what the rollout did, with its numbers."""
        return t(f"forecasting.rollout.explain.{self.kind}", settle=fmt(self.settle), peak=fmt(self.peak),
                 lo=fmt(self.lo), hi=fmt(self.hi), rmse=fmt(self.rmse) if self.rmse is not None else "—",
                 steps=self.k)


def classify_rollout(rollout: np.ndarray, history: np.ndarray, truth: np.ndarray | None = None) -> Behaviour:
    """Returns what a fed-back forecast did, judged against the values before it (history) and the truth after it.

    truth may be shorter than the rollout (or None) when the forecast runs past the end of the series.
    """
    r = np.asarray(rollout, dtype=float)
    seen = np.asarray(history, dtype=float)
    true = np.asarray(truth if truth is not None else [], dtype=float)[: len(r)]
    known = np.concatenate([seen, true])
    lo, hi = float(np.nanmin(known)), float(np.nanmax(known))
    spread = max(float(np.nanstd(known)), 1e-12)
    width = max(hi - lo, 1e-12)
    tail, half = r[-max(len(r) // 3, 1):], r[len(r) // 2:]
    peak = float(r[np.argmax(np.abs(r - (lo + hi) / 2))])
    rmse = float(np.sqrt(np.mean((r[: len(true)] - true) ** 2))) if len(true) else None
    truth_spread = max(float(np.std(true)), 0.25 * spread) if len(true) else spread
    if r.max() > hi + OVERSHOOT * width or r.min() < lo - OVERSHOOT * width:
        kind: Kind = "overshoots"
    elif rmse is not None and len(true) >= len(r) // 2 and rmse < FOLLOW * truth_spread:
        kind = "follows"
    elif np.std(tail) < FLAT * spread and np.abs(np.diff(tail)).max(initial=0.0) < FLAT * spread:
        kind = "constant"
    elif np.ptp(half) > WAVY * spread and _mean_crossings(half) >= 2:
        kind = "oscillates"
    else:
        kind = "drifts"
    return Behaviour(kind, float(tail.mean()), peak, lo, hi, rmse, len(r))


def _mean_crossings(x: np.ndarray) -> int:
    signs = np.sign(x - x.mean())
    signs = signs[signs != 0]
    return int(np.sum(signs[1:] != signs[:-1]))


@dataclass(frozen=True)
class NoiseLevel:
    """A series' step-to-step noise, measured, against how much the series moves over tau steps."""

    sigma: float  # noise std estimated from second differences (white noise on a smooth curve)
    change: float  # RMS change of the smooth part over tau steps: how far the series moves in the MLP's window
    tau: int

    @property
    def ratio(self) -> float:
        """Returns noise / change: above 1, tau noisy values cannot tell which way the series is going."""
        return self.sigma / max(self.change, 1e-12)


def noise_level(values: np.ndarray, tau: int) -> NoiseLevel:
    """Returns the series' noise and the typical change of its smooth part over tau steps.

    For x_t = s_t + e_t with smooth s and white noise e of std sigma, x_{t+1} - 2 x_t + x_{t-1} has variance
    close to 6 sigma^2, so sigma ~ std(second difference) / sqrt(6); what is not smooth counts as noise here.
    The smooth part is a centred moving average, as wide as it can be while what it removes stays noise-sized.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    sigma = float(np.std(np.diff(x, n=2)) / np.sqrt(6.0)) if len(x) > 3 else 0.0
    return NoiseLevel(sigma, _smooth_change(x, tau, sigma), tau)


def _smooth_change(x: np.ndarray, tau: int, sigma: float, widest: int = 25) -> float:
    """Returns the RMS change over tau steps of x's moving average, less what its leftover noise adds."""
    smooth, width = x, 1
    for w in range(3, min(widest, len(x) - tau - 1) + 1, 2):
        ma = np.convolve(x, np.ones(w) / w, mode="valid")
        if np.var(x[w // 2: len(x) - w // 2] - ma) > 1.2 * sigma**2:
            break  # wider would smooth away the series itself, not only its noise
        smooth, width = ma, w
    if len(smooth) <= tau:
        return 0.0
    moved = float(np.mean((smooth[tau:] - smooth[:-tau]) ** 2))
    leftover = 2 * min(tau, width) * sigma**2 / width**2  # noise variance left in a difference of two averages
    return float(np.sqrt(max(moved - leftover, 0.0)))


def why_text(name: str, noise: NoiseLevel, behaviour: Behaviour, label: str, fmt=lambda v: f"{v:.3g}") -> str:
    """Returns the lesson's 'why' paragraph for this series and this model's rollout, from the measured numbers."""
    words = "noisy" if noise.ratio >= 1 else "clear"
    window = t(f"forecasting.why.{words}", name=name, sigma=fmt(noise.sigma), ratio=noise.ratio, tau=noise.tau,
               change=fmt(noise.change))
    return t("forecasting.why.lead", label=label, window=window, explanation=behaviour.explanation(fmt))
