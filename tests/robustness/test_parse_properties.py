"""Property-based tests for the parser (ingest.parse.parse_text) and the file reader (ingest.readers.read_file).

Two kinds of property: (1) any input — random text, random bytes — either parses or raises IngestError naming the
file; never another exception (a user's odd file must not crash ingest with a traceback); (2) a generated,
well-formed instrument parses back to exactly the structure it was generated from, with the citations the courts'
style prescribes (款 only where an article has several paragraphs)."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ingest.citation import int_to_cn
from ingest.model import IngestError
from ingest.parse import parse_text
from ingest.readers import read_file

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------------------------- arbitrary input

# pieces that steer the parser into its branches: article/chapter/section markers, items, headings, front matter
MARKERS = ["第一条 ", "第二条 ", "第三条", "第十条 ", "第一章 总则", "第二节 ", "第一编", "（一）", "（二）", "(1) ", "1. ",
           "2．", "一、", "二、", "（三）", "附件1", "# ", "## ", "### ", "---", "Article 1 ", "Chapter I ", "**",
           "\\.", "\u3000", "。", "；", "：", "\n", "\n\n", "2021年8月20日 第十三届全国人民代表大会常务委员会通过",
           "第九十九条 ", "第〇条 ", "第两条 ", "第一千条 ", "第百条 "]
fragments = st.one_of(st.sampled_from(MARKERS), st.text(max_size=12),
                      st.text(alphabet="个人信息处理者应当不得医疗器械注册人数据（）()、，。；：\n 第条款项章节", max_size=20))
texts = st.lists(fragments, max_size=40).map("".join)
metas = st.one_of(st.none(), st.fixed_dictionaries(
    {}, optional={"id": st.sampled_from(["x", "doc-1", "测试"]), "title": st.text(max_size=20),
                  "lang": st.sampled_from(["zh", "en"]), "level": st.sampled_from(["law", "technical_guideline", "??"]),
                  "version": st.sampled_from(["2021-01-01", "", "not a date"])}))


@SETTINGS
@given(text=texts, meta=metas)
@example(text="", meta=None)
@example(text="第一条 甲。\n第三条 乙。", meta=None)
@example(text="第一条 甲。\n第一条 乙。", meta=None)
@example(text="一、\n（一）\n1.\n（1）", meta={"level": "technical_guideline"})
def test_any_text_parses_or_raises_ingest_error(text, meta):
    try:
        doc = parse_text(text, file_name="fuzz.md", meta=meta)
    except IngestError as err:
        assert err.file == "fuzz.md" and err.hint, "an IngestError must name the file and say what to do"
        return
    ids = [p.id for p in doc.provisions]
    assert len(ids) == len(set(ids)), f"duplicate provision ids: {ids}"
    known = set(ids)
    for p in doc.provisions:
        assert p.doc_id == doc.document.id and p.id.startswith(doc.document.id + "/")
        assert p.parent_id is None or p.parent_id in known, f"{p.id} has a dangling parent {p.parent_id}"
        assert p.citation.startswith("《") or doc.document.lang == "en"
        assert "/" not in (doc.document.source_file or ""), "source_file is a file name, never a machine path"
    assert [p.order for p in doc.provisions] == list(range(len(doc.provisions)))


@settings(max_examples=80, deadline=None)
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".md", ".txt", ".html", ".docx", ".pdf", ".xyz"]))
@example(data=b"\xff\xfe\x00\x00garbage", suffix=".md")
@example(data=b"PK\x03\x04not really a zip", suffix=".docx")
@example(data=b"%PDF-1.4 truncated", suffix=".pdf")
def test_any_bytes_read_or_raise_ingest_error(data, suffix):
    fd, name = tempfile.mkstemp(suffix=suffix, prefix="fuzz-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            raw = read_file(name)
        except IngestError as err:
            assert err.file == Path(name).name, "the error names the file (its name, not a machine path)"
            assert err.hint
            return
        try:
            parse_text(raw.text, file_name=raw.file, meta=raw.meta, line_offset=raw.front_matter_lines)
        except IngestError as err:
            assert err.file == raw.file
    finally:
        os.unlink(name)


# ---------------------------------------------------------------------------------------------- round trip

BODY = "个人信息处理者医疗机构数据安全保护管理应当采取必要措施确保合法正当透明负责产品注册备案"
words = st.text(alphabet=BODY, min_size=2, max_size=30)


@st.composite
def paragraphs(draw):
    """(lead sentence, [item texts]) — a lead that introduces items ends with '：'."""
    n_items = draw(st.integers(0, 4))
    lead = draw(words) + ("：" if n_items else "。")
    items = [draw(words) + ("；" if i < n_items - 1 else "。") for i in range(n_items)]
    return lead, items


@st.composite
def instruments(draw):
    first = draw(st.sampled_from([1, 1, 1, 989, 1164]))
    arts = draw(st.lists(st.lists(paragraphs(), min_size=1, max_size=3), min_size=1, max_size=8))
    chapters = draw(st.sets(st.integers(0, len(arts) - 1), max_size=3))
    lines = ["# 中华人民共和国测试法", "", "2021年8月20日 第十三届全国人民代表大会常务委员会第三十次会议通过", ""]
    for k, paras in enumerate(arts):
        if k in chapters:
            lines += [f"## 第{int_to_cn(k + 1)}章 测试章", ""]
        body: list[str] = []
        for lead, items in paras:
            body.append(lead)
            body += [f"（{int_to_cn(i)}）{t}" for i, t in enumerate(items, start=1)]
        body[0] = f"第{int_to_cn(first + k)}条 " + body[0]
        lines += body + [""]
    return first, arts, "\n".join(lines)


@SETTINGS
@given(inst=instruments())
def test_generated_instrument_round_trips(inst):
    first, arts, text = inst
    doc = parse_text(text, file_name="gen.md", meta={"id": "gen", "title": "中华人民共和国测试法", "level": "law"})
    assert doc.document.short_title == "测试法"
    articles = doc.articles()
    assert [a.number for a in articles] == list(range(first, first + len(arts)))
    by_id = {p.id: p for p in doc.provisions}
    for a, paras in zip(articles, arts):
        n = a.number
        assert a.id == f"gen/art{n}"
        assert a.citation == f"《测试法》第{int_to_cn(n)}条"
        multi = len(paras) > 1
        for pi, (lead, items) in enumerate(paras, start=1):
            p = by_id[f"gen/art{n}/p{pi}"]
            assert p.parent_id == a.id
            assert p.citation == f"《测试法》第{int_to_cn(n)}条" + (f"第{int_to_cn(pi)}款" if multi else "")
            assert p.text.startswith(lead)
            for ii, item in enumerate(items, start=1):
                it = by_id[f"gen/art{n}/p{pi}/i{ii}"]
                assert it.text == f"（{int_to_cn(ii)}）{item}"
                assert it.citation == p.citation + f"第（{int_to_cn(ii)}）项"
            assert f"gen/art{n}/p{pi}/i{len(items) + 1}" not in by_id
        assert f"gen/art{n}/p{len(paras) + 1}" not in by_id


@SETTINGS
@given(inst=instruments(), data=st.data())
def test_a_missing_article_is_a_warning_with_its_line(inst, data):
    first, arts, text = inst
    assume(len(arts) >= 3)
    k = data.draw(st.integers(1, len(arts) - 2))  # drop an inner article's number label: a gap appears
    missing = f"第{int_to_cn(first + k)}条 "
    assert missing in text
    broken = text.replace(missing, "第" + int_to_cn(first + len(arts) + 5) + "条 ", 1)
    pd = parse_text(broken, file_name="gap.md", meta={"id": "gap", "title": "测试法"})
    assert first + k in pd.document.missing_articles and pd.document.incomplete
    assert pd.warnings and all(re.match(r"gap\.md:\d+: ", w) for w in pd.warnings)
    assert any("missing" in w for w in pd.warnings)


@SETTINGS
@given(inst=instruments())
def test_ids_are_stable_across_parses(inst):
    _, _, text = inst
    meta = {"id": "s", "title": "测试法"}
    a = parse_text(text, file_name="s.md", meta=meta)
    b = parse_text(text, file_name="s.md", meta=meta)
    assert [(p.id, p.citation, p.text) for p in a.provisions] == [(p.id, p.citation, p.text) for p in b.provisions]
