"""Checklists for compliance officers: obligation rows -> XLSX / DOCX / CSV / JSON.

One core used by the CLI (`yigui checklist`), the Streamlit app and the REST API, so all three give the same file.
Rows are built from `graph.queries.Queries.obligations()` dicts; anything the graph does not know yet (an English
requirement, penalties) stays empty rather than invented. Owner / Evidence / Status / Due are left empty for the
user to track the work.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field

Format = Literal["xlsx", "docx", "csv", "json"]
FORMATS: tuple[str, ...] = ("xlsx", "docx", "csv", "json")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
Progress = Callable[[int, int], None]  # (done, total)

MODALITY_LABELS = {
    "obligation": ("应当", "Obligation"),
    "prohibition": ("不得", "Prohibition"),
    "permission": ("可以", "Permission"),
    "right": ("权利", "Right"),
}

# (field, header, xlsx column width)
COLUMNS: list[tuple[str, str, int]] = [
    ("id", "编号 ID", 22),
    ("modality", "类型 Modality", 12),
    ("actors", "主体 Actor(s)", 22),
    ("stages", "阶段 Stage(s)", 22),
    ("requirement_zh", "要求 Requirement (中文)", 40),
    ("requirement_en", "Requirement (English)", 40),
    ("citation", "出处 Citation", 34),
    ("clause", "条文原文 Clause (verbatim)", 60),
    ("penalties", "罚则 Penalties", 30),
    ("owner", "负责人 Owner", 14),
    ("evidence", "证据 Evidence", 18),
    ("status", "状态 Status", 12),
    ("due", "期限 Due", 12),
]


class ChecklistRow(BaseModel):
    id: str
    modality: str
    actors: list[str] = Field(default_factory=list)  # display names "医疗器械注册人 (Registrant)"
    actor_ids: list[str] = Field(default_factory=list)
    stages: list[str] = Field(default_factory=list)
    stage_ids: list[str] = Field(default_factory=list)
    requirement_zh: str = ""
    requirement_en: str = ""
    provision_id: str
    citation: str  # pinpoint, e.g. 《医疗器械监督管理条例》第六十二条第一款
    doc_id: str = ""
    doc_title: str = ""  # full official title
    version: str = ""
    clause: str = ""  # verbatim text of the clause
    penalties: list[str] = Field(default_factory=list)  # citations of the penalty clauses
    inherited_via: str | None = None
    owner: str = ""
    evidence: str = ""
    status: str = ""
    due: str = ""

    @property
    def full_citation(self) -> str:
        """Pinpoint citation plus the instrument's full title and version, as exports must show."""
        tail = self.doc_title
        if self.version:
            tail = f"{tail}（{self.version} 版）" if tail else f"{self.version} 版"
        return f"{self.citation}\n{tail}" if tail else self.citation

    def cell(self, field: str) -> str:
        if field == "modality":
            zh, en = MODALITY_LABELS.get(self.modality, (self.modality, self.modality))
            return f"{zh} {en}"
        if field == "citation":
            return self.full_citation
        if field == "actors" and self.inherited_via:
            return "\n".join(self.actors + [f"（适用理由 applies via: {self.inherited_via}）"])
        value = getattr(self, field)
        if isinstance(value, list):
            return "\n".join(value)
        return value or ""


# ---------------------------------------------------------------- taxonomy labels


def _taxonomy(name: str) -> dict[str, dict]:
    """id -> entry of corpus/actors.yaml or stages.yaml; empty when the file has not landed or is malformed."""
    try:
        from corpus import load_yaml

        data = load_yaml(name)
    except Exception:  # noqa: BLE001 - labels are cosmetic; fall back to ids
        return {}
    if isinstance(data, dict):
        for key in ("actors", "stages", "regulators", "items"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            return {k: (v if isinstance(v, dict) else {"zh": str(v)}) for k, v in data.items()}
    if isinstance(data, list):
        return {str(e.get("id")): e for e in data if isinstance(e, dict) and e.get("id")}
    return {}


@lru_cache(maxsize=None)
def actor_taxonomy() -> dict[str, dict]:
    return _taxonomy("actors.yaml")


@lru_cache(maxsize=None)
def stage_taxonomy() -> dict[str, dict]:
    return _taxonomy("stages.yaml")


def _names(entry: dict) -> tuple[str, str]:
    zh = entry.get("zh") or entry.get("name_zh") or entry.get("name") or ""
    en = entry.get("en") or entry.get("name_en") or ""
    if isinstance(zh, dict):
        zh = zh.get("name") or ""
    if isinstance(en, dict):
        en = en.get("name") or ""
    return str(zh), str(en)


def label(kind: Literal["actor", "stage"], ident: str) -> str:
    """Bilingual display name for a taxonomy id: 医疗器械注册人 (Registrant); the id itself when unknown."""
    tax = actor_taxonomy() if kind == "actor" else stage_taxonomy()
    entry = tax.get(ident)
    if not entry:
        return ident
    zh, en = _names(entry)
    if zh and en:
        return f"{zh} ({en})"
    return zh or en or ident


def taxonomy_options(kind: Literal["actor", "stage"]) -> list[tuple[str, str]]:
    """(id, bilingual label) pairs for filter widgets, in taxonomy order."""
    tax = actor_taxonomy() if kind == "actor" else stage_taxonomy()
    return [(i, label(kind, i)) for i in tax]


def resolve_taxonomy_id(kind: Literal["actor", "stage"], value: str | None) -> str | None:
    """Accept an id, a Chinese or English name or an alias (`医疗器械注册人`, `registrant`) and return the id."""
    if not value:
        return None
    tax = actor_taxonomy() if kind == "actor" else stage_taxonomy()
    if value in tax or not tax:
        return value
    needle = value.strip().casefold()
    for ident, entry in tax.items():
        zh, en = _names(entry)
        names = {zh.casefold(), en.casefold(), ident.casefold()}
        aliases = entry.get("aliases") or []
        if isinstance(aliases, dict):
            aliases = [a for v in aliases.values() for a in (v or [])]
        for alias in aliases:
            names.add(str(alias).casefold())
        if needle in names:
            return ident
    return value


# ---------------------------------------------------------------- rows


def _ids(values: Any) -> list[str]:
    out: list[str] = []
    for v in values or []:
        if isinstance(v, dict):
            v = v.get("id") or v.get("name") or v.get("citation")
        if v:
            out.append(str(v))
    return out


def _penalty_citations(values: Any) -> list[str]:
    out: list[str] = []
    for v in values or []:
        if isinstance(v, dict):
            v = v.get("citation") or v.get("provision_id") or v.get("id")
        if v and str(v) not in out:
            out.append(str(v))
    return out


def rows_from_obligations(obligations: Iterable[dict]) -> list[ChecklistRow]:
    """Turn `Queries.obligations()` dicts into checklist rows; one row per obligation id."""
    rows: list[ChecklistRow] = []
    seen: set[str] = set()
    for ob in obligations:
        oid = str(ob.get("id") or "")
        if not oid or oid in seen:
            continue
        seen.add(oid)
        actor_ids = _ids(ob.get("actors"))
        stage_ids = _ids(ob.get("stages") or ob.get("stage_ids"))
        version = ob.get("version") or ""
        rows.append(
            ChecklistRow(
                id=oid,
                modality=str(ob.get("modality") or ""),
                actor_ids=actor_ids,
                actors=[label("actor", a) for a in actor_ids],
                stage_ids=stage_ids,
                stages=[label("stage", s) for s in stage_ids],
                requirement_zh=ob.get("requirement_zh") or "",
                requirement_en=ob.get("requirement_en") or "",
                provision_id=str(ob.get("provision_id") or oid.split("#")[0]),
                citation=ob.get("citation") or "",
                doc_id=ob.get("doc_id") or "",
                doc_title=ob.get("doc_title") or "",
                version=str(version)[:10] if version else "",
                clause=ob.get("text") or "",
                penalties=_penalty_citations(ob.get("penalties")),
                inherited_via=ob.get("inherited_via") or None,
            )
        )
    return rows


def fetch_obligations(
    queries: Any,
    *,
    actor: str | None = None,
    stage: str | None = None,
    doc: str | None = None,
    modality: str | None = None,
    level: str | None = None,
    current_only: bool = True,
    include_inherited: bool = True,
    page_size: int = 500,
    max_rows: int = 20000,
    progress: Progress | None = None,
) -> list[dict]:
    """All obligations matching the filters, paging through `Queries.obligations` so large checklists stream."""
    out: list[dict] = []
    offset = 0
    while offset < max_rows:
        page = queries.obligations(
            actor=actor,
            stage=stage,
            modality=modality,
            doc=doc,
            level=level,
            current_only=current_only,
            include_inherited=include_inherited,
            limit=page_size,
            offset=offset,
        )
        out.extend(page)
        offset += len(page)
        if progress:
            progress(len(out), 0)
        if len(page) < page_size:
            break
    return out


# ---------------------------------------------------------------- writers


def describe_filters(filters: dict[str, Any]) -> str:
    parts = []
    for key, name in (("actor", "主体 Actor"), ("stage", "阶段 Stage"), ("doc", "文件 Document"),
                      ("modality", "类型 Modality"), ("level", "层级 Level")):
        v = filters.get(key)
        if v:
            shown = label("actor", v) if key == "actor" else label("stage", v) if key == "stage" else v
            parts.append(f"{name}: {shown}")
    return "；".join(parts) or "全部 All obligations"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def render(
    rows: list[ChecklistRow],
    fmt: str,
    *,
    title: str = "合规清单 Compliance checklist",
    filters: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The checklist file's bytes in one of FORMATS."""
    fmt = fmt.lower()
    # user-typed title and filters may hold control characters, which xlsx and docx (XML) cannot store
    title = _CONTROL.sub("", title)
    filters = {k: _CONTROL.sub("", v) if isinstance(v, str) else v for k, v in (filters or {}).items()}
    if fmt == "xlsx":
        return _xlsx(rows, title, filters, progress)
    if fmt == "docx":
        return _docx(rows, title, filters, progress)
    if fmt == "csv":
        return _csv(rows, progress)
    if fmt == "json":
        return _json(rows, title, filters)
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


def _csv(rows: list[ChecklistRow], progress: Progress | None) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([h for _, h, _ in COLUMNS])
    for i, r in enumerate(rows, 1):
        w.writerow([_as_text(r.cell(f).replace("\n", "; ") if f in ("actors", "stages", "penalties") else r.cell(f))
                    for f, _, _ in COLUMNS])
        _tick(progress, i, len(rows))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Chinese correctly


def _json(rows: list[ChecklistRow], title: str, filters: dict[str, Any]) -> bytes:
    payload = {
        "title": title,
        "generated": date.today().isoformat(),
        "filters": {k: v for k, v in filters.items() if v not in (None, "", False)},
        "count": len(rows),
        "rows": [r.model_dump() | {"citation_full": r.full_citation} for r in rows],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")


def _xlsx(rows: list[ChecklistRow], title: str, filters: dict[str, Any], progress: Progress | None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "Checklist"
    header_fill = PatternFill("solid", fgColor="1F3864")
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")

    ws.append([h for _, h, _ in COLUMNS])
    for c, (_, _, width) in enumerate(COLUMNS, 1):
        cell = ws.cell(row=1, column=c)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = border
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.row_dimensions[1].height = 30
    for i, r in enumerate(rows, 1):
        values = [r.cell(f) for f, _, _ in COLUMNS]
        ws.append(values)
        for c in range(1, len(COLUMNS) + 1):
            cell = ws.cell(row=i + 1, column=c)
            cell.alignment = wrap
            cell.border = border
        # explicit heights: neither Excel nor LibreOffice reliably grows rows of wrapped text written by a library
        lines = max(_wrapped_lines(v, w) for v, (_, _, w) in zip(values, COLUMNS))
        ws.row_dimensions[i + 1].height = min(409, 15 * lines + 3)
        _tick(progress, i, len(rows))
    last = get_column_letter(len(COLUMNS))
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 2)}"
    status_col = get_column_letter([f for f, _, _ in COLUMNS].index("status") + 1)
    if rows:
        dv = DataValidation(type="list", formula1='"未开始 Not started,进行中 In progress,已完成 Done,不适用 N/A"',
                            allow_blank=True)
        dv.add(f"{status_col}2:{status_col}{len(rows) + 1}")
        ws.add_data_validation(dv)
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    about = wb.create_sheet("About")
    for line in (
        ("清单 Checklist", title),
        ("筛选 Filters", describe_filters(filters)),
        ("条目 Obligations", len(rows)),
        ("生成 Generated", date.today().isoformat()),
        ("说明 Note", "每行对应一项义务，出处为精确条款；请核对原文。Each row is one obligation with its pinpoint "
                      "clause; verify against the official text."),
    ):
        about.append(list(line))
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 90
    for row in about.iter_rows():
        row[0].font = Font(bold=True)
        for cell in row:
            cell.alignment = wrap
    _xlsx_text(ws)
    _xlsx_text(about)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


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


DOCX_COLUMNS: list[tuple[str, str, float]] = [  # (field, header, width cm) — landscape A4, 26.7 cm usable
    ("n", "序号 No.", 1.2),
    ("modality", "类型 Modality", 2.0),
    ("actors", "主体 Actor", 2.6),
    ("requirement", "要求 Requirement", 5.4),
    ("citation", "出处与原文 Citation & clause", 7.0),
    ("penalties", "罚则 Penalties", 2.8),
    ("owner", "负责人 Owner", 1.5),
    ("evidence", "证据 Evidence", 1.5),
    ("status", "状态 Status", 1.3),
    ("due", "期限 Due", 1.3),
]


def _stage_groups(rows: list[ChecklistRow], filters: dict[str, Any]) -> list[tuple[str, list[ChecklistRow]]]:
    """Stage heading -> rows, in taxonomy order; a row with several stages appears under each (unless filtered)."""
    only = filters.get("stage")
    order = list(stage_taxonomy())
    groups: dict[str, list[ChecklistRow]] = {}
    for r in rows:
        stages = r.stage_ids or ["_none"]
        if only:
            stages = [only] if only in r.stage_ids else stages[:1]
        for s in stages:
            groups.setdefault(s, []).append(r)

    def key(s: str) -> tuple[int, str]:
        return (order.index(s) if s in order else len(order) + (1 if s == "_none" else 0), s)

    return [("未分阶段 No stage assigned" if s == "_none" else label("stage", s), groups[s])
            for s in sorted(groups, key=key)]


def _docx(rows: list[ChecklistRow], title: str, filters: dict[str, Any], progress: Progress | None) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
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
    meta.add_run(f"    条目 Obligations: {len(rows)}    生成 Generated: {date.today().isoformat()}")
    note = doc.add_paragraph(
        "每项义务附精确条款出处与原文；负责人、证据、状态、期限栏供跟踪填写。"
        "Each obligation carries its pinpoint citation and verbatim clause; Owner, Evidence, Status and Due are "
        "for tracking."
    )
    note.runs[0].font.size = Pt(8)
    note.runs[0].font.color.rgb = RGBColor(0x59, 0x59, 0x59)

    if not rows:
        doc.add_paragraph("没有符合筛选条件的义务。No obligations match these filters.")
    done = 0
    total = sum(len(g) for _, g in _stage_groups(rows, filters))
    for heading, group in _stage_groups(rows, filters):
        doc.add_heading(f"{heading}（{len(group)}）", level=1)
        table = doc.add_table(rows=1, cols=len(DOCX_COLUMNS))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for col, (_, _, width) in zip(table.columns, DOCX_COLUMNS):
            col.width = Cm(width)  # the table grid: what LibreOffice and Word lay out by
        hdr = table.rows[0]
        _repeat_header(hdr)
        for c, (_, name, width) in enumerate(DOCX_COLUMNS):
            cell = hdr.cells[c]
            cell.width = Cm(width)
            cell.text = ""
            run = cell.paragraphs[0].add_run(name)
            run.bold = True
            run.font.size = Pt(8)
            run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
            _set_cell_background(cell, "1F3864")
        for n, r in enumerate(group, 1):
            cells = table.add_row().cells
            for c, (field, _, width) in enumerate(DOCX_COLUMNS):
                cell = cells[c]
                cell.width = Cm(width)
                p = cell.paragraphs[0]
                if field == "n":
                    p.add_run(str(n))
                    small = cell.add_paragraph().add_run(r.id)
                    small.font.size = Pt(6)
                    small.font.color.rgb = RGBColor(0x80, 0x80, 0x80)
                elif field == "requirement":
                    p.add_run(r.requirement_zh or r.clause)
                    if r.requirement_en:
                        en = cell.add_paragraph().add_run(r.requirement_en)
                        en.italic = True
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
                        via = cell.add_paragraph().add_run(f"（经 via {label('actor', r.inherited_via)}）")
                        via.font.size = Pt(7)
                else:
                    p.add_run(r.cell(field))
            done += 1
            _tick(progress, done, total)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
