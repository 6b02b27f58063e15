"""What a register row is made of: one duty per row, list contents as elements, regulators' powers, conditions kept,
keys that survive a re-extraction and a new version (real corpus texts, no store)."""
from __future__ import annotations

import pytest

from tests.obligations.conftest import parse_corpus_file, parse_law


@pytest.fixture(scope="module")
def obs():
    from graph.obligations import extract

    r = extract([parse_corpus_file(d) for d in ("pipl", "md-recall", "mdsr-2024", "mdsr-2021")])
    return r.obligations


def _at(obs, pid):
    return [o for o in obs if o.provision_id == pid or o.provision_id.startswith(pid + "/")]


def test_notice_contents_are_elements_of_one_duty_not_duties(obs):
    art17 = _at(obs, "pipl/art17/p1")
    assert len(art17) == 1 and art17[0].modality == "obligation" and art17[0].actors == ["pi-handler"]
    assert art17[0].element_ids == [f"pipl/art17/p1/i{i}" for i in range(1, 5)]
    # PIPL 57: 个人可以采取的减轻危害的措施 is a content of the notice, not a permission of the individual
    assert not any(o.modality == "permission" for o in _at(obs, "pipl/art57/p1"))
    notice = [o for o in _at(obs, "pipl/art57/p1") if o.elements]
    assert notice and any("个人可以采取的减轻危害的措施" in e for e in notice[0].elements)


def test_report_contents_are_not_duties_and_the_bearer_comes_from_the_text(obs):
    # 《医疗器械召回管理办法》第十七条: the report's contents (召回分级, 预期效果) are elements; the rules speak to 生产企业
    art17 = _at(obs, "md-recall/art17")
    assert not any(o.text.startswith(("召回分级", "召回的预期效果")) for o in art17)
    assert any(o.elements and o.actors == ["md-manufacturer"] for o in art17)


def test_cases_of_a_duty_are_its_condition(obs):
    lead = [o for o in _at(obs, "pipl/art47/p1") if o.provision_id == "pipl/art47/p1"]
    assert {o.modality for o in lead} == {"obligation", "right"}
    assert all(len(o.element_ids) == 5 and o.condition for o in lead)
    assert not [o for o in _at(obs, "pipl/art47/p1") if "/i" in o.provision_id]


def test_a_regulators_may_is_a_power_and_names_no_one_the_text_does_not(obs):
    art19 = _at(obs, "mdsr-2024/art19")
    assert art19 and all(o.regulator_duty and o.modality == "power" for o in art19)
    assert not any("人民政府" in o.requirement_zh for o in art19)  # the text names no 人民政府


def test_an_exception_stays_with_the_clause_it_qualifies(obs):
    # PIPL 13(2): 但是有前款第二项至第七项规定情形的 is the condition of 不需取得个人同意, not the tail of the consent duty
    exempt = [o for o in _at(obs, "pipl/art13/p2") if o.modality == "permission"]
    assert exempt and exempt[0].text.startswith("但是有前款第二项至第七项规定情形的")
    assert "有前款第二项至第七项规定情形的" in exempt[0].requirement_zh


def test_requirement_keeps_the_condition(obs):
    (o,) = _at(obs, "pipl/art28/p2")
    assert o.requirement_zh.startswith("只有在具有特定的目的和充分的必要性，并采取严格保护措施的情形下")
    assert "方可处理敏感个人信息" in o.requirement_zh and o.requirement_en == ""


def test_keys_are_stable_and_follow_an_unchanged_clause_into_the_next_version(obs):
    from graph.obligations import extract

    again = {o.id: o.key for o in extract([parse_corpus_file("mdsr-2024")]).obligations}
    assert again == {o.id: o.key for o in obs if o.doc_id == "mdsr-2024"}
    keys21 = {o.key for o in obs if o.doc_id == "mdsr-2021"}
    keys24 = {o.key for o in obs if o.doc_id == "mdsr-2024"}
    assert all(k.startswith("mdsr:") for k in keys21 | keys24)
    assert len(keys21 & keys24) > 0.5 * len(keys24)  # most clauses did not change between the two versions
    assert len({o.key for o in obs}) == len({(o.doc_id, o.key) for o in obs}) - len(keys21 & keys24)


def test_one_row_per_duty_of_a_paragraph():
    from graph.obligations import extract

    pd = parse_law("第一条　经营者应当建立台账。经营者应当保存记录。经营者不得销售过期产品。\n", "regrow")
    obs = extract([pd]).obligations
    assert [o.modality for o in obs] == ["obligation", "prohibition"]
    assert obs[0].text == "经营者应当建立台账。经营者应当保存记录。"


def test_a_users_own_law_gets_its_bearer_from_its_own_text():
    from graph.obligations import extract

    pd = parse_law("第一条　医疗器械经营企业应当建立进货查验记录制度。\n第二条　医疗器械经营企业应当如实记录销售情况。\n"
                   "第三条　销售记录应当保存至医疗器械有效期满后2年。\n", "my-own-rules")
    (art3,) = [o for o in extract([pd]).obligations if o.provision_id.startswith("my-own-rules/art3")]
    assert art3.actors == ["md-distributor"]  # the party the text speaks to, not a default by id
