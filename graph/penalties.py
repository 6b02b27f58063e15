"""Penalty links (PENALIZES): which duty-imposing provision each penalty provision sanctions.

Kept apart from graph.references, which only finds and resolves references: whether a penalty sanctions a provision
is read in three ways, each with its own evidence, and a register or an answer shows which (`props.method`):
  explicit   a reference in the condition a penalty provision sanctions (法律责任/罚则 chapter, or a sanction in its
             text): 违反本法第X条规定的，… / 不履行本法第X条规定的…义务的，…; not the rule the penalty is measured by
             (依照本法第X条的规定处罚). Official English: "violates Article X of this Law" (not "in accordance with").
  inferred   a liability clause that describes the conduct instead (未按照规定开展不良事件监测): the duty it breaks, by
             TF-IDF similarity (infer_penalties)
  general    a catch-all penalty (违反本法规定…的，…) to every duty of its text (general_penalties); the catch-all for
             the State's own organs to the articles that bind them (state_penalties)

`extract` is the entry point graph.build calls: every reference of graph.references as a CITES row, and the
PENALIZES rows, for GraphStore.load_edges:
  {"type": "CITES" | "PENALIZES", "src": provision id, "dst": provision or document id,
   "dst_label": "Provision" | "Document", "props": {"text": the reference as written, ...}}
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from graph.references import SELF_ANCHOR, Citation, Reader, children_of, own_text
from ingest.model import ParsedDocument, Provision
from ingest.numerals import CN_OR_ARABIC_LABEL_NUM, CN_OR_ARABIC_NUM

SANCTION = re.compile(r"罚款|警告|责令|吊销|没收|处分|处罚|追究|暂停|停业|撤销|取缔|关闭|通报批评|不得从事|禁止其|赔偿|承担")
CONDITION_LEAD = re.compile(r"(违反|不履行|未履行|未依照|未按照|不依照|不按照|拒不|未按|未经|未取得|有|不符合|未遵守)")
STRONG_LEAD = re.compile(r"违反|不履行|未履行|未依照|未按照|不依照|不按照")
MEASURE_LEAD = re.compile(r"(?<![未不])(依照|依据|按照|根据|参照)$")
PENALTY_CHAPTER = re.compile(r"法律责任|罚则|Legal Liabilit|Penalt", re.I)
_EN_STRONG = re.compile(r"violat|fails? to|not (?:perform|fulfil)", re.I)
_EN_MEASURE = re.compile(r"(?:in accordance with|pursuant to|under)\s+(?:the provisions of\s+)?$", re.I)
_CITES_ARTICLE = re.compile(rf"第{CN_OR_ARABIC_NUM}条")
_ITEM_MARK = re.compile(rf"^\s*[（(]{CN_OR_ARABIC_LABEL_NUM}[）)]")  # （三） at the start of an item


@dataclass
class XrefResult:
    edges: list[dict] = field(default_factory=list)
    unresolved: list[dict] = field(default_factory=list)  # references seen but not resolvable in this corpus

    def count(self, kind: str) -> int:
        return sum(1 for e in self.edges if e["type"] == kind)


def liability_provisions(pd: ParsedDocument) -> set[str]:
    """Ids of the numbered provisions under a 法律责任/罚则 (Legal Liability, Penalties) heading."""
    return {p.id for p in pd.provisions
            if p.article is not None and any(PENALTY_CHAPTER.search(h) for h in p.path)}


def extract(parsed_docs: list[ParsedDocument], *, only: set[str] | None = None, infer: bool = True) -> XrefResult:
    """CITES and PENALIZES rows for the documents in `only` (default: all), resolved against all `parsed_docs`;
    `infer` adds the penalty links of clauses that describe the conduct without article numbers (infer_penalties)."""
    reader = Reader(parsed_docs)
    liability = {pd.document.id: liability_provisions(pd) for pd in parsed_docs}
    result = XrefResult(unresolved=reader.unresolved)
    seen: set[tuple[str, str, str]] = set()
    for pd in parsed_docs:
        doc = pd.document
        if only is not None and doc.id not in only:
            continue
        for c in reader.citations(pd):
            rows = [("CITES", c.props)]
            if _sanctions(c, liability, doc.lang):
                rows.append(("PENALIZES", {"text": c.props["text"], "method": "explicit"}))
            for kind, props in rows:
                key = (kind, c.src.id, c.dst)
                if key in seen or c.dst == c.src.id:
                    continue
                seen.add(key)
                result.edges.append({"type": kind, "src": c.src.id, "dst": c.dst, "dst_label": c.dst_label,
                                     "props": props})
        if infer:
            explicit = {e["src"] for e in result.edges if e["type"] == "PENALIZES" and e["src"].startswith(doc.id + "/")}
            result.edges += infer_penalties(pd, explicit)
            linked = {e["dst"] for e in result.edges if e["type"] == "PENALIZES" and e["dst"].startswith(doc.id + "/")}
            result.edges += general_penalties(pd, linked)
            result.edges += state_penalties(pd)
    return result


# -- explicit: a reference in the condition a penalty sanctions ---------------------------------------------------

def _sanctions(c: Citation, liability: dict[str, set[str]], lang: str) -> bool:
    """Is the cited provision one the citing penalty provision sanctions (never another penalty provision)?"""
    if c.span is None or c.dst in liability[c.dst_doc]:
        return False
    p, start = c.src, c.span[0]
    in_chapter = p.id in liability[p.doc_id]
    if lang == "en":
        before = c.text[max(c.text.rfind(".", 0, start), c.text.rfind(";", 0, start)) + 1:start]
        return in_chapter and bool(_EN_STRONG.search(before)) and not _EN_MEASURE.search(before)
    return _is_penalty_provision(p, in_chapter) and _penalizes(c.text, start, c.span[1], in_chapter, p.kind == "item")


def _is_penalty_provision(p: Provision, in_chapter: bool) -> bool:
    return in_chapter or bool(SANCTION.search(p.text) and re.search(r"罚款|吊销|没收|责令|处分", p.text))


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


# -- inferred: penalty clauses that describe the conduct instead of citing articles ------------------------------
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
    rf"[（(]{CN_OR_ARABIC_LABEL_NUM}[）)]|" + SELF_ANCHOR + r"|有下列情形之一|违反|规定|未按照|未依照|不按照|不依照|依照|按照|"
    r"依法|要求|应当|不得|禁止|必须|或者|以及|并且|有关|相关|其他|下列|情形|义务|行为|未|不|的|和|及|等|并|或|"
    r"[\s，。；：、,.;:“”\"《》（）()\d]+")
_DUTY = re.compile(r"应当|不得|禁止|必须|负责对|须")
_REGULATOR = re.compile(r"^(?:国务院|国家|县级以上|省、自治区|省级以上|设区的市级|负责药品监督管理的部门|卫生主管部门|受理|"
                        r"市场监督管理部门|出入境检验检疫机构|[^，。；]{0,12}技术(?:审评)?机构|地方人民政府|有关主管部门|"
                        r"有关部门|各地区|[^，。；]{0,8}主管部门|履行[^，。；]{0,12}职责的部门|公安机关|中华人民共和国主管机关)")
# a regulator as the subject (部门/机关/人民政府 before any preposition): its duties are not what a sanction on an
# undertaking breaks, and a penalty on regulators (…部门有下列情形之一的) is not matched at all
_AUTHORITY = re.compile(r"^[^，。；对向与和为在经]{0,12}(?:部门|机关|人民政府)")
_CATCH_ALL = re.compile(r"规定的其他|其他(?:情形|义务|事项|要求)[。；]?$")
# conduct that breaks no stated duty of the text: officials' misconduct, civil/criminal liability, fraud (false
# reports or materials), defiance of a sanction already imposed
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


def _penalty_doc(pd: ParsedDocument) -> tuple[set[str], dict[str, list[Provision]]] | None:
    """The liability provisions and child lists of a Chinese document that has a penalty part; None for any other."""
    if pd.document.lang != "zh":
        return None
    liable = liability_provisions(pd)
    if not liable:
        return None
    return liable, children_of(pd)


def infer_penalties(pd: ParsedDocument, explicit_srcs: set[str]) -> list[dict]:
    """PENALIZES rows (method 'inferred', score) for the penalty clauses and items of one document that cite no
    article; `explicit_srcs` are provisions that already have explicit penalty links (left alone)."""
    doc = pd.document
    found = _penalty_doc(pd)
    if found is None:
        return []
    liable, children = found
    by_id = {p.id: p for p in pd.provisions}
    own = {p.id: own_text(p, children) for p in pd.provisions if p.kind in ("paragraph", "item")}
    tfidf = _TfIdf(list(own.values()))
    # duty-imposing candidates outside the liability chapter; an item is read with its lead-in (the actor, 应当)
    cands: list[tuple[str, int, dict[str, float]]] = []
    for p in pd.provisions:
        if p.id in liable or p.kind not in ("paragraph", "item") or p.article is None:
            continue
        text = own[p.id]
        lead = own.get(p.parent_id, "") if p.kind == "item" else ""
        if p.kind == "paragraph" and children.get(p.id):
            continue  # a lead-in: its items are the candidates
        subject_text = lead or text
        subject_text = _ITEM_MARK.sub("", subject_text.strip())
        if not _DUTY.search(lead + text) or _REGULATOR.match(subject_text) or _AUTHORITY.match(subject_text) or \
                (p.kind == "item" and _CATCH_ALL.search(text.strip())):
            continue
        cands.append((p.id, p.article, tfidf.vec(lead + "|" + text if lead else text)))
    rows: list[dict] = []
    for p in pd.provisions:
        if p.id not in liable or p.id in explicit_srcs or p.kind not in ("paragraph", "item"):
            continue
        text = own[p.id]
        if _CITES_ARTICLE.search(text):
            continue  # cites articles: the explicit reader's business
        lead_in = own.get(p.parent_id, "") if p.kind == "item" else ""
        if p.kind == "item" and (_OFFICIALS.search(lead_in[:80]) or _AUTHORITY.match(lead_in.strip())):
            continue
        if _AUTHORITY.match(_ITEM_MARK.sub("", text.strip())):
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


# -- general: catch-all penalties -------------------------------------------------------------------------------
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
    liable, children = found
    src = next((p for p in pd.provisions if p.id in liable and p.kind == "paragraph"
                and _STATE_GENERAL.match(own_text(p, children).strip())), None)
    if src is None:
        return []
    text = _STATE_GENERAL.match(own_text(src, children).strip()).group(0)
    rows = []
    for p in pd.provisions:
        if p.kind != "article" or p.id in liable:
            continue
        parts = children.get(p.id) or [p]
        if any(_STATE_DUTY.match(own_text(c, children).strip()) for c in parts):
            rows.append({"type": "PENALIZES", "src": src.id, "dst": p.id, "dst_label": "Provision",
                         "props": {"method": "general", "score": 0.0, "text": text[:80]}})
    return rows


def general_penalties(pd: ParsedDocument, linked: set[str]) -> list[dict]:
    """PENALIZES rows (method 'general') from a document's catch-all penalty paragraphs to every article holding a
    duty of a regulated party (`linked`, the explicit and inferred targets, is kept for callers' symmetry)."""
    found = _penalty_doc(pd)
    if found is None:
        return []
    liable, children = found
    general = []
    for p in pd.provisions:
        if p.id not in liable or p.kind != "paragraph":
            continue
        own = own_text(p, children)
        if children.get(p.id) or re.search(r"下列[^，。；]{0,6}之一", own) or _CITES_ARTICLE.search(own):
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
        if p.kind != "article" or p.id in liable or p.id in covered:
            continue
        parts = children.get(p.id) or [p]
        # a sentence that binds a regulated party (…应当/不得/方可…) not led by a regulator; a regulator's paragraph
        # may still end with the party's duty (…个人信息处理者应当按照要求采取措施，进行整改)
        sentences = [x.strip() for c in parts for x in re.split(r"(?<=[。；])", own_text(c, children)) if x.strip()]
        duty = any((_DUTY.search(x) or "方可" in x) and not _REGULATOR.match(x) and not _AUTHORITY.match(x)
                   for x in sentences)
        if not duty:
            continue
        for src, text in general[:1]:
            rows.append({"type": "PENALIZES", "src": src, "dst": p.id, "dst_label": "Provision",
                         "props": {"method": "general", "score": 0.0, "text": text[:80]}})
    return rows
