"""Free-text citations -> (instrument, article, paragraph, item, sub-item).

Lawyers write the same clause many ways: 《数据安全法》第四十五条, 数据安全法第45条, 数安法第四十五条,
《个人信息保护法》第十三条第一款第（三）项, "DSL art 45", "PIPL Article 13(1)", "Art. 29 PIPL". Names resolve
through the registry's titles, short titles and aliases (corpus/registry.yaml); numerals through cn2an.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import registry
from .citation import cn_to_int
from .numerals import CN_OR_ARABIC_NUM

_N = CN_OR_ARABIC_NUM  # short, for the pattern below
# zh: [《title》|title]第N条[第N款][第（N）项][第N目]
_ZH = re.compile(
    rf"(?:《(?P<qtitle>[^《》]{{1,80}})》|(?P<title>[\u4e00-\u9fff（）()〈〉、A-Za-z/\-\d ]{{2,60}}?))\s*"
    rf"第\s*(?P<art>{_N})\s*条(?:之(?P<bis>{_N}))?"
    rf"(?:\s*第\s*(?P<para>{_N})\s*款)?"
    rf"(?:\s*第?\s*[（(]\s*(?P<item>{_N})\s*[）)]\s*项)?"
    rf"(?:\s*第\s*(?P<sub>\d+|{_N})\s*目)?"
)
_EN_ART = r"(?:Article|Art\.?|art\.?|Arts?\.?|§)\s*(?P<art>\d+)(?P<tail>(?:\s*\(\s*\d+\s*\))*)(?:,?\s*(?:item|para(?:graph)?\.?)\s*\(?(?P<extra>\d+)\)?)?"
# "PIPL Article 13(1)", "DSL art 45", "Personal Information Protection Law, Article 13(1)(3)"
_EN_WORD = r"(?:of|on|the|for|and|in|to|over|by|with|at|from|under|or|a|an|[A-Z][A-Za-z'’\-]*|\([^()]{1,40}\))"
_EN_TITLE = rf"[A-Z][A-Za-z'’\-]*(?:[ ,]+{_EN_WORD})*"
_EN_BEFORE = re.compile(rf"(?P<title>{_EN_TITLE})\s*,?\s*{_EN_ART}")
# "Art. 29 PIPL", "Article 13(1) of the PIPL"
_EN_AFTER = re.compile(rf"{_EN_ART}\s*(?:of\s+(?:the\s+)?)?(?P<title>[A-Z][A-Za-z'’\-]*(?:\s+(?:of|on|the|for|and|in|[A-Z][A-Za-z'’\-]*))*)")


@dataclass(frozen=True)
class CitationRef:
    title: str  # the name as written (without 《》)
    instrument: str | None  # registry id when the name is a known title, short title or alias
    article: int
    paragraph: int | None = None
    item: int | None = None
    subitem: int | None = None
    span: tuple[int, int] | None = None  # where it was found in the text
    bis: int | None = None  # 第一百二十条之一 -> 1: an inserted article

    def provision_suffix(self) -> str:
        """Id suffix under a document id: art13/p1/i3 (paragraph 1 assumed when an item is cited without one)."""
        s = f"art{self.article}" + (f"-{self.bis}" if self.bis else "")
        if self.paragraph is not None or self.item is not None:
            s += f"/p{self.paragraph or 1}"
        if self.item is not None:
            s += f"/i{self.item}"
            if self.subitem is not None:
                s += f"/s{self.subitem}"
        return s


def _num(s: str | None) -> int | None:
    if not s:
        return None
    try:
        return cn_to_int(s.strip())
    except ValueError:
        return None


def resolve_title(name: str) -> tuple[str, str | None]:
    """(name as cleaned, instrument id or None). Tries the whole name, then ever shorter tails of it, so
    '根据数据安全法' resolves to 数据安全法 and a sentence before a bare title does not stop the match."""
    name = re.sub(r"\s+", " ", name).strip(" ，,、：:；;")
    inst = registry.match_title(name)
    if inst:
        return name, inst
    compact = name.replace(" ", "")
    for i in range(1, max(1, len(compact) - 1)):
        tail = compact[i:]
        inst = registry.match_title(tail)
        if inst:
            return tail, inst
    return name, None


def _en_title(raw: str) -> tuple[str, str | None]:
    words = raw.strip(" ,").split()
    # longest run of trailing words (or leading, for titles after the article) that is a known name
    for i in range(len(words)):
        cand = " ".join(words[i:])
        inst = registry.match_title(cand) or registry.match_title(re.sub(r"^the\s+", "", cand, flags=re.I))
        if inst:
            return cand, inst
    for j in range(len(words), 0, -1):
        cand = " ".join(words[:j])
        inst = registry.match_title(cand)
        if inst:
            return cand, inst
    return raw.strip(" ,"), None


def _by_part(inst: str | None, article: int) -> str | None:
    """A name shared by several parts of one code (民法典 books) resolves by the article number's range."""
    if inst is None:
        return None
    entries = registry.instruments()
    whole = entries[inst].get("part_of")
    if not whole:
        return inst
    for key, e in entries.items():
        rng = e.get("article_range")
        if e.get("part_of") == whole and rng and rng[0] <= article <= rng[1]:
            return key
    return None  # an article of a part (e.g. a Civil Code book) that is not registered: never guess a book


def _tail_numbers(tail: str) -> list[int]:
    return [int(x) for x in re.findall(r"\d+", tail or "")]


def find_citations(text: str) -> list[CitationRef]:
    """Every citation in a text, in order. Chinese and English forms; unknown titles kept with instrument=None."""
    found: list[CitationRef] = []
    for m in _ZH.finditer(text):
        art = _num(m.group("art"))
        if art is None:
            continue
        if m.group("qtitle"):
            title = m.group("qtitle").strip()
            inst = registry.match_title(title)
        else:
            title, inst = resolve_title(m.group("title"))
            if inst is None:
                continue  # bare text before 第X条 that is not a known title: not a citation we can resolve
        start = m.start() + max(0, m.group(0).find(title) - (1 if m.group("qtitle") else 0))
        found.append(CitationRef(title, _by_part(inst, art), art, _num(m.group("para")), _num(m.group("item")),
                                 _num(m.group("sub")), (start, m.end()), bis=_num(m.group("bis"))))
    taken = [c.span for c in found]
    for rx in (_EN_BEFORE, _EN_AFTER):
        for m in rx.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            title, inst = _en_title(m.group("title"))
            if inst is None:
                continue
            nums = _tail_numbers(m.group("tail"))
            para = nums[0] if nums else None
            item = nums[1] if len(nums) > 1 else None
            if m.group("extra"):
                if para is None and re.search(r"item", m.group(0), re.I):
                    item = int(m.group("extra"))
                elif para is None:
                    para = int(m.group("extra"))
                else:
                    item = int(m.group("extra"))
            art = int(m.group("art"))
            at = m.group(0).find(title)
            start = m.start() + at if at > 0 and rx is _EN_BEFORE else m.start()
            found.append(CitationRef(title, _by_part(inst, art), art, para, item, None, (start, m.end())))
            taken.append(m.span())
    return sorted(found, key=lambda c: c.span or (0, 0))


def parse_citation(text: str) -> CitationRef | None:
    """The first citation in `text`, or None when there is none (an article number without a known title is none)."""
    refs = find_citations(text)
    return refs[0] if refs else None
