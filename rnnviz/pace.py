"""Teaching speed: how many training steps a learner sees per second, so a class can watch a run unfold.

A run at full speed finishes a 1500-step language model in seconds, before anyone has read a
sample. At lesson speed the whole step budget is spread over about LESSON_SECONDS, whatever the
budget; slow spreads it over SLOW_SECONDS. The pace is a cap: a busy server may go slower.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SPEEDS: tuple[str, ...] = ("slow", "lesson", "full")
LESSON_SECONDS = 45.0  # a preset run at lesson speed: loss, gradient norms and samples change for ~45 s
SLOW_SECONDS = 150.0  # slow: every sample and gradient spike can be pointed at
MIN_RATE = 1.0  # steps/s: even a tiny budget moves
MAX_CATCH_UP_S = 2.0  # a late refresh (a busy server) catches up at most this much time: no burst after a stall


def steps_per_second(speed: str, total_steps: int) -> float | None:
    """Returns the pace in steps/s for a run of total_steps at this speed, or None for full speed."""
    if speed == "full":
        return None
    seconds = {"slow": SLOW_SECONDS, "lesson": LESSON_SECONDS}[speed]
    return max(MIN_RATE, total_steps / seconds)


def run_seconds(speed: str, total_steps: int) -> float | None:
    """Returns how long a run of total_steps lasts at this speed (None at full speed: as fast as it trains)."""
    rate = steps_per_second(speed, total_steps)
    return None if rate is None else total_steps / rate


@dataclass
class Pacer:
    """Hands out whole steps at `rate` steps/s; the fraction left over is carried to the next refresh."""

    rate: float | None  # None: no cap
    credit: float = 0.0

    def allow(self, elapsed: float) -> int | None:
        """Returns how many steps this refresh may take after `elapsed` seconds (None: as many as fit in time)."""
        if self.rate is None:
            return None
        self.credit += self.rate * min(max(elapsed, 0.0), MAX_CATCH_UP_S)
        steps = math.floor(self.credit + 1e-9)  # 0.1 + 0.2 + ... may land a hair under a whole step
        self.credit -= steps
        return steps

    def refund(self, unused: int, cap: int = 0) -> None:
        """Gives back steps a refresh was allowed but did not take, up to one second's worth (or `cap` steps).

        A refresh runs out of time on a busy server; a replay moves only in whole checkpoints of `cap` steps.
        """
        if self.rate is not None and unused > 0:
            self.credit = min(self.credit + unused, max(self.rate * MAX_CATCH_UP_S, cap))
