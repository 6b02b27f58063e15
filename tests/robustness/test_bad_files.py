"""Fault drill: unreadable and malformed files mixed into a corpus folder do not stop the others.

The folder holds every real corpus file (as symlinks, nothing copied) plus a zoo of bad files; one ingest run must
load every real document and report each bad file once, by name, with what to do — never a traceback, never a
machine path."""
from __future__ import annotations

import os
import re

import pytest

from corpus import corpus_dir
from ingest.model import IngestError
from ingest.pipeline import ingest_paths

BAD = {
    "nul-bytes.md": b"\x00\x01\x02binary\x00" * 50,
    "empty.md": b"",
    "whitespace-only.txt": b"   \n\n\t\n",
    "undecodable.md": b"\xff\xfe\xff\xfe\x80\xff" * 20,
    "not-a-zip.docx": b"PK\x03\x04 this is not really a docx",
    "truncated.pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog",
    "open-front-matter.md": "---\nid: x\ntitle: 未闭合\n\n第一条 内容。\n".encode(),
    "bad-yaml.md": "---\nid: [unclosed\n---\n第一条 内容。\n".encode(),
    "no-structure.md": "这只是一段没有条文结构的说明文字，没有第X条也没有编号章节。\n".encode(),
    "duplicate-article.md": "---\nid: dup\ntitle: 重条测试办法\n---\n第一条 甲。\n\n第一条 乙。\n".encode(),
}
# not bad: a gap in the numbering loads the rest, marked incomplete, with a warning naming the line
GAP = "---\nid: gap\ntitle: 缺条测试办法\n---\n第一条 甲。\n\n第三条 乙。\n".encode()


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed-corpus")
    real = corpus_dir()
    for lang in ("zh", "en"):
        (root / lang).mkdir()
        for f in sorted((real / lang).glob("*.md")):
            (root / lang / f.name).symlink_to(f)
    for name, data in BAD.items():
        (root / "zh" / name).write_bytes(data)
    (root / "zh" / "dangling-link.md").symlink_to(root / "does-not-exist.md")
    return root, real


def test_bad_files_do_not_stop_the_good_ones(mixed_folder, monkeypatch, tmp_path):
    root, real = mixed_folder
    monkeypatch.setenv("YIGUI_CACHE", str(tmp_path / "cache"))
    result = ingest_paths([root / "zh", root / "en"], progress=False)

    expected_files = {f.name for lang in ("zh", "en") for f in (real / lang).glob("*.md")}
    loaded_files = {pd.document.source_file for pd in result.documents if pd.document.source_file in expected_files}
    assert loaded_files == expected_files, f"real files not loaded: {sorted(expected_files - loaded_files)}"
    ids = {pd.document.id for pd in result.documents}
    assert {"pipl", "pipl.en", "mdsr-2024", "nmpa-md-software-guideline-2022"} <= ids

    failed = {e.file for e in result.errors}
    # every bad file is either reported by name or (dangling link: not a file) skipped; none becomes a document
    for name in BAD:
        assert name in failed, f"{name} was neither reported nor rejected: errors={sorted(failed)}"
    assert "dangling-link.md" not in {pd.document.source_file for pd in result.documents}
    assert len(result.errors) == len(failed), "each bad file is reported once"
    for err in result.errors:
        assert isinstance(err, IngestError)
        assert err.hint, f"{err.file}: the error must say what to do"
        text = str(err)
        assert err.file in text
        assert str(root) not in text and not re.search(r"(^|\s)/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/", text), f"machine path in a user-facing error: {text}"
        assert "Traceback" not in text


def test_specific_messages_name_the_problem(mixed_folder, monkeypatch, tmp_path):
    root, _ = mixed_folder
    monkeypatch.setenv("YIGUI_CACHE", str(tmp_path / "cache"))
    files = [root / "zh" / n for n in ("empty.md", "undecodable.md", "duplicate-article.md", "bad-yaml.md")]
    result = ingest_paths(files, progress=False)
    by_file = {e.file: e for e in result.errors}
    assert "0 bytes" in str(by_file["empty.md"]) or "empty" in str(by_file["empty.md"])
    assert "byte offset" in str(by_file["undecodable.md"])
    dup = by_file["duplicate-article.md"]
    assert dup.line is not None and "appears twice" in dup.problem
    assert by_file["bad-yaml.md"].line is not None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode; the unreadable-mode case needs a normal user")
def test_unreadable_mode_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("YIGUI_CACHE", str(tmp_path / "cache"))
    f = tmp_path / "secret.md"
    f.write_text("第一条 内容。\n", encoding="utf-8")
    f.chmod(0)
    result = ingest_paths([f], progress=False)
    assert [e.file for e in result.errors] == ["secret.md"]


def test_a_numbering_gap_loads_the_rest_marked_incomplete(tmp_path, monkeypatch):
    monkeypatch.setenv("YIGUI_CACHE", str(tmp_path / "cache"))
    (tmp_path / "numbering-gap.md").write_bytes(GAP)
    result = ingest_paths([tmp_path], progress=False)
    assert result.errors == []
    [pd] = result.documents
    assert pd.document.incomplete and pd.document.missing_articles == [2]
    assert [p.id for p in pd.articles()] == ["gap/art1", "gap/art3"]
    assert result.warnings == ["numbering-gap.md:7: article 2 is missing between 第一条 and 第三条: the document is "
                               "marked incomplete"]
