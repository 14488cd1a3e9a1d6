"""Small process and network helpers for the class server: free ports, process groups, plain HTTP checks.

No Streamlit; rnnviz.serve uses them, and so do its tests and the load benchmark.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port(host: str = "127.0.0.1") -> int:
    """Returns a TCP port that is free on host right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Returns True when nothing listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex((host, port)) != 0


def _die_with_parent() -> None:
    """Runs in the child before exec: asks Linux to SIGTERM it when the class server dies, even by SIGKILL."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def spawn(cmd: list[str], log: Path, env: dict[str, str] | None = None,
          cpus: frozenset[int] | None = None) -> subprocess.Popen:
    """Starts a command as the leader of its own process group, output to a log file; on Linux, kept to `cpus`
    when given (set before exec, so every thread the command starts inherits it)."""
    def child() -> None:
        _die_with_parent()
        if cpus:
            os.sched_setaffinity(0, cpus)

    with open(log, "wb") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=child if sys.platform == "linux" else None)


def http_get(url: str, cookie: str | None = None, timeout: float = 3.0) -> tuple[int, Message, bytes]:
    """Returns (status, headers (case-insensitive), body) of a GET; status 0 when nothing answered."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, b""
    except OSError:
        return 0, Message(), b""


def _signal_group(p: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(p.pid, sig)  # the group: Streamlit's and haproxy's own children too
    except ProcessLookupError:
        pass


def lan_address() -> str:
    """Returns this machine's address on its network (what students type), or its host name."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # a documentation address: no packet is sent, the OS just picks a route
            return s.getsockname()[0]
    except OSError:
        return socket.gethostname()
