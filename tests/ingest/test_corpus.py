"""The real corpus: every file ingests, counts match MANIFEST.tsv, pinpoint citations and links are exact."""
from __future__ import annotations

from ingest.model import ParsedDocument


def _doc_key(pd: ParsedDocument) -> tuple[str, str]:
    d = pd.document
    return (d.translation_of or d.id, d.lang)


def test_every_corpus_file_ingests_without_errors(corpus_result, manifest):
    assert [str(e) for e in corpus_result.errors] == []
    assert len(corpus_result.documents) == len(manifest) >= 41  # follows MANIFEST.tsv as instruments arrive
    got = {_doc_key(pd) for pd in corpus_result.documents}
    assert got == {(row["id"], row["lang"]) for row in manifest}


def test_article_and_section_counts_equal_manifest(corpus_result, manifest):
    by_key = {_doc_key(pd): pd for pd in corpus_result.documents}
    checked = 0
    for row in manifest:
        pd = by_key[(row["id"], row["lang"])]
        if row["articles"].startswith("sections"):
            top = [p for p in pd.provisions if p.kind == "section" and p.parent_id is None]
            assert len(top) == int(row["articles"].split()[1]), row["id"]
            assert pd.articles() == []
        else:
            arts = pd.articles()
            assert len(arts) == int(row["articles"]), (row["id"], row["lang"])
            nums = [a.number for a in arts]
            assert nums == list(range(nums[0], nums[0] + len(nums))), row["id"]  # contiguous
        checked += 1
    assert checked == len(manifest)


def test_pipl_article_13_has_seven_items(corpus_result):
    pipl = corpus_result.get("pipl")
    items = [p for p in pipl.provisions if p.kind == "item" and p.article == 13]
    assert [p.number for p in items] == [1, 2, 3, 4, 5, 6, 7]
    assert all(p.parent_id == "pipl/art13/p1" for p in items)
    assert items[0].text == "（一）取得个人的同意；"


def test_pipl_article_29_citation_is_exact(corpus_result):
    art = corpus_result.get("pipl").get("pipl/art29")
    assert art.citation == "《个人信息保护法》第二十九条"
    assert art.text.startswith("处理敏感个人信息应当取得个人的单独同意")


def test_pipl_13_1_3_pinpoint_exists(corpus_result):
    item = corpus_result.get("pipl").get("pipl/art13/p1/i3")
    assert item is not None
    assert item.citation == "《个人信息保护法》第十三条第一款第（三）项"
    assert "履行法定职责或者法定义务所必需" in item.text


def test_civil_code_1223_sits_in_the_tort_book(corpus_result):
    doc = corpus_result.get("civil-code-tort")
    art = doc.get("civil-code-tort/art1223")
    assert art.citation == "《民法典》第一千二百二十三条"
    assert art.path == ["侵权责任编", "第六章 医疗损害责任"]
    assert art.text.startswith("因药品、消毒产品、医疗器械的缺陷")


def test_english_pipl_29_links_to_chinese_29(corpus_result):
    en = corpus_result.get("pipl.en")
    assert en.document.translation_of == "pipl" and en.document.lang == "en"
    assert ("pipl.en/art29", "pipl/art29") in corpus_result.translation_links
    assert en.get("pipl.en/art29").text.startswith("For the processing of sensitive personal information, individual's separate consent")
    links = dict(corpus_result.translation_links)
    assert links["pipl.en/art13/p1/i3"] == "pipl/art13/p1/i3"
    # every English article of both official translations is linked to its Chinese article
    en_articles = [p.id for pd in corpus_result.documents if pd.document.lang == "en" for p in pd.articles()]
    assert len(en_articles) == 74 + 64
    assert all(a in links for a in en_articles)


def test_versions_both_kept_newest_in_force_current(corpus_result):
    cur = {pd.document.id: (pd.document.instrument, pd.document.current) for pd in corpus_result.documents}
    assert cur["mdsr-2021"] == ("mdsr", False) and cur["mdsr-2024"] == ("mdsr", True)
    assert cur["csl-2016"] == ("csl", False) and cur["csl-2025"] == ("csl", True)
    assert cur["hgr-2019"] == ("hgr", False) and cur["hgr-2024"] == ("hgr", True)
    assert cur["pipl"] == ("pipl", True) and cur["pipl.en"] == ("pipl", True)
    assert cur["medical-institutions-reg-2022"] == ("medical-institutions-reg", True)
    non_current = sorted(k for k, (_, c) in cur.items() if not c)
    assert non_current == ["csl-2016", "hgr-2019", "mdsr-2021"]


def test_documents_keep_metadata_and_history(corpus_result):
    d = corpus_result.get("pipl").document
    assert (d.title, d.short_title, d.level, d.issuer) == (
        "中华人民共和国个人信息保护法", "个人信息保护法", "law", "全国人民代表大会常务委员会")
    assert (d.doc_number, d.promulgated, d.effective, d.status, d.version) == (
        "中华人民共和国主席令第九十一号", "2021-08-20", "2021-11-01", "in_force", "2021-08-20")
    assert d.history == ["2021年8月20日 第十三届全国人民代表大会常务委员会第三十次会议通过"]
    assert d.source_file == "pipl.md" and len(d.sha256) == 64


def test_missing_instruments_are_reported(corpus_result):
    missing = {m["id"] for m in corpus_result.missing_instruments}
    for expected in ("aigc-labelling-measures", "cross-border-data-flow-provisions", "nmpa-ai-md-guideline",
                     "internet-diagnosis-supervision-rules", "md-adverse-event-measures", "gb-t-45654-2025",
                     "sci-tech-ethics-review-measures", "life-science-ethics-review-measures"):
        assert expected in missing
    loaded = {pd.document.instrument for pd in corpus_result.documents}
    assert not (missing & loaded)


def test_ids_are_stable_across_runs(corpus_result):
    from ingest.pipeline import ingest_file
    import corpus as c

    again, cached = ingest_file(c.corpus_dir() / "zh" / "mdsr-2024.md", use_cache=False)
    before = corpus_result.get("mdsr-2024")
    assert not cached
    assert [(p.id, p.citation, p.text) for p in again.provisions] == [(p.id, p.citation, p.text) for p in before.provisions]


def test_labelled_lines_under_an_item_stay_in_the_item(corpus_result):
    """医疗器械分类规则 第五条: item （三） ends with a colon and lists 无源接触人体器械：… lines; （四） is still an item
    of the article's only paragraph, so its citation has no 款 (it once came out as 第五条第五款第（四）项)."""
    doc = corpus_result.get("md-classification-rules")
    paras = [p for p in doc.provisions if p.kind == "paragraph" and p.article == 5]
    assert len(paras) == 1
    item4 = doc.get("md-classification-rules/art5/p1/i4")
    assert item4.citation == "《医疗器械分类规则》第五条第（四）项"
    assert item4.text.count("\n") == 4 and item4.text.endswith("重要影响。")
    assert "有源非接触人体器械：临床检验仪器设备" in doc.get("md-classification-rules/art5/p1/i3").text
