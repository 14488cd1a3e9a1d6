"""Text: The Time Machine and the Tang poems, tokens, vocabulary, n-gram counts and d2l's minibatch partitioning."""

from __future__ import annotations

import collections
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import torch

from rnnviz.config import CORPORA, OWN_CORPUS, TextConfig
from rnnviz.data.chinese import CJK_PUNCTUATION, CJK_RANGES, tang_text
from rnnviz.data.paths import DATA
from rnnviz.errors import DataError

UNK = "<unk>"
GUTENBERG_END = "*** END OF THE PROJECT GUTENBERG"
CORPUS_FILES = {"timemachine": "timemachine_d2l.txt", "timemachine_gutenberg": "timemachine.txt"}
TANG_CORPORA = {"tang": "traditional", "tang_simplified": "simplified"}  # Three Hundred Tang Poems
# A learner's own text reads at most this many tokens (with <unk>); rarer characters read as <unk>. A 64-unit
# LSTM's first-layer weights (4 x 64 x V floats) then stay within the 2 MB a run file allows per weight.
OWN_MAX_VOCAB = 2000
_DROPPED = re.compile(f"[^A-Za-z{CJK_RANGES}{CJK_PUNCTUATION}]+")
# A space between two Chinese characters or marks, or before a full-width mark, is not part of the text.
_CJK_SPACE = re.compile(f"(?<=[{CJK_RANGES}{CJK_PUNCTUATION}]) (?=[{CJK_RANGES}{CJK_PUNCTUATION}])| (?=[{CJK_PUNCTUATION}])")
# ASCII punctuation typed after a Chinese character stands for its full-width form ("明月, 低頭" -> "明月，低頭").
_HALF_AFTER_CJK = re.compile(f"(?<=[{CJK_RANGES}])\\s*([,.!?;:])")
FULL_WIDTH = dict(zip(",.!?;:", "，。！？；：", strict=True))
_CJK_CHAR = re.compile(f"[{CJK_RANGES}]")


def strip_gutenberg(text: str) -> str:
    """Returns the text without a Project Gutenberg licence trailer, if it has one."""
    cut = text.find(GUTENBERG_END)
    return text if cut < 0 else text[:cut]


def load_corpus_text(name: str = "timemachine") -> str:
    """Returns the raw text of a bundled corpus (a novel with any Gutenberg trailer cut, or the Tang poems)."""
    if name in TANG_CORPORA:
        return tang_text(TANG_CORPORA[name])
    if name not in CORPUS_FILES:
        raise DataError("errors.data.unknown_corpus", name=name, names=", ".join(CORPORA))
    return strip_gutenberg((DATA / CORPUS_FILES[name]).read_text(encoding="utf-8"))


def clean_text(text: str) -> str:
    """Returns d2l's preprocessing, extended to Chinese: letters (lower case), CJK characters and ，。！？；：、 are kept.

    On English text this is exactly d2l's rule (every run of non-letters becomes one space). Chinese is written
    without spaces, so a run of anything else next to a CJK character or mark is dropped rather than spaced,
    and the full-width comma and full stop stay: they carry a poem's rhythm, which a character model can learn.
    """
    text = _HALF_AFTER_CJK.sub(lambda m: FULL_WIDTH[m[1]], text)
    kept = _DROPPED.sub(" ", text).strip()
    return _CJK_SPACE.sub("", kept).lower()


def count_cjk(text: str) -> int:
    """Returns how many CJK characters (not punctuation) the text holds."""
    return len(_CJK_CHAR.findall(text))


def tokenize(text: str, token: str = "char") -> list[str]:
    """Returns character or word tokens of already cleaned text."""
    if token == "char":
        return list(text)
    if token == "word":
        return text.split()
    raise DataError("errors.data.unknown_token", token=token)


@dataclass(frozen=True)
class Vocab:
    """Token <-> index, most frequent first; index 0 is <unk>."""

    idx_to_token: tuple[str, ...]
    counts: tuple[int, ...]  # same order as idx_to_token (0 for <unk>)
    token_to_idx: dict[str, int] = field(compare=False, hash=False, repr=False)

    @staticmethod
    def build(tokens: Sequence[str], min_freq: int = 1, reserved: Sequence[str] = (), max_size: int | None = None) -> Vocab:
        """Returns a vocabulary of tokens seen at least min_freq times, sorted by frequency (the max_size most frequent)."""
        counter = collections.Counter(tokens)
        kept = sorted(((t, c) for t, c in counter.items() if c >= min_freq), key=lambda tc: (-tc[1], tc[0]))
        specials = [UNK, *reserved]
        if max_size is not None:
            kept = [tc for tc in kept if tc[0] not in specials][: max(max_size - len(specials), 0)]
        idx_to_token = tuple(specials + [t for t, _ in kept if t not in specials])
        count_of = dict(kept)
        return Vocab(idx_to_token, tuple(count_of.get(t, 0) for t in idx_to_token),
                     {t: i for i, t in enumerate(idx_to_token)})

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Returns indices; unknown tokens map to 0."""
        return [self.token_to_idx.get(t, 0) for t in tokens]

    def decode(self, indices: Sequence[int]) -> list[str]:
        """Returns the tokens of indices."""
        return [self.idx_to_token[int(i)] for i in indices]


@dataclass(frozen=True)
class Corpus:
    """A tokenized text: its tokens, vocabulary and the tokens as indices."""

    tokens: tuple[str, ...]
    vocab: Vocab
    indices: torch.Tensor  # (N,) int64
    token: str


def build_corpus(text: str, token: str = "char", max_tokens: int | None = None, min_freq: int = 1,
                 max_vocab: int | None = None) -> Corpus:
    """Returns the cleaned, tokenized corpus; raises DataError if nothing usable is left."""
    tokens = tokenize(clean_text(text), token)
    if max_tokens is not None:
        tokens = tokens[:max_tokens]
    if len(tokens) < 3:
        raise DataError("errors.data.too_little_text")
    vocab = Vocab.build(tokens, min_freq, max_size=max_vocab)
    # Every token shares its vocabulary entry's string: a Chinese character is a new 76-byte object each time
    # list() meets it, a pointer here (8 bytes a token for a 200 kB text kept in a server cache).
    shared = {t: t for t in vocab.idx_to_token}
    return Corpus(tuple(shared.get(t, t) for t in tokens), vocab, torch.tensor(vocab.encode(tokens), dtype=torch.long),
                  token)


def load_corpus(cfg: TextConfig) -> Corpus:
    """Returns the corpus a TextConfig names: a bundled one, or the learner's own text it carries.

    Its vocabulary keeps the tokens seen at least cfg.min_freq times (the rest read as <unk>): every run, lesson,
    run file and store entry builds a run's corpus here, so they all see the same vocabulary.
    """
    if cfg.corpus == OWN_CORPUS:
        if not cfg.own_text:
            raise DataError("own_text.errors.missing")
        return build_corpus(cfg.own_text, cfg.token, cfg.max_tokens, cfg.min_freq, max_vocab=OWN_MAX_VOCAB)
    return build_corpus(load_corpus_text(cfg.corpus), cfg.token, cfg.max_tokens, cfg.min_freq)


def ngram_counts(tokens: Sequence[str], n: int) -> list[tuple[tuple[str, ...], int]]:
    """Returns n-grams with their counts, most frequent first (ties by the n-gram itself)."""
    grams = zip(*(tokens[i:] for i in range(n)))
    return sorted(collections.Counter(grams).items(), key=lambda gc: (-gc[1], gc[0]))


@dataclass(frozen=True)
class Placement:
    """Where one subsequence of the corpus lands: which minibatch, which row, its first position."""

    batch: int
    row: int
    start: int


def partition_layout(
    n_tokens: int, batch_size: int, num_steps: int, sampling: str, offset: int, generator: torch.Generator | None = None
) -> list[Placement]:
    """Returns d2l's partition of a corpus of n_tokens into (batch, row, start) subsequences."""
    if batch_size < 1 or num_steps < 1:
        raise DataError("errors.data.bad_batch")
    if sampling == "random":
        starts = list(range(offset, offset + ((n_tokens - offset - 1) // num_steps) * num_steps, num_steps))
        order = torch.randperm(len(starts), generator=generator).tolist()
        starts = [starts[i] for i in order]
        n_batches = len(starts) // batch_size
        return [Placement(b, r, starts[b * batch_size + r]) for b in range(n_batches) for r in range(batch_size)]
    if sampling == "sequential":
        row_len = (n_tokens - offset - 1) // batch_size  # each row is one contiguous strip of the corpus
        n_batches = row_len // num_steps
        return [Placement(b, r, offset + r * row_len + b * num_steps) for b in range(n_batches) for r in range(batch_size)]
    raise DataError("errors.data.unknown_sampling", sampling=sampling)


def lm_batches(
    corpus: torch.Tensor, batch_size: int, num_steps: int, sampling: str, generator: torch.Generator
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yields one epoch of (X, Y) minibatches, Y being X shifted by one token; both (B, T)."""
    offset = int(torch.randint(0, num_steps, (1,), generator=generator))
    layout = partition_layout(len(corpus), batch_size, num_steps, sampling, offset, generator)
    if not layout:
        raise DataError("errors.data.text_too_short", batch_size=batch_size, num_steps=num_steps)
    span = torch.arange(num_steps)
    for b in range(layout[-1].batch + 1):
        starts = torch.tensor([p.start for p in layout[b * batch_size : (b + 1) * batch_size]])
        idx = starts[:, None] + span[None, :]  # (B, T)
        yield corpus[idx], corpus[idx + 1]
