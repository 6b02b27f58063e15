"""Citation formatting in Supreme People's Court style, and Chinese numerals (through cn2an, not by hand).

《个人信息保护法》第十三条第一款第（三）项 — 款 only where the article has more than one paragraph; order 条→款→项→目.
"""
from __future__ import annotations

import re
from functools import lru_cache

import cn2an

from .numerals import CN_DIGITS, CN_LABEL_NUM

# what cn_to_int reads: the numbering digits, and 万 (一万), which no article or item number needs
_CONVERTIBLE = re.compile(rf"^[{CN_DIGITS}万]+$")

_PRC = "中华人民共和国"
# version suffixes of a title: （2021年修订） （2013年修正） （2016年） — not a guideline's （2022年修订版）, which is part of its name
_VERSION_SUFFIX = re.compile(r"[（(](\d{4}年(?:修订|修正|修改)?)[)）]\s*$")
# a book of a code after its title: 民法典 第七编 侵权责任 / 民法典 侵权责任编 / 民法典 总则 (cited as 《民法典》)
_BOOK = re.compile(rf"\s+(?:第{CN_LABEL_NUM}编\s*\S*|\S+编|总则|附则)$")


@lru_cache(maxsize=4096)
def cn_to_int(text: str) -> int:
    """二十九 -> 29, 一千二百二十三 -> 1223, 29 -> 29."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not _CONVERTIBLE.match(text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    return int(cn2an.cn2an(text, "smart"))


@lru_cache(maxsize=4096)
def int_to_cn(n: int) -> str:
    """29 -> 二十九 (statute style: 十条, 一百一十条)."""
    return cn2an.an2cn(n)


def split_version_suffix(title: str) -> tuple[str, str | None]:
    """'医疗器械监督管理条例（2021年修订）' -> ('医疗器械监督管理条例', '2021年修订')."""
    m = _VERSION_SUFFIX.search(title)
    if not m:
        return title.strip(), None
    return title[: m.start()].strip(), m.group(1)


def short_title(title: str, level: str | None = None) -> str:
    """Citation title: drop 中华人民共和国, a version suffix, and a Civil Code book name (cited as 《民法典》)."""
    t = title.strip()
    if level != "technical_guideline":
        t, _ = split_version_suffix(t)
    t = _BOOK.sub("", t)
    if t.startswith(_PRC) and len(t) > len(_PRC):
        t = t[len(_PRC):]
    return t.strip()


def quote_title(title: str) -> str:
    """《title》, with titles quoted inside it turned into 〈〉 as the courts write them."""
    return "《" + title.replace("《", "〈").replace("》", "〉") + "》"


def format_citation(
    short: str,
    article: int,
    paragraph: int | None = None,
    item: int | None = None,
    subitem: int | None = None,
    *,
    show_paragraph: bool = True,
    bis: int | None = None,
) -> str:
    """《个人信息保护法》第十三条第一款第（三）项第1目; show_paragraph=False where the article has one paragraph;
    bis=1 for an inserted article (《刑法》第一百二十条之一)."""
    out = f"{quote_title(short)}第{int_to_cn(article)}条" + (f"之{int_to_cn(bis)}" if bis else "")
    if paragraph is not None and show_paragraph:
        out += f"第{int_to_cn(paragraph)}款"
    if item is not None:
        out += f"第（{int_to_cn(item)}）项"
    if subitem is not None:
        out += f"第{subitem}目"
    return out


def format_section_citation(short: str, labels: list[str]) -> str:
    """Guideline sections: 《医疗器械软件注册审查指导原则（2022年修订版）》七（六）1."""
    return quote_title(short) + "".join(lbl.rstrip("、") for lbl in labels)


def english_short_title(title_en: str | None) -> str | None:
    if not title_en:
        return None
    return re.sub(r"\s+of the People's Republic of China", "", title_en).strip()


def format_citation_en(
    short_en: str,
    article: int,
    paragraph: int | None = None,
    item: int | None = None,
    *,
    show_paragraph: bool = True,
) -> str:
    """Personal Information Protection Law, Article 13(1)(3)."""
    out = f"{short_en}, Article {article}"
    if paragraph is not None and show_paragraph:
        out += f"({paragraph})"
    if item is not None:
        out += f"({item})" if (paragraph is not None and show_paragraph) else f", item ({item})"
    return out
