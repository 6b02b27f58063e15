"""CLI commands for the obligations area: `yigui obligations [--actor …] [--stage …] [--modality …] [--doc …]`."""
from __future__ import annotations


import typer
from rich.console import Console

from corpus import taxonomy
from graph.obligations.model import MODALITY_LABELS

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)



def obligations(
    actor: str = typer.Option(None, "--actor", "-a", help="actor id, Chinese or English name (e.g. 医疗器械注册人, "
                                                          "md-registrant, hospital); inherited roles included"),
    stage: str = typer.Option(None, "--stage", "-s", help="lifecycle stage id, Chinese or English name (e.g. "
                                                          "post-market, 上市后监测与不良事件)"),
    modality: str = typer.Option(None, "--modality", "-m", help="obligation | prohibition | permission | right | power"),
    doc: str = typer.Option(None, "--doc", "-d", help="document id (mdsr-2024) or instrument id (mdsr)"),
    level: str = typer.Option(None, "--level", "-l", help="law | administrative_regulation | departmental_rule | …"),
    all_versions: bool = typer.Option(False, "--all-versions", help="include superseded versions"),
    no_inherited: bool = typer.Option(False, "--no-inherited", help="only obligations that name the actor itself"),
    regulators: bool = typer.Option(None, "--regulators/--no-regulators",
                                    help="only regulators' duties / only regulated parties' (default: both)"),
    limit: int = typer.Option(100, "--limit", "-n", min=1, max=5000),
    offset: int = typer.Option(0, "--offset", min=0),
    as_json: bool = typer.Option(False, "--json", help="print the page as JSON (the shape of GET /v1/obligations)"),
    as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD: use the versions in force on that date (e.g. "
                                                    "2023-06-01 reads MDSR 2021, 2025-06-01 MDSR 2024)"),
) -> None:
    """List obligations with their pinpoint citations, filtered by actor, stage, modality and document."""
    from ui.cli_support import emit_json, open_core

    with open_core() as core:
        f = core_filters(core, actor=actor, stage=stage, modality=modality, doc=doc, level=level,
                         current_only=not all_versions, include_inherited=not no_inherited, regulators=regulators,
                         as_of=as_of)
        page = core.obligations(f, limit=limit, offset=offset)
    if as_json:
        emit_json(page)
        return
    if not page.items:
        out.print("no obligations match — try without --stage/--modality, or check that `yigui ingest` has run")
        return
    acts = taxonomy.actors()
    regs = taxonomy.regulators()
    for r in page.items:
        who = "、".join(acts[a]["zh"] for a in r.actors if a in acts) or \
            "、".join(regs[g]["zh"] for g in r.regulators if g in regs)
        stages = ", ".join(f"{s.id} {s.confidence:.2f}" for s in r.stages) or "—"
        out.print(f"[bold]{r.citation}[/bold]  [cyan]{MODALITY_LABELS[r.modality][1]}[/cyan]  {who}  "
                  f"[dim]{r.key or r.id}[/dim]")
        out.print(f"  {r.requirement_zh}")
        if r.condition:
            out.print(f"  [dim]condition:[/dim] {r.condition}")
        for i, e in enumerate(r.elements, 1):
            out.print(f"  [dim]{i}.[/dim] {e}")
        if r.requirement_en:
            out.print(f"  [dim]{r.requirement_en}[/dim]")
        out.print(f"  [dim]stages: {stages}[/dim]")
        if r.inherited_via:
            out.print(f"  [yellow]applies via:[/yellow] {' → '.join(r.inherited_via.path)} ({r.inherited_via.reason})")
        if r.penalties:
            out.print("  [red]penalty:[/red] " + "；".join(r.penalties[:3]))
    shown = f"{page.offset + 1}–{page.offset + page.count}"
    more = f"; next: --offset {page.next_offset}" if page.next_offset is not None else ""
    out.print(f"{shown} of {page.total} obligations{more}")


def core_filters(core, **raw):
    """The core's validated filters; an unknown value exits 2 naming the option and the values that work."""
    from ui.core import InvalidFilter

    try:
        return core.filters(**raw)
    except InvalidFilter as exc:
        from ui.cli_support import invalid_value

        invalid_value(exc)


def register(app: typer.Typer) -> None:
    app.command("obligations")(obligations)
