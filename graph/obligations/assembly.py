"""Obligation assembly: the annotated sentence Docs of one document, read in order, become Obligations.

This is the part that needs the sentences before: the bearer carried over within an article (其, 前款规定的…, no
subject), the lead-in an item belongs to (its modality and bearer, or the duty whose contents or cases the items
list), and the party the chapter or document speaks to when nothing else names one. What one sentence says on its
own (clauses, subjects, conditions, actions) is already on the Doc, put there by the pipeline's components.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus import taxonomy
from graph.obligations.actions import item_action
from graph.obligations.actors import Bearer, DefaultBearers, bind
from graph.obligations.doctext import text_of
from graph.obligations.model import Obligation
from graph.obligations.requirement import build_requirements
from graph.obligations.stage_labels import StageLabeller
from graph.obligations.units import Unit

# a lead-in that requires one thing with listed contents (应当包括下列内容, 载明下列事项, 提交下列资料, 具备下列条件) or
# that lists the cases a duty applies in (有下列情形之一的，…应当…): its items are the duty's elements, not duties of
# their own; a lead-in announcing duties (应当履行下列义务, 不得有下列行为, 采取下列措施) keeps one duty per item
ELEMENT_LEADIN = re.compile(r"(?:下列|以下|下述)(?:[^，。；：]{0,8}?)(?:内容|事项|信息|资料|材料|文件|条件|要素|项目|说明|原则)"
                            r"[^，。；]{0,10}[：:]?$|(?:包括|载明|注明|列明)[：:]$")
# what a party "may" do that is a claim on someone else (可以请求赔偿, 可以申请复评, 可以投诉, 可以向人民法院起诉)
CLAIM = re.compile(r"^(?:依法)?[^，。；]{0,30}?(?:请求|要求[^，。；]{0,4}(?:赔偿|更正|删除|说明|解释|补充)|投诉|举报|控告|起诉|"
                   r"提起诉讼|申诉|提出异议|申请(?:复评|复核|复议|行政复议|听证|赔偿|鉴定|调解|仲裁|再审))")
CASES_LEADIN = re.compile(r"(?:有|具有|出现|存在|发生|属于|符合|满足)(?:下列|以下|下述)(?:[^，。；]{0,6})?(?:情形|情况|行为|条件)"
                          r"(?:之一)?")
RIGHT_HOLDERS = ("individual", "patient", "consumer", "injured-party", "near-relatives")
COLON = ("：", ":")


@dataclass
class _Reading:
    """One document being read: what is carried from sentence to sentence."""

    level: str | None
    defaults: DefaultBearers
    out: list[Obligation] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)  # provision id -> obligations so far
    state: dict[str, Bearer] = field(default_factory=dict)  # article / section id -> bearer carried over
    leadin: dict[str, tuple] = field(default_factory=dict)  # paragraph id -> (lead-in obligation | kind, bearer)


class Assembler:
    def __init__(self, cfg: dict, labeller: StageLabeller):
        self.labeller = labeller
        self.non_norm = [re.compile(c) for c in cfg["non_normative"]]
        self.extractor = cfg.get("extractor", "rules-v1")
        imp = cfg.get("imperative") or {}
        self.imperative = imp
        self.label_prefix = re.compile(imp["label_prefix"]) if imp.get("label_prefix") else None
        self.imp_starts = tuple(imp.get("starts") or [])
        self.conj = set(cfg["conjunctions"])

    def document(self, level, sents: list[tuple[Unit, int, str]], docs: list) -> list[Obligation]:
        """The obligations of one document's sentences (unit, index in unit, text) and their Docs, in order."""
        r = _Reading(level, DefaultBearers(sents, docs, self.conj))
        imp_on = level in (self.imperative.get("levels") or [])
        for (unit, si, s), doc in zip(sents, docs):
            self._sentence(r, unit, si, s, doc, imp_on)
        return r.out

    def _sentence(self, r: _Reading, unit: Unit, si: int, s: str, doc, imp_on: bool) -> None:
        st = r.state.setdefault(unit.article_key, Bearer())
        inherited = r.leadin.get(unit.provision.parent_id) if unit.role == "item" else None
        if inherited is not None and inherited[0] is None:
            return  # an item of a descriptive or sanction list (…包括：, 有下列情形之一的，由…处罚：)
        if inherited is not None and inherited[0] == "open":
            # a lead-in without a modal (…根据下列情况分别作出是否受理的决定：): an item is a duty only by its own
            # cue, its bearer the lead-in's
            inherited = (None, inherited[1]) if doc.spans["modal"] else None
            if inherited is None:
                return
        if inherited is not None and inherited[0] == "elements":
            for owner in inherited[1]:  # the item is a required element (or a case) of the lead-in's duties
                if si == 0:
                    owner.elements.append(re.sub(r"\s+", "", unit.text).rstrip("；;。"))
                    owner.element_ids.append(unit.provision.id)
                elif owner.elements:
                    owner.elements[-1] += s
            return
        if any(rx.search(s) for rx in self.non_norm):
            if unit.role == "leadin" and s.rstrip().endswith(COLON):
                r.leadin[unit.provision.id] = (None, Bearer())
            return
        clauses = doc._.clauses
        if not clauses:
            st.carry_from(doc)
        if not clauses and inherited and inherited[0] is not None:
            # an item without its own cue takes the lead-in's modality and actor
            r.out.append(self._from_leadin(r, unit, doc, s, inherited))
            return
        alloc = doc._.allocation if not clauses and not inherited else None
        if alloc is not None:
            self._allocated(r, unit, doc, s, st, alloc)
            return
        s_imp = self.label_prefix.sub("", s) if self.label_prefix else s
        if not clauses and imp_on and s_imp.startswith(self.imp_starts):
            self._imperative(r, unit, doc, s_imp)
            return
        for cl in clauses:
            self._clause(r, unit, doc, cl, st, inherited)
        if unit.role == "leadin" and s.rstrip().endswith(COLON):
            self._close_leadin(r, unit, s, st, bool(clauses))

    def _allocated(self, r: _Reading, unit: Unit, doc, s: str, st: Bearer, alloc) -> None:
        """封存的现场实物由医疗机构保管；具体办法由国务院卫生健康主管部门制定: a duty allocated with 由, no modal."""
        actors, regs, subj_text = alloc
        ob = self._new(r, unit, "obligation", s)
        ob.actors, ob.regulators = (bind(actors), []) if actors else ([], regs)
        ob.regulator_duty = not actors and bool(regs)
        ob.actor_text, ob.predicate, ob.confidence = subj_text, s, 0.6
        st.actors, st.regulators, st.regulator, st.actor_text = list(ob.actors), list(regs), ob.regulator_duty, subj_text
        self._finish(ob, unit, doc)
        r.out.append(ob)

    def _imperative(self, r: _Reading, unit: Unit, doc, s: str) -> None:
        """A guideline's imperative sentence (提供…研究资料): a duty of the configured party (the applicant)."""
        ob = self._new(r, unit, "obligation", s)
        ob.actors = [self.imperative["actor"]]
        ob.actor_text = None
        ob.action = s[:2]
        ob.object = re.split(r"[，。；：]", s[2:], maxsplit=1)[0][:60]
        ob.predicate = s
        ob.confidence = 0.5
        self._finish(ob, unit, doc)
        r.out.append(ob)

    def _clause(self, r: _Reading, unit: Unit, doc, cl, st: Bearer, inherited) -> None:
        """One clause's obligation: its own subject, else the lead-in's bearer, else the one carried over, else the
        party the chapter or document speaks to."""
        modality = cl.cue.label_
        if modality == "permission" and r.level == "technical_guideline":
            return  # a guideline's 可/可以 offers a way of doing it, not a liberty a register lists
        subj = cl.subject
        conf = 0.8
        if subj is not None and (subj[0] or subj[1]):
            actors, regs, subj_text, conf = subj
            st.actors, st.regulators = bind(actors), regs
            names = taxonomy.actors()
            st.actor_text = subj_text or "、".join(names[a]["zh"] for a in actors)
            st.regulator = bool(regs) and not actors
        elif inherited and inherited[1].actors + inherited[1].regulators:
            src = inherited[1]
            st.actors, st.regulators, st.actor_text, st.regulator = (list(src.actors), list(src.regulators),
                                                                     src.actor_text, src.regulator)
            conf = 0.75
        elif st.actors or st.regulators:
            conf = 0.7  # carried over from the previous sentence / lead-in (其, 前款规定的…, omitted subject)
        else:
            st.actors, st.regulators, st.regulator = bind(r.defaults.of(unit)), [], False
            st.actor_text = None
            conf = 0.55
        ob = self._new(r, unit, modality, cl.text)
        ob.actors = list(st.actors) if not st.regulator else []
        ob.regulators = list(st.regulators)
        ob.regulator_duty = st.regulator
        ob.actor_text = st.actor_text
        ob.action, ob.object, ob.predicate, ob.condition = cl.action, cl.object, cl.predicate, cl.condition
        if modality == "permission" and ob.actors and all(a in RIGHT_HOLDERS for a in ob.actors) and "有权" in cl.text:
            ob.modality = "right"
        if modality == "permission" and not st.regulator and CLAIM.match(text_of(doc)[cl.cue.end_char:cl.end]):
            ob.modality = "right"  # 可以请求/申请/投诉/起诉…: a claim against someone else is a right
        if ob.regulator_duty and ob.modality in ("right", "permission"):
            ob.modality = "power"  # a regulator's 有权/可以 is a power it holds, not a right or a liberty
        ob.confidence = conf
        self._finish(ob, unit, doc, span=(cl.start, cl.end))
        r.out.append(ob)

    def _close_leadin(self, r: _Reading, unit: Unit, s: str, st: Bearer, has_clauses: bool) -> None:
        """A lead-in ending in a colon: what its items will be (elements, duties of its own bearer, or nothing)."""
        pid, out = unit.provision.id, r.out
        if has_clauses and out and out[-1].provision_id == pid and \
                (ELEMENT_LEADIN.search(s.rstrip()) or CASES_LEADIN.search(unit.text)):
            # the items are the contents of this duty, or the cases in which the lead-in's duties apply (有下列
            # 情形之一的，…应当…；…可以…：): they become the elements of every duty the lead-in states
            cases = CASES_LEADIN.search(unit.text)
            owners = [o for o in out if o.provision_id == pid] if cases else [out[-1]]
            for o in owners:
                if cases and not o.condition:
                    o.condition = cases.group(0)
            r.leadin[pid] = ("elements", owners)
        elif has_clauses:
            # the lead-in announces items: its duty is expressed by the items, not by itself
            lead_ob = out.pop() if out and out[-1].provision_id == pid else None
            if lead_ob is not None:
                r.counters[pid] -= 1
            r.leadin[pid] = (lead_ob, st.copy())
        else:
            # a cue-less lead-in: items listing contents (重点评估以下事项：) are no duties; others (…分别作出
            # 是否受理的决定：) may state their own
            r.leadin[pid] = (None if ELEMENT_LEADIN.search(s.rstrip()) else "open", st.copy())

    def _new(self, r: _Reading, unit: Unit, modality: str, text: str) -> Obligation:
        p = unit.provision
        n = r.counters.get(p.id, 0) + 1
        r.counters[p.id] = n
        return Obligation(id=f"{p.id}#o{n}", provision_id=p.id, doc_id=p.doc_id, citation=p.citation,
                          modality=modality, position=p.order * 1000 + n, text=text.strip(), extractor=self.extractor)

    def _from_leadin(self, r: _Reading, unit: Unit, doc, s: str, inherited) -> Obligation:
        """An item without a cue: the lead-in's modality, bearer and condition, the item's own action and object."""
        lead, _st = inherited
        ob = self._new(r, unit, lead.modality, s)
        ob.actors = list(lead.actors)
        ob.regulators = list(lead.regulators)
        ob.regulator_duty = lead.regulator_duty
        ob.actor_text = lead.actor_text
        ob.condition = lead.condition
        act, obj, starts_with_verb = item_action(doc, s)
        if act is not None:
            ob.action, ob.object = act, obj
        ob.confidence = round(min(lead.confidence, 0.9), 2)
        lead_pred = (lead.predicate or "").rstrip("：:")
        item = s.rstrip("；;。")
        if lead_pred and "下列" not in lead_pred and "以下" not in lead_pred:
            ob.predicate = f"{lead_pred}（{item}）"  # the items are conditions/cases of the lead-in's duty
        else:
            ob.predicate = s if starts_with_verb or not lead.action else f"{lead.action}{s}"
        ob.text = s
        self._finish(ob, unit, doc, lead_text=lead.text)
        return ob

    def _finish(self, ob: Obligation, unit: Unit, doc, lead_text: str = "", span=None) -> None:
        self.labeller.collect(ob, unit, doc, lead_text=lead_text, span=span)
        build_requirements(ob, lead_text)
