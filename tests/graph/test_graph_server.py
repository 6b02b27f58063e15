"""The local server's lifecycle, each test on its own YIGUI_HOME (not the session's server)."""
from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time

import httpx
import neo4j
import pytest

from graph import server

pytestmark = pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="local ArcadeDB server only")


def _query(info, cypher, **params):
    with neo4j.GraphDatabase.driver(info.uri, auth=(info.user, info.password)) as d:
        return d.execute_query(cypher, params, database_=info.database).records


@pytest.fixture()
def home(tmp_path):
    yield tmp_path
    server.stop_server(tmp_path)


def test_start_status_restart_keeps_data_and_stop(home):
    info = server.ensure_server(home)
    st = server.server_status(home)
    assert st["running"] and st["pid"] == info.pid and st["bolt_port"] == info.bolt_port
    assert st["rss_bytes"] and st["rss_bytes"] > 10 * 1024 * 1024
    # a second call finds the running server instead of starting another
    assert server.ensure_server(home).pid == info.pid

    # secrets: generated password in a user-only file, never on the java command line
    pw = home / "arcadedb" / "password"
    assert stat.S_IMODE(pw.stat().st_mode) == 0o600 and pw.read_text() == info.password
    cmdline = open(f"/proc/{info.pid}/cmdline", "rb").read().decode()
    assert info.password not in cmdline

    # loopback only; Bolt and HTTP are the only endpoints (no MCP)
    assert "-Darcadedb.bolt.host=127.0.0.1" in cmdline and "-Darcadedb.server.httpIncomingHost=127.0.0.1" in cmdline
    assert "arcadedb-mcp" not in cmdline and "postgresw" not in cmdline and "redisw" not in cmdline
    r = httpx.post(f"{info.http_url}/api/v1/mcp", json={}, auth=(info.user, info.password))
    assert r.status_code == 404

    _query(info, "CREATE (:Document {id: 'kept', title: '保留'})")
    assert server.stop_server(home) is True
    assert server.server_status(home)["running"] is False
    assert not (home / "arcadedb" / "server.json").exists()
    assert server.stop_server(home) is False  # stopping twice is harmless

    again = server.ensure_server(home)
    assert again.pid != info.pid
    assert [r["t"] for r in _query(again, "MATCH (d:Document {id: 'kept'}) RETURN d.title AS t")] == ["保留"]


def test_stale_pid_file_is_replaced(home):
    root = home / "arcadedb"
    root.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (root / "server.json").write_text(json.dumps({"pid": dead.pid, "bolt_port": 1, "http_port": 2, "started_at": 0}))
    assert server.server_status(home)["running"] is False
    assert not (root / "server.json").exists()  # the stale file is removed
    info = server.ensure_server(home)
    assert info.pid != dead.pid and info.bolt_port != 1
    assert _query(info, "RETURN 1 AS one")[0]["one"] == 1


def test_a_live_pid_of_another_program_is_not_taken_for_the_server(home):
    root = home / "arcadedb"
    root.mkdir(parents=True)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (root / "server.json").write_text(json.dumps({"pid": other.pid, "bolt_port": 1, "http_port": 2,
                                                      "started_at": 0}))
        assert server.server_status(home)["running"] is False
        assert server.stop_server(home) is False
        assert other.poll() is None  # never signalled
    finally:
        other.kill()
        other.wait()


def test_configured_port_in_use_is_reported(home, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        monkeypatch.setenv("YIGUI_DB_BOLT_PORT", str(port))
        with pytest.raises(server.ServerError) as e:
            server.ensure_server(home)
    msg = str(e.value)
    assert str(port) in msg and "YIGUI_DB_BOLT_PORT" in msg
    assert server.server_status(home)["running"] is False


def test_two_homes_get_two_servers_on_different_ports(home, graph_server):
    if graph_server is None:
        pytest.skip("no local session server")
    info = server.ensure_server(home)
    assert info.pid != graph_server.pid
    assert {info.bolt_port, info.http_port}.isdisjoint({graph_server.bolt_port, graph_server.http_port})


def test_bad_port_setting_names_the_variable(home, monkeypatch):
    monkeypatch.setenv("YIGUI_DB_HTTP_PORT", "eighty")
    with pytest.raises(SystemExit, match="YIGUI_DB_HTTP_PORT='eighty'"):  # the settings object says which variable
        server.ensure_server(home)


def test_cli_db_commands(home):
    env = dict(os.environ, YIGUI_HOME=str(home))
    env.pop("NEO4J_URI", None)
    run = lambda *a: subprocess.run([sys.executable, "-m", "ui.cli", "db", *a], env=env, capture_output=True,
                                    text=True, timeout=180)
    r = run("status")
    assert r.returncode == 3 and "not running" in r.stdout
    r = run("start")
    assert r.returncode == 0 and "running" in r.stdout and "bolt://127.0.0.1:" in r.stdout
    r = run("status", "--json")
    st = json.loads(r.stdout)
    assert r.returncode == 0 and st["running"] is True and st["heap"] == "1g"
    # supervised, with the default idle time, and listed among this user's servers
    assert st["idle_timeout"] == 300 and st["keep"] is False and server._is_our_supervisor(st["supervisor_pid"],
                                                                                         home / "arcadedb")
    assert st["pid"] in {s["pid"] for s in st["servers"]}
    r = run("stop")
    assert r.returncode == 0 and "stopped" in r.stdout
    assert run("status").returncode == 3


def test_server_of_a_killed_owner_is_stopped(home):
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        info = server.ensure_server(home, owner_pid=owner.pid)
        assert server.server_status(home)["running"]
    finally:
        owner.kill()
        owner.wait()
    deadline = time.time() + 60
    while time.time() < deadline and server.server_status(home)["running"]:
        time.sleep(0.5)
    assert server.server_status(home)["running"] is False
    status = f"/proc/{info.pid}/status"
    if os.path.exists(status):  # the java process was started from this process: at most an unreaped zombie
        assert "\nState:\tZ" in open(status).read()
