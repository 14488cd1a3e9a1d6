"""Load test: N students training in the lab at once, driven through Streamlit's own websocket protocol.

Each simulated student opens /Training_lab with its settings in the URL (as a shared link would),
clicks Start (by the button's widget id, as the browser does) and then re-runs each live fragment
(the progress, and the charts) every time the server's auto-rerun interval for it asks, as the
browser's timers do (one request in flight per student, the fragment most overdue first). The
step count is read from the progress bar the page sends.

Reports, per N: aggregate training steps/s across sessions against the single-process headless
rate (one torch thread, measured in this process before any server starts and again before each level
once the servers are quiet; the higher counts), p95 time per refresh (request -> script finished),
server memory per session and per process (resident, at the end of the window), the CPU the server
processes and this client used over the measured window (in cores), and errors (exception boxes, error
alerts, dropped connections, sessions that never trained).

With --replicas R it starts the class server instead (`rnnviz.serve`: R Streamlit processes behind
HAProxy) and each student first loads the page over HTTP, as a browser does, then opens the websocket
with the sticky cookie the proxy set; it also prints, per level of private runs, one line
`class: N=30 replicas=2 agg=1.62x p95=1.21s errors=0` (agg against the headless rate of the same run).

    python bench/load_test.py                  # starts its own server on 127.0.0.1:8601, N = 1 5 10 20
    python bench/load_test.py --port 8601 --no-server --levels 1 5 --seconds 8
    python bench/load_test.py --replicas 2 --levels 10 30 --seconds 15 --shared-n 0
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnnviz import serve  # noqa: E402
from rnnviz.presets import LAB_DEFAULTS, PRESETS_BY_SLUG, encode_query  # noqa: E402

PAGE = "Training_lab"
STEP_TEXT = re.compile(r"step (\d+) / (\d+)")
PRIVATE = replace(LAB_DEFAULTS["lm"], train=replace(LAB_DEFAULTS["lm"].train, steps=5000))  # never finishes in a test
SHARED = PRESETS_BY_SLUG["d2l-gru"].cfg
SETTLE_S = 5.0  # quiet time before measuring the headless rate between levels


@dataclass
class Student:
    """One simulated browser tab: its websocket, what the page last showed, and its measurements."""

    query: str
    steps: int = 0
    start_id: str | None = None
    fragments: dict[str, float] = field(default_factory=dict)  # fragment id -> interval, from the server's auto_rerun
    refresh_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    log: list[tuple[float, int]] = field(default_factory=list)  # (time, steps) after each refresh
    backend: str = ""  # which class server process answered (the proxy's header), "" without a proxy
    page_hash: str = ""  # the page's script hash from the server's navigation message, sent back with every rerun


def rerun(query: str, fragment_id: str = "", trigger: str | None = None, page_hash: str = "") -> bytes:
    """Returns a BackMsg asking for a run of the lab page (a fragment run when fragment_id is set); like the
    browser it names the page by its script hash once the server has told it (a full run the server starts by
    itself, st.rerun, runs the page of the request it interrupted)."""
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string, state.page_name, state.page_script_hash = query, PAGE, page_hash
    if fragment_id:
        state.fragment_id, state.is_auto_rerun = fragment_id, True
    if trigger:
        widget = state.widget_states.widgets.add()
        widget.id, widget.trigger_value = trigger, True
    return msg.SerializeToString()


def absorb(student: Student, msg: ForwardMsg) -> bool:
    """Reads one ForwardMsg into the student's view; returns True when a script run has finished."""
    kind = msg.WhichOneof("type")
    if kind == "navigation":  # the page the app's st.navigation ran
        student.page_hash = msg.navigation.page_script_hash
    elif kind == "auto_rerun":
        student.fragments[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
    elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
        el = msg.delta.new_element
        which = el.WhichOneof("type")
        if which == "button" and el.button.id.endswith("lab_start"):
            student.start_id = el.button.id
        elif which == "progress" and (m := STEP_TEXT.search(el.progress.text)):
            student.steps = int(m.group(1))
        elif which == "exception":
            student.errors.append(f"exception: {el.exception.message[:200]}")
        elif which == "alert" and el.alert.format == el.alert.ERROR:
            student.errors.append(f"error: {el.alert.body[:200]}")
    # A run cut short by st.rerun (the lab's refresh asks for a full run when the class grew) goes on as that run
    return kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN


async def run_once(ws, student: Student, payload: bytes, timeout: float = 60.0) -> float:
    """Sends one rerun request and waits for its script to finish; returns the seconds it took."""
    start = time.perf_counter()
    await ws.send(payload)
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout)
        if absorb(student, ForwardMsg.FromString(raw)):
            return time.perf_counter() - start


def sticky_cookie(base: str) -> str:
    """Loads the page over HTTP as a browser does; returns the Cookie header for its websocket (the proxy's
    sticky cookie, if any, so the websocket reaches the process that served the page)."""
    with urllib.request.urlopen(f"{base}/{PAGE}", timeout=60) as response:
        cookies = [v.split(";", 1)[0] for k, v in response.headers.items() if k.lower() == "set-cookie"]
    return "; ".join(c for c in cookies if c.startswith(f"{serve.COOKIE}="))


async def student_loop(url: str, student: Student, stop_at: float, started: asyncio.Event) -> None:
    """Opens the page, clicks Start, then refreshes the live fragments on the server's intervals until stop_at."""
    try:
        base = url.replace("ws", "http", 1).removesuffix("/_stcore/stream")
        cookie = await asyncio.to_thread(sticky_cookie, base)
        async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=60,
                                      additional_headers={"Cookie": cookie} if cookie else None) as ws:
            student.backend = ws.response.headers.get(serve.BACKEND_HEADER, "")
            await run_once(ws, student, rerun(student.query))
            if student.start_id is None:
                raise RuntimeError("no Start button on the page")
            await run_once(ws, student, rerun(student.query, trigger=student.start_id, page_hash=student.page_hash))
            started.set()
            due = {fragment_id: time.perf_counter() for fragment_id in student.fragments}
            while time.perf_counter() < stop_at and due:
                fragment_id = min(due, key=due.get)
                await asyncio.sleep(max(0.0, due[fragment_id] - time.perf_counter()))
                tick_start = time.perf_counter()
                took = await run_once(ws, student, rerun(student.query, fragment_id, page_hash=student.page_hash))
                student.refresh_s.append(took)
                student.log.append((time.perf_counter(), student.steps))
                interval = student.fragments[fragment_id]  # the interval it asks for now
                if interval > 0:
                    due[fragment_id] = tick_start + interval
                else:
                    del due[fragment_id]
    except Exception as err:  # every failure is counted, never hidden
        student.errors.append(f"{type(err).__name__}: {err}")
        started.set()


def rss_mb(pids: list[int]) -> float:
    """Returns the resident memory of processes together in MB (Linux /proc); nan without pids."""
    total = float("nan") if not pids else 0.0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def cpu_seconds(pids: list[int]) -> float:
    """Returns the CPU time (user + system) the processes have used so far, in seconds (Linux /proc)."""
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def headless_rate(cfg, seconds: float = 4.0) -> float:
    """Returns steps/s of the same run trained in this process without Streamlit (one torch thread)."""
    import torch

    from rnnviz.data import load_corpus
    from rnnviz.tasks import make_model, make_task
    from rnnviz.train import TrainRun

    torch.set_num_threads(1)
    task = make_task(cfg, load_corpus(cfg.text))
    run = TrainRun(make_model(task, cfg.model, cfg.train.seed), task, cfg.train)
    run.run(5)  # warm-up
    start, before = time.perf_counter(), run.steps_done
    run.run(10**6, seconds=seconds)
    return (run.steps_done - before) / (time.perf_counter() - start)


async def level(base: str, pids: list[int], n: int, seconds: float, shared: bool) -> dict:
    """Runs n students for `seconds` of measured training and returns the level's numbers."""
    url = base.replace("http", "ws", 1) + "/_stcore/stream"
    students = []
    for i in range(n):
        cfg = SHARED if shared else replace(PRIVATE, train=replace(PRIVATE.train, seed=1000 + i))  # distinct runs
        students.append(Student(urllib.parse.urlencode(encode_query(cfg))))
    rss_before = rss_mb(pids)
    warmup = 3.0
    stop_at = time.perf_counter() + warmup + seconds + 30  # generous: the window below is what is measured
    events = [asyncio.Event() for _ in students]
    tasks = [asyncio.create_task(student_loop(url, s, stop_at, e)) for s, e in zip(students, events)]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), 120)
    await asyncio.sleep(warmup)
    t0, cpu0, own0 = time.perf_counter(), cpu_seconds(pids), time.process_time()
    steps0 = [s.steps for s in students]
    refresh0 = [len(s.refresh_s) for s in students]
    await asyncio.sleep(seconds)
    t1, cpu1, own1 = time.perf_counter(), cpu_seconds(pids), time.process_time()
    steps1 = [s.steps for s in students]
    rss_peak = rss_mb(pids)
    refresh = [x for s, k in zip(students, refresh0) for x in s.refresh_s[k:]]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    errors = [e for s in students for e in s.errors]
    errors += [f"session {i} never trained" for i, (a, b) in enumerate(zip(steps0, steps1)) if b <= a and b < 10]
    return {
        "n": n, "shared": shared, "steps_per_s": sum(b - a for a, b in zip(steps0, steps1)) / (t1 - t0),
        "p95_refresh_s": statistics.quantiles(refresh, n=20)[-1] if len(refresh) >= 2 else float("nan"),
        "server_cores": (cpu1 - cpu0) / (t1 - t0), "client_cores": (own1 - own0) / (t1 - t0),
        "refreshes": len(refresh), "mb_per_session": (rss_peak - rss_before) / n,
        "mb_per_process": rss_peak / max(len(pids), 1), "errors": errors,
        "backends": sorted(s.backend for s in students if s.backend),
    }


def start_server(port: int) -> subprocess.Popen:
    """Starts `streamlit run app.py` on 127.0.0.1:port and waits until it is healthy."""
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless",
           "true", "--server.address", "127.0.0.1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(240):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the server did not become healthy")


def start_class_server(replicas: int, port: int, cluster_data: Path) -> serve.ClassServer:
    """Starts `replicas` Streamlit processes behind HAProxy on 127.0.0.1:port (runs in a temporary data
    folder) and waits until every process is healthy directly and through the proxy."""
    cluster = serve.start(replicas, "127.0.0.1", port, data=cluster_data)
    try:
        serve.wait_until(lambda: serve.healthy(cluster), 240, cluster)
    except BaseException:
        serve.stop(cluster)
        raise
    return cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8601)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 5, 10, 20])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per level")
    parser.add_argument("--shared-n", type=int, default=20, help="students pressing the same preset (0 = skip)")
    parser.add_argument("--no-server", action="store_true", help="use a server already running on --port")
    parser.add_argument("--pid", type=int, default=None, help="server pid for memory, with --no-server")
    parser.add_argument("--replicas", type=int, default=0,
                        help="start the class server (rnnviz.serve) with this many processes behind HAProxy")
    args = parser.parse_args()

    # The reference: measured before any server starts, and again before each level once the servers have gone
    # quiet; the higher one counts, so a machine still busy with the previous level never flatters a ratio.
    reference = headless_rate(SHARED, seconds=3.0), headless_rate(PRIVATE, seconds=3.0)
    proc = cluster = None
    cluster_data = Path(tempfile.mkdtemp(prefix="rnnviz-load-data-")) if args.replicas else None  # removed at the end
    base = f"http://127.0.0.1:{args.port}"
    try:
        if args.replicas:
            cluster = start_class_server(args.replicas, args.port, cluster_data)
            pids = cluster.pids[:-1]  # the Streamlit processes (the last one is the proxy)
        else:
            proc = None if args.no_server else start_server(args.port)
            pids = [proc.pid] if proc else [args.pid] if args.pid else []
        # Warm-up: imports, caches, first compile in every process; not reported.
        asyncio.run(level(base, pids, max(1, args.replicas), 3.0, shared=False))
        plan = [(n, False) for n in args.levels] + ([(args.shared_n, True)] if args.shared_n else [])
        results = []
        for n, shared in plan:
            time.sleep(SETTLE_S)  # the previous level's sessions finish their last chunk and save their runs
            rate = max(reference[0 if shared else 1], headless_rate(SHARED if shared else PRIVATE, seconds=3.0))
            results.append({**asyncio.run(level(base, pids, n, args.seconds, shared)), "headless": rate,
                            "load": os.getloadavg()[0]})
            print(f"N={n} done", flush=True)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
        if cluster is not None:
            serve.stop(cluster)
            shutil.rmtree(cluster.workdir, ignore_errors=True)
        if cluster_data is not None:
            shutil.rmtree(cluster_data, ignore_errors=True)
    print("\nprivate: every student trains the lab default (GRU 64, char LM) with their own seed;"
          "\n1 preset: every student presses the same preset (d2l-gru), trained once and replayed by all.")
    print(f"\n{'N':>3} {'runs':>8} {'headless':>9} {'agg steps/s':>12} {'vs headless':>12} {'p95 refresh':>12} "
          f"{'MB/session':>11} {'MB/process':>11} {'load':>5} {'cores: servers':>14} {'client':>6} errors")
    for r in results:
        print(f"{r['n']:>3} {'1 preset' if r['shared'] else 'private':>8} {r['headless']:>9.1f} {r['steps_per_s']:>12.1f} "
              f"{r['steps_per_s'] / r['headless']:>11.2f}x {r['p95_refresh_s'] * 1000:>10.0f}ms "
              f"{r['mb_per_session']:>11.1f} {r['mb_per_process']:>11.0f} {r['load']:>5.1f} "
              f"{r['server_cores']:>14.2f} {r['client_cores']:>6.2f} {len(r['errors'])}")
        for err in r["errors"][:5]:
            print(f"      {err}")
    print(f"\nserver cores: {os.cpu_count()}; load average at the end: {os.getloadavg()[0]:.1f}")
    if args.replicas:
        for r in results:
            spread = " ".join(f"{b}={r['backends'].count(b)}" for b in sorted(set(r["backends"])))
            print(f"   N={r['n']}{' (1 preset)' if r['shared'] else ''}: students per process {spread or '?'}")
        for r in (r for r in results if not r["shared"]):
            print(f"class: N={r['n']} replicas={args.replicas} agg={r['steps_per_s'] / r['headless']:.2f}x "
                  f"p95={r['p95_refresh_s']:.2f}s errors={len(r['errors'])}")


if __name__ == "__main__":
    main()
