"""Text generation from a prefix: warm up the state on the prefix, then sample with a temperature."""

from __future__ import annotations

import torch

from rnnviz.data import Vocab, clean_text, tokenize
from rnnviz.models import LanguageModel


def generate(model: LanguageModel, vocab: Vocab, prefix: str, n: int, temperature: float = 1.0,
             generator: torch.Generator | None = None, token: str = "char") -> str:
    """Returns the cleaned prefix followed by n sampled tokens (temperature 0 = always the most likely)."""
    tokens = tokenize(clean_text(prefix), token)
    ids = vocab.encode(tokens) or [0]  # an empty prefix starts from <unk>
    model.eval()
    out = list(tokens)
    with torch.no_grad():
        logits, state = model(torch.tensor([ids]))  # warm-up over the whole prefix at once
        for _ in range(n):
            last = logits[0, -1].clone()
            last[0] = -torch.inf  # never emit <unk>: it is not a token of the text
            if temperature <= 0:
                nxt = int(last.argmax())
            else:
                probs = torch.softmax(last / temperature, dim=-1)
                nxt = int(torch.multinomial(probs, 1, generator=generator))
            out.append(vocab.idx_to_token[nxt])
            logits, state = model(torch.tensor([[nxt]]), state)
    return ("" if token == "char" else " ").join(out)


def token_surprise(model: LanguageModel, vocab: Vocab, text: str, token: str = "char") -> tuple[list[str], torch.Tensor]:
    """Returns (tokens, probability the model gave each token after the first) for a passage."""
    tokens = tokenize(clean_text(text), token)
    ids = torch.tensor([vocab.encode(tokens)])
    model.eval()
    with torch.no_grad():
        logits, _ = model(ids[:, :-1])
        probs = torch.softmax(logits, dim=-1)[0, torch.arange(ids.shape[1] - 1), ids[0, 1:]]
    return tokens, probs
