"""The one gate: every field of every config declares bounds or options, and nothing else gets through."""

from __future__ import annotations

import dataclasses
import inspect
import math
from dataclasses import fields, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz import config
from rnnviz.errors import ConfigError
from rnnviz.presets import LAB_DEFAULTS, PRESETS, decode_query, encode_query, validate
from rnnviz.query import parse

CONFIGS = [c for _, c in inspect.getmembers(config, inspect.isclass) if dataclasses.is_dataclass(c)]
SECTIONS = {"model": config.ModelConfig, "train": config.TrainConfig, "text": config.TextConfig,
            "series": config.SeriesConfig, "sentiment": config.SentimentConfig}


def test_every_field_of_every_config_declares_bounds_or_options():
    assert len(CONFIGS) >= 7
    for cls in CONFIGS:
        for f in fields(cls):
            if dataclasses.is_dataclass(f.default):
                continue
            assert {"bounds", "options", "max_chars"} & set(f.metadata), f"{cls.__name__}.{f.name} has no bounds"
            config.check_field(cls, f.name, f.default)  # the default itself passes


def test_every_shipped_config_passes_the_gate():
    from rnnviz.ui.cache import DEFAULT_RUNS

    for cfg in [*LAB_DEFAULTS.values(), *(p.cfg for p in PRESETS), *DEFAULT_RUNS.values()]:
        assert validate(cfg) is cfg
    for cfg in [*LAB_DEFAULTS.values(), *(p.cfg for p in PRESETS)]:  # what the lab's links carry
        assert decode_query(encode_query(cfg)) == cfg
    config.check(config.ForecastConfig())


ANY = st.one_of(st.none(), st.booleans(), st.integers(-10**15, 10**15), st.floats(), st.text(max_size=12),
                st.lists(st.integers(0, 300), max_size=3).map(tuple))


@settings(max_examples=300, deadline=None, database=None)
@given(st.sampled_from([(s, f.name) for s, cls in SECTIONS.items() for f in fields(cls)]), ANY)
def test_a_value_passes_only_if_it_is_in_its_fields_range(where, value):
    section, name = where
    cls = SECTIONS[section]
    cfg = replace(LAB_DEFAULTS["lm"], **{section: replace(getattr(LAB_DEFAULTS["lm"], section), **{name: value})})
    meta = next(f.metadata for f in fields(cls) if f.name == name)
    try:
        config.check(cfg)
    except ConfigError as err:
        assert f"{section}.{name}" in str(err)
        return
    if "options" in meta:
        assert value in meta["options"] and type(value) is type(meta["options"][0])
    elif "max_chars" in meta:  # a text field (an own corpus): None or a str of bounded length
        assert value is None or isinstance(value, str) and len(value) <= meta["max_chars"]
    elif value is not None:
        low, high = meta["bounds"]
        assert not isinstance(value, (bool, str, tuple)) and math.isfinite(value) and low <= value <= high


@settings(max_examples=200, deadline=None, database=None)
@given(st.dictionaries(st.sampled_from(["task", "cell", "hidden", "layers", "opt", "lr", "clip", "steps", "seed",
                                        "seq", "batch", "sampling", "series", "source", "preset"]),
                       st.one_of(st.sampled_from(["nan", "inf", "-inf", "1e400", "-5", "0", "off", "gru", "lm"]),
                                 st.text(max_size=10), st.floats().map(repr)), max_size=5))
def test_a_link_gives_a_valid_config_or_a_config_error(params):
    try:
        cfg = decode_query(params)
    except ConfigError as err:
        assert "`" in str(err) or "Setting" in str(err)
        return
    assert validate(cfg) is cfg
    assert math.isfinite(cfg.train.lr) and (cfg.train.clip is None or math.isfinite(cfg.train.clip))


@pytest.mark.parametrize("raw, default, bounds, expected", [
    ("nan", 0.6, (0.3, 0.9), 0.6), ("inf", 0.6, None, 0.6), ("1e400", 0.9, (0.5, 2.0), 0.9),
    ("-1e400", 0.9, None, 0.9), ("0.45", 0.6, (0.3, 0.9), 0.45), ("-5", 0, (0, 63), 0), ("12", 0, (0, 63), 12),
    ("9" * 50, 3, None, 3), ("3.5", 3, None, 3), ("x" * 3000, "", None, ""), ("<b>", "text", None, "<b>"),
])
def test_the_link_parser(raw, default, bounds, expected):
    parsed = parse("p", raw, default, bounds=bounds)
    assert parsed.value == expected and type(parsed.value) is type(expected)
    assert (parsed.problem is None) == (raw == str(expected)), parsed.problem
    if parsed.problem:
        assert parsed.problem.startswith("The link's `p` value `") and "\n" not in parsed.problem
