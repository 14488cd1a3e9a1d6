"""Text generation from a prefix: warm up the state on the prefix, then sample with a temperature."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.nn import functional as F

from rnnviz.data import Vocab, clean_text, tokenize
from rnnviz.models import LanguageModel, State, flat_weights, fused_kernel

Step = Callable[[int, State], tuple[torch.Tensor, State]]


def generate(model: LanguageModel, vocab: Vocab, prefix: str, n: int, temperature: float = 1.0,
             generator: torch.Generator | None = None, token: str = "char") -> str:
    """Returns the cleaned prefix followed by n sampled tokens (temperature 0 = always the most likely)."""
    tokens = tokenize(clean_text(prefix), token)
    ids = vocab.encode(tokens) or [0]  # an empty prefix starts from <unk>
    model.eval()
    out = list(tokens)
    with torch.inference_mode():
        logits, state = model(torch.tensor([ids]))  # warm-up over the whole prefix at once
        step = one_token_step(model)
        for _ in range(n):
            last = logits[0, -1].clone()
            last[0] = -torch.inf  # never emit <unk>: it is not a token of the text
            if temperature <= 0:
                nxt = int(last.argmax())
            else:
                probs = torch.softmax(last / temperature, dim=-1)
                nxt = int(torch.multinomial(probs, 1, generator=generator))
            out.append(vocab.idx_to_token[nxt])
            logits, state = step(nxt, state)
    return ("" if token == "char" else " ").join(out)


def one_token_step(model: LanguageModel) -> Step:
    """Returns f(token id, state) -> (logits (1, 1, V), state): the model run on one more token.

    A sample is written a token at a time, and a class server writes one for every learner every few seconds:
    through the modules each token cost ~95 us, mostly Python around three small kernels. For a one-hot
    language model this calls the fused kernel nn.GRU & co. call (torch.gru, torch.lstm, torch.rnn_tanh...)
    with the same arguments, and the output layer's F.linear: the same numbers, about half the time
    (tests/test_generate_step.py checks them equal bit for bit). Any other model goes through the modules.
    """
    rnn = model.rnn
    if type(model) is not LanguageModel or model.lookup or rnn.bidirectional or rnn.proj_size or rnn.training:
        return lambda token, state: model(torch.tensor([[token]]), state)
    kernel, weights, head = fused_kernel(rnn), flat_weights(rnn), model.out
    rows = torch.eye(model.vocab_size)  # row i: token i one-hot

    def step(token: int, state: State) -> tuple[torch.Tensor, State]:
        out, state = kernel(rows[token].view(1, 1, -1), state, weights)
        return F.linear(out, head.weight, head.bias), state
    return step


def token_surprise(model: LanguageModel, vocab: Vocab, text: str, token: str = "char") -> tuple[list[str], torch.Tensor]:
    """Returns (tokens, probability the model gave each token after the first) for a passage."""
    tokens = tokenize(clean_text(text), token)
    ids = torch.tensor([vocab.encode(tokens)])
    model.eval()
    with torch.no_grad():
        logits, _ = model(ids[:, :-1])
        probs = torch.softmax(logits, dim=-1)[0, torch.arange(ids.shape[1] - 1), ids[0, 1:]]
    return tokens, probs
