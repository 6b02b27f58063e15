"""`yigui ui` and `yigui serve` leave nothing running: the app's process ends with `yigui ui` however that ends
(SIGKILL included), and each server process ends within 5 s of SIGTERM, busy or not."""
from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import subprocess
import sys
import textwrap
import time

import httpx
import psutil
import pytest
from ui_support import free_port

from graph import server

YIGUI = [sys.executable, "-m", "ui.cli"]


@pytest.fixture()
def env(tmp_path):
    """A home, a server registry and a short idle time of their own: a graph server the app or the API starts is
    stopped soon after they end, and never mixed up with the session's."""
    home = tmp_path / "home"
    e = dict(os.environ, YIGUI_HOME=str(home), YIGUI_DB_REGISTRY=str(tmp_path / "registry"),
             YIGUI_DB_IDLE_TIMEOUT="2")
    e.pop("NEO4J_URI", None)
    yield e
    if not os.environ.get("NEO4J_URI"):
        server.stop_server(home)


def _listening(port: int) -> bool:
    return server._port_open(port)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _start(cmd, env, port: int, health: str, timeout: float = 60) -> subprocess.Popen:
    """Run a yigui command until it answers `health` (its signal handlers are in place by then)."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while not _healthy(f"http://127.0.0.1:{port}{health}"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{cmd[3:]} did not answer on {port} (exit status {proc.poll()})")
        time.sleep(0.2)
    return proc


def _seconds_until_gone(proc: psutil.Process, limit: float = 10) -> float:
    t0 = time.monotonic()
    try:
        proc.wait(limit)
    except psutil.TimeoutExpired:
        proc.kill()
        pytest.fail(f"pid {proc.pid} still running {limit:.0f} s after the signal")
    return time.monotonic() - t0


def _app_processes(port: int) -> list[int]:
    """Processes of this user serving the app on `port` (the streamlit command line names it)."""
    found = []
    for p in psutil.process_iter(["cmdline", "uids"]):
        cmd = p.info["cmdline"] or []
        if "--server.port" in cmd and str(port) in cmd and any(a.endswith("app.py") for a in cmd):
            found.append(p.pid)
    return found


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_the_app_ends_with_yigui_ui(env, sig):
    port = free_port()
    parent = _start([*YIGUI, "ui", "--port", str(port)], env, port, "/_stcore/health")
    (child,) = psutil.Process(parent.pid).children()
    assert os.getpgid(child.pid) == child.pid != os.getpgid(parent.pid)  # its own process group
    parent.send_signal(sig)
    took = _seconds_until_gone(child)
    assert took < 5, took
    assert parent.wait(10) == (-9 if sig == signal.SIGKILL else 128 + sig)
    assert not _listening(port) and _app_processes(port) == []
    print(f"yigui ui {sig.name}: app process gone after {took:.1f} s")


def test_sigterm_ends_the_app_within_5_s_while_a_page_is_running(env, tmp_path):
    """The page's script waits on the graph server (held here behind its start/stop lock); SIGTERM still ends the
    app at once."""
    websockets = pytest.importorskip("websockets")
    from streamlit.proto.BackMsg_pb2 import BackMsg

    root = tmp_path / "home" / "arcadedb"
    root.mkdir(parents=True)
    port = free_port()
    with open(root / ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        parent = _start([*YIGUI, "ui", "--port", str(port)], env, port, "/_stcore/health")
        (child,) = psutil.Process(parent.pid).children()

        async def open_page():
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"])
            msg = BackMsg()
            msg.rerun_script.query_string = "page=corpus"
            msg.rerun_script.page_script_hash = ""
            await ws.send(msg.SerializeToString())
            deadline = time.monotonic() + 40
            while not any(f.path == str(root / ".lock") for f in child.open_files()):
                assert time.monotonic() < deadline, "the page never reached the graph server"
                await asyncio.sleep(0.2)
            return ws

        loop = asyncio.new_event_loop()
        try:
            ws = loop.run_until_complete(open_page())
            child.send_signal(signal.SIGTERM)
            took = _seconds_until_gone(child)
            loop.run_until_complete(ws.close())
        finally:
            loop.close()
    assert took < 5, took
    assert parent.wait(10) in (0, 128 + signal.SIGTERM) and not _listening(port)
    print(f"app SIGTERM with a page waiting on the graph: gone after {took:.1f} s")


def test_sigterm_ends_yigui_serve_within_5_s(env):
    port = free_port()
    proc = _start([*YIGUI, "serve", "--port", str(port)], env, port, "/healthz")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:  # a keep-alive connection stays open
        assert client.get("/healthz").status_code == 200
        proc.send_signal(signal.SIGTERM)
        took = _seconds_until_gone(psutil.Process(proc.pid))
    assert took < 5 and not _listening(port), took
    print(f"yigui serve SIGTERM: gone after {took:.1f} s")


def test_a_signalled_server_process_ends_within_its_grace_even_if_its_work_hangs():
    """bounded_shutdown: a handler that only asks the work to stop, and work that never does (a non-daemon thread
    stuck in a call) — the process still ends `grace` seconds after SIGTERM."""
    code = textwrap.dedent("""
        import signal, sys, threading, time
        from ui.commands.web import bounded_shutdown
        bounded_shutdown(1.0)
        signal.signal(signal.SIGTERM, lambda *a: None)   # the server's own handler: "stop when the work is done"
        threading.Thread(target=time.sleep, args=(60,)).start()  # work that does not stop
        print("ready", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 128 + signal.SIGTERM
    took = time.monotonic() - t0
    assert 0.9 < took < 3, took
    assert "still running 1 s after SIGTERM" in proc.stderr.read()
