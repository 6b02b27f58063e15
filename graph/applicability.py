"""Applicability: which obligations of the whole corpus apply to an organisation and product, and why.

A `Profile` states roles (actor taxonomy ids or names), product facts (device class, software, AI function, GenAI to
the public, …), data facts (health data, minors under 14, biometrics, human genetic resources, important data) and
activities (cross-border transfer, clinical trial, …). `applicable(queries, profile)` derives everything from the
graph and `corpus/applicability.yaml`:

1. roles: the profile's own, plus the roles its facts make it hold (processing health data makes it a personal
   information handler, PIPL 73), each inheriting the broader roles of the actor taxonomy;
2. candidate rows: the obligations and prohibitions whose actor is one of those roles (graph.obligations.query);
3. gates: a clause that turns on a subject (a device class, minors, biometrics, cross-border transfer, a clinical
   trial, CIIO status, …) applies only when the profile has the fact that opens it; an instrument whose scope is a
   kind of product (the AI clinical-evaluation guideline, the GenAI Measures) only to profiles with that product.

Every row says why it applies (the role and how the profile holds it, the gates it passed); every excluded row is
counted under the gate that excluded it; registered instruments the profile's subjects point to whose text is not
loaded are listed.
"""
from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from corpus import load_yaml, taxonomy
from graph.obligations.model import ObligationItem
from graph.obligations.query import actor_targets

ACTIVITIES = ("cross-border-transfer", "clinical-trial", "international-research", "internet-diagnosis",
              "algorithm-filing", "online-sales", "contract-manufacturing", "automated-decision",
              "outsources-processing", "processes-on-behalf", "distribution", "manufacturing")
# roles that are not an organisation's (everyone's duties, or the other side's rights): never derived from a profile
NOT_ORG_ROLES = {"any-person", "individual", "patient", "consumer", "injured-party", "near-relatives",
                 "dispute-parties"}


class Org(BaseModel):
    model_config = ConfigDict(extra="forbid")
    network_service: bool = Field(False, description="offers services over a network (app, website, platform)")
    ciio: bool = Field(False, description="identified as a critical information infrastructure operator")
    large_platform: bool = Field(False, description="important platform service with a huge number of users")
    overseas: bool = Field(False, description="established outside mainland China (overseas registrant, …)")


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device_class: Literal["I", "II", "III"] | None = Field(None, description="medical device class, if a device")
    software: Literal["standalone", "embedded"] | None = Field(None, description="standalone software (SaMD) or "
                                                                                 "software in a device")
    ai_function: str | None = Field(None, description="e.g. assisted detection, assisted diagnosis")
    network_connected: bool = False
    genai_public: bool = Field(False, description="offers generative AI services to the public in China")
    deep_synthesis: bool = False
    algorithm_recommendation: bool = False
    public_opinion: bool = Field(False, description="a service with public-opinion attributes or social "
                                                    "mobilisation capacity")


class Data(BaseModel):
    model_config = ConfigDict(extra="forbid")
    personal_information: bool = False
    health: bool = False
    minors_under_14: bool = False
    biometric: bool = False
    human_genetic_resources: bool = False
    important_data: bool = False
    pi_export_individuals: int = Field(0, ge=0, description="individuals whose PI is sent abroad per year")


class Profile(BaseModel):
    """An organisation and its product, as a compliance officer describes them (YAML/JSON file, API body, app form)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field("profile", max_length=200)
    roles: list[str] = Field(default_factory=list, description="actor ids or names, e.g. md-registrant, 医疗机构")
    org: Org = Field(default_factory=Org)
    product: Product = Field(default_factory=Product)
    data: Data = Field(default_factory=Data)
    activities: list[str] = Field(default_factory=list, description=f"any of: {', '.join(ACTIVITIES)}")
    include_permissions: bool = Field(False, description="also list what the roles may do (可以), not only duties")

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[str]) -> list[str]:
        tax = taxonomy.actors()
        out = []
        for r in v:
            try:
                out.append(tax.resolve(r))
            except ValueError as exc:
                raise ValueError(f"roles: {exc}") from None
        return list(dict.fromkeys(out))

    @field_validator("activities")
    @classmethod
    def _activities(cls, v: list[str]) -> list[str]:
        bad = [a for a in v if a not in ACTIVITIES]
        if bad:
            raise ValueError(f"activities: unknown {', '.join(map(repr, bad))} — use any of {', '.join(ACTIVITIES)}")
        return list(dict.fromkeys(v))

    def fact(self, name: str) -> bool:
        """A fact by its dotted name (data.health, activities.clinical-trial, product.ai_function); derived facts:
        data.any, data.personal_information (any personal data), product.software set."""
        area, _, key = name.partition(".")
        d = self.data
        if name == "data.any":
            return any(bool(getattr(d, f)) for f in Data.model_fields)
        if name == "data.personal_information":
            return d.personal_information or d.health or d.minors_under_14 or d.biometric or d.pi_export_individuals > 0
        if name == "activities.entrusted-processing":  # either side of an entrustment (PIPL 21)
            return bool({"outsources-processing", "processes-on-behalf"} & set(self.activities))
        if name == "activities.cross-border-transfer":
            return "cross-border-transfer" in self.activities or d.pi_export_individuals > 0
        if area == "activities":
            return key in self.activities
        obj = {"org": self.org, "product": self.product, "data": d}.get(area)
        return bool(getattr(obj, key, None)) if obj is not None else False


class Gate(BaseModel):
    id: str
    kind: str = "pattern"
    pattern: str | None = None
    fact: str | None = None
    source: str = ""


class ApplicableRow(BaseModel):
    obligation: ObligationItem
    why: list[str] = Field(description="the role and how the profile holds it, then each condition met")


class Excluded(BaseModel):
    gate: str
    reason: str
    count: int
    examples: list[str] = Field(default_factory=list, description="citations of a few excluded rows")


class Applicability(BaseModel):
    profile: str
    roles: dict[str, str] = Field(description="role id -> why the organisation holds it")
    rows: list[ApplicableRow]
    excluded: list[Excluded]
    not_loaded: list[dict] = Field(default_factory=list, description="registered instruments the profile's "
                                                                     "subjects point to whose text is not loaded")

    @property
    def citations(self) -> list[str]:
        return [r.obligation.citation for r in self.rows]


@lru_cache(maxsize=1)
def rules() -> tuple[list[dict], list[Gate], list[dict]]:
    y = load_yaml("applicability.yaml")
    return list(y["roles_from_facts"]), [Gate(**g) for g in y["gates"]], list(y["instruments"])


CLASS_ZH = {"I": "一", "II": "二", "III": "三"}
TITLE = re.compile(r"《[^》]{2,60}》")


def roles_of(profile: Profile) -> dict[str, str]:
    """Role id -> why: the profile's own roles, then those its facts make it hold."""
    tax = taxonomy.actors()
    out = {r: f"角色 role stated in the profile: {tax[r]['zh']}" for r in profile.roles}
    for rf in rules()[0]:
        if rf["role"] not in out and profile.fact(rf["fact"]):
            out[rf["role"]] = f"{tax[rf['role']]['zh']}: profile fact {rf['fact']} ({rf['source']})"
    return out


def _gate(gate: Gate, text: str, profile: Profile) -> tuple[bool, str] | None:
    """(applies, reason) when the clause turns on the gate's subject; None when it does not mention it."""
    if gate.kind == "device_class":
        named = set(re.findall(r"第([一二三])类", text))
        if not named:
            return None
        cls = profile.product.device_class
        shown = "、".join(f"第{c}类" for c in sorted(named, key="一二三".index))
        if cls is None:  # a user institution or a profile silent on classes: kept, with the class to check
            return True, f"concerns {shown}医疗器械 (the profile names no device class: check the classes concerned)"
        ok = CLASS_ZH[cls] in named
        return ok, (f"concerns {shown}医疗器械; the profile's device is class {cls}")
    m = re.search(gate.pattern or "$^", text)
    if not m:
        return None
    ok = profile.fact(gate.fact or "")
    return ok, f"clause turns on {m.group(0)} ({gate.source}); profile fact {gate.fact}: {'yes' if ok else 'no'}"


def applicable(queries, profile: Profile, *, as_of_docs: list[str] | None = None) -> Applicability:
    """Every applicable obligation across the loaded instruments, each with why (see the module docstring)."""
    from graph.obligations import query as ob_query_mod

    roles = roles_of(profile)
    _, gates, inst_rules = rules()
    tax = taxonomy.actors()
    targets: dict[str, str] = {}  # actor id whose duties apply -> why (the first role that brings it)
    for role, why in roles.items():
        for actor, via in actor_targets(role, True).items():
            if actor in NOT_ORG_ROLES or actor in targets:
                continue
            targets[actor] = why if via is None else f"{why}; {tax[actor]['zh']} via {' → '.join(via.path)} " \
                                                    f"({via.reason})"
    items = ob_query_mod(queries.store, current_only=as_of_docs is None, doc_ids=as_of_docs,
                           include_inherited=False, limit=100000, regulator_duties=False) if targets else []
    modalities = {"obligation", "prohibition"} | ({"permission"} if profile.include_permissions else set())
    inst_gate = {r["doc"]: r for r in inst_rules}
    rows: list[ApplicableRow] = []
    excluded: dict[str, Excluded] = {}

    def exclude(gate: str, reason: str, cite: str) -> None:
        e = excluded.setdefault(gate, Excluded(gate=gate, reason=reason, count=0))
        e.count += 1
        if len(e.examples) < 5:
            e.examples.append(cite)

    for o in items:
        if o.modality not in modalities:
            continue
        hit = [a for a in o.actors if a in targets]
        if not hit:
            continue
        why = [targets[hit[0]]]
        rule = inst_gate.get(o.instrument or "") or inst_gate.get(o.doc_id)
        if rule is not None:
            if not profile.fact(rule["fact"]):
                exclude(f"instrument:{rule['doc']}", f"{o.doc_title} applies to {rule['fact']} ({rule['source']}); "
                        "the profile does not have it", o.citation)
                continue
            why.append(f"instrument scope met: {rule['fact']} ({rule['source']})")
        # another instrument's title (按照《互联网信息服务深度合成管理规定》…) is a reference, not the clause's subject
        text = TITLE.sub("《》", f"{o.condition or ''}\n{o.clause or o.text}")
        blocked = None
        for g in gates:
            res = _gate(g, text, profile)
            if res is None:
                continue
            ok, reason = res
            if not ok:
                blocked = (g.id, reason)
                break
            why.append(f"condition met: {reason}")
        if blocked:
            exclude(blocked[0], blocked[1], o.citation)
            continue
        rows.append(ApplicableRow(obligation=o, why=why))
    return Applicability(profile=profile.name, roles=roles, rows=rows,
                         excluded=sorted(excluded.values(), key=lambda e: -e.count),
                         not_loaded=_not_loaded(queries, profile, gates))


def _not_loaded(queries, profile: Profile, gates: list[Gate]) -> list[dict]:
    """Registered instruments whose topics name a subject the profile has (the plain words of its open gates) and
    whose text is not loaded: a topic containing the subject (出境 in 数据出境), or a topic of five characters or
    more inside it (a bare 数据 or 人工智能 would name half the registry)."""
    from ingest import registry

    words: list[str] = []
    for g in gates:
        if g.pattern and g.fact and profile.fact(g.fact):
            words += [w for w in g.pattern.split("|") if len(w) >= 2 and not re.search(r"[()?\[\]\\.*+]", w)]
    loaded = {d.id for d in queries.documents()}
    status = {r["id"]: r for r in registry.status_table(loaded)}
    out = []
    for key, e in registry.instruments().items():
        if key not in status or status[key]["loaded"]:
            continue
        why = next((w for w in dict.fromkeys(words) for t in e.get("topics") or []
                    if w in t or (len(t) >= 5 and t in w)), None)
        if why:
            out.append({"id": key, "title": e.get("title"), "effective": e.get("effective"), "subject": why})
    return out
