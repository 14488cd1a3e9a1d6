"""The sentiment lesson's default classifier is good enough to teach with: accuracy per source and negation probes.

These train the real default (the configuration every server trains once), so they take tens of seconds; they run
in the default pytest run and can be skipped with -m "not slow".
"""

from __future__ import annotations

import pytest
import torch

from rnnviz.config import SENTIMENT_SOURCES
from rnnviz.data import build_sentiment
from rnnviz.data.sentiment import ALL
from rnnviz.negation import PROBES, negation_table
from rnnviz.tasks import make_model, make_task
from rnnviz.textstats import held_out
from rnnviz.train import TrainRun
from rnnviz.ui import cache
from rnnviz.ui.sentiment import DEFAULT_EMBED, DEFAULT_HIDDEN, DEFAULT_STEPS, default_cfg

BAR = 0.75


@pytest.fixture(scope="module")
def default_gru():
    cfg = default_cfg("gru")
    data = build_sentiment(cfg.sentiment)
    task = make_task(cfg, data)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the server trains it
    try:
        run = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)
        run.run(cfg.train.steps)
    finally:
        torch.set_num_threads(threads)
    return run.model.eval(), data


def test_the_default_is_the_gru_trained_on_every_source_at_the_shipped_size():
    cfg = default_cfg("gru")
    assert cfg.sentiment.source == ALL and cfg.model.cell == cache.DEFAULT_RUNS["sentiment"].model.cell == "gru"
    assert (cfg.model.hidden_size, cfg.model.embed_dim, cfg.train.steps) == (DEFAULT_HIDDEN, DEFAULT_EMBED, DEFAULT_STEPS)
    base = cache.DEFAULT_RUNS["sentiment"]
    assert (base.model.hidden_size, base.model.embed_dim, base.train.steps, base.sentiment.source) == \
        (DEFAULT_HIDDEN, DEFAULT_EMBED, DEFAULT_STEPS, ALL)


def test_training_on_all_sources_keeps_each_sources_own_held_out_sentences():
    both = build_sentiment(default_cfg("gru").sentiment)
    for source in SENTIMENT_SOURCES:
        alone = build_sentiment(default_cfg("gru", source).sentiment)
        mine = tuple(s for s, src in zip(both.test_sentences, both.test_sources) if src == source)
        assert mine == alone.test_sentences  # the same 200 sentences, never trained on, alone or together
    assert len(both.y_train) == 3 * 800 and len(both.y_test) == 3 * 200


@pytest.mark.slow
@pytest.mark.parametrize("source", SENTIMENT_SOURCES)
def test_the_default_reaches_the_bar_on_each_sources_held_out_sentences(default_gru, source):
    model, data = default_gru
    score = held_out(model, data, source)
    assert score.n == 200
    assert score.accuracy >= BAR, (source, score.accuracy, score.majority)


@pytest.mark.slow
def test_the_default_reads_good_above_not_good_on_every_negation_probe(default_gru):
    model, data = default_gru
    table = negation_table(model, data.vocab)
    assert len(table) == len(PROBES) >= 6
    worse = table[table["P(positive)"] <= table["P(positive) negated"]]
    assert worse.empty, worse
    assert (table["P(positive)"] > 0.5).mean() >= 0.75  # and the plain reviews read as positive
