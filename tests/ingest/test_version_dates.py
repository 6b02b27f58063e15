"""Which version is in force on a date (ingest.versions.in_force_on) and how an "as of" date is read (parse_day,
qa.text.date_in_question): the pure rules behind --as-of, checked on the corpus's own version dates."""
from __future__ import annotations

import pytest

from ingest.model import Document
from ingest.versions import in_force_on, parse_day


def _doc(id_, inst, eff, status="in_force", lang="zh", **kw):
    return Document(id=id_, instrument=inst, title=id_, short_title=id_, effective=eff, status=status, lang=lang, **kw)


DOCS = [
    _doc("mdsr-2021", "mdsr", "2021-06-01", "amended"), _doc("mdsr-2024", "mdsr", "2025-01-20"),
    _doc("csl-2016", "csl", "2017-06-01", "amended"), _doc("csl-2025", "csl", "2026-01-01"),
    _doc("network-data-reg", "network-data-reg", "2025-01-01"),
    _doc("network-data-reg.en", "network-data-reg", "2025-01-01", lang="en", translation_of="network-data-reg"),
    _doc("guideline", "guideline", None),  # no date at all: taken as in force
    _doc("bill", "bill", "2020-01-01", "draft"),
]


@pytest.mark.parametrize("day, expect", [
    ("2023-06-01", {"mdsr-2021": "in_force", "mdsr-2024": "not_yet", "csl-2016": "in_force", "csl-2025": "not_yet",
                    "network-data-reg": "not_yet", "network-data-reg.en": "not_yet"}),
    ("2025-06-01", {"mdsr-2021": "superseded", "mdsr-2024": "in_force", "csl-2016": "in_force",
                    "csl-2025": "not_yet", "network-data-reg": "in_force", "network-data-reg.en": "in_force"}),
    ("2026-06-01", {"mdsr-2021": "superseded", "mdsr-2024": "in_force", "csl-2016": "superseded",
                    "csl-2025": "in_force"}),
    # the day a version takes effect it is the one in force
    ("2025-01-20", {"mdsr-2021": "superseded", "mdsr-2024": "in_force"}),
    ("2025-01-19", {"mdsr-2021": "in_force", "mdsr-2024": "not_yet"}),
])
def test_the_version_in_force_on_a_day(day, expect):
    st = in_force_on(DOCS, day)
    for doc, standing in expect.items():
        assert st[doc] == standing, (day, doc)
    assert st["guideline"] == "in_force" and st["bill"] == "draft"


def test_every_corpus_instrument_has_one_version_in_force_today(corpus_result):
    docs = [pd.document for pd in corpus_result.documents]
    st = in_force_on(docs, "2026-12-01")
    by_inst: dict[str, list[str]] = {}
    for d in docs:
        if d.lang == "zh":
            by_inst.setdefault(d.instrument, []).append(st[d.id])
    assert all(v.count("in_force") == 1 for v in by_inst.values()), by_inst
    assert st["mdsr-2024"] == st["csl-2025"] == st["hgr-2024"] == "in_force"
    assert st["mdsr-2021"] == st["csl-2016"] == st["hgr-2019"] == "superseded"
    assert st["pipl.en"] == "in_force"
    earlier = in_force_on(docs, "2023-06-01")
    assert earlier["hgr-2019"] == earlier["mdsr-2021"] == earlier["csl-2016"] == "in_force"
    assert earlier["network-data-reg"] == earlier["network-data-reg.en"] == "not_yet"


@pytest.mark.parametrize("value, iso", [("2025-06-01", "2025-06-01"), ("2025-6-1", "2025-06-01"),
                                        ("2024-02", "2024-02-29"), ("2023", "2023-12-31"),
                                        ("2023年6月1日", "2023-06-01"), (None, None), ("  ", None)])
def test_as_of_forms(value, iso):
    assert parse_day(value) == iso


@pytest.mark.parametrize("value, says", [("2025-02-30", "does not exist"), ("June 2025", "YYYY-MM-DD"),
                                         ("20250601x", "is not a date")])
def test_bad_as_of_names_the_value_and_the_form(value, says):
    with pytest.raises(ValueError) as e:
        parse_day(value)
    assert repr(value) in str(e.value) and says in str(e.value)


@pytest.mark.parametrize("q, iso", [
    ("2023年6月1日医院上线AI辅助诊断软件，需要取得注册证吗？", "2023-06-01"),
    ("On 1 June 2023 a hospital deployed unregistered software: was that allowed?", "2023-06-01"),
    ("As of March 2024, must a registrant report adverse events?", "2024-03-31"),
    ("截至2025年，网络运营者收集个人信息应遵循什么原则？", "2025-12-31"),
    ("2024年修订的医疗器械监督管理条例有什么变化？", None),  # a version year, not a date
    ("处理敏感个人信息需要单独同意吗？", None),
])
def test_a_date_the_question_names(q, iso):
    from qa.text import date_in_question

    assert date_in_question(q) == iso
