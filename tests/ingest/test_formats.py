"""A user's own folder of laws: plain Markdown/text without front matter, and .docx/.pdf/.html of the same document
parse to the same provisions."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.pipeline import ingest_file, ingest_paths

FIXTURES = Path(__file__).parent / "fixtures"

PLAIN = FIXTURES / "plain_laws"
MD = PLAIN / "医疗人工智能示范管理办法(2023-05-01).md"


def _body_lines() -> list[str]:
    return [ln for ln in MD.read_text(encoding="utf-8").splitlines()]


def _shape(pd):
    """What must not depend on the file format: positions, kinds, citations and (whitespace-free) texts."""
    return [(p.id.split("/", 1)[1], p.kind, p.citation, re.sub(r"\s+", "", p.text), p.path) for p in pd.provisions]


def test_plain_markdown_folder_ingests(tmp_path):
    res = ingest_paths([PLAIN], progress=False)
    assert res.errors == []
    assert res.skipped == ["README.md"]
    by_title = {pd.document.title: pd for pd in res.documents}
    assert set(by_title) == {"医疗人工智能示范管理办法", "远程影像示范规定"}

    md = by_title["医疗人工智能示范管理办法"]
    d = md.document
    assert d.version == "2023-05-01"  # from the (YYYY-MM-DD) file-name suffix
    assert d.history == ["2023年4月20日 示范委员会第一次会议通过", "2023年5月1日 施行"]
    assert d.level == "departmental_rule" and d.current is True
    assert d.source_file == MD.name
    assert [a.citation for a in md.articles()] == [
        "《医疗人工智能示范管理办法》第一条", "《医疗人工智能示范管理办法》第二条", "《医疗人工智能示范管理办法》第三条",
        "《医疗人工智能示范管理办法》第四条", "《医疗人工智能示范管理办法》第五条"]
    art3_items = [p for p in md.provisions if p.kind == "item" and p.article == 3]
    assert [p.citation for p in art3_items][2] == "《医疗人工智能示范管理办法》第三条第（三）项"
    assert md.get(f"{d.id}/art4/p2").citation == "《医疗人工智能示范管理办法》第四条第二款"
    assert md.get(f"{d.id}/art3").path == ["第二章 研制与使用"]

    txt = by_title["远程影像示范规定"]  # plain text: title from the file name, chapters without '#'
    assert txt.document.history == ["2022年3月1日示范委员会发布 自2022年4月1日起施行"]
    assert [a.path for a in txt.articles()] == [["第一章 总 则"], ["第一章 总 则"], ["第二章 附 则"]]
    assert txt.get(f"{txt.document.id}/art2/p1/i2").text == "（二）有符合要求的信息系统。"


def test_plain_ids_are_stable(tmp_path):
    a = ingest_file(MD, use_cache=False)[0]
    b = ingest_file(MD, use_cache=False)[0]
    assert a.document.id == b.document.id and [p.id for p in a.provisions] == [p.id for p in b.provisions]


def _write_docx(path: Path, lines: list[str]) -> None:
    import docx

    document = docx.Document()
    for ln in lines:
        s = ln.strip()
        if s.startswith("# "):
            document.add_heading(s[2:], level=1)
        elif s.startswith("## "):
            document.add_paragraph(s[3:])  # chapter lines as plain paragraphs, as many Word files have them
        elif s:
            document.add_paragraph(s)
    document.save(str(path))


def _write_pdf(path: Path, lines: list[str]) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 11)
    y = 800
    for ln in lines:
        s = ln.strip().lstrip("# ").strip()
        if not s:
            continue
        # wrap at 22 characters like a page would: the reader must join the pieces again
        for i in range(0, len(s), 22):
            c.drawString(40, y, s[i:i + 22])
            y -= 16
            if y < 60:
                c.showPage()
                c.setFont("STSong-Light", 11)
                y = 800
    c.save()


def _write_html(path: Path, lines: list[str]) -> None:
    parts = ["<html><head><meta charset='utf-8'><title>x</title><script>var a=1;</script></head><body>",
             "<nav>首页 | 法规库</nav>"]
    for ln in lines:
        s = ln.strip()
        if s.startswith("# "):
            parts.append(f"<h1>{s[2:]}</h1>")
        elif s.startswith("## "):
            parts.append(f"<h2>{s[3:]}</h2>")
        elif s:
            parts.append(f"<p>{s}</p>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")


@pytest.mark.parametrize("suffix,writer", [(".docx", _write_docx), (".pdf", _write_pdf), (".html", _write_html)])
def test_other_formats_parse_to_the_same_provisions(tmp_path, suffix, writer):
    reference = ingest_file(MD, use_cache=False)[0]
    f = tmp_path / (MD.stem + suffix)
    writer(f, _body_lines())
    got = ingest_file(f, use_cache=False)[0]
    assert got.document.title == "医疗人工智能示范管理办法"
    assert got.document.version == "2023-05-01"
    assert got.document.id == reference.document.id
    assert got.document.history == reference.document.history
    assert _shape(got) == _shape(reference)
    assert len(got.articles()) == 5


def test_cache_makes_second_run_do_no_work(tmp_path):
    first = ingest_paths([PLAIN], progress=False)
    second = ingest_paths([PLAIN], progress=False)
    assert first.unchanged == []
    assert sorted(second.unchanged) == sorted(pd.document.source_file for pd in first.documents)
    assert [pd.model_dump() for pd in second.documents] == [pd.model_dump() for pd in first.documents]
    # a changed file is parsed again, the other stays cached
    work = tmp_path / "laws"
    work.mkdir()
    for f in PLAIN.iterdir():
        (work / f.name).write_bytes(f.read_bytes())
    ingest_paths([work], progress=False)
    target = work / MD.name
    target.write_text(target.read_text(encoding="utf-8").replace("保障患者安全", "保障患者生命安全"), encoding="utf-8")
    third = ingest_paths([work], progress=False)
    assert third.unchanged == ["远程影像示范规定.txt"]
    art1 = next(pd for pd in third.documents if pd.document.source_file == MD.name).articles()[0]
    assert "保障患者生命安全" in art1.text


def test_html_with_br_lines_and_inline_tags(tmp_path):
    """Government pages often hold the whole text in one <div> with <br>s and <span>s: no spaces may be inserted."""
    reference = ingest_file(MD, use_cache=False)[0]
    body = []
    for ln in _body_lines():
        s = ln.strip()
        if s.startswith("# "):
            body.append(f"<div class='title'><b>{s[2:]}</b></div>")
        elif s:
            s = s.lstrip("# ")
            if s.startswith("第") and "条 " in s:
                head, rest = s.split(" ", 1)
                s = f"<span class='art'>{head}</span> <span>{rest[:4]}</span>{rest[4:]}"
            body.append(s + "<br/>")
    f = tmp_path / (MD.stem + ".html")
    f.write_text("<html><body><p>打印本页</p><div id='content'>" + "\n".join(body) + "</div></body></html>",
                 encoding="utf-8")
    got = ingest_file(f, use_cache=False)[0]
    assert _shape(got) == _shape(reference)


def test_pdf_running_headers_and_page_numbers_are_dropped(tmp_path):
    """A gazette-style PDF: a header and a page number on every page, one article per page, wrapped lines."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    reference = ingest_file(MD, use_cache=False)[0]
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    f = tmp_path / (MD.stem + ".pdf")
    c = canvas.Canvas(str(f))
    page = 0

    def new_page():
        nonlocal page
        if page:
            c.showPage()
        page += 1
        c.setFont("STSong-Light", 11)
        c.drawString(40, 810, "示范公报 2023年第5期")
        c.drawString(280, 30, f"- {page} -")
        return 780

    y = new_page()
    for ln in _body_lines():
        s = ln.strip().lstrip("# ").strip()
        if not s:
            continue
        if s.startswith("第") and "条 " in s[:8] and page < 6:
            y = new_page()  # every article on its own page
        for i in range(0, len(s), 25):
            c.drawString(40, y, s[i:i + 25])
            y -= 16
    c.save()
    got = ingest_file(f, use_cache=False)[0]
    assert _shape(got) == _shape(reference)
    assert not any("示范公报" in p.text or "- 3 -" in p.text for p in got.provisions)


def test_plain_file_of_a_registered_instrument_takes_registry_metadata(tmp_path):
    """A user's own copy of a registered law (here: an invented two-article stand-in) gets the registry's id, level,
    issuer and version status; the English text of it becomes its translation."""
    zh = tmp_path / "中华人民共和国数据安全法(2021-06-10).md"
    zh.write_text("# 中华人民共和国数据安全法\n\n第一条 示范条文一。\n\n第二条 示范条文二。\n", encoding="utf-8")
    en = tmp_path / "dsl-en.md"
    en.write_text("# Data Security Law of the People's Republic of China\n\nArticle 1 Sample one.\n\n"
                  "Article 2 Sample two.\n", encoding="utf-8")
    res = ingest_paths([tmp_path], progress=False)
    assert res.errors == []
    d = res.get("dsl").document
    assert (d.instrument, d.level, d.issuer, d.status, d.version, d.current) == (
        "dsl", "law", "全国人民代表大会常务委员会", "in_force", "2021-06-10", True)
    assert res.get("dsl").get("dsl/art2").citation == "《数据安全法》第二条"
    e = res.get("dsl.en").document
    assert (e.translation_of, e.lang, e.title) == ("dsl", "en", "中华人民共和国数据安全法")
    assert ("dsl.en/art2", "dsl/art2") in res.translation_links
    assert "dsl" not in {m["id"] for m in res.missing_instruments}


def test_english_pdf_keeps_articles_apart(tmp_path):
    """English official translations as PDF: 'Article N' starts a unit even when the previous line ends with '.'."""
    from reportlab.pdfgen import canvas

    lines = ["Sample Measures on Data", "Chapter I General Provisions",
             "Article 1 These Measures are formulated to regulate sample data processing in medical",
             "institutions.", "Article 2 A processor shall:", "(1) keep records;", "(2) assess risks.",
             "Article 3 These Measures take effect on the date of promulgation."]
    f = tmp_path / "sample-measures.pdf"
    c = canvas.Canvas(str(f))
    y = 800
    for ln in lines:
        c.drawString(40, y, ln)
        y -= 16
    c.save()
    pd = ingest_file(f, use_cache=False)[0]
    assert pd.document.lang == "en"
    arts = pd.articles()
    assert [a.number for a in arts] == [1, 2, 3]
    assert arts[0].text == "These Measures are formulated to regulate sample data processing in medical institutions."
    assert [p.text for p in pd.provisions if p.kind == "item"] == ["(1) keep records;", "(2) assess risks."]


def _add_numbering(document, abstract_id: int, num_id: int, levels: list[tuple[str, str]]) -> None:
    """Append a Word list definition (levels of (numFmt, lvlText)) to the document's numbering part."""
    from docx.oxml import parse_xml

    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    lvls = "".join(f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{txt}"/></w:lvl>'
                   for i, (fmt, txt) in enumerate(levels))
    root = document.part.numbering_part.element
    root.insert(0, parse_xml(f'<w:abstractNum {ns} w:abstractNumId="{abstract_id}">{lvls}</w:abstractNum>'))
    root.append(parse_xml(f'<w:num {ns} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/></w:num>'))


def _numbered(paragraph, num_id: int, ilvl: int = 0) -> None:
    from docx.oxml import parse_xml

    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(parse_xml('<w:numPr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                         f'<w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'))


def test_docx_with_word_automatic_numbering(tmp_path):
    """Articles typed as an auto-numbered 第%1条 list and items as an auto-numbered （%1） list (the numbers are not in
    the paragraph text) parse like the plain Markdown original."""
    import docx

    reference = ingest_file(MD, use_cache=False)[0]
    document = docx.Document()
    _add_numbering(document, 90, 90, [("chineseCounting", "第%1条")])
    item_lists = iter(range(91, 99))
    current_items = None
    for ln in _body_lines():
        s = ln.strip()
        if not s:
            continue
        if s.startswith("# "):
            document.add_heading(s[2:], level=1)
        elif s.startswith("## "):
            document.add_paragraph(s[3:])
        elif s.startswith("第") and "条 " in s[:8]:
            _numbered(document.add_paragraph(s.split(" ", 1)[1]), 90)
            current_items = None
        elif s.startswith("（"):
            if current_items is None:  # each article's items restart at （一）: a list of their own
                current_items = next(item_lists)
                _add_numbering(document, current_items, current_items, [("chineseCounting", "（%1）")])
            _numbered(document.add_paragraph(s[3:]), current_items)
        else:
            document.add_paragraph(s)
    f = tmp_path / (MD.stem + ".docx")
    document.save(str(f))
    got = ingest_file(f, use_cache=False)[0]
    assert _shape(got) == _shape(reference)
    assert got.get(f"{got.document.id}/art3/p1/i3").text == "（三）记录产品版本变更。"
