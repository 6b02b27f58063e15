"""Fixtures of the obligations tests: real corpus documents parsed once, and their extraction."""
from __future__ import annotations

import pytest

from corpus import corpus_dir

DOCS = ("mdsr-2024", "pipl", "genai-measures", "md-registration", "medical-institutions-reg-2022", "deep-synthesis",
        "network-data-reg")


def parse_corpus_file(doc_id: str):
    from ingest.parse import parse_text
    from ingest.readers import read_file

    raw = read_file(corpus_dir() / "zh" / f"{doc_id}.md")
    return parse_text(raw.text, file_name=raw.file, meta=raw.meta, line_offset=raw.front_matter_lines)


def parse_law(text: str, doc_id: str = "testlaw"):
    """A small law written in a test, parsed like a corpus file."""
    from ingest.parse import parse_text

    meta = {"id": doc_id, "title": "测试条例", "level": "administrative_regulation", "status": "in_force"}
    return parse_text(text, file_name=f"{doc_id}.md", meta=meta)


@pytest.fixture(scope="session")
def parsed():
    return {d: parse_corpus_file(d) for d in DOCS}


@pytest.fixture(scope="session")
def result(parsed):
    from graph.obligations import extract

    return extract(list(parsed.values()))


@pytest.fixture(scope="session")
def by_provision(result):
    out: dict[str, list] = {}
    for o in result.obligations:
        out.setdefault(o.provision_id, []).append(o)
    return out
