"""Unit tests of rnnviz.introspect (unit ranking, PCA, saturation, memory/reset units), text inputs and their patterns
(rnnviz.inputs), and the formula check (rnnviz.paramcheck)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnviz.config import ModelConfig
from rnnviz.data import build_corpus
from rnnviz.errors import DataError
from rnnviz.inputs import corpus_passage, input_signal, prepare_text
from rnnviz.introspect import (
    compare_cells,
    gate_saturation,
    gate_summary,
    keep_gate,
    memory_units,
    pca_2d,
    rank_units,
    reset_units,
    saturation,
)
from rnnviz.models import LanguageModel, init_weights
from rnnviz.paramcheck import param_check, textbook_gru_gap, weight_shapes
from rnnviz.tracing import trace_model

CORPUS = build_corpus("The quick brown fox jumps over the lazy dog. " * 4)


def pattern_signal(text: str, name: str) -> np.ndarray:
    """Returns a character pattern over an already clean text, as the lesson computes it."""
    return input_signal(prepare_text(text, CORPUS.vocab, clean=False), name)


def tiny_lm(cell: str, hidden: int = 6, layers: int = 1) -> LanguageModel:
    return init_weights(LanguageModel(len(CORPUS.vocab), ModelConfig(cell=cell, hidden_size=hidden,
                                                                     num_layers=layers)), seed=0).eval()


def test_prepare_text_cleans_caps_and_rejects_empty():
    text = prepare_text("Hello, World!", CORPUS.vocab)
    assert text.text == "hello world" and text.ids.shape == (1, 11) and "cleaned" in text.note.lower()
    assert CORPUS.vocab.decode(text.ids[0].tolist()) == list("hello world")
    long = prepare_text("ab " * 300, CORPUS.vocab, max_chars=50)
    assert len(long.tokens) == 50 and "50" in long.note
    assert prepare_text("plain words", CORPUS.vocab).note is None
    passage = corpus_passage(CORPUS, 3, 12)  # starts with a space: kept as the corpus has it
    assert passage[0] == " " and prepare_text(passage, CORPUS.vocab, clean=False).text == passage
    with pytest.raises(DataError):
        prepare_text("123 !!", CORPUS.vocab)


def test_corpus_passage_stays_inside():
    assert corpus_passage(CORPUS, 0, 9) == "the quick"
    assert len(corpus_passage(CORPUS, 10_000, 20)) == 20


def test_patterns_on_a_known_text():
    s = "the cat sat"
    assert pattern_signal(s, "vowel").tolist() == [float(ch in "aeiou") for ch in s]
    assert np.flatnonzero(pattern_signal(s, "after a space")).tolist() == [0, 4, 8]
    assert np.flatnonzero(pattern_signal(s, "end of word")).tolist() == [2, 6, 10]
    assert pattern_signal(s, "position in word").tolist() == [0, 1, 2, 0, 0, 1, 2, 0, 0, 1, 2]
    assert pattern_signal(s, "letters left in word")[:3].tolist() == [2, 1, 0]
    assert np.flatnonzero(pattern_signal(s, "inside 'the'")).tolist() == [0, 1, 2]
    with pytest.raises(DataError):
        pattern_signal(s, "inside quotes")


def test_rank_units_finds_the_planted_detector():
    rng = np.random.default_rng(0)
    signal = pattern_signal("the quick brown fox jumps over the lazy dog", "vowel")
    states = rng.normal(size=(len(signal), 8))
    states[:, 5] = -2 * signal + 0.05 * rng.normal(size=len(signal))  # a negative vowel detector
    states[:, 2] = 0.3  # a dead unit must not crash or rank high
    ranking = rank_units(states, signal)
    assert ranking.loc[0, "unit"] == 5 and ranking.loc[0, "r"] < -0.95
    assert ranking.set_index("unit").at[2, "r"] == 0.0
    assert np.all(np.diff(ranking["abs_r"].to_numpy()) <= 0)
    with pytest.raises(DataError):
        rank_units(states[:3], np.ones(3))


def test_pca_recovers_a_plane_and_explained_variance():
    rng = np.random.default_rng(1)
    plane = rng.normal(size=(50, 2)) * [3.0, 1.0]
    basis = np.linalg.qr(rng.normal(size=(10, 2)))[0]  # (10, 2) orthonormal
    proj = pca_2d(plane @ basis.T)
    assert proj.coords.shape == (50, 2) and proj.explained.sum() == pytest.approx(1.0)
    assert proj.explained[0] > proj.explained[1]
    # distances between points are preserved when the data lie in a plane
    d = lambda p: np.linalg.norm(p[:, None] - p[None], axis=-1)  # noqa: E731
    np.testing.assert_allclose(d(proj.coords), d(plane), atol=1e-8)
    with pytest.raises(DataError):
        pca_2d(np.zeros((1, 4)))


def test_saturation_fractions():
    values = np.array([0.0, 0.05, -0.5, 0.95, -0.99, 0.3])
    sat = saturation(values)
    assert sat == pytest.approx({"near 0": 2 / 6, "between": 2 / 6, "near 1": 2 / 6})
    assert gate_saturation(np.array([0.01, 0.5, 0.99, 0.93])) == pytest.approx(0.5)


def test_memory_and_reset_units():
    keep = np.full((10, 3), 0.5)
    keep[2:9, 1] = 0.95  # unit 1 keeps for 7 steps in a row
    keep[[3, 7], 2] = 0.0  # unit 2 closes its gate at the masked steps
    memory = memory_units(keep)
    assert memory.loc[0, "unit"] == 1 and memory.loc[0, "longest_run"] == 7
    mask = np.zeros(10, bool)
    mask[[3, 7]] = True
    resets = reset_units(keep, mask)
    assert resets.loc[0, "unit"] == 2 and resets.loc[0, "at_mask"] == 0.0
    with pytest.raises(DataError):
        reset_units(keep, np.zeros(10, bool))


@pytest.mark.parametrize("cell, layers", [("gru", 1), ("lstm", 2), ("rnn_tanh", 1), ("rnn_relu", 2)])
def test_param_check_matches_torch_and_shapes_per_gate(cell, layers):
    model = tiny_lm(cell, layers=layers)
    check = param_check(model.rnn)
    assert check.matches and check.torch_count == sum(p.numel() for p in model.rnn.parameters())
    shapes = weight_shapes(model.rnn)
    gates = {"gru": 3, "lstm": 4}.get(cell, 1)
    assert len(shapes) == gates * layers
    assert shapes.loc[0, "W_x"].endswith(f"6 x {len(CORPUS.vocab)}")


def test_gate_summary_and_keep_gate_from_a_real_trace():
    text = prepare_text("the quick brown fox", CORPUS.vocab)
    trace = trace_model(tiny_lm("lstm"), text.ids)
    assert keep_gate(trace).shape == (len(text.tokens), 6)
    np.testing.assert_array_equal(keep_gate(trace), trace.layers[0].f[0].numpy())
    summary = gate_summary(trace).set_index("quantity")
    assert list(summary.index) == ["i", "f", "g", "o", "c", "h"]
    assert summary["saturated"].between(0, 1).all()
    with pytest.raises(DataError):
        keep_gate(trace_model(tiny_lm("rnn_tanh"), text.ids))
    table = compare_cells({"rnn_tanh": trace_model(tiny_lm("rnn_tanh"), text.ids), "lstm": trace})
    assert table["cell"].tolist() == ["RNN (tanh)", "LSTM"]
    assert table["longest keep stretch (steps)"].isna().tolist() == [True, False]


def test_textbook_gru_gap_is_zero_when_reset_is_one_and_positive_otherwise():
    model = tiny_lm("gru", layers=2)
    x = model.inputs(prepare_text("the quick brown fox", CORPUS.vocab).ids)
    gap = textbook_gru_gap(model.rnn, x)
    assert gap.shape == (x.shape[1],) and gap.max() > 1e-4
    with torch.no_grad():  # force r = 1 (huge reset bias): the two forms coincide
        for k in range(2):
            getattr(model.rnn, f"bias_ih_l{k}")[:6] = 50.0
    assert textbook_gru_gap(model.rnn, x).max() < 1e-5


def test_gate_labels_follow_the_learners_language(monkeypatch):
    from rnnviz import catalog
    from rnnviz.plots.gates import LABELS

    assert LABELS["r"] == "reset r" and LABELS.get("pre") == "pre-activation" and LABELS.get("?", "?") == "?"
    monkeypatch.setattr(catalog, "_resolver", lambda: "zh")
    assert LABELS["r"] == "重置门 r" and LABELS["c"] == "记忆元 c" and dict(LABELS)["f"] == "遗忘门 f"
