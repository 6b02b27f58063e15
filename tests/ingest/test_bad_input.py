"""Every kind of bad input gives one clear error naming the file and the problem, and the rest of the batch ingests."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.model import IngestError
from ingest.pipeline import cache_dir, ingest_paths

GOOD = """---
id: good-rule
title: 示范数据管理规定
level: departmental_rule
status: in_force
version: 2024-01-01
---

# 示范数据管理规定

第一条 为了规范示范数据的管理，制定本规定。

第二条 数据处理者应当履行下列义务：
（一）建立管理制度；
（二）开展风险评估。
"""


def _batch(tmp_path: Path, name: str, content: bytes | str) -> tuple[list[IngestError], list[str]]:
    """A folder with one good file and one bad file; returns (errors, ingested document ids)."""
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    bad = tmp_path / name
    if isinstance(content, str):
        bad.write_text(content, encoding="utf-8")
    else:
        bad.write_bytes(content)
    res = ingest_paths([tmp_path], progress=False)
    return res.errors, [pd.document.id for pd in res.documents]


def _one_error(errors, file):
    assert len(errors) == 1, [str(e) for e in errors]
    e = errors[0]
    assert e.file == file
    assert file in str(e)
    return e


def test_undecodable_bytes(tmp_path):
    data = "第一条 本规定适用于示范。\n".encode("utf-8") + b"\xff\xfe\x81\xff broken"
    errors, ids = _batch(tmp_path, "broken-bytes.md", data)
    e = _one_error(errors, "broken-bytes.md")
    offset = len("第一条 本规定适用于示范。\n".encode("utf-8"))
    assert f"undecodable bytes at byte offset {offset}" in e.problem
    assert "UTF-8" in e.hint
    assert ids == ["good-rule"]


def test_gb18030_file_is_decoded(tmp_path):
    (tmp_path / "示范办法.txt").write_bytes("示范办法\n\n第一条 为了示范，制定本办法。\n\n第二条 本办法自公布之日起施行。\n".encode("gb18030"))
    res = ingest_paths([tmp_path], progress=False)
    assert res.errors == []
    assert [a.citation for a in res.documents[0].articles()] == ["《示范办法》第一条", "《示范办法》第二条"]


def test_empty_file(tmp_path):
    errors, ids = _batch(tmp_path, "empty.md", b"")
    e = _one_error(errors, "empty.md")
    assert "empty file" in e.problem
    assert ids == ["good-rule"]


def test_whitespace_only_file(tmp_path):
    errors, ids = _batch(tmp_path, "blank.txt", "\n  \n\t\n")
    assert "empty file" in _one_error(errors, "blank.txt").problem
    assert ids == ["good-rule"]


def test_no_recognisable_articles_or_sections(tmp_path):
    errors, ids = _batch(tmp_path, "prose.md", "# 会议纪要\n\n今天天气很好，大家讨论了很多事情。\n会议在下午结束。\n")
    e = _one_error(errors, "prose.md")
    assert "no recognisable articles" in e.problem
    assert ids == ["good-rule"]


def test_duplicated_article_number(tmp_path):
    text = "# 重复示范规定\n\n第一条 甲。\n\n第二条 乙。\n\n第二条 丙。\n\n第三条 丁。\n"
    errors, ids = _batch(tmp_path, "dup.md", text)
    e = _one_error(errors, "dup.md")
    assert "第二条 appears twice" in e.problem
    assert e.line == 7
    assert ids == ["good-rule"]


def test_skipped_article_numbers_load_the_rest_and_mark_the_document(tmp_path):
    text = "# 缺条示范规定\n\n第一条 甲。\n\n第二条 乙。\n\n第五条 丙。\n"
    (tmp_path / "gap.md").write_text(text, encoding="utf-8")
    res = ingest_paths([tmp_path], progress=False, use_cache=False)
    assert res.errors == []
    pd = next(pd for pd in res.documents if pd.document.source_file == "gap.md")
    assert pd.document.incomplete and pd.document.missing_articles == [3, 4]
    assert [a.citation for a in pd.articles()] == ["《缺条示范规定》第一条", "《缺条示范规定》第二条", "《缺条示范规定》第五条"]
    assert res.warnings == ["gap.md:7: articles 3–4 are missing between 第二条 and 第五条: the document is marked "
                            "incomplete"]
    assert res.summary()["incomplete"] == [pd.document.id]


def test_broken_front_matter(tmp_path):
    text = "---\nid: broken\ntitle: 示范: 规定: 坏\nlevel: [law\n---\n\n第一条 甲。\n"
    errors, ids = _batch(tmp_path, "broken-yaml.md", text)
    e = _one_error(errors, "broken-yaml.md")
    assert "broken YAML front matter" in e.problem
    assert e.line in (3, 4, 5)
    assert "'---'" in e.hint
    assert ids == ["good-rule"]


def test_unclosed_front_matter(tmp_path):
    errors, ids = _batch(tmp_path, "open.md", "---\nid: x\ntitle: 示范\n\n第一条 甲。\n")
    assert "never closed" in _one_error(errors, "open.md").problem
    assert ids == ["good-rule"]


def test_pdf_without_text_layer(tmp_path):
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(pdf))
    c.rect(50, 50, 400, 600, fill=1)  # an "image" of a page: no text
    c.showPage()
    c.save()
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    res = ingest_paths([tmp_path], progress=False)
    e = _one_error(res.errors, "scan.pdf")
    assert "no text layer" in e.problem
    assert "OCR it first" in e.hint
    assert [pd.document.id for pd in res.documents] == ["good-rule"]


def test_corrupt_docx(tmp_path):
    errors, ids = _batch(tmp_path, "fake.docx", b"PK\x03\x04 this is not a real package")
    assert "not a readable .docx" in _one_error(errors, "fake.docx").problem
    assert ids == ["good-rule"]


def test_unsupported_explicit_file(tmp_path):
    f = tmp_path / "picture.png"
    f.write_bytes(b"\x89PNG\r\n")
    res = ingest_paths([f], progress=False)
    assert "unsupported file type '.png'" in _one_error(res.errors, "picture.png").problem


def test_duplicate_document_id_in_one_batch(tmp_path):
    (tmp_path / "a.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.md").write_text(GOOD, encoding="utf-8")
    res = ingest_paths([tmp_path], progress=False)
    e = _one_error(res.errors, "b.md")
    assert "same document id 'good-rule' as a.md" in e.problem
    assert [pd.document.id for pd in res.documents] == ["good-rule"]


def test_failures_leave_nothing_half_written(tmp_path):
    errors, _ = _batch(tmp_path, "dup.md", "# 示范\n\n第一条 甲。\n\n第一条 乙。\n")
    assert len(errors) == 1
    files = sorted(p.name for p in cache_dir().glob("*"))
    assert len(files) == 1 and files[0].endswith(".json")  # only the good file is cached; no temp files
    again = ingest_paths([tmp_path], progress=False)  # the bad file fails again: its failure was not cached
    assert [e.file for e in again.errors] == ["dup.md"] and again.unchanged == ["good.md"]


def test_missing_corpus_dir_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("YIGUI_CORPUS", str(tmp_path / "nowhere"))
    res = ingest_paths(None, progress=False)
    assert len(res.errors) == 1 and "corpus directory not found" in res.errors[0].problem
    assert "YIGUI_CORPUS" in res.errors[0].hint


def test_front_matter_with_no_body(tmp_path):
    errors, ids = _batch(tmp_path, "header-only.md", "---\nid: header-only\ntitle: 示范\n---\n\n\n")
    e = _one_error(errors, "header-only.md")
    assert "empty file: no text after the front matter" in e.problem
    assert ids == ["good-rule"]


def test_windows_file_with_bom_and_crlf(tmp_path):
    data = ("\ufeff" + GOOD.replace("good-rule", "bom-rule")).replace("\n", "\r\n").encode("utf-8")
    (tmp_path / "bom.md").write_bytes(data)
    res = ingest_paths([tmp_path], progress=False)
    assert res.errors == []
    pd = res.documents[0]
    assert pd.document.id == "bom-rule" and pd.document.version == "2024-01-01"
    assert pd.get("bom-rule/art2/p1/i2").text == "（二）开展风险评估。"
    assert pd.get("bom-rule/art2/p1/i2").citation == "《示范数据管理规定》第二条第（二）项"


def test_old_word_file_gets_a_conversion_hint(tmp_path):
    errors, ids = _batch(tmp_path, "规定.doc", b"\xd0\xcf\x11\xe0 old word")
    e = _one_error(errors, "规定.doc")
    assert "unsupported file type '.doc'" in e.problem and "--convert-to docx" in e.hint
    assert ids == ["good-rule"]
