"""Text statistics for the lessons: pasted text checks, Zipf tables, partition strips, perplexity, word-by-word sentiment."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz import catalog
from rnnviz.data import Placement, SentimentData, Vocab, clean_text, encode_sentences, ngram_counts, partition_layout, words
from rnnviz.data.text import count_cjk
from rnnviz.errors import DataError
from rnnviz.models import SequenceClassifier

MAX_PASTE_CHARS = 200_000  # pasted text is cut here: counting is fast, but a class shares 2 cores
MIN_PASTE_LETTERS = 200  # fewer letters give no meaningful frequency plot or minibatches


@dataclass(frozen=True)
class PastedText:
    """Pasted text made safe to use: the (possibly cut) raw text and a note for the learner, if any."""

    text: str
    note: str | None


def check_pasted(raw: str, max_chars: int = MAX_PASTE_CHARS, min_letters: int = MIN_PASTE_LETTERS) -> PastedText:
    """Returns the pasted text cut to max_chars; raises DataError when it is empty or too short to count."""
    if not raw or not raw.strip():
        raise DataError("text.errors.empty")
    note = None
    if len(raw) > max_chars:
        raw, note = raw[:max_chars], catalog.t("text.source.cut", limit=max_chars, length=len(raw))
    letters = len(clean_text(raw).replace(" ", ""))
    if letters < min_letters:
        raise DataError("text.errors.too_few_letters", letters=letters, least=min_letters)
    return PastedText(raw, note)


def mostly_chinese(raw: str) -> bool:
    """Returns whether most kept characters of a text are CJK (then words are not separated: characters are tokens)."""
    kept = clean_text(raw[:20_000]).replace(" ", "")
    return bool(kept) and count_cjk(kept) > len(kept) / 2


def seeded_layout(n_tokens: int, batch_size: int, num_steps: int, sampling: str, offset: int,
                  seed: int = 0) -> list[Placement]:
    """Returns partition_layout with its own seeded generator, so the same settings always draw the same strip."""
    return partition_layout(n_tokens, batch_size, num_steps, sampling, offset, torch.Generator().manual_seed(seed))


def vocab_table(vocab: Vocab, top: int = 30) -> pd.DataFrame:
    """Returns the first `top` vocabulary entries: index, token, count (index 0 is <unk>, count 0)."""
    n = min(top, len(vocab))
    return pd.DataFrame({"index": range(n), "token": vocab.idx_to_token[:n], "count": vocab.counts[:n]})


def zipf_table(tokens: Sequence[str], ns: Sequence[int] = (1, 2, 3)) -> pd.DataFrame:
    """Returns rank-frequency rows (n, rank from 1, count, gram) for unigrams, bigrams and trigrams."""
    frames = []
    for n in ns:
        counts = ngram_counts(tokens, n)
        frames.append(pd.DataFrame({"n": n, "rank": np.arange(1, len(counts) + 1),
                                    "count": [c for _, c in counts], "gram": [" ".join(g) for g, _ in counts]}))
    return pd.concat(frames, ignore_index=True)


def zipf_exponent(counts: Sequence[int], first: int = 10, last: int | None = None) -> float:
    """Returns alpha in count ~ rank^-alpha, the least-squares slope on log-log axes over ranks first..last."""
    c = np.asarray(counts, dtype=float)
    c = c[first - 1: last]
    if len(c) < 2:
        return float("nan")
    ranks = np.arange(first, first + len(c))
    slope = np.polyfit(np.log(ranks), np.log(c), 1)[0]
    return float(-slope)


def sparsity(table: pd.DataFrame, vocab_size: int) -> pd.DataFrame:
    """Returns per n: distinct n-grams, how many were seen only once, and the share of all V^n possible ones seen."""
    rows = []
    for n, part in table.groupby("n"):
        possible = float(vocab_size) ** int(n)
        rows.append({"n": int(n), "distinct": len(part), "seen once": int((part["count"] == 1).sum()),
                     "share seen once": float((part["count"] == 1).mean()), "possible": possible,
                     "share of possible seen": len(part) / possible})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Strip:
    """Every corpus position's minibatch and row (-1 where no subsequence covers it) for one partitioning."""

    batch: np.ndarray  # (N,) int
    row: np.ndarray  # (N,) int
    step: np.ndarray  # (N,) int, the position inside its subsequence (0..T-1)
    n_batches: int


def partition_strip(n_tokens: int, layout: Sequence[Placement], num_steps: int) -> Strip:
    """Returns where each input position X lands under a partition_layout (labels Y are the next positions)."""
    batch, row, step = (np.full(n_tokens, -1) for _ in range(3))
    for p in layout:
        span = slice(p.start, p.start + num_steps)
        batch[span], row[span], step[span] = p.batch, p.row, np.arange(num_steps)
    return Strip(batch, row, step, (layout[-1].batch + 1) if layout else 0)


def batch_windows(tokens: Sequence[str], layout: Sequence[Placement], num_steps: int, batch: int) -> pd.DataFrame:
    """Returns one minibatch's rows as text: the input X and the label Y (X shifted one token to the right)."""
    rows = []
    for p in (p for p in layout if p.batch == batch):
        x = tokens[p.start: p.start + num_steps]
        y = tokens[p.start + 1: p.start + num_steps + 1]
        rows.append({"row": p.row + 1, "start": p.start, "X (input)": "".join(x) if all(len(t) == 1 for t in x)
                     else " ".join(x), "Y (label = X shifted by one)": "".join(y) if all(len(t) == 1 for t in y)
                     else " ".join(y)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Perplexity:
    """A passage scored by a language model: each predicted token's probability, surprise and the total."""

    tokens: tuple[str, ...]  # every token; probabilities start at the second
    probs: np.ndarray  # (n-1,) P(x_t | x_<t)
    surprise: np.ndarray  # (n-1,) -ln P, in nats
    mean_surprise: float
    perplexity: float
    vocab_size: int


def perplexity_breakdown(tokens: Sequence[str], probs: torch.Tensor, vocab_size: int) -> Perplexity:
    """Returns exp(mean of -ln P(x_t | x_<t))) with its terms, from token_surprise's output."""
    p = probs.detach().double().clamp_min(1e-12).numpy()
    if len(p) == 0:
        raise DataError("text.errors.too_short_passage")
    s = -np.log(p)
    return Perplexity(tuple(tokens), p, s, float(s.mean()), float(math.exp(s.mean())), vocab_size)


# ---- sentiment, read word by word ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WordReading:
    """A sentence read by a classifier: its words, which were unknown, P(positive) after each and the states."""

    words: tuple[str, ...]
    unknown: tuple[bool, ...]
    p_positive: np.ndarray  # (T,)
    h: np.ndarray  # (T, H) top layer


def read_word_by_word(model: SequenceClassifier, vocab: Vocab, sentence: str, max_words: int = 200) -> WordReading:
    """Returns the classifier's P(positive) and top-layer hidden state after each word of a sentence.

    Raises DataError for a review with no words, more than max_words words, or only words the model never saw.
    """
    tokens = words(sentence)
    if not tokens:
        raise DataError("sentiment.errors.no_words")
    if len(tokens) > max_words:
        raise DataError("sentiment.errors.too_many_words", words=len(tokens), limit=max_words)
    ids = torch.tensor([vocab.encode(tokens)])  # (1, T)
    if not ids.any():
        raise DataError("sentiment.errors.all_unknown")
    with torch.no_grad():
        h, _ = model.rnn(model.inputs(ids))  # (1, T, H)
        p = torch.softmax(model.head(h), dim=-1)[0, :, 1]  # (T,)
    return WordReading(tuple(tokens), tuple(i == 0 for i in ids[0].tolist()), p.numpy(), h[0].numpy())


@dataclass(frozen=True)
class HeldOut:
    """A classifier's score on held-out sentences: accuracy, the 2 x 2 confusion counts, the majority baseline."""

    accuracy: float
    confusion: np.ndarray  # (2, 2): rows true (neg, pos), columns predicted (neg, pos)
    majority: float
    n: int


def held_out(model: SequenceClassifier, data: SentimentData, source: str | None = None) -> HeldOut:
    """Returns accuracy and confusion counts on the test split, or on one source's part of it (last real word)."""
    rows = torch.ones(len(data.y_test), dtype=torch.bool)
    if source is not None and source in data.test_sources:
        rows = torch.tensor([s == source for s in data.test_sources])
    with torch.no_grad():
        pred = model.classify(data.x_test[rows], data.len_test[rows]).argmax(-1)
    y = data.y_test[rows]
    confusion = np.zeros((2, 2), dtype=int)
    for t, p in zip(y.tolist(), pred.tolist()):
        confusion[t, p] += 1
    share_pos = float(y.float().mean())
    return HeldOut(float((pred == y).float().mean()), confusion, max(share_pos, 1 - share_pos), len(y))


def encode_review(sentence: str, vocab: Vocab, max_len: int = 200) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns (indices (1, L), length (1,)) of one review, as the training data was encoded."""
    return encode_sentences([sentence], vocab, max(1, min(max_len, len(words(sentence)) or 1)))


def state_gap(a: WordReading, b: WordReading) -> np.ndarray:
    """Returns ||h_t(a) - h_t(b)|| after each word: how much two readings' states still differ.

    Two reviews that differ only in their first words differ in the state only through what it remembers of them.
    """
    n = min(len(a.words), len(b.words))
    return np.linalg.norm(a.h[:n] - b.h[:n], axis=1)  # (T,)


def biggest_swing(r: WordReading) -> int | None:
    """Returns the index of the word that moved P(positive) most from the word before it; None for one word.

    The first word is never a swing: before it the model has read nothing, and its jump from the untrained prior
    says more about the word's embedding than about a change of opinion.
    """
    if len(r.p_positive) < 2:
        return None
    return 1 + int(np.argmax(np.abs(np.diff(r.p_positive))))
