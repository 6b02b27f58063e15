"""The structures of a national-scale folder of laws (fixtures written for this project, not copies of any folder):
paragraph-numbered instruments, amendments, inserted articles (之一), books of a code, gaps in numbering, texts with
no numbered units, and registry matching by title and book and version."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.pipeline import ingest_file, ingest_paths
from ingest.resolve import parse_citation

SHAPES = Path(__file__).parent / "fixtures" / "national_shapes"


def _one(name: str):
    pd, _ = ingest_file(SHAPES / name, use_cache=False)
    return pd


def _cites(pd, kind="article"):
    return [p.citation for p in pd.provisions if p.kind == kind]


def test_folder_ingests_without_failures():
    res = ingest_paths([SHAPES], progress=False, use_cache=False)
    assert res.errors == []
    assert len(res.documents) == len(list(SHAPES.glob("*.md")))


def test_judicial_interpretation_paragraphs_are_cited_as_articles():
    pd = _one("司法解释__最高人民法院关于审理示范纠纷案件若干问题的解释(2030-06-01).md")
    doc = pd.document
    assert doc.level == "judicial_interpretation" and doc.version == "2030-06-01"
    title = "《最高人民法院关于审理示范纠纷案件若干问题的解释》"
    assert _cites(pd) == [f"{title}第一条", f"{title}第二条", f"{title}第三条"]
    art2 = pd.get(f"{doc.id}/art2")
    assert art2.label == "二、" and art2.text.startswith("有下列情形之一的")
    items = [p for p in pd.provisions if p.kind == "item"]
    assert [p.citation for p in items] == [f"{title}第二条第（一）项", f"{title}第二条第（二）项"]
    assert "未履行告知义务" in items[1].text
    # the text before 一、 is kept, not dropped
    pre = pd.get(f"{doc.id}/pre")
    assert pre is not None and "结合审判实践" in pre.text and pre.citation == f"{title}前言"
    assert doc.history == ["2030年5月20日 最高人民法院审判委员会第一次会议通过"]


def test_amendment_keeps_its_own_structure():
    pd = _one("示范__示范法修正案（三）.md")
    doc = pd.document
    assert doc.short_title == "示范法修正案（三）" and doc.id == "shifan-fa-xiuzhengan-san"
    assert doc.level == "law"
    assert _cites(pd) == ["《示范法修正案（三）》第一条", "《示范法修正案（三）》第二条", "《示范法修正案（三）》第三条"]
    unit2 = pd.get(f"{doc.id}/art2")
    # the quoted 第二十条 is text of the amendment's unit 二, not an article of the amended law
    assert "“第二十条 示范机构应当" in unit2.text and "逾期未报送的" in unit2.text
    assert not any(p.id.endswith("/art20") for p in pd.provisions)


def test_top_level_parenthesised_paragraphs():
    pd = _one("行政法规__示范设施保护规定(1980-01-01).md")
    assert _cites(pd) == ["《示范设施保护规定》第一条", "《示范设施保护规定》第二条", "《示范设施保护规定》第三条"]
    assert pd.provisions[0].label == "(一)" and "共同责任" in pd.provisions[0].text


def test_text_without_numbered_units_is_one_unit_with_a_warning():
    pd = _one("示范__示范罪名补充规定.md")
    assert [p.kind for p in pd.provisions] == ["preamble"]
    assert "现对有关罪名说明如下" in pd.provisions[0].text and "示范罪" in pd.provisions[0].text
    assert "INFO END" not in pd.provisions[0].text
    assert pd.provisions[0].citation == "《示范罪名补充规定》"
    assert any("whole text is one unit" in w for w in pd.warnings)


def test_gap_is_a_warning_and_the_document_is_marked_incomplete():
    pd = _one("示范__示范程序法(2031-01-01).md")
    doc = pd.document
    assert doc.incomplete and doc.missing_articles == [3]
    assert [w for w in pd.warnings if "article 3 is missing between 第二条 and 第四条" in w]
    assert _cites(pd) == ["《示范程序法》第一条", "《示范程序法》第二条", "《示范程序法》第四条",
                          "《示范程序法》第四条之一", "《示范程序法》第五条"]


def test_inserted_article_has_its_own_id_and_citation():
    pd = _one("示范__示范程序法(2031-01-01).md")
    doc_id = pd.document.id
    bis = pd.get(f"{doc_id}/art4-1")
    assert bis is not None and bis.label == "第四条之一" and bis.text == "回避申请应当在开庭前提出。"
    assert pd.get(f"{doc_id}/art4").text == "当事人有权申请回避。"  # not merged into 第四条
    ref = parse_citation("《个人信息保护法》第十三条之一")
    assert ref is not None and ref.bis == 1 and ref.provision_suffix() == "art13-1"


def test_books_of_a_code_are_separate_documents():
    res = ingest_paths([SHAPES / "民法典__总则.md", SHAPES / "民法典__侵权责任编.md"], progress=False, use_cache=False)
    assert res.errors == []
    by_id = {pd.document.id: pd for pd in res.documents}
    assert set(by_id) == {"civil-code-tort", "civil-code-zongze"}  # the registered book, and one of its own
    tort, general = by_id["civil-code-tort"], by_id["civil-code-zongze"]
    assert tort.registry_match == "matched" and general.registry_match == "book"
    assert general.document.instrument == "civil-code-zongze" != tort.document.instrument
    assert general.document.title == "中华人民共和国民法典 总则" and general.document.short_title == "民法典"
    assert _cites(general) == ["《民法典》第一条", "《民法典》第二条"]
    assert res.registry_matches() == {"matched": ["civil-code-tort"], "book": ["civil-code-zongze"]}
    # citations of 《民法典》 still resolve by article number to the registered book
    assert parse_citation("《民法典》第一千一百六十五条").instrument == "civil-code-tort"


def test_a_whole_code_in_one_file_is_none_of_its_books(tmp_path):
    f = tmp_path / "民法典.md"
    f.write_text("# 中华人民共和国民法典\n\n第一条 示范。\n\n第二条 示范。\n", encoding="utf-8")
    pd, _ = ingest_file(f, use_cache=False)
    assert pd.registry_match == "none" and not pd.document.id.startswith("civil-code")


def test_title_and_version_must_agree_to_match_a_registered_version():
    pd = _one("个人信息保护法(2035-01-01).md")
    assert pd.registry_match == "new-version"
    assert pd.document.id == "pipl-2035" and pd.document.instrument == "pipl"


def test_documents_with_chinese_file_names_get_readable_distinct_ids(tmp_path):
    for year in ("1988", "1993"):
        (tmp_path / f"示范宪法修正案（{year}年）.md").write_text(
            f"# 示范宪法修正案（{year}年）\n\n第一条 示范。\n", encoding="utf-8")
    res = ingest_paths([tmp_path], progress=False, use_cache=False)
    assert res.errors == []
    assert sorted(pd.document.id for pd in res.documents) == ["shifan-xianfa-xiuzhengan-1988",
                                                             "shifan-xianfa-xiuzhengan-1993"]


@pytest.mark.parametrize("name", sorted(p.name for p in SHAPES.glob("*.md")))
def test_every_fixture_parses_to_citable_units(name):
    pd = _one(name)
    assert pd.provisions and all(p.citation.startswith("《") for p in pd.provisions)
