"""CLI commands for the db area: `yigui db start | stop | status` (the local ArcadeDB graph server)."""
from __future__ import annotations


import typer
from rich.console import Console

from ui.cli_support import emit_json

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

db_app = typer.Typer(help="The local graph server (ArcadeDB over Bolt on 127.0.0.1). It stops by itself when no "
                          "client has used it for YIGUI_DB_IDLE_TIMEOUT seconds, and when its YIGUI_HOME is deleted. "
                          "With NEO4J_URI set, YiGui uses that Neo4j server instead and these commands only report it.",
                     no_args_is_help=True)


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
                                                          "`yigui db stop`)")) -> None:
    """Start the local graph server (no-op when it is already running) and print where it listens. Without --keep
    it stops after YIGUI_DB_IDLE_TIMEOUT seconds (default 300) without a client."""
    from graph.server import ServerError, ensure_server, server_status

    _neo4j_note()
    try:
        info = ensure_server(keep=keep)
    except ServerError as e:
        err.print(f"[red]✗ {e}[/red]")
        raise typer.Exit(1)
    st = server_status()
    if as_json:
        emit_json(st)
        return
    stays = ("kept running until `yigui db stop`" if st.get("keep") else
             f"stops after {st.get('idle_timeout') or 0:g} s without a client (--keep keeps it)"
             if st.get("idle_timeout") else "no idle stop")
    out.print(f"[green]running[/green] pid {info.pid} · {info.uri} · database {info.database} · "
              f"heap {st.get('heap')} · RSS {_mb(st.get('rss_bytes'))} · data {st['data']} · {stays}")


@db_app.command()
def stop(all_servers: bool = typer.Option(False, "--all", help="stop every local server this user started (any "
                                                              "YIGUI_HOME, deleted ones included)")) -> None:
    """Stop the local graph server cleanly (its data stays under YIGUI_HOME)."""
    from graph.server import stop_all, stop_server

    _neo4j_note()
    if not all_servers:
        out.print("stopped" if stop_server() else "not running")
        return
    stopped = stop_all()
    for s in stopped:
        out.print(f"stopped pid {s['pid']} · home {s['home']}" + (" (deleted)" if s["home_gone"] else ""))
    if not stopped:
        out.print("no local graph server running")


@db_app.command()
def status(as_json: bool = typer.Option(False, "--json", help="print the status as JSON")) -> None:
    """Is the local graph server of this YIGUI_HOME running (pid, ports, uptime, memory, idle time), and every other
    local server this user started (home, port, idle time; orphans whose home is gone included). Exit status 3 when
    this home's server is not running."""
    from graph.server import list_servers, server_status

    _neo4j_note()
    st = server_status()
    servers = list_servers()
    if as_json:
        emit_json(st | {"servers": servers})
    elif st["running"]:
        out.print(f"[green]running[/green] pid {st['pid']} · {st['uri']} · http {st['http_port']} · up "
                  f"{st['uptime_seconds']:.0f} s · heap {st.get('heap')} · RSS {_mb(st.get('rss_bytes'))} · "
                  f"data {st['data']} · {_lifetime(st)}")
    else:
        out.print(f"not running (data {st['data']}) — `yigui db start` starts it; `yigui ingest` starts it on demand")
    if servers and not as_json:
        out.print(f"local graph servers of this user ({len(servers)}; `yigui db stop --all` stops them):")
        for s in servers:
            where = f"{s['home']} [red](deleted)[/red]" if s["home_gone"] else s["home"]
            orphan = " · [yellow]orphan[/yellow]" if s["orphan"] else ""
            out.print(f"  pid {s['pid']} · home {where} · bolt {s['bolt_port']} · http {s['http_port']} · up "
                      f"{s['uptime_seconds']:.0f} s · {_lifetime(s)} · RSS {_mb(s.get('rss_bytes'))}{orphan}")
    if not st["running"]:
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
