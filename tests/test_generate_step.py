"""The one-token step text generation uses: the same numbers as running the model's modules, bit for bit."""

from __future__ import annotations

import pytest
import torch

from rnnviz.config import CELLS, ModelConfig
from rnnviz.data import Vocab
from rnnviz.generate import generate, one_token_step
from rnnviz.models import LanguageModel


def trained_like(cell: str, layers: int, bias: bool, vocab: int = 28) -> LanguageModel:
    """Returns a small language model with weights far from their initialisation (as after training)."""
    torch.manual_seed(7)
    model = LanguageModel(vocab, ModelConfig(cell=cell, hidden_size=16, num_layers=layers, bias=bias))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0).add_(0.1)
    return model.eval()


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers,bias", [(1, True), (2, True), (3, False)])
def test_the_step_equals_the_modules_bit_for_bit(cell, layers, bias):
    model = trained_like(cell, layers, bias)
    step = one_token_step(model)
    with torch.inference_mode():
        _, state = model(torch.tensor([[3, 1, 4]]))
        fast_state = state
        for token in (1, 5, 9, 2, 6, 27, 0):
            want, state = model(torch.tensor([[token]]), state)
            got, fast_state = step(token, fast_state)
            assert torch.equal(got, want)
            for a, b in zip(torch.utils._pytree.tree_leaves(fast_state), torch.utils._pytree.tree_leaves(state)):
                assert torch.equal(a, b)


@pytest.mark.parametrize("cell", CELLS)
def test_generation_writes_what_the_modules_would(cell, monkeypatch):
    model = trained_like(cell, 2, True)
    vocab = Vocab.build(list("abcdefghijklmnopqrstuvwxyz "))  # <unk> and 27 tokens: the model's 28
    fast = generate(model, vocab, "the time", 60, 0.8, generator=torch.Generator().manual_seed(3))
    monkeypatch.setattr("rnnviz.generate.one_token_step",
                        lambda m: lambda token, state: m(torch.tensor([[token]]), state))
    slow = generate(model, vocab, "the time", 60, 0.8, generator=torch.Generator().manual_seed(3))
    assert fast == slow and len(fast) == len("the time") + 60
