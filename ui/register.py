"""The obligations register (ISO 37301-style) that the CLI, the API and the app export: rows, the facts of the
corpus it was made from, and the merge of a filled register into a regenerated one.

A row is keyed by its register key (`Obligation.key`: instrument + a hash of the clause's words), which survives a
re-ingest and a new version of the instrument as long as the clause is unchanged. When a user's filled register
(XLSX or CSV) is merged into a regenerated one, what they typed (Owner, Control, Evidence, Status, Review date,
Notes, Verified by) follows the key; a row whose clause changed is found by its place and wording instead and
flagged "changed — review" with the old clause beside it, rows that disappeared are listed apart, new rows are
marked new.
"""
from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from graph.obligations.model import MODALITY_LABELS, ObligationItem, PenaltyLink
from ingest.model import LEVEL_LABELS, LEVEL_RANK

TRACKING: list[tuple[str, str]] = [  # what the user writes: (field, header)
    ("owner", "负责人 Owner"),
    ("control", "控制措施 Control"),
    ("evidence", "证据 Evidence"),
    ("status", "状态 Status"),
    ("review_date", "复核日期 Review date"),
    ("notes", "备注 Notes"),
    ("verified_by", "核验人 Verified by"),
]
STATUS_CHOICES = ("未开始 Not started", "进行中 In progress", "已完成 Done", "不适用 N/A")
NEW, CHANGED = "新增 new", "已变更 changed — review"
NO_ENGLISH = "（无官方英译本，以中文为准 No official English translation; the Chinese text governs）"


class PenaltyRef(BaseModel):
    citation: str
    provision_id: str = ""
    method: str = "explicit"  # explicit | inferred | general
    tiers_zh: str = ""  # 最高可处…（parsed tiers, verbatim amounts）
    evidence: str = ""  # the words of the penalty clause that make the link

    def line(self) -> str:
        why = {"general": "（一般罚则：适用于违反本法规定的行为 general penalty clause）",
               "inferred": "（按所述行为对应 matched by the conduct described）"}.get(self.method, "")
        return f"{self.citation}{why}：{self.tiers_zh}" if self.tiers_zh else f"{self.citation}{why}"


class RegisterRow(BaseModel):
    key: str  # register id (stable)
    id: str  # obligation node id (pinpoint-based)
    change: str = ""  # "" | NEW | CHANGED
    previous_clause: str = ""  # the clause as it read in the merged register, when changed
    modality: str
    actors: list[str] = Field(default_factory=list)  # display names "医疗器械注册人 (Registrant)"
    actor_ids: list[str] = Field(default_factory=list)
    stages: list[str] = Field(default_factory=list)
    stage_ids: list[str] = Field(default_factory=list)
    requirement_zh: str = ""
    requirement_en: str = ""  # the official English, or "" (shown as NO_ENGLISH)
    condition: str = ""
    exception: str = ""
    elements: list[str] = Field(default_factory=list)
    provision_id: str
    citation: str  # pinpoint, e.g. 《医疗器械监督管理条例》第六十二条第一款
    doc_id: str = ""
    instrument: str = ""
    doc_title: str = ""  # full official title
    version: str = ""
    effective: str = ""
    level: str = ""
    rank: int = 0
    position: int = 0
    clause: str = ""  # verbatim text of the clause
    penalties: list[PenaltyRef] = Field(default_factory=list)
    inherited_via: str | None = None
    owner: str = ""
    control: str = ""
    evidence: str = ""
    status: str = ""
    review_date: str = ""
    notes: str = ""
    verified_by: str = ""

    @property
    def via_short(self) -> str:
        """The reason an inherited duty applies, in Chinese only (the register's narrow actor column)."""
        return (self.inherited_via or "").split(" / ")[0]

    @property
    def full_citation(self) -> str:
        """Pinpoint citation plus the instrument's full title and version, as exports must show."""
        tail = self.doc_title
        if self.version:
            tail = f"{tail}（{self.version} 版）" if tail else f"{self.version} 版"
        return f"{self.citation}\n{tail}" if tail else self.citation

    def cell(self, field: str) -> str:
        """The text a register cell shows for `field`."""
        if field == "modality":
            _, zh, en = MODALITY_LABELS.get(self.modality, ("", self.modality, self.modality))
            return f"{zh} {en}"
        if field == "citation":
            return self.full_citation
        if field == "level":
            return LEVEL_LABELS.get(self.level, self.level)
        if field == "instrument":
            return f"{self.doc_title}（{self.version} 版）" if self.version else self.doc_title
        if field == "actors":
            via = [f"（适用理由 applies via: {self.inherited_via}）"] if self.inherited_via else []
            return "\n".join(self.actors + via)
        if field == "condition":
            parts = [self.condition] if self.condition else []
            if self.exception:
                parts.append(f"但书/例外 Exception: {self.exception}")
            return "\n".join(parts)
        if field == "requirement_en":
            return self.requirement_en or NO_ENGLISH
        if field == "elements":
            return "\n".join(f"{i}. {e}" for i, e in enumerate(self.elements, 1))
        if field == "penalties":
            return "\n".join(p.line() for p in self.penalties)
        if field == "change":
            return self.change + (f"\n原条文 Previous: {self.previous_clause}" if self.previous_clause else "")
        value = getattr(self, field)
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return str(value or "")


ChecklistRow = RegisterRow  # the name the app and older callers use

# (field, header): the XLSX/CSV columns, in order: what the duty is first (a printed A3 page holds them), then the
# verbatim clause, the official English and the rank, then the tracking columns the user fills
COLUMNS: list[tuple[str, str]] = [
    ("key", "编号 Register ID"),
    ("citation", "出处 Citation"),
    ("modality", "类型 Type"),
    ("actors", "主体 Actor(s)"),
    ("requirement_zh", "要求 Requirement (中文)"),
    ("condition", "条件与例外 Condition & exception"),
    ("elements", "应包含的要素 Required elements"),
    ("penalties", "罚则 Penalties"),
    ("stages", "阶段 Stage(s)"),
    ("change", "变更 Change"),
    ("clause", "条文原文 Clause (verbatim)"),
    ("requirement_en", "Requirement (English)"),
    ("level", "法律层级 Legal rank"),
    ("effective", "施行日期 Effective"),
    *TRACKING,
    ("id", "条款编号 Source ID"),
]
HEADER_FIELD = {h: f for f, h in COLUMNS}


# ---------------------------------------------------------------- taxonomy labels (one vocabulary: corpus.taxonomy)


def label(kind: str, ident: str) -> str:
    """Bilingual display name for a taxonomy id: 医疗器械注册人 (medical device registrant); the id when unknown."""
    from corpus import taxonomy

    tax = {"actor": taxonomy.actors, "stage": taxonomy.stages, "regulator": taxonomy.regulators}[kind]()
    if ident not in tax.entries:
        if kind == "actor" and ident in taxonomy.regulators().entries:
            return label("regulator", ident)
        return ident
    e = tax.entries[ident]
    return f"{e['zh']} ({e['en']})"


# ---------------------------------------------------------------- rows


def _penalty_refs(details: Iterable[PenaltyLink], citations: Iterable[str]) -> list[PenaltyRef]:
    from qa import penalty

    out: list[PenaltyRef] = []
    for d in details or []:
        tiers = penalty.summary_zh(penalty.parse(d.text)) or penalty.summary_zh(penalty.parse(d.sanction_text or ""))
        esc = d.escalation
        if esc is not None and esc.text:
            more = penalty.summary_zh(penalty.parse(esc.text))
            if more:
                tiers = f"{tiers}；{esc.citation}（情节严重等 aggravated）：{more}" if tiers else \
                    f"{esc.citation}：{more}"
        out.append(PenaltyRef(citation=d.citation or d.provision_id, provision_id=d.provision_id, method=d.method,
                              tiers_zh=tiers, evidence=d.evidence))
    if not out:
        out = [PenaltyRef(citation=str(c)) for c in citations or []]
    return out


def rows_from_obligations(obligations: Iterable[ObligationItem]) -> list[RegisterRow]:
    """Turn `Queries.obligations()` items into register rows: one per obligation, legal rank first, then document
    order (the law before the rules made under it)."""
    rows: list[RegisterRow] = []
    seen: set[str] = set()
    for ob in obligations:
        if ob.id in seen:
            continue
        seen.add(ob.id)
        actor_ids = (ob.regulators or ob.actors) if ob.regulator_duty else ob.actors
        stage_ids = [s.id for s in ob.stages]
        level = ob.level or ""
        rows.append(RegisterRow(
            key=ob.key or ob.id, id=ob.id, modality=ob.modality,
            actor_ids=list(actor_ids), actors=[label("actor", a) for a in actor_ids],
            stage_ids=stage_ids, stages=[label("stage", s) for s in stage_ids],
            requirement_zh=ob.requirement_zh or ob.clause, requirement_en=ob.requirement_en,
            condition=ob.condition or "", exception=ob.exception or "", elements=list(ob.elements),
            provision_id=ob.provision_id, citation=ob.citation,
            doc_id=ob.doc_id, instrument=ob.instrument or "", doc_title=ob.doc_title or "",
            version=str(ob.version or "")[:10], effective=str(ob.effective or "")[:10], level=level,
            rank=LEVEL_RANK.get(level, LEVEL_RANK["other"]), position=ob.position or _position(ob.id),
            clause=ob.clause or ob.text,
            penalties=_penalty_refs(ob.penalty_details, ob.penalties),
            inherited_via=ob.inherited_via.reason if ob.inherited_via else None,
        ))
    return rows


def _position(oid: str) -> int:
    m = re.search(r"#o(\d+)$", oid)
    return int(m.group(1)) if m else 0


def group_rows(rows: list[RegisterRow], by: str = "instrument", only_stage: str | None = None
               ) -> list[tuple[str, list[RegisterRow]]]:
    """Heading -> rows. By instrument: in legal-rank order; by stage: in taxonomy order (a row with two stages is
    listed under each, unless a stage filter is set)."""
    groups: dict[str, list[RegisterRow]] = {}
    if by == "stage":
        from corpus import taxonomy

        order = list(taxonomy.stages().entries)
        for r in rows:
            ids = [only_stage] if only_stage and only_stage in r.stage_ids else (r.stage_ids or ["_none"])
            for s in ids:
                groups.setdefault(s, []).append(r)
        keys = sorted(groups, key=lambda s: (order.index(s) if s in order else len(order) + (s == "_none"), s))
        return [("未分阶段 No stage assigned" if s == "_none" else label("stage", s), groups[s]) for s in keys]
    for r in rows:
        groups.setdefault(r.cell("instrument") or r.doc_id, []).append(r)
    return list(groups.items())


# ---------------------------------------------------------------- facts of the corpus (the About sheet)


class RegisterFacts(BaseModel):
    generated: str  # ISO time with zone
    fingerprint: str = ""  # of the loaded texts (their sha256), so two registers can be compared
    documents: list[dict] = Field(default_factory=list)  # id, title, version, effective, level, sha256
    merged_from: str = ""
    merge_counts: dict[str, int] = Field(default_factory=dict)


def facts(queries: Any | None, doc_ids: Iterable[str] = ()) -> RegisterFacts:
    """The corpus behind a register: every loaded document's version (those the rows come from first)."""
    docs = []
    if queries is not None:
        docs = [d for d in queries.documents(refresh=True) if d.get("lang", "zh") == "zh"]
    used = set(doc_ids)
    shas = sorted(f"{d['id']}:{d.get('sha256') or ''}" for d in docs)
    fp = hashlib.sha256("\n".join(shas).encode()).hexdigest()[:16] if docs else ""
    docs.sort(key=lambda d: (d["id"] not in used, -LEVEL_RANK.get(d.get("level") or "other", 2), d["id"]))
    return RegisterFacts(
        generated=datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"), fingerprint=fp,
        documents=[{"id": d["id"], "title": d.get("title") or "", "version": d.get("version") or "",
                    "effective": d.get("effective") or "", "level": d.get("level") or "",
                    "current": bool(d.get("current", True)), "sha256": (d.get("sha256") or "")[:12],
                    "in_register": d["id"] in used} for d in docs])


# ---------------------------------------------------------------- re-import and merge


class FilledRow(BaseModel):
    """A row of a register a user filled: its key, where it came from, and what they typed."""

    key: str
    source_id: str = ""
    citation: str = ""
    clause: str = ""
    tracking: dict[str, str] = Field(default_factory=dict)

    @property
    def typed(self) -> bool:
        return any(v.strip() for v in self.tracking.values())


class MergeReport(BaseModel):
    kept: int = 0  # same key: tracking copied
    changed: int = 0  # clause changed: tracking copied, row flagged
    new: int = 0
    removed: list[FilledRow] = Field(default_factory=list)  # rows of the filled register that are gone


def read_filled(path: Path) -> list[FilledRow]:
    """The rows of a filled register (XLSX or CSV as exported, columns found by their headers, so a user may
    reorder or add columns). Raises ValueError naming the file and what is missing."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - a broken file is the user's to fix: say which
            raise ValueError(f"{path.name}: cannot be read as XLSX ({type(exc).__name__}: {exc})") from exc
        ws = wb["Register"] if "Register" in wb.sheetnames else wb.worksheets[0]
        table = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    elif suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        table = list(csv.reader(io.StringIO(text)))
    else:
        raise ValueError(f"{path.name}: a filled register must be .xlsx or .csv (as exported), not {suffix or 'no suffix'}")
    if not table:
        raise ValueError(f"{path.name}: the file is empty")
    header = [h.strip() for h in table[0]]
    cols = {HEADER_FIELD[h]: i for i, h in enumerate(header) if h in HEADER_FIELD}
    if "key" not in cols:
        raise ValueError(f"{path.name}: no column headed {COLUMNS[0][1]!r} — merge a register exported by YiGui "
                         "(its first row holds the headers)")
    out = []
    for row in table[1:]:
        def get(f: str) -> str:
            i = cols.get(f)
            v = row[i] if i is not None and i < len(row) else ""
            return v[1:] if v.startswith("'") and v[1:2] in ("=", "+", "-", "@") else v  # CSV's neutraliser

        key = get("key").strip()
        if not key:
            continue
        out.append(FilledRow(key=key, source_id=get("id"), citation=get("citation").split("\n")[0],
                             clause=get("clause"), tracking={f: get(f) for f, _ in TRACKING if f in cols}))
    return out


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def merge(rows: list[RegisterRow], filled: list[FilledRow], *, min_similarity: float = 0.6) -> MergeReport:
    """Carry what the user typed into the regenerated rows (in place) and flag what changed. A filled row is
    matched by key; failing that (the clause was amended), by the same source provision, else by the most similar
    clause of the same instrument (≥ min_similarity): that row is flagged changed, with the old clause."""
    report = MergeReport()
    by_key = {r.key: r for r in rows}
    taken: set[str] = set()
    pending: list[FilledRow] = []
    for f in filled:
        r = by_key.get(f.key)
        if r is not None and r.key not in taken:
            _copy(f, r)
            taken.add(r.key)
            report.kept += 1
        else:
            pending.append(f)
    for f in pending:
        inst = f.key.split(":", 1)[0]
        free = [r for r in rows if r.key not in taken and (r.instrument or r.key.split(":", 1)[0]) == inst]
        same_place = [r for r in free if f.source_id and r.id == f.source_id and _similar(f.clause, r.clause) >= 0.5]
        best = same_place[0] if same_place else None
        if best is None and free and f.clause:
            score, best = max(((_similar(f.clause, r.clause), r) for r in free), key=lambda x: x[0])
            if score < min_similarity:
                best = None
        if best is None:
            report.removed.append(f)
            continue
        _copy(f, best)
        taken.add(best.key)
        if _norm(best.clause) != _norm(f.clause):
            best.change, best.previous_clause = CHANGED, f.clause
            report.changed += 1
        else:
            report.kept += 1
    if filled:
        for r in rows:
            if r.key not in taken:
                r.change = NEW
                report.new += 1
    return report


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s or "")


def _copy(f: FilledRow, r: RegisterRow) -> None:
    for k, v in f.tracking.items():
        if v:
            setattr(r, k, v)
