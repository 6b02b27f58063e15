"""Review of a user's own document (a DPA, a hospital–vendor data agreement, a privacy notice) against what the law
requires such a document to address (corpus/review.yaml: each element anchored to its clause).

For each required element the verdict is `covered` (a sentence of the document says it: quoted verbatim),
`partial` (the document touches it without what the clause asks: quoted) or `missing`; never `covered` without a
quoted span. A profile (graph.applicability.Profile) decides which conditional elements apply (sensitive data,
export, minors). The document is read by ingest.readers (.docx, .pdf with a text layer, .txt, .md, .html).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from corpus import load_yaml

Verdict = Literal["covered", "partial", "missing"]


class ElementResult(BaseModel):
    id: str
    element: str = Field(description="what the clause requires, in its words")
    provision_id: str
    citation: str = ""
    clause: str = Field("", description="the requiring clause, verbatim from the graph")
    verdict: Verdict
    span: str | None = Field(None, description="the sentence of the document that addresses it, verbatim")
    line: int | None = Field(None, description="1-based line of the span in the extracted text")


class ReviewResult(BaseModel):
    file: str
    kind: str
    kind_title: str
    detected: bool = Field(description="whether the kind was recognised from the text (else it was given)")
    elements: list[ElementResult]
    not_required: list[str] = Field(default_factory=list, description="conditional elements the profile does not "
                                                                      "call for")
    counts: dict[str, int]


@lru_cache(maxsize=1)
def kinds() -> dict[str, dict]:
    """The kinds with their cues, each `{term}` replaced by review.yaml's shared word list of that name (the kinds of
    personal data, organisation words, places abroad), so a list is written once for every cue that needs it."""
    spec = load_yaml("review.yaml")
    terms = spec.get("terms") or {}

    def fill(rx):
        if isinstance(rx, list):
            return [fill(x) for x in rx]
        return re.sub(r"\{([a-z_]+)\}", lambda m: terms.get(m.group(1), m.group(0)), rx) if isinstance(rx, str) else rx

    out = {}
    for k, kind in spec["kinds"].items():
        reqs = [{key: (fill(v) if key in ("cues", "partial") else v) for key, v in r.items()}
                for r in kind["requirements"]]
        out[k] = {**kind, "detect": fill(kind["detect"]), "requirements": reqs}
    return out


_SENT = re.compile(r"(?<=[。；;！？!?])|\n")


def sentences(text: str) -> list[tuple[int, str]]:
    """(line number, sentence) in document order; numbering and list marks stay (they are part of the span)."""
    out = []
    for n, line in enumerate(text.split("\n"), 1):
        for s in _SENT.split(line):
            if s.strip():
                out.append((n, s.strip()))
    return out


def read_document(path: Path) -> str:
    """The document's text as the ingest readers extract it (the spans quote this text)."""
    from ingest.readers import read_file

    raw = read_file(path)
    return "\n".join(re.sub(r"^#+\s*", "", line) for line in raw.lines)


def detect_kind(text: str) -> str | None:
    best, score = None, 0
    for k, spec in kinds().items():
        n = len(re.findall(spec["detect"], text, flags=re.I))
        if n > score:
            best, score = k, n
    return best


def review_text(text: str, *, file: str = "document", kind: str | None = None, profile=None,
                clause_text=lambda pid: ("", "")) -> ReviewResult:
    """The review of `text`; `clause_text(provision_id) -> (citation, text)` quotes the requiring clause. Raises
    ValueError naming the kinds when `kind` is unknown or cannot be recognised."""
    detected = kind is None
    kind = kind or detect_kind(text)
    if kind not in kinds():
        raise ValueError(f"{file}: document kind {kind!r} is not known — give one of {', '.join(kinds())}"
                         if kind else f"{file}: could not tell what kind of document this is — give --kind "
                         f"({', '.join(kinds())})")
    spec = kinds()[kind]
    sents = sentences(text)
    results, skipped = [], []
    for req in spec["requirements"]:
        if req.get("when") and profile is not None and not profile.fact(req["when"]):
            skipped.append(req["id"])
            continue
        cite, clause = clause_text(req["provision"])
        verdict, span, line = "missing", None, None
        cues = req["cues"] if isinstance(req["cues"], list) else [req["cues"]]
        hit = next((h for rx in cues for h in sents if re.search(rx, h[1], flags=re.I)), None)
        if hit:
            verdict, (line, span) = "covered", hit
        elif req.get("partial"):
            weak = next(((n, s) for n, s in sents if re.search(req["partial"], s, flags=re.I)), None)
            if weak:
                verdict, (line, span) = "partial", weak
        assert verdict == "missing" or (span and span in text)  # a verdict other than missing quotes the document
        results.append(ElementResult(id=req["id"], element=req["element"], provision_id=req["provision"],
                                     citation=cite, clause=clause, verdict=verdict, span=span, line=line))
    counts = {v: sum(1 for r in results if r.verdict == v) for v in ("covered", "partial", "missing")}
    return ReviewResult(file=file, kind=kind, kind_title=spec["title"], detected=detected, elements=results,
                        not_required=skipped, counts=counts)


def review(queries, path: Path, *, kind: str | None = None, profile=None) -> ReviewResult:
    """Review a file; the requiring clauses are quoted from the store."""
    text = read_document(path)

    def clause(pid: str) -> tuple[str, str]:
        p = queries.provision(pid)
        return (p.citation, p.text) if p is not None else ("", "")

    return review_text(text, file=path.name, kind=kind, profile=profile, clause_text=clause)
