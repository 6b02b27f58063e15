"""Versions across the faces: "as of" a date (search, ask, obligations, registers; CLI, API and core), the change
impact between two versions (renumbering map hand-checked against the texts, register rows touched) and the horizon
scan `changes --since`."""
from __future__ import annotations

import json

import pytest
from test_ui_api import assert_problem
from test_ui_cli import yigui

from ui.core import Core, InvalidFilter


@pytest.fixture(scope="module")
def core(shared_backend):
    return Core(shared_backend)


# ---------------------------------------------------------------- change impact

def test_csl_renumbering_map_matches_the_texts(core):
    rep = core.changes("csl-2016", "csl-2025")
    moves = {(m.old, m.new): m.kind for m in rep.renumbering}
    old_nums = [m.old for m in rep.renumbering if m.old is not None]
    assert sorted(old_nums) == list(range(1, 80))  # every article of the 2016 text is mapped exactly once
    # checked by hand: 2025 inserts 第三条 (党的领导) and 第二十条 (人工智能), so 2016 art. 3 is now 4 and art. 41 is 43
    assert moves[(3, 4)] == "renumbered" and moves[(41, 43)] == "renumbered" and moves[(79, 81)] == "renumbered"
    assert moves[(21, 23)] == "edited_renumbered"  # 等级保护: edited and moved
    added = sorted(m.new for m in rep.renumbering if m.kind == "added")
    removed = sorted(m.old for m in rep.renumbering if m.kind == "removed")
    assert added == [3, 20, 63, 71, 73]
    # 2016 arts. 64 (个人信息), 66 (境外存储) and 70 are folded into 2025 art. 71 (依照有关法律处罚)
    assert removed == [64, 66, 70]
    # register rows: the collection principle is the same duty under a new number; the level-protection duties keep
    # their wording while their penalty article changed (2016 art. 59 -> 2025 art. 61)
    rows = {r.old_citation: r for r in rep.rows}
    assert rows["《网络安全法》第四十六条"].change == "renumbered"
    assert rows["《网络安全法》第四十六条"].new_citation == "《网络安全法》第四十八条"
    # the collection principle reads the same under art. 43, but its sanction moved from art. 64 into art. 71
    collect = rows["《网络安全法》第四十一条第一款"]
    assert collect.change == "penalty_changed" and collect.new_citation == "《网络安全法》第四十三条第一款"
    assert "《网络安全法》第六十四条第一款" in collect.old_penalties
    assert any(p.startswith("《网络安全法》第七十一条") for p in collect.new_penalties)
    pen = [r for r in rep.rows if r.old_citation == "《网络安全法》第二十一条第（一）项"]
    assert pen and pen[0].change == "penalty_changed" and pen[0].new_citation == "《网络安全法》第二十三条第（一）项"
    assert "《网络安全法》第五十九条第一款" in pen[0].old_penalties
    assert "《网络安全法》第六十一条第一款" in pen[0].new_penalties
    assert rep.counts["added"] >= 1 and rep.counts["renumbered"] + rep.counts["penalty_changed"] >= 70


def test_mdsr_2024_changes_two_articles_in_place(core):
    rep = core.changes("mdsr")  # an instrument: its two latest versions
    assert (rep.old, rep.new) == ("mdsr-2021", "mdsr-2024")
    edited = sorted(m.old for m in rep.renumbering if m.kind != "identical")
    assert edited == [19, 103] and all(m.old == m.new for m in rep.renumbering)
    changed = [r for r in rep.rows if r.change == "changed"]
    assert [r.old_citation for r in changed] == ["《医疗器械监督管理条例》第十九条第二款"]
    assert "国务院疾病预防控制部门" in changed[0].new_text and "国务院疾病预防控制部门" not in changed[0].old_text
    assert rep.counts["removed"] == rep.counts["added"] == 0


def test_impact_of_an_unknown_or_single_version_names_it(core):
    with pytest.raises(InvalidFilter, match="'pipl' has no other loaded version"):
        core.changes("pipl")
    with pytest.raises(InvalidFilter, match="no loaded document 'csl-2030'"):
        core.changes("csl-2016", "csl-2030")


def test_horizon_lists_what_took_effect_since_a_date(core):
    h = core.horizon("2024-01-01", "2026-12-01")
    got = {x.doc_id or x.instrument: x for x in h.items}
    assert got["csl-2025"].kind == "amendment" and got["csl-2025"].previous == "csl-2016"
    assert got["csl-2025"].standing == "in_force" and got["csl-2025"].articles["added"] == 5
    assert got["mdsr-2024"].counts["changed"] == 1
    assert got["network-data-reg"].kind == "new_instrument" and got["network-data-reg"].counts["obligations"] > 0
    assert "pipl" not in got and "mdsr-2021" not in got
    assert [x.effective for x in h.items] == sorted(x.effective for x in h.items)
    before = core.horizon("2025-06-01", "2025-12-31")
    csl = next(x for x in before.items if x.doc_id == "csl-2025")
    assert csl.standing == "coming_into_force" and csl.effective == "2026-01-01"


def test_register_flags_the_rows_an_amendment_touched(core):
    reg = json.loads(core.register(core.filters(doc="csl"), "json", changes_since="2025-06-01").data)
    by_cite = {r["citation"]: r for r in reg["rows"]}
    row = by_cite["《网络安全法》第四十八条"]
    assert row["change"].startswith("条号变更 renumbered by csl-2025（2026-01-01起施行 in force）")
    assert "《网络安全法》第四十六条 → 《网络安全法》第四十八条" in row["change"]
    assert by_cite["《网络安全法》第四十二条第二款"]["change"].startswith("新增 added by csl-2025")
    quiet = json.loads(core.register(core.filters(doc="csl"), "json", changes_since="2026-06-01").data)
    assert not any(r.get("change") for r in quiet["rows"])  # nothing took effect after that date


# ---------------------------------------------------------------- as of, through the faces

def test_obligations_as_of_use_the_version_in_force(core):
    old = core.obligations(core.filters(doc="mdsr", as_of="2023-06-01"), limit=500)
    new = core.obligations(core.filters(doc="mdsr", as_of="2025-06-01"), limit=500)
    assert {o.doc_id for o in old.items} == {"mdsr-2021"} and {o.doc_id for o in new.items} == {"mdsr-2024"}
    assert core.obligations(core.filters(doc="network-data-reg", as_of="2023-06-01")).total == 0
    reg = json.loads(core.register(core.filters(doc="csl", as_of="2025-06-01"), "json").data)
    assert reg["filters"]["as_of"] == "2025-06-01"
    assert {r["citation"].split("第")[0] for r in reg["rows"]} == {"《网络安全法》"}
    assert any(r["citation"].startswith("《网络安全法》第四十一条") for r in reg["rows"])
    with pytest.raises(InvalidFilter) as e:
        core.filters(as_of="2025-13-01")
    assert e.value.field == "as_of" and "'2025-13-01'" in str(e.value)


def test_api_as_of_and_changes(client):
    q = "网络运营者收集、使用个人信息应当遵循什么原则？"
    s = client.get("/v1/search", params={"q": q, "as_of": "2025-06-01", "k": 3}).json()
    assert s["as_of"] == "2025-06-01" and s["results"][0]["doc_id"] == "csl-2016"
    a = client.post("/v1/ask", json={"question": q, "as_of": "2026-06-01"}).json()
    assert a["as_of"] == "2026-06-01" and a["citations"][0]["citation"].startswith("《网络安全法》第四十三条")
    o = client.get("/v1/obligations", params={"doc": "mdsr", "as_of": "2023-06-01", "limit": 5}).json()
    assert {i["doc_id"] for i in o["items"]} == {"mdsr-2021"}
    bad = assert_problem(client.get("/v1/search", params={"q": q, "as_of": "tomorrow"}), 422)
    assert bad["errors"][0]["field"] == "as_of"
    h = client.get("/v1/changes", params={"since": "2025-06-01", "until": "2026-12-01"}).json()
    assert any(x["doc_id"] == "csl-2025" and x["standing"] == "in_force" for x in h["items"])
    imp = client.get("/v1/changes/impact", params={"old": "csl-2016", "new": "csl-2025"}).json()
    assert {"old": 41, "new": 43, "kind": "renumbered"}.items() <= next(
        m for m in imp["renumbering"] if m["old"] == 41).items()
    assert_problem(client.get("/v1/changes", params={"since": "2025-02-30"}), 422)
    assert_problem(client.get("/v1/changes/impact", params={"old": "nothing-like-this"}), 422)


def test_cli_changes_and_as_of(loaded_store):
    r = yigui("changes", "csl-2016", "csl-2025", "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert any(m["old"] == 41 and m["new"] == 43 for m in rep["renumbering"])
    r = yigui("changes", "--since", "2024-01-01")
    assert r.returncode == 0, r.stderr
    assert "csl-2025" in r.stdout and "amends" in r.stdout
    r = yigui("changes")
    assert r.returncode == 2 and "--since" in r.stderr
    r = yigui("ask", "--as-of", "2025-02-30", "处理敏感个人信息需要单独同意吗？")
    assert r.returncode == 2 and "'2025-02-30' does not exist" in r.stderr
    r = yigui("obligations", "--doc", "mdsr", "--as-of", "2023-06-01", "--json", "--limit", "3")
    assert r.returncode == 0, r.stderr
    assert {i["doc_id"] for i in json.loads(r.stdout)["items"]} == {"mdsr-2021"}
