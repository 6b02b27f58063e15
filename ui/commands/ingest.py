"""CLI commands for the ingest area: `yigui ingest [PATH ...]` and `yigui diff A B`."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from ui.cli_support import emit_json

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _print_errors(errors) -> None:
    for e in errors:
        where = f"{e.file}:{e.line}" if e.line else e.file
        err.print(Text.assemble(("✗ ", "bold red"), (where, "bold"), f": {e.problem} — ", (e.hint, "yellow")))


_REG_LABEL = {"matched": "matched a registered version", "new-version": "new version of a registered instrument",
              "book": "book of a registered code, not itself registered", "none": "documents of their own"}


def _print_summary(res, *, loaded: dict | None = None, whole_corpus: bool = True) -> None:
    s = res.summary()
    kinds = ", ".join(f"{k} {v}" for k, v in s["provisions_by_kind"].items())
    out.print(f"[bold]{s['documents']} documents[/bold], {s['provisions']} provisions ({kinds})")
    cur = [pd.document.id for pd in res.documents if not pd.document.current and pd.document.lang == "zh"]
    if cur:
        out.print(f"superseded versions kept (not current): {', '.join(sorted(cur))}")
    if res.translation_links:
        out.print(f"English provisions linked to Chinese: {len(res.translation_links)}")
    reg = s.get("registry") or {}
    if reg:
        out.print("files without front matter: " + "  ·  ".join(
            f"{_REG_LABEL.get(k, k)} {len(v)}" for k, v in sorted(reg.items())))
        for k in ("matched", "new-version", "book"):
            if reg.get(k):
                shown = ", ".join(reg[k][:12]) + (f" … (+{len(reg[k]) - 12})" if len(reg[k]) > 12 else "")
                out.print(f"  {_REG_LABEL[k]}: {shown}")
    if s.get("incomplete"):
        out.print(f"[yellow]incomplete texts (gaps in their numbering)[/yellow]: {', '.join(s['incomplete'])}")
    out.print(f"unchanged (cached): {s['unchanged']}  ·  skipped (not documents): {s['skipped']}  ·  "
              f"warnings: {s['warnings']}  ·  failed: {s['errors']}  ·  {s['timings'].get('total_s', 0):.2f} s")
    for w in res.warnings[:20]:
        out.print(f"[yellow]warning[/yellow] {w}")
    if len(res.warnings) > 20:
        out.print(f"… and {len(res.warnings) - 20} more warnings")
    if loaded:
        out.print("store: " + ", ".join(f"{k} {v}" for k, v in loaded.items()))
    if res.missing_instruments and not whole_corpus:
        out.print(f"registered instruments without text in this batch: {len(res.missing_instruments)} "
                  "(run `yigui ingest --no-store` without paths to list those missing from the corpus)")
    elif res.missing_instruments:
        names = "、".join(m["short_title"] or m["title"] for m in res.missing_instruments)
        out.print(f"[bold]registered instruments without text ({len(res.missing_instruments)})[/bold]: {names}")
        out.print("  answers that turn on these will say their text is not loaded; add their texts to ingest them.")


def ingest(
    paths: list[Path] = typer.Argument(None, help="files or folders (default: the corpus, YIGUI_CORPUS)"),
    no_store: bool = typer.Option(False, "--no-store", help="parse only and print the summary; do not load the store"),
    no_cache: bool = typer.Option(False, "--no-cache", help="parse every file again even if it is unchanged"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
    force: bool = typer.Option(False, "--force", help="reload every document into the store, changed or not"),
    no_embed: bool = typer.Option(False, "--no-embed", help="skip embeddings (vector search stays empty)"),
    no_extract: bool = typer.Option(False, "--no-extract", help="skip obligation extraction"),
) -> None:
    """Parse official texts (Markdown with front matter, plain Markdown/text, .docx, .pdf, .html) into citable
    provision trees and load them into the graph store. Exit status 1 when any file failed."""
    import os

    from ingest.pipeline import ingest_paths

    # a bulk job: embed with every core (queries stay single-threaded in serving processes, see graph.embed)
    os.environ.setdefault("YIGUI_EMBED_THREADS", str(os.cpu_count() or 1))
    for p in paths or []:
        if not p.exists():
            err.print(f"[red]✗ {p.name}: no such file or folder[/red] — check the path")
            raise typer.Exit(2)
    loaded = None
    if no_store:
        res = ingest_paths(list(paths) if paths else None, progress=not as_json, use_cache=not no_cache)
    else:
        from graph.build import build
        from graph.store import GraphStore

        try:
            store = GraphStore.connect()
        except Exception as exc:  # noqa: BLE001 - any connection failure gets the same advice
            err.print(f"[red]cannot reach the graph store ({type(exc).__name__}: {exc})[/red] — check NEO4J_URI or "
                      "run `yigui db status`; `yigui ingest --no-store` parses without it")
            raise typer.Exit(2)
        try:
            built = build(list(paths) if paths else None, store, progress=not as_json, embed=not no_embed,
                          extract=not no_extract, force=force)
        finally:
            store.close()
        res = getattr(built, "ingest", None) or built
        loaded = getattr(built, "counts", None)
        if not hasattr(res, "summary"):
            raise typer.Exit(0)
    graph = built.summary() if not no_store and hasattr(built, "summary") and built is not res else None
    if as_json:
        s = res.summary()
        if graph is not None:
            s["graph"] = graph
        s["failed"] = [{"file": e.file, "line": e.line, "problem": e.problem, "hint": e.hint} for e in res.errors]
        s["missing_instruments"] = res.missing_instruments
        emit_json(s)
    else:
        _print_errors(res.errors)
        _print_summary(res, loaded=loaded if isinstance(loaded, dict) else None, whole_corpus=not paths)
        if graph is not None:
            out.print(f"graph: {graph.get('loaded', 0)} documents loaded, {graph.get('skipped', 0)} unchanged (skipped), "
                      f"{graph.get('obligations', 0)} obligations, {graph.get('embeddings', 0)} embeddings"
                      + (f", {graph.get('unresolved_refs', 0)} cross-references to texts not loaded"
                         if graph.get("loaded") else ""))
    if res.errors:
        raise typer.Exit(1)


def diff(
    old: str = typer.Argument(..., help="older version: document id (mdsr-2021) or file"),
    new: str = typer.Argument(..., help="newer version: document id (mdsr-2024) or file"),
    full: bool = typer.Option(False, "--full", help="print both texts of each changed article, not only the marked diff"),
    as_json: bool = typer.Option(False, "--json", help="print the comparison as JSON"),
) -> None:
    """Compare two versions article by article: changed, added and removed articles, with the changed wording
    marked [-deleted-]{+inserted+}."""
    from ingest.diff import diff_documents
    from ingest.pipeline import ingest_file, ingest_paths

    docs = {}
    need_corpus = [x for x in (old, new) if not Path(x).is_file()]
    res = ingest_paths(None, progress=False) if need_corpus else None
    for x in (old, new):
        if Path(x).is_file():
            try:
                docs[x] = ingest_file(Path(x))[0]
            except Exception as exc:  # IngestError names the file and the fix
                err.print(f"[red]✗ {exc}[/red]")
                raise typer.Exit(1)
        else:
            pd = res.get(x)
            if pd is None:
                ids = ", ".join(sorted(d.document.id for d in res.documents))
                err.print(f"[red]✗ no document '{x}' in the corpus[/red] — give a document id ({ids}) or a file path")
                raise typer.Exit(2)
            docs[x] = pd
    d = diff_documents(docs[old], docs[new])
    if as_json:
        emit_json({
            "old": d.old_id, "new": d.new_id, "changed": d.changed, "added": d.added, "removed": d.removed,
            "unchanged": d.unchanged,
            "changes": [{"article": c.article, "kind": c.kind, "citation": c.citation, "old": c.old, "new": c.new,
                         "marked": c.marked(), "from_old": c.from_old, "from_old_identical": c.from_old_identical}
                        for c in d.changes],
        })
        return
    out.print(f"[bold]{d.old_id} → {d.new_id}[/bold]: {len(d.changed)} changed, {len(d.added)} added, "
              f"{len(d.removed)} removed, {d.unchanged} unchanged")
    for c in d.changes:
        head = {"changed": ("changed", "yellow"), "added": ("added", "green"), "removed": ("removed", "red")}[c.kind]
        moved = ""
        if c.from_old is not None:
            moved = f"  (text of {d.old_id} art. {c.from_old}{'' if c.from_old_identical else ', edited'}: renumbered)"
        out.print(Text.assemble((f"{head[0]:8}", head[1]), " ", (c.citation, "bold"), (moved, "cyan")))
        if c.kind == "changed" and not c.from_old_identical:
            line = Text("  ")
            for op, seg in c.segments:
                if op == "equal":
                    line.append(seg if full or len(seg) <= 60 else seg[:25] + " … " + seg[-25:])
                elif op == "delete":
                    line.append(f"[-{seg}-]", "red strike")
                else:
                    line.append(f"{{+{seg}+}}", "green")
            out.print(line)
            if full:
                out.print(f"  old: {c.old}\n  new: {c.new}")


def instruments(
    missing: bool = typer.Option(False, "--missing", help="only registered instruments whose text is not loaded"),
    as_json: bool = typer.Option(False, "--json", help="print the table as JSON"),
) -> None:
    """The registry (corpus/registry.yaml): level, issuer, document number, dates, status, source and whether the
    text is in the corpus. '?' marks dates or numbers not verified against the official publication."""
    from rich.table import Table

    from ingest import registry
    from ingest.pipeline import ingest_paths

    res = ingest_paths(None, progress=False)
    rows = registry.status_table({pd.document.id for pd in res.documents})
    if missing:
        rows = [r for r in rows if not r["loaded"]]
    if as_json:
        emit_json(rows)
        return
    table = Table("id", "title", "level", "doc number", "effective", "status", "text", show_lines=False)
    for r in rows:
        def q(f):
            return (r[f] or "") + ("?" if f in r["unverified_fields"] else "")
        table.add_row(r["id"], r["short_title"] or r["title"], r["level"], q("doc_number"), q("effective"), q("status"), ", ".join(r["loaded_versions"]) or "[red]not loaded[/red]")
    out.print(table)
    out.print(f"{sum(r['loaded'] for r in rows)} of {len(rows)} with text loaded")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("diff")(diff)
    app.command("instruments")(instruments)
