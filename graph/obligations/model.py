"""Obligation and Term: what the extractor produces and the graph stores.

An obligation is one normative statement (who must / must not / may do what, under which condition) anchored to
the narrowest provision it comes from, so its citation is a pinpoint (an item's citation when it comes from an
item). Ids are stable across runs: ``{provision_id}#o{n}``, n = order within that provision.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Modality = Literal["obligation", "prohibition", "permission", "right", "power"]
MODALITIES: tuple[str, ...] = ("obligation", "prohibition", "permission", "right", "power")
# the one set of modality labels (CLI, API, app, exports): zh cue word, zh register label, English label
MODALITY_LABELS: dict[str, tuple[str, str, str]] = {
    "obligation": ("应当", "义务", "Obligation"),
    "prohibition": ("不得", "禁止", "Prohibition"),
    "permission": ("可以", "许可", "Permission"),
    "right": ("有权", "权利", "Right"),
    "power": ("有权", "职权", "Power (of a regulator)"),
}


class StageLabel(BaseModel):
    id: str  # stage taxonomy id (corpus/stages.yaml)
    confidence: float


class Obligation(BaseModel):
    id: str  # f"{provision_id}#o{n}"
    key: str = ""  # register id anchored on the instrument and the clause text: survives re-ingest and versions
    provision_id: str
    doc_id: str
    citation: str  # pinpoint citation of provision_id
    modality: Modality
    actors: list[str] = Field(default_factory=list)  # actor taxonomy ids (corpus/actors.yaml)
    actor_text: str | None = None  # the subject as written in the clause (after resolving 其/前款…)
    regulator_duty: bool = False  # a duty of a regulator (药品监督管理部门应当…), kept apart from regulated parties
    regulators: list[str] = Field(default_factory=list)  # regulator taxonomy ids when regulator_duty
    action: str = ""  # the verb phrase head, e.g. 建立
    object: str = ""  # what the action applies to, e.g. 质量管理体系
    condition: str | None = None  # trigger/condition, e.g. 发生实质性变化的
    exception: str | None = None  # 但书 / 除外 / 从其规定, verbatim
    elements: list[str] = Field(default_factory=list)  # required contents listed under the lead-in (item texts)
    element_ids: list[str] = Field(default_factory=list)  # their provision ids
    stages: list[StageLabel] = Field(default_factory=list)
    requirement_zh: str = ""
    requirement_en: str = ""
    text: str = ""  # the verbatim clause the obligation was read from
    predicate: str = ""  # verbatim text after the modal cue (what is required), the basis of requirement_zh
    confidence: float = 0.5
    extractor: str = "rules-v1"
    position: int = 0  # document order: provision order * 1000 + n (sorting listings)


class Term(BaseModel):
    id: str  # f"{doc_id}:{term}"
    term: str
    definition: str
    provision_id: str
    doc_id: str
    actor: str | None = None  # actor taxonomy id when the term names a role


class ExtractionResult(BaseModel):
    obligations: list[Obligation] = Field(default_factory=list)
    terms: list[Term] = Field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = Field(default_factory=list)
