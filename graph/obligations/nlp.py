"""The spaCy pipeline of the obligation extractor, one job per component, run on each sentence: a jieba tokenizer
with the taxonomy vocabulary; an EntityRuler for actors and regulators; the document's own names for them
(actors.py); PhraseMatchers for modality cues and stage cues (here); clauses (clauses.py), their subjects
(subject.py), conditions (clauses.py) and actions and objects (actions.py).

Rules live in rules.yaml and corpus/*.yaml; this module only wires them into spaCy components, so behaviour is
changed by editing configuration, not code."""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import yaml
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from corpus import taxonomy
from graph.obligations.doctext import text_of
# the modules whose @Language.factory components build_nlp adds
from graph.obligations import actions, actors, clauses, subject  # noqa: F401

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def rules() -> dict:
    with open(HERE / "rules.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _vocabulary() -> list[str]:
    """Words the segmenter must keep whole: actor/regulator names and aliases, glossary terms, modal cues."""
    words: set[str] = set()
    for tax in (taxonomy.actors(), taxonomy.regulators()):
        for eid in tax.ids():
            words.update(a for a in tax.aliases(eid, "zh") if "、" not in a and "，" not in a)
    g = taxonomy.glossary()
    words.update(z for z in g.by_zh if "、" not in z)
    r = rules()["modality"]
    for key in ("prohibition", "obligation", "right", "permission", "not_cue_words"):
        words.update(r[key])
    for st in taxonomy.stages().entries.values():
        words.update(st["cues"]["strong"] + st["cues"]["weak"])
    return sorted(w for w in words if len(w) >= 2)


def _make_jieba():
    """A private jieba tokenizer, so the project's legal vocabulary never changes other modules' segmentation."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    for w in _vocabulary():
        tok.add_word(w, freq=200000)
    return tok


@Language.factory("yigui_modality", default_config={"cues": {}})
def make_modality(nlp: Language, name: str, cues: dict):
    return ModalityMatcher(nlp, cues)


class ModalityMatcher:
    """Marks modal cues (应当/不得/可以/有权 …) in doc.spans['modal'], labelled with their modality."""

    def __init__(self, nlp: Language, cues: dict):
        self.matcher = PhraseMatcher(nlp.vocab)
        self.not_next = set(cues.get("not_cue_next") or [])
        self.not_words = set(cues.get("not_cue_words") or [])
        self.weak = set(cues.get("weak") or [])
        self.liability = cues.get("liability") or {}
        for label in ("prohibition", "obligation", "right", "permission"):
            self.matcher.add(label, [nlp.make_doc(c) for c in cues.get(label) or []])

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        text = text_of(doc)
        for match_id, start, end in self.matcher(doc):
            span = Span(doc, start, end, label=match_id)
            if span.text in self.not_words:
                continue
            nxt = doc[end].text[:1] if end < len(doc) else ""
            if len(span.text) == 1 and nxt in self.not_next:
                continue
            if text[max(0, span.start_char - 2):span.start_char] == "是否":
                continue  # 是否能够/是否应当…: a question in a list of matters, not a modal
            if self.liability and span.text == self.liability.get("cue"):
                after = text[span.end_char:span.end_char + int(self.liability.get("window", 16))]
                before = text[max(0, span.start_char - 1):span.start_char]
                chunk = re.split(r"[，,；;。]", text[:span.start_char])[-1]
                if before == "不" or not any(w in after.split("，")[0] for w in self.liability.get("needs") or []) \
                        or any(w in chunk for w in self.liability.get("not_after") or []):
                    continue
            spans.append(span)
        # longest first, no overlaps (不应当 beats 应当)
        spans.sort(key=lambda s: (s.start, -(s.end - s.start)))
        kept, last_end = [], -1
        for s in spans:
            if s.start >= last_end:
                kept.append(s)
                last_end = s.end
        doc.spans["modal"] = kept
        return doc


@Language.factory("yigui_stage_cues", default_config={"stages": []})
def make_stage_cues(nlp: Language, name: str, stages: list):
    return StageCueMatcher(nlp, stages)


class StageCueMatcher:
    """Marks lifecycle-stage keyword cues in doc.spans['stage_cue'] (label '<stage id>|strong' or '|weak').

    Cues are matched on characters, not tokens: the segmenter keeps glossary terms whole (产品追溯, 召回制度), and a
    cue inside such a token must still count. Spans are expanded to token boundaries."""

    def __init__(self, nlp: Language, stages: list):
        self.labels: dict[str, list[str]] = {}
        for st in stages:
            for strength in ("strong", "weak"):
                for c in st["cues"].get(strength) or []:
                    self.labels.setdefault(c, []).append(f"{st['id']}|{strength}")

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        hits = []  # (start char, end char, first token, token text, cue, label): the cue itself, for nesting checks
        text = text_of(doc)
        for cue, labels in self.labels.items():
            start = text.find(cue)
            while start >= 0:
                sp = doc.char_span(start, start + len(cue), alignment_mode="expand")
                if sp is not None:
                    spans.extend(Span(doc, sp.start, sp.end, label=label) for label in labels)
                    hits.extend((start, start + len(cue), sp.start, sp.text, cue, label) for label in labels)
                start = text.find(cue, start + 1)
        doc.spans["stage_cue"] = spans
        doc.user_data["stage_cue_hits"] = hits
        return doc


def entity_patterns() -> list[dict]:
    """EntityRuler patterns: every zh name/alias of an actor (ACTOR) or regulator (REGULATOR), with its id."""
    pats = []
    for label, tax in (("REGULATOR", taxonomy.regulators()), ("ACTOR", taxonomy.actors())):
        for eid in tax.ids():
            for alias in tax.aliases(eid, "zh"):
                pats.append({"label": label, "pattern": alias, "id": eid})
    return pats


@lru_cache(maxsize=1)
def build_nlp() -> Language:
    """The configured pipeline (cached per process: building it costs ~1 s)."""
    nlp = __import__("spacy").blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.tokenizer.jieba_seg = _make_jieba()
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH", "overwrite_ents": True})
    ruler.add_patterns(entity_patterns())
    r = rules()
    nlp.add_pipe("yigui_doc_aliases")  # right after the ruler: every later reader of doc.ents sees a document's names
    nlp.add_pipe("yigui_modality", config={"cues": r["modality"]})
    nlp.add_pipe("yigui_stage_cues", config={"stages": list(taxonomy.stages().entries.values())})
    nlp.add_pipe("yigui_clauses", config={"weak": r["modality"].get("weak") or [],
                                          "adjectival_next": r.get("adjectival_next") or [],
                                          "exception_endings": r.get("exception_endings") or [],
                                          "conditions": r["conditions"]})
    nlp.add_pipe("yigui_subject", config={"conjunctions": r["conjunctions"],
                                          "between_subject_and_modal": r["between_subject_and_modal"],
                                          "anaphora": r["anaphora"], "prepositions": r.get("prepositions") or [],
                                          "activity_actor": r.get("activity_actor") or [],
                                          "impersonal": r.get("impersonal") or {}})
    nlp.add_pipe("yigui_conditions", config={"conditions": r["conditions"]})
    nlp.add_pipe("yigui_action")
    return nlp
