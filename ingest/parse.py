"""Text of one Chinese (or official English) legal instrument -> a Document and its Provision tree.

Two shapes of document exist: article-numbered instruments (编/章/节 headings, 条 → 款 → 项 → 目) and NMPA guidelines
structured by numbered sections (一、 → （一） → 1. → （1）). The parser decides by what it finds, so a user's own
folder of laws parses without preparation; readers (ingest.readers) turn every file format into plain lines first.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from .citation import (
    cn_to_int,
    english_short_title,
    format_citation,
    format_citation_en,
    format_section_citation,
    quote_title,
    short_title,
    split_version_suffix,
)
from .model import Document, IngestError, ParsedDocument, Provision
from .numerals import CN_NUM, CN_OR_ARABIC_NUM

ARTICLE_ZH = re.compile(rf"^第({CN_OR_ARABIC_NUM})条(?:之({CN_NUM}))?(?:[\s\u3000]+|$)")  # 第一百二十条之一: an inserted article
ARTICLE_EN = re.compile(r"^Article\s+(\d+)(?:[\s\u3000]+|$)")
STRUCT_ZH = re.compile(rf"^第({CN_OR_ARABIC_NUM})(编|分编|章|节)(?:[\s\u3000]*)(.*)$")
STRUCT_EN = re.compile(r"^(Part|Chapter|Section)\s+([IVXLC\d]+)\b\s*(.*)$", re.I)
BOOK_TITLE = re.compile(r"^\S+编$")  # "# 侵权责任编" in a Civil Code book file
ITEM_ZH = re.compile(rf"^[（(]({CN_NUM})[）)]\s*")
ITEM_EN = re.compile(r"^\((\d+)\)\s*")
SUBITEM = re.compile(r"^(\d+)[\.．、]\s*(?!\d)")
HISTORY = re.compile(r"(\d{4}年\d{1,2}月\d{1,2}日.*(通过|修正|修订|公布|施行|发布|颁布|批准))|^[（(]?\s*\d{4}年.*(通过|施行)")
HISTORY_EN = re.compile(r"^\(?(Adopted|Promulgated|Amended|Revised)\b", re.I)
# guideline section markers by level: 一、 / （一） / 1. / （1）
SECTION_MARKERS = [
    re.compile(rf"^({CN_NUM})、\s*(.*)$"),
    re.compile(rf"^[（(]({CN_NUM})[）)]\s*(.*)$"),
    re.compile(r"^(\d+)[\.．、]\s*(.*)$"),
    re.compile(r"^[（(](\d+)[）)]\s*(.*)$"),
]
TERMINAL = tuple("。；：！？;:!?")
ANNEX = re.compile(r"^附件\s*(\d*)\s*(.*)$")
MD_HEADING = re.compile(r"^(#{1,6})\s*(.*?)\s*#*\s*$")


def clean_line(line: str) -> str:
    """Strip Markdown decoration that is not part of the legal text (bold markers, escaped dots)."""
    line = line.replace("\\.", ".").replace("\\-", "-").replace("\\*", "*")
    line = re.sub(r"\*{2,}", "", line)
    return line.strip().replace("\u3000", " ").strip()


@dataclass
class _Line:
    no: int  # 1-based line number in the file (after front matter offset)
    text: str
    heading_level: int = 0  # Markdown heading level, 0 for body lines


@dataclass
class _Article:
    number: int
    label: str
    line_no: int
    path: list[str]
    lines: list[_Line] = field(default_factory=list)
    bis: int | None = None  # 之一 → 1: an article inserted after `number` by an amendment

    @property
    def key(self) -> str:
        """Id suffix: art120, art120-1 (第一百二十条之一)."""
        return f"art{self.number}" + (f"-{self.bis}" if self.bis else "")


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s


def pinyin_slug(text: str, max_len: int = 60) -> str:
    """A readable ASCII id for a Chinese title: pinyin by word (刑法修正案（九） → xingfa-xiuzhengan-jiu). Cut at
    a word boundary past max_len, with a hash of the whole title so two long titles that share a beginning (最高人民法院
    关于…) stay apart."""
    import logging

    import jieba
    from pypinyin import Style, lazy_pinyin

    jieba.setLogLevel(logging.WARNING)
    words = [slug("".join(lazy_pinyin(w, style=Style.NORMAL, errors="default"))) for w in jieba.lcut(text)]
    s = "-".join(w for w in words if w)
    if len(s) > max_len:
        cut = s[:max_len].rsplit("-", 1)[0] or s[:max_len]
        s = f"{cut}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:6]}"
    return s


def make_doc_id(meta_id: str | None, title: str, file_stem: str, version: str | None) -> str:
    """Stable id: the front matter's, else an ASCII slug of the file name, else the pinyin of the title (a user's
    folder of Chinese file names), else a hash of the title; the version year is appended."""
    if meta_id:
        return str(meta_id)
    stem = re.sub(r"\(\d{4}-\d{2}-\d{2}\)$", "", file_stem)
    base = "" if re.search(r"[\u4e00-\u9fff]", stem) else slug(stem)  # 宪法修正案（2018年）is not "2018"
    if not base or len(base) < 3:
        base = pinyin_slug(short_title(title)) if re.search(r"[\u4e00-\u9fff]", title) else ""
    if not base or len(base) < 3:
        base = "doc-" + hashlib.sha1(title.encode("utf-8")).hexdigest()[:10]
    if version and not base.endswith(version[:4]):
        base = f"{base}-{version[:4]}"
    return base


def _to_lines(text: str, line_offset: int) -> list[_Line]:
    out = []
    for i, raw in enumerate(text.splitlines(), start=1 + line_offset):
        m = MD_HEADING.match(raw.strip())
        if m:
            out.append(_Line(i, clean_line(m.group(2)), len(m.group(1))))
        else:
            out.append(_Line(i, clean_line(raw)))
    return out


def build_document(meta: dict, *, file_name: str, title_hint: str | None, lang: str) -> Document:
    """Document metadata from front matter, filling what a plain file lacks from its name and first heading."""
    stem = file_name.rsplit(".", 1)[0]
    title = str(meta.get("title") or title_hint or re.sub(r"\(\d{4}-\d{2}-\d{2}\)$", "", stem)).strip()
    m = re.search(r"\((\d{4}-\d{2}-\d{2})\)$", stem)
    version = str(meta.get("version") or (m.group(1) if m else "") or "") or None
    level = str(meta.get("level") or "other")
    base_title, version_label = split_version_suffix(title) if level != "technical_guideline" else (title, None)
    label_year = re.match(r"\d{4}", version_label or "")  # 宪法修正案（1988年）: the year is in the title
    doc_id = make_doc_id(meta.get("id"), title, stem, version or (label_year.group(0) if label_year else None))
    if lang == "en" and not doc_id.endswith(".en"):
        doc_id = f"{doc_id}.en"
    instrument = str(meta.get("instrument") or re.sub(r"(\.en)?$", "", doc_id))
    instrument = re.sub(r"-\d{4}$", "", instrument)
    notes = [str(meta[k]) for k in ("text_note", "translation_status") if meta.get(k)]
    return Document(
        id=doc_id,
        instrument=instrument,
        title=base_title,
        short_title=short_title(title, level),
        title_en=meta.get("title_en"),
        level=level if level in Document.model_fields["level"].annotation.__args__ else "other",  # type: ignore[union-attr]
        issuer=meta.get("issuer"),
        doc_number=meta.get("doc_number"),
        promulgated=_iso(meta.get("promulgated")),
        effective=_iso(meta.get("effective")),
        status=meta.get("status") or "unknown",
        version=_iso(version),
        version_label=version_label,
        lang=lang,  # type: ignore[arg-type]
        source=meta.get("source"),
        source_url=meta.get("source_url"),
        source_file=file_name,
        notes=notes,
        translation_of=re.sub(r"\.en$", "", doc_id) if lang == "en" else None,
    )


def _iso(v) -> str | None:
    if v is None or v == "":
        return None
    return str(v)


def detect_lang(lines: list[_Line]) -> str:
    body = "".join(ln.text for ln in lines[:200])
    cjk = sum(1 for ch in body if "\u4e00" <= ch <= "\u9fff")
    return "zh" if cjk > len(body) * 0.1 else "en"


def parse_text(text: str, *, file_name: str, meta: dict | None = None, line_offset: int = 0) -> ParsedDocument:
    """Parse a document body (front matter already removed) into a ParsedDocument.

    Raises IngestError naming the file, the line and what to do when the structure is not a legal instrument's.
    """
    meta = dict(meta or {})
    lines = _to_lines(text, line_offset)
    if not any(ln.text for ln in lines):
        raise IngestError(file_name, "the file has no text", "check that the right file was given; nothing was ingested from it")
    lang = str(meta.get("lang") or detect_lang(lines))
    headings = [ln for ln in lines if ln.heading_level == 1]
    title_hint = headings[0].text if headings else None
    doc = build_document(meta, file_name=file_name, title_hint=title_hint, lang=lang)
    article_re = ARTICLE_ZH if lang == "zh" else ARTICLE_EN
    has_articles = any(article_re.match(ln.text) for ln in lines)
    if has_articles:
        provisions, history, warnings = _parse_articles(lines, doc, article_re, file_name)
    elif lang == "zh" and (marker := _numbered_paragraphs(lines)) is not None:
        provisions, history, warnings = _parse_articles(lines, doc, marker, file_name, paragraphs=True)
    else:
        try:
            provisions, history, warnings = _parse_sections(lines, doc, file_name)
        except IngestError as err:
            fallback = _whole_text(lines, doc, file_name)
            if fallback is None:
                raise err
            provisions, history, warnings = fallback
    doc.history = history
    for i, p in enumerate(provisions):
        p.order = i
    return ParsedDocument(document=doc, provisions=provisions, warnings=warnings)


# ---------------------------------------------------------------------------------------------- articles


def _article_number(m: re.Match, lang: str) -> int:
    return int(m.group(1)) if lang == "en" else cn_to_int(m.group(1))


# Instruments without 第X条 whose operative units are paragraphs numbered 一、二、 (amendments, decisions, many
# judicial interpretations, old regulations), or （一）（二） where that is the top level. Each such paragraph is a
# citable unit cited as an article (《最高人民法院关于…的解释》第三条, 《刑法修正案（九）》第一条), as courts cite them.
PARAGRAPH_MARKERS = [re.compile(rf"^({CN_NUM})、\s*"), re.compile(rf"^[（(]({CN_NUM})[）)]\s*")]


def _numbered_paragraphs(lines: list[_Line]) -> re.Pattern | None:
    """The marker of a paragraph-numbered instrument, or None when its numbered lines are headings (a guideline's
    一、概述). Paragraph-numbered: at least two body lines at one marker level read as sentences (longer than a
    heading or ending like one), and no line at that level reads as a heading."""
    for rx in PARAGRAPH_MARKERS:
        marked = [ln for ln in lines if ln.text and rx.match(ln.text)]
        if any(ln.heading_level for ln in marked):
            return None
        heading_like = [ln for ln in marked if len(ln.text) <= 40 and not ln.text.endswith(TERMINAL)]
        sentences = len(marked) - len(heading_like)
        if sentences >= 2 and not heading_like:
            return rx
        if marked:
            return None  # the top level in use is a heading level: a guideline
    return None


# what an instrument's title ends with (刑法修正案（二）, …的批复, …的补充规定): a file so titled whose text has no
# numbered units is still an instrument; anything else without them (会议纪要, a letter) is not a legal text
INSTRUMENT_TITLE = re.compile(r"(法|条例|规定|办法|细则|规则|解释|决定|批复|答复|复函|通知|意见|修正案|安排|命令|决议|"
                              r"规范|准则|标准)(?:[（(][^）)]*[）)])?$")


def _whole_text(lines: list[_Line], doc: Document, file_name: str):
    """An instrument with no numbered units at all (a table of charges, a one-paragraph notice): one citable unit,
    so nothing of it is lost; the warning says it has no pinpoints. None when the file is not titled as an
    instrument."""
    if not INSTRUMENT_TITLE.search(doc.title.strip()):
        return None
    body = [ln.text for ln in lines if ln.text and not ln.heading_level and not ln.text.startswith("<!--")]
    history = [t for t in body[:4] if HISTORY.search(t)]
    text = "\n".join(t for t in body if t not in history)
    if not text.strip():
        return None
    prov = Provision(id=f"{doc.id}/pre", doc_id=doc.id, kind="preamble", label="全文", text=text,
                     citation=quote_title(doc.short_title), path=[])
    return [prov], history, [f"{file_name}: no articles (第X条) or numbered paragraphs (一、): the whole text is one "
                             f"unit, cited without a pinpoint"]


def _parse_articles(lines, doc: Document, article_re, file_name, *, paragraphs: bool = False):
    """Article-numbered instruments; with paragraphs=True, the 一、 paragraphs of a paragraph-numbered one (text
    before the first of them is kept as a preamble)."""
    lang = doc.lang
    preamble: list[str] = []
    path: list[tuple[str, str]] = []  # (kind, heading) — kind in 编/分编/章/节 or md level
    history: list[str] = []
    articles: list[_Article] = []
    current: _Article | None = None
    first_h1_seen = False
    rank = {"编": 1, "Part": 1, "分编": 2, "章": 3, "Chapter": 3, "节": 4, "Section": 4}
    for ln in lines:
        t = ln.text
        if not t:
            continue
        m_art = article_re.match(t)
        if m_art:
            try:
                num = _article_number(m_art, lang)
                bis = cn_to_int(m_art.group(2)) if not paragraphs and lang == "zh" and m_art.group(2) else None
            except ValueError:  # 第百条, 第千百条: matched the pattern but is no numeral cn2an can read
                raise IngestError(file_name, f"article label '{m_art.group(0).strip()}' has no valid number",
                                  "write the article number as the official text does (e.g. 第一百条) and ingest "
                                  "again", line=ln.no) from None
            current = _Article(num, m_art.group(0).strip(), ln.no, [h for _, h in path], bis=bis)
            rest = t[m_art.end():].strip()
            if rest:
                current.lines.append(_Line(ln.no, rest))
            articles.append(current)
            continue
        m_struct = STRUCT_ZH.match(t) if lang == "zh" else STRUCT_EN.match(t)
        if m_struct and (ln.heading_level or len(t) <= 40):
            kind = m_struct.group(2) if lang == "zh" else m_struct.group(1).title()
            r = rank.get(kind, 3)
            path = [(k, h) for k, h in path if rank.get(k, 0) < r]
            path.append((kind, re.sub(r"\s+", " ", t)))
            current = None
            continue
        if ln.heading_level == 1:
            if first_h1_seen or (BOOK_TITLE.match(t) and lang == "zh"):
                path = [("编", t)]  # a Civil Code book title (# 侵权责任编) heads the path
            first_h1_seen = True
            current = None
            continue
        if ln.heading_level:
            current = None  # some other heading: not part of an article
            continue
        if current is None:
            if not articles and (HISTORY.search(t) or HISTORY_EN.match(t) or t.startswith(("（", "("))):
                history.append(t.strip("（）()"))
            elif paragraphs and not articles and not t.startswith("<!--"):
                preamble.append(t)
            continue
        current.lines.append(ln)

    if not articles:
        raise IngestError(file_name, "no recognisable articles (第X条) or numbered sections (一、)",
                          "check the file is a legal instrument whose articles start lines with 第X条")
    warnings, doc.missing_articles = _check_numbering(articles, file_name)
    provisions: list[Provision] = []
    short = doc.short_title
    short_en = english_short_title(doc.title_en) if lang == "en" else None
    if preamble:
        provisions.append(Provision(id=f"{doc.id}/pre", doc_id=doc.id, kind="preamble", label="前言",
                                    text="\n".join(preamble), citation=quote_title(short) + "前言", path=[]))
    for art in articles:
        provisions.extend(_article_provisions(art, doc, short, short_en, file_name))
    for art in articles:
        if not art.lines:
            warnings.append(f"{file_name}:{art.line_no}: {art.label} has no text")
    return provisions, history, warnings


def _check_numbering(articles: list[_Article], file_name: str) -> tuple[list[str], list[int]]:
    """Warnings for gaps and disorder, and the missing article numbers. A gap is the source's (刑事诉讼法 2018 lacks
    第一百二十八条; a 宪法修正案 holds only the amended articles): the rest loads and the document is marked
    incomplete. Two articles with one number cannot both be cited, so that stays an error."""
    seen: dict[str, int] = {}
    warnings: list[str] = []
    missing: list[int] = []
    prev: _Article | None = None
    for art in articles:
        if art.key in seen:
            raise IngestError(file_name, f"article {art.label} appears twice (lines {seen[art.key]} and {art.line_no})",
                              "remove the duplicate or fix its number, then ingest again", line=art.line_no)
        if prev is not None and art.bis is None and art.number != prev.number + 1:
            if art.number > prev.number + 1:
                gap = list(range(prev.number + 1, art.number))
                missing += gap
                what = (f"article {gap[0]} is" if len(gap) == 1 else f"articles {gap[0]}–{gap[-1]} are")
                warnings.append(f"{file_name}:{art.line_no}: {what} missing between {prev.label} and {art.label}: "
                                f"the document is marked incomplete")
            else:
                warnings.append(f"{file_name}:{art.line_no}: article {art.label} follows {prev.label} out of order")
        seen[art.key] = art.line_no
        prev = art
    return warnings, missing


def _join(lines: list[_Line]) -> str:
    return "\n".join(ln.text for ln in lines)


def _article_provisions(art: _Article, doc: Document, short: str, short_en: str | None, file_name: str):
    """Article -> 款 (paragraphs) -> 项 (items) -> 目 (sub-items)."""
    lang = doc.lang
    item_re = ITEM_ZH if lang == "zh" else ITEM_EN
    # group lines: paragraphs hold items, items hold sub-items; a line after one that has no terminal punctuation
    # continues it (definitions such as "（一）预期目的 / 指……" and wrapped lines).
    paragraphs: list[dict] = []
    for ln in art.lines:
        t = ln.text
        m_item = item_re.match(t)
        m_sub = SUBITEM.match(t)
        last_para = paragraphs[-1] if paragraphs else None
        last_item = last_para["items"][-1] if last_para and last_para["items"] else None
        num = None
        if m_item and last_para is not None:
            try:
                num = int(m_item.group(1)) if lang == "en" else cn_to_int(m_item.group(1))
            except ValueError:  # （百）: not an item number, so the line is ordinary text
                m_item = None
        if m_item and last_para is not None:
            last_para["items"].append({"num": num, "label": m_item.group(0).strip(), "lines": [ln], "subs": []})
        elif m_sub and last_item is not None:
            last_item["subs"].append({"num": int(m_sub.group(1)), "label": m_sub.group(0).strip(), "lines": [ln]})
        elif last_para is not None and lang == "zh" and _continues(last_para, last_item):
            target = last_item["subs"][-1] if last_item and last_item["subs"] else (last_item or last_para)
            target["lines"].append(ln)
        elif last_item is not None and lang == "zh" and not last_item["subs"] and _lists_under_item(last_item, t):
            last_item["lines"].append(ln)  # "（三）…包括：" then "无源接触人体器械：…" lines: the item's own list
        else:
            paragraphs.append({"lines": [ln], "items": []})

    art_id = f"{doc.id}/{art.key}"
    multi = len(paragraphs) > 1

    def cite(paragraph=None, item=None, sub=None):
        if lang == "en":
            return format_citation_en(short_en or doc.title, art.number, paragraph, item, show_paragraph=multi)
        return format_citation(short, art.number, paragraph, item, sub, show_paragraph=multi, bis=art.bis)

    out = [Provision(
        id=art_id, doc_id=doc.id, kind="article", label=art.label, number=art.number,
        text=_join(art.lines), citation=cite(), path=art.path, parent_id=None, article=art.number,
    )]
    for pi, para in enumerate(paragraphs, start=1):
        p_id = f"{art_id}/p{pi}"
        p_lines = list(para["lines"])
        for it in para["items"]:
            p_lines += it["lines"] + [ln for s in it["subs"] for ln in s["lines"]]
        out.append(Provision(
            id=p_id, doc_id=doc.id, kind="paragraph", label=f"第{pi}款" if lang == "zh" else f"para. {pi}",
            number=pi, text=_join(p_lines), citation=cite(pi), path=art.path, parent_id=art_id,
            article=art.number, paragraph=pi,
        ))
        seen_items: set[int] = set()
        for it in para["items"]:
            if it["num"] in seen_items:
                continue  # a repeated （一） restarting a list inside one paragraph keeps the first as the pinpoint
            seen_items.add(it["num"])
            i_id = f"{p_id}/i{it['num']}"
            i_lines = it["lines"] + [ln for s in it["subs"] for ln in s["lines"]]
            out.append(Provision(
                id=i_id, doc_id=doc.id, kind="item", label=it["label"], number=it["num"], text=_join(i_lines),
                citation=cite(pi, it["num"]), path=art.path, parent_id=p_id, article=art.number, paragraph=pi,
                item=it["num"],
            ))
            seen_subs: set[int] = set()
            for sub in it["subs"]:
                if sub["num"] in seen_subs:
                    continue
                seen_subs.add(sub["num"])
                out.append(Provision(
                    id=f"{i_id}/s{sub['num']}", doc_id=doc.id, kind="subitem", label=sub["label"], number=sub["num"],
                    text=_join(sub["lines"]), citation=cite(pi, it["num"], sub["num"]), path=art.path,
                    parent_id=i_id, article=art.number, paragraph=pi, item=it["num"],
                ))
    return out


_LABELLED_LINE = re.compile(r"^[^：:，。；（(]{1,20}[：:]")


def _lists_under_item(item: dict, text: str) -> bool:
    """An item that ends with a colon introduces unnumbered labelled lines (名称：内容). They stay in the item, so the
    next （四） is not mistaken for an item of a new paragraph (医疗器械分类规则 第五条)."""
    lines = item["lines"]
    opened = any(ln.text.rstrip().endswith(("：", ":")) for ln in lines)
    return opened and bool(_LABELLED_LINE.match(text)) and all(
        _LABELLED_LINE.match(ln.text) for ln in lines[[ln.text.rstrip().endswith(("：", ":")) for ln in lines].index(True) + 1:])


def _continues(para: dict, item: dict | None) -> bool:
    """A line continues the previous element when that element's last line has no terminal punctuation."""
    if item is not None:
        last = (item["subs"][-1]["lines"] if item["subs"] else item["lines"])[-1].text
    else:
        last = para["lines"][-1].text
    return not last.endswith(TERMINAL) and not last.endswith(("。”", "；”", "”"))


# ---------------------------------------------------------------------------------------------- sections


def _section_marker(text: str) -> tuple[int, int, str, str] | None:
    """(level, number, label, title) of a guideline section heading, or None."""
    for level, rx in enumerate(SECTION_MARKERS, start=1):
        m = rx.match(text)
        if m:
            raw = m.group(1)
            try:
                num = int(raw) if raw.isdigit() else cn_to_int(raw)
            except ValueError:
                return None
            label = text[: m.start(2)].strip() if m.group(2) else text.strip()
            return level, num, label, m.group(2).strip()
    return None


def _parse_sections(lines, doc: Document, file_name):
    """Guidelines: numbered headings form the tree; body paragraphs belong to the nearest heading."""
    history: list[str] = []
    provisions: list[Provision] = []
    stack: list[tuple[int, int, str, str, str]] = []  # (level, number, label, title, id)
    body: dict[str, list[str]] = {}
    meta_of: dict[str, dict] = {}
    preamble: list[str] = []
    uses_md_headings = any(ln.heading_level >= 2 and _section_marker(ln.text) for ln in lines)
    first_h1_seen = False
    annex: tuple[str, str] | None = None  # (id prefix, label) while inside an annex (附件1)
    for ln in lines:
        t = ln.text
        if not t:
            continue
        if ln.heading_level == 1 and not first_h1_seen:
            first_h1_seen = True
            continue
        m_annex = ANNEX.match(t)
        if m_annex and (ln.heading_level or len(t) <= 40):
            n = m_annex.group(1) or str(sum(1 for k in meta_of if "/annex" in k and k.count("/") == 1) + 1)
            annex_id = f"{doc.id}/annex{n}"
            annex = (annex_id, f"附件{n}")
            meta_of[annex_id] = {"label": f"附件{n}", "number": int(n), "title": m_annex.group(2).strip(),
                                 "labels": [f"附件{n}"], "path": [], "parent": None}
            body[annex_id] = []
            stack = [(0, int(n), f"附件{n}", " " + m_annex.group(2).strip(), annex_id)]
            continue
        marker = _section_marker(t)
        is_heading = marker is not None and (
            ln.heading_level >= 2 if uses_md_headings else (len(t) <= 40 and not t.endswith(TERMINAL))
        )
        if is_heading:
            level, num, label, title = marker
            while stack and stack[-1][0] >= level:
                stack.pop()
            numbers = [s[1] for s in stack if s[0] > 0] + [num]
            sec_id = (annex[0] + "/" if annex else f"{doc.id}/") + "sec" + ".".join(str(n) for n in numbers)
            if sec_id in meta_of:  # repeated numbering under one parent: keep ids unique and stable
                k = 2
                while f"{sec_id}-{k}" in meta_of:
                    k += 1
                sec_id = f"{sec_id}-{k}"
            labels = [s[2] for s in stack] + [label]
            meta_of[sec_id] = {
                "label": label, "number": num, "title": title, "labels": labels,
                "path": [f"{s[2]}{s[3]}" for s in stack], "parent": stack[-1][4] if stack else None,
            }
            body[sec_id] = []
            stack.append((level, num, label, title, sec_id))
            continue
        if ln.heading_level and not stack:
            continue
        if not stack:
            if HISTORY.search(t) and not preamble:
                history.append(t)
            else:
                preamble.append(t)
            continue
        body[stack[-1][4]].append(t)

    if not meta_of:
        raise IngestError(file_name, "no recognisable articles (第X条) or numbered sections (一、)",
                          "check the file is a legal instrument; articles must start lines with 第X条, "
                          "guideline sections with 一、 / （一）")
    if preamble:
        provisions.append(Provision(
            id=f"{doc.id}/pre", doc_id=doc.id, kind="preamble", label="前言", text="\n".join(preamble),
            citation=quote_title(doc.short_title) + "前言", path=[],
        ))
    for sec_id, m in meta_of.items():
        is_annex = sec_id.rsplit("/", 1)[-1].startswith("annex")
        text = "\n".join([f"{m['label']}{' ' if is_annex else ''}{m['title']}"] + body[sec_id])
        provisions.append(Provision(
            id=sec_id, doc_id=doc.id, kind="annex" if is_annex else "section", label=m["label"], number=m["number"], text=text,
            citation=format_section_citation(doc.short_title, m["labels"]), path=m["path"], parent_id=m["parent"],
            heading=m["title"],
        ))
    return provisions, history, []
