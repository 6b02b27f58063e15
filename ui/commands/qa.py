"""CLI commands for the qa area: `yigui search`, `yigui ask`, `yigui eval`."""
from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ui.cli_support import emit_json, open_core

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _questions(question: str | None, queries: Path | None) -> list[str]:
    """The question argument, or one question per line of --queries (a JSON line with "q"/"question" also works)."""
    if queries is None:
        if question is not None and not question.strip():
            err.print("[red]the question is empty[/red] — give the question text (Chinese or English), e.g. "
                      "yigui ask \"处理敏感个人信息需要单独同意吗？\"")
            raise typer.Exit(2)
        if not question:
            err.print("[red]give a question, or --queries FILE with one question per line[/red]")
            raise typer.Exit(2)
        return [question.strip()]
    if not queries.exists():
        err.print(f"[red]--queries {queries}: no such file[/red] — give a text file with one question per line")
        raise typer.Exit(2)
    qs = []
    for n, line in enumerate(queries.read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("{"):
            try:
                o = json.loads(s)
                s = o.get("q") or o.get("question") or ""
            except ValueError:
                pass
            if not s:
                err.print(f"[red]{queries}:{n}: JSON line without a \"q\" or \"question\" field[/red]")
                raise typer.Exit(2)
        qs.append(s)
    return qs


def _as_of(value: str | None) -> str | None:
    """--as-of as ISO, or exit 2 saying which forms work (before any index is loaded)."""
    from ingest.versions import parse_day

    try:
        return parse_day(value)
    except ValueError as exc:
        err.print(f"[red]--as-of[/red]: {exc}")
        raise typer.Exit(2)


def search(
    question: str = typer.Argument(None, help="the question (Chinese or English)"),
    k: int = typer.Option(10, "-k", "--top", min=1, max=100, help="number of clauses to return"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per question"),
    queries: Path = typer.Option(None, "--queries", help="file with one question per line (answered in order)"),
    as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD: use the versions in force on that date (e.g. "
                                                    "2023-06-01 reads MDSR 2021, 2025-06-01 MDSR 2024)"),
) -> None:
    """Hybrid search over the clauses: article-level results with paragraph pinpoints, current versions first."""
    qs = _questions(question, queries)
    day = _as_of(as_of)
    with open_core() as core:
        core.retriever()
        for q in qs:
            _show_hits(core.search(q, k=k, as_of=day), q, as_json)


def _show_hits(res, q: str, as_json: bool) -> None:
    if as_json:
        emit_json(res)
        return
    out.rule(f"{q}  ({res.took_ms:.0f} ms)" + (f"  as of {res.as_of}" if res.as_of else ""))
    for t in res.not_yet:
        out.print(f"[yellow]not yet in force on {res.as_of}:[/yellow] {t}")
    for i, r in enumerate(res.results, 1):
        flag = ("" if r.current else " [yellow](superseded version)[/yellow]") + (
            " [yellow](incomplete text)[/yellow]" if r.incomplete else "")
        out.print(f"[bold]{i}. {r.citation}[/bold]{flag}  [dim]{r.doc_title} · {r.version} · score {r.score:.4f}[/dim]")
        out.print("   " + (r.text if len(r.text) < 400 else r.text[:400] + "…"))
        if r.text_en:
            out.print(f"   [dim]{r.citation_en}: {r.text_en[:400]}[/dim]")


def ask(
    question: str = typer.Argument(None, help="the question (Chinese or English)"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per question"),
    queries: Path = typer.Option(None, "--queries", help="file with one question per line (answered in order)"),
    llm: bool = typer.Option(None, "--llm/--no-llm", help="use the LLM configured by YIGUI_LLM_* (default: if configured)"),
    as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD: use the versions in force on that date (e.g. "
                                                    "2023-06-01 reads MDSR 2021, 2025-06-01 MDSR 2024)"),
) -> None:
    """Answer a compliance question from the clauses, every sentence cited; abstains when nothing fits."""
    qs = _questions(question, queries)
    day = _as_of(as_of)
    with open_core() as core:
        core.retriever()
        for q in qs:
            _show_answer(core.ask(q, use_llm=llm, as_of=day), q, as_json)


def _show_answer(res, q: str, as_json: bool) -> None:
    if as_json:
        emit_json(res)
        return
    out.rule(q + (f"  as of {res.as_of}" if res.as_of else ""))
    out.print(("[bold yellow]Abstained.[/bold yellow] " if res.abstained else "") + res.answer)
    for c in res.citations:
        out.print(f"\n[bold]{c.citation}[/bold]  [dim]{c.doc_title} {c.version or ''}[/dim]\n{c.quote}")
        if c.text_en:
            out.print(f"[dim]{c.text_en}[/dim]")
    if res.possibly_related:
        out.print("\n[bold]Possibly related[/bold]")
        for r in res.possibly_related:
            out.print(f"- {r.citation}: {r.text[:120]}")
    for n in res.notes:
        out.print(f"[yellow]note[/yellow] {n}")
    out.print(f"[dim]{res.mode} · {res.took_ms:.0f} ms[/dim]")


def eval_cmd(
    file: Path = typer.Argument(..., help="questions in the format of dev.jsonl (id, lang, q, gold)"),
    as_json: bool = typer.Option(False, "--json", help="print the metrics as JSON"),
    show_misses: bool = typer.Option(False, "--misses", help="list questions whose gold clause is not in the top 5"),
) -> None:
    """Retrieval quality (hit@1/3/5/10, recall@10, MRR per language and overall) and search latency p50/p95."""
    from qa.eval import evaluate, load_questions

    if not file.exists():
        err.print(f"[red]{file}: no such file[/red] — give a JSONL file like ../shared/eval/dev.jsonl")
        raise typer.Exit(2)
    try:
        qs = load_questions(file)
    except ValueError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(2)
    with open_core() as core:
        res = evaluate(core.retriever(), qs)
    if as_json:
        emit_json({k: v for k, v in res.items() if k != "rows"})
        return
    t = Table(title=f"{file.name}: retrieval")
    cols = ["hit@1", "hit@3", "hit@5", "hit@10", "recall@10", "mrr", "n"]
    t.add_column("set")
    for c in cols:
        t.add_column(c, justify="right")
    for key in [k for k in res if k not in ("latency_ms", "misses", "rows")]:
        m = res[key]
        if m:
            t.add_row(key, *[f"{m[c]:.3f}" if c != "n" else str(m[c]) for c in cols])
    out.print(t)
    lat = res["latency_ms"]
    out.print(f"search latency after warm-up: p50 {lat['p50']:.1f} ms · p95 {lat['p95']:.1f} ms (n={lat['n']})")
    if show_misses:
        for m in res["misses"]:
            out.print(f"[yellow]miss[/yellow] {m['id']} first gold rank {m['first']}: top {m['top']}")


def register(app: typer.Typer) -> None:
    app.command("search")(search)
    app.command("ask")(ask)
    app.command("eval")(eval_cmd)
