"""The Streamlit app through streamlit.testing.v1.AppTest, over the real loaded store."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
import streamlit.testing.v1.app_test as app_test_module
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from ui.core import Backend

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")


def start(backend, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["_yigui_backend"] = backend
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def html(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def ask(at: AppTest, question: str) -> AppTest:
    at.text_area(key="question").input(question)
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_ask_in_chinese_shows_the_cited_clause_verbatim(shared_backend):
    at = ask(start(shared_backend), "处理敏感个人信息需要取得个人的单独同意吗？")
    page = html(at)
    assert "《个人信息保护法》第二十九条" in page
    assert "处理敏感个人信息应当取得个人的单独同意" in page
    assert "yg-answer" in page  # an answer block, not raw JSON
    assert "href='?clause=pipl/art29'" in page  # the inline citation links to the clause in context
    assert not at.json


def test_ask_in_english_then_follow_the_citation(shared_backend):
    at = ask(start(shared_backend), "Is separate consent required to process sensitive personal information?")
    cards = [b for b in at.button if b.key and b.key.startswith("open_cite") and "第二十九条" in b.label
             and "个人信息保护法" in b.label]
    assert cards, [b.label for b in at.button]
    cards[0].click()
    at.run()
    assert at.session_state["page"] == "clause"
    page = html(at)
    assert "第二章 个人信息处理规则" in page and "第二节 敏感个人信息的处理规则" in page  # its chapter
    assert "separate consent" in page  # the official English text


def test_ask_as_of_a_date_answers_from_the_version_then_in_force(shared_backend):
    import datetime

    at = start(shared_backend)
    at.date_input(key="as_of").set_value(datetime.date(2025, 6, 1))
    at = ask(at, "网络运营者收集、使用个人信息应当遵循什么原则？")
    page = html(at)
    assert "《网络安全法》第四十一条" in page and "《网络安全法》第四十三条" not in page  # CSL 2016 numbering
    assert any("截至 as of 2025-06-01" in c.value for c in at.caption)
    assert any("（2025年修正）自2026-01-01起施行" in i.value for i in at.info)


def test_obligations_as_of_a_date(shared_backend):
    import datetime

    at = start(shared_backend, page="obligations", f_doc="mdsr-2021", f_current=False)
    at.date_input(key="f_as_of").set_value(datetime.date(2023, 6, 1))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.dataframe, [i.value for i in at.info]
    versions = set(at.dataframe[0].value["文件 Document"])
    assert versions and all(v.startswith("医疗器械监督管理条例 2021") for v in versions), versions
    at.date_input(key="f_as_of").set_value(datetime.date(2025, 6, 1))  # the 2021 text was superseded by then
    at.run()
    assert not at.dataframe and any("No obligations match" in i.value for i in at.info)


def test_applicability_page_lists_rows_with_why(shared_backend):
    at = start(shared_backend, page="applicability")
    at.multiselect(key="ap_roles").set_value(["md-registrant"])
    at.selectbox(key="ap_class").select("III")
    at.checkbox(key="ap_data_health").check()
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0].value
    assert "《个人信息保护法》第二十九条" in list(table["出处 Citation"])
    assert any("data.health" in w or "data.personal_information" in w for w in table["适用理由 Why it applies"])
    assert "ap_dl_xlsx" in {b.key for b in at.get("download_button")}


def test_clause_in_context_from_a_citation(shared_backend):
    at = start(shared_backend, page="clause", clause_query="《数据安全法》第二十七条")
    page = html(at)
    assert "《数据安全法》第二十七条" in page
    assert "中华人民共和国数据安全法" in page
    penalty_buttons = [b for b in at.button if b.key and b.key.startswith("nb_penalties")]
    assert any(b.label.startswith("《数据安全法》第四十五条") for b in penalty_buttons), \
        [b.label for b in at.button]
    labels = [b.label for b in at.button]
    assert "← 第二十六条" in labels and "第二十八条 →" in labels  # neighbouring articles
    assert any("digraph" in g.proto.spec for g in at.get("graphviz_chart"))
    # following the penalty opens that clause
    next(b for b in penalty_buttons if b.label.startswith("《数据安全法》第四十五条")).click()
    at.run()
    assert "《数据安全法》第四十五条" in html(at)


def test_clause_shows_other_versions_and_what_changed(shared_backend):
    at = start(shared_backend, page="clause", clause_query="mdsr-2024/art19")
    page = html(at)
    assert "版本与修改 Versions &amp; changes" in page or "版本与修改 Versions & changes" in page
    assert "<ins" in page and "国务院疾病预防控制部门" in page  # the 2024 amendment's insertion


def test_unknown_citation_says_what_to_type(shared_backend):
    at = start(shared_backend, page="clause", clause_query="《个人信息保护法》第九百条")
    assert any("No clause matches" in w.value for w in at.warning)


def test_obligation_filters(shared_backend):
    at = start(shared_backend, page="obligations", f_actor="md-registrant", f_stage="post-market")
    table = at.dataframe[0].value
    cites = list(table["出处 Citation"])
    assert "《医疗器械监督管理条例》第六十二条第一款" in cites
    assert all("上市后监测与不良事件" in s for s in table["阶段 Stage"])
    at.selectbox(key="f_modality").select("obligation")
    at.run()
    assert set(at.dataframe[0].value["类型 Modality"]) == {"义务 Obligation"}
    at.selectbox(key="f_modality").select("prohibition")
    at.run()  # the registrant has no post-market prohibition in the corpus: said, not an empty table
    assert not at.dataframe and any("No obligations match" in i.value for i in at.info)


def test_inherited_roles_bring_in_overlapping_duties(shared_backend):
    """A medical institution processing patient data is also a personal information processor (PIPL art. 73)."""
    at = start(shared_backend, page="obligations", f_actor="medical-institution", f_doc="pipl")
    table = at.dataframe[0].value
    rows = dict(zip(table["出处 Citation"], table["主体 Actor"]))
    assert "《个人信息保护法》第二十九条" in rows
    assert rows["《个人信息保护法》第二十九条"].endswith("⇡")  # marked as inherited
    at.checkbox(key="f_inherited").uncheck()
    at.run()
    direct = set(at.dataframe[0].value["出处 Citation"]) if at.dataframe else set()
    assert "《个人信息保护法》第二十九条" not in direct


class RecordingMediaFileManager(MediaFileManager):
    instances: list = []

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        RecordingMediaFileManager.instances.append(self)


def test_export_buttons_download_the_checklist(shared_backend, monkeypatch):
    from openpyxl import load_workbook

    monkeypatch.setattr(app_test_module, "MediaFileManager", RecordingMediaFileManager)
    RecordingMediaFileManager.instances.clear()
    at = start(shared_backend, page="obligations", f_actor="md-registrant", f_stage="post-market")
    buttons = {b.key: b for b in at.get("download_button")}
    assert set(buttons) == {"dl_xlsx", "dl_docx", "dl_csv", "dl_json"}
    mgr = RecordingMediaFileManager.instances[-1]
    url = mgr.execute_deferred(buttons["dl_xlsx"].proto.deferred_file_id)  # what pressing the button does
    data = mgr._storage.get_file(url.rsplit("/", 1)[-1].split(".")[0]).content
    ws = load_workbook(io.BytesIO(data))["Register"]
    col = {c.value: c.column for c in ws[1]}["出处 Citation"]
    cites = [ws.cell(row=r, column=col).value for r in range(2, ws.max_row + 1)]
    assert any(c.startswith("《医疗器械监督管理条例》第六十二条第一款\n") for c in cites)


def test_corpus_page_lists_documents_and_what_is_missing(shared_backend):
    at = start(shared_backend, page="corpus")
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["文件 Documents"].replace(",", "")) >= 30
    assert int(metrics["条款 Provisions"].replace(",", "")) > 5000
    docs = at.dataframe[0].value
    assert "中华人民共和国个人信息保护法" in list(docs["文件 Document"])
    assert "旧版 superseded" in " ".join(docs["状态 Status"])  # mdsr-2021, csl-2016, hgr-2019
    assert any("Registered but not loaded" in m.value for m in at.markdown)


def test_store_outage_shows_a_message_not_a_traceback():
    def down():
        raise ConnectionRefusedError("nothing listens on 127.0.0.1:1")

    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["_yigui_backend"] = Backend(connect=down)
    at.session_state["page"] = "corpus"
    at.run()
    assert not at.exception
    assert any("yigui db start" in e.value for e in at.error)


def test_a_configured_password_is_asked_before_anything_is_shown(shared_backend, monkeypatch):
    monkeypatch.setenv("YIGUI_APP_PASSWORD", "s3cret-pass")
    at = start(shared_backend)
    assert [t.label for t in at.text_input] == ["密码 Password"]
    assert not at.text_area and not at.sidebar.radio  # no question box, no pages
    at.text_input(key="_password").input("wrong").run()
    assert any("Wrong password" in e.value for e in at.error) and not at.text_area
    at.text_input(key="_password").input("s3cret-pass").run()
    assert not at.exception and at.text_area(key="question") is not None


@pytest.mark.parametrize("param,value,says", [
    ("actor", "alien", "actor"),
    ("stage", "lunch", "stage"),
    ("modality", "must", "modality"),
    ("doc", "no-such-law", "doc"),
    ("level", "statute", "level"),
    ("page", "admin", "page"),
    ("colour", "blue", "Unknown link parameter"),
])
def test_a_bad_deep_link_says_what_is_wrong_and_shows_nothing_unfiltered(shared_backend, param, value, says):
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["_yigui_backend"] = shared_backend
    at.query_params["page"] = "obligations" if param != "page" else value
    at.query_params[param] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    errors = [e.value for e in at.error]
    assert any(says in e and value in e for e in errors), errors
    assert not at.dataframe  # no table of every obligation under a filter that was not applied


def test_a_good_deep_link_applies_its_filters(shared_backend):
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["_yigui_backend"] = shared_backend
    for k, v in {"page": "obligations", "actor": "医疗器械注册人", "stage": "post-market", "doc": "mdsr"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception and not at.error
    assert at.session_state["f_actor"] == "md-registrant"  # a name resolved to its id
    cites = list(at.dataframe[0].value["出处 Citation"])
    assert "《医疗器械监督管理条例》第六十二条第一款" in cites
