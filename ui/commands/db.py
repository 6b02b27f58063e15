"""CLI commands for the db area: `yigui db start | stop | status [--backend arcadedb|neo4j]` (the local graph
servers: ArcadeDB, the default, or Neo4j 5.26; both under the same supervisor, see graph.server)."""
from __future__ import annotations


import typer
from rich.console import Console

from ui.cli_support import emit_json

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

db_app = typer.Typer(help="The local graph server over Bolt on 127.0.0.1: ArcadeDB (default) or Neo4j 5.26 "
                          "(--backend neo4j, or YIGUI_DB_BACKEND=neo4j for every command). It stops by itself when no "
                          "client has used it for YIGUI_DB_IDLE_TIMEOUT seconds, and when its YIGUI_HOME is deleted. "
                          "With NEO4J_URI set, YiGui uses that Neo4j server instead and these commands only report it.",
                     no_args_is_help=True)

BACKENDS = ("arcadedb", "neo4j")


def _backend(value: str | None) -> str:
    """--backend, else YIGUI_DB_BACKEND; a wrong value exits 2 naming it."""
    from ingest.settings import settings

    name = (value or settings().db_backend).strip().lower()
    if name not in BACKENDS:
        err.print(f"[red]✗ --backend {value!r}: not a local graph server — use one of {', '.join(BACKENDS)}[/red]")
        raise typer.Exit(2)
    return name


_BACKEND_OPT = typer.Option(None, "--backend", help="arcadedb | neo4j (default: YIGUI_DB_BACKEND, else arcadedb)")


def _funcs(backend: str):
    """(ensure, stop, status) of one backend's local server."""
    if backend == "neo4j":
        from graph.neo4j_server import ensure_neo4j, neo4j_status, stop_neo4j

        return (lambda keep: ensure_neo4j(keep=keep)), stop_neo4j, neo4j_status
    from graph.server import ensure_server, server_status, stop_server

    return (lambda keep: ensure_server(keep=keep)), stop_server, server_status


def _where(st: dict) -> str:
    """uri and what listens: ArcadeDB's HTTP port, or the Neo4j version."""
    extra = f"http {st['http_port']}" if st.get("http_port") else f"Neo4j {st.get('version', '')}".strip()
    return f"{st['uri']} · {extra}"


def _neo4j_note() -> bool:
    from ingest.settings import settings

    uri = settings().neo4j_uri
    if uri:
        err.print(f"[yellow]NEO4J_URI is set ({uri}): YiGui uses that Neo4j server; the local server is not used.[/yellow]")
    return bool(uri)


def _mb(n: int | None) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n else "unknown"


def _lifetime(st: dict) -> str:
    """How long the server stays: in use, kept, or idle for so long of its timeout."""
    if st.get("keep"):
        return "kept (no idle stop)"
    if st.get("in_use"):
        return f"in use ({st.get('clients', 0)} client processes, {st.get('connections', 0)} connections)"
    if st.get("idle_seconds") is None:
        return "no idle stop (started by an older version)"
    timeout = st.get("idle_timeout") or 0
    return f"idle {st['idle_seconds']:.0f} s" + (f" of {timeout:g} s" if timeout else " (no idle stop)")


@db_app.command()
def start(as_json: bool = typer.Option(False, "--json", help="print the connection info as JSON"),
          keep: bool = typer.Option(False, "--keep", help="keep the server running when no client uses it (until "
                                                          "`yigui db stop`)"),
          backend: str | None = _BACKEND_OPT) -> None:
    """Start the local graph server (no-op when it is already running) and print where it listens. Without --keep
    it stops after YIGUI_DB_IDLE_TIMEOUT seconds (default 300) without a client."""
    from graph.server import ServerError

    _neo4j_note()
    name = _backend(backend)
    ensure, _stop, status_of = _funcs(name)
    try:
        info = ensure(keep)
    except ServerError as e:
        err.print(f"[red]✗ {e}[/red]")
        raise typer.Exit(1)
    st = status_of()
    if as_json:
        emit_json(st)
        return
    stays = ("kept running until `yigui db stop`" if st.get("keep") else
             f"stops after {st.get('idle_timeout') or 0:g} s without a client (--keep keeps it)"
             if st.get("idle_timeout") else "no idle stop")
    out.print(f"[green]running[/green] {name} pid {info.pid} · {_where(st)} · database {info.database} · "
              f"heap {st.get('heap')} · RSS {_mb(st.get('rss_bytes'))} · data {st['data']} · {stays}")


@db_app.command()
def stop(all_servers: bool = typer.Option(False, "--all", help="stop every local server this user started (both "
                                                              "backends, any YIGUI_HOME, deleted ones included)"),
         backend: str | None = _BACKEND_OPT) -> None:
    """Stop the local graph server cleanly (its data stays under YIGUI_HOME)."""
    from graph.server import stop_all

    _neo4j_note()
    if not all_servers:
        name = _backend(backend)
        out.print("stopped" if _funcs(name)[1]() else f"not running ({name})")
        return
    stopped = stop_all()
    for s in stopped:
        out.print(f"stopped {s['backend']} pid {s['pid']} · home {s['home']}" + (" (deleted)" if s["home_gone"] else ""))
    if not stopped:
        out.print("no local graph server running")


@db_app.command()
def status(as_json: bool = typer.Option(False, "--json", help="print the status as JSON"),
           backend: str | None = _BACKEND_OPT) -> None:
    """Is the local graph server of this YIGUI_HOME running (pid, ports, uptime, memory, idle time), and every other
    local server this user started, of either backend (home, port, idle time; orphans whose home is gone included).
    Exit status 3 when this home's server is not running."""
    from graph.server import list_servers

    _neo4j_note()
    name = _backend(backend)
    st = _funcs(name)[2]()
    servers = list_servers()
    if as_json:
        emit_json(st | {"servers": servers})
    elif st["running"]:
        out.print(f"[green]running[/green] {name} pid {st['pid']} · {_where(st)} · up {st['uptime_seconds']:.0f} s · "
                  f"heap {st.get('heap')} · RSS {_mb(st.get('rss_bytes'))} · data {st['data']} · {_lifetime(st)}")
    else:
        flag = "" if name == "arcadedb" else " --backend neo4j"
        out.print(f"not running ({name}, data {st['data']}) — `yigui db start{flag}` starts it; `yigui ingest` starts "
                  "it on demand" + ("" if flag == "" else " with YIGUI_DB_BACKEND=neo4j"))
    if servers and not as_json:
        out.print(f"local graph servers of this user ({len(servers)}; `yigui db stop --all` stops them):")
        for s in servers:
            where = f"{s['home']} [red](deleted)[/red]" if s["home_gone"] else s["home"]
            orphan = " · [yellow]orphan[/yellow]" if s["orphan"] else ""
            http = f" · http {s['http_port']}" if s.get("http_port") else ""
            out.print(f"  {s['backend']} pid {s['pid']} · home {where} · bolt {s['bolt_port']}{http} · up "
                      f"{s['uptime_seconds']:.0f} s · {_lifetime(s)} · RSS {_mb(s.get('rss_bytes'))}{orphan}")
    if not st["running"]:
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
