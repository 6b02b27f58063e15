"""Load and query obligations on the real local graph server (ArcadeDB over Bolt through the neo4j driver)."""
from __future__ import annotations

import json

import pytest

from graph.obligations import ExtractionResult, load, query

DOCS = ("mdsr-2024", "pipl", "medical-institutions-reg-2022")


@pytest.fixture()
def small_store(scratch_store, parsed, result):
    docs = [parsed[d] for d in DOCS]
    scratch_store.load_documents(docs)
    sub = ExtractionResult(obligations=[o for o in result.obligations if o.doc_id in DOCS],
                           terms=[t for t in result.terms if t.doc_id in DOCS])
    counts = load(scratch_store, sub)
    return scratch_store, sub, counts


def test_load_writes_nodes_and_edges(small_store):
    store, sub, counts = small_store
    assert store.run("MATCH (o:Obligation) RETURN count(o) AS c")[0]["c"] == len(sub.obligations) == counts["Obligation"]
    rows = store.run("MATCH (o:Obligation {id: $id})-[:DERIVED_FROM]->(p:Provision) MATCH (o)-[:BINDS]->(a:Actor) "
                     "RETURN p.citation AS citation, collect(a.id) AS actors", id="mdsr-2024/art20/p1/i4#o1")
    assert rows[0]["citation"] == "《医疗器械监督管理条例》第二十条第一款第（四）项"
    assert sorted(rows[0]["actors"]) == ["md-filer", "md-registrant"]
    st = store.run("MATCH (o:Obligation {id: $id})-[r:AT_STAGE]->(s:Stage) RETURN s.id AS id, r.confidence AS c",
                   id="mdsr-2024/art20/p1/i4#o1")
    ob = next(o for o in sub.obligations if o.id == "mdsr-2024/art20/p1/i4#o1")
    assert ob.stages and {r["id"] for r in st} == {s.id for s in ob.stages}  # what the classifier chose, as edges
    assert all(0 < r["c"] <= 1 for r in st)
    reg = store.run("MATCH (o:Obligation {id: $id})-[:BINDS]->(r:Regulator) RETURN r.id AS id", id="mdsr-2024/art18/p2#o1")
    assert [r["id"] for r in reg] == ["drug-regulator"]
    term = store.run("MATCH (t:Term {id: 'pipl:个人信息处理者'})-[:DEFINED_IN]->(p:Provision) RETURN p.id AS id")
    assert term == [{"id": "pipl/art73/p1/i1"}]
    ov = store.run("MATCH (a:Actor {id: 'medical-institution'})-[r:SUBCLASS_OF]->(b:Actor {id: 'pi-handler'}) "
                   "RETURN r.via AS via, r.reason_zh AS reason")
    assert ov[0]["via"] == "overlap" and "个人信息处理者" in ov[0]["reason"]
    enf = store.run("MATCH (r:Regulator {id: 'cac'})-[:ENFORCES]->(d:Document) RETURN d.id AS id")
    assert {"pipl"} <= {r["id"] for r in enf}


def test_reload_is_idempotent_and_removes_stale_obligations(small_store):
    store, sub, _ = small_store
    before = store.counts()
    load(store, sub)
    assert store.counts() == before
    dropped = next(o for o in sub.obligations if o.id == "pipl/art21/p3#o1")
    fewer = ExtractionResult(obligations=[o for o in sub.obligations if o.id != dropped.id], terms=sub.terms)
    load(store, fewer)
    assert store.run("MATCH (o:Obligation {id: $id}) RETURN o.id AS id", id=dropped.id) == []
    assert store.run("MATCH (o:Obligation) RETURN count(o) AS c")[0]["c"] == len(sub.obligations) - 1


def test_registrant_query_lists_the_five_article_20_duties(small_store):
    store, _, _ = small_store
    rows = query(store, actor="医疗器械注册人", doc="mdsr-2024", limit=500)
    art20 = [r for r in rows if r.provision_id.startswith("mdsr-2024/art20/p1/i")]
    assert [r.citation for r in art20] == [f"《医疗器械监督管理条例》第二十条第一款第（{n}）项" for n in "一二三四五"]
    assert all(r.inherited_via is None and r.modality == "obligation" for r in art20)
    assert art20[0].text == "（一）建立与产品相适应的质量管理体系并保持有效运行；"
    assert art20[0].doc_title == "医疗器械监督管理条例" and art20[0].version
    assert all(not r.regulator_duty for r in rows)


def test_medical_institution_inherits_personal_information_processor_duties(small_store):
    store, _, _ = small_store
    rows = query(store, actor="hospital", limit=1000)
    direct = [r for r in rows if r.doc_id == "medical-institutions-reg-2022" and r.inherited_via is None]
    pipl = [r for r in rows if r.doc_id == "pipl"]
    assert direct and pipl
    assert all("个人信息处理者" in r.inherited_via.reason for r in pipl if "pi-handler" in r.actors)
    via = next(r.inherited_via for r in pipl if "pi-handler" in r.actors)
    assert via.path[0] == "medical-institution" and via.path[-1] == via.actor == "pi-handler"
    # PIPL 55: one duty (impact assessment) whose listed cases are its elements
    assert any(r.citation == "《个人信息保护法》第五十五条" and len(r.elements) == 5 for r in pipl)
    only_direct = query(store, actor="medical-institution", include_inherited=False, limit=1000)
    assert not [r for r in only_direct if r.doc_id == "pipl"]


def test_filters_by_stage_modality_and_unknown_values(small_store):
    store, _, _ = small_store
    rows = query(store, stage="数据出境", modality="obligation", limit=200)
    assert rows and all(r.modality == "obligation" and "cross-border" in [s.id for s in r.stages] for r in rows)
    assert "pipl/art39/p1#o1" in [r.id for r in rows]
    prohib = query(store, actor="pi-handler", modality="prohibition", doc="pipl", limit=200)
    assert prohib and all(r.modality == "prohibition" for r in prohib)
    page1 = query(store, doc="pipl", limit=5)
    page2 = query(store, doc="pipl", limit=5, offset=5)
    assert len(page1) == 5 and not {r.id for r in page1} & {r.id for r in page2}
    with pytest.raises(ValueError, match="corpus/actors.yaml"):
        query(store, actor="no such role")
    with pytest.raises(ValueError, match="modality"):
        query(store, modality="must")
    with pytest.raises(ValueError, match=r"unknown doc 'no-such-law'.*pipl"):
        query(store, doc="no-such-law")
    with pytest.raises(ValueError, match=r"unknown level 'statute'.*administrative_regulation"):
        query(store, level="statute")


def test_a_page_carries_the_total_and_the_next_offset(small_store):
    from graph.obligations import page

    store, _, _ = small_store
    everything = query(store, doc="pipl", limit=100000)
    first = page(store, doc="pipl", limit=7)
    assert first.total == len(everything) > 7 and first.count == 7 and first.next_offset == 7
    last = page(store, doc="pipl", limit=7, offset=first.total - 3)
    assert last.count == 3 and last.next_offset is None and last.total == first.total
    assert [i.id for i in last.items] == [r.id for r in everything[-3:]]


def test_cli_lists_article_20_items_from_the_loaded_corpus(loaded_store):
    from typer.testing import CliRunner

    from ui.cli import app

    res = CliRunner().invoke(app, ["obligations", "--actor", "医疗器械注册人", "--doc", "mdsr-2024", "--limit", "500",
                                   "--json"])
    assert res.exit_code == 0, res.output
    page = json.loads(res.output)
    assert page["total"] == len(page["items"]) and page["next_offset"] is None
    cites = [r["citation"] for r in page["items"] if r["provision_id"].startswith("mdsr-2024/art20/p1/i")]
    assert cites == [f"《医疗器械监督管理条例》第二十条第一款第（{n}）项" for n in "一二三四五"]
    text = CliRunner().invoke(app, ["obligations", "--actor", "md-registrant", "--doc", "mdsr-2024", "--limit", "500"])
    assert "《医疗器械监督管理条例》第二十条第一款第（三）项" in text.output
    # penalties: provisions that PENALIZE the source article (graph.penalties) come with each row
    from graph.obligations import query as q

    rows = q(loaded_store, doc="algo-rec", limit=500)
    art6 = [r for r in rows if r.provision_id.startswith("algo-rec/art6/")]
    assert art6 and all("《互联网信息服务算法推荐管理规定》第三十二条" in r.penalties for r in art6)
    bad = CliRunner().invoke(app, ["obligations", "--stage", "no-such-stage"])
    assert bad.exit_code == 2 and "corpus/stages.yaml" in bad.output
    nodoc = CliRunner().invoke(app, ["obligations", "--doc", "no-such-law"])
    assert nodoc.exit_code == 2 and "--doc 'no-such-law'" in nodoc.output and "mdsr-2024" in nodoc.output
    by_instrument = json.loads(CliRunner().invoke(app, ["obligations", "--doc", "mdsr", "--limit", "3", "--json"]).output)
    assert by_instrument["items"] and all(r["doc_id"] == "mdsr-2024" for r in by_instrument["items"])  # current only
