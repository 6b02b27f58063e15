"""The taxonomies and glossary: complete entries, lookups in both languages, closures and role overlaps."""
from __future__ import annotations

import pytest

from corpus import taxonomy


@pytest.mark.parametrize("tax", [taxonomy.actors(), taxonomy.stages(), taxonomy.regulators()], ids=lambda t: t.name)
def test_every_entry_is_bilingual_and_unambiguous(tax):
    for eid, e in tax.entries.items():
        assert eid.isascii() and eid == eid.lower() and " " not in eid
        assert e["zh"] and e["en"] and "aliases" in e and "broader" in e
    assert tax.conflicts == []  # no alias points at two entries


def test_required_actors_exist_with_their_chinese_names():
    a = taxonomy.actors()
    for zh, eid in [("医疗器械注册人", "md-registrant"), ("医疗器械备案人", "md-filer"), ("注册申请人", "md-applicant"),
                    ("医疗器械生产企业", "md-manufacturer"), ("医疗器械经营企业", "md-distributor"),
                    ("医疗器械使用单位", "md-user-institution"), ("医疗机构", "medical-institution"), ("医师", "physician"),
                    ("个人信息处理者", "pi-handler"), ("网络数据处理者", "network-data-handler"),
                    ("重要数据的处理者", "important-data-handler"), ("网络运营者", "network-operator"),
                    ("关键信息基础设施运营者", "ciio"), ("生成式人工智能服务提供者", "genai-provider"),
                    ("深度合成服务提供者", "deep-synthesis-provider"), ("算法推荐服务提供者", "algo-rec-provider"),
                    ("受托方", "entrusted-party"), ("患者", "patient"), ("药品上市许可持有人", "drug-mah")]:
        assert a.lookup(zh) == eid, zh


def test_lookup_accepts_id_chinese_english_and_aliases_case_insensitively():
    a = taxonomy.actors()
    assert a.lookup("md-registrant") == a.lookup("医疗器械注册人") == a.lookup("Medical Device Registrant") == "md-registrant"
    assert a.lookup("hospital") == "medical-institution"
    assert a.lookup("personal information handler") == "pi-handler"
    assert taxonomy.stages().lookup("上市后监测与不良事件") == "post-market"
    assert taxonomy.regulators().lookup("国务院药品监督管理部门") == "nmpa"


def test_unknown_actor_error_names_the_file_and_close_matches():
    with pytest.raises(ValueError) as e:
        taxonomy.actors().resolve("注册")
    assert "corpus/actors.yaml" in str(e.value) and "md-registrant" in str(e.value)


def test_broader_and_narrower_closures():
    a = taxonomy.actors()
    assert a.broader_closure("important-data-handler") == ["network-data-handler", "data-handler"]
    assert "important-data-handler" in a.narrower_closure("data-handler")
    assert set(a.narrower("md-registrant-filer")) >= {"md-registrant", "md-filer"}
    assert taxonomy.regulators().broader_closure("cmde") == ["nmpa", "drug-regulator"]


def test_role_overlaps_carry_their_reason():
    a = taxonomy.actors()
    inh = a.inherited("medical-institution")
    assert "个人信息处理者" in inh["pi-handler"] and "personal information processor" in inh["pi-handler"]
    assert "healthcare-institution" in inh and "md-user-institution" in inh
    gd = a.inherited("genai-diagnostic-provider")
    assert "genai-provider" in gd and "md-registrant" in gd and "medical device" in gd["md-registrant"]


def test_thirteen_lifecycle_stages_with_descriptions_and_cues():
    st = taxonomy.stages()
    assert len(st.ids()) == 13
    for e in st.entries.values():
        assert e["description"]["zh"] and e["description"]["en"] and e["cues"]["strong"]


def test_glossary_size_and_bilingual_lookups():
    g = taxonomy.glossary()
    assert len(g) >= 200
    assert g.en("单独同意") == "separate consent"
    assert g.en("去标识化") == "de-identification"
    assert g.en("变更注册") == "change registration"
    assert g.en("不良事件") == "adverse event"
    assert g.en("显著标识") == "conspicuous label"
    for variant in ("de-identify", "De-identification", "deidentified", "pseudonymised"):
        assert g.zh(variant) == "去标识化", variant


def test_english_question_maps_to_chinese_legal_terms():
    g = taxonomy.glossary()
    got = g.zh_terms_in_english("Does a hospital need separate consent to de-identify patient records for AI training data?")
    assert {"单独同意", "去标识化", "病历", "训练数据", "医疗机构"} <= set(got)
    assert g.zh_terms_in_english("What is the weather?") == []


def test_common_english_verbs_do_not_map_questions_but_translate_requirements():
    g = taxonomy.glossary()
    assert g.en("符合") == "comply with"
    got = g.zh_terms_in_english("Do we have to make a report and issue a notice?")
    assert got == ["报告", "告知"]  # not 具备 (have), 作出 (make) or 出具 (issue)
