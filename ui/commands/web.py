"""CLI commands for the web area: `yigui checklist`, `yigui serve`, `yigui ui`, `yigui apikey create|list|revoke`."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import typer

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# seconds a server process (the API, the app) may take to finish after SIGTERM/SIGINT/SIGHUP before it exits anyway
EXIT_GRACE = 4.0
# seconds `yigui ui` gives its child after SIGTERM before SIGKILL (the child's own EXIT_GRACE plus a margin)
CHILD_GRACE = EXIT_GRACE + 2.0


def _fail(msg: str, code: int = 2) -> None:
    typer.secho(msg, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def checklist(
    output: Path = typer.Option(..., "--output", "-o", help="file to write, e.g. registrant-post-market.xlsx"),
    fmt: str = typer.Option(None, "--format", "-f", help="xlsx | docx | csv | json (default: from the file suffix; "
                                                         "when both are given they must agree)"),
    actor: str = typer.Option(None, "--actor", "-a", help="actor id or name, e.g. md-registrant or 医疗器械注册人"),
    stage: str = typer.Option(None, "--stage", "-s", help="lifecycle stage id or name, e.g. post-market"),
    modality: str = typer.Option(None, "--modality", "-m", help="obligation | prohibition | permission | right | power"),
    doc: str = typer.Option(None, "--doc", "-d", help="document id (mdsr-2024) or instrument id (mdsr)"),
    level: str = typer.Option(None, "--level", "-l", help="law | administrative_regulation | departmental_rule | …"),
    all_versions: bool = typer.Option(False, "--all-versions", help="include superseded versions"),
    no_inherited: bool = typer.Option(False, "--no-inherited", help="only duties addressed to this actor by name"),
    title: str = typer.Option(None, "--title", help="title printed on the register"),
    group: str = typer.Option("instrument", "--group", help="DOCX sections: instrument | stage"),
    merge: Path = typer.Option(None, "--merge", help="a filled register (.xlsx or .csv exported earlier): what was "
                               "typed in its tracking columns is carried over; changed clauses are flagged"),
    changes_since: str = typer.Option(None, "--changes-since", help="YYYY-MM-DD: flag the rows amendments in force "
                                      "after this date added, changed, renumbered or re-sanctioned (变更 column)"),
    as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD: use the versions in force on that date (e.g. "
                                                    "2023-06-01 reads MDSR 2021, 2025-06-01 MDSR 2024)"),
) -> None:
    """Export an obligations register: one row per obligation, highest legal rank first, with its pinpoint
    citation, verbatim clause, condition, required elements, penalties (tiers), and tracking columns (Owner,
    Control, Evidence, Status, Review date, Notes, Verified by). --merge keeps the tracking of a filled register."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    from ui import export, register
    from ui.cli_support import open_core
    from ui.commands.obligations import core_filters

    suffix = output.suffix.lstrip(".").lower()
    if fmt and suffix in export.FORMATS and suffix != fmt.lower():
        _fail(f"--format {fmt} and -o {output.name} disagree: give a file ending in .{fmt.lower()}, or drop "
              f"--format to write {suffix}")
    fmt = (fmt or suffix).lower()
    if fmt not in export.FORMATS:
        _fail(f"--format {fmt or '(none)'} is not supported: choose one of {', '.join(export.FORMATS)} "
              "(or give -o a file ending in one of them)")
    if group not in export.GROUPS:
        _fail(f"--group {group!r}: choose one of {', '.join(export.GROUPS)}")
    from ingest.versions import parse_day

    try:
        parse_day(changes_since)
    except ValueError as exc:
        _fail(f"--changes-since: {exc}")
    filled = None
    if merge is not None:
        if not merge.is_file():
            _fail(f"--merge {merge}: no such file — give the filled register (.xlsx or .csv) to merge")
        try:
            filled = register.read_filled(merge)
        except ValueError as exc:
            _fail(f"--merge: {exc}")
    with open_core() as core:
        f = core_filters(core, actor=actor, stage=stage, modality=modality, doc=doc, level=level,
                         current_only=not all_versions, include_inherited=not no_inherited, as_of=as_of)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      transient=True, console=Console(stderr=True)) as bar:
            t = bar.add_task(f"building the {fmt} register", total=None)
            result = core.register(f, fmt, title=title, group=group, filled=filled,
                                   merged_from=merge.name if merge else None, changes_since=changes_since,
                                   progress=lambda done, total: bar.update(t, completed=done, total=total or None))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(result.data)
    if not result.rows:
        typer.secho("no obligations match these filters; the checklist is empty", fg=typer.colors.YELLOW, err=True)
    typer.echo(f"{result.rows} obligations -> {output}")
    if merge is not None:
        typer.echo(f"merged {merge.name}: {result.kept} kept, {result.changed} changed — review, {result.new} new, "
                   f"{result.removed} removed" + (" (listed on the Removed sheet)" if fmt == "xlsx" and
                                                  result.removed else ""))


def serve(
    host: str = typer.Option("127.0.0.1", help="address to bind; keep 127.0.0.1 unless behind a proxy"),
    port: int = typer.Option(8000, help="TCP port"),
    log_level: str = typer.Option("info", help="uvicorn log level"),
) -> None:
    """Run the REST API (OpenAPI at /openapi.json). Clients send `Authorization: Bearer <key>`. SIGTERM or SIGINT
    ends it within a few seconds (requests still running then are cut off)."""
    import uvicorn

    from ui.apikeys import KeyStore

    keys = KeyStore()
    if keys.active_count() == 0:
        typer.secho("no API keys yet: every /v1 request will get 401; create one with "
                    "`yigui apikey create --name NAME`", fg=typer.colors.YELLOW, err=True)
    bounded_shutdown()
    uvicorn.run("ui.api:app_from_env", factory=True, host=host, port=port, log_level=log_level,
                timeout_graceful_shutdown=max(1, int(EXIT_GRACE) - 2))


STREAMLIT_FLAGS = ["--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
                   "--theme.primaryColor", "#1F3864", "--server.fileWatcherType", "none"]


def ui(
    port: int = typer.Option(8501, help="TCP port for the app"),
    host: str = typer.Option("127.0.0.1", help="address to bind"),
) -> None:
    """Open the Streamlit app for lawyers: questions, cited clauses, obligation explorer, exports. Loopback only
    unless YIGUI_APP_PASSWORD is set (the app then asks for it). The app's process ends with this command, however
    this command ends."""
    import ipaddress

    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    from ingest.settings import settings

    if not loopback and not settings().app_password:
        typer.secho(f"refusing to serve the app on {host}: it would be open to anyone who can reach this address. "
                    "Set YIGUI_APP_PASSWORD=<a password> (the app then asks for it), or keep --host 127.0.0.1.",
                    fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    app_py = Path(__file__).resolve().parent.parent / "app.py"
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r}); "
            "from ui.commands.web import _app_process; _app_process()")
    cmd = [sys.executable, "-c", code, "run", str(app_py), "--server.headless", "true",
           "--server.address", host, "--server.port", str(port), *STREAMLIT_FLAGS]
    typer.echo(f"YiGui app: http://{host}:{port}")
    raise typer.Exit(run_child(cmd))


def _app_process() -> None:
    """The app's process (`yigui ui` runs it as its child): `streamlit <args>`, ending at most EXIT_GRACE s after
    SIGTERM. (`yigui ui` has the kernel send that SIGTERM when `yigui ui` itself ends.)"""
    bounded_shutdown()
    from streamlit.web.cli import main

    sys.argv = ["streamlit", *sys.argv[1:]]
    main(prog_name="streamlit")


def bounded_shutdown(grace: float = EXIT_GRACE) -> None:
    """From now on this process ends at most `grace` seconds after SIGTERM, SIGINT or SIGHUP, whatever the server
    it runs does with them. Streamlit and uvicorn catch these signals to stop gracefully and then wait for their work
    to finish — a script run or a request stuck in a query or an LLM call would keep the process alive; so every
    handler installed for them after this call also starts a timer that ends the process (exit status 128 + the
    signal)."""
    install = signal.signal

    def with_deadline(handler):
        def on_signal(signum, frame):
            timer = threading.Timer(grace, _exit_now, (signum, grace))
            timer.daemon = True
            timer.start()
            return handler(signum, frame)

        return on_signal

    def signal_with_deadline(signum, handler):
        return install(signum, with_deadline(handler) if signum in STOP_SIGNALS and callable(handler) else handler)

    signal.signal = signal_with_deadline


def _exit_now(signum: int, grace: float) -> None:
    os.write(2, f"yigui: still running {grace:g} s after {signal.Signals(signum).name}: exiting now\n".encode())
    os._exit(128 + signum)


class _Signalled(Exception):
    pass


def run_child(cmd: list[str]) -> int:
    """Run `cmd` in its own session and process group until it ends; its exit status. SIGTERM, SIGINT (Ctrl-C) or
    SIGHUP to this process ends the child's group — SIGTERM, SIGKILL after CHILD_GRACE s — and returns 128 + the
    signal. If this process dies without that chance (SIGKILL, a crash), the kernel sends the child SIGTERM (Linux
    PR_SET_PDEATHSIG)."""
    from graph.server import parent_death_preexec

    proc = subprocess.Popen(cmd, env=os.environ.copy(), start_new_session=True, preexec_fn=parent_death_preexec())
    received: list[int] = []

    def on_signal(signum, _frame):
        if not received:
            received.append(signum)
            raise _Signalled

    previous = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    try:
        return proc.wait()
    except _Signalled:
        return 128 + received[0]
    finally:
        received.append(0)  # a second signal does not interrupt the clean-up
        _end_group(proc)
        for s, handler in previous.items():
            signal.signal(s, handler)


def _end_group(proc: subprocess.Popen) -> None:
    """End the child and whatever else runs in its process group."""
    def to_group(sig: int) -> None:
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    if proc.poll() is None:
        to_group(signal.SIGTERM)
        try:
            proc.wait(CHILD_GRACE)
        except subprocess.TimeoutExpired:
            to_group(signal.SIGKILL)
            proc.wait()
    to_group(signal.SIGTERM)  # members left behind by a child that has ended


apikey_app = typer.Typer(help="API keys for `yigui serve` (stored hashed in YIGUI_HOME).", no_args_is_help=True)


@apikey_app.command("create")
def apikey_create(name: str = typer.Option(..., "--name", help="who uses the key, e.g. contracts-tool")) -> None:
    """Create a key; it is printed once, alone on the last line (only its hash is stored)."""
    from ui.apikeys import KeyStore, KeyStoreError

    store = KeyStore()
    try:
        rec, key = store.create(name)
    except KeyStoreError as exc:
        _fail(str(exc))
    typer.echo(f"created key {rec.id} ({rec.name}) in {store.path}; it is shown only now:", err=True)
    typer.echo(key)


@apikey_app.command("list")
def apikey_list() -> None:
    """List keys (id, name, created, revoked); keys themselves are never shown again."""
    from rich.console import Console
    from rich.table import Table

    from ui.apikeys import KeyStore, KeyStoreError

    try:
        keys = KeyStore().list()
    except KeyStoreError as exc:
        _fail(str(exc))
    if not keys:
        typer.echo("no API keys; create one with `yigui apikey create --name NAME`")
        return
    table = Table("id", "name", "created", "status")
    for k in keys:
        table.add_row(k.id, k.name, k.created, f"revoked {k.revoked}" if k.revoked else "active")
    Console().print(table)


@apikey_app.command("revoke")
def apikey_revoke(key: str = typer.Argument(..., help="key id (from `yigui apikey list`) or name")) -> None:
    """Revoke a key by id or name; requests with it get 401 at once."""
    from ui.apikeys import KeyStore

    hits = KeyStore().revoke(key)
    if not hits:
        _fail(f"no active key with id or name {key!r}; see `yigui apikey list`", code=1)
    for k in hits:
        typer.echo(f"revoked {k.id} ({k.name})")


def register(app: typer.Typer) -> None:
    app.command("checklist")(checklist)
    app.command("serve")(serve)
    app.command("ui")(ui)
    app.add_typer(apikey_app, name="apikey")
