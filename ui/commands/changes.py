"""CLI commands for versions: `yigui changes --since DATE` (horizon scan) and `yigui changes OLD [NEW]` (what an
amendment changed: renumbering map and the register rows it touches)."""
from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

CHANGE_LABEL = {"added": ("新增 added", "green"), "removed": ("删除 removed", "red"),
                "changed": ("修改 changed", "yellow"), "renumbered": ("条号变更 renumbered", "cyan"),
                "penalty_changed": ("罚则变更 penalty changed", "magenta")}


def changes(
    old: str = typer.Argument(None, help="older version (csl-2016) or an instrument (csl: its two latest versions)"),
    new: str = typer.Argument(None, help="newer version (csl-2025); default: the version after OLD"),
    since: str = typer.Option(None, "--since", help="YYYY-MM-DD: list what took or takes effect after this date"),
    until: str = typer.Option(None, "--until", help="YYYY-MM-DD: 'in force' up to this date (default: today)"),
    all_articles: bool = typer.Option(False, "--all-articles", help="print every article of the renumbering map, "
                                                                    "not only those that moved or changed"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON (the shape of GET /v1/changes)"),
) -> None:
    """What changed between versions: `--since DATE` scans the corpus for versions that took effect after it;
    `OLD [NEW]` gives the renumbering map (old article → new article) and the register rows added, removed,
    changed or renumbered."""
    from ui.cli_support import emit_json, open_core
    from ui.core import InvalidFilter

    if (since is None) == (old is None):
        err.print("[red]give either --since YYYY-MM-DD (horizon scan) or OLD [NEW] versions to compare[/red], "
                  "e.g. yigui changes --since 2024-01-01, yigui changes csl-2016 csl-2025")
        raise typer.Exit(2)
    with open_core() as core:
        try:
            rep = core.horizon(since, until) if since is not None else core.changes(old, new)
        except InvalidFilter as exc:
            err.print(f"[red]✗[/red] {exc.field.replace('_', '-')} {escape(repr(exc.value))}: {escape(exc.message)}")
            raise typer.Exit(2)
    if as_json:
        emit_json(rep)
        return
    if since is not None:
        _show_horizon(rep)
    else:
        _show_impact(rep, all_articles)


def _show_horizon(h) -> None:
    out.print(f"[bold]Changes since {h.since}[/bold] (in force up to {h.until})")
    if not h.items:
        out.print("nothing loaded took effect after that date")
        return
    t = Table("effective", "instrument", "what", "standing", "articles", "register rows")
    for x in h.items:
        what = {"amendment": f"amends {x.previous}", "new_instrument": "new instrument",
                "not_loaded": "[red]text not loaded[/red]"}[x.kind]
        st = {"in_force": "in force", "coming_into_force": f"[yellow]comes into force {x.effective}[/yellow]",
              "not_loaded": "—"}[x.standing]
        arts = ", ".join(f"{k} {v}" for k, v in x.articles.items() if k != "identical" and v)
        rows = ", ".join(f"{k} {v}" for k, v in x.counts.items() if v)
        t.add_row(x.effective or "", f"{x.title}\n[dim]{x.doc_id or x.instrument}[/dim]", what, st, arts, rows)
    out.print(t)


def _show_impact(r, all_articles: bool) -> None:
    out.print(f"[bold]{r.old_title} ({r.old}, {r.old_effective}) → {r.new_title} ({r.new}, {r.new_effective})[/bold]")
    out.print("articles: " + ", ".join(f"{k} {v}" for k, v in sorted(r.articles.items())))
    out.print("register rows: " + ", ".join(f"{k} {v}" for k, v in r.counts.items()))
    out.rule("renumbering map 条号对照")
    for m in r.renumbering:
        if m.kind == "identical" and not all_articles:
            continue
        old = m.old_citation or "—"
        new = m.new_citation or "—"
        out.print(f"{m.kind:18} {old} → {new}" + (f"  [dim](similarity {m.similarity:.2f})[/dim]"
                                                   if m.kind.startswith("edited") else ""))
    out.rule("register rows 受影响的义务")
    for row in r.rows:
        label, colour = CHANGE_LABEL[row.change]
        cites = " → ".join(x for x in (row.old_citation, row.new_citation) if x)
        out.print(f"[{colour}]{label}[/{colour}]  [bold]{cites}[/bold]  [dim]{row.key}[/dim]")
        out.print(f"  {row.requirement_zh or row.new_text or row.old_text}")
        if row.change == "penalty_changed":
            out.print(f"  [dim]penalty: {'；'.join(row.old_penalties) or '—'} → {'；'.join(row.new_penalties) or '—'}[/dim]")


def register(app: typer.Typer) -> None:
    app.command("changes")(changes)
