"""Every input kind with too few steps gets a message, and the rest of the lesson stays on the page."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from conftest import app_test

from rnnviz import inputs
from rnnviz.data import Series, Vocab
from rnnviz.errors import DataError


def test_a_one_value_window_is_refused_with_a_message():
    series = Series("s", np.arange(50, dtype=np.float32), tuple(map(str, range(50))), "x")
    scaled = torch.arange(50, dtype=torch.float32)
    with pytest.raises(DataError, match="at least 2 values"):
        inputs.prepare_window(series, scaled, 10, 1)
    one = Series("s", np.ones(1, dtype=np.float32), ("0",), "x")
    with pytest.raises(DataError, match="at least 2 values"):
        inputs.prepare_window(one, torch.ones(1), 0, 2)
    assert len(inputs.prepare_window(series, scaled, 10, 2).tokens) == 2


def test_a_one_word_review_is_refused_with_a_message():
    vocab = Vocab.build(["great", "fun", "bad"] * 3, reserved=["<pad>"])
    for text in ("great", "  great!!  ", ""):
        with pytest.raises(DataError, match="at least 2 words"):
            inputs.prepare_review(text, vocab)
    assert inputs.prepare_review("great fun", vocab).tokens == ("great", "fun")


def test_a_one_character_text_is_refused_with_a_message():
    vocab = Vocab.build(list("the time traveller"))
    with pytest.raises(DataError):
        inputs.prepare_text("a", vocab, clean=True)
    assert len(inputs.prepare_text("ab", vocab, clean=True).tokens) == 2


def shown(elements) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", str(e.value)).replace("\u200b", "") for e in elements]


@pytest.mark.parametrize("page, heatmap", [("pages/4_Hidden_states.py", "hs_heatmap"), ("pages/5_Gates.py", None)])
@pytest.mark.parametrize("params, words, example", [
    ({"reads": "review", "review": "great"}, "at least 2 words", "the example review"),
    ({"text": "a"}, "two letters", "the example text"),
], ids=["one-word review", "one-letter text"])
def test_inspection_lessons_keep_going_on_a_too_short_input(page, heatmap, params, words, example, tiny_defaults):
    at = app_test(page)
    at.query_params.update(params)
    at.run()
    assert not at.exception, at.exception
    assert any(words in e for e in shown(at.error)), shown(at.error)
    assert any(example in c for c in shown(at.caption)), shown(at.caption)
    charts = at.get("plotly_chart")
    assert len(charts) >= 3  # the rest of the lesson is there, reading the example
    if heatmap:
        assert any(c.key == heatmap for c in charts)
