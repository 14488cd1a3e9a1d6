"""The sentiment lesson's library: a small classifier learns, word-by-word readings agree with the model, scores add up."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from rnnviz.config import ModelConfig, RunConfig, SentimentConfig, TrainConfig
from rnnviz.data import build_sentiment
from rnnviz.errors import DataError
from rnnviz.plots.sentiment import confusion, opening_memory, two_openings, word_by_word
from rnnviz.tasks import make_model, make_task
from rnnviz.textstats import biggest_swing, encode_review, held_out, read_word_by_word, state_gap
from rnnviz.train import TrainRun


def _decode(values):
    import base64

    if isinstance(values, dict):
        shape = [int(n) for n in str(values.get("shape", "-1")).split(",")]
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).reshape(shape)
    return np.asarray(values)


def _trained(cell: str, steps: int, source: str = "amazon", hidden: int = 16):
    cfg = RunConfig(task="sentiment", model=ModelConfig(cell=cell, hidden_size=hidden, embed_dim=16),
                    train=TrainConfig(optimizer="adam", lr=0.01, clip=1.0, steps=steps, seed=0),
                    sentiment=SentimentConfig(source=source))
    data = build_sentiment(cfg.sentiment)
    task = make_task(cfg, data)
    run = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)
    run.run(steps)
    return run.model.eval(), data


@pytest.fixture(scope="module")
def gru():
    return _trained("gru", 120)


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm"])
def test_a_bounded_training_beats_the_majority_baseline_on_held_out_sentences(cell):
    model, data = _trained(cell, 120)
    untrained, _ = _trained(cell, 0)
    score, before = held_out(model, data), held_out(untrained, data)
    assert score.accuracy >= score.majority + 0.10, (score.accuracy, score.majority)
    assert score.accuracy > before.accuracy + 0.10  # it is the training, not the initialisation


def test_reading_word_by_word_gives_one_probability_per_word_and_ends_on_the_models_verdict(gru):
    model, data = gru
    review = "I love this phone, but the battery died after a week!"
    r = read_word_by_word(model, data.vocab, review)
    assert len(r.words) == len(r.p_positive) == len(r.unknown) == r.h.shape[0] == 11
    assert r.h.shape[1] == model.cfg.hidden_size
    assert np.all((r.p_positive >= 0) & (r.p_positive <= 1))
    x, lengths = encode_review(review, data.vocab)
    with torch.no_grad():
        whole = torch.softmax(model.classify(x, lengths), -1)[0, 1].item()
    assert r.p_positive[-1] == pytest.approx(whole, abs=1e-6)
    prefix = read_word_by_word(model, data.vocab, "I love this phone")  # the past does not depend on the future
    np.testing.assert_allclose(prefix.p_positive, r.p_positive[:4], atol=1e-6)


def test_unknown_words_are_marked(gru):
    model, data = gru
    r = read_word_by_word(model, data.vocab, "great zzzqqq phone")
    assert r.unknown == (False, True, False)


@pytest.mark.parametrize("text, needle, zh", [
    ("", "at least one word", "至少要有一个词"), ("  ,;!  ", "at least one word", "至少要有一个词"),
    ("zzzqqq xxyyq", "None of these words", "都没有在训练评论中出现过"), ("good " * 30, "30 words", "30 个词"),
])
def test_bad_reviews_raise_a_readable_data_error_in_the_learners_language(gru, text, needle, zh):
    model, data = gru
    with pytest.raises(DataError, match=needle) as raised:
        read_word_by_word(model, data.vocab, text, max_words=20)
    words = raised.value.words("zh")
    assert zh in words and not re.search(r"[A-Za-z]{4,}", re.sub(r"'[a-z]+'", "", words))  # no English sentence
    if "30" in needle:
        assert "20 个以内" in words  # the limit, too


def test_held_out_confusion_counts_sum_to_n_and_give_the_accuracy(gru):
    model, data = gru
    h = held_out(model, data)
    assert h.confusion.sum() == h.n == len(data.y_test)
    assert h.accuracy == pytest.approx(np.trace(h.confusion) / h.n)
    assert list(h.confusion.sum(axis=1)) == [int((data.y_test == 0).sum()), int((data.y_test == 1).sum())]
    assert 0.5 <= h.majority <= 1


def test_state_gap_is_zero_for_one_review_and_biggest_swing_finds_the_largest_move(gru):
    model, data = gru
    a = read_word_by_word(model, data.vocab, "i loved it and then we went home")
    b = read_word_by_word(model, data.vocab, "i hated it and then we went home")
    assert np.allclose(state_gap(a, a), 0)
    gap = state_gap(a, b)
    assert gap[0] == pytest.approx(0, abs=1e-6) and gap[1] > 0  # identical until the words differ
    t = biggest_swing(a)
    moves = np.abs(np.diff(a.p_positive))  # from the word before: the first word's jump from the prior is no swing
    assert t >= 1 and moves[t - 1] == moves.max()
    assert biggest_swing(read_word_by_word(model, data.vocab, "great")) is None


def test_word_chart_shows_each_words_probability_and_its_state(gru):
    model, data = gru
    r = read_word_by_word(model, data.vocab, "great zzzqqq phone but awful")
    fig = json.loads(word_by_word(r, "t").to_json())
    scatter, heat, cells = fig["data"]  # cells: the invisible marker on every heatmap cell that takes its click
    np.testing.assert_allclose(_decode(scatter["y"]), r.p_positive, rtol=1e-6)
    np.testing.assert_allclose(_decode(heat["z"]), r.h.T, rtol=1e-6)
    np.testing.assert_allclose(_decode(cells["customdata"])[:, 2], r.h.T.ravel(), rtol=1e-6)  # hover: the cell's h
    assert heat["zmid"] == 0
    ticks = fig["layout"]["xaxis2"]["ticktext"]
    assert ticks[1] == "<i>zzzqqq?</i>" and ticks[0] == "great"


def test_long_review_figures_and_confusion_carry_the_numbers(gru):
    model, data = gru
    a = read_word_by_word(model, data.vocab, "i loved it and then we went home")
    b = read_word_by_word(model, data.vocab, "i hated it and then we went home")
    fig = json.loads(opening_memory({"gru": state_gap(a, b)}, a.words, 2, "t").to_json())
    assert fig["layout"]["yaxis"]["type"] == "log"
    two = json.loads(two_openings(a, b, "gru", "t").to_json())
    assert "loved/hated" in two["layout"]["xaxis"]["ticktext"]
    h = held_out(model, data)
    conf = json.loads(confusion(h, "Amazon").to_json())
    np.testing.assert_array_equal(_decode(conf["data"][0]["z"]), h.confusion)
