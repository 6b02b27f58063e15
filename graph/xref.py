"""Cross-references and penalty links between provisions, read from the legal text itself.

Pure functions over ParsedDocuments returning edge rows for GraphStore.load_edges:
  {"type": "CITES" | "PENALIZES", "src": provision id, "dst": provision or document id,
   "dst_label": "Provision" | "Document", "props": {"text": the reference as written, ...}}

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
A reference is also a PENALIZES edge when the citing provision is a penalty provision (法律责任/罚则 chapter, or a
sanction in its text) and the reference is in the condition it sanctions (违反本法第X条规定的，… / 不履行本法第X条
规定的…义务的，…), not the rule the penalty is measured by (依照本法第X条的规定处罚).

A reference is always attached to the narrowest provision whose own words hold it (an item, else the paragraph).
Liability clauses that describe the conduct instead (未按照规定开展不良事件监测) get inferred PENALIZES edges to
the duty they break: see infer_penalties.
Official English translations get the same edges from their own wording ("the first paragraph of Article 17 of
this Law", "Articles 30 and 32 of these Regulations", "Subparagraphs (2) to (7) of the preceding paragraph").
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from ingest import registry
from ingest.citation import cn_to_int, short_title, split_version_suffix
from ingest.model import ParsedDocument, Provision

NUM = r"[零〇一二三四五六七八九十百千两\d]+"
SELF_ANCHOR = r"本(?:法|条例|办法|规定|规则|解释|细则|决定|措施|准则|实施细则|暂行办法|暂行规定)"
TITLE = r"《([^《》]{2,60})》"
# one reference unit: 第X条 | 第X款 | 第（X）项 / 第X项 | 第X目
UNIT = re.compile(rf"第(?:[（(]({NUM})[）)]|({NUM}))(条|款|项|目)")
JOINERS = ("、", "和", "或者", "以及", "及", "或", "与", "至", "到")
ANCHOR = re.compile(
    rf"(?P<title>{TITLE})|(?P<self>{SELF_ANCHOR})(?=第)|(?P<prev>前(?P<prevn>[两二三四])?(?P<prevu>款|条))|"
    rf"(?P<thisart>本条)(?=第)|(?P<bare>(?<![》条款项])(?=第{NUM}条))"
)
SANCTION = re.compile(r"罚款|警告|责令|吊销|没收|处分|处罚|追究|暂停|停业|撤销|取缔|关闭|通报批评|不得从事|禁止其|赔偿|承担")
CONDITION_LEAD = re.compile(r"(违反|不履行|未履行|未依照|未按照|不依照|不按照|拒不|未按|未经|未取得|有|不符合|未遵守)")
STRONG_LEAD = re.compile(r"违反|不履行|未履行|未依照|未按照|不依照|不按照")
MEASURE_LEAD = re.compile(r"(?<![未不])(依照|依据|按照|根据|参照)$")
PENALTY_CHAPTER = re.compile(r"法律责任|罚则|Legal Liabilit|Penalt", re.I)


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
_EN_STRONG = re.compile(r"violat|fails? to|not (?:perform|fulfil)", re.I)
_EN_MEASURE = re.compile(r"(?:in accordance with|pursuant to|under)\s+(?:the provisions of\s+)?$", re.I)


@dataclass
class Ref:
    article: int | None = None
    paragraph: int | None = None
    item: int | None = None


@dataclass
class XrefResult:
    edges: list[dict] = field(default_factory=list)
    unresolved: list[dict] = field(default_factory=list)  # references seen but not resolvable in this corpus

    def count(self, kind: str) -> int:
        return sum(1 for e in self.edges if e["type"] == kind)


def normalise_title(title: str) -> str:
    """《中华人民共和国个人信息保护法》 / 个人信息保护法（2021年修订） -> 个人信息保护法 (the citation short title)."""
    t = title.strip().strip("《》")
    return short_title(split_version_suffix(t)[0])


class _DocIndex:
    """Provision lookup by (article, paragraph, item) for one document."""

    def __init__(self, pd: ParsedDocument):
        self.pd = pd
        self.doc = pd.document
        self.by_key: dict[tuple, str] = {}
        self.items: dict[tuple[int, int], list[str]] = defaultdict(list)
        self.paragraphs: dict[int, int] = defaultdict(int)
        self.penalty: set[str] = set()
        for p in pd.provisions:
            if p.article is None:
                continue
            if p.kind == "article":
                self.by_key[(p.article, None, None)] = p.id
            elif p.kind == "paragraph":
                self.by_key[(p.article, p.paragraph, None)] = p.id
                self.paragraphs[p.article] = max(self.paragraphs[p.article], p.paragraph or 0)
            elif p.kind == "item":
                self.by_key[(p.article, p.paragraph, p.item)] = p.id
                self.items[(p.article, p.item)].append(p.id)
            if any(PENALTY_CHAPTER.search(h) for h in p.path):
                self.penalty.add(p.id)

    def has_article(self, n: int) -> bool:
        return (n, None, None) in self.by_key

    def resolve(self, ref: Ref) -> str | None:
        if ref.article is None:
            return None
        if ref.item is not None and ref.paragraph is None:
            hits = self.items.get((ref.article, ref.item), [])
            return hits[0] if len(hits) == 1 else None
        return self.by_key.get((ref.article, ref.paragraph, ref.item))


class _Titles:
    """Instrument titles (full, short, registry aliases) -> candidate documents (versions, Civil Code books)."""

    def __init__(self, indexes: dict[str, _DocIndex]):
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


def _own_text(p: Provision, children: dict[str, list[Provision]]) -> str:
    """The provision's words without those of its children (each reference belongs to the narrowest node)."""
    text = p.text
    for c in children.get(p.id, []):
        text = text.replace(c.text, "\n", 1)
    return text


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
                cur = Ref(article=n)
            elif unit == "款":
                cur = Ref(article=cur.article, paragraph=n)
            else:
                cur = Ref(article=cur.article, paragraph=cur.paragraph, item=n)
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


def _expand(units: list[tuple[str, Ref, bool]], ix: _DocIndex | None) -> list[Ref]:
    """Ranges (第X条至第Y条) become every unit in between."""
    refs: list[Ref] = []
    for unit, ref, is_range in units:
        if is_range and refs:
            prev = refs[-1]
            if unit == "条" and prev.article and ref.article and 0 < ref.article - prev.article <= 60:
                refs += [Ref(article=a) for a in range(prev.article + 1, ref.article)]
            elif unit == "款" and prev.paragraph and ref.paragraph and 0 < ref.paragraph - prev.paragraph <= 20:
                refs += [Ref(ref.article, pp) for pp in range(prev.paragraph + 1, ref.paragraph)]
            elif unit == "项" and prev.item and ref.item and 0 < ref.item - prev.item <= 30:
                refs += [Ref(ref.article, ref.paragraph, it) for it in range(prev.item + 1, ref.item)]
        refs.append(Ref(ref.article, ref.paragraph, ref.item))
    return refs


def _is_penalty_provision(p: Provision, ix: _DocIndex) -> bool:
    return p.id in ix.penalty or bool(SANCTION.search(p.text) and re.search(r"罚款|吊销|没收|责令|处分", p.text))


def _penalizes(text: str, start: int, end: int, in_penalty_chapter: bool, is_item: bool = False) -> bool:
    """Is the reference at text[start:end] the conduct a penalty sanctions (not the measure it applies)?"""
    clause_start = max(text.rfind(c, 0, start) for c in "。；;\n") + 1
    before = text[clause_start:start]
    if MEASURE_LEAD.search(before):
        return False
    if in_penalty_chapter and (STRONG_LEAD.search(before) or is_item):  # items list the sanctioned conduct
        return True  # 违反本规定第七条…规定，…（the sanction may follow several clauses later, or in the lead-in）
    if not CONDITION_LEAD.search(before) and not re.match(r"[^，。；]*?规定的[^，。；]*?(行为|义务|情形)", text[end:]):
        return False
    rest = text[end:]
    cut = re.search(r"的[，,]", rest)
    if not cut:
        return False
    stop = re.search(r"[。；;]", rest)
    if stop and stop.start() < cut.start():
        return False
    tail = rest[cut.end():]
    tail_end = re.search(r"[。；;]", tail)
    return bool(SANCTION.search(tail[: tail_end.start()] if tail_end else tail))


def extract(parsed_docs: list[ParsedDocument], *, only: set[str] | None = None, infer: bool = True) -> XrefResult:
    """CITES and PENALIZES rows for the documents in `only` (default: all), resolved against all `parsed_docs`;
    `infer` adds the penalty links of clauses that describe the conduct without article numbers (infer_penalties)."""
    indexes = {pd.document.id: _DocIndex(pd) for pd in parsed_docs}
    titles = _Titles(indexes)
    result = XrefResult()
    seen: set[tuple[str, str, str]] = set()
    for pd in parsed_docs:
        doc = pd.document
        if only is not None and doc.id not in only:
            continue
        ix = indexes[doc.id]
        children: dict[str, list[Provision]] = defaultdict(list)
        for p in pd.provisions:
            if p.parent_id:
                children[p.parent_id].append(p)
        for p in pd.provisions:
            text = _own_text(p, children)
            if doc.lang == "en":
                found = _refs_in_en(text, p, ix, indexes, result)
            elif "第" not in text and "前" not in text and "《" not in text:
                continue
            else:
                found = _refs_in(text, p, ix, indexes, titles, result)
            for src_edge in found:
                kind, dst, label, props = src_edge
                key = (kind, p.id, dst)
                if key in seen or dst == p.id:
                    continue
                seen.add(key)
                if kind == "PENALIZES":
                    props = {**props, "method": "explicit"}
                result.edges.append({"type": kind, "src": p.id, "dst": dst, "dst_label": label, "props": props})
        if infer:
            explicit = {e["src"] for e in result.edges if e["type"] == "PENALIZES" and e["src"].startswith(doc.id + "/")}
            result.edges += infer_penalties(pd, explicit)
            linked = {e["dst"] for e in result.edges if e["type"] == "PENALIZES" and e["dst"].startswith(doc.id + "/")}
            result.edges += general_penalties(pd, linked)
            result.edges += state_penalties(pd)
    return result


def _same_family(doc_id: str, indexes: dict[str, _DocIndex], titles: _Titles) -> list[str]:
    """The citing document first, then other documents of the same instrument title (Civil Code books)."""
    doc = indexes[doc_id].doc
    fam = [d for d in titles.candidates(doc.short_title) if d != doc_id and indexes[d].doc.instrument != doc.instrument
           and indexes[d].doc.short_title == doc.short_title]
    return [doc_id] + fam


def _pick(cands: list[str], ref: Ref, indexes: dict[str, _DocIndex], citing) -> str | None:
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


def _refs_in(text: str, p: Provision, ix: _DocIndex, indexes, titles: _Titles, result: XrefResult):
    doc = ix.doc
    is_penalty = _is_penalty_provision(p, ix)
    pos = 0
    while True:
        m = ANCHOR.search(text, pos)
        if not m:
            return
        start = m.start()
        pos = max(m.end(), start + 1)
        refs: list[Ref] = []
        targets: list[str] = []  # candidate docs, in preference order
        label_text = m.group(0)
        if m.group("title"):
            cands = titles.candidates(m.group(2))
            units, end = _parse_units(text, m.end())
            if not cands:
                result.unresolved.append({"src": p.id, "text": text[start:end], "reason": "instrument not in corpus"})
                pos = end
                continue
            if not units:  # the instrument as a whole: its current version (each book of a code)
                by_inst: dict[str, list[str]] = defaultdict(list)
                for c in cands:
                    by_inst[indexes[c].doc.instrument].append(c)
                for group in by_inst.values():
                    target_doc = _pick(group, Ref(), indexes, doc)
                    if target_doc and target_doc != doc.id:
                        yield "CITES", target_doc, "Document", {"text": label_text, "external": True}
                pos = end
                continue
            refs = _expand(units, None)
            for r in refs:
                target_doc = _pick(cands, r, indexes, doc)
                yield from _emit(r, target_doc, indexes, text, start, end, p, is_penalty, result)
            pos = end
            continue
        if m.group("self") or m.group("bare") is not None and not m.group("prev") and not m.group("thisart"):
            units, end = _parse_units(text, m.end())
            named = m.group("bare") is not None and titles.title_before(text, start)
            if named:  # an unbracketed title: 民法典第一千一百六十五条
                cands = titles.candidates(named)
                for r in _expand(units, None):
                    yield from _emit(r, _pick(cands, r, indexes, doc), indexes, text, start - len(named), end, p,
                                     is_penalty, result)
                pos = max(end, pos)
                continue
            if not units or units[0][1].article is None:
                pos = max(end, pos)
                continue
            if m.group("bare") is not None and re.search(r"[法例办定则释施准典]$", text[:start]):
                # 某某法第X条 naming an instrument this corpus does not have
                result.unresolved.append({"src": p.id, "text": text[max(0, start - 12):end],
                                          "reason": "instrument not in corpus"})
                pos = max(end, pos)
                continue
            family = _same_family(doc.id, indexes, titles)
            for r in _expand(units, ix):
                target_doc = next((d for d in family if indexes[d].has_article(r.article)), doc.id)
                yield from _emit(r, target_doc, indexes, text, start, end, p, is_penalty, result)
            pos = end
            continue
        if m.group("thisart"):
            units, end = _parse_units(text, m.end())
            if p.article is None or not units or units[0][0] == "条":
                pos = max(end, pos)
                continue
            for r in _expand([(u, Ref(p.article, ref.paragraph, ref.item), rg) for u, ref, rg in units], ix):
                yield from _emit(r, doc.id, indexes, text, start, end, p, is_penalty, result)
            pos = end
            continue
        if m.group("prev"):
            n = {"两": 2, "二": 2, "三": 3, "四": 4}.get(m.group("prevn") or "", 1)
            unit = m.group("prevu")
            units, end = _parse_units(text, m.end())
            if unit == "款":
                if p.article is None or not p.paragraph or p.paragraph - n < 1:
                    pos = max(end, pos)
                    continue
                paras = list(range(p.paragraph - n, p.paragraph))
                if units and units[0][0] == "项" and n == 1:  # 前款第二项至第七项
                    refs = _expand([(u, Ref(p.article, paras[0], ref.item), rg) for u, ref, rg in units], ix)
                else:
                    refs = [Ref(p.article, pp) for pp in paras]
            else:  # 前条 / 前两条
                if p.article is None or p.article - n < 1:
                    continue
                refs = [Ref(a) for a in range(p.article - n, p.article)]
                end = m.end()
            for r in refs:
                yield from _emit(r, doc.id, indexes, text, start, end, p, is_penalty, result)
            pos = max(end, pos)


def _emit(ref: Ref, target_doc: str | None, indexes, text, start, end, p: Provision, is_penalty: bool,
          result: XrefResult):
    ref_text = text[start:end].strip()
    if target_doc is None:
        result.unresolved.append({"src": p.id, "text": ref_text, "reason": "no matching document"})
        return
    tix = indexes[target_doc]
    dst = tix.resolve(ref)
    if dst is None:
        result.unresolved.append({"src": p.id, "text": ref_text, "reason": f"no such provision in {target_doc}"})
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
    yield "CITES", dst, "Provision", props
    if is_penalty and dst not in tix.penalty and _penalizes(text, start, end, p.id in indexes[p.doc_id].penalty,
                                                                    p.kind == "item"):
        yield "PENALIZES", dst, "Provision", {"text": ref_text}


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


def _refs_in_en(text: str, p: Provision, ix: _DocIndex, indexes, result: XrefResult):
    """Official English translations: 'Article 17 of this Law', 'the first paragraph of Article 18 and Article 35
    of this Law', 'Articles 30 and 32 of these Regulations', 'the preceding paragraph'."""
    is_penalty = p.id in ix.penalty
    for m in _EN_ANCHOR.finditer(text):
        lm = _EN_LIST.search(text, 0, m.start())
        if not lm:
            continue
        target_doc = _en_target_doc(m.group("title"), ix.doc, indexes)
        ref_text = text[lm.start():m.end()]
        if target_doc is None:
            result.unresolved.append({"src": p.id, "text": ref_text, "reason": "instrument not in corpus"})
            continue
        before = text[max(text.rfind(".", 0, lm.start()), text.rfind(";", 0, lm.start())) + 1:lm.start()]
        penal = is_penalty and bool(_EN_STRONG.search(before)) and not _EN_MEASURE.search(before)
        for r in _en_refs(lm.group(0)):
            dst = indexes[target_doc].resolve(r)
            if dst is None:
                result.unresolved.append({"src": p.id, "text": ref_text, "reason": f"no such provision in {target_doc}"})
                continue
            props = {"text": ref_text}
            if target_doc != p.doc_id:
                props["external"] = True
            yield "CITES", dst, "Provision", props
            if penal and dst not in indexes[target_doc].penalty:
                yield "PENALIZES", dst, "Provision", {"text": ref_text}
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
                yield "CITES", dst, "Provision", {"text": m.group(0)}


# -- penalty clauses that describe the conduct instead of citing articles ------------------------------------------
# 违反本条例规定，有下列情形之一的…：（三）医疗器械经营企业、使用单位未依照本条例规定建立并执行医疗器械进货查验记录制度
# names no article. The sanctioned duty is found by lexical similarity between the described conduct and the
# duty-imposing provisions of the same document version outside the liability chapter: TF-IDF cosine over
# character bigrams (robust to segmentation, IDF from the document's own provisions), boilerplate removed. An edge
# is kept only when the best article scores above INFER_THRESHOLD and at most INFER_MAX_ARTICLES articles come
# within INFER_MARGIN of it (a clause that fits many duties equally, like 违反本法规定处理个人信息, links to none:
# a wrong penalty link is worse than none). Inferred edges carry method 'inferred' and their score; explicit ones
# method 'explicit'. The four constants were chosen on the hand annotations in tests/graph/data/penalty_gold.json
# (no held-out set: figures on other documents come from spot checks only).

INFER_THRESHOLD = 0.28
INFER_MARGIN = 0.10  # relative: articles scoring >= best * (1 - margin) count as ties
INFER_MAX_ARTICLES = 2
INFER_STRONG = 0.50  # a close match to several duties (the same duty restated) links them all, up to twice the cap
_BOILER = re.compile(
    r"[（(][一二三四五六七八九十\d]+[）)]|" + SELF_ANCHOR + r"|有下列情形之一|违反|规定|未按照|未依照|不按照|不依照|依照|按照|"
    r"依法|要求|应当|不得|禁止|必须|或者|以及|并且|有关|相关|其他|下列|情形|义务|行为|未|不|的|和|及|等|并|或|"
    r"[\s，。；：、,.;:“”\"《》（）()\d]+")
_DUTY = re.compile(r"应当|不得|禁止|必须|负责对|须")
_REGULATOR = re.compile(r"^(?:国务院|国家|县级以上|省、自治区|省级以上|设区的市级|负责药品监督管理的部门|卫生主管部门|受理|"
                        r"市场监督管理部门|出入境检验检疫机构|[^，。；]{0,12}技术(?:审评)?机构|地方人民政府|有关主管部门|"
                        r"有关部门|各地区|[^，。；]{0,8}主管部门|履行[^，。；]{0,12}职责的部门|公安机关|中华人民共和国主管机关)")
# conduct that breaks no stated duty of the text: officials' misconduct, civil/criminal liability, fraud (false
# reports or materials), defiance of a sanction already imposed
# a regulator as the subject (部门/机关/人民政府 before any preposition): its duties are not what a sanction on an
# undertaking breaks, and a penalty on regulators (…部门有下列情形之一的) is not matched at all
_AUTHORITY = re.compile(r"^[^，。；对向与和为在经]{0,12}(?:部门|机关|人民政府)")
_CATCH_ALL = re.compile(r"规定的其他|其他(?:情形|义务|事项|要求)[。；]?$")
_OFFICIALS = re.compile(r"工作人员|玩忽职守|滥用职权|徇私舞弊|构成犯罪|治安管理|承担[^，。；]{0,6}责任|损害赔偿|侵权责任|"
                        r"提起诉讼|记入信用档案|虚假|欺骗|伪造|行政处罚决定")
_CONDUCT_END = re.compile(r"的[，,]")


def _bigrams(text: str) -> list[str]:
    grams: list[str] = []
    for seg in _BOILER.split(text):
        grams += [seg[i:i + 2] for i in range(len(seg) - 1)]
    return grams


def _conduct(p: Provision, own: str) -> str | None:
    """The sanctioned conduct a penalty provision describes: an item's words, else a paragraph's condition (the words
    before the first 的，)."""
    if p.kind == "item":
        return own
    if p.kind != "paragraph" or re.search(r"下列[^，。；]{0,6}之一", own):
        return None
    m = _CONDUCT_END.search(own)
    if not m:
        return None
    cond = own[:m.start()]
    if re.match(r"^(?:有前款|有本条|有前)", cond) or _OFFICIALS.search(own[:m.end() + 40]):
        return None
    return cond


class _TfIdf:
    def __init__(self, texts: list[str]):
        import math

        df: dict[str, int] = defaultdict(int)
        for t in texts:
            for g in set(_bigrams(t)):
                df[g] += 1
        n = max(1, len(texts))
        self.idf = {g: math.log((n + 1) / (c + 0.5)) for g, c in df.items()}
        self.default_idf = math.log((n + 1) / 0.5)

    def vec(self, text: str) -> dict[str, float]:
        import math

        tf: dict[str, int] = defaultdict(int)
        for g in _bigrams(text):
            tf[g] += 1
        v = {g: (1 + math.log(c)) * self.idf.get(g, self.default_idf) for g, c in tf.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {g: x / norm for g, x in v.items()}


def _cos(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(g, 0.0) for g, x in a.items())


def _penalty_doc(pd: ParsedDocument) -> tuple[_DocIndex, dict[str, list[Provision]]] | None:
    """The index and child lists of a Chinese document that has a penalty part; None for any other."""
    if pd.document.lang != "zh":
        return None
    ix = _DocIndex(pd)
    if not ix.penalty:
        return None
    children: dict[str, list[Provision]] = defaultdict(list)
    for p in pd.provisions:
        if p.parent_id:
            children[p.parent_id].append(p)
    return ix, children


def infer_penalties(pd: ParsedDocument, explicit_srcs: set[str]) -> list[dict]:
    """PENALIZES rows (method 'inferred', score) for the penalty clauses and items of one document that cite no
    article; `explicit_srcs` are provisions that already have explicit penalty links (left alone)."""
    doc = pd.document
    found = _penalty_doc(pd)
    if found is None:
        return []
    ix, children = found
    by_id = {p.id: p for p in pd.provisions}
    own = {p.id: _own_text(p, children) for p in pd.provisions if p.kind in ("paragraph", "item")}
    tfidf = _TfIdf(list(own.values()))
    # duty-imposing candidates outside the liability chapter; an item is read with its lead-in (the actor, 应当)
    cands: list[tuple[str, int, dict[str, float]]] = []
    for p in pd.provisions:
        if p.id in ix.penalty or p.kind not in ("paragraph", "item") or p.article is None:
            continue
        text = own[p.id]
        lead = own.get(p.parent_id, "") if p.kind == "item" else ""
        if p.kind == "paragraph" and children.get(p.id):
            continue  # a lead-in: its items are the candidates
        subject_text = lead or text
        subject_text = re.sub(r"^\s*[（(][一二三四五六七八九十\d]+[）)]", "", subject_text.strip())
        if not _DUTY.search(lead + text) or _REGULATOR.match(subject_text) or _AUTHORITY.match(subject_text) or \
                (p.kind == "item" and _CATCH_ALL.search(text.strip())):
            continue
        cands.append((p.id, p.article, tfidf.vec(lead + "|" + text if lead else text)))
    rows: list[dict] = []
    for p in pd.provisions:
        if p.id not in ix.penalty or p.id in explicit_srcs or p.kind not in ("paragraph", "item"):
            continue
        text = own[p.id]
        if UNIT.search(text) and re.search(r"第" + NUM + "条", text):
            continue  # cites articles: the explicit reader's business
        lead_in = own.get(p.parent_id, "") if p.kind == "item" else ""
        if p.kind == "item" and (_OFFICIALS.search(lead_in[:80]) or _AUTHORITY.match(lead_in.strip())):
            continue
        if _AUTHORITY.match(re.sub(r"^\s*[（(][一二三四五六七八九十\d]+[）)]", "", text.strip())):
            continue
        conduct = _conduct(p, text)
        if not conduct or _OFFICIALS.search(conduct) or len(set(_bigrams(conduct))) < 3:
            continue
        # an item may join several conducts (未…监测，未…报告，或者…不予配合): each is matched on its own too
        parts = [conduct] + [c for c in re.split(r"[，,；;]\s*(?:或者)?", conduct)
                           if len(set(_bigrams(c))) >= 3 and re.search(r"未|不|拒|违|擅自", c)]
        found: dict[str, float] = {}
        for part in dict.fromkeys(parts):
            for dst, s in _best_duties(tfidf.vec(part), cands, by_id, children, doc.id):
                found[dst] = max(s, found.get(dst, 0.0))
        for dst, s in found.items():
            rows.append({"type": "PENALIZES", "src": p.id, "dst": dst, "dst_label": "Provision",
                         "props": {"method": "inferred", "score": round(s, 3), "text": conduct[:80]}})
    return rows


# A penalty paragraph that sanctions breaches of the whole text (违反本法规定处理个人信息，或者…未履行本法规定的…义务的，
# 由…责令改正…罚款) covers every duty of that text that no explicit or inferred link already covers: such links are
# marked method 'general' (score 0), so a register or an answer can show the catch-all penalty with that caveat.
_GENERAL = re.compile(r"^[^。；]{0,40}?违反本(?:法|条例|办法|规定|细则)(?:的)?(?:其他)?(?:有关)?规定[^。；]{0,60}?的[，,]")


# the catch-all for the State's own organs (国家机关不履行本法规定的个人信息保护义务的，由其上级机关…责令改正): it covers the
# articles whose duties a 国家机关 bears (PIPL 34–36, DSL 38–40)
_STATE_GENERAL = re.compile(r"^国家机关(?:不履行|违反)本(?:法|条例|办法|规定)规定的[^。；，]{0,20}(?:义务|规定)的")
_STATE_DUTY = re.compile(r"^国家机关[^。；]{0,60}?(?:应当|不得)")


def state_penalties(pd: ParsedDocument) -> list[dict]:
    """PENALIZES rows (method 'general') from a catch-all penalty on State organs to the articles that bind them."""
    found = _penalty_doc(pd)
    if found is None:
        return []
    ix, children = found
    src = next((p for p in pd.provisions if p.id in ix.penalty and p.kind == "paragraph"
                and _STATE_GENERAL.match(_own_text(p, children).strip())), None)
    if src is None:
        return []
    text = _STATE_GENERAL.match(_own_text(src, children).strip()).group(0)
    rows = []
    for p in pd.provisions:
        if p.kind != "article" or p.id in ix.penalty:
            continue
        parts = children.get(p.id) or [p]
        if any(_STATE_DUTY.match(_own_text(c, children).strip()) for c in parts):
            rows.append({"type": "PENALIZES", "src": src.id, "dst": p.id, "dst_label": "Provision",
                         "props": {"method": "general", "score": 0.0, "text": text[:80]}})
    return rows


def general_penalties(pd: ParsedDocument, linked: set[str]) -> list[dict]:
    """PENALIZES rows (method 'general') from a document's catch-all penalty paragraphs to every article holding a
    duty of a regulated party (`linked`, the explicit and inferred targets, is kept for callers' symmetry)."""
    found = _penalty_doc(pd)
    if found is None:
        return []
    ix, children = found
    general = []
    for p in pd.provisions:
        if p.id not in ix.penalty or p.kind != "paragraph":
            continue
        own = _own_text(p, children)
        if children.get(p.id) or re.search(r"下列[^，。；]{0,6}之一|第" + NUM + "条", own):
            continue  # a lead-in to listed conducts, or one that cites articles: handled by the other readers
        m = _GENERAL.match(own)
        if not m or not re.search(r"罚款|警告|吊销|责令|追究法律责任", own) or _OFFICIALS.search(m.group(0)) or \
                _AUTHORITY.match(own.strip()):
            continue
        # general only when no particular conduct is described: nothing after 违反本法规定, or only a breach of the
        # text's duties again (…未履行本法规定的…义务); "违反本法规定，未取得许可证擅自执业的" is a specific conduct
        conduct = re.split(r"违反本(?:法|条例|办法|规定|细则)(?:的)?(?:其他)?(?:有关)?规定", m.group(0), maxsplit=1)[1]
        conduct = conduct.strip("，, 的")
        if len(conduct) <= 2 or re.search(r"未履行本(?:法|条例|办法|规定)规定的", conduct):
            general.append((p.id, m.group(0)))
    if not general:
        return []
    # every duty article, also those an explicit or inferred link covers: the catch-all applies to them as well
    # (registers list it after the specific penalty) — except a catch-all for the *other* provisions (违反本条例其他
    # 有关规定的), which leaves out what the specific penalty articles name
    others = any("其他" in text for _, text in general[:1])
    covered = {re.sub(r"(/art\d+).*", r"\1", d) for d in linked} if others else set()
    rows = []
    for p in pd.provisions:
        if p.kind != "article" or p.id in ix.penalty or p.id in covered:
            continue
        parts = children.get(p.id) or [p]
        # a sentence that binds a regulated party (…应当/不得/方可…) not led by a regulator; a regulator's paragraph
        # may still end with the party's duty (…个人信息处理者应当按照要求采取措施，进行整改)
        sentences = [x.strip() for c in parts for x in re.split(r"(?<=[。；])", _own_text(c, children)) if x.strip()]
        duty = any((_DUTY.search(x) or "方可" in x) and not _REGULATOR.match(x) and not _AUTHORITY.match(x)
                   for x in sentences)
        if not duty:
            continue
        for src, text in general[:1]:
            rows.append({"type": "PENALIZES", "src": src, "dst": p.id, "dst_label": "Provision",
                         "props": {"method": "general", "score": 0.0, "text": text[:80]}})
    return rows


def _best_duties(q, cands, by_id, children, doc_id) -> list[tuple[str, float]]:
    """The best-matching duty article(s) for one conduct: above the threshold, and no more than
    INFER_MAX_ARTICLES within the margin of the best (else none)."""
    best_by_art: dict[int, tuple[float, str]] = {}
    for cid, art, v in cands:
        s = _cos(q, v)
        if s > best_by_art.get(art, (0.0, ""))[0]:
            best_by_art[art] = (s, cid)
    if not best_by_art:
        return []
    ranked = sorted(best_by_art.items(), key=lambda kv: -kv[1][0])
    top = ranked[0][1][0]
    if top < INFER_THRESHOLD:
        return []
    near = [(art, s, cid) for art, (s, cid) in ranked if s >= top * (1 - INFER_MARGIN)]
    if len(near) > INFER_MAX_ARTICLES and (top < INFER_STRONG or len(near) > 2 * INFER_MAX_ARTICLES):
        return []  # fits several duties about equally, none closely: no link rather than a guess
    out = []
    for art, s, cid in near:
        if s >= INFER_THRESHOLD:
            # a paragraph match stands for its article (a described conduct seldom keeps to one 款: 未开展不良事件监测，
            # 未按照要求报告 spans both paragraphs of MDSR 62); an item is a duty of its own and keeps its pinpoint
            out.append((f"{doc_id}/art{art}" if by_id[cid].kind != "item" else cid, s))
    return out
