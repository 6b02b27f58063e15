"""Rule-based obligation extraction over parsed provisions: the jobs, in the order they run.

Per document: its units (units.py: 款 without items, a lead-in and each 项 item, a guideline section) split into
sentences; its defined terms and the names it gives its parties (terms.py); each sentence through the spaCy
pipeline of nlp.py, whose components each do one job on one sentence — actors and regulators, the document's own
names for them, modal cues, stage cues, clauses (one cue each), each clause's subject, condition, action and object;
then the document-level assembly (assembly.py: carried-over bearers, lead-ins and their items, the party the
chapter speaks to), stage labels (stage_labels.py) and register keys (keys.py).
"""
from __future__ import annotations

import re
import time

from graph.obligations.assembly import Assembler
from graph.obligations.keys import assign_keys, clause_fingerprint, merge_same_duty
from graph.obligations.model import ExtractionResult, Obligation, Term
from graph.obligations.nlp import build_nlp, rules
from graph.obligations.stage_labels import StageLabeller
from graph.obligations.terms import doc_aliases, terms_of
from graph.obligations.units import Unit, sentences, units_of

__all__ = ["Extractor", "extract", "units_of", "Unit", "merge_same_duty", "clause_fingerprint", "assign_keys"]


class Extractor:
    """Holds the configured pipeline and the rule settings; `run(parsed_docs)` is the whole extraction."""

    def __init__(self):
        self.nlp = build_nlp()
        self.cfg = rules()
        self.labeller = StageLabeller(self.cfg["stages"])
        self.assembler = Assembler(self.cfg, self.labeller)
        skip = tuple(self.cfg.get("skip_headings") or [])
        # sentences under chapters titled exactly so (第X章 法律责任) are sanctions, not obligations
        self.skip_re = re.compile(r"^第[^章]+章\s*(?:%s)\s*$" % "|".join(map(re.escape, skip))) if skip else None

    def run(self, parsed_docs) -> ExtractionResult:
        t0 = time.perf_counter()
        result = ExtractionResult()
        for pd in parsed_docs:
            if pd.document.lang != "zh":
                continue
            terms = terms_of(pd)
            result.terms.extend(terms)
            result.obligations.extend(self.obligations(pd, terms))
        result.seconds = round(time.perf_counter() - t0, 3)
        return result

    def sentence_docs(self, pd, terms: list[Term]) -> tuple[list[tuple[Unit, int, str]], list]:
        """The document's sentences (unit, index in unit, text) and their annotated Docs."""
        units = [u for u in units_of(pd)
                 if not (self.skip_re and any(self.skip_re.match(h) for h in (getattr(u.provision, "path", None) or [])))]
        sents = [(u, i, s) for u in units for i, s in enumerate(sentences(u.text))]
        aliases = doc_aliases(pd, terms)
        docs = list(self.nlp.pipe((s for _, _, s in sents), batch_size=256,
                                  component_cfg={"yigui_doc_aliases": {"aliases": aliases}}))
        return sents, docs

    def obligations(self, pd, terms: list[Term] | None = None) -> list[Obligation]:
        """One document's obligations, stage-labelled, merged per duty and keyed."""
        sents, docs = self.sentence_docs(pd, terms_of(pd) if terms is None else terms)
        self.labeller.start(pd.document.title, pd.document.level)
        out = self.assembler.document(pd.document.level, sents, docs)
        self.labeller.label(out)  # each clause on its own: a merged duty keeps its first clause's labels
        out = merge_same_duty(out)
        assign_keys(out, pd.document.instrument or pd.document.id)
        return out


_EXTRACTOR: Extractor | None = None


def extract(parsed_docs) -> ExtractionResult:
    global _EXTRACTOR
    if _EXTRACTOR is None:
        _EXTRACTOR = Extractor()
    return _EXTRACTOR.run(parsed_docs)
