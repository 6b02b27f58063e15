"""Clause segmentation and conditions: two spaCy components over a sentence Doc.

`yigui_clauses` cuts a sentence into clauses, one modal cue each (doc._.clauses), dropping cues that sit inside a
condition, an exception or an adjectival phrase; `yigui_conditions` then reads each clause's trigger (the chunks
before its cue that read as conditions: …的, 在…前, 发生…时), which needs the subject `yigui_subject` found, so that
the subject is never part of the condition.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from graph.obligations.doctext import text_of

Doc.set_extension("clauses", default=None, force=True)

_CHUNK_ENDS = "，,；;"


@dataclass
class Clause:
    """One clause of a sentence Doc; the later components fill in its subject, condition, action and object."""

    text: str
    start: int  # char offset in the sentence doc
    end: int
    cue: object  # the modal cue Span (doc.spans['modal'])
    doc: object  # the sentence Doc
    subject: tuple | None = None  # (actor ids, regulator ids, subject text or None, confidence), set by yigui_subject
    condition: str | None = None
    action: str = ""
    object: str = ""
    predicate: str = ""


class ConditionRules:
    """The `conditions` patterns of rules.yaml: does a comma-chunk read as a condition or trigger?"""

    def __init__(self, patterns: list[str]):
        self.res = [re.compile(c) for c in patterns]

    def __call__(self, chunk: str) -> bool:
        return any(r.search(chunk) for r in self.res)


@Language.factory("yigui_clauses", default_config={"weak": [], "adjectival_next": [], "exception_endings": [],
                                                   "conditions": []})
def make_clauses(nlp: Language, name: str, weak: list, adjectival_next: list, exception_endings: list,
                 conditions: list):
    return ClauseSegmenter(weak, adjectival_next, exception_endings, conditions)


class ClauseSegmenter:
    """Sets doc._.clauses: the sentence cut before the conditions of each next cue, one modal cue per clause."""

    def __init__(self, weak: list, adjectival_next: list, exception_endings: list, conditions: list):
        self.weak = set(weak or [])
        self.adjectival = tuple(adjectival_next or [])
        self.exception_endings = tuple(exception_endings or [])
        self.is_condition = ConditionRules(conditions)

    def _cues(self, doc: Doc, text: str) -> list:
        """The modal cues that head a clause: strong ones when there are any, none inside a condition (…应当取得
        同意的，), an adjectival phrase (应当采取的措施), an exception (…可以不告知的除外) or 直接负责的/负责人."""
        cues = list(doc.spans["modal"])
        strong = [c for c in cues if c.text not in self.weak]
        if strong:
            cues = strong
        kept = []
        for i, c in enumerate(cues):
            chunk_end = min([text.find(p, c.end_char) for p in _CHUNK_ENDS if text.find(p, c.end_char) >= 0] or [len(text)])
            chunk = text[c.end_char:chunk_end].rstrip("。")
            if chunk.endswith("的") and (i + 1 < len(cues) or c.text in self.weak):
                continue  # a cue inside a condition (…需要进行鉴定的，) is not the clause's modal
            if self.adjectival and text[c.end_char:c.end_char + 1] in self.adjectival:
                continue
            if c.label_ == "permission" and text[c.end_char:c.end_char + 1] in ("）", ")", "。", "；", "，", ""):
                continue  # …即可） / …亦可。: "suffices", not a permission
            if self.exception_endings and chunk.endswith(self.exception_endings):
                continue
            if "负责" == c.text and ("直接负责" in text[max(0, c.start_char - 2):c.end_char] or "负责人" in text[c.start_char:c.end_char + 1]):
                continue
            kept.append(c)
        return kept

    def _cut(self, between: str) -> int:
        """Where the clause of one cue ends before the next cue, as an offset in the text between them (-1: none)."""
        cut = max(between.rfind("，"), between.rfind("；"), between.rfind(","))
        # the chunks just before the next cue that read as its condition or exception (…，但是有前款…情形的，
        # 不需取得个人同意) belong to the next clause: cut before them, so no clause loses its condition
        while cut > 0:
            prev = max(between.rfind("，", 0, cut), between.rfind("；", 0, cut), between.rfind(",", 0, cut))
            if prev < 0:
                break
            chunk = between[prev + 1:cut].strip()
            if chunk and (chunk.startswith(("但是", "但", "除")) or self.is_condition(chunk)) and between[prev] != "；":
                cut = prev
            else:
                break
        return cut

    def __call__(self, doc: Doc) -> Doc:
        text = text_of(doc)
        cues = self._cues(doc, text)
        clauses = []
        prev_end = 0
        for i, c in enumerate(cues):
            if i + 1 < len(cues):
                cut = self._cut(text[c.end_char:cues[i + 1].start_char])
                if cut < 0:  # two cues in one chunk (应当并且不得…): keep together
                    continue
                end = c.end_char + cut + 1
            else:
                end = len(text)
            clauses.append(Clause(text[prev_end:end], prev_end, end, c, doc))
            prev_end = end
        doc._.clauses = clauses
        return doc


@Language.factory("yigui_conditions", default_config={"conditions": []})
def make_conditions(nlp: Language, name: str, conditions: list):
    return ConditionFinder(conditions)


class ConditionFinder:
    """Sets each clause's condition: the comma-chunks before its cue that read as conditions, subject left out."""

    def __init__(self, conditions: list):
        self.is_condition = ConditionRules(conditions)

    def __call__(self, doc: Doc) -> Doc:
        text = text_of(doc) if doc._.clauses else ""
        for cl in doc._.clauses or []:
            subj = cl.subject
            subj_end = None
            if subj is not None and subj[2]:
                subj_end = cl.start + cl.text.find(subj[2]) + len(subj[2]) if subj[2] in cl.text else None
            cl.condition = self.condition(text, cl, subj_end)
        return doc

    def condition(self, text: str, clause: Clause, subj_end: int | None) -> str | None:
        """Trigger or condition before the modal cue: the comma-chunks that read as conditions (…的, 在…前, 发生…时,
        达到…数量的), with the subject itself left out."""
        cue = clause.cue
        start = clause.start
        pre = text[start:cue.start_char]
        if subj_end is not None and start <= subj_end <= cue.start_char:
            before = text[start:subj_end]
            cut = max(before.rfind("，"), before.rfind(","))
            # drop the subject (and what precedes it in its chunk): 个人信息处理者向境外提供…的 -> 向境外提供…的
            pre = text[start:start + cut + 1] + text[subj_end:cue.start_char]
        raw = [c.strip() for c in re.split(r"[，,]", pre)]
        chunks = [c for c in raw if c]
        if raw and not raw[-1]:
            chunks.append("")  # the cue opens its own chunk (…的，应当…): every earlier chunk may be a condition
        elif chunks and chunks[-1].endswith("的") and len(chunks[-1]) > 2:
            chunks.append("")  # 个人信息处理者处理敏感个人信息的应当… (rare, no comma)
        # a condition may span several comma-chunks (…产品，其设计…发生实质性变化，有可能影响…的，): everything up to
        # the last chunk that reads as a condition
        last_cond = max((i for i, c in enumerate(chunks[:-1]) if self.is_condition(c)), default=-1)
        return "，".join(chunks[: last_cond + 1]) if last_cond >= 0 else None
