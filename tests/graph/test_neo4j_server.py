"""The local Neo4j 5 server the project starts itself (graph.neo4j_server): build, start, auth, loopback only, stale
state, crash and SIGTERM. Needs `mvn` and `java` 17+ (skipped without them); a launcher build that fails — Maven
Central unreachable, say — fails here, loudly.

`launched(name)` is the session's servers (one per name, each in its own temporary YIGUI_HOME), shared with
test_neo4j_contract.py, which runs the store contract tests on them. Timings land in
test-artifacts/neo4j-timings.json.
"""
from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]
TIMINGS: dict[str, object] = {}
_SERVERS: dict[str, object] = {}
_BASE: list[Path] = []


def _record(key: str, value) -> None:
    TIMINGS[key] = value
    out = REPO / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "neo4j-timings.json").write_text(json.dumps(TIMINGS, indent=2), encoding="utf-8")


def _base() -> Path:
    if not _BASE:
        _BASE.append(Path(tempfile.mkdtemp(prefix="yigui-neo4j-")))
        atexit.register(shutil.rmtree, _BASE[0], True)
    return _BASE[0]


def need_tools() -> None:
    missing = [t for t in ("mvn", "java") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not on PATH: the local Neo4j server needs Java 17+ and Maven to build "
                    "its launcher (graph/neo4j)")


def build() -> str:
    """The launcher's classpath (built on first use; a build failure is raised, not skipped)."""
    need_tools()
    from graph.neo4j_server import build_launcher

    if "launcher_build_seconds" not in TIMINGS:
        t0 = time.monotonic()
        cp = build_launcher()
        _record("launcher_build_seconds", round(time.monotonic() - t0, 2))  # ~0 when already built
        return cp
    return build_launcher()


def home_of(name: str) -> Path:
    return _base() / name


def launched(name: str = "main", heap: str = "1g"):
    """A running server of this session (started on first use, stopped at exit or when this process dies)."""
    from graph.neo4j_server import ensure_neo4j, neo4j_status, stop_neo4j

    if name not in _SERVERS:
        build()
        home = home_of(name)
        t0 = time.monotonic()
        info = ensure_neo4j(home, heap=heap, owner_pid=os.getpid())
        _record(f"start_seconds.{name}", round(time.monotonic() - t0, 2))
        _record(f"rss_mb_after_start.{name}", round((neo4j_status(home)["rss_bytes"] or 0) / 2**20))
        atexit.register(stop_neo4j, home)
        _SERVERS[name] = info
    return _SERVERS[name]


def driver(info, password=None):
    import neo4j

    return neo4j.GraphDatabase.driver(info.uri, auth=(info.user, info.password if password is None else password),
                                      notifications_min_severity="OFF")


@pytest.fixture(scope="session")
def neo4j_server():
    return launched("main")


def test_server_starts_and_answers(neo4j_server):
    from graph.neo4j_server import NEO4J_VERSION, neo4j_status

    with driver(neo4j_server) as d:
        rec = d.execute_query("CALL dbms.components() YIELD name, versions, edition "
                              "RETURN name, versions[0] AS v, edition").records[0]
    assert (rec["name"], rec["v"], rec["edition"]) == ("Neo4j Kernel", NEO4J_VERSION, "community")
    st = neo4j_status(Path(neo4j_server.home))
    assert st["running"] and st["reachable"] and st["uri"] == neo4j_server.uri
    assert neo4j_server.password not in json.dumps(st)
    assert st["rss_bytes"] and st["rss_bytes"] < 2 * 2**30
    _record("rss_mb.main", round(st["rss_bytes"] / 2**20))
    # ensure again: the running server is found, not a second one started
    from graph.neo4j_server import ensure_neo4j

    again = ensure_neo4j(Path(neo4j_server.home))
    assert (again.pid, again.port, again.password) == (neo4j_server.pid, neo4j_server.port, neo4j_server.password)


def test_auth_is_required(neo4j_server):
    import neo4j

    from graph.store import GraphStore, StoreError

    for pw in ("wrong-" + neo4j_server.password, "neo4j"):  # the default login was never reachable either
        with driver(neo4j_server, pw) as d, pytest.raises(neo4j.exceptions.AuthError):
            d.verify_connectivity()
    with pytest.raises(StoreError, match="refused the login"):
        GraphStore.connect(neo4j_server.uri, "neo4j", "wrong")
    # Neo4j then locks the user for dbms.security.auth_lock_time (5 s): said as a refused login, not a raw error
    with pytest.raises(StoreError, match="refused the login.*too many"):
        GraphStore.connect(neo4j_server.uri, "neo4j", "wrong")
    deadline = time.monotonic() + 15
    while True:
        try:
            s = GraphStore.connect(neo4j_server.uri, neo4j_server.user, neo4j_server.password)
            break
        except StoreError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    assert s.backend == "neo4j" and s.run("RETURN 1 AS ok") == [{"ok": 1}]
    s.close()


def test_loopback_only_bolt_only_and_password_kept_private(neo4j_server):
    proc = psutil.Process(neo4j_server.pid)
    listening = [c for c in proc.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert listening, "the server listens nowhere?"
    assert {c.laddr.ip for c in listening} <= {"127.0.0.1", "::ffff:127.0.0.1"}, listening
    assert {c.laddr.port for c in listening} == {neo4j_server.port}, listening  # Bolt only: no HTTP, no backup port
    pw_file = Path(neo4j_server.home) / "neo4j" / "password"
    assert pw_file.stat().st_mode & 0o777 == 0o600
    assert not any(neo4j_server.password in arg for arg in proc.cmdline())
    assert any(a.startswith("-Xmx") for a in proc.cmdline())
    data = Path(neo4j_server.home) / "neo4j" / "data" / "databases" / "neo4j"
    assert data.is_dir()


def test_stale_state_file_is_cleaned_up(tmp_path):
    from graph.neo4j_server import ensure_neo4j, neo4j_status, stop_neo4j

    root = tmp_path / "neo4j"
    root.mkdir()
    dead = psutil.Popen(["true"])
    dead.wait()
    for pid in (dead.pid, os.getpid()):  # a pid that is gone, and one reused by a program that is not the server
        (root / "server.json").write_text(json.dumps({"pid": pid, "port": 1, "started_at": 0}), encoding="utf-8")
        assert neo4j_status(tmp_path)["running"] is False
        assert not (root / "server.json").exists()
        (root / "server.json").write_text(json.dumps({"pid": pid, "port": 1, "started_at": 0}), encoding="utf-8")
        assert stop_neo4j(tmp_path) is False and not (root / "server.json").exists()
    (root / "server.json").write_text("{half-written", encoding="utf-8")
    assert neo4j_status(tmp_path)["running"] is False
    # a port already taken is refused with the reason, before any java starts
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        build()
        from graph.neo4j_server import Neo4jError

        with pytest.raises(Neo4jError, match="already in use"):
            ensure_neo4j(tmp_path, port=s.getsockname()[1])


@pytest.fixture(scope="module")
def victim():
    """A server of its own to kill."""
    from graph.neo4j_server import ensure_neo4j, stop_neo4j

    build()
    home = home_of("victim")
    t0 = time.monotonic()
    info = ensure_neo4j(home, heap="512m", owner_pid=os.getpid())
    _record("start_seconds.fresh_home", round(time.monotonic() - t0, 2))
    yield home, info
    stop_neo4j(home)


def test_crashed_server_is_detected_and_restarted(victim):
    from graph.neo4j_server import ensure_neo4j, neo4j_status

    home, info = victim
    with driver(info) as d:
        d.execute_query("CREATE (:Marker {id: 'before-crash'})")
    # the whole server at once (supervisor and java: one process group), as a machine crash or `kill -9 -PGID` would:
    # nothing gets to clean up
    sup = neo4j_status(home)["supervisor_pid"]
    os.killpg(os.getpgid(sup), signal.SIGKILL)
    for pid in (sup, info.pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).wait(10)
    assert (home / "neo4j" / "server.json").exists()  # left behind by the crash
    assert neo4j_status(home)["running"] is False and not (home / "neo4j" / "server.json").exists()
    t0 = time.monotonic()
    again = ensure_neo4j(home, heap="512m", owner_pid=os.getpid())
    _record("start_seconds.restart_after_crash", round(time.monotonic() - t0, 2))
    assert again.pid != info.pid and again.password == info.password
    with driver(again) as d:  # committed before the crash: recovered from the transaction log
        assert d.execute_query("MATCH (m:Marker) RETURN m.id AS id").records[0]["id"] == "before-crash"


def test_sigterm_stops_it_promptly(victim):
    """SIGTERM to java (the launcher's shutdown hook closes the DBMS) or to its supervisor (which ends java the same
    way): gone within seconds, the state cleaned up, and `ensure` starts it again."""
    from graph.neo4j_server import ensure_neo4j, neo4j_status

    home, _ = victim
    log = home / "neo4j" / "server.out"
    for target, key in (("pid", "sigterm_stop_seconds"), ("supervisor_pid", "sigterm_supervisor_stop_seconds")):
        st = neo4j_status(home)
        assert st["running"] and st["backend"] == "neo4j"
        procs = [psutil.Process(st["pid"]), psutil.Process(st["supervisor_pid"])]
        offset = log.stat().st_size
        t0 = time.monotonic()
        os.kill(st[target], signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=10)  # raises TimeoutExpired past 10 s
        _record(key, round(time.monotonic() - t0, 2))
        with open(log, "rb") as fh:
            fh.seek(offset)
            out = fh.read().decode("utf-8", errors="replace")
        assert "YIGUI_NEO4J_STOPPED" in out, out  # the shutdown hook closed the DBMS
        assert "yigui supervisor: stopped the graph server" in out
        assert neo4j_status(home)["running"] is False and not (home / "neo4j" / "server.json").exists()
        if target == "pid":
            ensure_neo4j(home, heap="512m", owner_pid=os.getpid())


def test_db_cli_on_neo4j_and_idle_stop(tmp_path):
    """`yigui db start|status|stop --backend neo4j` drive the local Neo4j server; it is listed beside ArcadeDB
    servers, and it stops by itself once no client used it for YIGUI_DB_IDLE_TIMEOUT seconds, like ArcadeDB's."""
    import subprocess
    import sys

    build()
    env = os.environ | {"YIGUI_HOME": str(tmp_path), "YIGUI_DB_IDLE_TIMEOUT": "20", "YIGUI_PROGRESS": "0"}
    env.pop("NEO4J_URI", None)
    yigui = [sys.executable, "-m", "ui.cli"]

    def run(*args):
        return subprocess.run([*yigui, *args], env=env, capture_output=True, text=True, timeout=180, cwd=REPO)

    r = run("db", "start", "--backend", "neo4j")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("running neo4j pid ") and "Neo4j 5.26.0" in r.stdout and "stops after 20 s" in r.stdout
    st = json.loads(run("db", "status", "--backend", "neo4j", "--json").stdout)
    assert st["running"] and st["backend"] == "neo4j" and st["uri"].startswith("bolt://127.0.0.1:")
    # a Bolt client holds it in use while we look (an open connection counts, as for ArcadeDB)
    import neo4j

    pw = (tmp_path / "neo4j" / "password").read_text(encoding="utf-8").strip()
    client = neo4j.GraphDatabase.driver(st["uri"], auth=("neo4j", pw))
    client.verify_connectivity()
    assert st["http_port"] is None and st["idle_timeout"] == 20
    arcade = run("db", "status", "--json")  # this home's ArcadeDB: not running (exit 3), the Neo4j one listed
    assert arcade.returncode == 3
    listed = [s for s in json.loads(arcade.stdout)["servers"] if s["pid"] == st["pid"]]
    assert listed and listed[0]["backend"] == "neo4j" and listed[0]["home"] == str(tmp_path)
    bad = run("db", "status", "--backend", "neo4jx")
    assert bad.returncode == 2 and "--backend 'neo4jx'" in bad.stderr and "arcadedb, neo4j" in bad.stderr
    assert json.loads(run("db", "status", "--backend", "neo4j", "--json").stdout)["in_use"] is True
    # the last client gone: the supervisor stops it after ~20 s (polls every 1.2 s); 20 s, not less, because the
    # CLI calls between start and the first client can take longer than a short timeout on a loaded 2-core machine
    java = psutil.Process(st["pid"])
    client.close()
    t0 = time.monotonic()
    java.wait(timeout=60)
    _record("neo4j_idle_stop_seconds", round(time.monotonic() - t0, 1))
    # the supervisor writes its reason after java has exited (graph.server.supervise): wait for the line, not a race
    log = tmp_path / "neo4j" / "server.out"
    deadline = time.monotonic() + 15
    while "yigui supervisor: stopped" not in log.read_text(encoding="utf-8", errors="replace") \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "no client for 20 s" in log.read_text(encoding="utf-8", errors="replace")
    assert run("db", "status", "--backend", "neo4j").returncode == 3
    r = run("db", "stop", "--backend", "neo4j")
    assert r.returncode == 0 and "not running (neo4j)" in r.stdout


def test_build_errors_name_the_command(tmp_path, monkeypatch):
    """No Maven, or Maven without the network: an error that says which command failed and why (no Java needed)."""
    from graph import neo4j_server as ns

    monkeypatch.setattr(ns, "_launcher_classpath", lambda: None)  # as if never built
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ns.Neo4jError, match=r"Maven \(`mvn`\) is not on PATH.*mvn -q -B -f .*pom.xml package"):
        ns.build_launcher()
    fake = tmp_path / "mvn"
    fake.write_text("#!/bin/sh\necho '[ERROR] Failed to execute goal on project yigui-neo4j-launcher: Could not "
                    "resolve dependencies: Could not transfer artifact org.neo4j:neo4j:pom:5.26.0 from/to central: "
                    "repo.maven.apache.org: Temporary failure in name resolution'\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    with pytest.raises(ns.Neo4jError, match=r"(?s)`mvn -q -B -f .*pom.xml package` exited 1 — Maven could not "
                                            r"download.*Could not transfer artifact"):
        ns.build_launcher()
