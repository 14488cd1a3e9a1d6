"""Labelled review sentences (UCI): parsing, a word vocabulary, padding and a seeded split."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import torch

from rnnviz.config import SentimentConfig
from rnnviz.data.paths import DATA
from rnnviz.data.text import Vocab
from rnnviz.errors import DataError

PAD = "<pad>"
FILES = {"imdb": "imdb_labelled.txt", "amazon": "amazon_cells_labelled.txt", "yelp": "yelp_labelled.txt"}
ALL = "all"  # every source's training part together; each source keeps its own held-out part
WORD = re.compile(r"[a-z0-9']+")


def parse_labelled(text: str) -> pd.DataFrame:
    """Returns (sentence, label) rows of 'sentence<TAB>label' lines.

    Splits on '\\n' only: the IMDb file holds U+0085, which str.splitlines() treats as a
    line break, and unbalanced quotes, which a default CSV reader joins across lines.
    """
    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        sentence, sep, label = line.rpartition("\t")
        if not sep or label.strip() not in ("0", "1"):
            raise DataError("errors.data.bad_label_line", number=number, line=repr(line[:60]))
        rows.append((sentence.strip(), int(label)))
    if not rows:
        raise DataError("errors.data.no_sentences")
    return pd.DataFrame(rows, columns=["sentence", "label"])


def load_sentences(source: str) -> pd.DataFrame:
    """Returns the 1000 labelled sentences of one bundled source."""
    if source not in FILES:
        raise DataError("errors.data.unknown_source", source=source, sources=", ".join(FILES), all=ALL)
    return parse_labelled((DATA / "sentiment" / FILES[source]).read_text(encoding="utf-8"))


def words(sentence: str) -> list[str]:
    """Returns the lower-case word tokens of a sentence."""
    return WORD.findall(sentence.lower())


@dataclass(frozen=True)
class SentimentData:
    """Padded index tensors, lengths and labels for a train/test split, with the train vocabulary."""

    vocab: Vocab
    x_train: torch.Tensor  # (N, L) int64, padded with index 1
    len_train: torch.Tensor  # (N,)
    y_train: torch.Tensor  # (N,)
    x_test: torch.Tensor
    len_test: torch.Tensor
    y_test: torch.Tensor
    test_sentences: tuple[str, ...]
    test_sources: tuple[str, ...] = ()  # the source of each held-out sentence


def encode_sentences(sentences: list[str], vocab: Vocab, max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns (indices (N, max_len) padded with <pad>, lengths (N,)); empty sentences get one <unk>."""
    pad = vocab.token_to_idx[PAD]
    x = torch.full((len(sentences), max_len), pad, dtype=torch.long)
    lengths = torch.ones(len(sentences), dtype=torch.long)
    for row, sentence in enumerate(sentences):
        ids = vocab.encode(words(sentence))[:max_len] or [0]
        x[row, : len(ids)] = torch.tensor(ids)
        lengths[row] = len(ids)
    return x, lengths


def split_source(source: str, cfg: SentimentConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (train, test) rows of one source, split by cfg's seed (the same split alone or with the others)."""
    frame = load_sentences(source).assign(source=source)
    g = torch.Generator().manual_seed(cfg.data_seed)
    order = torch.randperm(len(frame), generator=g).tolist()
    n_test = int(round(len(frame) * cfg.test_frac))
    return frame.iloc[order[n_test:]], frame.iloc[order[:n_test]]


def build_sentiment(cfg: SentimentConfig) -> SentimentData:
    """Returns a seeded split of one source (or of all, ALL), the vocabulary built from the training part only."""
    sources = tuple(FILES) if cfg.source == ALL else (cfg.source,)
    parts = [split_source(source, cfg) for source in sources]
    train = pd.concat([p[0] for p in parts], ignore_index=True)
    test = pd.concat([p[1] for p in parts], ignore_index=True)
    tokens = [w for s in train["sentence"] for w in words(s)]
    vocab = Vocab.build(tokens, cfg.min_freq, reserved=(PAD,))
    x_tr, l_tr = encode_sentences(list(train["sentence"]), vocab, cfg.max_len)
    x_te, l_te = encode_sentences(list(test["sentence"]), vocab, cfg.max_len)
    return SentimentData(
        vocab, x_tr, l_tr, torch.tensor(train["label"].to_numpy()), x_te, l_te,
        torch.tensor(test["label"].to_numpy()), tuple(test["sentence"]), tuple(test["source"]),
    )
