"""Per-article version comparison. The expected lists were computed independently of ingest.diff (a difflib script
over the raw files, articles split on 第X条 lines, whitespace removed) and checked by eye against the texts."""
from __future__ import annotations

from ingest.diff import diff_documents


def test_mdsr_2021_to_2024_lists_exactly_the_changed_articles(corpus_result):
    d = diff_documents(corpus_result.get("mdsr-2021"), corpus_result.get("mdsr-2024"))
    assert d.changed == [19, 103]
    assert d.added == [] and d.removed == []
    assert d.unchanged == 105
    art19, art103 = d.changes
    assert art19.citation == "《医疗器械监督管理条例》第十九条"
    assert [s for s in art19.segments if s[0] != "equal"] == [("insert", "、国务院疾病预防控制部门")]
    assert [s for s in art103.segments if s[0] != "equal"] == [("delete", "计划生育技术服务机构、")]
    assert "国务院卫生主管部门{+、国务院疾病预防控制部门+}根据" in art19.marked()


def test_csl_2016_to_2025_adds_articles_80_and_81(corpus_result):
    d = diff_documents(corpus_result.get("csl-2016"), corpus_result.get("csl-2025"))
    assert d.added == [80, 81] and d.removed == []
    assert len(d.changed) == 77  # the amendment inserted articles, so most later numbers carry other text


def test_hgr_2019_to_2024_changed_articles(corpus_result):
    d = diff_documents(corpus_result.get("hgr-2019"), corpus_result.get("hgr-2024"))
    assert d.changed == [4, 5, 9, 11, 14, 15, 17, 21, 22, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39,
                         40, 41, 42, 43, 45]
    assert d.added == [] and d.removed == []
    art4 = d.changes[0]
    assert ("delete", "科学技术行政") in art4.segments and ("insert", "卫生健康主管") in art4.segments


def test_whitespace_only_changes_are_not_changes(corpus_result):
    pd = corpus_result.get("dsl")
    rewrapped = pd.model_copy(deep=True)
    for p in rewrapped.provisions:
        p.text = p.text.replace("，", "，\n ")
    assert diff_documents(pd, rewrapped).changes == []


def test_renumbered_articles_are_recognised(corpus_result):
    """The 2025 amendment of the Cybersecurity Law inserted articles: most 'changed' numbers carry an old text."""
    d = diff_documents(corpus_result.get("csl-2016"), corpus_result.get("csl-2025"))
    by_num = {c.article: c for c in d.changes}
    assert (by_num[81].kind, by_num[81].from_old, by_num[81].from_old_identical) == ("added", 79, True)
    assert (by_num[4].from_old, by_num[4].from_old_identical) == (3, True)
    assert by_num[3].from_old is None  # article 3 itself was rewritten, not moved
    moved = [c.article for c in d.changes if c.from_old_identical]
    assert 55 <= len(moved) <= 70
    mdsr = diff_documents(corpus_result.get("mdsr-2021"), corpus_result.get("mdsr-2024"))
    assert [c.from_old for c in mdsr.changes] == [None, None]  # edits in place
