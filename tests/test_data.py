"""Every parser against the bundled files, and clear errors for malformed input."""

from __future__ import annotations

import pytest
import torch

from rnnviz.config import SentimentConfig, SeriesConfig, TextConfig
from rnnviz.data import (
    Vocab,
    build_corpus,
    build_sentiment,
    lm_batches,
    load_corpus,
    load_corpus_text,
    load_sentences,
    load_series,
    ngram_counts,
    parse_labelled,
    parse_series_csv,
    partition_layout,
    sine_series,
    windows,
)
from rnnviz.data.paths import DATA
from rnnviz.errors import DataError


@pytest.mark.parametrize("source", ["imdb", "amazon", "yelp"])
def test_each_sentiment_file_has_1000_balanced_rows(source):
    frame = load_sentences(source)
    assert len(frame) == 1000 and int(frame["label"].sum()) == 500


def test_imdb_quirks_are_handled():
    text = (DATA / "sentiment" / "imdb_labelled.txt").read_text(encoding="utf-8")
    assert len(text.splitlines()) > 1000  # U+0085 splits lines for str.splitlines()
    frame = load_sentences("imdb")
    assert frame["sentence"].str.contains('"').any()  # unbalanced quotes kept, not joined across lines


@pytest.mark.parametrize("name,rows,first", [
    ("airline", 144, 112.0), ("temperatures", 3650, 20.7), ("sunspots", 2820, 58.0),
])
def test_bundled_series(name, rows, first):
    series = load_series(SeriesConfig(name=name))
    assert len(series) == rows and series.values[0] == pytest.approx(first)
    assert series.values.dtype.name == "float32" and len(series.labels) == rows


def test_sine_is_d2l_and_seeded():
    a, b = sine_series(seed=0), sine_series(seed=0)
    assert len(a) == 1000 and (a.values == b.values).all()
    t = torch.arange(1, 1001, dtype=torch.float32)
    residual = torch.as_tensor(a.values) - torch.sin(0.01 * t)
    assert 0.17 < float(residual.std()) < 0.23  # noise std 0.2


def test_gutenberg_trailer_is_cut_and_d2l_copy_is_default():
    gutenberg = load_corpus_text("timemachine_gutenberg")
    assert "GUTENBERG" not in gutenberg and "Small Print" not in gutenberg
    assert gutenberg.rstrip().endswith("heart of man.")
    corpus = load_corpus(TextConfig())
    assert len(corpus.vocab) == 28  # 26 letters, space and <unk>, as in d2l
    assert corpus.vocab.idx_to_token[:3] == ("<unk>", " ", "e")


def test_vocab_and_unknown_token():
    vocab = Vocab.build(list("aabbbc"), min_freq=2)
    assert vocab.idx_to_token == ("<unk>", "b", "a")
    assert vocab.encode(list("abz")) == [2, 1, 0]
    assert vocab.decode([1, 2]) == ["b", "a"]


def test_ngram_counts_by_hand():
    assert ngram_counts(list("abab"), 1) == [(("a",), 2), (("b",), 2)]
    assert ngram_counts(list("abab"), 2) == [(("a", "b"), 2), (("b", "a"), 1)]
    assert ngram_counts(list("abab"), 3) == [(("a", "b", "a"), 1), (("b", "a", "b"), 1)]


def test_sequential_partition_by_hand():
    # 35 tokens, offset 0, batch 2, 5 steps: rows are two contiguous strips of 17 tokens, 3 batches.
    layout = partition_layout(35, 2, 5, "sequential", 0)
    assert [(p.batch, p.row, p.start) for p in layout[:4]] == [(0, 0, 0), (0, 1, 17), (1, 0, 5), (1, 1, 22)]
    assert len(layout) == 6


def test_random_partition_covers_disjoint_subsequences():
    layout = partition_layout(35, 2, 5, "random", 2, torch.Generator().manual_seed(0))
    starts = sorted(p.start for p in layout)
    assert all(s % 5 == 2 for s in starts) and len(set(starts)) == len(starts)
    assert len(layout) == 6  # (35 - 2 - 1) // 5 = 6 subsequences, 3 batches of 2


def test_lm_batches_labels_are_shifted_by_one():
    corpus = torch.arange(100)
    X, Y = next(lm_batches(corpus, 4, 6, "sequential", torch.Generator().manual_seed(0)))
    assert X.shape == (4, 6) and torch.equal(Y, X + 1)


def test_windows_match_d2l():
    x = torch.arange(10, dtype=torch.float32).numpy()
    features, labels = windows(x, 4)
    assert features.shape == (6, 4) and features[0].tolist() == [0, 1, 2, 3] and labels[0].item() == 4


def test_sentiment_split_and_padding():
    data = build_sentiment(SentimentConfig(source="amazon", max_len=12))
    assert data.x_train.shape == (800, 12) and data.x_test.shape == (200, 12)
    assert int(data.len_train.max()) <= 12 and int(data.len_train.min()) >= 1
    pad = data.vocab.token_to_idx["<pad>"]
    row = int(data.len_train.argmin())
    assert (data.x_train[row, data.len_train[row]:] == pad).all()


CSV_OK = "date,value\n" + "\n".join(f"2020-01-{i:02d},{i * 1.5}" for i in range(1, 31))


@pytest.mark.parametrize("raw,words", [
    (b"", "empty"),
    (b"\x00\x01\x02binary", "binary"),
    ("name,city\nann,paris\nbob,rome\n" * 10, "no numeric column"),
    ("a,b\n1,2\n", "one row"),
    ("d,v\n" + "\n".join(f"{i},{i}" for i in range(30)) + "\n31,oops\n", "text where numbers"),
    ("d,v\n" + "\n".join(f"{i},{i}" for i in range(30)) + "\n31,\n", "missing"),
    ("d,v\n" + "\n".join(f"{i},{i}" for i in range(30)) + "\n31,1e300\n", "large"),
    (b"d,v\n" + b"1,2\n" * 3_000_000, "MB"),
])
def test_malformed_csv_gives_a_clear_message(raw, words):
    with pytest.raises(DataError, match=words):
        parse_series_csv(raw)


def test_csv_in_latin1_and_with_semicolons_reads():
    text = "Datum;Wärme\n" + "\n".join(f"{i};{i}.5" for i in range(30))
    series = parse_series_csv(text.encode("latin-1"))  # not UTF-8: falls back to Latin-1
    assert len(series) == 30 and series.values[1] == pytest.approx(1.5) and series.unit == "Wärme"
    ok = parse_series_csv(CSV_OK, value_col="value", date_col="date")
    assert ok.labels[0] == "2020-01-01"


def test_malformed_sentiment_lines_and_empty_text():
    with pytest.raises(DataError, match="Line 2"):
        parse_labelled("good\t1\nno tab here\n")
    with pytest.raises(DataError, match="fewer than 3"):
        build_corpus("12 34 !!")
