"""Answers "as of" a date: the version in force that day is the one quoted (MDSR 2021 before 2025-01-20, MDSR 2024
after; CSL 2016 before 2026-01-01 with its own numbering, CSL 2025 after), the answer says which version and date
it relies on, a later version is named as coming into force, and a date in the question works like --as-of."""
from __future__ import annotations

import pytest

CSL_Q = "网络运营者收集、使用个人信息应当遵循什么原则？"
MDSR_Q = "医疗器械注册人应当如何开展不良事件监测？"


def _docs(res):
    return {c.doc_id for c in res.citations}


@pytest.mark.parametrize("day, doc, article", [("2025-06-01", "csl-2016", "《网络安全法》第四十一条"),
                                               ("2026-06-01", "csl-2025", "《网络安全法》第四十三条")])
def test_csl_question_cites_the_version_and_numbering_in_force(answerer, day, doc, article):
    res = answerer.ask(CSL_Q, as_of=day)
    assert not res.abstained and res.as_of == day
    assert res.citations[0].doc_id == doc and res.citations[0].citation.startswith(article)
    assert not {"csl-2016", "csl-2025"} - {doc} & _docs(res)  # never the other version
    assert article in res.conclusion
    assert all(c.current for c in res.citations)  # "current" means in force on the as-of date
    assert res.notes[0].startswith(f"以{day}为准：依据当日有效的《中华人民共和国网络安全法》")


def test_a_version_not_yet_in_force_is_named_with_its_date(answerer):
    res = answerer.ask(CSL_Q, as_of="2025-06-01")
    assert any("（2025年修正）自2026-01-01起施行，2025-06-01尚未施行" in n for n in res.notes), res.notes


@pytest.mark.parametrize("day, doc", [("2023-06-01", "mdsr-2021"), ("2025-06-01", "mdsr-2024")])
def test_mdsr_question_cites_the_version_in_force(answerer, day, doc):
    res = answerer.ask(MDSR_Q, as_of=day)
    mdsr = {d for d in _docs(res) if d.startswith("mdsr")}
    assert mdsr == {doc}, res.citations
    assert "versions" in res.model_dump() and doc in res.versions


def test_without_a_date_the_current_versions_answer(answerer):
    res = answerer.ask(CSL_Q)
    assert res.as_of is None and res.citations[0].doc_id == "csl-2025"


def test_a_date_in_the_question_is_the_as_of_date(answerer):
    res = answerer.ask("2025年6月1日，网络运营者收集、使用个人信息应当遵循什么原则？")
    assert res.as_of == "2025-06-01" and res.citations[0].doc_id == "csl-2016"
    en = answerer.ask("As of 1 June 2025, what principles must a network operator follow when collecting personal "
                      "information?")
    assert en.as_of == "2025-06-01" and "csl-2025" not in _docs(en)
    assert en.notes[0].startswith("As of 2025-06-01: relies on the versions then in force")


def test_an_instrument_not_yet_in_force_is_left_out_and_said(retriever, answerer):
    from qa.service import search_with

    q = "网络数据处理者提供个性化推荐服务应当遵守什么规定？"
    today = search_with(retriever, q, k=5)
    assert any(r.doc_id == "network-data-reg" for r in today.results)  # in force since 2025-01-01
    then = search_with(retriever, q, k=5, as_of="2023-06-01")
    assert then.as_of == "2023-06-01"
    assert all(r.doc_id != "network-data-reg" for r in then.results)
    assert "网络数据安全管理条例" in then.not_yet
    assert all(r.standing == "in_force" for r in then.results)
    res = answerer.ask(q, as_of="2023-06-01")
    assert "network-data-reg" not in _docs(res)
    assert any("《网络数据安全管理条例》" in n and "2025-01-01起施行" in n for n in res.notes), res.notes


def test_a_malformed_as_of_is_an_error_naming_it(answerer):
    with pytest.raises(ValueError, match="'2025-02-30'"):
        answerer.ask(CSL_Q, as_of="2025-02-30")
