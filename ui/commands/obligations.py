"""CLI commands for the obligations area: `yigui obligations [--actor …] [--stage …] [--modality …] [--doc …]`."""
from __future__ import annotations

import json

import typer
from rich.console import Console

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
    level: str = typer.Option(None, "--level", help="law | administrative_regulation | departmental_rule | …"),
    all_versions: bool = typer.Option(False, "--all-versions", help="include superseded versions"),
    direct_only: bool = typer.Option(False, "--direct-only", help="only obligations that name the actor itself"),
    regulators: bool = typer.Option(False, "--regulators", help="list duties of regulators instead of regulated parties"),
    limit: int = typer.Option(100, "--limit", min=1, max=5000),
    offset: int = typer.Option(0, "--offset", min=0),
    as_json: bool = typer.Option(False, "--json", help="print rows as JSON"),
) -> None:
    """List obligations with their pinpoint citations, filtered by actor, stage, modality and document."""
    from corpus import taxonomy
    from graph import obligations as ob
    from graph.store import GraphStore

    try:
        actor_id = taxonomy.actors().resolve(actor) if actor else None
        stage_id = taxonomy.stages().resolve(stage) if stage else None
    except ValueError as e:
        err.print(f"[red]✗[/red] {e}")
        raise typer.Exit(2)
    if modality and modality not in MODALITY_LABELS:
        err.print(f"[red]✗[/red] --modality {modality!r}: use one of {', '.join(MODALITY_LABELS)}")
        raise typer.Exit(2)
    try:
        store = GraphStore.connect()
    except Exception as exc:  # noqa: BLE001 - any connection failure gets the same advice
        err.print(f"[red]✗[/red] cannot open the graph store: {exc} — run `yigui ingest` first (or `yigui db status`)")
        raise typer.Exit(1)
    try:
        if doc and not store.run("MATCH (d:Document) WHERE d.id = $doc OR d.instrument = $doc RETURN d.id AS id LIMIT 1",
                                 doc=doc):
            known = sorted(r["id"] for r in store.run("MATCH (d:Document) WHERE d.lang = 'zh' RETURN d.id AS id"))
            err.print(f"[red]✗[/red] --doc {doc!r}: no such document in the store — use a document id or instrument "
                      f"id: {', '.join(known)}")
            raise typer.Exit(2)
        rows = ob.query(store, actor=actor_id, stage=stage_id, modality=modality, doc=doc, level=level,
                        current_only=not all_versions, include_inherited=not direct_only, limit=limit,
                        offset=offset, regulator_duties=True if regulators else (None if actor_id else False))
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        out.print("no obligations match — try without --stage/--modality, or check that `yigui ingest` has run")
        return
    acts = taxonomy.actors()
    regs = taxonomy.regulators()
    for r in rows:
        who = "、".join(acts[a]["zh"] for a in r["actors"] if a in acts) or \
            "、".join(regs[g]["zh"] for g in r.get("regulators") or [] if g in regs)
        stages = ", ".join(f"{s['id']} {s['confidence']:.2f}" for s in r["stages"]) or "—"
        out.print(f"[bold]{r['citation']}[/bold]  [cyan]{MODALITY_LABELS[r['modality']][1]}[/cyan]  {who}  "
                  f"[dim]{r.get('key') or r['id']}[/dim]")
        out.print(f"  {r['requirement_zh']}")
        if r.get("condition"):
            out.print(f"  [dim]condition:[/dim] {r['condition']}")
        for i, e in enumerate(r.get("elements") or [], 1):
            out.print(f"  [dim]{i}.[/dim] {e}")
        if r.get("requirement_en"):
            out.print(f"  [dim]{r['requirement_en']}[/dim]")
        out.print(f"  [dim]stages: {stages}[/dim]")
        if r.get("inherited_via"):
            out.print(f"  [yellow]applies via:[/yellow] {r['inherited_via']}")
        if r.get("penalties"):
            out.print("  [red]penalty:[/red] " + "；".join(r["penalties"][:3]))
    out.print(f"{len(rows)} rows (offset {offset}; --limit/--offset to page)")


def register(app: typer.Typer) -> None:
    app.command("obligations")(obligations)
