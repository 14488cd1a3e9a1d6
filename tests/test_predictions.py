"""Predict, then reveal: every prediction has a catalogue entry and an answer computed from its input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from rnnviz import predictions
from rnnviz.catalog import entries, names
from rnnviz.config import ModelConfig
from rnnviz.models import LanguageModel
from rnnviz.textstats import WordReading
from rnnviz.tracing import hidden_grads


def _reading(p: list[float]) -> WordReading:
    """Returns a word-by-word reading with these P(positive) values (states unused by the answers)."""
    return WordReading(tuple(f"w{i}" for i in range(len(p))), (False,) * len(p), np.array(p), np.zeros((len(p), 2)))


# For each answer function: two inputs whose right answers differ (so the answer is read from the input).
CONTRASTS = {
    predictions.largest_gradient: ((np.array([1.0, 0.5, 0.2, 0.1, 0.05, 0.01]),),
                                   (np.array([0.01, 0.1, 0.3, 1.0, 4.0, 9.0]),)),
    predictions.first_step_gradient: (({"rnn_tanh": 0.9, "gru": 0.1},), ({"rnn_tanh": 0.01, "lstm": 0.7},)),
    predictions.forecast_drift: ((np.sin(np.arange(60) / 3), np.sin(np.arange(60) / 3) * 0.9),
                                 (np.sin(np.arange(60) / 3), np.zeros(60))),
    predictions.more_saturated: ((0.6, 0.1), (0.1, 0.5)),
    predictions.radius_above_one: ((1.3,), (0.7,)),
    predictions.diverges: ((True, 1e6), (False, 3.0)),
    predictions.truncation_first_step: ((float("nan"), 0.3), (0.3, 0.3)),
    predictions.one_step_or_k_step: ((0.01, 0.5, 64), (0.2, 0.2, 64)),
    predictions.parameter_count: ((19_868, 1_820), (655_172, 162_500)),
    predictions.perplexity_nearer: ((3.1, 28), (19.0, 28)),
    predictions.tokens_for_half: ((np.array([50, 30, 10, 5, 3, 2]),), (np.ones(500),)),
    predictions.minibatches_continue: (([[0, 60], [5, 65]], 5), ([[40, 5], [90, 15]], 5)),
    # Sentiment, Deep and bidirectional, Recurrent matrix
    predictions.negation_lowers: ((0.8, 0.3), (0.4, 0.6)),
    predictions.swing_half: ((_reading([0.5, 0.9, 0.85, 0.8, 0.82, 0.8]),), (_reading([0.5, 0.55, 0.5, 0.52, 0.1]),)),
    predictions.output_growth: ((16, 32), (16, 16)),
    predictions.params_multiple: ((2880, 1248), (1248, 1248)),
    predictions.radius_change: ((1.4, 0.9), (0.6, 0.9)),
    predictions.follows_closely: ((-0.8, 3), (0.2, 5)),
    predictions.keep_gate_busier: ((0.6, 0.1, "z"), (0.05, 0.4, "f")),
}


@pytest.mark.parametrize("key", sorted(predictions.ANSWERS))
def test_every_prediction_has_a_question_options_and_a_why_per_option(key):
    en = entries("en")
    assert f"{key}.question" in en
    codes = names(f"{key}.options")
    assert len(codes) >= 2, f"{key} offers {codes}"
    assert all(f"{key}.why.{code}" in en for code in codes), f"{key}: a 'why' line per option"


@pytest.mark.parametrize("fn", sorted(set(predictions.ANSWERS.values()), key=lambda f: f.__name__),
                         ids=lambda f: f.__name__)
def test_answers_are_read_from_the_input(fn):
    one, other = CONTRASTS[fn]
    assert fn(*one).code != fn(*other).code
    keys = [k for k, f in predictions.ANSWERS.items() if f is fn]
    for key in keys:
        for args in (one, other):
            assert fn(*args).code in names(f"{key}.options"), (key, fn(*args))


@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_answers_on_real_models_of_two_seeds(seed):
    torch.manual_seed(seed)
    firsts = {}
    for cell in ("rnn_tanh", "gru", "lstm"):
        model = LanguageModel(12, ModelConfig(cell=cell, hidden_size=16))
        x = torch.randint(0, 12, (1, 30), generator=torch.Generator().manual_seed(seed))
        norms = hidden_grads(model, x, lambda out: out[:, -1].logsumexp(-1).sum()).norms[0].numpy()
        answer = predictions.largest_gradient(norms)
        assert answer.code == ("first", "middle", "last")[min(3 * int(np.argmax(norms)) // len(norms), 2)]
        firsts[cell] = float(norms[0] / norms[-1])
    best = predictions.first_step_gradient(firsts)
    assert firsts[best.code] == max(firsts.values())


def _box():
    import streamlit as st

    from rnnviz.predictions import largest_gradient
    from rnnviz.ui.lang import choose
    from rnnviz.ui.predict import predict

    choose()
    norms = st.session_state.get("norms", [0.1, 0.2, 3.0])
    predict("predict.gradients.largest", largest_gradient(norms))


def test_the_box_reveals_only_after_a_choice_and_in_the_learners_language(monkeypatch):
    from rnnviz import catalog
    from rnnviz.ui import lang

    # AppTest formats a radio's options again in the test's own thread, outside the session: read Chinese there too
    monkeypatch.setattr(lang, "current", lambda: "zh")
    # lang.choose() registers the patched function as the catalogue's resolver: put the original back afterwards,
    # or every later test in this process reads Chinese
    monkeypatch.setattr(catalog, "_resolver", catalog._resolver)
    at = AppTest.from_function(_box, default_timeout=30)
    at.query_params["lang"] = "zh"
    at.run()
    assert at.button[0].disabled and not at.success and not at.info
    at.radio[0].set_value("first").run()
    at.button[0].click().run()
    assert at.info and "最后几步" in at.info[0].value  # wrong guess: the model's answer, in Chinese
    at.session_state["norms"] = [5.0, 0.2, 0.1]
    at.run()  # the model's answer changed: the question is asked again
    assert at.button and not at.info
