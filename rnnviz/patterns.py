"""Patterns a hidden unit may track, one table per input kind: each gives one number per step of an input.

A pattern's name is its code (a link's ?pattern= value, the same in every language); what a learner reads
about it is in the catalogue under hidden_states.patterns.<key>. Character patterns must exist in the cleaned
text (letters and spaces only); a Tang poem keeps its full-width marks, so its patterns follow the lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # PreparedText is only named in annotations; inputs imports this module
    from rnnviz.inputs import PreparedText

VOWELS = frozenset("aeiou")
NEGATIONS = frozenset({"not", "no", "never", "nothing", "nor", "neither", "cannot"})  # and every word in n't
LINE_ENDS = frozenset("，。！？；：、")  # what closes a line or half-line of a Tang poem
PAUSES = frozenset("，。")
Signal = Callable[["PreparedText", Mapping[str, float]], np.ndarray]


@dataclass(frozen=True)
class Pattern:
    """A pattern: its code (shown in English, kept in links), its catalogue key and its signal."""

    name: str
    key: str  # hidden_states.patterns.<key>.label / .desc
    signal: Signal


def _word_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], None
    for t, ch in enumerate(text + " "):
        if ch != " " and start is None:
            start = t
        elif ch == " " and start is not None:
            spans.append((start, t))
            start = None
    return spans


def per_word(text: str, value: Callable[[int, int, int], float]) -> np.ndarray:
    """Returns value(t, word start, word end) at every letter of a word, 0 on spaces."""
    out = np.zeros(len(text))
    for a, b in _word_spans(text):
        for t in range(a, b):
            out[t] = value(t, a, b)
    return out


def line_position(tokens: tuple[str, ...]) -> np.ndarray:
    """Returns 0, 1, 2, ... counting characters since the last line end (，。...) of a poem; 0 on the marks."""
    out, at = np.zeros(len(tokens)), 0
    for t, tok in enumerate(tokens):
        if tok in LINE_ENDS:
            at = 0
            continue
        out[t], at = at, at + 1
    return out


def before_pause(tokens: tuple[str, ...]) -> np.ndarray:
    """Returns 1 on the character just before a ， or 。 (the model must see the line end coming)."""
    return np.array([float(t + 1 < len(tokens) and tokens[t + 1] in PAUSES and tok not in LINE_ENDS)
                     for t, tok in enumerate(tokens)])


def _chars(test: Callable[[str], bool]) -> Signal:
    return lambda p, _: np.array([test(ch) for ch in p.text], float)


def _words(value: Callable[[str, int, int, int], float]) -> Signal:
    return lambda p, _: per_word(p.text, lambda t, a, b: value(p.text, t, a, b))


def _diff(v: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.diff(v)])


def _after(tokens: tuple[str, ...], cue: str) -> np.ndarray:
    seen, out = False, np.zeros(len(tokens))
    for t, tok in enumerate(tokens):
        out[t] = float(seen)
        seen = seen or tok == cue
    return out


def _values(p: PreparedText) -> np.ndarray:
    return np.asarray(p.values, float)


TEXT = (
    Pattern("vowel", "vowel", _chars(lambda ch: ch in VOWELS)),
    Pattern("space", "space", _chars(lambda ch: ch == " ")),
    Pattern("after a space", "after_space", _words(lambda s, t, a, b: float(t == a))),
    Pattern("end of word", "end_of_word", _words(lambda s, t, a, b: float(t == b - 1))),
    Pattern("position in word", "position_in_word", _words(lambda s, t, a, b: float(t - a))),
    Pattern("letters left in word", "letters_left", _words(lambda s, t, a, b: float(b - 1 - t))),
    Pattern("long word (7+ letters)", "long_word", _words(lambda s, t, a, b: float(b - a >= 7))),
    Pattern("letter e", "letter_e", _chars(lambda ch: ch == "e")),
    Pattern("inside 'the'", "inside_the", _words(lambda s, t, a, b: float(s[a:b] == "the"))),
)
POEM = (
    Pattern("position in line", "position_in_line", lambda p, _: line_position(p.tokens)),
    Pattern("before ，/。", "before_pause", lambda p, _: before_pause(p.tokens)),
    Pattern("punctuation mark", "punctuation", lambda p, _: np.array([tok in LINE_ENDS for tok in p.tokens], float)),
)
SERIES = (
    Pattern("value", "value", lambda p, _: _values(p)),
    Pattern("change", "change", lambda p, _: _diff(_values(p))),
    Pattern("rising", "rising", lambda p, _: (_diff(_values(p)) > 0) * 1.0),
    Pattern("above the window's mean", "above_mean", lambda p, _: (_values(p) > np.mean(p.values)) * 1.0),
)
REVIEW = (
    Pattern("word leans positive", "leans_positive", lambda p, lean: np.array([lean.get(w, 0.0) for w in p.tokens])),
    Pattern("negation", "negation",
            lambda p, _: np.array([w in NEGATIONS or w.endswith("n't") for w in p.tokens], float)),
    Pattern("after 'but'", "after_but", lambda p, _: _after(p.tokens, "but")),
    Pattern("position in review", "position_in_review", lambda p, _: np.arange(len(p.tokens), dtype=float)),
)


def turning_points(values: tuple[float, ...]) -> np.ndarray:
    """Returns True where a series' direction of change flips (rising to falling or back)."""
    d = np.sign(_diff(np.asarray(values, float)))
    return np.concatenate([[False], (d[1:] * d[:-1]) < 0])
