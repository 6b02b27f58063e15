"""Response shapes shared by the CLI (--json), the REST API and the app. Field names are a public contract: add
fields freely, never rename or remove one."""
from __future__ import annotations

from pydantic import BaseModel, Field


class SearchResult(BaseModel):
    provision_id: str
    doc_id: str
    doc_title: str  # full official title
    version: str
    article: int | None = None
    paragraph: int | None = None
    citation: str
    score: float
    text: str
    current: bool = True  # False: a superseded version, shown only when asked about or to flag a change
    incomplete: bool = False  # the document's source text lacks articles (gaps in its numbering)
    text_en: str | None = None  # official English text where one exists
    citation_en: str | None = None
    short_title: str | None = None  # citation title, e.g. 个人信息保护法
    article_id: str | None = None  # the article (or guideline section) the pinpoint belongs to
    article_citation: str | None = None
    article_text: str | None = None  # whole article, verbatim
    effective: str | None = None  # the date this version took (or takes) effect
    standing: str | None = None  # on the as-of date (else today): in_force | superseded | not_yet


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult]
    took_ms: float
    as_of: str | None = None  # the date whose versions in force were searched (None: the current versions)
    not_yet: list[str] = Field(default_factory=list)  # titles that would match but take effect after as_of


class Citation(BaseModel):
    provision_id: str
    doc_title: str
    doc_id: str | None = None
    article: int | None = None
    paragraph: int | None = None
    citation: str
    quote: str  # verbatim clause text
    version: str | None = None
    text_en: str | None = None
    citation_en: str | None = None
    current: bool = True
    incomplete: bool = False  # cited from a document whose source text lacks articles


class AskResponse(BaseModel):
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    took_ms: float
    possibly_related: list[SearchResult] = Field(default_factory=list)  # shown when abstaining
    notes: list[str] = Field(default_factory=list)  # version flags, instruments not loaded, removed LLM claims
    mode: str = "extractive"  # "extractive" | "llm"
    conclusion: str | None = None  # the memo's 结论 / Conclusion line (extractive answers)
    not_loaded: list[str] = Field(default_factory=list)  # registry keys of instruments the question turns on, not loaded
    as_of: str | None = None  # the date the answer speaks as of: the versions in force then (None: current versions)
    versions: list[str] = Field(default_factory=list)  # document ids relied on (the version of each instrument)
