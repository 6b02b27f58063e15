"""`yigui ingest` with the real graph store (a scratch database on the session's ArcadeDB server): failed files are
named, the others are loaded, and a second run over unchanged files loads nothing."""
from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

PLAIN = Path(__file__).parent / "fixtures" / "plain_laws"


def test_ingest_into_the_store_then_nothing_to_do(tmp_path, scratch_store, monkeypatch):
    from graph.store import GraphStore
    from ui.cli import app

    monkeypatch.setattr(GraphStore, "connect", classmethod(lambda cls, *a, **k: scratch_store))
    monkeypatch.setattr(scratch_store, "close", lambda: None)  # the fixture closes it
    for f in PLAIN.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "dup.md").write_text("# 重条示范规定\n\n第一条 甲。\n\n第一条 丙。\n", encoding="utf-8")
    (tmp_path / "gap.md").write_text("# 缺条示范规定\n\n第一条 甲。\n\n第三条 丙。\n", encoding="utf-8")
    runner = CliRunner()
    args = ["ingest", "--no-embed", "--no-extract", str(tmp_path)]

    first = runner.invoke(app, args, env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert first.exit_code == 1, first.output
    assert "✗ dup.md:5: article 第一条 appears twice (lines 3 and 5)" in first.output
    # a gap in the numbering loads the rest and marks the document incomplete
    assert "gap.md:5: article 2 is missing between 第一条 and 第三条" in first.output
    assert "graph: 3 documents loaded, 0 unchanged (skipped)" in first.output
    rows = scratch_store.run("MATCH (d:Document) RETURN d.id AS id, d.incomplete AS inc, d.missing_articles AS miss "
                             "ORDER BY id")
    assert len(rows) == 3
    assert [(r["inc"], list(r["miss"] or [])) for r in rows if r["inc"]] == [(True, [2])]
    cites = scratch_store.run("MATCH (p:Provision) WHERE p.citation = $c RETURN p.text AS text",
                              c="《医疗人工智能示范管理办法》第三条第（三）项")
    assert [r["text"] for r in cites] == ["（三）记录产品版本变更。"]

    second = runner.invoke(app, args, env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert second.exit_code == 1
    assert "graph: 0 documents loaded, 3 unchanged (skipped)" in second.output
    assert "unchanged (cached): 3" in second.output
    assert scratch_store.run("MATCH (p:Provision) RETURN count(p) AS n")[0]["n"] == 23 + 4
