"""qa fixtures: one Retriever/Answerer for the session, built from the real corpus (embeddings cached on disk)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def retriever(loaded_store):
    """The product's own path: the process-wide retriever over the real store loaded with the corpus."""
    os.environ.setdefault("YIGUI_PROGRESS", "0")
    from qa.service import get_retriever

    return get_retriever(loaded_store)


@pytest.fixture(scope="session")
def answerer(retriever):
    from qa.answer import Answerer

    return Answerer(retriever, use_llm=False)


@pytest.fixture(scope="session")
def dev_file() -> Path:
    from corpus import corpus_dir

    p = corpus_dir().parent / "eval" / "dev.jsonl"
    if not p.exists():
        pytest.skip(f"dev set not found beside the corpus ({p})")
    return p


@pytest.fixture(scope="session")
def own_file() -> Path:
    return REPO / "corpus" / "eval" / "questions.jsonl"
