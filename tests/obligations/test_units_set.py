"""The unit-level annotation is well-formed: every id and quote is the corpus's own, TRAIN and TEST never share an
article, and the sealed TEST split meets the size the register issue asks for (no store needed)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.obligations.conftest import parse_corpus_file

EVAL = Path(__file__).resolve().parents[2] / "corpus" / "eval"


def _load(split):
    return [json.loads(x) for x in (EVAL / f"units_{split}.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture(scope="module")
def provisions():
    docs = {r["doc_id"] for sp in ("train", "test") for r in _load(sp)}
    return {p.id: p for d in docs for p in parse_corpus_file(d).provisions}


def test_test_split_is_big_enough_and_apart_from_train():
    test, train = _load("test"), _load("train")
    units = [r for r in test if r.get("units") != 0]
    assert len(units) >= 250 and len({r["article"] for r in test}) >= 60 and len({r["doc_id"] for r in test}) >= 15
    assert any(a.startswith("reg:") for r in units for a in r["actors"])  # regulators' duties
    assert any(r["elements"] for r in units)  # lists under a lead-in
    assert not {r["article"] for r in test} & {r["article"] for r in train}


def test_every_id_and_quote_is_the_corpus_own(provisions):
    from corpus import taxonomy

    acts, regs, stages = taxonomy.actors(), taxonomy.regulators(), taxonomy.stages()
    for sp in ("train", "test"):
        for r in _load(sp):
            assert r["article"] in provisions, r
            if r.get("units") == 0:
                continue
            p = provisions[r["provision_id"]]
            assert p.id == r["article"] or p.id.startswith(r["article"] + "/"), r["unit_id"]
            for f in ("text", "condition", "exception"):
                assert not r.get(f) or r[f] in p.text, (r["unit_id"], f)
            assert all(e in provisions for e in r["elements"]), r["unit_id"]
            assert r["modality"] in ("obligation", "prohibition", "permission", "right", "power")
            assert all((a[4:] in regs.entries) if a.startswith("reg:") else (a in acts.entries) for a in r["actors"]), r
            assert len(r["stages"]) <= 2 and all(s in stages.entries for s in r["stages"]), r
