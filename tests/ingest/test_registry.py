"""corpus/registry.yaml: complete for the corpus and the README's missing list, consistent, honest about doubt."""
from __future__ import annotations

import re
import typing
from urllib.parse import urlparse

import corpus
from ingest import registry
from ingest.model import Level, Status

OFFICIAL_HOSTS = {"flk.npc.gov.cn", "www.npc.gov.cn", "www.gov.cn", "www.cac.gov.cn", "www.nmpa.gov.cn",
                  "www.cmde.org.cn", "www.nhc.gov.cn", "std.samr.gov.cn", "www.samr.gov.cn", "www.most.gov.cn",
                  "www.court.gov.cn"}
# the README's "Still missing" list, as titles (checked below to still be in the README)
README_MISSING = ["人工智能生成合成内容标识办法", "促进和规范数据跨境流动规定", "科技伦理审查办法（试行）",
                  "涉及人的生命科学和医学研究伦理审查办法", "互联网诊疗监管细则（试行）", "互联网诊疗管理办法（试行）",
                  "互联网医院管理办法（试行）", "远程医疗服务管理规范（试行）", "医疗机构病历管理规定",
                  "医疗卫生机构网络安全管理办法", "国家健康医疗大数据标准、安全和服务管理办法（试行）",
                  "医疗器械不良事件监测和再评价管理办法", "人工智能医疗器械注册审查指导原则",
                  "人工智能医用软件产品分类界定指导原则", "深度学习辅助决策医疗器械软件审评要点",
                  "人工智能辅助诊断技术管理规范", "人工智能辅助治疗技术管理规范", "医疗机构临床决策支持系统应用管理规范（试行）",
                  "GB/T 45654-2025"]


def test_every_corpus_file_is_registered(manifest):
    for row in manifest:
        inst = registry.instrument_of(row["id"])
        assert inst is not None, row["id"]
        if row["lang"] == "en":
            assert f"{row['id']}.en" in registry.instruments()[inst].get("translations", [])
    assert registry.instrument_of("mdsr-2021") == registry.instrument_of("mdsr-2024") == "mdsr"
    assert registry.instrument_of("pipl.en") == "pipl"


def test_readme_missing_instruments_are_registered():
    readme = (corpus.corpus_dir() / "README.md").read_text(encoding="utf-8")
    missing_section = readme.split("Still missing", 1)[1]
    for title in README_MISSING:
        bare = re.sub(r"（试行）$", "", title)
        written = {bare, bare.replace("辅助诊断", "辅助诊断/治疗"), bare.replace("辅助治疗", "辅助诊断/治疗")}
        assert any(w in missing_section for w in written) or "GB/T" in title, title
        assert registry.match_title(title) is not None, title


def test_entries_are_complete_and_valid():
    levels, statuses = set(typing.get_args(Level)), set(typing.get_args(Status))
    for key, e in registry.instruments().items():
        for f in ("title", "short_title", "title_en", "level", "issuer", "status", "source_url", "topics", "versions"):
            assert e.get(f), (key, f)
        assert e["level"] in levels, key
        assert e["status"] in statuses, key
        url = urlparse(e["source_url"])
        assert url.scheme == "https" and url.netloc in OFFICIAL_HOSTS, (key, e["source_url"])
        if url.path in ("", "/"):
            assert "search" in (e.get("note") or "") or "home" in (e.get("note") or ""), key  # says it is not exact
        if e.get("unverified_fields"):
            assert e.get("unverified") is True, key
            assert set(e["unverified_fields"]) <= {"doc_number", "promulgated", "effective", "issuer", "status"}
        for d in ("promulgated", "effective"):
            assert e.get(d) is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", e[d]), (key, d)
        assert all(v.get("id") for v in e["versions"]), key


def test_registry_agrees_with_the_corpus_front_matter(corpus_result):
    for pd in corpus_result.documents:
        d = pd.document
        if d.lang != "zh":
            continue
        v = registry.version_entry(d.id)
        assert v is not None, d.id
        for f in ("version", "effective", "status"):
            if v.get(f) and getattr(d, f):
                assert str(v[f]) == getattr(d, f), (d.id, f)
        e = registry.instruments()[registry.instrument_of(d.id)]
        assert e["level"] == d.level, d.id


def test_titles_and_aliases_resolve():
    assert registry.match_title("中华人民共和国个人信息保护法") == "pipl"
    assert registry.match_title("医疗器械监督管理条例（2021年修订）") == "mdsr"
    assert registry.match_title("PIPL") == "pipl"
    assert registry.match_title("数安法") == "dsl"
    assert registry.match_title("不存在的办法") is None


def test_status_table_and_question_matching(corpus_result):
    loaded = {pd.document.id for pd in corpus_result.documents}
    rows = {r["id"]: r for r in registry.status_table(loaded)}
    assert rows["mdsr"]["loaded"] and rows["mdsr"]["loaded_versions"] == ["mdsr-2021", "mdsr-2024"]
    assert rows["aigc-labelling-measures"]["loaded"] is False and rows["aigc-labelling-measures"]["unverified"]
    assert sum(r["loaded"] for r in rows.values()) == len(rows) - len(corpus_result.missing_instruments)
    # the two instruments added to the corpus folder show as loaded
    for key in ("cii-regulation", "pi-compliance-audit"):
        assert rows[key]["loaded"] and rows[key]["loaded_versions"] == [key], key

    top = registry.mentioned_instruments("人工智能生成合成内容标识办法对显式标识有什么要求？")
    assert top[0][0] == "aigc-labelling-measures" and "显式标识" in top[0][2]
    internet = registry.mentioned_instruments("互联网医院能否用人工智能开具处方？互联网诊疗有何限制")
    assert internet[0][0] == "internet-diagnosis-supervision-rules"
    assert registry.mentioned_instruments("What does the PIPL say about consent?")[0][0] == "pipl"
    assert registry.mentioned_instruments("今天天气不错") == []
