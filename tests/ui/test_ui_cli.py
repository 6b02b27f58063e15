"""`yigui checklist` and `yigui apikey` as a user runs them (real processes, the session's real store)."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from docx import Document
from openpyxl import load_workbook

from ui.apikeys import KeyStore


def yigui(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})}, cwd=Path(__file__).resolve().parents[2])


def test_checklist_xlsx_for_registrant_post_market(loaded_store, tmp_path):
    out = tmp_path / "registrant-post-market.xlsx"
    r = yigui("checklist", "--actor", "医疗器械注册人", "--stage", "post-market", "-o", str(out))
    assert r.returncode == 0, r.stderr
    n = int(r.stdout.split()[0])
    ws = load_workbook(out)["Register"]
    assert ws.max_row == n + 1
    col = {c.value: c.column for c in ws[1]}
    rows = {ws.cell(row=i, column=col["出处 Citation"]).value.split("\n")[0]: i for i in range(2, ws.max_row + 1)}
    assert "《医疗器械监督管理条例》第六十二条第一款" in rows
    i = rows["《医疗器械监督管理条例》第六十二条第一款"]
    assert "医疗器械注册人" in ws.cell(row=i, column=col["主体 Actor(s)"]).value  # actor (via 注册人、备案人)
    assert "上市后监测与不良事件" in ws.cell(row=i, column=col["阶段 Stage(s)"]).value
    assert ws.cell(row=i, column=col["编号 Register ID"]).value.startswith("mdsr:")
    about_rows = {r[0].value: [c.value for c in r[1:]] for r in load_workbook(out)["About"].iter_rows()}
    assert "医疗器械注册人" in about_rows["筛选 Filters"][0]
    assert len(about_rows["语料指纹 Corpus fingerprint"][0]) == 16
    title, version = about_rows["mdsr-2024"][:2]  # each document the rows come from, with its version
    assert title == "医疗器械监督管理条例" and version.startswith("2024-")


def test_checklist_carries_penalty_citations(loaded_store, tmp_path):
    out = tmp_path / "dsl.csv"
    r = yigui("checklist", "--doc", "dsl", "-o", str(out))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    art27 = [x for x in rows if x["出处 Citation"].startswith("《数据安全法》第二十七条")]
    assert art27 and all("《数据安全法》第四十五条" in x["罚则 Penalties"] for x in art27)


def test_checklist_docx_by_format_flag(loaded_store, tmp_path):
    out = tmp_path / "hospital"
    r = yigui("checklist", "--actor", "medical-institution", "--doc", "pipl", "--format", "docx", "-o", str(out))
    assert r.returncode == 0, r.stderr
    d = Document(str(out))
    text = " ".join(c.text for t in d.tables for row in t.rows for c in row.cells)
    assert "《个人信息保护法》第二十九条" in text
    assert "applies via" in text  # a medical institution inherits a personal information processor's duties


def test_checklist_errors_name_the_option(tmp_path):
    r = yigui("checklist", "--actor", "no-such-role", "-o", str(tmp_path / "x.xlsx"))
    assert r.returncode == 2 and "--actor 'no-such-role'" in r.stderr
    r = yigui("checklist", "-o", str(tmp_path / "x.pdf"))
    assert r.returncode == 2 and "--format pdf is not supported" in r.stderr


def test_apikey_create_list_revoke(tmp_path):
    env = {"YIGUI_HOME": str(tmp_path)}
    r = yigui("apikey", "create", "--name", "contracts-tool", env=env)
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip().splitlines()[-1]
    assert key.startswith("yg_") and " " not in key  # the key alone on the last line
    store = KeyStore(tmp_path / "apikeys.json")
    assert store.verify(key) is not None and key not in store.path.read_text()
    listed = yigui("apikey", "list", env=env).stdout
    assert "contracts-tool" in listed and "active" in listed and key not in listed
    assert yigui("apikey", "revoke", "contracts-tool", env=env).returncode == 0
    assert KeyStore(tmp_path / "apikeys.json").verify(key) is None
    assert yigui("apikey", "revoke", "contracts-tool", env=env).returncode == 1  # nothing active left


def test_app_refuses_a_public_address_without_a_password():
    r = yigui("ui", "--host", "0.0.0.0", "--port", "8599", env={"YIGUI_APP_PASSWORD": ""})
    assert r.returncode == 2 and "YIGUI_APP_PASSWORD" in r.stderr and "0.0.0.0" in r.stderr
