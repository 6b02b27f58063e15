"""A local Neo4j 5 server the project starts itself (the Neo4j path of issue #14; graph.server is the ArcadeDB one).

Neo4j 5.26 LTS Community, embedded (org.neo4j:neo4j) behind a short launcher the project owns (graph/neo4j/:
pom.xml + yigui/Neo4jLauncher.java), built once with Maven into graph/neo4j/target/. The server listens on
127.0.0.1 only, with only its Bolt connector (the embedded DBMS has no HTTP server), auth on, a generated password
for user neo4j kept in a file only the user can read, a heap limit, and its data under YIGUI_HOME/neo4j.

    info = ensure_neo4j(home)                  # starts it, or finds the running one
    GraphStore.connect(info.uri, info.user, info.password)
    # or: eval "$(python -m graph.neo4j_server env)"  ->  NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD

Lifetime: the same as the ArcadeDB server's (graph.server.launch): java runs under YiGui's supervisor, which stops
it after YIGUI_DB_IDLE_TIMEOUT seconds without a client, when its home is deleted, when its owner process ends, or
when the supervisor dies; each server is in the registry, so `yigui db status` and `yigui db stop --all` see it.

Layout under YIGUI_HOME:
  neo4j/                Neo4j home (data/, logs/debug.log)
  neo4j/server.json     state: pid (java), supervisor_pid, bolt_port, started_at (a stale file is detected and replaced)
  neo4j/password        password of user neo4j, mode 0600 (the launcher reads it; never on a command line)
  neo4j/server.out      launcher and supervisor output (its READY / FAILED / STOPPED lines)
  neo4j/clients/, keep  as for ArcadeDB (graph.server)

Needs `java` 17+ (JAVA_HOME or PATH) and, to build the launcher once, `mvn` with Maven Central reachable (or the
jars already in ~/.m2). Settings read: YIGUI_HOME, YIGUI_DB_HEAP (heap, default 1g), YIGUI_DB_BOLT_PORT,
YIGUI_DB_START_TIMEOUT, YIGUI_DB_IDLE_TIMEOUT, YIGUI_DB_REGISTRY.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path


from graph import server as _server  # the shared lifecycle: supervisor, registry, locks, ports
from graph.server import ServerError, _lock, _password, _port_open
from ingest.settings import home_dir, settings

NEO4J_VERSION = "5.26.0"  # graph/neo4j/pom.xml <neo4j.version>
USER = "neo4j"
DATABASE = "neo4j"  # Community has one user database
MAIN_CLASS = "yigui.Neo4jLauncher"
PROJECT = Path(__file__).resolve().parent / "neo4j"
TARGET = PROJECT / "target"
READY, FAILED = "YIGUI_NEO4J_READY", "YIGUI_NEO4J_FAILED"


class Neo4jError(ServerError):
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


rss_bytes = _server.rss_bytes


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
    return Path(home or home_dir()).absolute() / "neo4j"


def _java_command(java: str, classpath_args: Path, root: Path, port: int, heap: str, pagecache: str) -> list[str]:
    return [
        java,
        f"-Xmx{heap}",
        "-XX:+UseSerialGC",  # small heap, 2-core machines: less memory and fewer threads than G1
        "-XX:-OmitStackTraceInFastThrow",
        f"-XX:ErrorFile={root / 'logs' / 'hs_err_pid%p.log'}",
        f"{_server.ROOT_MARK}{root}",
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


def _start(root: Path, port: int | None, heap: str, pagecache: str, timeout: float, owner_pid: int | None) -> dict:
    classpath = build_launcher()
    java = _java()
    _password(root)  # written (0600) before the launcher reads it
    (root / "logs").mkdir(parents=True, exist_ok=True)
    argfile = root / "java-classpath.args"
    argfile.write_text('-cp "' + classpath.replace("\\", "\\\\") + '"\n', encoding="utf-8")

    def ready(state: dict, offset: int) -> bool:
        out = _server._log_tail(root, 5, since=offset)
        if FAILED in out:
            return False  # the launcher exits; launch() reports its output
        return READY in out and _port_open(int(state["bolt_port"]))

    try:
        return _server.launch(
            root, backend="neo4j", label="Neo4j server", ports={"bolt_port": port or settings().db_bolt_port or None},
            command=lambda p: _java_command(java, argfile, root, p["bolt_port"], heap, pagecache), ready=ready,
            state={"heap": heap, "pagecache": pagecache, "version": NEO4J_VERSION}, timeout=timeout,
            owner_pid=owner_pid, stop_hint="run `yigui db stop --backend neo4j` with the same YIGUI_HOME")
    except ServerError as e:
        raise Neo4jError(f"{e}\n(Neo4j's own log: {root / 'logs' / 'debug.log'})") from None


def _info(root: Path, state: dict) -> Neo4jInfo:
    return Neo4jInfo(uri=f"bolt://127.0.0.1:{state['bolt_port']}", user=USER, password=_password(root),
                     database=DATABASE, pid=int(state["pid"]), port=int(state["bolt_port"]), home=str(root.parent),
                     started_at=state["started_at"], version=state.get("version", NEO4J_VERSION))


def ensure_neo4j(home: Path | None = None, port: int | None = None, heap: str | None = None, *,
                 pagecache: str = "256m", timeout: float | None = None, owner_pid: int | None = None,
                 keep: bool = False) -> Neo4jInfo:
    """Connection info for the local Neo4j server of this YIGUI_HOME, starting it first when it is not running; the
    calling process counts as its client until it ends (graph.server.ensure_running).

    port: the Bolt port (default YIGUI_DB_BOLT_PORT, else a free one); heap: -Xmx (default YIGUI_DB_HEAP, 1g);
    pagecache: Neo4j's page cache (off-heap); owner_pid: stop the server when that process ends, even if it is
    killed (test sessions); keep: no idle stop."""
    root = _root(home)
    cfg = settings()
    heap = heap or cfg.db_heap
    timeout = timeout or cfg.db_start_timeout
    root.mkdir(parents=True, exist_ok=True)
    state = _server.ensure_running(root, lambda: _start(root, port, heap, pagecache, timeout, owner_pid), keep=keep)
    if port and int(state["bolt_port"]) != port:
        raise Neo4jError(f"the Neo4j server of {root.parent} already runs on port {state['bolt_port']}, not {port} — "
                         "stop it first to change the port")
    return _info(root, state)


def stop_neo4j(home: Path | None = None) -> bool:
    """Stop the server of this YIGUI_HOME (SIGTERM to its supervisor: the launcher shuts the DBMS down cleanly;
    SIGKILL only if it hangs); False when none was running (a stale state file is cleaned up)."""
    return _server.stop_root(_root(home))


def neo4j_status(home: Path | None = None) -> dict:
    """JSON-ready status: running, pid, uri, uptime, resident memory, idle time, data directory (never the
    password)."""
    root = _root(home)
    st = _server.root_status(root, "neo4j")
    if st["running"]:
        state = _server._read_state(root) or {}
        st |= {"port": st["bolt_port"], "user": USER, "database": DATABASE, "reachable": _port_open(st["bolt_port"]),
               "version": state.get("version", NEO4J_VERSION), "pagecache": state.get("pagecache"),
               "password_file": str(root / "password")}
    return st


if __name__ == "__main__":  # python -m graph.neo4j_server build|start|stop|status|env
    cmd = sys.argv[1] if len(sys.argv) > 1 else "status"
    if cmd == "build":
        t = time.time()
        build_launcher(force="--force" in sys.argv)
        print(f"launcher ready in {TARGET} ({time.time() - t:.1f} s)")
    elif cmd == "start":
        print(json.dumps(asdict(ensure_neo4j()) | {"password": "***"}, indent=2))
    elif cmd == "env":  # eval "$(python -m graph.neo4j_server env)": point NEO4J_* at the local server
        import shlex

        for k, v in ensure_neo4j(keep=True).env().items():
            print(f"export {k}={shlex.quote(v)}")
    elif cmd == "stop":
        print("stopped" if stop_neo4j() else "not running")
    elif cmd == "status":
        print(json.dumps(neo4j_status(), indent=2))
    else:
        raise SystemExit("usage: python -m graph.neo4j_server build|start|stop|status|env")
