"""Fixtures for the ingest tests: the real corpus parsed once (no cache), and document builders for other formats."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

import corpus
from ingest.pipeline import ingest_paths

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own ingest cache so no test sees another's (or the user's) cached output."""
    monkeypatch.setenv("YIGUI_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def corpus_result():
    res = ingest_paths(None, progress=False, use_cache=False)
    return res


@pytest.fixture(scope="session")
def manifest() -> list[dict]:
    with open(corpus.corpus_dir() / "MANIFEST.tsv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))
