"""Models: parameter counts by formula against torch, seeded init, task heads, text generation."""

from __future__ import annotations

import itertools

import pytest
import torch

from rnnviz.config import CELLS, ModelConfig
from rnnviz.data import build_corpus, load_corpus_text
from rnnviz.errors import ConfigError
from rnnviz.generate import generate, token_surprise
from rnnviz.models import LanguageModel, SequenceClassifier, count_params, init_weights, make_rnn, param_count_formula


@pytest.mark.parametrize("cell,layers,bias,bidir", list(itertools.product(CELLS, (1, 3), (True, False), (False, True))))
def test_param_count_formula_equals_torch(cell, layers, bias, bidir):
    rnn = make_rnn(ModelConfig(cell=cell, hidden_size=7, num_layers=layers, bias=bias), 5, bidirectional=bidir)
    assert param_count_formula(cell, 5, 7, layers, bias, bidir) == count_params(rnn)


def test_d2l_rnn_parameter_count():
    # d2l's char RNN: 28 one-hot inputs, 512 hidden -> 512 * (512 + 28) weights + 2 * 512 biases in torch
    assert param_count_formula("rnn_tanh", 28, 512) == 512 * (512 + 28) + 2 * 512


def test_init_is_seeded_and_independent_of_the_global_rng():
    a = init_weights(LanguageModel(28, ModelConfig()), 5)
    torch.rand(100)
    b = init_weights(LanguageModel(28, ModelConfig()), 5)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_bad_model_settings_raise_config_error():
    with pytest.raises(ConfigError, match="Hidden size"):
        make_rnn(ModelConfig(hidden_size=0), 3)
    with pytest.raises(ConfigError, match="Unknown cell"):
        make_rnn(ModelConfig(cell="transformer"), 3)


def test_classifier_reads_the_last_real_word_not_padding():
    model = init_weights(SequenceClassifier(10, ModelConfig(hidden_size=4, embed_dim=3)), 0)
    x = torch.tensor([[2, 3, 1, 1], [2, 3, 4, 5]])
    logits = model.classify(x, torch.tensor([2, 4]))
    alone, _ = model(x[:1, :2])
    torch.testing.assert_close(logits[0], alone[0, -1])


def test_generation_is_reproducible_and_greedy_at_temperature_zero():
    corpus = build_corpus(load_corpus_text(), max_tokens=2000)
    model = init_weights(LanguageModel(len(corpus.vocab), ModelConfig(hidden_size=8)), 0)
    one = generate(model, corpus.vocab, "The Time", 20, 1.0, torch.Generator().manual_seed(1))
    two = generate(model, corpus.vocab, "The Time", 20, 1.0, torch.Generator().manual_seed(1))
    assert one == two and one.startswith("the time") and len(one) == len("the time") + 20
    greedy = generate(model, corpus.vocab, "the", 10, 0.0)
    assert greedy == generate(model, corpus.vocab, "the", 10, 0.0)
    tokens, probs = token_surprise(model, corpus.vocab, "the time machine")
    assert len(probs) == len(tokens) - 1 and ((probs > 0) & (probs < 1)).all()
