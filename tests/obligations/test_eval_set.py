"""The annotated evaluation set is well-formed (every id resolves) and the scorer counts what it claims."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from corpus import taxonomy
from tests.obligations.conftest import parse_corpus_file

ROOT = Path(__file__).resolve().parents[2]


def _gold() -> list[dict]:
    lines = (ROOT / "corpus" / "eval" / "obligations.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines if x.strip()]


def _bench():
    spec = importlib.util.spec_from_file_location("obligations_eval", ROOT / "bench" / "obligations_eval.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_size_and_every_label_resolves():
    gold = _gold()
    assert len(gold) >= 150 and len({g["doc_id"] for g in gold}) >= 8
    assert len({g["provision_id"] for g in gold}) == len(gold)
    assert {g["split"] for g in gold} == {"dev", "heldout", "heldout2"}
    acts, regs, stages = taxonomy.actors(), taxonomy.regulators(), taxonomy.stages()
    for g in gold:
        assert set(g["modality"]) <= {"obligation", "prohibition", "permission", "right"}, g
        for a in g["actors"]:
            assert (a[4:] in regs) if a.startswith("reg:") else (a in acts), g
        assert all(s in stages for s in g["stages"]), g
    ids_by_doc: dict[str, set] = {}
    for g in gold:
        if g["doc_id"] not in ids_by_doc:
            ids_by_doc[g["doc_id"]] = {p.id for p in parse_corpus_file(g["doc_id"]).provisions}
        assert g["provision_id"] in ids_by_doc[g["doc_id"]], g["provision_id"]


def test_scorer_counts_pairs_and_exact_actor_sets():
    ev = _bench()
    gold = [{"provision_id": "a", "modality": ["obligation"], "actors": ["x", "y"], "stages": ["s1"]},
            {"provision_id": "b", "modality": [], "actors": [], "stages": []},
            {"provision_id": "c", "modality": ["prohibition"], "actors": ["z"], "stages": ["s2", "s3"]}]
    pred = {"a": {"modality": {"obligation"}, "actors": {"x", "y"}, "stages": {"s1", "s9"}},
            "b": {"modality": {"permission"}, "actors": {"q"}, "stages": {"s1"}}}
    scores, errors = ev.evaluate(gold, pred)
    assert scores["modality"]["tp"] == 1 and scores["modality"]["fp"] == 1 and scores["modality"]["fn"] == 1
    assert scores["actors"]["accuracy"] == 0.5 and scores["actors"]["judged"] == 2
    assert (scores["stages"]["tp"], scores["stages"]["fp"], scores["stages"]["fn"]) == (1, 1, 2)
    assert any("b: gold [] pred ['permission']" in e for e in errors)
