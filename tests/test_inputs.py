"""Inputs other than text for the inspection lessons: a series window, a review, their patterns and boundaries."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz import inputs
from rnnviz.config import SentimentConfig, SeriesConfig
from rnnviz.data import SentimentData, Series, Vocab, build_sentiment, load_series
from rnnviz.errors import DataError
from rnnviz.introspect import rank_units
from rnnviz.tasks import scaled_series


def small_series(values) -> tuple[Series, torch.Tensor]:
    series = Series("toy", np.asarray(values, dtype=np.float32), tuple(str(i) for i in range(len(values))), "u")
    scaled = torch.as_tensor((series.values - 10.0) / 2.0)  # any affine scaling: the window must use it as given
    return series, scaled


def test_window_reads_scaled_values_and_shows_the_original_ones():
    series, scaled = small_series([10, 12, 14, 12, 10, 12, 16, 11])
    w = inputs.prepare_window(series, scaled, 2, 4)
    assert w.kind == "series" and w.ids.shape == (1, 4) and w.ids.dtype == torch.float32
    assert w.values == (14.0, 12.0, 10.0, 12.0) and w.tokens == ("14", "12", "10", "12")
    torch.testing.assert_close(w.ids[0], torch.tensor([2.0, 1.0, 0.0, 1.0]))
    end = inputs.prepare_window(series, scaled, 99, 4)  # a start past the end is clamped, length kept
    assert end.values == (10.0, 12.0, 16.0, 11.0)
    for bad in (1, inputs.MAX_WINDOW + 1):
        with pytest.raises(DataError):
            inputs.prepare_window(series, scaled, 0, bad)


def test_real_sine_window_matches_the_forecasters_scaling():
    cfg = SeriesConfig()
    series = load_series(cfg)
    scaled, n_train, scaler = scaled_series(series, cfg)
    w = inputs.prepare_window(series, scaled, n_train, 50)
    np.testing.assert_allclose(scaler.transform(np.asarray(w.values)), w.ids[0].numpy(), rtol=1e-5, atol=1e-5)


def test_series_patterns_and_turning_points_by_hand():
    series, scaled = small_series([0, 1, 2, 1, 0, 1])
    w = inputs.prepare_window(series, scaled, 0, 6)
    np.testing.assert_array_equal(inputs.input_signal(w, "value"), [0, 1, 2, 1, 0, 1])
    np.testing.assert_array_equal(inputs.input_signal(w, "change"), [0, 1, 1, -1, -1, 1])
    np.testing.assert_array_equal(inputs.input_signal(w, "rising"), [0, 1, 1, 0, 0, 1])
    np.testing.assert_array_equal(inputs.input_signal(w, "above the window's mean"), [0, 1, 1, 1, 0, 1])  # mean 5/6
    # the direction flips after the peak (step 3 is the first fall) and after the trough (step 5 the first rise)
    np.testing.assert_array_equal(inputs.boundary_mask(w), [False, False, False, True, False, True])
    with pytest.raises(DataError):
        inputs.input_signal(w, "vowel")  # a text pattern means nothing for a series


def tiny_reviews() -> SentimentData:
    vocab = Vocab.build("good great fun bad awful boring the film but not".split() * 2, reserved=["<pad>"])
    sentences = [("the film good great fun", 1), ("good fun the film", 1), ("great fun", 1),
                 ("the film bad awful", 0), ("boring bad the film", 0), ("awful boring", 0)]
    x = torch.ones(len(sentences), 6, dtype=torch.long)
    lengths = []
    for row, (s, _) in enumerate(sentences):
        ids = vocab.encode(s.split())
        x[row, :len(ids)] = torch.tensor(ids)
        lengths.append(len(ids))
    y = torch.tensor([label for _, label in sentences])
    return SentimentData(vocab, x, torch.tensor(lengths), y, x[:1], torch.tensor(lengths[:1]), y[:1], ("x",))


def test_word_lean_by_hand():
    lean = inputs.word_lean(tiny_reviews(), min_count=2)
    # 'fun' is in 3 of 3 positive and 0 of 3 negative sentences: log((3+1)/5) - log((0+1)/5) = log 4
    assert lean["fun"] == pytest.approx(np.log(4.0))
    assert lean["bad"] == pytest.approx(-np.log(3.0))  # 0 of 3 positive, 2 of 3 negative
    assert lean["the"] == pytest.approx(0.0)  # 2 and 2: no lean
    assert "but" not in lean  # never seen in training
    real = inputs.word_lean(build_sentiment(SentimentConfig()))
    assert real["bad"] < -1 < 1 < real["great"]


def test_review_tokens_unknown_words_and_patterns():
    vocab = tiny_reviews().vocab
    r = inputs.prepare_review("The film was GOOD, but not great!", vocab)
    assert r.kind == "review" and r.tokens == ("the", "film", "was", "good", "but", "not", "great")
    assert r.ids.shape == (1, 7) and r.ids[0, 2] == 0 and "1 word(s)" in r.note  # 'was' is unknown
    np.testing.assert_array_equal(inputs.input_signal(r, "after 'but'"), [0, 0, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(inputs.input_signal(r, "negation"), [0, 0, 0, 0, 0, 1, 0])
    np.testing.assert_array_equal(inputs.boundary_mask(r), [0, 0, 0, 0, 1, 0, 0])
    lean = {"good": 2.0, "great": 1.5}
    np.testing.assert_array_equal(inputs.input_signal(r, "word leans positive", lean), [0, 0, 0, 2, 0, 0, 1.5])
    assert inputs.input_signal(inputs.prepare_review("it isn't fun", vocab), "negation").tolist() == [0, 1, 0]
    assert len(inputs.prepare_review("good " * 100, vocab, max_words=10).tokens) == 10
    for bad in ("", "  !! ", "zzz qqq"):
        with pytest.raises(DataError):
            inputs.prepare_review(bad, vocab)


def test_a_unit_that_follows_the_value_is_found_first():
    """The unit search on a series: a state column equal to the value (plus noise) ranks first with r near 1."""
    series, scaled = small_series(10 + 3 * np.sin(np.arange(40) / 4))
    w = inputs.prepare_window(series, scaled, 0, 40)
    rng = np.random.default_rng(0)
    states = rng.normal(size=(40, 5))
    states[:, 3] = np.asarray(w.values) + 0.01 * rng.normal(size=40)
    ranking = rank_units(states, inputs.input_signal(w, "value"))
    assert ranking["unit"].iloc[0] == 3 and ranking["r"].iloc[0] > 0.99


# ---- Tang poems: patterns that follow the lines -----------------------------------------------------------

POEM = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"  # four lines of 5 characters
POEM_VOCAB = Vocab.build(list(POEM) + list("红豆生南国春来发几枝"))


def test_a_tang_model_reads_a_poem_with_line_patterns():
    assert inputs.text_kind("tang_simplified").name == "poem" and inputs.text_kind("timemachine").name == "text"
    poem = inputs.KINDS["poem"].prepare(POEM, POEM_VOCAB)
    assert poem.kind == "poem" and poem.text == POEM  # the marks are kept: they carry the rhythm
    assert inputs.input_signal(poem, "position in line").tolist()[:7] == [0, 1, 2, 3, 4, 0, 0]
    assert np.flatnonzero(inputs.input_signal(poem, "before ，/。")).tolist() == [4, 10, 16, 22]
    assert np.flatnonzero(inputs.boundary_mask(poem)).tolist() == [5, 11, 17, 23]
    seven = inputs.KINDS["poem"].prepare("红豆生南国春来，春来发几枝红豆。", POEM_VOCAB)
    assert inputs.input_signal(seven, "position in line").max() == 6  # a 7-character line counts to 6
    with pytest.raises(DataError):
        inputs.input_signal(poem, "vowel")  # a letter pattern means nothing for a poem


@pytest.mark.parametrize("pattern", ["position in line", "before ，/。"])
def test_the_unit_search_finds_a_unit_built_to_track_a_poem_pattern(pattern):
    rng = np.random.default_rng(1)
    poem = inputs.KINDS["poem"].prepare(POEM * 3, POEM_VOCAB)
    signal = inputs.input_signal(poem, pattern)
    states = np.tanh(rng.normal(size=(len(poem.tokens), 16)))  # (T, H) units that track nothing
    states[:, 11] = np.tanh(0.4 * signal - 0.5) + 0.05 * rng.normal(size=len(signal))  # a unit built to track it
    ranking = rank_units(states, signal)
    assert ranking.loc[0, "unit"] == 11 and ranking.loc[0, "r"] > 0.9
    assert ranking.loc[1, "abs_r"] < 0.6  # the others are far behind


def test_every_input_kind_owns_its_patterns_words_and_boundaries():
    from rnnviz.catalog import has, t

    for kind in inputs.KINDS.values():
        assert kind.task in ("lm", "forecast", "sentiment") and kind.patterns
        for what in ("unit", "look_for", "find", "path", "boundaries", "boundary", "until_then", "task"):
            assert kind.says(what) and has(f"hidden_states.kinds.{kind.name}.{what}", "zh")
        assert kind.reset_note(keep="z") and "{" not in kind.reset_note(keep="z")
        for p in kind.patterns:
            assert t(f"hidden_states.patterns.{p.key}.label", "en") == p.name  # English shows the code itself
            assert has(f"hidden_states.patterns.{p.key}.desc", "zh")
    assert [inputs.reads_of_task(task) for task in ("lm", "forecast", "sentiment")] == list(inputs.READS)
