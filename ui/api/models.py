"""Request and response bodies of the REST API. Results are the core's typed models (graph.models,
graph.obligations.model, qa.schemas): the API adds only what is about HTTP (requests, lists with totals, health)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from graph.applicability import Profile  # noqa: F401 - API name
from graph.models import DocumentItem, ProvisionDetail  # noqa: F401 - API names
from graph.obligations.model import MODALITIES, ObligationItem, ObligationPage, PenaltyLink  # noqa: F401 - API names
from ui.core import Readiness  # noqa: F401 - API name


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"question": "医院用患者病历训练诊断模型，需要取得患者的单独同意吗？"}]})
    question: str = Field(min_length=1, max_length=2000, pattern=r"\S", description="Chinese or English compliance "
                                                                                   "question")
    k: int | None = Field(default=None, ge=1, le=50, description="how many clauses to retrieve (default: the pipeline's)")
    as_of: str | None = Field(default=None, max_length=20, description="YYYY-MM-DD: answer from the versions in force "
                              "on that date (default: the current versions)", examples=["2023-06-01"])


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
    changes_since: str | None = Field(default=None, max_length=20, description="YYYY-MM-DD: flag the rows that "
                                      "amendments in force after this date added, changed, renumbered or "
                                      "re-sanctioned (the 变更 Change column)", examples=["2025-01-01"])
    as_of: str | None = Field(default=None, max_length=20, description="YYYY-MM-DD: answer from the versions in force "
                              "on that date (default: the current versions)", examples=["2023-06-01"])


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


class ApplicabilityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "profile": {"name": "AI imaging startup", "roles": ["md-registrant"],
                    "product": {"device_class": "III", "software": "standalone", "ai_function": "assisted diagnosis"},
                    "data": {"personal_information": True, "health": True}, "activities": ["clinical-trial"]}}]})
    profile: Profile
    format: Literal["json", "xlsx", "docx", "csv"] = Field(default="json", description="json: the result with why "
                                                           "each row applies; a file format: the register file")
    as_of: str | None = Field(default=None, max_length=20, description="YYYY-MM-DD: the versions in force then")
