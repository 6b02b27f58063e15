"""Subjects: a spaCy component that names who each clause speaks of, from the clause itself.

For every clause of doc._.clauses: the actor/regulator mention nearest the cue that opens a chunk or stands right
before the cue (coordination expanded, mentions inside a prepositional phrase skipped), else the State (国家应当…),
else the party implied by the activity the clause opens with (从事药品生产… -> manufacturer) or by an impersonal cue
(禁止…). What is left unresolved (其, 前款规定的…, no subject) is the assembler's: it needs the sentences before.
A sentence without a cue may still allocate a duty with 由 + a party (doc._.allocation).
"""
from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from graph.obligations.doctext import text_of

Doc.set_extension("allocation", default=None, force=True)

# the State as the subject (中华人民共和国可以…对等采取措施, 国家应当…): a duty or power of the State, never of the party
# the instrument otherwise speaks to
STATE_SUBJECT = re.compile(r"(?:^|[，,；;])\s*(?:中华人民共和国|国家)(?:依法|也|还|应当)?\s*$")


@Language.factory("yigui_subject", default_config={"conjunctions": [], "between_subject_and_modal": [],
                                                   "anaphora": [], "prepositions": [], "activity_actor": [],
                                                   "impersonal": {}})
def make_subject(nlp: Language, name: str, conjunctions: list, between_subject_and_modal: list, anaphora: list,
                 prepositions: list, activity_actor: list, impersonal: dict):
    return SubjectResolver(conjunctions, between_subject_and_modal, anaphora, prepositions, activity_actor,
                           impersonal)


class SubjectResolver:
    """Sets clause.subject = (actor ids, regulator ids, subject text, confidence) or None, and doc._.allocation."""

    def __init__(self, conjunctions, between_subject_and_modal, anaphora, prepositions, activity_actor, impersonal):
        self.conj = set(conjunctions or [])
        self.fillers = sorted(between_subject_and_modal or [], key=len, reverse=True)
        self.anaphora = tuple(sorted(anaphora or [], key=len, reverse=True))
        self.preps = set(prepositions or [])
        self.activity = [(re.compile(rx), ids) for rx, ids in activity_actor or []]
        self.impersonal = dict(impersonal or {})

    def __call__(self, doc: Doc) -> Doc:
        text = text_of(doc)
        ents = list(doc.ents)
        clauses = doc._.clauses or []
        for cl in clauses:
            cl.subject = self.subject(text, ents, cl)
        doc._.allocation = self.allocation(text, ents) if not clauses else None
        return doc

    def subject(self, text: str, all_ents: list, cl) -> tuple | None:
        subj = self.named(text, all_ents, cl)
        pre = text[cl.start:cl.cue.start_char]
        if subj is None and STATE_SUBJECT.search(pre):
            subj = ([], ["government"], pre.strip("，,；; ")[-7:], 0.8)
        implied = None if subj is not None else self.implied(pre, cl.cue.text)
        if implied:
            subj = (implied, [], None, 0.7)
        return subj

    def named(self, text: str, all_ents: list, clause) -> tuple | None:
        """(actor ids, regulator ids, subject text, confidence) of the mention that is the clause's subject, or
        None when no mention precedes the cue."""
        doc, cue = clause.doc, clause.cue
        pre_start, pre_end = clause.start, cue.start_char
        ents = [e for e in all_ents if e.start_char >= pre_start and e.end_char <= pre_end]
        if not ents:
            return None

        def chunk_initial(e) -> bool:
            before = text[pre_start:e.start_char].rstrip()
            return before == "" or before[-1] in "，,；;：" or before.endswith(self.anaphora)

        def adjacent_to_cue(e) -> bool:
            between = text[e.end_char:pre_end]
            for f in self.fillers:
                between = between.replace(f, "")
            return between.strip() == ""

        def in_prep_phrase(e) -> bool:
            """The entity follows a preposition token (按照/向/对/会同…) in its chunk: not the subject."""
            chunk_start = max(max(text.rfind(p, pre_start, e.start_char) for p in "，,；;："), pre_start - 1)
            return any(t.text in self.preps for t in doc[:e.start] if t.idx > chunk_start)

        ents = [e for e in ents if not in_prep_phrase(e)]
        cands = [e for e in ents if chunk_initial(e) or adjacent_to_cue(e)]
        if not cands:
            return None
        head = cands[-1]
        idx = ents.index(head)
        group = [*reversed(self._coordinated(text, ents[idx::-1], left=True)), *self._coordinated(text, ents[idx:])[1:]]
        actors = [e.ent_id_ for e in group if e.label_ == "ACTOR"]
        regs = [e.ent_id_ for e in group if e.label_ == "REGULATOR"]
        subj_text = text[group[0].start_char:group[-1].end_char]
        confidence = 0.85 if (chunk_initial(head) or adjacent_to_cue(head)) else 0.6
        return actors, regs, subj_text, confidence

    def _coordinated(self, text: str, ents: list, left: bool = False) -> list:
        """ents[0] and the mentions coordinated with it, walking ents in order (生产者、销售者; 经营企业、使用单位)."""
        group = [ents[0]]
        for e in ents[1:]:
            gap = text[e.end_char:group[-1].start_char] if left else text[group[-1].end_char:e.start_char]
            if gap.strip() not in self.conj:
                break
            group.append(e)
        return group

    def implied(self, pre: str, cue_text: str) -> list[str] | None:
        """Subject implied by the activity a subject-less clause opens with, or by an impersonal cue (禁止…)."""
        for chunk in [c.strip() for c in re.split(r"[，,；;]", pre) if c.strip()] or [""]:
            for rx, ids in self.activity:
                if rx.search(chunk):
                    return list(ids)
        if not pre.strip("，,；; ") and cue_text in self.impersonal:
            return [self.impersonal[cue_text]]
        return None

    def allocation(self, text: str, ents: list):
        """(actor ids, regulator ids, subject text) when a sentence without a modal allocates a duty with 由 + a named
        party + a verb (…由医疗机构保管, 具体办法由…主管部门制定, 由其代理人向…提交); None otherwise. Conditions
        (…的) and 由于 are not allocations; sanctions never reach here (non_normative)."""
        for e in ents:
            i = e.start_char
            if i == 0 or text[i - 1] != "由" or text[i - 2:i] == "理由":
                continue
            group = [e]
            for nxt in ents:
                if nxt.start_char > group[-1].end_char and text[group[-1].end_char:nxt.start_char].strip() in self.conj:
                    group.append(nxt)
            after = text[group[-1].end_char:group[-1].end_char + 3]
            after = re.sub(r"^(?:负责|依法|统一|共同|按照|依照)", "", after)
            chunk_end = min([text.find(p, i) for p in "，。；" if text.find(p, i) >= 0] or [len(text)])
            if not after or after[0] in "的，。；、和及或" or text[i:chunk_end].endswith("的"):
                continue
            actors = [g.ent_id_ for g in group if g.label_ == "ACTOR"]
            regs = [g.ent_id_ for g in group if g.label_ == "REGULATOR"]
            return actors, regs, text[group[0].start_char:group[-1].end_char]
        return None
