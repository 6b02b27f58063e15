"""A local Neo4j 5 server the project starts itself (the Neo4j path of issue #14; graph.server is the ArcadeDB one).

Neo4j 5.26 LTS Community, embedded (org.neo4j:neo4j) behind a short launcher the project owns (graph/neo4j/:
pom.xml + yigui/Neo4jLauncher.java), built once with Maven into graph/neo4j/target/. The server listens on
127.0.0.1 only, with only its Bolt connector (the embedded DBMS has no HTTP server), auth on, a generated password
for user neo4j kept in a file only the user can read, a heap limit, and its data under YIGUI_HOME/neo4j.

    info = ensure_neo4j(home)                  # starts it, or finds the running one
    GraphStore.connect(info.uri, info.user, info.password)
    # or: eval "$(python -m graph.neo4j_server env)"  ->  NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD

Layout under YIGUI_HOME:
  neo4j/                Neo4j home (data/, logs/debug.log)
  neo4j/server.json     state: pid, port, started_at (a stale file is detected and replaced)
  neo4j/password        password of user neo4j, mode 0600 (the launcher reads it; never on a command line)
  neo4j/server.out      launcher stdout/stderr (its READY / FAILED / STOPPED lines)

Needs `java` 17+ (JAVA_HOME or PATH) and, to build the launcher once, `mvn` with Maven Central reachable (or the
jars already in ~/.m2). Settings read: YIGUI_HOME, YIGUI_DB_HEAP (heap, default 1g), YIGUI_DB_START_TIMEOUT.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from ingest.settings import home_dir, settings

NEO4J_VERSION = "5.26.0"  # graph/neo4j/pom.xml <neo4j.version>
USER = "neo4j"
DATABASE = "neo4j"  # Community has one user database
MAIN_CLASS = "yigui.Neo4jLauncher"
PROJECT = Path(__file__).resolve().parent / "neo4j"
TARGET = PROJECT / "target"
READY, FAILED = "YIGUI_NEO4J_READY", "YIGUI_NEO4J_FAILED"


class Neo4jError(RuntimeError):
    """The local Neo4j server or its launcher could not be built, started or stopped; the message says what to do."""


@dataclass
class Neo4jInfo:
    uri: str
    user: str
    password: str
    database: str
    pid: int
    port: int
    home: str
    started_at: float
    version: str = NEO4J_VERSION

    def env(self) -> dict[str, str]:
        """The environment that points GraphStore.connect() (and the contract tests) at this server."""
        return {"NEO4J_URI": self.uri, "NEO4J_USER": self.user, "NEO4J_PASSWORD": self.password}


# -- helpers (the same conventions as graph.server, kept here so the two servers evolve independently) -----------
from graph.server import _free_port, _port_open  # noqa: E402  (loopback port helpers, one definition)


@contextlib.contextmanager
def _lock(directory: Path):
    """Serialise start/stop (or a build) between processes sharing one directory (CLI, app, tests)."""
    import fcntl

    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _password(root: Path) -> str:
    """The password of user neo4j: generated once, kept in a 0600 file."""
    path = root / "password"
    if path.exists():
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        return path.read_text(encoding="utf-8").strip()
    root.mkdir(parents=True, exist_ok=True)
    pw = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(pw)
    return pw


def _terminate(pid: int, timeout: float = 30.0) -> None:
    """SIGTERM (the launcher's shutdown hook closes the DBMS), SIGKILL only if it hangs."""
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


def rss_bytes(pid: int) -> int | None:
    try:
        return psutil.Process(pid).memory_info().rss
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


# -- the launcher ------------------------------------------------------------------------------------------------
def _mvn_command() -> list[str]:
    return ["mvn", "-q", "-B", "-f", str(PROJECT / "pom.xml"), "package"]


def _launcher_classpath() -> str | None:
    """The launcher's classpath when the build is there and newer than its sources, else None."""
    main = TARGET / "classes" / "yigui" / "Neo4jLauncher.class"
    cp_file = TARGET / "classpath.txt"
    if not (main.exists() and cp_file.exists()):
        return None
    stamp = TARGET / "built.stamp"  # touched after each successful build (mvn may leave an up-to-date class as is)
    sources = [PROJECT / "pom.xml", *(PROJECT / "src").rglob("*.java")]
    if not stamp.exists() or any(s.stat().st_mtime > stamp.stat().st_mtime for s in sources):
        return None
    jars = [j for j in cp_file.read_text(encoding="utf-8").strip().split(os.pathsep) if j]
    if not jars or not all(os.path.exists(j) for j in jars):  # ~/.m2 cleaned since
        return None
    return os.pathsep.join([str(TARGET / "classes"), *jars])


def build_launcher(force: bool = False, timeout: float = 900.0) -> str:
    """Build the launcher (once: later calls find the build) and return its Java classpath.

    Runs `mvn -q -B -f graph/neo4j/pom.xml package`; the first build downloads Neo4j's jars (~120 MB) into ~/.m2."""
    if not force and (cp := _launcher_classpath()):
        return cp
    if shutil.which("mvn") is None:
        raise Neo4jError("Maven (`mvn`) is not on PATH: it builds the Neo4j launcher once — install Maven 3.8+ "
                         f"(e.g. apt-get install maven), then run `{' '.join(_mvn_command())}` or `make neo4j-launcher`")
    TARGET.mkdir(parents=True, exist_ok=True)
    with _lock(TARGET):  # two processes building at once would clobber target/
        if not force and (cp := _launcher_classpath()):
            return cp
        cmd = _mvn_command()
        try:
            r = subprocess.run(cmd, cwd=PROJECT, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Neo4jError(f"`{' '.join(cmd)}` did not finish within {timeout:.0f} s (downloading Neo4j from Maven "
                             "Central?) — check the network or a proxy in ~/.m2/settings.xml, then retry") from None
        if r.returncode != 0:
            out = (r.stdout + r.stderr).strip().splitlines()
            net = any(re.search(r"Could not (transfer|resolve)|UnknownHost|Connection (refused|timed out)|"
                                r"Network is unreachable|offline", line) for line in out)
            hint = ("Maven could not download the Neo4j jars: check the network (Maven Central) or a proxy/mirror "
                    "in ~/.m2/settings.xml" if net else "see Maven's output")
            raise Neo4jError(f"building the Neo4j launcher failed: `{' '.join(cmd)}` exited {r.returncode} — {hint}:\n"
                             + "\n".join(out[-30:]))
        (TARGET / "built.stamp").write_text(f"{NEO4J_VERSION}\n{time.time()}\n", encoding="utf-8")
        cp = _launcher_classpath()
        if cp is None:
            raise Neo4jError(f"`{' '.join(cmd)}` succeeded but {TARGET} lacks the launcher class or classpath.txt")
        return cp


def _java() -> str:
    """java 17+ from JAVA_HOME, else PATH."""
    jh = os.environ.get("JAVA_HOME")
    java = str(Path(jh) / "bin" / "java") if jh and (Path(jh) / "bin" / "java").exists() else shutil.which("java")
    if not java:
        raise Neo4jError("no `java` found (JAVA_HOME or PATH): Neo4j 5.26 needs Java 17 or 21 — install "
                         "openjdk-17-jre-headless")
    r = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    m = re.search(r'version "(\d+)', r.stderr + r.stdout)
    if not m or int(m.group(1)) < 17:
        raise Neo4jError(f"{java} is not Java 17+ ({(r.stderr or r.stdout).splitlines()[:1]}): Neo4j 5.26 needs "
                         "Java 17 or 21 — set JAVA_HOME")
    return java


# -- the server --------------------------------------------------------------------------------------------------
def _root(home: Path | None = None) -> Path:
    return Path(home or home_dir()) / "neo4j"


def _is_our_server(pid: int, root: Path) -> bool:
    """True when pid is alive and is the launcher of this root (not a recycled pid of something else)."""
    try:
        proc = psutil.Process(pid)
        cmd = proc.cmdline()
        return (proc.status() != psutil.STATUS_ZOMBIE and MAIN_CLASS in cmd
                and cmd[cmd.index(MAIN_CLASS) + 1:][:1] == [str(root)])
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, ValueError):
        return False


def _read_state(root: Path) -> dict | None:
    try:
        return json.loads((root / "server.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_state(root: Path, state: dict) -> None:
    tmp = root / "server.json.tmp"
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    os.replace(tmp, root / "server.json")


def _drop_state(root: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (root / "server.json").unlink()


def _running_state(root: Path) -> dict | None:
    """The state of a live, reachable server of this root, or None. A stale state file (pid gone, or reused by
    another program) is removed; a launcher that is alive but no longer accepts Bolt connections is stopped."""
    state = _read_state(root)
    if state is None:
        if (root / "server.json").exists():
            _drop_state(root)  # unreadable: left half-written by a crash
        return None
    pid = int(state.get("pid", 0))
    if not _is_our_server(pid, root):
        _drop_state(root)
        return None
    if not _port_open(int(state.get("port", 0))):  # hung or crashed half-way: do not hand it out
        _terminate(pid, timeout=15.0)
        _drop_state(root)
        return None
    return state


def _java_command(java: str, classpath_args: Path, root: Path, port: int, heap: str, pagecache: str) -> list[str]:
    return [
        java,
        f"-Xmx{heap}",
        "-XX:+UseSerialGC",  # small heap, 2-core machines: less memory and fewer threads than G1
        "-XX:-OmitStackTraceInFastThrow",
        f"-XX:ErrorFile={root / 'logs' / 'hs_err_pid%p.log'}",
        # what Neo4j's own start script opens (page cache and Netty use them; without them they fall back)
        "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "-Dio.netty.tryReflectionSetAccessible=true",
        "-Djdk.nio.maxCachedBufferSize=1024",
        "-Dlog4j2.disable.jmx=true",
        "-Dfile.encoding=UTF-8",
        "-Djava.awt.headless=true",
        f"@{classpath_args}",  # -cp in an argument file: 230 jars, and ps stays readable
        MAIN_CLASS, str(root), str(port), str(root / "password"), pagecache,
    ]


def _log_tail(root: Path, n: int = 25, since: int = 0) -> str:
    try:
        with open(root / "server.out", "rb") as fh:
            fh.seek(since)
            lines = fh.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return "(no server output)"
    return "\n".join(lines[-n:]) or "(no server output)"


def _start(root: Path, port: int | None, heap: str, pagecache: str, timeout: float) -> dict:
    classpath = build_launcher()
    java = _java()
    _password(root)  # written (0600) before the launcher reads it
    if port and _port_open(port):
        raise Neo4jError(f"port {port} is already in use on 127.0.0.1 — stop whatever listens there, choose another "
                         "port, or pass none to let YiGui pick a free one")
    (root / "logs").mkdir(parents=True, exist_ok=True)
    argfile = root / "java-classpath.args"
    argfile.write_text('-cp "' + classpath.replace("\\", "\\\\") + '"\n', encoding="utf-8")
    last = ""
    for _attempt in range(3):  # a free port can be taken by someone else between choosing it and binding it
        bolt = port or _free_port()
        log_file = root / "server.out"
        if log_file.exists() and log_file.stat().st_size > 5 * 1024 * 1024:
            os.replace(log_file, root / "server.out.1")
        offset = log_file.stat().st_size if log_file.exists() else 0
        out = open(log_file, "ab")
        t0 = time.time()
        proc = subprocess.Popen(_java_command(java, argfile, root, bolt, heap, pagecache), cwd=root,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True)
        out.close()
        state = {"pid": proc.pid, "port": bolt, "started_at": t0, "heap": heap, "pagecache": pagecache,
                 "version": NEO4J_VERSION}
        _write_state(root, state)
        deadline = t0 + timeout
        ready = False
        while time.time() < deadline and proc.poll() is None:
            if READY in _log_tail(root, 5, offset) and _port_open(bolt):
                ready = True
                break
            time.sleep(0.2)
        if ready:
            state["start_seconds"] = round(time.time() - t0, 2)
            _write_state(root, state)
            return state
        if proc.poll() is None:  # not ready in time: do not leave it behind
            _terminate(proc.pid)
            _drop_state(root)
            raise Neo4jError(f"the Neo4j server did not become ready within {timeout:.0f} s — see {log_file} and "
                             f"{root / 'logs' / 'debug.log'}; raise YIGUI_DB_START_TIMEOUT on a slow machine.\n"
                             + _log_tail(root, since=offset))
        _drop_state(root)
        last = _log_tail(root, since=offset)
        if "Address already in use" not in last or port:
            break
    raise Neo4jError(f"the Neo4j server exited during start — see {root / 'server.out'} and "
                     f"{root / 'logs' / 'debug.log'}. If the store is locked, another server uses {root}: stop it "
                     f"(`python -m graph.neo4j_server stop` with the same YIGUI_HOME).\n" + last)


def _info(root: Path, state: dict) -> Neo4jInfo:
    return Neo4jInfo(uri=f"bolt://127.0.0.1:{state['port']}", user=USER, password=_password(root), database=DATABASE,
                     pid=int(state["pid"]), port=int(state["port"]), home=str(root.parent),
                     started_at=state["started_at"], version=state.get("version", NEO4J_VERSION))


def ensure_neo4j(home: Path | None = None, port: int | None = None, heap: str | None = None, *,
                 pagecache: str = "256m", timeout: float | None = None, owner_pid: int | None = None) -> Neo4jInfo:
    """Connection info for the local Neo4j server of this YIGUI_HOME, starting it first when it is not running.

    port: the Bolt port (default: a free one); heap: -Xmx (default YIGUI_DB_HEAP, 1g); pagecache: Neo4j's page
    cache (off-heap); owner_pid: stop the server when that process ends, even if it is killed (test sessions)."""
    root = _root(home)
    cfg = settings()
    heap = heap or cfg.db_heap
    timeout = timeout or cfg.db_start_timeout
    with _lock(root):
        state = _running_state(root)
        if state is not None and port and int(state["port"]) != port:
            raise Neo4jError(f"the Neo4j server of {root.parent} already runs on port {state['port']}, not {port} — "
                             "stop it first to change the port")
        if state is None:
            state = _start(root, port, heap, pagecache, timeout)
            if owner_pid:
                subprocess.Popen([sys.executable, "-m", "graph.neo4j_server", "_watch", str(owner_pid),
                                  str(root.parent)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True,
                                 cwd=Path(__file__).resolve().parent.parent)
        return _info(root, state)


def _watch(owner_pid: int, home: Path) -> None:
    """Stop the server of `home` once owner_pid is gone (or the server itself is)."""
    root = _root(home)
    while True:
        time.sleep(2.0)
        state = _read_state(root)
        if state is None or not _is_our_server(int(state.get("pid", 0)), root):
            return
        try:
            os.kill(owner_pid, 0)
        except ProcessLookupError:
            stop_neo4j(home)
            return
        except PermissionError:
            pass


def stop_neo4j(home: Path | None = None, timeout: float = 30.0) -> bool:
    """Stop the server of this YIGUI_HOME (SIGTERM: the launcher shuts the DBMS down cleanly; SIGKILL only if it
    hangs); False when none was running (a stale state file is cleaned up)."""
    root = _root(home)
    with _lock(root):
        state = _read_state(root)
        if state is None or not _is_our_server(int(state.get("pid", 0)), root):
            _drop_state(root)
            return False
        _terminate(int(state["pid"]), timeout)
        _drop_state(root)
        return True


def neo4j_status(home: Path | None = None) -> dict:
    """JSON-ready status: running, pid, uri, uptime, resident memory, data directory (never the password)."""
    root = _root(home)
    state = _read_state(root)
    if state is None or not _is_our_server(int(state.get("pid", 0)), root):
        if state is not None:
            _drop_state(root)
        return {"running": False, "home": str(root.parent), "data": str(root)}
    return {
        "running": True,
        "reachable": _port_open(int(state["port"])),
        "pid": state["pid"],
        "uri": f"bolt://127.0.0.1:{state['port']}",
        "port": state["port"],
        "user": USER,
        "version": state.get("version", NEO4J_VERSION),
        "heap": state.get("heap"),
        "pagecache": state.get("pagecache"),
        "start_seconds": state.get("start_seconds"),
        "uptime_seconds": round(time.time() - state["started_at"], 1),
        "rss_bytes": rss_bytes(int(state["pid"])),
        "home": str(root.parent),
        "data": str(root),
        "password_file": str(root / "password"),
    }


if __name__ == "__main__":  # python -m graph.neo4j_server build|start|stop|status|env
    cmd = sys.argv[1] if len(sys.argv) > 1 else "status"
    if cmd == "_watch":
        _watch(int(sys.argv[2]), Path(sys.argv[3]))
    elif cmd == "build":
        t = time.time()
        build_launcher(force="--force" in sys.argv)
        print(f"launcher ready in {TARGET} ({time.time() - t:.1f} s)")
    elif cmd == "start":
        print(json.dumps(asdict(ensure_neo4j()) | {"password": "***"}, indent=2))
    elif cmd == "env":  # eval "$(python -m graph.neo4j_server env)": point NEO4J_* at the local server
        import shlex

        for k, v in ensure_neo4j().env().items():
            print(f"export {k}={shlex.quote(v)}")
    elif cmd == "stop":
        print("stopped" if stop_neo4j() else "not running")
    elif cmd == "status":
        print(json.dumps(neo4j_status(), indent=2))
    else:
        raise SystemExit("usage: python -m graph.neo4j_server build|start|stop|status|env")
