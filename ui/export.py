"""Obligation registers for compliance officers: register rows (ui.register) -> XLSX / DOCX / CSV / JSON.

One core used by the CLI (`yigui checklist`), the Streamlit app and the REST API, so all three give the same file.
Rows come from `ui.core.Core.all_obligations()` (typed `ObligationItem`s); what the graph does not know (an official English text) is
said to be missing, never invented or left as a placeholder. The tracking columns (Owner, Control, Evidence,
Status, Review date, Notes, Verified by) are the user's; `ui.register.merge` carries them into a regenerated register.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any, Literal

from graph.obligations.model import MODALITY_LABELS as _MODALITIES
from ui.register import label as _register_label
from ui.register import (COLUMNS, NO_ENGLISH, STATUS_CHOICES, TRACKING, ChecklistRow, RegisterFacts, RegisterRow,
                         group_rows, rows_from_obligations)

Format = Literal["xlsx", "docx", "csv", "json"]
FORMATS: tuple[str, ...] = ("xlsx", "docx", "csv", "json")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
Progress = Callable[[int, int], None]  # (done, total)

MODALITY_LABELS = {k: (zh, en) for k, (_cue, zh, en) in _MODALITIES.items()}
__all__ = ["ChecklistRow", "RegisterRow", "rows_from_obligations", "render", "FORMATS"]


# ---------------------------------------------------------------- taxonomy labels


def label(kind: Literal["actor", "stage"], ident: str) -> str:
    """Bilingual display name for a taxonomy id (one implementation: ui.register.label over corpus.taxonomy)."""
    return _register_label(kind, ident)


def taxonomy_options(kind: Literal["actor", "stage"]) -> list[tuple[str, str]]:
    """(id, bilingual label) pairs for filter widgets, in taxonomy order (corpus/actors.yaml, stages.yaml)."""
    from corpus import taxonomy

    tax = taxonomy.actors() if kind == "actor" else taxonomy.stages()
    return [(i, label(kind, i)) for i in tax.ids()]


# ---------------------------------------------------------------- writers


def describe_filters(filters: dict[str, Any]) -> str:
    parts = []
    for key, name in (("actor", "主体 Actor"), ("stage", "阶段 Stage"), ("doc", "文件 Document"),
                      ("modality", "类型 Modality"), ("level", "层级 Level"),
                      ("as_of", "版本日期 As of (versions in force on)"),
                      ("changes_since", "变更标注 Changes flagged since"), ("profile", "适用画像 Profile"),
                      ("not_loaded", "相关但未收录 Relevant, text not loaded")):
        v = filters.get(key)
        if v:
            shown = label("actor", v) if key == "actor" else label("stage", v) if key == "stage" else v
            parts.append(f"{name}: {shown}")
    return "；".join(parts) or "全部 All obligations (current versions)"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
GROUPS = ("instrument", "stage")


def render(
    rows: list[RegisterRow],
    fmt: str,
    *,
    title: str = "义务登记册 Obligations register",
    filters: dict[str, Any] | None = None,
    progress: Progress | None = None,
    facts: RegisterFacts | None = None,
    group: str = "instrument",
    removed: Iterable[Any] = (),
) -> bytes:
    """The register file's bytes in one of FORMATS. `facts` (ui.register.facts) fills the About sheet: corpus
    fingerprint, each document's version, the time; `removed` lists rows of a merged register that are gone."""
    fmt = fmt.lower()
    if group not in GROUPS:
        raise ValueError(f"group {group!r} is not supported: choose one of {', '.join(GROUPS)}")
    # user-typed title, filters and tracking text may hold control characters, which xlsx and docx (XML) cannot store
    title = _CONTROL.sub("", title)
    filters = {k: _CONTROL.sub("", v) if isinstance(v, str) else v for k, v in (filters or {}).items()}
    for r in rows:
        for f, _ in TRACKING:
            setattr(r, f, _CONTROL.sub("", getattr(r, f) or ""))
    removed = list(removed)
    if fmt == "xlsx":
        return _xlsx(rows, title, filters, progress, facts, removed)
    if fmt == "docx":
        return _docx(rows, title, filters, progress, facts, group)
    if fmt == "csv":
        return _csv(rows, progress)
    if fmt == "json":
        return _json(rows, title, filters, facts, removed)
    raise ValueError(f"format {fmt!r} is not supported: choose one of {', '.join(FORMATS)}")


def _tick(progress: Progress | None, i: int, total: int) -> None:
    if progress and (i % 25 == 0 or i == total):
        progress(i, total)


FORMULA_LIKE = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheet programs evaluate at the start of a cell


def _as_text(value):
    """CSV: a cell that a spreadsheet would evaluate (=HYPERLINK(…), +cmd, @SUM) gets a leading apostrophe, the
    OWASP-recommended neutraliser; XLSX cells are typed as strings instead (`_xlsx_text`), so their text is kept."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_LIKE) else value


def _xlsx_text(ws) -> None:
    """Every str cell of the sheet stored as a string, never as a formula (openpyxl types '=…' as a formula)."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_LIKE):
                cell.data_type = "s"


def _csv(rows: list[RegisterRow], progress: Progress | None) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([h for _, h in COLUMNS])
    for i, r in enumerate(rows, 1):
        w.writerow([_as_text(r.cell(f)) for f, _ in COLUMNS])
        _tick(progress, i, len(rows))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Chinese correctly


def _facts_dict(facts: RegisterFacts | None) -> dict:
    return facts.model_dump() if facts else {}


def _json(rows: list[RegisterRow], title: str, filters: dict[str, Any], facts: RegisterFacts | None,
          removed: list) -> bytes:
    payload = {
        "title": title,
        "about": _facts_dict(facts),
        "filters": {k: v for k, v in filters.items() if v not in (None, "", False)},
        "count": len(rows),
        "rows": [r.model_dump() | {"citation_full": r.full_citation} for r in rows],
        "removed": [x.model_dump() if hasattr(x, "model_dump") else x for x in removed],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")


def _display_width(text: str) -> int:
    """Width of the longest line in Excel's character units (CJK characters count two)."""
    return max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in line) for line in str(text or "").split("\n")), default=0)


# column width bounds (Excel character units): long prose wraps inside MAX_WIDTH; tracking columns stay writable
MIN_WIDTH, MAX_WIDTH, TRACK_WIDTH = 10, 44, 16


def _fitted_widths(rows: list[RegisterRow]) -> list[int]:
    tracking = {f for f, _ in TRACKING}
    out = []
    for f, header in COLUMNS:
        if f in tracking:
            out.append(max(TRACK_WIDTH, _display_width(header) // 2 + 2))
            continue
        sample = [_display_width(r.cell(f)) for r in rows[:2000]]
        longest = max(sample or [0])
        # the 90th percentile, so one long clause does not widen the column for every row
        typical = sorted(sample)[int(0.9 * (len(sample) - 1))] if sample else 0
        want = max(_display_width(header) // 2 + 2, min(longest, max(typical, 24)) + 2)
        out.append(max(MIN_WIDTH, min(MAX_WIDTH, want)))
    return out


def _xlsx(rows: list[RegisterRow], title: str, filters: dict[str, Any], progress: Progress | None,
          facts: RegisterFacts | None, removed: list) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "Register"
    header_fill = PatternFill("solid", fgColor="1F3864")
    track_fill = PatternFill("solid", fgColor="2E5E3E")
    flag_fill = PatternFill("solid", fgColor="FCE4D6")
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    tracking = {f for f, _ in TRACKING}
    widths = _fitted_widths(rows)

    ws.append([h for _, h in COLUMNS])
    for c, ((f, _), width) in enumerate(zip(COLUMNS, widths), 1):
        cell = ws.cell(row=1, column=c)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = track_fill if f in tracking else header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = border
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.row_dimensions[1].height = 32
    change_col = [f for f, _ in COLUMNS].index("change") + 1
    for i, r in enumerate(rows, 1):
        values = [r.cell(f) for f, _ in COLUMNS]
        ws.append(values)
        for c in range(1, len(COLUMNS) + 1):
            cell = ws.cell(row=i + 1, column=c)
            cell.alignment = wrap
            cell.border = border
        if r.change:
            ws.cell(row=i + 1, column=change_col).fill = flag_fill
        # explicit heights: neither Excel nor LibreOffice reliably grows rows of wrapped text written by a library
        lines = max(_wrapped_lines(v, w) for v, w in zip(values, widths))
        ws.row_dimensions[i + 1].height = min(409, 15 * lines + 3)
        _tick(progress, i, len(rows))
    last = get_column_letter(len(COLUMNS))
    ws.freeze_panes = "C2"  # the register id and the citation stay in view
    ws.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 2)}"
    status_col = get_column_letter([f for f, _ in COLUMNS].index("status") + 1)
    if rows:
        dv = DataValidation(type="list", formula1='"' + ",".join(STATUS_CHOICES) + '"', allow_blank=True)
        dv.add(f"{status_col}2:{status_col}{len(rows) + 1}")
        ws.add_data_validation(dv)
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.page_setup.fitToWidth = 2  # A3 landscape, two pages across: what the law says, then the tracking columns
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    if removed:
        gone = wb.create_sheet("Removed")
        gone.append(["编号 Register ID", "出处 Citation", "条文原文 Clause (verbatim)", *[h for _, h in TRACKING]])
        for x in removed:
            gone.append([x.key, x.citation, x.clause, *[x.tracking.get(f, "") for f, _ in TRACKING]])
        for c, w in zip("ABCDEFGHIJ", (24, 30, 60, 16, 16, 16, 12, 12, 20, 12)):
            gone.column_dimensions[c].width = w
        for cell in gone[1]:
            cell.font = Font(bold=True)
        _xlsx_text(gone)

    about = wb.create_sheet("About")
    for line in _about_lines(rows, title, filters, facts, removed):
        about.append(list(line))
    about.column_dimensions["A"].width = 26
    for col, w in zip("BCDEFG", (60, 14, 14, 28, 10, 16)):
        about.column_dimensions[col].width = w
    for row in about.iter_rows():
        row[0].font = Font(bold=True)
        for cell in row:
            cell.alignment = wrap
    _xlsx_text(ws)
    _xlsx_text(about)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _about_lines(rows: list[RegisterRow], title: str, filters: dict[str, Any], facts: RegisterFacts | None,
                 removed: list) -> list[tuple]:
    lines: list[tuple] = [
        ("登记册 Register", title),
        ("筛选 Filters", describe_filters(filters)),
        ("条目 Obligations", len(rows)),
        ("生成时间 Generated", facts.generated if facts else ""),
        ("语料指纹 Corpus fingerprint", facts.fingerprint if facts else ""),
    ]
    if facts and facts.merged_from:
        c = facts.merge_counts
        lines.append(("合并自 Merged from", f"{facts.merged_from}: {c.get('kept', 0)} kept, {c.get('changed', 0)} "
                                           f"changed — review, {c.get('new', 0)} new, {len(removed)} removed "
                                           "(sheet Removed)"))
    lines += [
        ("说明 Note", "每行对应一项义务，出处为精确条款；按法律层级、再按条文顺序排列。请核对原文；英文栏仅在有官方英译本时"
                      "给出译文。Each row is one obligation with its pinpoint clause, highest legal rank first, then "
                      "document order. Verify against the official text; the English column holds the official "
                      "translation where one exists."),
        ("罚则 Penalties", "明示引用的罚则条款列在前；“一般罚则”指适用于违反本法规定行为的兜底条款。Penalty clauses that "
                           "cite the duty come first; a 'general penalty clause' is a catch-all for breaches of the law."),
        ("",),
        ("文件 Document", "标题 Title", "版本 Version", "施行 Effective", "层级 Level", "现行 Current",
         "SHA-256 (12)"),
    ]
    for d in facts.documents if facts else []:
        if d.get("in_register") or not rows:
            lines.append((d["id"], d["title"], d["version"], d["effective"], d["level"],
                          "是 yes" if d["current"] else "否 no", d["sha256"]))
    return lines


def _wrapped_lines(text: str, width_chars: int) -> int:
    """Lines a wrapped cell needs: CJK characters are two columns wide in Excel's character units."""
    total = 0
    for line in str(text or "").split("\n"):
        units = sum(2 if ord(ch) > 0x2E80 else 1 for ch in line)
        total += max(1, -(-units // max(1, width_chars - 1)))
    return total


def _set_cell_background(cell, hex_color: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), hex_color)
    tc_pr.append(shd)


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


DOCX_COLUMNS: list[tuple[str, str, float]] = [  # (field, header, width cm) — landscape A3, 39 cm usable
    ("n", "序号 No.", 1.4),
    ("modality", "类型 Type", 1.7),
    ("actors", "主体 Actor", 2.8),
    ("requirement", "要求 Requirement", 8.0),
    ("citation", "出处与原文 Citation & clause", 7.0),
    ("penalties", "罚则 Penalties", 5.3),
    ("owner", "负责人 Owner", 2.2),
    ("control", "控制措施 Control", 2.6),
    ("evidence", "证据 Evidence", 2.6),
    ("status", "状态 Status", 1.8),
    ("review_date", "复核日期 Review", 1.8),
    ("verified_by", "核验人 Verified", 1.8),
]


def _docx(rows: list[RegisterRow], title: str, filters: dict[str, Any], progress: Progress | None,
          facts: RegisterFacts | None, group: str) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(42.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(9)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")  # CJK fallback Word/LibreOffice both map

    doc.add_heading(title, level=0)
    meta = doc.add_paragraph()
    meta.add_run("筛选 Filters: ").bold = True
    meta.add_run(describe_filters(filters))
    meta.add_run(f"    条目 Obligations: {len(rows)}")
    if facts:
        meta.add_run(f"    生成 Generated: {facts.generated}    语料指纹 Corpus fingerprint: {facts.fingerprint}")
        used = [d for d in facts.documents if d.get("in_register")]
        if used:
            versions = doc.add_paragraph()
            versions.add_run("版本 Versions: ").bold = True
            versions.add_run("；".join(f"{d['title']}（{d['version'] or d['effective']}）" for d in used))
            versions.runs[-1].font.size = Pt(7)
    note = doc.add_paragraph(
        "每项义务附精确条款出处与原文，按法律层级再按条文顺序排列；负责人、控制措施、证据、状态、复核日期、核验人栏供跟踪填写。"
        "Each obligation carries its pinpoint citation and verbatim clause, highest legal rank first; Owner, Control, "
        "Evidence, Status, Review date and Verified by are for tracking."
    )
    note.runs[0].font.size = Pt(8)
    note.runs[0].font.color.rgb = RGBColor(0x59, 0x59, 0x59)

    if not rows:
        doc.add_paragraph("没有符合筛选条件的义务。No obligations match these filters.")
    groups = group_rows(rows, group, only_stage=filters.get("stage"))
    done, total = 0, sum(len(g) for _, g in groups)
    tracking = {f for f, _ in TRACKING}
    for heading, members in groups:
        doc.add_heading(f"{heading}（{len(members)}）", level=1)
        table = doc.add_table(rows=1, cols=len(DOCX_COLUMNS))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for col, (_, _, width) in zip(table.columns, DOCX_COLUMNS):
            col.width = Cm(width)  # the table grid: what LibreOffice and Word lay out by
        hdr = table.rows[0]
        _repeat_header(hdr)
        for c, (field, name, width) in enumerate(DOCX_COLUMNS):
            cell = hdr.cells[c]
            cell.width = Cm(width)
            cell.text = ""
            run = cell.paragraphs[0].add_run(name)
            run.bold = True
            run.font.size = Pt(8)
            run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
            _set_cell_background(cell, "2E5E3E" if field in tracking else "1F3864")
        for n, r in enumerate(members, 1):
            cells = table.add_row().cells
            for c, (field, _, width) in enumerate(DOCX_COLUMNS):
                cell = cells[c]
                cell.width = Cm(width)
                p = cell.paragraphs[0]
                if field == "n":
                    p.add_run(str(n))
                    small = cell.add_paragraph().add_run(r.key)
                    small.font.size = Pt(6)
                    small.font.color.rgb = RGBColor(0x80, 0x80, 0x80)
                    if r.change:
                        flag = cell.add_paragraph().add_run(r.change)
                        flag.bold = True
                        flag.font.size = Pt(7)
                        flag.font.color.rgb = RGBColor(0xC0, 0x50, 0x00)
                elif field == "requirement":
                    p.add_run(r.requirement_zh or r.clause)
                    if r.condition or r.exception:
                        c_run = cell.add_paragraph().add_run("条件 Condition: " + r.cell("condition").replace("\n", "；"))
                        c_run.font.size = Pt(7)
                    if r.elements:
                        e_run = cell.add_paragraph().add_run("要素 Elements: " + "；".join(
                            f"{i}. {e}" for i, e in enumerate(r.elements, 1)))
                        e_run.font.size = Pt(7)
                    en = cell.add_paragraph().add_run(r.requirement_en or NO_ENGLISH)
                    en.italic = True
                    en.font.size = Pt(7 if not r.requirement_en else 8)
                    en.font.color.rgb = RGBColor(0x40, 0x40, 0x40)
                elif field == "citation":
                    p.add_run(r.citation).bold = True
                    src = cell.add_paragraph().add_run(r.full_citation.split("\n", 1)[-1] if r.doc_title else "")
                    src.font.size = Pt(7)
                    clause = cell.add_paragraph().add_run(r.clause)
                    clause.font.size = Pt(8)
                    clause.font.color.rgb = RGBColor(0x33, 0x33, 0x33)
                elif field == "modality":
                    zh, en = MODALITY_LABELS.get(r.modality, (r.modality, ""))
                    p.add_run(zh).bold = True
                    if en:
                        cell.add_paragraph().add_run(en).font.size = Pt(7)
                elif field == "actors":
                    p.add_run("\n".join(r.actors))
                    if r.inherited_via:
                        via = cell.add_paragraph().add_run(f"（适用理由 applies via: {r.via_short}）")
                        via.font.size = Pt(7)
                elif field == "penalties":
                    run = p.add_run(r.cell("penalties"))
                    run.font.size = Pt(7.5)
                else:
                    p.add_run(r.cell(field))
            done += 1
            _tick(progress, done, total)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- document review


REVIEW_COLUMNS = [("verdict", "结论 Verdict"), ("element", "应载明事项 Required element"),
                  ("span", "文件原文 Your document (verbatim)"), ("line", "行 Line"),
                  ("citation", "依据 Required by"), ("clause", "条文原文 Clause (verbatim)")]
VERDICT_LABELS = {"covered": "已覆盖 covered", "partial": "部分 partial", "missing": "缺失 missing"}


def review_file(result, fmt: str) -> bytes:
    """A review (graph.review.ReviewResult) as xlsx (one row per element, missing ones highlighted) or json."""
    if fmt == "json":
        return result.model_dump_json(indent=2).encode("utf-8")
    if fmt != "xlsx":
        raise ValueError(f"review format {fmt!r}: choose xlsx or json")
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Review"
    ws.append([h for _, h in REVIEW_COLUMNS])
    for c in ws[1]:
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = PatternFill("solid", fgColor="1F3864")
    fills = {"missing": PatternFill("solid", fgColor="F8CBAD"), "partial": PatternFill("solid", fgColor="FFE699")}
    for e in result.elements:
        ws.append([_CONTROL.sub("", str(v)) if isinstance(v, str) else v for v in
                   (VERDICT_LABELS[e.verdict], e.element, e.span or "", e.line, e.citation, e.clause)])
        for c in ws[ws.max_row]:
            c.alignment = Alignment(wrap_text=True, vertical="top")
            if e.verdict in fills:
                c.fill = fills[e.verdict]
    for col, width in zip("ABCDEF", (16, 36, 60, 6, 28, 70)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    about = wb.create_sheet("About")
    for row in (("文件 File", result.file), ("类型 Kind", result.kind_title),
                ("统计 Counts", ", ".join(f"{k} {v}" for k, v in result.counts.items())),
                ("未要求 Not required for this profile", ", ".join(result.not_required) or "—"),
                ("说明 Note", "“已覆盖”均附文件原文；请对照条文核实。Every covered verdict quotes your document; "
                             "check it against the clause.")):
        about.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
