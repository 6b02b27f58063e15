"""`yigui ingest --no-store` and `yigui diff` run as a user runs them (a real process)."""
from __future__ import annotations

from corpus import corpus_dir

import json
import os
import subprocess
import sys
from pathlib import Path

PLAIN = Path(__file__).parent / "fixtures" / "plain_laws"


def _yigui(*args, cache: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, YIGUI_CACHE=str(cache), COLUMNS="200", NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True, env=env, timeout=300)


def test_ingest_reports_failed_file_and_exits_nonzero(tmp_path):
    for f in PLAIN.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "dup.md").write_text("# 示范\n\n第一条 甲。\n\n第一条 乙。\n", encoding="utf-8")
    r = _yigui("ingest", "--no-store", str(tmp_path), cache=tmp_path / "cache")
    assert r.returncode == 1, r.stderr
    assert "✗ dup.md:5: article 第一条 appears twice (lines 3 and 5) — remove the duplicate" in r.stderr
    assert "2 documents" in r.stdout
    assert "failed: 1" in r.stdout
    assert "registered instruments without text in this batch: 60" in r.stdout


def test_ingest_ok_and_idempotent(tmp_path):
    first = _yigui("ingest", "--no-store", "--json", str(PLAIN), cache=tmp_path / "cache")
    assert first.returncode == 0, first.stderr
    s1 = json.loads(first.stdout)
    assert (s1["documents"], s1["errors"], s1["unchanged"]) == (2, 0, 0)
    assert s1["provisions_by_kind"] == {"article": 8, "item": 5, "paragraph": 10}
    second = json.loads(_yigui("ingest", "--no-store", "--json", str(PLAIN), cache=tmp_path / "cache").stdout)
    assert second["unchanged"] == 2 and second["provisions"] == s1["provisions"]


def test_ingest_whole_corpus_lists_missing_instruments(tmp_path):
    r = _yigui("ingest", "--no-store", cache=tmp_path / "cache")
    assert r.returncode == 0, r.stderr
    n_manifest = len((corpus_dir() / "MANIFEST.tsv").read_text(encoding="utf-8").strip().splitlines()) - 1
    assert f"{n_manifest} documents" in r.stdout and "failed: 0" in r.stdout
    assert "superseded versions kept (not current): csl-2016, hgr-2019, mdsr-2021" in r.stdout
    assert "人工智能生成合成内容标识办法" in r.stdout.split("registered instruments without text", 1)[1]
    # instruments that arrived in the corpus folder are loaded, not listed as missing
    missing = r.stdout.split("registered instruments without text", 1)[1].split("\n", 1)[0]
    assert "关键信息基础设施安全保护条例" not in missing and "个人信息保护合规审计管理办法" not in missing


def test_diff_command(tmp_path):
    r = _yigui("diff", "mdsr-2021", "mdsr-2024", "--json", cache=tmp_path / "cache")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert (d["changed"], d["added"], d["removed"], d["unchanged"]) == ([19, 103], [], [], 105)
    text = _yigui("diff", "mdsr-2021", "mdsr-2024", cache=tmp_path / "cache").stdout
    assert "2 changed, 0 added, 0 removed" in text and "《医疗器械监督管理条例》第一百零三条" in text
    bad = _yigui("diff", "nope", "mdsr-2024", cache=tmp_path / "cache")
    assert bad.returncode == 2 and "no document 'nope'" in bad.stderr


def test_instruments_command(tmp_path):
    r = _yigui("instruments", "--missing", "--json", cache=tmp_path / "cache")
    assert r.returncode == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    assert len(rows) == 24 and not any(row["loaded"] for row in rows.values())
    assert rows["aigc-labelling-measures"]["unverified_fields"] == ["doc_number", "promulgated"]
    assert "pipl" not in rows
