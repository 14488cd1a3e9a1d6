"""The class server and the run store together: learners train through the proxy, as a browser does (Streamlit's
websocket, the Start button clicked by its widget id), on two processes; the class board shows both runs without
a learner code; a learner whose process is killed comes back through the proxy to the other one with their runs.

Needs haproxy (skipped with the reason otherwise, like tests/test_serve.py, whose class_server fixture it uses).
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import urllib.parse
from dataclasses import replace
from pathlib import Path

import pytest
import websockets
from conftest import run_async
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from test_serve import _children, _proc_text, class_server, needs_haproxy  # noqa: F401  (class_server: a fixture)

from rnnviz import classcode, runstore, serve
from rnnviz.presets import LAB_DEFAULTS, encode_query

TINY = replace(LAB_DEFAULTS["lm"], model=replace(LAB_DEFAULTS["lm"].model, cell="gru", hidden_size=8),
               train=replace(LAB_DEFAULTS["lm"].train, steps=40))


@pytest.fixture()
def store(class_server, monkeypatch):  # noqa: F811
    """Points this process's run store at the class server's data folder; yields (proxy URL, data folder)."""
    _, url, data = class_server
    monkeypatch.setenv(runstore.DATA_ENV, str(data))
    return url, data


def _rerun(page: str, query: str, trigger: str | None = None) -> bytes:
    msg = BackMsg()
    msg.rerun_script.query_string, msg.rerun_script.page_name = query, page
    if trigger:
        widget = msg.rerun_script.widget_states.widgets.add()
        widget.id, widget.trigger_value = trigger, True
    return msg.SerializeToString()


async def _run(ws, payload: bytes) -> list[ForwardMsg]:
    """Sends a rerun and returns every message up to the end of that script run."""
    await ws.send(payload)
    out = []
    while True:
        msg = ForwardMsg.FromString(await asyncio.wait_for(ws.recv(), 120))
        out.append(msg)
        if msg.WhichOneof("type") == "script_finished":
            return out


def _elements(msgs: list[ForwardMsg]) -> list:
    return [m.delta.new_element for m in msgs if m.WhichOneof("type") == "delta"
            and m.delta.WhichOneof("type") == "new_element"]


def _errors(msgs: list[ForwardMsg]) -> list[str]:
    return [el.exception.message if el.WhichOneof("type") == "exception" else el.alert.body
            for el in _elements(msgs) if el.WhichOneof("type") == "exception"
            or (el.WhichOneof("type") == "alert" and el.alert.format == el.alert.ERROR)]


async def _session(url: str, server: str, page: str, query: str, click: str | None = None):
    """Opens a page through the proxy pinned to server by the sticky cookie; clicks the button whose id ends
    with click, if given. Returns (the process that answered the websocket, the messages of the last run)."""
    ws_url = url.replace("http", "ws", 1) + "/_stcore/stream"
    async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=60,
                                  additional_headers={"Cookie": f"{serve.COOKIE}={server}"}) as ws:
        backend = ws.response.headers.get(serve.BACKEND_HEADER, "")
        msgs = await _run(ws, _rerun(page, query))
        if click is not None:
            button = next(el.button.id for el in _elements(msgs)
                          if el.WhichOneof("type") == "button" and el.button.id.endswith(click))
            msgs = await _run(ws, _rerun(page, query, trigger=button))
        return backend, msgs


def _train(url: str, server: str, token: str, code: str) -> None:
    """A learner opens the class link (with their own code in the URL, as after a reload) and presses Start."""
    query = urllib.parse.urlencode({**encode_query(TINY), "learner": token, "class": code})
    backend, msgs = run_async(_session(url, server, "Training_lab", query, click="lab_start"))
    assert backend == server and _errors(msgs) == []


@needs_haproxy
def test_the_board_shows_runs_trained_on_both_processes_and_no_learner_code(store):
    url, _ = store
    code, _ = classcode.start_board()
    tokens = {"s1": runstore.new_token(), "s2": runstore.new_token()}
    for server, token in tokens.items():
        _train(url, server, token, code)
        saved = runstore.list_runs(token)  # the Start press saved the run before its script run ended
        assert [(s.class_code, s.cell, s.hidden_size) for s in saved] == [(code, "gru", 8)]
    backend, msgs = run_async(_session(url, "s1", "Class_board", urllib.parse.urlencode({"class": code})))
    assert backend == "s1" and _errors(msgs) == []
    text = " ".join(el.markdown.body for el in _elements(msgs) if el.WhichOneof("type") == "markdown")
    assert "**2 runs** on this board." in text
    kinds = {el.WhichOneof("type") for el in _elements(msgs)}
    assert {"dataframe", "vega_lite_chart"} <= kinds  # the runs' table and their chart (a live chart, plots.vega)
    raw = b"".join(m.SerializeToString() for m in msgs)
    secrets = [*tokens.values(), *(runstore.learner_key(t) for t in tokens.values())]
    secrets += [s.run_id for t in tokens.values() for s in runstore.list_runs(t)]
    assert [s for s in secrets if s.encode() in raw] == []


def _backend_pid(proxy_pid: int, name: str) -> int:
    """Returns the pid of the Streamlit process the proxy calls name (from the proxy's generated config)."""
    children = _children(proxy_pid)
    haproxy = next(pid for pid in children if "haproxy" in Path(_proc_text(pid, "cmdline")[0]).name)
    args = _proc_text(haproxy, "cmdline")
    config = Path(args[args.index("-f") + 1]).read_text(encoding="utf-8")
    port = next(line.split()[2].rsplit(":", 1)[1] for line in config.splitlines()
                if line.split()[:2] == ["server", name])
    return next(pid for pid in children if port in _proc_text(pid, "cmdline"))


@needs_haproxy
def test_a_learner_whose_process_is_killed_comes_back_on_the_other_with_their_runs(store, class_server):  # noqa: F811
    """Runs last in this module: it kills one of the class server's processes."""
    url, _ = store
    proc = class_server[0]
    token = runstore.new_token()
    _train(url, "s1", token, classcode.start_board()[0])
    victim = _backend_pid(proc.pid, "s1")
    gone = os.pidfd_open(victim)  # readable once the process has exited and its sockets are closed
    os.kill(victim, signal.SIGKILL)
    try:
        assert select.select([gone], [], [], 60)[0], "the killed process did not exit"
    finally:
        os.close(gone)
    query = urllib.parse.urlencode({"learner": token})
    # The browser still has cookie s1: the proxy sends it to s2 (or to s1 restarted by the serve command, if it is
    # already up again): either way a process that has never seen this learner's session.
    backend, msgs = run_async(_session(url, "s1", "Training_lab", query))
    assert backend in ("s1", "s2") and _errors(msgs) == []
    assert proc.poll() is None, "one process dying must not stop the class"
    notes = [el.alert.body for el in _elements(msgs) if el.WhichOneof("type") == "alert"]
    assert any("Your 1 saved run is back" in n for n in notes), notes
