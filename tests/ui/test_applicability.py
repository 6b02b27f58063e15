"""Applicability from a profile: the roles a profile's facts bring, the rows that apply and why, the rows a condition
excludes, relevant instruments not loaded; through the core, the CLI, the API and the app."""
from __future__ import annotations

import io
import json

import pytest
import yaml
from openpyxl import load_workbook
from test_ui_api import assert_problem
from test_ui_cli import yigui

from graph.applicability import Profile
from ui.core import Core

STARTUP = {"name": "AI imaging startup", "roles": ["md-registrant"], "org": {"network_service": True},
           "product": {"device_class": "III", "software": "standalone", "ai_function": "assisted diagnosis"},
           "data": {"personal_information": True, "health": True}, "activities": ["clinical-trial"]}


@pytest.fixture(scope="module")
def core(shared_backend):
    return Core(shared_backend)


def _rows(res):
    return {r.obligation.citation: r for r in res.rows}


def _has(res, art):
    return any(c == art or c.startswith(art + "第") for c in _rows(res))


def test_facts_bring_roles_and_rows_say_why(core):
    res = core.applicable(Profile(**STARTUP))
    assert "pi-handler" in res.roles and "data.personal_information" in res.roles["pi-handler"]
    row = _rows(res)["《个人信息保护法》第二十九条"]
    assert row.why[0].startswith("个人信息处理者: profile fact data.personal_information")
    assert _has(res, "《医疗器械监督管理条例》第二十条") and _has(res, "《医疗器械监督管理条例》第六十二条")
    # class III trials: the device-class gate and the clinical-trial gate both open, and the row says so
    trial = next(r for c, r in _rows(res).items() if c.startswith("《医疗器械监督管理条例》第二十七条"))
    assert any("第三类医疗器械; the profile's device is class III" in w for w in trial.why)
    assert any("临床试验" in w and "activities.clinical-trial: yes" in w for w in trial.why)


def test_conditions_the_profile_does_not_meet_exclude_rows(core):
    res = core.applicable(Profile(**STARTUP))
    assert not _has(res, "《个人信息保护法》第三十九条") and not _has(res, "《个人信息保护法》第三十一条")
    assert not _has(res, "《医疗器械监督管理条例》第十五条")  # class I filing
    assert not any(r.obligation.doc_id == "genai-measures" for r in res.rows)
    gates = {e.gate: e for e in res.excluded}
    assert gates["cross-border"].count >= 3 and "activities.cross-border-transfer: no" in gates["cross-border"].reason
    assert gates["minors"].count >= 2 and "profile fact data.minors_under_14: no" in gates["minors"].reason


def test_device_class_and_instrument_titles(core):
    dist = core.applicable(Profile(name="distributor", roles=["md-distributor"], product={"device_class": "II"},
                                   activities=["online-sales"]))
    assert _has(dist, "《医疗器械监督管理条例》第四十一条") and not _has(dist, "《医疗器械监督管理条例》第四十二条")
    bot = core.applicable(Profile(name="chatbot", org={"network_service": True}, product={"genai_public": True},
                                  data={"personal_information": True}))
    # GenAI art. 12 cites 《互联网信息服务深度合成管理规定》: a title is a reference, not a deep-synthesis subject
    assert _has(bot, "《生成式人工智能服务管理暂行办法》第十二条")
    assert not _has(bot, "《生成式人工智能服务管理暂行办法》第十七条")  # public-opinion services only


def test_relevant_instruments_not_loaded_are_named(core):
    res = core.applicable(Profile(name="exporter", roles=["pi-handler"], data={"health": True},
                                  activities=["cross-border-transfer"]))
    assert _has(res, "《个人信息保护法》第三十九条")
    assert any(m["id"] == "cross-border-data-flow-provisions" for m in res.not_loaded)


@pytest.mark.parametrize("body, says", [({"roles": ["nobody"]}, "unknown actor 'nobody'"),
                                        ({"activities": ["space-travel"]}, "unknown 'space-travel'"),
                                        ({"product": {"device_class": "IV"}}, "device_class"),
                                        ({"colour": "red"}, "colour")])
def test_a_bad_profile_names_the_field(body, says):
    with pytest.raises(ValueError, match=says):
        Profile(**body)


def test_api_applicability(client):
    r = client.post("/v1/applicability", json={"profile": STARTUP})
    assert r.status_code == 200, r.text
    body = r.json()
    cites = [x["obligation"]["citation"] for x in body["rows"]]
    assert "《个人信息保护法》第二十九条" in cites and body["roles"]["md-registrant"]
    x = client.post("/v1/applicability", json={"profile": STARTUP, "format": "xlsx"})
    assert x.status_code == 200 and int(x.headers["X-Checklist-Rows"]) == len(cites)
    ws = load_workbook(io.BytesIO(x.content))["Register"]
    col = {c.value: c.column for c in ws[1]}
    actors = [ws.cell(row=i, column=col["主体 Actor(s)"]).value or "" for i in range(2, ws.max_row + 1)]
    assert any("profile fact data.personal_information" in a for a in actors)
    bad = assert_problem(client.post("/v1/applicability", json={"profile": {"roles": ["nobody"]}}), 422)
    assert "nobody" in json.dumps(bad, ensure_ascii=False)


def test_cli_applicable(loaded_store, tmp_path):
    p = tmp_path / "startup.yaml"
    p.write_text(yaml.safe_dump(STARTUP, allow_unicode=True), encoding="utf-8")
    r = yigui("applicable", "--profile", str(p), "--json")
    assert r.returncode == 0, r.stderr
    assert "《个人信息保护法》第二十九条" in [x["obligation"]["citation"] for x in json.loads(r.stdout)["rows"]]
    out = tmp_path / "startup.xlsx"
    r = yigui("applicable", "--profile", str(p), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 0
    assert "applicable obligations" in r.stdout and "relevant but not loaded" in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("roles: [nobody]\n", encoding="utf-8")
    r = yigui("applicable", "--profile", str(bad))
    assert r.returncode == 2 and "unknown actor 'nobody'" in r.stderr and str(bad) in r.stderr
