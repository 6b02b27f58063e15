"""A filled register survives a corpus update: fill it, change a clause, regenerate, re-import (real parse, extraction,
export and re-import; no store needed), and no export of the whole corpus carries a placeholder."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.obligations.conftest import parse_law
from ui import export, register

V1 = ("第一条　经营者应当建立进货查验记录制度。\n第二条　经营者不得销售过期产品。\n"
      "第三条　经营者应当在每年三月三十一日前报送年度报告。\n")
V2 = ("第一条　经营者应当建立进货查验记录制度。\n第二条　经营者不得销售过期或者失效的产品。\n"
      "第三条　经营者应当公示投诉电话。\n")


def _rows(text):
    from graph.obligations import extract

    pd = parse_law(text, "fixture-law")
    obs = extract([pd]).obligations
    from graph.obligations.model import ObligationItem

    fields = set(ObligationItem.model_fields)
    return register.rows_from_obligations(
        [ObligationItem(**{k: v for k, v in o.model_dump().items() if k in fields},
                        clause=o.text, doc_title=pd.document.title, instrument=pd.document.instrument,
                        level=pd.document.level) for o in obs])


def test_fill_update_reimport_keeps_what_the_user_typed(tmp_path):
    first = _rows(V1)
    wb = load_workbook(io.BytesIO(export.render(first, "xlsx")))
    ws = wb["Register"]
    col = {c.value: c.column for c in ws[1]}
    for i in range(2, ws.max_row + 1):
        ws.cell(row=i, column=col["负责人 Owner"]).value = f"法务部-{i}"
        ws.cell(row=i, column=col["证据 Evidence"]).value = f"=证据{i}"  # typed text that looks like a formula
        ws.cell(row=i, column=col["状态 Status"]).value = "进行中 In progress"
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    typed = {ws.cell(row=i, column=col["条文原文 Clause (verbatim)"]).value: ws.cell(row=i, column=col["负责人 Owner"]).value
             for i in range(2, ws.max_row + 1)}

    second = _rows(V2)
    report = register.merge(second, register.read_filled(filled))
    assert (report.kept, report.changed, report.new, len(report.removed)) == (1, 1, 1, 1)
    by_clause = {r.clause: r for r in second}
    same = by_clause["经营者应当建立进货查验记录制度。"]
    assert same.owner == typed["经营者应当建立进货查验记录制度。"] and same.change == ""
    changed = by_clause["经营者不得销售过期或者失效的产品。"]
    assert changed.change == register.CHANGED and changed.previous_clause == "经营者不得销售过期产品。"
    assert changed.owner == typed["经营者不得销售过期产品。"] and changed.status == "进行中 In progress"
    assert changed.evidence.startswith("=证据") or changed.evidence == ""  # openpyxl reads a typed '=' as formula
    assert by_clause["经营者应当公示投诉电话。"].change == register.NEW
    assert report.removed[0].clause == "经营者应当在每年三月三十一日前报送年度报告。"
    assert report.removed[0].tracking["owner"].startswith("法务部-")

    out = load_workbook(io.BytesIO(export.render(second, "xlsx", removed=report.removed)))
    assert out["Removed"].max_row == 2 and "报送年度报告" in out["Removed"].cell(row=2, column=3).value
    # CSV round trip too: the neutralising apostrophe is taken off again on import
    csv_file = tmp_path / "filled.csv"
    csv_file.write_bytes(export.render(second, "csv"))
    again = {f.key: f for f in register.read_filled(csv_file)}
    assert again[changed.key].tracking["evidence"] == changed.evidence


def test_merge_names_the_file_and_what_is_wrong(tmp_path):
    bad = tmp_path / "notes.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="notes.csv: no column headed '编号 Register ID'"):
        register.read_filled(bad)
    with pytest.raises(ValueError, match="must be .xlsx or .csv"):
        register.read_filled(tmp_path / "register.pdf")


PLACEHOLDERS = ("not in glossary", "[subject not stated]", "[object not in glossary", "（未明确主体）", "None", "[…")


def test_no_export_of_the_whole_corpus_carries_a_placeholder(loaded_store):
    from ui_support import connect_like

    from ui.core import Backend, Core

    core = Core(Backend(connect=lambda: connect_like(loaded_store)))
    try:
        rows = export.rows_from_obligations(core.all_obligations(core.filters(current_only=False)))
    finally:
        core.close()
    assert len(rows) > 1500
    cells = [(r.id, f, r.cell(f)) for r in rows for f, _ in register.COLUMNS]
    bad = [(i, f, v[:60]) for i, f, v in cells if any(p in v for p in PLACEHOLDERS)]
    assert not bad, bad[:5]
    # English is the official translation or says that there is none
    assert all(r.requirement_en or r.cell("requirement_en") == register.NO_ENGLISH for r in rows)
    assert any(r.requirement_en and r.doc_id == "pipl" for r in rows)
    # a right or a regulator's power is nobody's breach: it carries no penalty
    assert not [r.id for r in rows if r.modality in ("right", "power") and r.penalties]
    # rows come highest legal rank first
    ranks = [r.rank for r in rows]
    assert ranks == sorted(ranks, reverse=True)
    # PIPL 38/39 (cross-border) carry the general penalty of PIPL 66
    art38 = [r for r in rows if r.provision_id.startswith("pipl/art38")]
    assert art38 and all(any(p.citation.startswith("《个人信息保护法》第六十六条") and p.method == "general"
                             for p in r.penalties) for r in art38)
