"""References between provisions, read from the legal text itself and resolved to provision ids (CITES).

Kept apart from graph.penalties, which decides which of these references (and which described conducts) a penalty
sanctions: reading 第X条第Y款 and resolving it is one job, the same for every provision; penalty inference is another.

What is understood (Chinese statute drafting conventions):
  本法/本条例/本办法/本规定/本解释…第X条[第Y款][第（Z）项]   same document (for a Civil Code book: the book that has
                                                          the article)
  依照《……》第X条 / 《……》 alone                       another instrument, by its title or short title: the same
                                                          document when it is the citing instrument itself, else its
                                                          current version (or the one that has the article)
  第X条、第Y条和第Z条 · 第X条至第Y条 · 第X条第Y款、第Z款 · 前款第二项至第七项   lists and ranges inherit what
                                                          they leave out
  前款 / 前两款 / 前条 / 本条第Y款                          relative to the citing paragraph or article
  bare 第X条 (no 本法, no title)                          the same document
Official English translations are read from their own wording ("the first paragraph of Article 17 of this Law",
"Articles 30 and 32 of these Regulations", "Subparagraphs (2) to (7) of the preceding paragraph").

A reference is always attached to the narrowest provision whose own words hold it (an item, else the paragraph).
`Reader.citations` yields every occurrence, with where it stands in those words; graph.penalties.extract turns them
into the CITES and PENALIZES rows GraphStore.load_edges takes.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from ingest import registry
from ingest.citation import cn_to_int, short_title, split_version_suffix
from ingest.model import ParsedDocument, Provision
from ingest.numerals import CN_NUM, CN_OR_ARABIC_NUM

SELF_ANCHOR = r"本(?:法|条例|办法|规定|规则|解释|细则|决定|措施|准则|实施细则|暂行办法|暂行规定)"
TITLE = r"《([^《》]{2,60})》"
# one reference unit: 第X条 | 第X款 | 第（X）项 / 第X项 | 第X目
UNIT = re.compile(rf"第(?:[（(]({CN_OR_ARABIC_NUM})[）)]|({CN_OR_ARABIC_NUM}))(条|款|项|目)(?:(?<=条)之({CN_NUM}))?")
INSERTED = re.compile(r"/art\d+-(\d+)(?:/|$)")  # art120-1: 第一百二十条之一
JOINERS = ("、", "和", "或者", "以及", "及", "或", "与", "至", "到")
ANCHOR = re.compile(
    rf"(?P<title>{TITLE})|(?P<self>{SELF_ANCHOR})(?=第)|(?P<prev>前(?P<prevn>[两二三四])?(?P<prevu>款|条))|"
    rf"(?P<thisart>本条)(?=第)|(?P<bare>(?<![》条款项])(?=第{CN_OR_ARABIC_NUM}条))"
)


# English (official translations): the anchor comes last — "paragraphs 1 and 2 of Article 40, Article 41, or
# Article 42 of these Regulations" — so the reference list is read backwards from it.
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
_EN_REF = (r"(?:(?:the (?:first|second|third|fourth|fifth|sixth) paragraph|paragraphs? \d+(?: (?:and|to) \d+)?)"
           r" of )?Articles? \d+(?: (?:and|to) \d+)?")
_EN_LIST = re.compile(rf"(?:{_EN_REF})(?:(?:,? (?:and|or) |, )(?:{_EN_REF}))*\s+$")
_EN_ANCHOR = re.compile(r"\bof (?P<self>this Law|these Regulations|these Provisions|these Measures|these Rules)\b|"
                        r"\bof the (?P<title>[A-Z][\w'’ ]{3,90}?(?:Law|Regulations|Provisions|Measures|Code)"
                        r"(?: of the People's Republic of China)?)\b")
_EN_PREV = re.compile(r"(?:(?:Subparagraphs?|items?) \((?P<i1>\d+)\)(?: (?:to|and) \((?P<i2>\d+)\))? of )?"
                      r"the preceding (?P<n>two |three )?paragraphs?", re.I)


@dataclass
class Ref:
    article: int | None = None
    paragraph: int | None = None
    item: int | None = None
    bis: int | None = None  # 第一百二十条之一 -> 1

    @property
    def article_key(self):
        """How DocIndex keys the article: its number, or (number, bis) for an inserted article."""
        return (self.article, self.bis) if self.bis else self.article


@dataclass
class Citation:
    """One resolved reference: `src` cites `dst` (a provision, or a whole document) of document `dst_doc`.

    `props` are the CITES edge's ({"text": the reference as written, "external", "numbering_may_differ"}). `text` is
    the citing provision's own words and `span` where the reference stands in them, which is what tells a penalty's
    condition from the rule it is measured by; None where no such reading applies (a whole instrument, English
    "the preceding paragraph")."""
    src: Provision
    dst: str
    dst_label: str  # "Provision" | "Document"
    dst_doc: str
    props: dict
    text: str = ""
    span: tuple[int, int] | None = None


def normalise_title(title: str) -> str:
    """《中华人民共和国个人信息保护法》 / 个人信息保护法（2021年修订） -> 个人信息保护法 (the citation short title)."""
    t = title.strip().strip("《》")
    return short_title(split_version_suffix(t)[0])


def children_of(pd: ParsedDocument) -> dict[str, list[Provision]]:
    """Provision id -> its direct children, in document order."""
    children: dict[str, list[Provision]] = defaultdict(list)
    for p in pd.provisions:
        if p.parent_id:
            children[p.parent_id].append(p)
    return children


def own_text(p: Provision, children: dict[str, list[Provision]]) -> str:
    """The provision's words without those of its children (each reference belongs to the narrowest node)."""
    text = p.text
    for c in children.get(p.id, []):
        text = text.replace(c.text, "\n", 1)
    return text


def _bis_of(p: Provision) -> int | None:
    """1 for a provision of 第X条之一 (id …/artX-1/…), else None: 前款 and 本条 stay inside the inserted article."""
    m = INSERTED.search(p.id)
    return int(m.group(1)) if m else None


class DocIndex:
    """Provision lookup by (article, paragraph, item) for one document."""

    def __init__(self, pd: ParsedDocument):
        self.pd = pd
        self.doc = pd.document
        self.by_key: dict[tuple, str] = {}
        self.items: dict[tuple[int, int], list[str]] = defaultdict(list)
        self.paragraphs: dict[int, int] = defaultdict(int)
        for p in pd.provisions:
            if p.article is None:
                continue
            m = INSERTED.search(p.id)
            art = (p.article, int(m.group(1))) if m else p.article  # 第一百二十条之一 is not 第一百二十条
            if p.kind == "article":
                self.by_key[(art, None, None)] = p.id
            elif p.kind == "paragraph":
                self.by_key[(art, p.paragraph, None)] = p.id
                self.paragraphs[art] = max(self.paragraphs[art], p.paragraph or 0)
            elif p.kind == "item":
                self.by_key[(art, p.paragraph, p.item)] = p.id
                self.items[(art, p.item)].append(p.id)

    def has_article(self, n: int) -> bool:
        return (n, None, None) in self.by_key

    def resolve(self, ref: Ref) -> str | None:
        if ref.article is None:
            return None
        if ref.item is not None and ref.paragraph is None:
            hits = self.items.get((ref.article_key, ref.item), [])
            return hits[0] if len(hits) == 1 else None
        return self.by_key.get((ref.article_key, ref.paragraph, ref.item))


class Reader:
    """All documents indexed once, so that `citations(pd)` resolves one document's references against every one of
    them; references that cannot be resolved in this corpus are collected in `unresolved`."""

    def __init__(self, parsed_docs: list[ParsedDocument]):
        self.indexes = {pd.document.id: DocIndex(pd) for pd in parsed_docs}
        self.titles = _Titles(self.indexes)
        self.unresolved: list[dict] = []

    def citations(self, pd: ParsedDocument) -> Iterator[Citation]:
        """Every reference in the document's provisions, in document order (repeats included)."""
        doc = pd.document
        ix = self.indexes[doc.id]
        children = children_of(pd)
        for p in pd.provisions:
            text = own_text(p, children)
            if doc.lang == "en":
                yield from _refs_in_en(text, p, ix, self.indexes, self.unresolved)
            elif "第" not in text and "前" not in text and "《" not in text:
                continue
            else:
                yield from _refs_in(text, p, ix, self.indexes, self.titles, self.unresolved)


class _Titles:
    """Instrument titles (full, short, registry aliases) -> candidate documents (versions, Civil Code books)."""

    def __init__(self, indexes: dict[str, DocIndex]):
        self.indexes = indexes
        self.by_title: dict[str, list[str]] = defaultdict(list)
        for doc_id, ix in indexes.items():
            d = ix.doc
            if d.lang != "zh":
                continue
            for t in {normalise_title(d.title), d.short_title}:
                if doc_id not in self.by_title[t]:
                    self.by_title[t].append(doc_id)

    def title_before(self, text: str, pos: int) -> str | None:
        """A known title written without 《》 right before pos (民法典第…), else None."""
        head = text[max(0, pos - 40):pos]
        for t in sorted(self.by_title, key=len, reverse=True):
            if len(t) >= 3 and head.endswith(t):
                return t
        return None

    def candidates(self, title: str) -> list[str]:
        """Documents for a title; names the corpus titles do not hold (aliases such as 数安法, older titles) go
        through the instrument registry."""
        hit = self.by_title.get(normalise_title(title))
        if hit:
            return hit
        try:
            inst = registry.match_title(title.strip("《》"))
        except Exception:  # no registry file: titles of the loaded documents only
            inst = None
        if not inst:
            return []
        return [d for d, ix in self.indexes.items() if ix.doc.lang == "zh" and ix.doc.instrument == inst]


def _parse_units(text: str, pos: int) -> tuple[list[tuple[str, Ref, bool]], int]:
    """Read 第X条第Y款、第Z款至第W款… from pos; returns ([(unit kind, ref, is_range_end)], end)."""
    out: list[tuple[str, Ref, bool]] = []
    cur = Ref()
    i = pos
    first = True
    while True:
        joiner = ""
        if not first:
            for j in JOINERS:
                if text.startswith(j, i):
                    joiner = j
                    break
        m = UNIT.match(text, i + len(joiner))
        if not m:
            break
        try:
            n = cn_to_int(m.group(1) or m.group(2))
        except ValueError:
            break
        unit = m.group(3)
        if unit == "目":  # sub-items: cite the item
            i = m.end()
            first = False
            continue
        is_range = joiner in ("至", "到")
        if first or joiner:
            # a new reference inherits the levels above the unit it names
            if unit == "条":
                cur = Ref(article=n, bis=cn_to_int(m.group(4)) if m.group(4) else None)
            elif unit == "款":
                cur = Ref(article=cur.article, paragraph=n, bis=cur.bis)
            else:
                cur = Ref(article=cur.article, paragraph=cur.paragraph, item=n, bis=cur.bis)
            out.append((unit, cur, is_range))
        else:  # directly attached: narrows the reference just read (第X条第Y款第Z项)
            if unit == "款":
                cur.paragraph = n
            elif unit == "项":
                cur.item = n
            if out:
                out[-1] = (unit, cur, out[-1][2])
            else:
                out.append((unit, cur, False))
        i = m.end()
        first = False
    return out, i


def _expand(units: list[tuple[str, Ref, bool]], ix: DocIndex | None) -> list[Ref]:
    """Ranges (第X条至第Y条) become every unit in between."""
    refs: list[Ref] = []
    for unit, ref, is_range in units:
        if is_range and refs:
            prev = refs[-1]
            if unit == "条" and prev.article and ref.article and 0 < ref.article - prev.article <= 60:
                refs += [Ref(article=a) for a in range(prev.article + 1, ref.article)]
            elif unit == "款" and prev.paragraph and ref.paragraph and 0 < ref.paragraph - prev.paragraph <= 20:
                refs += [Ref(ref.article, pp, bis=ref.bis) for pp in range(prev.paragraph + 1, ref.paragraph)]
            elif unit == "项" and prev.item and ref.item and 0 < ref.item - prev.item <= 30:
                refs += [Ref(ref.article, ref.paragraph, it, ref.bis) for it in range(prev.item + 1, ref.item)]
        refs.append(Ref(ref.article, ref.paragraph, ref.item, ref.bis))
    return refs


def _same_family(doc_id: str, indexes: dict[str, DocIndex], titles: _Titles) -> list[str]:
    """The citing document first, then other documents of the same instrument title (Civil Code books)."""
    doc = indexes[doc_id].doc
    fam = [d for d in titles.candidates(doc.short_title) if d != doc_id and indexes[d].doc.instrument != doc.instrument
           and indexes[d].doc.short_title == doc.short_title]
    return [doc_id] + fam


def _pick(cands: list[str], ref: Ref, indexes: dict[str, DocIndex], citing) -> str | None:
    """Among candidate documents: the citing one if it is the same instrument, else a current version, and one
    that has the article."""
    if not cands:
        return None
    if citing.id in cands:  # the instrument cites itself by title: the same version
        return citing.id

    def rank(c):
        d = indexes[c].doc
        return (0 if d.current else 1, -(int((d.version or d.effective or "0")[:4] or 0)), c)

    ordered = sorted(cands, key=rank)
    if ref.article is not None:
        for c in ordered:
            if indexes[c].has_article(ref.article) and indexes[c].doc.current:
                return c
        for c in ordered:
            if indexes[c].has_article(ref.article):
                return c
    return ordered[0]


def _refs_in(text: str, p: Provision, ix: DocIndex, indexes, titles: _Titles, unresolved: list[dict]):
    doc = ix.doc
    pos = 0
    while True:
        m = ANCHOR.search(text, pos)
        if not m:
            return
        start = m.start()
        pos = max(m.end(), start + 1)
        refs: list[Ref] = []
        label_text = m.group(0)
        if m.group("title"):
            cands = titles.candidates(m.group(2))
            units, end = _parse_units(text, m.end())
            if not cands:
                unresolved.append({"src": p.id, "text": text[start:end], "reason": "instrument not in corpus"})
                pos = end
                continue
            if not units:  # the instrument as a whole: its current version (each book of a code)
                by_inst: dict[str, list[str]] = defaultdict(list)
                for c in cands:
                    by_inst[indexes[c].doc.instrument].append(c)
                for group in by_inst.values():
                    target_doc = _pick(group, Ref(), indexes, doc)
                    if target_doc and target_doc != doc.id:
                        yield Citation(p, target_doc, "Document", target_doc, {"text": label_text, "external": True})
                pos = end
                continue
            refs = _expand(units, None)
            for r in refs:
                target_doc = _pick(cands, r, indexes, doc)
                yield from _emit(r, target_doc, indexes, text, start, end, p, unresolved)
            pos = end
            continue
        if m.group("self") or m.group("bare") is not None and not m.group("prev") and not m.group("thisart"):
            units, end = _parse_units(text, m.end())
            named = m.group("bare") is not None and titles.title_before(text, start)
            if named:  # an unbracketed title: 民法典第一千一百六十五条
                cands = titles.candidates(named)
                for r in _expand(units, None):
                    yield from _emit(r, _pick(cands, r, indexes, doc), indexes, text, start - len(named), end, p,
                                     unresolved)
                pos = max(end, pos)
                continue
            if not units or units[0][1].article is None:
                pos = max(end, pos)
                continue
            if m.group("bare") is not None and re.search(r"[法例办定则释施准典]$", text[:start]):
                # 某某法第X条 naming an instrument this corpus does not have
                unresolved.append({"src": p.id, "text": text[max(0, start - 12):end],
                                   "reason": "instrument not in corpus"})
                pos = max(end, pos)
                continue
            family = _same_family(doc.id, indexes, titles)
            for r in _expand(units, ix):
                target_doc = next((d for d in family if indexes[d].has_article(r.article)), doc.id)
                yield from _emit(r, target_doc, indexes, text, start, end, p, unresolved)
            pos = end
            continue
        if m.group("thisart"):
            units, end = _parse_units(text, m.end())
            if p.article is None or not units or units[0][0] == "条":
                pos = max(end, pos)
                continue
            bis = _bis_of(p)
            for r in _expand([(u, Ref(p.article, ref.paragraph, ref.item, bis), rg) for u, ref, rg in units], ix):
                yield from _emit(r, doc.id, indexes, text, start, end, p, unresolved)
            pos = end
            continue
        if m.group("prev"):
            n = cn_to_int(m.group("prevn")) if m.group("prevn") else 1  # 前款 / 前两款
            unit = m.group("prevu")
            units, end = _parse_units(text, m.end())
            if unit == "款":
                if p.article is None or not p.paragraph or p.paragraph - n < 1:
                    pos = max(end, pos)
                    continue
                paras = list(range(p.paragraph - n, p.paragraph))
                if units and units[0][0] == "项" and n == 1:  # 前款第二项至第七项
                    refs = _expand([(u, Ref(p.article, paras[0], ref.item, _bis_of(p)), rg) for u, ref, rg in units],
                                   ix)
                else:
                    refs = [Ref(p.article, pp, bis=_bis_of(p)) for pp in paras]
            else:  # 前条 / 前两条
                if p.article is None or p.article - n < 1:
                    continue
                refs = [Ref(a) for a in range(p.article - n, p.article)]
                end = m.end()
            for r in refs:
                yield from _emit(r, doc.id, indexes, text, start, end, p, unresolved)
            pos = max(end, pos)


def _emit(ref: Ref, target_doc: str | None, indexes, text, start, end, p: Provision, unresolved: list[dict]):
    ref_text = text[start:end].strip()
    if target_doc is None:
        unresolved.append({"src": p.id, "text": ref_text, "reason": "no matching document"})
        return
    tix = indexes[target_doc]
    dst = tix.resolve(ref)
    if dst is None:
        unresolved.append({"src": p.id, "text": ref_text, "reason": f"no such provision in {target_doc}"})
        return
    props = {"text": ref_text}
    if target_doc != p.doc_id:
        props["external"] = True
        citing, target = indexes[p.doc_id].doc, tix.doc
        cited_on = citing.version or citing.promulgated or ""
        target_from = target.version or target.effective or ""
        if cited_on and target_from and target_from[:10] > cited_on[:10]:
            # written against an older version than the one linked: article numbers may have moved since
            props["numbering_may_differ"] = True
    yield Citation(p, dst, "Provision", target_doc, props, text, (start, end))


def _en_refs(list_text: str) -> list[Ref]:
    refs: list[Ref] = []
    for m in re.finditer(_EN_REF, list_text):
        unit = m.group(0)
        arts = [int(x) for x in re.findall(r"Articles? (\d+)(?: (?:and|to) (\d+))?", unit)[0] if x]
        if " to " in unit.split("Article")[-1] and len(arts) == 2 and 0 < arts[1] - arts[0] <= 60:
            arts = list(range(arts[0], arts[1] + 1))
        paras: list[int | None] = [None]
        pm = re.match(r"the (\w+) paragraph of", unit)
        if pm:
            paras = [_ORD.get(pm.group(1))]
        else:
            pm = re.match(r"paragraphs? (\d+)(?: (and|to) (\d+))?", unit)
            if pm:
                a, b = int(pm.group(1)), int(pm.group(3)) if pm.group(3) else None
                paras = [a] if b is None else ([a, b] if pm.group(2) == "and" else list(range(a, b + 1)))
        refs += [Ref(a, pp) for a in arts for pp in paras]
    return refs


def _en_target_doc(title: str | None, citing, indexes) -> str | None:
    """this Law -> the citing document; another instrument by its English title -> its English text if loaded,
    else its current Chinese version."""
    if title is None:
        return citing.id
    try:
        inst = registry.match_title(re.sub(r"^the\s+", "", title))
    except Exception:  # no registry file
        inst = None
    if inst is None:
        return None
    docs = [ix.doc for ix in indexes.values() if ix.doc.instrument == inst]
    docs.sort(key=lambda d: (d.lang != "en", not d.current, d.id))
    return docs[0].id if docs else None


def _refs_in_en(text: str, p: Provision, ix: DocIndex, indexes, unresolved: list[dict]):
    """Official English translations: 'Article 17 of this Law', 'the first paragraph of Article 18 and Article 35
    of this Law', 'Articles 30 and 32 of these Regulations', 'the preceding paragraph'. The span of a listed
    reference runs from the start of the list to the end of its anchor."""
    for m in _EN_ANCHOR.finditer(text):
        lm = _EN_LIST.search(text, 0, m.start())
        if not lm:
            continue
        target_doc = _en_target_doc(m.group("title"), ix.doc, indexes)
        ref_text = text[lm.start():m.end()]
        if target_doc is None:
            unresolved.append({"src": p.id, "text": ref_text, "reason": "instrument not in corpus"})
            continue
        for r in _en_refs(lm.group(0)):
            dst = indexes[target_doc].resolve(r)
            if dst is None:
                unresolved.append({"src": p.id, "text": ref_text, "reason": f"no such provision in {target_doc}"})
                continue
            props = {"text": ref_text}
            if target_doc != p.doc_id:
                props["external"] = True
            yield Citation(p, dst, "Provision", target_doc, props, text, (lm.start(), m.end()))
    for m in _EN_PREV.finditer(text):
        if p.article is None or not p.paragraph:
            continue
        n = {"two ": 2, "three ": 3}.get((m.group("n") or "").lower(), 1)
        paras = [pp for pp in range(p.paragraph - n, p.paragraph) if pp >= 1]
        if m.group("i1") and n == 1 and paras:
            i1, i2 = int(m.group("i1")), int(m.group("i2") or m.group("i1"))
            refs = [Ref(p.article, paras[0], it) for it in range(i1, i2 + 1)] if 0 <= i2 - i1 <= 30 else []
        else:
            refs = [Ref(p.article, pp) for pp in paras]
        for r in refs:
            dst = ix.resolve(r)
            if dst is not None:
                yield Citation(p, dst, "Provision", ix.doc.id, {"text": m.group(0)})
