"""CLI commands for the compliance workflow: `yigui changes --since DATE` (horizon scan), `yigui changes OLD [NEW]`
(what an amendment changed: renumbering map and the register rows it touches), `yigui applicable --profile P`."""
from __future__ import annotations

from pathlib import Path

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
    from ui.cli_support import emit_json, invalid_value, open_core
    from ui.core import InvalidFilter

    if (since is None) == (old is None):
        err.print("[red]give either --since YYYY-MM-DD (horizon scan) or OLD [NEW] versions to compare[/red], "
                  "e.g. yigui changes --since 2024-01-01, yigui changes csl-2016 csl-2025")
        raise typer.Exit(2)
    with open_core() as core:
        try:
            rep = core.horizon(since, until) if since is not None else core.changes(old, new)
        except InvalidFilter as exc:
            invalid_value(exc)
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




def applicable(
    profile: Path = typer.Option(..., "--profile", "-p", help="profile file (YAML or JSON): roles, org, product, data, "
                                                              "activities — see corpus/eval/applicability_profiles.yaml"),
    output: Path = typer.Option(None, "--output", "-o", help="write a register file (xlsx, docx, csv or json)"),
    fmt: str = typer.Option(None, "--format", "-f", help="xlsx | docx | csv | json (default: from -o's suffix)"),
    as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD: the versions in force on that date"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON (the shape of POST /v1/applicability)"),
) -> None:
    """The obligations that apply to an organisation and product across every loaded instrument, each saying why
    (which profile facts meet which actor and condition), what was excluded and by which condition, and the relevant
    instruments whose text is not loaded."""
    from ui.cli_support import emit_json, invalid_value, open_core
    from ui.core import InvalidFilter

    prof = _load_profile(profile)
    fmt = (fmt or (output.suffix.lstrip(".").lower() if output else "")) or None
    with open_core() as core:
        try:
            if output is not None:
                res, file = core.applicable_register(prof, fmt or "xlsx", as_of=as_of)
                output.parent.mkdir(parents=True, exist_ok=True)
                output.write_bytes(file.data)
            else:
                res = core.applicable(prof, as_of)
        except InvalidFilter as exc:
            invalid_value(exc)
    if as_json:
        emit_json(res)
        return
    out.print(f"[bold]{res.profile}[/bold]: {len(res.rows)} applicable obligations")
    for role, why in res.roles.items():
        out.print(f"  role {role}: {why}")
    if output is not None:
        out.print(f"  written to {output}")
    else:
        for r in res.rows:
            o = r.obligation
            out.print(f"[bold]{o.citation}[/bold]  {o.requirement_zh[:80]}")
            for w in r.why[1:]:
                out.print(f"  [dim]{w}[/dim]")
    for e in res.excluded:
        out.print(f"[dim]excluded {e.count} ({e.gate}): {e.reason}; e.g. {', '.join(e.examples[:2])}[/dim]")
    for m in res.not_loaded:
        out.print(f"[yellow]relevant but not loaded:[/yellow] {m['title']} ({m['subject']})")


def _load_profile(path: Path):
    """A profile file (YAML/JSON, the fields of graph.applicability.Profile, optionally under `profile:`), or exit 2
    naming the file and the field."""
    import yaml
    from pydantic import ValidationError

    from graph.applicability import Profile

    if not path.is_file():
        err.print(f"[red]--profile {path}: no such file[/red] — give a YAML or JSON profile")
        raise typer.Exit(2)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("the file holds no mapping of profile fields (roles, org, product, data, activities)")
        return Profile(**raw.get("profile", raw))
    except (yaml.YAMLError, ValueError, ValidationError) as exc:
        msg = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()) \
            if isinstance(exc, ValidationError) else str(exc)
        err.print(f"[red]✗ {path}[/red]: {escape(msg)}")
        raise typer.Exit(2)


def review(
    file: Path = typer.Argument(..., help="the document: .docx, .pdf (with a text layer), .txt, .md or .html"),
    kind: str = typer.Option(None, "--kind", "-k", help="dpa | privacy-notice (default: recognised from the text)"),
    profile: Path = typer.Option(None, "--profile", "-p", help="profile file: decides the conditional elements "
                                                                "(sensitive data, export, minors)"),
    output: Path = typer.Option(None, "--output", "-o", help="write the review as .xlsx or .json"),
    as_json: bool = typer.Option(False, "--json", help="print the review as JSON (the shape of POST /v1/review)"),
) -> None:
    """Review your own DPA or privacy notice against what the law requires it to address: each element covered,
    partial or missing, with the sentence of your document that covers it (verbatim) and the clause that requires
    it. Exit 1 when an element is missing."""
    from ingest.model import IngestError
    from ui import export
    from ui.cli_support import emit_json, invalid_value, open_core
    from ui.core import InvalidFilter

    prof = _load_profile(profile) if profile is not None else None
    if not file.is_file():
        err.print(f"[red]✗ {file}: no such file[/red] — give the document to review")
        raise typer.Exit(2)
    fmt = output.suffix.lstrip(".").lower() if output else None
    if fmt not in (None, "xlsx", "json"):
        err.print(f"[red]-o {output.name}[/red]: write the review as .xlsx or .json")
        raise typer.Exit(2)
    with open_core() as core:
        try:
            res = core.review(file, kind=kind, profile=prof)
        except InvalidFilter as exc:
            invalid_value(exc)
        except IngestError as exc:
            err.print(f"[red]✗ {escape(str(exc))}[/red]")
            raise typer.Exit(2)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(export.review_file(res, fmt))
    if as_json:
        emit_json(res)
    else:
        out.print(f"[bold]{res.file}[/bold]: {res.kind_title} — " + ", ".join(f"{k} {v}" for k, v in res.counts.items()))
        colour = {"covered": "green", "partial": "yellow", "missing": "red"}
        for e in res.elements:
            out.print(f"[{colour[e.verdict]}]{e.verdict:8}[/{colour[e.verdict]}] {e.element}  [dim]{e.citation}[/dim]")
            if e.span:
                out.print(f"         “{e.span}” (line {e.line})")
        if res.not_required:
            out.print(f"[dim]not required for this profile: {', '.join(res.not_required)}[/dim]")
    if res.counts.get("missing"):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("changes")(changes)
    app.command("applicable")(applicable)
    app.command("review")(review)
