"""Units: the pieces of a parsed document the extractor reads as a whole, and their sentences.

Each paragraph without items is a unit; a paragraph with 项 items gives its lead-in, one unit per item (so every item
gets its own pinpoint citation) and any closing text; each guideline section's body is one unit. The article (or
section) id a unit belongs to is the scope a carried-over subject lives in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.numerals import CN_LABEL_NUM, CN_ONE_TO_TEN, CN_OR_ARABIC_LABEL_NUM

SENT_END = re.compile(r"(?<=[。；！？;])")
ITEM_LABEL = re.compile(rf"^\s*[（(][{CN_ONE_TO_TEN}百]+[）)]\s*")  # （一）…（一百）
SECTION_LABEL = re.compile(rf"^\s*(?:{CN_LABEL_NUM}、|[（(]{CN_OR_ARABIC_LABEL_NUM}[）)]|\d+[\.．、])\s*")


@dataclass
class Unit:
    """A piece of a provision that is analysed as a whole."""

    provision: object  # ingest.model.Provision
    text: str
    role: str  # para | leadin | item | section
    article_key: str  # carry-over scope (article or section id)
    heading: str = ""


def _children(pd) -> dict[str, list]:
    out: dict[str, list] = {}
    for p in pd.provisions:
        if p.parent_id:
            out.setdefault(p.parent_id, []).append(p)
    return out


def _paragraph_units(p, items: list, art: str, heading: str) -> list[Unit]:
    """A paragraph with items: its lead-in, each item (label stripped), then the text after the last item."""
    lines = p.text.split("\n")
    lead = []
    for ln in lines:
        if ITEM_LABEL.match(ln):
            break
        lead.append(ln)
    out = [Unit(p, "\n".join(lead), "leadin", art, heading)]
    for it in items:
        out.append(Unit(it, ITEM_LABEL.sub("", it.text, count=1), "item", art, heading))
    tail = []
    seen_item = False
    for ln in lines:  # text after the last item (e.g. a closing sentence) belongs to the paragraph
        if ITEM_LABEL.match(ln):
            seen_item, tail = True, []
        elif seen_item:
            tail.append(ln)
    if len(tail) > 0 and any(t.strip() for t in tail[1:]):
        out.append(Unit(p, "\n".join(tail[1:]), "para", art, heading))
    return out


def _section_unit(p) -> Unit | None:
    """A section's body without its heading line (or its leading label); None when nothing is left."""
    text = p.text
    first, _, rest = text.partition("\n")
    if p.heading and p.heading in first and len(first) <= len(p.heading) + 12:
        text = rest
    else:
        text = SECTION_LABEL.sub("", text, count=1)
    heading = " ".join([*(p.path or []), p.heading or ""])
    return Unit(p, text, "section", p.id, heading) if text.strip() else None


def units_of(pd) -> list[Unit]:
    """The analysable units of one parsed document, in document order."""
    kids = _children(pd)
    out: list[Unit] = []
    for p in pd.provisions:
        heading = " ".join(p.path or [])
        if p.kind == "article":
            if not any(c.kind == "paragraph" for c in kids.get(p.id, [])):
                out.append(Unit(p, p.text, "para", p.id, heading))
        elif p.kind == "paragraph":
            art = p.parent_id or p.id
            items = [c for c in kids.get(p.id, []) if c.kind == "item"]
            if not items:
                out.append(Unit(p, p.text, "para", art, heading))
            else:
                out.extend(_paragraph_units(p, items, art, heading))
        elif p.kind in ("section", "preamble", "annex"):
            unit = _section_unit(p)
            if unit is not None:
                out.append(unit)
    return out


def sentences(text: str) -> list[str]:
    """A unit's sentences: lines split after 。；！？; (the end mark stays with its sentence), blanks dropped."""
    out = []
    for line in text.split("\n"):
        for s in SENT_END.split(line):
            s = s.strip()
            if s:
                out.append(s)
    return out

