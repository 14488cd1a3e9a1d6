"""How big a language model's weights are, before it is built: its parameter count, and whether a run file holds it.

A language model reads one-hot characters, so its first layer's input weights and its output layer grow with the
vocabulary: a GRU of 256 units on the ~2,500 characters of the Tang poems has a 7.7 MB weight_ih_l0, more than a run
file holds per weight (rnnviz.runfile.MAX_TENSOR_BYTES). The lab refuses such settings at Start, with the largest
hidden size that fits, instead of training a run that could never be saved or restored. A short text (a learner's
own) is refused the same way when it cannot fill one minibatch.
"""

from __future__ import annotations

from rnnviz.cells import SPECS
from rnnviz.config import ModelConfig, RunConfig, bounds
from rnnviz.errors import ConfigError
from rnnviz.runfile import MAX_TENSOR_BYTES

FLOAT_BYTES = 4  # float32


def lm_weight_sizes(model: ModelConfig, vocab: int) -> dict[str, int]:
    """Returns the number of numbers in each weight matrix of a language model, by its state_dict name."""
    g, hidden = len(SPECS[model.cell].blocks), model.hidden_size
    sizes = {"rnn.weight_ih_l0": g * hidden * vocab, "out.weight": vocab * hidden}
    for layer in range(model.num_layers):
        sizes[f"rnn.weight_hh_l{layer}"] = g * hidden * hidden
        if layer:
            sizes[f"rnn.weight_ih_l{layer}"] = g * hidden * hidden
    return sizes


def lm_param_count(model: ModelConfig, vocab: int) -> int:
    """Returns every parameter of a language model of `vocab` tokens: its recurrent layers plus the output layer."""
    spec, hidden = SPECS[model.cell], model.hidden_size
    layers = sum(spec.param_count(vocab if k == 0 else hidden, hidden, model.bias) for k in range(model.num_layers))
    return layers + hidden * vocab + vocab  # the output layer always has its bias (rnnviz.models.LanguageModel)


def largest_weight(model: ModelConfig, vocab: int) -> tuple[str, int]:
    """Returns the name and size in bytes of the largest weight of a language model of `vocab` tokens."""
    name, numbers = max(lm_weight_sizes(model, vocab).items(), key=lambda kv: kv[1])
    return name, numbers * FLOAT_BYTES


def largest_hidden_that_fits(model: ModelConfig, vocab: int, limit: int = MAX_TENSOR_BYTES) -> int:
    """Returns the largest hidden size (within the lab's bounds) whose every weight fits in `limit` bytes (0: none)."""
    low, high = bounds(ModelConfig, "hidden_size")
    fitting = (h for h in range(high, low - 1, -1) if largest_weight(ModelConfig(model.cell, h, model.num_layers,
                                                                                  model.bias), vocab)[1] <= limit)
    return next(fitting, 0)


def check_fits(cfg: RunConfig, vocab: int, limit: int = MAX_TENSOR_BYTES) -> RunConfig:
    """Returns cfg if a language model of it on `vocab` tokens can be saved in a run file; raises ConfigError if not."""
    if cfg.task != "lm":
        return cfg  # forecasters have no vocabulary; a classifier's embeddings are bounded by its own settings
    name, size = largest_weight(cfg.model, vocab)
    if size > limit:
        raise ConfigError("training_lab.errors.too_big", cell=SPECS[cfg.model.cell].label, hidden=cfg.model.hidden_size,
                          vocab=vocab, size=size / 1e6, weight=name, limit=limit / 1e6,
                          fits=largest_hidden_that_fits(cfg.model, vocab, limit))
    return cfg


def check_text_fills_a_batch(cfg: RunConfig, tokens: int) -> RunConfig:
    """Returns cfg if a corpus of `tokens` tokens fills at least one minibatch of it; raises ConfigError if not.

    d2l's partitioning drops up to num_steps - 1 tokens at the start and needs one more for the last label.
    """
    text = cfg.text
    need = text.batch_size * text.num_steps + text.num_steps
    if cfg.task == "lm" and tokens < need:
        raise ConfigError("training_lab.errors.too_short", tokens=tokens, batch=text.batch_size, seq=text.num_steps,
                          need=need)
    return cfg
