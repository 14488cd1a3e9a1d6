"""What an inspection lesson can feed a model besides a text: a window of a series, or a review.

A character LM reads characters, a forecaster reads values, a sentiment classifier reads words. Each input
is prepared into the same PreparedText record (display tokens + the model's input tensor), so the hidden
state and gate lessons draw every task with the same charts; only the patterns a unit may track and the
boundaries where a gate may reset differ by kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import torch

from rnnviz.data import SentimentData, Series, Vocab, words
from rnnviz.errors import DataError
from rnnviz.introspect import PATTERNS, PreparedText

KIND_OF_TASK = {"lm": "text", "forecast": "series", "sentiment": "review"}
UNIT_NAMES = {"text": "characters", "series": "values", "review": "words"}  # what the time axis counts
MAX_WINDOW = 200  # values; a longer window makes an unreadable heatmap
MAX_WORDS = 80
MIN_STEPS = 2  # one step has no "before": no change, no trajectory, no unit that tracks anything
NEGATIONS = frozenset({"not", "no", "never", "nothing", "nor", "neither", "cannot"})  # and every word in n't
CLAUSE_WORDS = frozenset({"but", "and", "although", "though", "however", "yet", "so"})  # the reader drops punctuation


def prepare_window(series: Series, scaled: torch.Tensor, start: int, length: int) -> PreparedText:
    """Returns `length` values of a series from `start`: the forecaster reads the scaled values, the charts show
    the original ones."""
    if length < MIN_STEPS or len(series) < MIN_STEPS:
        raise DataError(f"A window needs at least {MIN_STEPS} values: with one there is no step from one value "
                        "to the next to look at. Choose a longer window.")
    if length > MAX_WINDOW:
        raise DataError(f"Keep the window to {MAX_WINDOW} values or fewer so the charts stay readable.")
    start = max(0, min(int(start), len(series) - length))
    raw = series.values[start:start + length]
    tokens = tuple(f"{v:.3g}" for v in raw)
    ids = scaled[start:start + length].to(torch.float32).reshape(1, -1)  # (1, T)
    return PreparedText(tokens, ids, None, kind="series", values=tuple(float(v) for v in raw))


def prepare_review(sentence: str, vocab: Vocab, max_words: int = MAX_WORDS) -> PreparedText:
    """Returns a review as the classifier reads it: lower-case word tokens and their indices (<unk> is 0)."""
    tokens = words(sentence)
    if len(tokens) < MIN_STEPS:
        found = "no word" if not tokens else "one word"
        raise DataError(f"The review has {found}; the model reads one word per step, so type at least {MIN_STEPS} "
                        "words (letters or digits) to see its state change, e.g. 'great fun'.")
    note = None
    if len(tokens) > max_words:
        tokens, note = tokens[:max_words], f"Cut to the first {max_words} words to keep the charts readable."
    ids = torch.tensor([vocab.encode(tokens)], dtype=torch.long)  # (1, T)
    if not ids.any():
        raise DataError("None of these words appear in the training reviews, so the model would read only <unk>: "
                        "try everyday words such as 'great', 'bad', 'boring' or 'love'.")
    unknown = sum(i == 0 for i in ids[0].tolist())
    if unknown:
        extra = f"{unknown} word(s) never seen in training are read as <unk>."
        note = f"{note} {extra}" if note else extra
    return PreparedText(tuple(tokens), ids, note, kind="review")


def word_lean(data: SentimentData, min_count: int = 3) -> dict[str, float]:
    """Returns each training word's log-odds of appearing in a positive rather than a negative sentence
    (add-one smoothed; words seen fewer than min_count times are left out)."""
    pos, neg = Counter(), Counter()
    pad = data.vocab.token_to_idx.get("<pad>", 1)
    for row, length, label in zip(data.x_train, data.len_train, data.y_train):
        ids = [i for i in row[:int(length)].tolist() if i not in (0, pad)]
        (pos if int(label) == 1 else neg).update(set(ids))
    n_pos, n_neg = max(int((data.y_train == 1).sum()), 1), max(int((data.y_train == 0).sum()), 1)
    lean = {}
    for i in set(pos) | set(neg):
        if pos[i] + neg[i] >= min_count:
            lean[data.vocab.idx_to_token[i]] = float(np.log((pos[i] + 1) / (n_pos + 2)) -
                                                     np.log((neg[i] + 1) / (n_neg + 2)))
    return lean


def _diff(v: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.diff(v)])


def _after(tokens: tuple[str, ...], cue: str) -> np.ndarray:
    seen, out = False, np.zeros(len(tokens))
    for t, tok in enumerate(tokens):
        out[t] = float(seen)
        seen = seen or tok == cue
    return out


Signal = Callable[[PreparedText, dict[str, float]], np.ndarray]
SERIES_PATTERNS: dict[str, tuple[str, Signal]] = {
    "value": ("the value just read, x_t", lambda p, _: np.asarray(p.values)),
    "change": ("x_t - x_(t-1): how much the series just moved", lambda p, _: _diff(np.asarray(p.values))),
    "rising": ("1 where the value went up since the last step", lambda p, _: (_diff(np.asarray(p.values)) > 0) * 1.0),
    "above the window's mean": ("1 where x_t is above the mean of the window",
                                lambda p, _: (np.asarray(p.values) > np.mean(p.values)) * 1.0),
}
REVIEW_PATTERNS: dict[str, tuple[str, Signal]] = {
    "word leans positive": ("log-odds that the word appears in a positive training sentence (0 if rare)",
                            lambda p, lean: np.array([lean.get(w, 0.0) for w in p.tokens])),
    "negation": ("1 on not, no, never, n't",
                 lambda p, _: np.array([w in NEGATIONS or w.endswith("n't") for w in p.tokens], float)),
    "after 'but'": ("1 on every word after a 'but'", lambda p, _: _after(p.tokens, "but")),
    "position in review": ("0, 1, 2, ... words read so far", lambda p, _: np.arange(len(p.tokens), dtype=float)),
}


def pattern_names(kind: str) -> dict[str, str]:
    """Returns the patterns a unit may track for an input kind, each with a one-line description."""
    table = {"text": PATTERNS, "series": SERIES_PATTERNS, "review": REVIEW_PATTERNS}[kind]
    return {name: desc for name, (desc, _) in table.items()}


def input_signal(prepared: PreparedText, name: str, lean: dict[str, float] | None = None) -> np.ndarray:
    """Returns the named pattern as one number per step of a prepared input (lean: word_lean, for reviews)."""
    if prepared.kind == "text":
        from rnnviz.introspect import pattern_signal  # the character patterns live with the text lesson
        return pattern_signal(prepared.text, name)
    table = SERIES_PATTERNS if prepared.kind == "series" else REVIEW_PATTERNS
    if name not in table:
        raise DataError(f"Unknown pattern '{name}'; choose one of: {', '.join(table)}.")
    return table[name][1](prepared, lean or {})


BOUNDARIES = {"text": "spaces", "series": "turning points", "review": "clause words (but, and, though, ...)"}


def boundary_mask(prepared: PreparedText) -> np.ndarray:
    """Returns True at the steps where an input's natural unit ends: a space, a turning point of the series
    (the direction of change flips), a word that starts a clause in a review (its punctuation is not read)."""
    if prepared.kind == "series":
        d = np.sign(_diff(np.asarray(prepared.values)))
        return np.concatenate([[False], (d[1:] * d[:-1]) < 0])
    if prepared.kind == "review":
        return np.array([w in CLAUSE_WORDS for w in prepared.tokens])
    return np.array([t == " " for t in prepared.tokens])
