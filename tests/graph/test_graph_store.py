"""Loading: idempotent reloads, rollback of a failing batch, interrupted builds, changed files, schema."""
from __future__ import annotations

import shutil

import pytest

from graph import build as build_mod
from graph.build import build
from graph.store import GraphStore, StoreError



def test_failing_batch_rolls_back_and_names_the_batch(scratch_store):
    scratch_store.setup_schema()  # unique ids: the duplicate in batch 2 must fail
    rows = [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "c"}, {"id": "d"}]
    with pytest.raises(StoreError) as e:
        scratch_store.write_batches("UNWIND $rows AS row CREATE (:Document {id: row.id})", rows, batch_size=2,
                                    what="test documents")
    msg = str(e.value)
    assert "batch 2 of test documents" in msg and "rows 3-4" in msg and "rolled back" in msg
    ids = sorted(r["id"] for r in scratch_store.run("MATCH (d:Document) RETURN d.id AS id"))
    assert ids == ["a", "b"]  # batch 1 committed, batch 2 left nothing, batch 3 never ran


def test_unique_ids_are_enforced(scratch_store):
    scratch_store.setup_schema()
    scratch_store.run("CREATE (:Provision {id: 'x/art1'})")
    with pytest.raises(Exception, match="(?i)duplicat|constraint|unique"):
        scratch_store.run("CREATE (:Provision {id: 'x/art1'})")
    assert scratch_store.run("MATCH (p:Provision {id: 'x/art1'}) RETURN count(p) AS c")[0]["c"] == 1


def test_reload_changes_nothing(make_scratch, small_corpus, snap):
    s = make_scratch()
    first = build(small_corpus, s, progress=False, embed=False)
    assert first.loaded and not first.skipped
    before = snap(s)
    counts = s.counts()
    assert counts["Provision"] > 1000 and counts["CITES"] > 0 and counts["PENALIZES"] > 0
    assert counts["SUPERSEDES"] == 1 and counts["TRANSLATION_OF"] > 70
    again = build(small_corpus, s, progress=False, embed=False)
    assert again.loaded == [] and sorted(again.skipped) == sorted(first.loaded)
    forced = build(small_corpus, s, progress=False, embed=False, force=True)
    assert sorted(forced.loaded) == sorted(first.loaded)
    assert s.counts() == counts
    assert snap(s) == before


class PowerCut(Exception):
    pass


def test_interrupted_build_then_rerun_equals_clean_run(make_scratch, small_corpus, monkeypatch, snap):
    clean = make_scratch()
    all_ids = sorted(build(small_corpus, clean, progress=False, embed=False).loaded)
    expected = snap(clean)

    s = make_scratch()
    # cut the power half-way through loading the documents' provisions
    real = GraphStore.write_batches
    calls = {"n": 0}

    def flaky(self, cypher, rows, batch_size=500, **kw):
        if "MERGE (p:Provision" in cypher:
            calls["n"] += 1
            if calls["n"] == 3:
                raise PowerCut("power cut")
        return real(self, cypher, rows, batch_size, **kw)

    monkeypatch.setattr(GraphStore, "write_batches", flaky)
    with pytest.raises(PowerCut):
        build(small_corpus, s, progress=False, embed=False)
    monkeypatch.setattr(GraphStore, "write_batches", real)
    assert s.known_markers() == {}  # nothing counts as done
    assert snap(s) != expected

    # and once more, after everything but the markers was written
    build(small_corpus, s, progress=False, embed=False)
    assert snap(s) == expected

    monkeypatch.setattr(GraphStore, "mark_loaded", lambda self, docs, build_key=None: (_ for _ in ()).throw(PowerCut()))
    with pytest.raises(PowerCut):
        build(small_corpus, s, progress=False, embed=False, force=True)
    monkeypatch.undo()
    rerun = build(small_corpus, s, progress=False, embed=False)
    assert sorted(rerun.loaded) == all_ids and rerun.skipped == []  # no marker was written: all redone
    assert snap(s) == expected


def test_interrupted_obligation_load_is_redone(make_scratch, small_corpus, monkeypatch, snap):
    from graph import obligations

    clean = make_scratch()
    build(small_corpus[:1], clean, progress=False, embed=False)
    expected = snap(clean)
    assert clean.counts()["Obligation"] > 10

    s = make_scratch()
    real_load = obligations.load

    def half_load(store, result, **kw):
        result = result.model_copy(update={"obligations": result.obligations[: len(result.obligations) // 2]})
        real_load(store, result, **kw)
        raise PowerCut("power cut during obligations")

    monkeypatch.setattr(obligations, "load", half_load)
    with pytest.raises(PowerCut):
        build(small_corpus[:1], s, progress=False, embed=False)
    monkeypatch.undo()
    assert s.known_markers() == {}
    build(small_corpus[:1], s, progress=False, embed=False)
    assert snap(s) == expected


def test_changed_file_is_reloaded_and_drops_what_it_no_longer_has(make_scratch, small_corpus, tmp_path, snap):
    src = small_corpus[0]  # dsl.md
    copy = tmp_path / "dsl.md"
    shutil.copy(src, copy)
    s = make_scratch()
    build([copy], s, progress=False, embed=False)
    assert s.run("MATCH (p:Provision {id: 'dsl/art55'}) RETURN count(p) AS c")[0]["c"] == 1
    assert s.run("MATCH (:Provision {id: 'dsl/art45/p1'})-[:PENALIZES]->(t) RETURN count(t) AS c")[0]["c"] == 3

    text = copy.read_text(encoding="utf-8")
    cut = text.index("第五十五条")
    # drop the last article and the 第三十条 reference of 第四十五条
    changed = text[:cut].replace("第二十九条、第三十条规定的数据安全保护义务", "第二十九条规定的数据安全保护义务")
    copy.write_text(changed, encoding="utf-8")
    rep = build([copy], s, progress=False, embed=False)
    assert rep.loaded == ["dsl"]
    assert s.run("MATCH (p:Provision {id: 'dsl/art55'}) RETURN count(p) AS c")[0]["c"] == 0
    targets = sorted(r["id"] for r in s.run(
        "MATCH (:Provision {id: 'dsl/art45/p1'})-[:PENALIZES]->(t) RETURN t.id AS id"))
    assert targets == ["dsl/art27", "dsl/art29"]

    fresh = make_scratch()
    build([copy], fresh, progress=False, embed=False)
    assert snap(s) == snap(fresh)


def test_schema_has_cjk_fulltext_and_vector_indexes(scratch_store):
    scratch_store.setup_schema()
    if scratch_store.backend == "arcadedb":
        idx = scratch_store.sql("SELECT FROM schema:indexes")["result"]
        kinds = {(i["name"], i["indexType"]) for i in idx}
        assert ("Provision[text]", "FULL_TEXT") in kinds and ("Provision[embedding]", "LSM_VECTOR") in kinds
        assert any(i["name"] == "Provision[id]" and i["unique"] for i in idx)
        # the CJK analyzer: a two-character query finds a provision written without spaces
        scratch_store.run("CREATE (:Provision {id: 't/art1', text: '个人信息处理者应当取得个人的单独同意'})")
        from graph.queries import Queries

        assert [r["id"] for r in Queries(scratch_store).fulltext("单独同意", 5)] == ["t/art1"]


def test_build_key_changes_with_settings():
    assert build_mod.build_key(embed=True, extract=True) != build_mod.build_key(embed=False, extract=True)


def test_ingesting_an_old_version_alone_keeps_the_newer_one_current(make_scratch, small_corpus):
    s = make_scratch()
    mdsr_2021, mdsr_2024 = small_corpus[2], small_corpus[3]
    build([mdsr_2024], s, progress=False, embed=False, extract=False)
    build([mdsr_2021], s, progress=False, embed=False, extract=False)  # a user adds the older text later
    cur = {r["id"]: r["c"] for r in s.run("MATCH (d:Document) RETURN d.id AS id, d.current AS c")}
    assert cur == {"mdsr-2024": True, "mdsr-2021": False}
    assert s.run("MATCH (p:Provision {id: 'mdsr-2021/art10'}) RETURN p.current AS c")[0]["c"] is False
    assert s.run("MATCH (a:Document)-[:SUPERSEDES]->(b:Document) RETURN a.id AS a, b.id AS b") == [
        {"a": "mdsr-2024", "b": "mdsr-2021"}]
    # and the English PIPL added after the Chinese one is linked clause by clause
    build([small_corpus[1]], s, progress=False, embed=False, extract=False)
    build([small_corpus[4]], s, progress=False, embed=False, extract=False)
    assert s.run("MATCH (:Provision {id: 'pipl.en/art29'})-[:TRANSLATION_OF]->(z) RETURN z.id AS id") == [
        {"id": "pipl/art29"}]


def test_a_failed_batch_is_reported_by_build_not_raised(make_scratch, small_corpus, monkeypatch):
    s = make_scratch()
    real = GraphStore.write_batches

    def failing(self, cypher, rows, batch_size=500, **kw):
        if "MERGE (p:Provision" in cypher:
            raise StoreError("batch 1 of dsl provisions (rows 1-129, first 'dsl/art1') failed and was rolled back: "
                             "disk full")
        return real(self, cypher, rows, batch_size, **kw)

    monkeypatch.setattr(GraphStore, "write_batches", failing)
    rep = build(small_corpus[:1], s, progress=False, embed=False, extract=False)
    assert len(rep.errors) == 1
    err = rep.errors[0]
    assert err.file == "graph store" and "batch 1 of dsl provisions" in err.problem and "yigui ingest" in err.hint
    assert s.known_markers() == {}
    monkeypatch.undo()
    rep = build(small_corpus[:1], s, progress=False, embed=False, extract=False)
    assert not rep.errors and rep.loaded == ["dsl"] and list(s.known_markers()) == ["dsl"]
