"""A class server on one machine: N Streamlit processes on loopback ports behind HAProxy with sticky cookies.

    python -m rnnviz.serve --replicas auto          # one process per core, students use port 8501

Every process gets the same data folder through RNNVIZ_DATA_DIR (default: the run store's rnnviz-data/) and
its share of the cores through RNNVIZ_REPLICAS and RNNVIZ_CORES. With a process per core (or more) each keeps
to its own core (`--no-pin` leaves them to the scheduler). The proxy's configuration is generated from
deploy/haproxy.cfg.template into a temporary folder. Ctrl-C or SIGTERM stops everything it started.
Library code: no Streamlit import; the small functions below (and rnnviz.processes) are what the tests drive.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rnnviz.processes import _signal_group, free_port, http_get, lan_address, port_is_free, spawn

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "haproxy.cfg.template"
HAPROXY = "/usr/sbin/haproxy"  # Debian's package; RNNVIZ_HAPROXY or PATH otherwise
DATA_ENV = "RNNVIZ_DATA_DIR"
DEFAULT_DATA_DIR = ROOT / "rnnviz-data"  # the run store's folder, shared by every process
REPLICAS_ENV = "RNNVIZ_REPLICAS"
CORES_ENV = "RNNVIZ_CORES"  # the cores the replicas share (a pinned process sees only its own)
COOKIE = "RNNVIZ_SERVER"  # the sticky cookie, named in the template
BACKEND_HEADER = "X-Rnnviz-Backend"  # which process answered, set by the template
HEALTH = "/_stcore/health"
MAX_REPLICAS = 64
STOP_GRACE_S = 10.0
MAX_RESTARTS = 5  # per process: a process that keeps dying is a fault to report, not to loop on
MARKER = re.compile(r"\{\{\w+\}\}")  # {{bind}}, {{servers}} in the template


@dataclass(frozen=True)
class Backend:
    """One Streamlit process as the proxy knows it: its server name (the sticky cookie's value) and port."""

    name: str
    port: int
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        """Returns the process's own address, bypassing the proxy."""
        return f"http://{self.host}:{self.port}"


@dataclass
class ClassServer:
    """What `start` started: the backends, the proxy's address and every child process (one group each)."""

    backends: list[Backend]
    url: str
    workdir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    pin: bool = True  # keep each Streamlit process to a core when there is one process per core or more

    @property
    def pids(self) -> list[int]:
        """Returns the pid of every process started (each leads its own process group)."""
        return [p.pid for p in self.processes]

    def cpus(self, index: int) -> frozenset[int] | None:
        """Returns the cores the Streamlit process `index` is kept to, or None."""
        return pinned_core(index, len(self.backends)) if self.pin else None


def auto_replicas() -> int:
    """Returns one replica per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def parse_replicas(value: str) -> int:
    """Returns the number of processes for `--replicas`: 'auto' (one per core) or 1..MAX_REPLICAS."""
    if value.strip().lower() == "auto":
        return auto_replicas()
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of replicas; use auto or 1..{MAX_REPLICAS}") from None
    if not 1 <= n <= MAX_REPLICAS:
        raise argparse.ArgumentTypeError(f"replicas must be between 1 and {MAX_REPLICAS}, not {n}")
    return n


def data_dir(env: dict[str, str] | None = None) -> Path:
    """Returns the shared data folder: RNNVIZ_DATA_DIR if set, else the run store's default (rnnviz-data/)."""
    value = (os.environ if env is None else env).get(DATA_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else DEFAULT_DATA_DIR


def haproxy_path() -> str | None:
    """Returns the haproxy executable: RNNVIZ_HAPROXY, Debian's /usr/sbin/haproxy, or one on PATH."""
    for candidate in (os.environ.get("RNNVIZ_HAPROXY"), HAPROXY, shutil.which("haproxy")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def render_config(template: str, bind: str, backends: Sequence[Backend]) -> str:
    """Returns the HAProxy configuration: the template with its bind address and one server line per backend."""
    servers = "\n".join(f"    server {b.name} {b.host}:{b.port} cookie {b.name}" for b in backends)
    text = template.replace("{{bind}}", bind).replace("{{servers}}", servers)
    if MARKER.search(text):
        raise ValueError("the HAProxy template has a marker this version does not fill")
    return text


def check_config(haproxy: str, path: Path) -> subprocess.CompletedProcess:
    """Returns haproxy's verdict on a configuration file (`haproxy -c -f`; returncode 0 when valid)."""
    return subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True, timeout=60)


def backend_env(data: Path, replicas: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """Returns a backend's environment: the caller's plus the shared data folder, the number of replicas and the
    cores they share."""
    env = dict(os.environ if base is None else base)
    env.update({DATA_ENV: str(data), REPLICAS_ENV: str(replicas), CORES_ENV: str(auto_replicas()),
                "PYTHONUNBUFFERED": "1"})
    return env


def pinned_core(index: int, replicas: int, cores: Sequence[int] | None = None) -> frozenset[int] | None:
    """Returns the core the replica `index` keeps to: with at least a process per core, core index mod cores (of
    those this process may use); with fewer processes than cores, None (each may use any).

    A process that stays on its core keeps its caches: on 2 cores, 30 learners on 2 pinned processes trained
    ~7% more steps than when the scheduler moved them (bench/load_test.py --replicas 2).
    """
    if cores is None:
        try:
            cores = sorted(os.sched_getaffinity(0))
        except AttributeError:  # not Linux: no pinning
            return None
    if replicas < len(cores) or not cores:
        return None
    return frozenset({cores[index % len(cores)]})


def streamlit_command(backend: Backend, python: str = sys.executable) -> list[str]:
    """Returns the command that serves the app on the backend's loopback port."""
    return [python, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(backend.port),
            "--server.address", backend.host, "--server.headless", "true", "--browser.gatherUsageStats", "false"]


def healthy(server: ClassServer) -> bool:
    """Returns True when every backend answers its health check directly and through the proxy (pinned by cookie)."""
    for b in server.backends:
        if http_get(b.url + HEALTH)[0] != 200:
            return False
        status, headers, _ = http_get(server.url + HEALTH, cookie=f"{COOKIE}={b.name}")
        if status != 200 or headers.get(BACKEND_HEADER) != b.name:
            return False  # the proxy has not seen this process up yet
    return True


def wait_until(condition: Callable[[], bool], deadline_s: float, server: ClassServer | None = None,
               stop: threading.Event | None = None, poll_s: float = 0.25) -> None:
    """Waits for condition; raises if the deadline passes, a child process exits, or stop is set."""
    end = time.monotonic() + deadline_s
    while not condition():
        dead = [p for p in (server.processes if server else []) if p.poll() is not None]
        if dead:
            raise RuntimeError(f"{' '.join(map(str, dead[0].args[:4]))} ... exited with code {dead[0].returncode}")
        if stop is not None and stop.is_set():
            raise KeyboardInterrupt
        if time.monotonic() > end:
            raise TimeoutError(f"not healthy after {deadline_s:.0f} s")
        (stop or threading.Event()).wait(poll_s)


def start(replicas: int, bind_host: str = "0.0.0.0", port: int = 8501, data: Path | None = None,
          haproxy: str | None = None, workdir: Path | None = None, pin: bool = True) -> ClassServer:
    """Starts `replicas` Streamlit processes and the proxy in front of them; returns at once (see `healthy`).

    With `pin` and at least a process per core, each process keeps to one core (`pinned_core`)."""
    haproxy = haproxy or haproxy_path()
    if haproxy is None:
        raise FileNotFoundError("haproxy is not installed (Debian: apt-get install haproxy)")
    data = data or data_dir()
    data.mkdir(parents=True, exist_ok=True)
    workdir = workdir or Path(tempfile.mkdtemp(prefix="rnnviz-serve-"))
    backends = [Backend(f"s{i + 1}", free_port()) for i in range(replicas)]
    client_host = "127.0.0.1" if bind_host in ("0.0.0.0", "::", "") else bind_host
    server = ClassServer(backends, f"http://{client_host}:{port}", workdir, pin=pin)
    text = render_config(TEMPLATE.read_text(encoding="utf-8"), f"{bind_host}:{port}", backends)
    cfg = workdir / "haproxy.cfg"
    cfg.write_text(text, encoding="utf-8")
    verdict = check_config(haproxy, cfg)
    if verdict.returncode != 0:
        raise RuntimeError(f"haproxy rejected the configuration {cfg}:\n{verdict.stdout}{verdict.stderr}")
    env = backend_env(data, replicas)
    try:
        for i, b in enumerate(backends):
            server.processes.append(spawn(streamlit_command(b), workdir / f"{b.name}.log", env, server.cpus(i)))
        server.processes.append(spawn([haproxy, "-db", "-f", str(cfg)], workdir / "haproxy.log"))
    except BaseException:
        stop(server)
        raise
    return server


def stop(server: ClassServer, grace_s: float = STOP_GRACE_S) -> None:
    """Stops every process group started, SIGTERM first and SIGKILL after grace_s; waits for each."""
    for p in server.processes:
        _signal_group(p, signal.SIGTERM)
    end = time.monotonic() + grace_s
    for p in server.processes:
        try:
            p.wait(timeout=max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(p, signal.SIGKILL)
            p.wait()


def revive(server: ClassServer, data: Path, replicas: int, restarts: dict[str, int]) -> bool:
    """Restarts the Streamlit processes that exited (their learners reach the others meanwhile, and find their
    runs in the store); returns False when the proxy exited or a process has used up MAX_RESTARTS."""
    if server.processes[-1].poll() is not None:  # the proxy: without it nobody reaches anything
        return False
    for i, b in enumerate(server.backends):
        p = server.processes[i]
        if p.poll() is None:
            continue
        restarts[b.name] = restarts.get(b.name, 0) + 1
        if restarts[b.name] > MAX_RESTARTS:
            return False
        print(f"{b.name} exited (code {p.returncode}); restarting it", file=sys.stderr, flush=True)
        server.processes[i] = spawn(streamlit_command(b), server.workdir / f"{b.name}.{restarts[b.name]}.log",
                                    backend_env(data, replicas), server.cpus(i))
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Runs a class server until Ctrl-C or SIGTERM; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m rnnviz.serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=parse_replicas, default="auto", help="Streamlit processes: auto = one per core")
    parser.add_argument("--host", default="0.0.0.0", help="address the proxy listens on (0.0.0.0: every network)")
    parser.add_argument("--port", type=int, default=8501, help="port students connect to")
    parser.add_argument("--data-dir", type=Path, default=None, help=f"shared data folder (default: ${DATA_ENV} or data/)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for every process to be healthy")
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="let the processes move between cores (a machine that also runs other work)")
    args = parser.parse_args(argv)

    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    if not port_is_free(args.port):
        print(f"port {args.port} is in use; pick another with --port", file=sys.stderr)
        return 2
    server, code = None, 1
    try:
        data = args.data_dir.expanduser().resolve() if args.data_dir else data_dir()
        server = start(args.replicas, args.host, args.port, data, pin=args.pin)
        print(f"starting {args.replicas} processes (logs in {server.workdir}) ...", flush=True)
        wait_until(lambda: healthy(server), args.timeout, server, stopping)
        shown = lan_address() if args.host in ("0.0.0.0", "::") else args.host
        print(f"class server ready: {args.replicas} processes, runs kept in {data}\n"
              f"students open: http://{shown}:{args.port}\nCtrl-C stops it.", flush=True)
        restarts: dict[str, int] = {}
        while not stopping.wait(1.0):
            dead = [p for p in server.processes if p.poll() is not None]
            if dead and not revive(server, data, args.replicas, restarts):
                print(f"a process exited (code {dead[0].returncode}); see the logs in {server.workdir}", file=sys.stderr)
                return code
        code = 0
    except KeyboardInterrupt:
        code = 0
    except (RuntimeError, TimeoutError, OSError, ValueError) as err:
        print(f"class server: {err}" + (f" (logs in {server.workdir})" if server else ""), file=sys.stderr)
    finally:
        if server is not None:
            stop(server)
            if code == 0:
                shutil.rmtree(server.workdir, ignore_errors=True)  # logs are kept only when something failed
            print("stopped every process.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
