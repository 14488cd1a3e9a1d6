"""The text lesson's numbers, checked against small cases worked out by hand: Zipf tables and exponents, sparsity,
partition strips and (X, Y) windows, perplexity, and the pasted-text checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnnviz import textstats
from rnnviz.data import Vocab, partition_layout
from rnnviz.errors import DataError


def test_zipf_table_counts_and_ranks_by_hand():
    table = textstats.zipf_table("a b a c a b".split())
    uni = table[table["n"] == 1]
    assert uni["gram"].tolist() == ["a", "b", "c"] and uni["count"].tolist() == [3, 2, 1]
    assert uni["rank"].tolist() == [1, 2, 3]
    bi = table[table["n"] == 2].set_index("gram")["count"].to_dict()
    assert bi == {"a b": 2, "b a": 1, "a c": 1, "c a": 1}  # five bigrams in six tokens
    tri = table[table["n"] == 3].set_index("gram")["count"].to_dict()
    assert tri == {"a b a": 1, "b a c": 1, "a c a": 1, "c a b": 1}
    assert table[table["n"] == 2]["count"].iloc[0] == 2  # ranked most frequent first


@pytest.mark.parametrize("alpha", [0.8, 1.0, 2.0])
def test_zipf_exponent_recovers_the_power(alpha):
    counts = [1e6 / i ** alpha for i in range(1, 200)]
    assert textstats.zipf_exponent(counts, first=1) == pytest.approx(alpha, abs=1e-9)
    rounded = [round(c) for c in counts]
    assert textstats.zipf_exponent(rounded, first=10, last=100) == pytest.approx(alpha, abs=0.01)
    assert math.isnan(textstats.zipf_exponent([5], first=1))  # one point has no slope


def test_sparsity_by_hand():
    table = textstats.zipf_table("a b a c a b".split())
    rows = textstats.sparsity(table, vocab_size=3).set_index("n")
    assert rows.at[1, "distinct"] == 3 and rows.at[1, "seen once"] == 1 and rows.at[1, "possible"] == 3
    assert rows.at[2, "distinct"] == 4 and rows.at[2, "seen once"] == 3 and rows.at[2, "possible"] == 9
    assert rows.at[2, "share of possible seen"] == pytest.approx(4 / 9)
    assert rows.at[3, "share seen once"] == 1.0 and rows.at[3, "share of possible seen"] == pytest.approx(4 / 27)


def test_sequential_strip_rows_continue_across_minibatches():
    # 21 tokens, 2 rows, 3 steps: each row is a strip of (21 - 0 - 1) // 2 = 10 positions, 3 minibatches
    layout = partition_layout(21, 2, 3, "sequential", 0)
    strip = textstats.partition_strip(21, layout, 3)
    assert strip.n_batches == 3
    assert strip.row[:9].tolist() == [0] * 9 and strip.row[10:19].tolist() == [1] * 9
    assert strip.batch[:9].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert strip.step[:9].tolist() == [0, 1, 2] * 3
    assert strip.batch[9] == -1 and strip.batch[19:].tolist() == [-1, -1]  # not covered by any subsequence
    for r in range(2):  # row r of minibatch k+1 starts where row r of minibatch k stopped
        starts = [p.start for p in layout if p.row == r]
        assert np.diff(starts).tolist() == [3, 3]


def test_random_strip_covers_distinct_positions_and_offset_shifts_it():
    g = torch.Generator().manual_seed(0)
    layout = partition_layout(30, 2, 4, "random", 2, g)
    strip = textstats.partition_strip(30, layout, 4)
    starts = sorted(p.start for p in layout)
    assert starts == [2, 6, 10, 14, 18, 22]  # offset 2, steps of 4, the last needs a label inside the corpus
    covered = strip.batch >= 0
    assert covered.sum() == 4 * len(layout)  # no position is in two subsequences
    assert not covered[:2].any()  # the offset drops the first two tokens this epoch
    assert strip.n_batches == 3


def test_batch_windows_label_is_input_shifted_by_one():
    tokens = list("the time machine")
    layout = partition_layout(len(tokens), 2, 4, "sequential", 0)
    table = textstats.batch_windows(tokens, layout, 4, 0)
    assert table["X (input)"].tolist() == ["the ", "e ma"] and table["start"].tolist() == [0, 7]
    assert table["Y (label = X shifted by one)"].tolist() == ["he t", " mac"]
    seven = "one two three four five six seven".split()
    words = textstats.batch_windows(seven, partition_layout(7, 1, 3, "sequential", 0), 3, 1)
    assert words["X (input)"].tolist() == ["four five six"]
    assert words["Y (label = X shifted by one)"].tolist() == ["five six seven"]


def test_perplexity_bounds_and_terms():
    V = 28
    uniform = textstats.perplexity_breakdown(list("abcdef"), torch.full((5,), 1 / V), V)
    assert uniform.perplexity == pytest.approx(V)  # guessing uniformly among V tokens
    perfect = textstats.perplexity_breakdown(list("abc"), torch.ones(2), V)
    assert perfect.perplexity == pytest.approx(1.0) and perfect.mean_surprise == pytest.approx(0.0)
    p = torch.tensor([0.5, 0.25, 1.0])
    mixed = textstats.perplexity_breakdown(list("abcd"), p, V)
    expected = (math.log(2) + math.log(4) + 0) / 3
    assert mixed.mean_surprise == pytest.approx(expected)
    assert mixed.perplexity == pytest.approx(math.exp(expected)) == pytest.approx(2.0)
    np.testing.assert_allclose(mixed.surprise, [math.log(2), math.log(4), 0.0])
    with pytest.raises(DataError):
        textstats.perplexity_breakdown(["a"], torch.ones(0), V)


def test_check_pasted_refuses_what_cannot_be_counted_and_cuts_what_is_too_long():
    for empty in ("", "   \n\t "):
        with pytest.raises(DataError, match="empty"):
            textstats.check_pasted(empty)
    with pytest.raises(DataError, match="only 6 letters"):
        textstats.check_pasted("12345 !!! abc def ???")
    ok = textstats.check_pasted("word " * 100)
    assert ok.text == "word " * 100 and ok.note is None
    cut = textstats.check_pasted("abcd " * 100, max_chars=300)
    assert len(cut.text) == 300 and "300" in cut.note and "500" in cut.note


def test_vocab_table_puts_unk_first_with_count_zero():
    vocab = Vocab.build(list("aaabbc"))
    table = textstats.vocab_table(vocab, top=10)
    assert table["token"].tolist() == ["<unk>", "a", "b", "c"] and table["count"].tolist() == [0, 3, 2, 1]
