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


class Escalation(BaseModel):
    """The paragraph that raises a penalty paragraph's tier (有前款规定的违法行为，情节严重的，…)."""

    citation: str
    text: str


class PenaltyLink(BaseModel):
    """A penalty clause linked (PENALIZES) to the clause of an obligation, and how the link was made."""

    provision_id: str
    citation: str
    text: str = ""
    method: Literal["explicit", "inferred", "general"] = "explicit"
    evidence: str = ""
    sanction_text: str | None = None  # for an item of a penalty list: the lead-in that states the tiers
    escalation: Escalation | None = None


class InheritedVia(BaseModel):
    """Why an obligation naming another role applies to the role asked for: the chain of role ids (the role asked
    for first, the role the clause names last) and the reason in Chinese and English."""

    actor: str  # the role the clause names (corpus/actors.yaml id)
    path: list[str]  # role ids from the role asked for to `actor`
    relation: Literal["broader", "overlap"]  # first step: a kind of a broader role, or a role it also holds
    reason: str  # "医疗器械注册人属于医疗器械注册人、备案人 / a … is a …"


class ObligationItem(BaseModel):
    """One obligation as the query layer returns it (CLI, API, app and registers all read this shape)."""

    id: str
    key: str = Field(description="register id: instrument + hash of the clause's words; survives re-ingest and a new "
                                 "version while the clause is unchanged")
    modality: Modality
    actors: list[str] = Field(default_factory=list)
    regulators: list[str] = Field(default_factory=list)
    regulator_duty: bool = False
    stages: list[StageLabel] = Field(default_factory=list)
    requirement_zh: str = ""
    requirement_en: str = Field("", description="the official English translation of the clause; \"\" when none "
                                               "is loaded (the Chinese text governs)")
    action: str | None = None
    object: str | None = None
    condition: str | None = None
    exception: str | None = None
    elements: list[str] = Field(default_factory=list)
    provision_id: str
    citation: str
    doc_id: str
    instrument: str | None = None
    doc_title: str | None = None
    short_title: str | None = None
    version: str | None = None
    effective: str | None = None
    level: str | None = None
    current: bool = True
    text: str = Field("", description="verbatim text of the provision")
    clause: str = Field("", description="verbatim text of the clause the obligation was read from")
    confidence: float | None = None
    position: int = 0
    penalties: list[str] = Field(default_factory=list, description="citations of the linked penalty clauses")
    penalty_details: list[PenaltyLink] = Field(default_factory=list)
    inherited_via: InheritedVia | None = None


class ObligationPage(BaseModel):
    """One page of a filtered obligation list, with the total so a client can page to the end."""

    items: list[ObligationItem]
    total: int
    count: int  # rows on this page
    limit: int
    offset: int
    next_offset: int | None = None


class ExtractionResult(BaseModel):
    obligations: list[Obligation] = Field(default_factory=list)
    terms: list[Term] = Field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = Field(default_factory=list)
