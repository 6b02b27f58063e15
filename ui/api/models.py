"""Request and response bodies of the REST API. Results are the core's typed models (graph.obligations.model,
qa.schemas): the API adds only what is about HTTP (requests, lists with totals, health)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from graph.obligations.model import MODALITIES, ObligationItem, ObligationPage, PenaltyLink  # noqa: F401 - API names
from ui.core import Readiness  # noqa: F401 - API name


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"question": "医院用患者病历训练诊断模型，需要取得患者的单独同意吗？"}]})
    question: str = Field(min_length=1, max_length=2000, pattern=r"\S", description="Chinese or English compliance "
                                                                                   "question")
    k: int | None = Field(default=None, ge=1, le=50, description="how many clauses to retrieve (default: the pipeline's)")


class ChecklistRequest(BaseModel):
    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"actor": "md-registrant", "stage": "post-market",
                                                               "format": "xlsx"}]})
    actor: str | None = Field(default=None, max_length=200, description="actor id or name, e.g. md-registrant / 医疗器械注册人")
    stage: str | None = Field(default=None, max_length=200, description="lifecycle stage id or name")
    doc: str | None = Field(default=None, max_length=200, description="document id, e.g. mdsr-2024, or instrument id")
    modality: Literal[MODALITIES] | None = None
    level: str | None = Field(default=None, max_length=100, description="law | administrative_regulation | …")
    current_only: bool = True
    include_inherited: bool = True
    format: Literal["xlsx", "docx", "csv", "json"] = "xlsx"
    title: str | None = Field(default=None, max_length=200)
    group: Literal["instrument", "stage"] = Field(default="instrument", description="DOCX sections: by instrument "
                                                  "(legal rank order) or by lifecycle stage")


class ProvisionDetail(BaseModel):
    """A clause with its place in the document and its neighbourhood (cites, cited by, penalties, versions)."""

    id: str
    doc_id: str
    kind: str | None = None
    citation: str
    citation_en: str | None = None
    text: str
    label: str | None = None
    number: Any = None
    path: list[str] | str | None = None
    parent_id: str | None = None
    order: int | None = None
    article: int | None = None
    paragraph: int | None = None
    item: int | None = None
    heading: Any = None
    current: bool = True
    lang: str | None = None
    instrument: str | None = None
    doc_title: str | None = None
    doc_short_title: str | None = None
    version: str | None = None
    version_year: str | None = None
    level: str | None = None
    text_en: str | None = Field(None, description="the official English translation, where one is loaded")
    text_en_id: str | None = None
    children: list[dict[str, Any]] = Field(default_factory=list, description="paragraphs and items, in order")
    neighbourhood: dict[str, Any] = Field(default_factory=dict, description="cites, cited_by, penalties, "
                                          "sanctions, obligations, translation, versions")


class DocumentItem(BaseModel):
    id: str
    instrument: str | None = None
    title: str | None = None
    short_title: str | None = None
    title_en: str | None = None
    level: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    promulgated: str | None = None
    effective: str | None = None
    status: str | None = None
    version: str | None = None
    version_label: str | None = None
    version_year: str | None = None
    lang: str | None = None
    current: bool = True
    source: str | None = None
    source_file: str | None = None
    history: list[str] | None = None
    notes: list[str] | None = None
    translation_of: str | None = None
    source_url: str | None = None
    sha256: str | None = None
    incomplete: bool = False  # the source text lacks articles its numbering implies (missing_articles)
    missing_articles: list[int] = Field(default_factory=list)
    provisions: int = 0


class DocumentList(BaseModel):
    items: list[DocumentItem]
    total: int
    count: int


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    store: Literal["up", "down"]
    ready: bool = Field(description="true when /v1/ask and /v1/search answer now (see /readyz)")
    qa: Literal["ready", "warming", "cold"]
    detail: str | None = None
    stats: dict[str, int] = Field(default_factory=dict)
