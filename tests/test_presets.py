"""Presets and shareable links: every preset is valid, links round-trip, bad links fail with a clear message."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rnnviz.config import ModelConfig, SentimentConfig, SeriesConfig, TextConfig, TrainConfig
from rnnviz.data import load_corpus
from rnnviz.errors import ConfigError
from rnnviz.presets import LAB_DEFAULTS, PRESETS, PRESETS_BY_SLUG, decode_query, encode_query, preset_for, validate
from rnnviz.tasks import make_model, make_task
from rnnviz.train import TrainRun


def test_presets_are_valid_unique_and_found_by_config():
    assert len(PRESETS_BY_SLUG) == len(PRESETS)
    for preset in PRESETS:
        assert validate(preset.cfg) is preset.cfg
        assert preset_for(preset.cfg) is preset


@pytest.mark.parametrize("cfg", [p.cfg for p in PRESETS] + [
    replace(LAB_DEFAULTS["lm"], model=ModelConfig(cell="lstm", hidden_size=17, num_layers=2),
            train=TrainConfig(optimizer="sgd", lr=0.37, clip=None, steps=123, seed=42),
            text=TextConfig(num_steps=11, batch_size=5, sampling="random")),
    replace(LAB_DEFAULTS["forecast"], series=SeriesConfig(name="sunspots"), train=TrainConfig(lr=3e-4, clip=2.5)),
    replace(LAB_DEFAULTS["sentiment"], sentiment=SentimentConfig(source="yelp"), model=ModelConfig(cell="rnn_relu")),
])
def test_link_round_trips(cfg):
    params = encode_query(cfg)
    assert all(isinstance(v, str) for v in params.values())
    assert decode_query(params) == cfg


def test_custom_settings_are_not_a_preset_and_say_no_preset():
    cfg = replace(PRESETS[0].cfg, train=replace(PRESETS[0].cfg.train, seed=7))
    assert preset_for(cfg) is None
    assert "preset" not in encode_query(cfg)


def test_preset_slug_alone_opens_the_preset_and_overrides_apply():
    preset = PRESETS_BY_SLUG["exploding-rnn"]
    assert decode_query({"preset": "exploding-rnn"}) == preset.cfg
    changed = decode_query({"preset": "exploding-rnn", "clip": "1"})
    assert changed.train.clip == 1.0 and changed == PRESETS_BY_SLUG["clipped-rnn"].cfg


def test_the_tang_preset_and_a_corpus_link_round_trip():
    tang = PRESETS_BY_SLUG["tang-gru"]
    assert decode_query({"preset": "tang-gru"}) == tang.cfg and encode_query(tang.cfg)["preset"] == "tang-gru"
    assert encode_query(tang.cfg)["corpus"] == "tang_simplified"
    traditional = decode_query({"preset": "tang-gru", "corpus": "tang"})
    assert traditional.text.corpus == "tang" and preset_for(traditional) is None
    assert decode_query(encode_query(traditional)) == traditional
    with pytest.raises(ConfigError, match="corpus"):
        decode_query({"corpus": "war_and_peace"})


def test_a_vocabulary_cut_off_link_round_trips_and_a_bad_one_is_refused():
    tang = PRESETS_BY_SLUG["tang-gru"]
    assert encode_query(tang.cfg)["minfreq"] == "2"
    every = decode_query({"preset": "tang-gru", "minfreq": "1"})
    assert every.text.min_freq == 1 and preset_for(every) is None and decode_query(encode_query(every)) == every
    assert decode_query({}).text.min_freq == 1  # a link without it: every character, as before
    for bad in ("0", "101", "2.5", "two"):
        with pytest.raises(ConfigError, match="minfreq"):
            decode_query({"preset": "tang-gru", "minfreq": bad})


def test_list_values_take_the_last():
    assert decode_query({"task": ["lm", "forecast"]}).task == "forecast"


@pytest.mark.parametrize("params, setting", [
    ({"lr": "abc"}, "lr"), ({"lr": "0"}, "lr"), ({"lr": "nan"}, "lr"), ({"lr": "1e9"}, "lr"),
    ({"hidden": "0"}, "hidden"), ({"hidden": "99999"}, "hidden"), ({"hidden": "3.5"}, "hidden"),
    ({"layers": "9"}, "layers"), ({"cell": "transformer"}, "cell"), ({"task": "chess"}, "task"),
    ({"clip": "-1"}, "clip"), ({"opt": "lbfgs"}, "opt"), ({"seq": "1"}, "seq"), ({"steps": "0"}, "steps"),
    ({"task": "forecast", "series": "bitcoin"}, "series"), ({"task": "sentiment", "source": "x"}, "source"),
    ({"sampling": "shuffled"}, "sampling"), ({"seed": "-1"}, "seed"), ({"preset": "nope"}, "preset"),
])
def test_bad_links_name_the_setting(params, setting):
    with pytest.raises(ConfigError, match=setting):
        decode_query(params)


def test_exploding_preset_diverges_and_its_clipped_twin_trains():
    corpus = load_corpus(PRESETS_BY_SLUG["exploding-rnn"].cfg.text)
    runs = {}
    for slug in ("exploding-rnn", "clipped-rnn"):
        cfg = PRESETS_BY_SLUG[slug].cfg
        task = make_task(cfg, corpus)
        runs[slug] = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)
        runs[slug].run(40)
    assert runs["exploding-rnn"].diverged and "clipping" in runs["exploding-rnn"].diverged
    clipped = runs["clipped-rnn"]
    assert clipped.diverged is None and clipped.steps_done == 40
    assert any(m.clipped for m in clipped.history)
    assert clipped.history[-1].loss < clipped.history[0].loss
