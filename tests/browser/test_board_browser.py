"""The class board in real Chromium: runs saved by any process appear by themselves (the board's timer), the
teacher clears it, and the page never holds a learner code."""

from __future__ import annotations

import urllib.parse

import pytest
import torch

from rnnviz import classcode, runstore
from rnnviz.config import ModelConfig, RunConfig, TrainConfig
from rnnviz.train import StepMetrics

from .conftest import SCREENSHOTS, click_button, page_problems, save_screenshot, wait_for_app

pytestmark = pytest.mark.browser
LIVE_MS = 30_000  # the board refreshes every 3 s and reads the store at most every 2 s


def _save(token: str, code: str, nickname: str, cell: str, lr: float, loss: float) -> None:
    """Saves a finished run for a learner, as the lab of any class server process would."""
    cfg = RunConfig(task="lm", model=ModelConfig(cell=cell, hidden_size=16), train=TrainConfig(steps=3, lr=lr))
    history = [StepMetrics(i + 1, loss + 1.0 / (i + 1), 1.0, 1.0, False, lr, 30.0) for i in range(3)]
    runstore.save(token, runstore.StoredRun(runstore.new_run_id(), f"{cell} 16", cfg, history,
                                            {"head.bias": torch.zeros(3)}, status="done", board=(code, nickname)))


def test_the_board_fills_by_itself_and_the_teacher_clears_it(page, server):
    code, key = classcode.start_board()  # the server shares this process's store folder (RNNVIZ_DATA_DIR)
    tokens = [runstore.new_token(), runstore.new_token()]
    _save(tokens[0], code, "Ada", "gru", 0.01, 1.2)
    page.goto(f"{server.url}/Class_board?{urllib.parse.urlencode({'class': code, 'teacher': key})}",
              wait_until="domcontentloaded", timeout=120_000)
    wait_for_app(page, timeout_ms=120_000)
    page.get_by_text("1 run", exact=True).wait_for(timeout=LIVE_MS)
    assert "teacher=" not in page.url  # the key left the projected address bar
    _save(tokens[1], code, "", "lstm", 0.1, 1.6)  # a second learner, saved after the page was drawn
    page.get_by_text("2 runs", exact=True).wait_for(timeout=LIVE_MS)  # no reload: the board's own timer
    page.locator('.st-key-board_chart .marks').first.wait_for(timeout=LIVE_MS)  # a live chart (plots.vega)
    assert page_problems(page) == []
    html = page.content()
    assert [t for t in (*tokens, *(runstore.learner_key(t) for t in tokens)) if t in html] == []
    save_screenshot(page, SCREENSHOTS / "Class_board_live.png")
    click_button(page, "board_clear")
    page.get_by_text("No runs yet", exact=False).first.wait_for(timeout=LIVE_MS)
