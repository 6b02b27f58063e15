"""Cross-references and penalty links: hand-written statutes for each drafting form, then the real corpus."""
from __future__ import annotations

import pytest

from graph.penalties import extract
from ingest.parse import parse_text

DEMO = """# 示例法

## 第一章 总则

第一条 处理者应当遵守本法。
第二条 处理者应当告知下列事项：
（一）名称；
（二）目的；
（三）方式。
前款第二项至第三项事项变更的，应当告知。
依照前两款规定告知的，应当留存记录。
第三条 第一条和第二条第三款的规定，适用于受托人。

## 第二章 法律责任

第四条 违反本法第一条、第二条第一款规定的，由主管部门责令改正，处一万元以下罚款。
违反本条第一款规定，情节严重的，依照本法第一条规定处罚。
第五条 有下列情形之一的，责令改正：
（一）违反本法第一条至第三条规定的；
（二）违反《示例法》第二条第一款第（二）项规定的；
（三）违反《中华人民共和国刑法》第一条规定的。
"""


def _doc(text=DEMO, **meta):
    meta = {"id": "demo", "title": "示例法", "level": "law", "version": "2024-01-01", **meta}
    return parse_text(text, file_name=f"{meta['id']}.md", meta=meta)


def _edges(res, kind, src=None):
    return {(e["src"], e["dst"]) for e in res.edges if e["type"] == kind and (src is None or e["src"] == src)}


@pytest.fixture(scope="module")
def demo():
    return extract([_doc()])


def test_list_of_articles_with_a_paragraph(demo):
    assert _edges(demo, "CITES", "demo/art4/p1") == {("demo/art4/p1", "demo/art1"), ("demo/art4/p1", "demo/art2/p1")}


def test_earlier_paragraph_items_range(demo):
    assert _edges(demo, "CITES", "demo/art2/p2") == {("demo/art2/p2", "demo/art2/p1/i2"),
                                                     ("demo/art2/p2", "demo/art2/p1/i3")}


def test_previous_two_paragraphs(demo):
    assert _edges(demo, "CITES", "demo/art2/p3") == {("demo/art2/p3", "demo/art2/p1"), ("demo/art2/p3", "demo/art2/p2")}


def test_bare_article_numbers_are_the_same_document(demo):
    assert _edges(demo, "CITES", "demo/art3/p1") == {("demo/art3/p1", "demo/art1"), ("demo/art3/p1", "demo/art2/p3")}


def test_article_range_is_expanded_and_items_are_the_source(demo):
    assert _edges(demo, "CITES", "demo/art5/p1/i1") == {("demo/art5/p1/i1", f"demo/art{n}") for n in (1, 2, 3)}
    # the lead-in paragraph holds no reference of its own
    assert not _edges(demo, "CITES", "demo/art5/p1")


def test_a_document_citing_itself_by_title(demo):
    assert _edges(demo, "CITES", "demo/art5/p1/i2") == {("demo/art5/p1/i2", "demo/art2/p1/i2")}


def test_unknown_instrument_is_reported_not_linked(demo):
    assert not _edges(demo, "CITES", "demo/art5/p1/i3")
    assert any(u["src"] == "demo/art5/p1/i3" and "刑法" in u["text"] for u in demo.unresolved)


def test_penalizes_the_sanctioned_conduct_only(demo):
    pen = _edges(demo, "PENALIZES")
    assert ("demo/art4/p1", "demo/art1") in pen and ("demo/art4/p1", "demo/art2/p1") in pen
    assert {("demo/art5/p1/i1", f"demo/art{n}") for n in (1, 2, 3)} <= pen
    # 依照本法第一条规定处罚 names the measure, and 本条第一款 is itself a penalty clause: CITES, not PENALIZES
    assert not _edges(demo, "PENALIZES", "demo/art4/p2")
    assert ("demo/art4/p2", "demo/art1") in _edges(demo, "CITES")
    # obligations outside the liability chapter are never penalty provisions
    assert not any(src.startswith(("demo/art1", "demo/art2", "demo/art3")) for src, _ in pen)


def test_other_instrument_resolves_to_the_current_version_and_flags_older_citers():
    old = _doc("# 条例\n\n第一条 旧文。\n第二条 旧文二。\n", id="reg-2020", title="示例条例（2020年修订）",
               level="administrative_regulation", version="2020-01-01")
    new = _doc("# 条例\n\n第一条 新文。\n第二条 新文二。\n", id="reg-2024", title="示例条例（2024年修订）",
               level="administrative_regulation", version="2024-01-01")
    old.document.instrument = new.document.instrument = "reg"
    old.document.current = False
    rule = _doc("# 办法\n\n第一条 依照《示例条例》第二条的规定执行。\n第二条 见示例条例第一条。\n", id="rule",
                title="示例办法", level="departmental_rule", version="2022-01-01")
    res = extract([old, new, rule])
    cites = {e["src"]: e for e in res.edges if e["type"] == "CITES"}
    assert cites["rule/art1/p1"]["dst"] == "reg-2024/art2"
    assert cites["rule/art1/p1"]["props"]["numbering_may_differ"] is True  # written in 2022 against a 2024 text
    assert cites["rule/art2/p1"]["dst"] == "reg-2024/art1"  # an unbracketed title works too
    # the old version citing its own instrument stays inside itself
    self_cite = _doc("# 条例\n\n第一条 旧文。\n第二条 依照《示例条例》第一条。\n", id="reg-2020",
                     title="示例条例（2020年修订）", level="administrative_regulation", version="2020-01-01")
    self_cite.document.instrument = "reg"
    self_cite.document.current = False
    res = extract([self_cite, new])
    assert _edges(res, "CITES", "reg-2020/art2/p1") == {("reg-2020/art2/p1", "reg-2020/art1")}


# -- the real corpus ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_refs():
    from ingest.pipeline import ingest_paths

    res = ingest_paths(None, progress=False)
    assert not res.errors
    return extract(res.documents)


def test_dsl_45_penalizes_27_29_30(corpus_refs):
    assert _edges(corpus_refs, "PENALIZES", "dsl/art45/p1") == {("dsl/art45/p1", f"dsl/art{n}") for n in (27, 29, 30)}


def test_pipl_30_cites_17_first_paragraph(corpus_refs):
    assert ("pipl/art30/p1", "pipl/art17/p1") in _edges(corpus_refs, "CITES")


def test_pipl_13_second_paragraph_cites_items_two_to_seven(corpus_refs):
    assert _edges(corpus_refs, "CITES", "pipl/art13/p2") == {("pipl/art13/p2", f"pipl/art13/p1/i{n}")
                                                             for n in range(2, 8)}


def test_network_data_regulation_cites_pipl_by_title(corpus_refs):
    e = next(e for e in corpus_refs.edges if e["src"] == "network-data-reg/art26/p1" and e["type"] == "CITES")
    assert e["dst"] == "pipl/art53" and e["props"]["external"] is True


def test_spc_interpretation_cites_the_civil_code_book_that_has_the_article(corpus_refs):
    assert ("spc-medical-damage-interp/art4/p1", "civil-code-tort/art1218") in _edges(corpus_refs, "CITES")
    assert ("spc-face-recognition-rules/art3/p1", "civil-code-personality/art998") in _edges(corpus_refs, "CITES")


def test_each_version_of_an_instrument_cites_itself(corpus_refs):
    for doc in ("mdsr-2021", "mdsr-2024", "csl-2016", "csl-2025"):
        own = [e for e in corpus_refs.edges if e["src"].startswith(doc + "/") and e["type"] == "CITES"
               and not e["props"].get("external")]
        assert own and all(e["dst"].startswith(doc + "/") for e in own), doc


def test_penalty_links_come_from_liability_chapters(corpus_refs):
    pen = [e for e in corpus_refs.edges if e["type"] == "PENALIZES"]
    assert len(pen) > 80
    assert not any(e["dst"].startswith(e["src"].split("/")[0] + "/") and e["dst"] == e["src"] for e in pen)


def test_official_english_references(corpus_refs):
    cites = _edges(corpus_refs, "CITES")
    assert ("pipl.en/art30/p1", "pipl.en/art17/p1") in cites  # "the first paragraph of Article 17 of this Law"
    assert {("pipl.en/art45/p1", "pipl.en/art18/p1"), ("pipl.en/art45/p1", "pipl.en/art35")} <= cites
    assert {("pipl.en/art60/p3", "pipl.en/art60/p1"), ("pipl.en/art60/p3", "pipl.en/art60/p2")} <= cites
    assert _edges(corpus_refs, "CITES", "pipl.en/art13/p2") == {("pipl.en/art13/p2", f"pipl.en/art13/p1/i{n}")
                                                                for n in range(2, 8)}
    # another instrument by its English title: its official English text
    assert ("network-data-reg.en/art26/p1", "pipl.en/art53") in cites
    # "Article 12, Articles 16 to 20, Article 22, paragraphs 1 and 2 of Article 40, Article 41, or Article 42 of
    # these Regulations" in the liability chapter: the same sanctioned clauses as the Chinese text
    en = {d.split("/", 1)[1] for _, d in _edges(corpus_refs, "PENALIZES", "network-data-reg.en/art55/p1")}
    zh = {d.split("/", 1)[1] for _, d in _edges(corpus_refs, "PENALIZES", "network-data-reg/art55/p1")}
    assert en == zh and {"art12", "art16", "art20", "art40/p1", "art40/p2", "art42"} <= en


def test_an_inserted_article_is_cited_as_itself_not_as_its_base_article():
    """第二条之一 (id art2-1) and 第二条 are different articles; 前款 inside the inserted article stays inside it."""
    from graph.references import Reader

    pd = parse_text("# 示范法\n\n第一条 甲。\n\n第二条 乙。\n第二款。\n\n第二条之一 丙。\n违反前款规定的，依照本法第二条之一处理。\n\n"
                    "第三条 违反本法第二条、第二条之一第一款规定的，罚款。\n", file_name="x.md",
                    meta={"id": "x", "title": "示范法"})
    edges = sorted((c.src.id, c.dst) for c in Reader([pd]).citations(pd))
    assert edges == [("x/art2-1/p2", "x/art2-1"), ("x/art2-1/p2", "x/art2-1/p1"),
                     ("x/art3/p1", "x/art2"), ("x/art3/p1", "x/art2-1/p1")]
