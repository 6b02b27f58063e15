"""qa.vocab and the concept vocabulary files (corpus/concepts.yaml, corpus/concepts_mined.yaml). No graph server."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from corpus import corpus_dir, load_yaml
from qa import vocab

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "mine_term_pairs.py"
SECTIONS = ("lay_zh", "en_zh", "domain_generic", "domain")


def _mining_script():
    spec = importlib.util.spec_from_file_location("mine_term_pairs", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _needs_corpus():
    if not (corpus_dir() / "zh" / "pipl.md").exists():
        pytest.skip(f"corpus not found at {corpus_dir()} (set YIGUI_CORPUS)")


# ------------------------------------------------------------------------------------------------ the files


def test_every_entry_has_a_source():
    raw = load_yaml(vocab.CONCEPTS_FILE)
    for section in SECTIONS:
        assert raw.get(section), f"concepts.yaml has no {section}"
        for i, e in enumerate(raw[section]):
            assert isinstance(e.get("source"), str) and e["source"].strip(), f"{section}[{i}] {e} has no source"
    pairs = load_yaml(vocab.MINED_FILE)["pairs"]
    assert len(pairs) >= 100, len(pairs)
    for i, p in enumerate(pairs):
        assert p.get("source", "").startswith("aligned official translation"), f"pairs[{i}] {p}"
    vocab.load_concepts()  # the strict loader accepts the file as it is
    vocab.load_mined()


def test_lay_and_en_sources_use_the_accepted_forms():
    c = vocab.concepts()
    assert len(c.lay_zh) >= 40 and len(c.en_zh) >= 40 and len(c.domain_generic) >= 20
    for e in c.lay_zh:
        assert e.source.startswith(("definition: ", "registry alias", "taxonomy alias: actors.yaml ", "general: ")), e
    for e in c.en_zh:
        assert e.source.startswith(("definition: ", "registry alias", "taxonomy alias: actors.yaml ", "general: ",
                                    "aligned official translation")), e
    for e in c.domain_generic:
        assert e.source == "describes the product domain, not the legal issue", e


def test_no_duplicate_lay_or_en_entries():
    raw = load_yaml(vocab.CONCEPTS_FILE)
    lays = [e["lay"] for e in raw["lay_zh"]]
    assert len(lays) == len(set(lays)), sorted({x for x in lays if lays.count(x) > 1})
    ens = [" ".join(str(e["en"]).lower().split()) for e in raw["en_zh"]]
    assert len(ens) == len(set(ens)), sorted({x for x in ens if ens.count(x) > 1})
    for section in ("domain_generic", "domain"):
        keys = [(e["lang"], str(e["term"]).lower() if e["lang"] == "en" else e["term"]) for e in raw[section]]
        assert len(keys) == len(set(keys)), (section, sorted({k for k in keys if keys.count(k) > 1}))


def test_english_domain_words_are_whole_words_not_stems():
    # the old list matched prefixes ("medic", "diagnos", "ethic"); whole-word matching needs real words
    assert len(vocab.domain_words("en")) >= 40 and len(vocab.domain_generic("en")) >= 10
    for term in vocab.domain_words("en") + sorted(vocab.domain_generic("en")):
        assert re.fullmatch(r"[a-z][a-z\- ]*[a-z]", term), term
    for stem in ("medic", "diagnos", "ethic", "cyber security"):
        assert stem not in vocab.domain_words("en")


def test_mined_file_is_generated_and_names_its_inputs():
    head = (REPO / "corpus" / vocab.MINED_FILE).read_text(encoding="utf-8").split("\npairs:")[0]
    assert "scripts/mine_term_pairs.py" in head
    for f in ("zh/pipl.md", "en/pipl.md", "zh/network-data-reg.md", "en/network-data-reg.md"):
        assert f in head


def test_mined_pairs_include_the_core_terms():
    pairs = {(p.zh, en) for p in vocab.mined() for en in p.en}
    # The official NPC translation renders 个人信息处理者 as "personal information processor" (it never says
    # "handler"; the glossary keeps "personal information handler" as an alias for users who type it).
    assert ("个人信息处理者", "personal information processor") in pairs
    assert ("敏感个人信息", "sensitive personal information") in pairs
    assert ("个人信息", "personal information") in pairs
    by_zh = {p.zh: p for p in vocab.mined()}
    assert by_zh["个人信息处理者"].dice >= 0.9 and by_zh["个人信息处理者"].articles >= 3
    assert [p.zh for p in vocab.mined()] == sorted(p.zh for p in vocab.mined())  # deterministic order


# ------------------------------------------------------------------------------------------------ matching


@pytest.mark.parametrize("term, text, hit", [
    ("app", "Can I appeal the fine?", False),
    ("app", "Our app collects location data", True),
    ("app", "apps that collect location data", True),
    ("ai", "the air quality sensor", False),
    ("ai", "he said the device is safe", False),
    ("ai", "an AI diagnostic tool", True),
    ("ai", "AI-based triage", True),
    ("hospital", "Do hospitals need consent?", True),
    ("hospital", "a hospital's records", True),
    ("hospital", "hospitality industry", False),
    ("policy", "privacy policies", True),
    ("automated decision making", "automated decision-making about patients", True),
    ("label", "relabel the device", False),
])
def test_en_word_match(term, text, hit):
    assert vocab.en_word_match(term, text) is hit


# ------------------------------------------------------------------------------------------------ accessors


def test_accessors():
    lay = vocab.lay_zh()
    assert lay["病历"] == ["医疗健康", "敏感个人信息"] and lay["医院"] == ["医疗机构"]
    assert "会诊" not in lay and "总部" not in lay  # fitted on single questions: dropped
    pairs = vocab.en_zh()
    assert [len(en) for en, _ in pairs] == sorted((len(en) for en, _ in pairs), reverse=True)
    assert ("abroad", "境外") in pairs  # hand-written
    assert ("personal information processor", "个人信息处理者") in pairs  # mined, dice >= threshold
    low = min(vocab.mined(), key=lambda p: p.dice)
    assert low.dice < vocab.MINED_MIN_DICE and (low.en[0], low.zh) not in pairs
    assert (low.en[0], low.zh) in vocab.en_zh(0.0)
    assert {"ai", "app", "software", "artificial intelligence"} <= vocab.domain_generic("en")
    assert {"人工智能", "软件", "平台", "模型"} <= vocab.domain_generic("zh")
    assert "hospital" in vocab.domain_words("en") and "患者" in vocab.domain_words("zh")
    words = vocab.domain_words("zh")
    assert [len(w) for w in words] == sorted((len(w) for w in words), reverse=True)
    with pytest.raises(ValueError):
        vocab.domain_words("fr")


# ------------------------------------------------------------------------------------------------ errors


GOOD = """
lay_zh:
  - {lay: 医院, legal: [医疗机构], source: "definition: 医疗机构管理条例 第二条"}
  - {lay: 海外, legal: [境外], source: "general: outside China"}
en_zh:
  - {en: abroad, zh: [境外], source: "general: outside China"}
domain_generic:
  - {term: 软件, lang: zh, source: "describes the product domain, not the legal issue"}
domain:
  - {term: 患者, lang: zh, source: "patients"}
"""


def test_a_well_formed_file_loads(tmp_path):
    p = tmp_path / "concepts.yaml"
    p.write_text(GOOD, encoding="utf-8")
    c = vocab.load_concepts(p)
    assert [e.lay for e in c.lay_zh] == ["医院", "海外"] and c.en_zh[0].zh == ("境外",)


@pytest.mark.parametrize("edit, field", [
    (lambda s: s.replace(', source: "general: outside China"}\nen_zh', "}\nen_zh"), "lay_zh[1].source"),
    (lambda s: s.replace("legal: [境外]", "legal: 境外"), "lay_zh[1].legal"),
    (lambda s: s.replace('"general: outside China"}\nen_zh', '"because"}\nen_zh'), "lay_zh[1].source"),
    (lambda s: s.replace("lay: 海外", "lay: 医院"), "lay_zh[1].lay"),
    (lambda s: s.replace("{en: abroad, zh: [境外]", "{en: abroad, zh: []"), "en_zh[0].zh"),
    (lambda s: s.replace("lang: zh, source: \"patients\"", "lang: de, source: \"patients\""), "domain[0].lang"),
    (lambda s: s.replace("domain:\n  - {term: 患者, lang: zh, source: \"patients\"}", "domain: []"), "domain"),
    (lambda s: s.replace("{lay: 医院,", "{lay: 医院, note: x,"), "lay_zh[0].note"),
])
def test_a_malformed_file_raises_naming_the_file_and_field(tmp_path, edit, field):
    bad = edit(GOOD)
    assert bad != GOOD
    p = tmp_path / "concepts.yaml"
    p.write_text(bad, encoding="utf-8")
    with pytest.raises(vocab.VocabError) as exc:
        vocab.load_concepts(p)
    assert str(p) in str(exc.value) and field in str(exc.value), str(exc.value)


def test_missing_or_unparsable_files_raise(tmp_path):
    with pytest.raises(vocab.VocabError, match="concepts.yaml: file not found"):
        vocab.load_concepts(tmp_path / "concepts.yaml")
    p = tmp_path / "concepts_mined.yaml"
    p.write_text("pairs: [ {zh: 个人信息", encoding="utf-8")
    with pytest.raises(vocab.VocabError, match="not valid YAML"):
        vocab.load_mined(p)
    p.write_text("pairs:\n  - {zh: 个人信息, en: [personal information], articles: 3, dice: 1.7, source: x}\n",
                 encoding="utf-8")
    with pytest.raises(vocab.VocabError, match=r"pairs\[0\]\.dice"):
        vocab.load_mined(p)
    with pytest.raises(vocab.VocabError, match="expected a mapping"):
        vocab.parse_concepts(["not", "a", "mapping"])


# ------------------------------------------------------------------------------------------------ sources hold


def _instrument_files(short: str) -> list[Path]:
    out = []
    for ins in load_yaml("registry.yaml")["instruments"].values():
        if short in (ins.get("short_title"), ins.get("title")):
            out += [corpus_dir() / "zh" / f"{v['id']}.md" for v in ins.get("versions") or []]
    return [p for p in out if p.exists()]


def test_definition_sources_cite_an_article_that_contains_the_legal_terms():
    _needs_corpus()
    from ingest.citation import cn_to_int

    mine = _mining_script()
    checked = 0
    for e in vocab.concepts().lay_zh + vocab.concepts().en_zh:
        if not e.source.startswith("definition: "):
            continue
        legal = e.legal if isinstance(e, vocab.LayEntry) else e.zh
        m = re.fullmatch(r"definition: (\S+) 第([一二三四五六七八九十百零]+)条", e.source)
        assert m, f"{e}: write 'definition: <short title> 第N条'"
        files = _instrument_files(m.group(1))
        assert files, f"{e}: no loaded instrument with short title {m.group(1)}"
        n = cn_to_int(m.group(2))
        texts = [mine.articles(f, "zh").get(n, "") for f in files]
        assert any(all(t in text for t in legal) for text in texts), f"{e}: article {n} lacks {legal}"
        checked += 1
    assert checked >= 5


def test_taxonomy_alias_sources_name_an_actor_with_that_alias():
    actors = {a["id"]: a for a in load_yaml("actors.yaml")["actors"]}
    checked = 0
    for e in vocab.concepts().lay_zh:
        if e.source.startswith("taxonomy alias: actors.yaml "):
            aid = e.source.split()[-1]
            assert aid in actors, e
            a = actors[aid]
            assert e.lay in [a["zh"], *((a.get("aliases") or {}).get("zh") or [])], e
            assert a["zh"] in e.legal, e
            checked += 1
    assert checked >= 2


def test_aligned_translation_sources_are_supported_by_the_mined_pairs():
    checked = 0
    for e in vocab.concepts().en_zh:
        if e.source.startswith("aligned official translation"):
            assert any(any(vocab.en_word_match(e.en, en) for en in p.en) and any(z in p.zh for z in e.zh)
                       for p in vocab.mined()), f"{e}: no mined pair supports it"
            checked += 1
    assert checked >= 5


def test_statute_words_occur_in_the_corpus():
    _needs_corpus()
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((corpus_dir() / "zh").glob("*.md")))
    missing = sorted({t for e in vocab.concepts().lay_zh for t in e.legal if t not in text}
                     | {t for e in vocab.concepts().en_zh for t in e.zh if t not in text})
    assert not missing, f"not statute words (absent from the corpus): {missing}"


def test_mined_file_is_up_to_date(tmp_path):
    """Rerunning the script reproduces the committed file byte for byte (deterministic, not edited by hand)."""
    _needs_corpus()
    out = tmp_path / "mined.yaml"
    mine = _mining_script()
    assert mine.main(["--out", str(out), "--show", "0"]) == 0
    assert out.read_text(encoding="utf-8") == (REPO / "corpus" / vocab.MINED_FILE).read_text(encoding="utf-8")
