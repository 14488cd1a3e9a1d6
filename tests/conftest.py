"""Shared test helpers: the project root and an AppTest factory with a timeout that fits torch."""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
# Runs saved by page and browser tests go to a throwaway run store, never the real data folder.
if "RNNVIZ_DATA_DIR" not in os.environ:
    os.environ["RNNVIZ_DATA_DIR"] = tempfile.mkdtemp(prefix="rnnviz-test-store-")
    atexit.register(shutil.rmtree, os.environ["RNNVIZ_DATA_DIR"], True)


@pytest.fixture(autouse=True)
def _one_thread_and_seed():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield


def app_test(relative: str, timeout: float = 120.0):
    """Returns an AppTest for a file given relative to the project root (AppTest resolves against the test file)."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(ROOT / relative), default_timeout=timeout)


def run_async(coro):
    """Returns asyncio.run(coro) run in a thread of its own: the browser suite's Playwright keeps an event loop
    running in the main thread for the whole session, where asyncio.run refuses to start."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture
def tiny_defaults(monkeypatch):
    """Shrinks the lessons' default LM, forecaster and classifiers so each page trains them in well under a second."""
    from rnnviz.ui import cache
    from rnnviz.ui import sentiment as sentiment_ui

    for task in ("lm", "forecast"):
        base = cache.DEFAULT_RUNS[task]
        monkeypatch.setitem(cache.DEFAULT_RUNS, task, replace(base, model=replace(base.model, hidden_size=8),
                                                              train=replace(base.train, steps=4)))
    monkeypatch.setattr(sentiment_ui, "DEFAULT_HIDDEN", 8)
    monkeypatch.setattr(sentiment_ui, "DEFAULT_STEPS", 4)
    monkeypatch.setattr(sentiment_ui, "DEFAULT_EMBED", 8)


@pytest.fixture
def small_defaults(monkeypatch):
    """Makes the lessons' default models quick to train (at most 20 steps): for suites about messages and survival."""
    from rnnviz.ui import cache

    quick = {task: replace(cfg, train=replace(cfg.train, steps=min(cfg.train.steps, 20)))
             for task, cfg in cache.DEFAULT_RUNS.items()}
    monkeypatch.setattr(cache, "DEFAULT_RUNS", quick)
