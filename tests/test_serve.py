"""The class server: configuration, sticky routing through HAProxy (page, websocket, upload) and a clean stop.

The tests that need haproxy skip with the reason when it is missing, unless RNNVIZ_REQUIRE_BROWSER=1
(CI sets it and installs Debian's haproxy): then a missing haproxy is a failure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, run_async

from rnnviz import processes, serve

REQUIRE = os.environ.get("RNNVIZ_REQUIRE_BROWSER") == "1"
HAPROXY = serve.haproxy_path()
needs_haproxy = pytest.mark.skipif(HAPROXY is None and not REQUIRE,
                                   reason="haproxy is not installed (Debian: apt-get install haproxy)")
READY_S = 150.0  # two Streamlit processes import torch on a busy machine


def test_replicas_auto_is_one_per_core_and_bad_values_are_refused():
    assert serve.parse_replicas("auto") == serve.auto_replicas() >= 1
    assert serve.parse_replicas(" 3 ") == 3
    for bad in ("0", "-1", "two", str(serve.MAX_REPLICAS + 1), "1e3"):
        with pytest.raises(argparse.ArgumentTypeError):
            serve.parse_replicas(bad)


def test_data_folder_defaults_to_the_run_stores_and_follows_the_variable(tmp_path):
    from rnnviz import runstore

    assert serve.data_dir({}) == runstore.DEFAULT_DIR.resolve()  # one folder for the store and the class server
    assert serve.data_dir({serve.DATA_ENV: str(tmp_path)}) == tmp_path.resolve()
    env = serve.backend_env(tmp_path, 3, base={"PATH": "/bin"})
    assert env[serve.DATA_ENV] == str(tmp_path) and env[serve.REPLICAS_ENV] == "3" and env["PATH"] == "/bin"
    assert env[serve.CORES_ENV] == str(serve.auto_replicas())
    assert "/rnnviz-data/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_config_has_one_sticky_server_line_per_backend():
    backends = [serve.Backend("s1", 40001), serve.Backend("s2", 40002)]
    text = serve.render_config(serve.TEMPLATE.read_text(encoding="utf-8"), "127.0.0.1:9999", backends)
    assert "bind 127.0.0.1:9999" in text
    assert "server s1 127.0.0.1:40001 cookie s1" in text and "server s2 127.0.0.1:40002 cookie s2" in text
    assert f"cookie {serve.COOKIE} insert" in text and "timeout tunnel" in text
    assert not serve.MARKER.search(text)
    with pytest.raises(ValueError):
        serve.render_config("bind {{bind}}\n{{servers}}\n{{later}}", "x", backends)


def _haproxy() -> str:
    assert HAPROXY is not None, "haproxy is required here (RNNVIZ_REQUIRE_BROWSER=1); Debian: apt-get install haproxy"
    return HAPROXY


@needs_haproxy
def test_haproxy_accepts_the_generated_and_the_standalone_config(tmp_path):
    generated = tmp_path / "haproxy.cfg"
    generated.write_text(serve.render_config(serve.TEMPLATE.read_text(encoding="utf-8"), "127.0.0.1:8501",
                                             [serve.Backend("s1", 40001), serve.Backend("s2", 40002)]))
    for path in (generated, ROOT / "deploy" / "haproxy.cfg"):
        verdict = serve.check_config(_haproxy(), path)
        assert verdict.returncode == 0, f"{path.name}: {verdict.stdout}{verdict.stderr}"
    broken = tmp_path / "broken.cfg"
    broken.write_text(generated.read_text().replace("balance roundrobin", "balance no-such-algorithm"))
    assert serve.check_config(_haproxy(), broken).returncode != 0


def _children(pid: int) -> list[int]:
    """Returns the pids whose parent is pid (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _proc_text(pid: int, name: str) -> list[str]:
    return (Path("/proc") / str(pid) / name).read_bytes().decode(errors="replace").split("\0")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(scope="module")
def class_server(tmp_path_factory):
    """The serve command started as a learner's teacher would, with 2 replicas; yields (process, url, data folder)."""
    _haproxy()
    data = tmp_path_factory.mktemp("runs")
    port = serve.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "rnnviz.serve", "--replicas", "2", "--host", "127.0.0.1",
                             "--port", str(port), "--data-dir", str(data), "--timeout", str(READY_S)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    seen, end = [], time.monotonic() + READY_S + 30
    try:
        while not any("students open" in line for line in seen):
            assert proc.poll() is None, f"the class server exited: {''.join(seen)}"
            try:
                seen.append(lines.get(timeout=max(0.1, end - time.monotonic())))
            except queue.Empty:
                pytest.fail(f"the class server was not ready in time: {''.join(seen)}")
        yield proc, f"http://127.0.0.1:{port}", data
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)


def _get(url: str, cookie: str = "") -> tuple[int, dict[str, str]]:
    """Returns (status, headers with lower-case names) of a GET."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}


def test_a_process_per_core_keeps_each_to_its_own_core_and_fewer_processes_are_not_pinned():
    cores = [0, 1, 2, 3]
    assert [serve.pinned_core(i, 4, cores) for i in range(4)] == [{0}, {1}, {2}, {3}]
    assert [serve.pinned_core(i, 6, cores) for i in range(6)] == [{0}, {1}, {2}, {3}, {0}, {1}]
    assert serve.pinned_core(0, 3, cores) is None  # a core left over: let the scheduler spread them
    assert serve.pinned_core(1, 2, [4, 7]) == {7}  # the cores this process may use, whatever their numbers


@pytest.mark.skipif(sys.platform != "linux", reason="CPU affinity is Linux's")
def test_a_spawned_process_and_every_thread_it_starts_keep_to_the_given_cores(tmp_path):
    core = max(os.sched_getaffinity(0))
    code = ("import os, threading; out = []; t = threading.Thread(target=lambda: out.append(os.sched_getaffinity(0)));"
            "t.start(); t.join(); print(sorted(os.sched_getaffinity(0)), sorted(out[0]))")
    proc = processes.spawn([sys.executable, "-c", code], tmp_path / "log", cpus=frozenset({core}))
    assert proc.wait(timeout=30) == 0
    assert (tmp_path / "log").read_text().strip() == f"[{core}] [{core}]"
    free = processes.spawn([sys.executable, "-c", code], tmp_path / "free", cpus=None)
    assert free.wait(timeout=30) == 0
    everything = sorted(os.sched_getaffinity(0))
    assert (tmp_path / "free").read_text().strip() == f"{everything} {everything}"


def _cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Returns name -> value of every Set-Cookie header."""
    return dict(v.split(";", 1)[0].split("=", 1) for k, v in headers if k.lower() == "set-cookie")


@needs_haproxy
def test_every_process_gets_the_same_data_folder(class_server):
    proc, _, data = class_server
    backends = [pid for pid in _children(proc.pid) if "streamlit" in _proc_text(pid, "cmdline")]
    assert len(backends) == 2
    for pid in backends:
        env = dict(item.split("=", 1) for item in _proc_text(pid, "environ") if "=" in item)
        assert env[serve.DATA_ENV] == str(data) and env[serve.REPLICAS_ENV] == "2"


@needs_haproxy
def test_the_sticky_cookie_pins_page_websocket_and_upload_to_one_process(class_server):
    _, url, _ = class_server
    with urllib.request.urlopen(url + "/", timeout=30) as first:
        cookies = _cookies(first.headers.items())
        served_by = first.headers[serve.BACKEND_HEADER]
    assert cookies.get(serve.COOKIE) == served_by, "the first response must set the sticky cookie"
    other = "s1" if served_by == "s2" else "s2"
    for _ in range(8):
        status, headers = _get(url + serve.HEALTH, f"{serve.COOKIE}={served_by}")
        assert (status, headers[serve.BACKEND_HEADER.lower()]) == (200, served_by)
    assert _get(url + serve.HEALTH, f"{serve.COOKIE}={other}")[1][serve.BACKEND_HEADER.lower()] == other

    xsrf = headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]  # Streamlit's _streamlit_xsrf, as the page gets it
    jar = f"{serve.COOKIE}={served_by}; _streamlit_xsrf={xsrf}"
    ws_backend, mine, elsewhere = run_async(_session_and_uploads(url, jar, f"{serve.COOKIE}={other}", xsrf))
    assert ws_backend == served_by, "the websocket reached another process than the page"
    assert mine == (204, ""), "the upload did not reach the process holding the session"
    # The same upload pinned to the other process fails: that process has never heard of this session.
    assert elsewhere[0] == 400 and "session_id" in elsewhere[1]


async def _session_and_uploads(url: str, cookie: str, other_cookie: str, xsrf: str):
    """Opens Streamlit's websocket through the proxy and runs the home page; while it is open, uploads a file
    with the session's cookie and with the other process's. Returns (backend of the websocket, both uploads)."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = BackMsg()
    msg.rerun_script.query_string = ""
    async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                                  additional_headers={"Cookie": cookie}, max_size=None, open_timeout=60) as ws:
        backend = ws.response.headers.get(serve.BACKEND_HEADER, "")
        await ws.send(msg.SerializeToString())
        session_id = ""
        while not session_id:
            fwd = ForwardMsg.FromString(await asyncio.wait_for(ws.recv(), 120))
            if fwd.WhichOneof("type") == "new_session":
                session_id = fwd.new_session.initialize.session_id
        mine = await asyncio.to_thread(_upload, url, session_id, cookie, xsrf)
        elsewhere = await asyncio.to_thread(_upload, url, session_id, other_cookie + f"; _streamlit_xsrf={xsrf}", xsrf)
        return backend, mine, elsewhere


def _upload(url: str, session_id: str, cookie: str, xsrf: str) -> tuple[int, str]:
    """PUTs a small CSV to the upload endpoint through the proxy; returns (HTTP status, body)."""
    boundary = "rnnvizboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\nt,value\r\n0,1.5\r\n\r\n--{boundary}--\r\n").encode()
    request = urllib.request.Request(f"{url}/_stcore/upload_file/{session_id}/file-1", data=body, method="PUT",
                                     headers={"Cookie": cookie, "X-Xsrftoken": xsrf,
                                              "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


@needs_haproxy
def test_sigint_stops_every_process_it_started_and_frees_the_ports(class_server):
    """Runs last in this module: it stops the shared class server."""
    proc, url, _ = class_server
    children = _children(proc.pid)
    assert len(children) == 3, "two Streamlit processes and haproxy"
    ports = [int(url.rsplit(":", 1)[1])]
    for pid in children:
        args = _proc_text(pid, "cmdline")
        if "--server.port" in args:
            ports.append(int(args[args.index("--server.port") + 1]))
    assert len(ports) == 3
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    assert [pid for pid in children if not _gone(pid)] == []
    assert [p for p in ports if not serve.port_is_free(p)] == []


def test_every_deployment_names_the_same_cookie_data_folder_and_health_check():
    """The class server, Compose and Kubernetes set-ups must agree (checked as text: no YAML parser in the lock)."""
    template = serve.TEMPLATE.read_text(encoding="utf-8")
    standalone = (ROOT / "deploy" / "haproxy.cfg").read_text(encoding="utf-8")
    compose = (ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8")
    k8s = (ROOT / "deploy" / "k8s" / "rnnviz.yaml").read_text(encoding="utf-8")
    docker = (ROOT / "Dockerfile").read_text(encoding="utf-8")

    def setting(text: str, key: str) -> str:
        return next(line.split("#")[0].strip() for line in text.splitlines() if line.strip().startswith(key))

    for key in ("timeout tunnel", "timeout client ", "option httpchk", "balance"):
        assert setting(template, key) == setting(standalone, key), key
    assert f"cookie {serve.COOKIE} insert" in setting(standalone, "cookie ")
    assert f"session-cookie-name: {serve.COOKIE}" in k8s and "ReadWriteMany" in k8s and "affinity: cookie" in k8s
    assert all(f"{serve.DATA_ENV}" in text for text in (compose, k8s, docker))
    assert all(serve.HEALTH in text for text in (k8s, docker))
    assert "download.pytorch.org/whl/cpu torch==2.13.0" in docker, "the image must install the CPU build of torch"
