"""Hyperparameters at their extremes: every run either trains with finite metrics or refuses with a message.

A refusal is a ConfigError / DataError (raised before training) or Diverged (raised by a step,
weights restored); any other exception is a traceback a learner would see, and fails here.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from rnnviz.config import CELLS, ModelConfig, RunConfig, SeriesConfig, TextConfig, TrainConfig
from rnnviz.data import build_corpus, sine_series
from rnnviz.data.text import load_corpus_text
from rnnviz.errors import ConfigError, DataError
from rnnviz.models import make_rnn
from rnnviz.tasks import ForecastTask, make_model, make_task
from rnnviz.train import Diverged, TrainRun

STEPS = 4
LIBRARY_MAX_HIDDEN, LIBRARY_MAX_LAYERS = 4096, 8


@pytest.fixture(scope="module")
def corpus():
    return build_corpus(load_corpus_text()[:3000])


@pytest.fixture(scope="module")
def sine():
    return sine_series(T=200)


def lm_cfg(**changes) -> RunConfig:
    model = ModelConfig(cell=changes.pop("cell", "gru"), hidden_size=changes.pop("hidden", 8),
                        num_layers=changes.pop("layers", 1))
    text = TextConfig(num_steps=changes.pop("seq", 8), batch_size=changes.pop("batch", 4))
    train = TrainConfig(**{"steps": STEPS, **changes})
    return RunConfig(task="lm", model=model, train=train, text=text)


def forecast_cfg(**changes) -> RunConfig:
    model = ModelConfig(cell=changes.pop("cell", "gru"), hidden_size=changes.pop("hidden", 8),
                        num_layers=changes.pop("layers", 1))
    series = SeriesConfig(T=200, n_train=120, window=changes.pop("seq", 8))
    return RunConfig(task="forecast", model=model, train=TrainConfig(**{"steps": STEPS, **changes}), series=series)


def run_or_refuse(cfg: RunConfig, data, batch_size: int | None = None) -> str:
    """Returns 'ran' (finite metrics every step) or 'refused' (a clear message); anything else raises."""
    try:
        task = make_task(cfg, data)
        if batch_size is not None and isinstance(task, ForecastTask):
            task = replace(task, batch_size=batch_size)
        run = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)
        for _ in range(cfg.train.steps):
            m = run.step()
            assert all(math.isfinite(v) for v in (m.loss, m.grad_norm, m.applied_norm)), m
        assert all(torch.isfinite(p).all() for p in run.model.parameters())
        return "ran"
    except (ConfigError, DataError, Diverged) as err:
        message = str(err)
        assert len(message) > 20 and "Traceback" not in message, message
        if isinstance(err, Diverged):  # the model is back at its last good weights
            assert all(torch.isfinite(p).all() for p in run.model.parameters())
        return "refused"


# --- width and depth -------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_hidden_1_trains(cell, corpus, sine):
    assert run_or_refuse(lm_cfg(cell=cell, hidden=1), corpus) == "ran"
    assert run_or_refuse(forecast_cfg(cell=cell, hidden=1), sine) == "ran"


@pytest.mark.parametrize("cell", CELLS)
def test_lab_maximum_trains(cell, corpus):
    from rnnviz.presets import LIMITS

    cfg = lm_cfg(cell=cell, hidden=LIMITS["hidden"][1], layers=LIMITS["layers"][1], seq=6, batch=2)
    assert run_or_refuse(replace(cfg, train=replace(cfg.train, steps=2)), corpus) in ("ran", "refused")


def test_library_maximum_width_runs_a_step(sine):
    # 4096 units: the largest width make_rnn accepts; one tiny forecaster step must still work.
    cfg = forecast_cfg(cell="rnn_tanh", hidden=LIBRARY_MAX_HIDDEN, seq=3, steps=1)
    assert run_or_refuse(cfg, sine, batch_size=2) in ("ran", "refused")


def test_library_maximum_depth_runs(sine):
    assert run_or_refuse(forecast_cfg(layers=LIBRARY_MAX_LAYERS, hidden=4, seq=4), sine) == "ran"


@pytest.mark.parametrize("hidden, layers", [(0, 1), (-3, 1), (LIBRARY_MAX_HIDDEN + 1, 1), (8, 0),
                                            (8, LIBRARY_MAX_LAYERS + 1)])
def test_impossible_sizes_are_refused_with_the_range(hidden, layers):
    with pytest.raises(ConfigError) as info:
        make_rnn(ModelConfig(hidden_size=hidden, num_layers=layers), input_size=3)
    assert "Hidden size" in str(info.value) and "layers" in str(info.value)


def test_unknown_cell_is_named():
    with pytest.raises(ConfigError) as info:
        make_rnn(ModelConfig(cell="transformer"), input_size=3)
    assert "transformer" in str(info.value)


# --- learning rate, clipping, optimizer ------------------------------------------------------------


@pytest.mark.parametrize("lr", [1e-6, 1e-5])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_tiny_learning_rates_train(lr, optimizer, corpus):
    assert run_or_refuse(lm_cfg(lr=lr, optimizer=optimizer), corpus) == "ran"


@pytest.mark.parametrize("lr", [10.0, 100.0])
@pytest.mark.parametrize("clip", [None, 1.0])
@pytest.mark.parametrize("cell", ["rnn_relu", "lstm"])
def test_huge_learning_rates_train_or_report_divergence(lr, clip, cell, corpus, sine):
    cfg = lm_cfg(cell=cell, lr=lr, optimizer="sgd", clip=clip, steps=8)
    assert run_or_refuse(cfg, corpus) in ("ran", "refused")
    assert run_or_refuse(forecast_cfg(cell=cell, lr=lr, optimizer="sgd", clip=clip, steps=8), sine) in ("ran", "refused")


@pytest.mark.parametrize("lr", [0.0, -0.01, float("nan"), float("inf")])
def test_impossible_learning_rates_are_refused(lr, corpus):
    with pytest.raises(ConfigError) as info:
        TrainRun(torch.nn.Linear(2, 2), None, TrainConfig(lr=lr))
    assert "learning rate" in str(info.value)


@pytest.mark.parametrize("clip", [0.0, -1.0])
def test_impossible_clipping_is_refused(clip):
    with pytest.raises(ConfigError) as info:
        TrainRun(torch.nn.Linear(2, 2), None, TrainConfig(clip=clip))
    assert "clipping" in str(info.value)


@pytest.mark.parametrize("clip", [1e-4, 0.01, 1000.0])
def test_clipping_extremes_train(clip, corpus):
    assert run_or_refuse(lm_cfg(clip=clip), corpus) == "ran"


def test_unknown_optimizer_is_named():
    with pytest.raises(ConfigError) as info:
        TrainRun(torch.nn.Linear(2, 2), None, TrainConfig(optimizer="lbfgs"))
    assert "lbfgs" in str(info.value)


# --- sequence length, truncation, batch ------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_sequence_length_1_trains(cell, corpus, sine):
    assert run_or_refuse(lm_cfg(cell=cell, seq=1), corpus) == "ran"
    assert run_or_refuse(forecast_cfg(cell=cell, seq=1), sine) == "ran"


@pytest.mark.parametrize("bptt", [1, 2, 10_000])
def test_truncation_extremes_train(bptt, corpus):
    assert run_or_refuse(lm_cfg(bptt=bptt, seq=6), corpus) == "ran"


def test_sequence_longer_than_the_text_is_refused(corpus):
    short = build_corpus("the time machine by h g wells")
    assert run_or_refuse(lm_cfg(seq=200, batch=32), short) == "refused"


def test_batch_1_trains(corpus):
    assert run_or_refuse(lm_cfg(batch=1), corpus) == "ran"


# --- the lab's validation and shared links ---------------------------------------------------------


def test_lab_limits_are_inclusive_and_refused_outside():
    presets = pytest.importorskip("rnnviz.presets")
    base = presets.LAB_DEFAULTS["lm"]
    ok_low = replace(base, model=replace(base.model, hidden_size=presets.LIMITS["hidden"][0]),
                     train=replace(base.train, lr=presets.LR_RANGE[0]))
    ok_high = replace(base, model=replace(base.model, hidden_size=presets.LIMITS["hidden"][1],
                                          num_layers=presets.LIMITS["layers"][1]),
                      train=replace(base.train, lr=presets.LR_RANGE[1]))
    assert presets.validate(ok_low) is ok_low and presets.validate(ok_high) is ok_high
    for name, cfg in [
        ("hidden", replace(base, model=replace(base.model, hidden_size=presets.LIMITS["hidden"][1] + 1))),
        ("layers", replace(base, model=replace(base.model, num_layers=0))),
        ("lr", replace(base, train=replace(base.train, lr=presets.LR_RANGE[1] * 10))),
        ("seq", replace(base, text=replace(base.text, num_steps=presets.LIMITS["seq"][0] - 1))),
    ]:
        with pytest.raises(ConfigError) as info:
            presets.validate(cfg)
        assert f"'{name}'" in str(info.value), str(info.value)


@pytest.mark.parametrize("params, setting", [
    ({"hidden": "abc"}, "hidden"), ({"hidden": "1e9"}, "hidden"), ({"hidden": "0"}, "hidden"),
    ({"layers": "99"}, "layers"), ({"lr": "nan"}, "lr"), ({"lr": "-1"}, "lr"), ({"lr": "inf"}, "lr"),
    ({"lr": "fast"}, "lr"), ({"clip": "0"}, "clip"), ({"cell": "transformer"}, "cell"),
    ({"seq": "1"}, "seq"), ({"task": "chess"}, "task"), ({"preset": "nope"}, "preset"),
    ({"opt": "lbfgs"}, "opt"), ({"steps": ""}, "steps"),
])
def test_bad_shared_links_are_refused_naming_the_setting(params, setting):
    presets = pytest.importorskip("rnnviz.presets")
    with pytest.raises(ConfigError) as info:
        presets.decode_query(params)
    assert setting in str(info.value), str(info.value)
