"""Shared types born in ingest: a parsed instrument (Document) and its clause tree (Provision).

Everything downstream (graph, qa, ui) speaks these types. Ids are the project's own and stable: the same document
version and the same position give the same id on every run and every machine, so citations, obligations and
user bookmarks survive a re-ingest.

Provision id scheme (doc_id is the instrument version id, e.g. ``pipl``, ``mdsr-2024``, ``pipl.en``):
  ``{doc}/art29``              article 29
  ``{doc}/art13/p1``           paragraph 1 of article 13
  ``{doc}/art13/p1/i3``        item （三） of that paragraph
  ``{doc}/art13/p1/i3/s2``     sub-item 2. of that item
  ``{doc}/art120-1``           第一百二十条之一, an article an amendment inserted after article 120
  ``{doc}/art3``               also paragraph 三、 of an instrument numbered by paragraphs (amendments, decisions,
                               judicial interpretations without 第X条): cited 《…》第三条, as courts cite them
  ``{doc}/sec7.6.1``           guideline section 七、 > （六） > 1.
  ``{doc}/sec7.6.1/p2``        second body paragraph of that section
  ``{doc}/annex1/sec2``        section 二、 of a guideline's annex 附件1
  ``{doc}/pre``                untitled preamble paragraphs before the first section (or 一、); for a text with
                               no numbered units at all, the whole text (cited without a pinpoint)
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ProvisionKind = Literal["article", "paragraph", "item", "subitem", "section", "annex", "preamble"]
Level = Literal[
    "law",
    "administrative_regulation",
    "departmental_rule",
    "normative_document",
    "judicial_interpretation",
    "technical_guideline",
    "national_standard",
    "other",
]
# binding rank of a level (higher binds more): duties, penalties and liability come from binding law first; the NMPA
# guidelines say of themselves that they are "不作为法规强制执行" (not enforced as regulations). Registers sort by it.
LEVEL_RANK: dict[str, int] = {"law": 6, "administrative_regulation": 5, "judicial_interpretation": 5,
                              "departmental_rule": 4, "normative_document": 3, "national_standard": 2,
                              "technical_guideline": 1, "other": 2}
LEVEL_LABELS: dict[str, str] = {
    "law": "法律 Law",
    "administrative_regulation": "行政法规 Administrative regulation",
    "judicial_interpretation": "司法解释 Judicial interpretation",
    "departmental_rule": "部门规章 Departmental rule",
    "normative_document": "规范性文件 Normative document",
    "national_standard": "国家标准 National standard",
    "technical_guideline": "技术指导原则 Technical guideline",
    "other": "其他 Other",
}
Status = Literal["in_force", "amended", "draft", "repealed", "unknown"]


class Document(BaseModel):
    """One version of one instrument in one language."""

    id: str  # version id, e.g. "mdsr-2024"; English translations: "pipl.en"
    instrument: str  # instrument id shared by all versions, e.g. "mdsr" (registry key)
    title: str  # full official title, e.g. 中华人民共和国个人信息保护法
    short_title: str  # citation title without 中华人民共和国 or version suffix, e.g. 个人信息保护法
    title_en: str | None = None
    level: Level = "other"
    issuer: str | None = None
    doc_number: str | None = None
    promulgated: str | None = None  # ISO date
    effective: str | None = None
    status: Status = "unknown"
    version: str | None = None  # ISO date of this version
    version_label: str | None = None  # as the title gives it: 2021年修订, 2025年修正
    lang: Literal["zh", "en"] = "zh"
    source: str | None = None  # provenance as given by the corpus or the file path name
    source_url: str | None = None
    source_file: str | None = None  # file name only (never a machine path)
    sha256: str | None = None  # of the file bytes: unchanged file => no work
    history: list[str] = Field(default_factory=list)  # 题注 lines: 通过/修正/公布/施行
    notes: list[str] = Field(default_factory=list)  # text_note, translation_status, …
    current: bool = True  # newest in-force version of its instrument (set by ingest.versions)
    translation_of: str | None = None  # for en documents: the zh document id
    missing_articles: list[int] = Field(default_factory=list)  # gaps in the source's numbering (incomplete text)

    @property
    def incomplete(self) -> bool:
        """The source text lacks articles its numbering implies: shown and cited with that caveat."""
        return bool(self.missing_articles)

    @property
    def version_year(self) -> str | None:
        return (self.version or self.effective or self.promulgated or "")[:4] or None


class Provision(BaseModel):
    """One node of a document's clause tree."""

    id: str
    doc_id: str
    kind: ProvisionKind
    label: str  # as printed: 第二十九条 / （三） / 1. / 七、 / （六）
    number: int | None = None  # ordinal within its parent (article number for articles)
    text: str  # full text of the node, children included (an article's text is the whole article)
    citation: str  # e.g. 《个人信息保护法》第十三条第一款第（三）项
    path: list[str] = Field(default_factory=list)  # headings above it: 编/章/节 or guideline section titles
    parent_id: str | None = None
    order: int = 0  # position in document order
    article: int | None = None  # article number this node belongs to (None for guideline sections)
    paragraph: int | None = None  # paragraph number within the article, when the node is in one
    item: int | None = None
    heading: str | None = None  # guideline sections: the section title


class ParsedDocument(BaseModel):
    document: Document
    provisions: list[Provision]
    warnings: list[str] = Field(default_factory=list)
    # how a file without front matter met the registry: matched | new-version | book | none; front-matter files: ""
    registry_match: str = ""

    def articles(self) -> list[Provision]:
        return [p for p in self.provisions if p.kind == "article"]

    def get(self, provision_id: str) -> Provision | None:
        for p in self.provisions:
            if p.id == provision_id:
                return p
        return None


class IngestError(Exception):
    """A file that cannot be ingested: names the file, the problem and what to do."""

    def __init__(self, file: str, problem: str, hint: str, line: int | None = None):
        self.file, self.problem, self.hint, self.line = file, problem, hint, line
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {problem} — {hint}")
