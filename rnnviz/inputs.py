"""What an inspection lesson feeds a model, one registry of input kinds: a text, a poem, a series window, a review.

A character LM reads characters, a forecaster reads values, a sentiment classifier reads words. Each input
is prepared into the same PreparedText record (display tokens + the model's input tensor), so the hidden
state and gate lessons draw every task with the same charts. An InputKind owns what differs: how an input
is prepared, the patterns a unit may track, where a gate may reset (its boundaries), and the catalogue keys
of its words (hidden_states.kinds.<name>.*, gates.kinds.<name>.*).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch

from rnnviz import patterns
from rnnviz.catalog import t
from rnnviz.data import Corpus, SentimentData, Series, Vocab, clean_text, words
from rnnviz.data.text import TANG_CORPORA
from rnnviz.errors import DataError

MAX_CHARS = 400  # longer inputs make unreadable heatmaps and slow replays for a whole class
MAX_WINDOW = 200  # values; a longer window makes an unreadable heatmap
MAX_WORDS = 80
MIN_STEPS = 2  # one step has no "before": no change, no trajectory, no unit that tracks anything
CLAUSE_WORDS = frozenset({"but", "and", "although", "though", "however", "yet", "so"})  # the reader drops punctuation


@dataclass(frozen=True)
class PreparedText:
    """An input ready for a model: what each step shows, the model's input tensor and notes if it was changed."""

    tokens: tuple[str, ...]  # what the charts show at each step: a character, a word or a formatted value
    ids: torch.Tensor  # (1, T): int64 token indices, or float32 scaled values for a forecaster
    notes: tuple[tuple[str, int], ...] = ()  # (catalogue key under hidden_states.notes, number) per change made
    kind: str = "text"  # a name in KINDS
    values: tuple[float, ...] | None = None  # a series window's original values

    @property
    def text(self) -> str:
        """Returns the cleaned text the model read (words joined by spaces for a review)."""
        return " ".join(self.tokens) if self.kind == "review" else "".join(self.tokens)

    @property
    def note(self) -> str | None:
        """Returns what was changed in the input, in the learner's language, or None."""
        if not self.notes:
            return None
        return " ".join(t(f"hidden_states.notes.{key}", count=n) for key, n in self.notes)


def prepare_text(raw: str, vocab: Vocab, max_chars: int = MAX_CHARS, clean: bool = True,
                 kind: str = "text") -> PreparedText:
    """Returns the text cleaned as the corpus was (lower-case letters and spaces; a poem keeps ，。), capped.

    clean=False keeps an already clean corpus passage exactly, including a leading or trailing space.
    """
    text = clean_text(raw) if clean else raw
    if len(text) < MIN_STEPS:
        raise DataError("hidden_states.errors.text_too_short")
    notes = []
    if text != raw:
        notes.append(("cleaned", 0))
    if len(text) > max_chars:
        text = text[:max_chars]
        notes.append(("cut_chars", max_chars))
    tokens = tuple(text)
    ids = torch.tensor([vocab.encode(tokens)], dtype=torch.long)
    unknown = int((ids == 0).sum())  # rarer than the vocabulary's cut-off (a Tang run's min_freq), or never seen
    if unknown:
        notes.append(("unknown_chars", unknown))
    return PreparedText(tokens, ids, tuple(notes), kind=kind)


def corpus_passage(corpus: Corpus, start: int, length: int) -> str:
    """Returns `length` characters of the corpus from `start` (clamped inside the corpus)."""
    start = max(0, min(start, len(corpus.tokens) - length))
    return "".join(corpus.tokens[start:start + length])


def prepare_window(series: Series, scaled: torch.Tensor, start: int, length: int) -> PreparedText:
    """Returns `length` values of a series from `start`: the forecaster reads the scaled values, the charts show
    the original ones."""
    if length < MIN_STEPS or len(series) < MIN_STEPS:
        raise DataError("hidden_states.errors.window_too_short", steps=MIN_STEPS)
    if length > MAX_WINDOW:
        raise DataError("hidden_states.errors.window_too_long", limit=MAX_WINDOW)
    start = max(0, min(int(start), len(series) - length))
    raw = series.values[start:start + length]
    tokens = tuple(f"{v:.3g}" for v in raw)
    ids = scaled[start:start + length].to(torch.float32).reshape(1, -1)  # (1, T)
    return PreparedText(tokens, ids, kind="series", values=tuple(float(v) for v in raw))


def prepare_review(sentence: str, vocab: Vocab, max_words: int = MAX_WORDS) -> PreparedText:
    """Returns a review as the classifier reads it: lower-case word tokens and their indices (<unk> is 0)."""
    tokens = words(sentence)
    if len(tokens) < MIN_STEPS:
        if not tokens:
            raise DataError("hidden_states.errors.review_no_word", steps=MIN_STEPS)
        raise DataError("hidden_states.errors.review_one_word", steps=MIN_STEPS)
    notes = []
    if len(tokens) > max_words:
        tokens = tokens[:max_words]
        notes.append(("cut_words", max_words))
    ids = torch.tensor([vocab.encode(tokens)], dtype=torch.long)  # (1, T)
    if not ids.any():
        raise DataError("hidden_states.errors.review_all_unknown")
    unknown = sum(i == 0 for i in ids[0].tolist())
    if unknown:
        notes.append(("unknown_words", unknown))
    return PreparedText(tuple(tokens), ids, tuple(notes), kind="review")


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


@dataclass(frozen=True)
class InputKind:
    """What one kind of input is: the task that reads it, how it is prepared, its patterns and boundaries."""

    name: str  # "text", "poem", "series" or "review": PreparedText.kind, and the catalogue table's name
    task: str  # the task whose models read it
    prepare: Callable[..., PreparedText]
    patterns: tuple[patterns.Pattern, ...]
    boundaries: Callable[[PreparedText], np.ndarray]  # True where the input's natural unit ends
    per_line: int  # tokens per line when the input is coloured by one unit
    example: str = ""  # what a text box opens with (the text lesson's reader types over it)

    def says(self, what: str, lang: str | None = None, /, **params: object) -> str:
        """Returns this kind's words in the hidden states lesson (unit, look_for, find, path, boundaries...)."""
        return t(f"hidden_states.kinds.{self.name}.{what}", lang, **params)

    def reset_note(self, **params: object) -> str:
        """Returns what the units that reset at this kind's boundaries do (the gates lesson)."""
        return t(f"gates.kinds.{self.name}.reset", **params)

    def pattern(self, name: str) -> patterns.Pattern:
        """Returns the pattern called name (a link's code), or raises a DataError naming the choices."""
        found = next((p for p in self.patterns if p.name == name), None)
        if found is None:
            raise DataError("hidden_states.errors.unknown_pattern", pattern=name,
                            choices=", ".join(p.name for p in self.patterns))
        return found


def _prepare_poem(raw: str, vocab: Vocab, max_chars: int = MAX_CHARS, clean: bool = True) -> PreparedText:
    return prepare_text(raw, vocab, max_chars, clean, kind="poem")


KINDS: dict[str, InputKind] = {kind.name: kind for kind in (
    InputKind("text", "lm", prepare_text, patterns.TEXT, lambda p: np.array([tok == " " for tok in p.tokens]), 50,
              "the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us"),
    InputKind("poem", "lm", _prepare_poem, patterns.POEM,
              lambda p: np.array([tok in patterns.LINE_ENDS for tok in p.tokens]), 24,
              "床前明月光，疑是地上霜。举头望明月，低头思故乡。"),  # Li Bai, read as data: the model's own language
    InputKind("series", "forecast", prepare_window, patterns.SERIES,
              lambda p: patterns.turning_points(p.values), 12),
    InputKind("review", "sentiment", prepare_review, patterns.REVIEW,
              lambda p: np.array([w in CLAUSE_WORDS for w in p.tokens]), 12),
)}
READS: tuple[str, ...] = ("text", "series", "review")  # what a learner picks; a Tang LM's text is read as a poem


def reads_of_task(task: str) -> str:
    """Returns the choice of what the model reads that opens a task's models ('text', 'series', 'review')."""
    return next(name for name in READS if KINDS[name].task == task)


def text_kind(corpus: str) -> InputKind:
    """Returns the kind of a character LM's input: a poem for the Tang corpora, else a text."""
    return KINDS["poem" if corpus in TANG_CORPORA else "text"]


def pattern_names(kind: str) -> list[str]:
    """Returns the codes of the patterns a unit may track for an input kind."""
    return [p.name for p in KINDS[kind].patterns]


def input_signal(prepared: PreparedText, name: str, lean: Mapping[str, float] | None = None) -> np.ndarray:
    """Returns the named pattern as one number per step of a prepared input (lean: word_lean, for reviews)."""
    return KINDS[prepared.kind].pattern(name).signal(prepared, lean or {})


def boundary_mask(prepared: PreparedText) -> np.ndarray:
    """Returns True at the steps where an input's natural unit ends: a space, a poem's ，。, a turning point of the
    series (the direction of change flips), a word that starts a clause in a review (its punctuation is not read)."""
    return np.asarray(KINDS[prepared.kind].boundaries(prepared), bool)
