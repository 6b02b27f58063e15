"""CLI commands for the db area: `yigui db start | stop | status` (the local ArcadeDB graph server)."""
from __future__ import annotations


import typer
from rich.console import Console

from ui.cli_support import emit_json

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

db_app = typer.Typer(help="The local graph server (ArcadeDB over Bolt on 127.0.0.1). With NEO4J_URI set, YiGui "
                          "uses that Neo4j server instead and these commands only report it.",
                     no_args_is_help=True)


def _neo4j_note() -> bool:
    from ingest.settings import settings

    uri = settings().neo4j_uri
    if uri:
        err.print(f"[yellow]NEO4J_URI is set ({uri}): YiGui uses that Neo4j server; the local server is not used.[/yellow]")
    return bool(uri)


def _mb(n: int | None) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n else "unknown"


@db_app.command()
def start(as_json: bool = typer.Option(False, "--json", help="print the connection info as JSON")) -> None:
    """Start the local graph server (no-op when it is already running) and print where it listens."""
    from graph.server import ServerError, ensure_server, server_status

    _neo4j_note()
    try:
        info = ensure_server()
    except ServerError as e:
        err.print(f"[red]✗ {e}[/red]")
        raise typer.Exit(1)
    st = server_status()
    if as_json:
        emit_json(st)
        return
    out.print(f"[green]running[/green] pid {info.pid} · {info.uri} · database {info.database} · "
              f"heap {st.get('heap')} · RSS {_mb(st.get('rss_bytes'))} · data {st['data']}")


@db_app.command()
def stop() -> None:
    """Stop the local graph server cleanly (its data stays under YIGUI_HOME)."""
    from graph.server import stop_server

    _neo4j_note()
    out.print("stopped" if stop_server() else "not running")


@db_app.command()
def status(as_json: bool = typer.Option(False, "--json", help="print the status as JSON")) -> None:
    """Is the local graph server running; its pid, ports, uptime and memory. Exit status 3 when it is not."""
    from graph.server import server_status

    _neo4j_note()
    st = server_status()
    if as_json:
        emit_json(st)
    elif st["running"]:
        out.print(f"[green]running[/green] pid {st['pid']} · {st['uri']} · http {st['http_port']} · up "
                  f"{st['uptime_seconds']:.0f} s · heap {st.get('heap')} · RSS {_mb(st.get('rss_bytes'))} · "
                  f"data {st['data']}")
    else:
        out.print(f"not running (data {st['data']}) — `yigui db start` starts it; `yigui ingest` starts it on demand")
    if not st["running"]:
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
