"""The local graph server does not outlive its use: it stops after an idle time without clients, at once when its
home is deleted, and on SIGTERM to either of its processes; `yigui db status` lists every server (orphans
included) and `yigui db stop --all` ends them. Each test has its own YIGUI_HOME and its own server registry
(YIGUI_DB_REGISTRY), so `--all` never touches the session's server or anyone else's."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from graph import server

pytestmark = pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="local ArcadeDB server only")
PLAIN = Path(__file__).resolve().parents[1] / "ingest" / "fixtures" / "plain_laws"
YIGUI = [sys.executable, "-m", "ui.cli"]


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """A home and a registry of its own; the environment the CLI subprocesses get too."""
    h, reg = tmp_path / "home", tmp_path / "registry"
    monkeypatch.setenv("YIGUI_HOME", str(h))
    monkeypatch.setenv("YIGUI_DB_REGISTRY", str(reg))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    yield h
    if h.exists():
        server.stop_server(h)
    server.stop_all()


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _seconds_until_gone(pids, limit: float) -> float:
    t0 = time.monotonic()
    while any(_alive(p) for p in pids) and time.monotonic() - t0 < limit:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids), f"still running {limit:.0f} s later: {[p for p in pids if _alive(p)]}"
    return time.monotonic() - t0


def _server_pids(home: Path) -> tuple[int, int, list[int]]:
    state = json.loads((home / "arcadedb" / "server.json").read_text())
    return state["pid"], state["supervisor_pid"], [state["bolt_port"], state["http_port"]]


def _cli(*args, **env):
    return subprocess.run([*YIGUI, *args], env=dict(os.environ, **env), capture_output=True, text=True, timeout=180)


def test_a_one_shot_ingest_leaves_no_server_after_the_idle_time(home, tmp_path):
    docs = tmp_path / "laws"
    shutil.copytree(PLAIN, docs)
    r = _cli("ingest", "--no-embed", "--no-extract", str(docs), YIGUI_DB_IDLE_TIMEOUT="3")
    assert "graph: 2 documents loaded" in r.stdout + r.stderr, r.stdout + r.stderr
    java, supervisor, ports = _server_pids(home)  # still up just after the command: the idle time has not passed
    assert _alive(java) and _alive(supervisor)
    took = _seconds_until_gone([java, supervisor], 20)
    assert 1.0 < took < 12, took  # 3 s idle after the ingest process ended, a poll, ArcadeDB's shutdown
    assert not any(server._port_open(p) for p in ports)
    assert not (home / "arcadedb" / "server.json").exists() and server.list_servers() == []
    assert "no client for 3 s" in (home / "arcadedb" / "server.out").read_text()
    print(f"idle stop: server gone {took:.1f} s after `yigui ingest` returned (idle time 3 s)")


def test_a_live_client_process_or_an_open_connection_keeps_the_server(home, monkeypatch):
    import neo4j

    monkeypatch.setenv("YIGUI_DB_IDLE_TIMEOUT", "1")
    info = server.ensure_server(home)  # this test process is now a client
    java, supervisor, _ = _server_pids(home)
    time.sleep(3)
    assert _alive(java) and server.server_status(home)["clients"] == 1

    for rec in (home / "arcadedb" / "clients").iterdir():  # as if this process had ended…
        rec.unlink()
    driver = neo4j.GraphDatabase.driver(info.uri, auth=(info.user, info.password))  # …but a Bolt client is open
    try:
        driver.execute_query("RETURN 1", database_=info.database)
        time.sleep(3)
        assert _alive(java)
        st = server.server_status(home)
        assert st["in_use"] and st["clients"] == 0 and st["connections"] >= 1 and st["idle_seconds"] == 0
    finally:
        driver.close()
    took = _seconds_until_gone([java, supervisor], 15)
    assert took < 8, took
    print(f"idle stop after the last connection closed: {took:.1f} s (idle time 1 s)")


def test_deleting_the_home_stops_the_server_even_with_a_live_client(home):
    server.ensure_server(home)  # this test process is a live client: only the deleted home stops it
    java, supervisor, ports = _server_pids(home)
    time.sleep(1)
    shutil.rmtree(home)
    took = _seconds_until_gone([java, supervisor], 15)
    assert took < 8, took
    assert not any(server._port_open(p) for p in ports)
    assert not home.exists(), "stopping must not recreate the deleted home"
    assert server.list_servers() == []
    print(f"home deleted: server gone after {took:.1f} s")


def test_sigterm_to_the_supervisor_or_to_java_ends_the_server_within_5_s(home):
    server.ensure_server(home)
    java, supervisor, ports = _server_pids(home)
    os.kill(supervisor, signal.SIGTERM)
    took_supervisor = _seconds_until_gone([java, supervisor], 10)
    assert took_supervisor < 5 and not any(server._port_open(p) for p in ports)
    assert server.server_status(home)["running"] is False

    server.ensure_server(home)
    java, supervisor, ports = _server_pids(home)
    os.kill(java, signal.SIGTERM)
    took_java = _seconds_until_gone([java, supervisor], 10)  # the supervisor follows its server
    assert took_java < 5 and not any(server._port_open(p) for p in ports)
    assert not (home / "arcadedb" / "server.json").exists() and server.list_servers() == []
    print(f"SIGTERM: supervisor {took_supervisor:.1f} s, java {took_java:.1f} s to stop")


def test_status_lists_every_server_with_orphans_and_stop_all_ends_them(home, tmp_path):
    other = tmp_path / "other-home"
    env = {"YIGUI_DB_IDLE_TIMEOUT": "1"}
    r = _cli("db", "start", "--keep", **env)
    assert r.returncode == 0 and "kept running" in r.stdout, r.stdout + r.stderr
    kept_java, _, kept_ports = _server_pids(home)
    server.ensure_server(other)
    orphan_java, orphan_supervisor, orphan_ports = _server_pids(other)
    os.kill(orphan_supervisor, signal.SIGSTOP)  # a server nothing watches any more…
    try:
        shutil.rmtree(other)  # …whose home is gone: an orphan
        time.sleep(2.5)  # well past the kept server's 1 s idle time
        assert _alive(kept_java) and _alive(orphan_java)

        r = _cli("db", "status", "--json", **env)
        st = json.loads(r.stdout)
        assert r.returncode == 0 and st["running"] and st["keep"] is True and st["pid"] == kept_java
        by_pid = {s["pid"]: s for s in st["servers"]}
        assert set(by_pid) == {kept_java, orphan_java}
        assert by_pid[orphan_java]["home"] == str(other) and by_pid[orphan_java]["home_gone"] is True
        assert by_pid[orphan_java]["orphan"] is True and by_pid[orphan_java]["bolt_port"] == orphan_ports[0]
        assert by_pid[kept_java]["orphan"] is False and by_pid[kept_java]["idle_seconds"] >= 2
        text = _cli("db", "status", **env).stdout
        assert f"arcadedb pid {orphan_java} · home {other} (deleted)" in text and "orphan" in text and "kept" in text

        r = _cli("db", "stop", "--all", **env)
        assert r.returncode == 0 and f"stopped arcadedb pid {orphan_java}" in r.stdout
        assert f"stopped arcadedb pid {kept_java}" in r.stdout
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(orphan_supervisor, signal.SIGCONT)
    _seconds_until_gone([kept_java, orphan_java, orphan_supervisor], 15)
    assert not any(server._port_open(p) for p in kept_ports + orphan_ports)
    assert server.server_status(home)["running"] is False and server.list_servers() == []

