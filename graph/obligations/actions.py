"""Actions and objects: what a clause requires, as a spaCy component (`yigui_action`), and the same for an item
that has no cue of its own (it inherits its lead-in's).

The action is the first verb the glossary knows after the cue (else the first token that is neither a function word,
an actor nor a glossary noun); the object is what follows it up to the chunk's end; the predicate is everything the
cue governs, verbatim (the basis of the requirement text).
"""
from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from corpus import taxonomy
from graph.obligations.doctext import text_of

# cues that are verbs themselves: the action is the cue, and the predicate starts with it
VERB_CUES = ("负责", "享有")
_SKIP = {"依法", "及时", "立即", "如实", "主动", "严格", "按照", "依照", "按", "向", "对", "在", "于", "自", "将",
         "与", "同", "为", "经", "由", "通过", "采用", "遵守"}
_OBJECT_END = re.compile(r"[，。；：,;]")


@lru_cache(maxsize=1)
def verbs() -> frozenset[str]:
    """Action verbs the glossary knows (names and Chinese aliases of its `verb` entries, plus common legal verbs);
    read once, like the glossary itself."""
    out = {"取得", "办理", "查验", "落实", "设立", "配备", "承担", "协助", "遵守", "执行", "组织", "实施", "具备", "符合",
           "保护", "加强", "接受", "公示", "披露", "核实", "审查", "检查", "监督", "管理", "标注", "召回", "删除", "停止"}
    for t in taxonomy.glossary().terms:
        if t.get("cat") in ("verb", "verb-common"):
            out.add(t["zh"])
            out.update((t.get("aliases") or {}).get("zh") or [])
    return frozenset(out)


@Language.factory("yigui_action")
def make_action(nlp: Language, name: str):
    return ActionFinder()


class ActionFinder:
    """Sets each clause's action, object and predicate."""

    def __call__(self, doc: Doc) -> Doc:
        if not doc._.clauses:
            return doc
        text = text_of(doc)
        for cl in doc._.clauses:
            cl.action, cl.object = self.action_object(doc, text, cl)
            cl.predicate = text[cl.cue.start_char if cl.cue.text in VERB_CUES else cl.cue.end_char:cl.end]
        return doc

    @staticmethod
    def action_object(doc: Doc, text: str, clause) -> tuple[str, str]:
        cue = clause.cue
        toks = [t for t in doc[cue.end:] if t.idx < clause.end]
        vs = verbs()
        action_i = next((i for i, t in enumerate(toks) if t.text in vs), None)
        if action_i is None:
            g = taxonomy.glossary()
            nouns = {e.start for e in doc.ents}
            for i, t in enumerate(toks):
                if t.text in _SKIP or t.is_punct:
                    continue
                if t.i in nouns or g.en(t.text):  # an actor or a glossary noun is not the action
                    break
                action_i = i
                break
        if action_i is None:
            return "", ""
        if cue.text in VERB_CUES:
            action_i, toks = 0, [cue[0]] + toks
        action = toks[action_i].text
        rest = text[toks[action_i].idx + len(action):clause.end]
        obj = _OBJECT_END.split(rest, maxsplit=1)[0].strip()
        return action, obj[:60]


def item_action(doc: Doc, s: str) -> tuple[str | None, str, bool]:
    """(action, object, whether the item opens with that verb) of a cue-less item (建立质量管理体系；): the first
    known verb, else its first word; action None for an item without words."""
    toks = [t for t in doc if not t.is_punct]
    vs = verbs()
    act = next((t for t in toks if t.text in vs), toks[0] if toks else None)
    if act is None:
        return None, "", False
    obj = _OBJECT_END.split(s[act.idx + len(act.text):], maxsplit=1)[0].strip()[:60]
    return act.text, obj, act.i == toks[0].i and act.text in vs
