"""The query layer on the real corpus, loaded once through graph.build (the loaded_store session fixture).

These are the contract tests: they run on the local ArcadeDB server by default and on Neo4j when NEO4J_URI is set.
"""
from __future__ import annotations

import json
import os

import pytest

from graph.queries import Queries


@pytest.fixture(scope="module")
def q(loaded_store):
    return Queries(loaded_store)


def test_build_report_and_stats(loaded_store, q):
    rep = loaded_store.build_report
    st = q.stats().model_dump()
    assert st["documents"] == rep.documents >= 39
    assert st["nodes"]["Provision"] == sum(rep.provisions.values()) > 7000
    assert st["edges"]["HAS_PART"] == st["nodes"]["Provision"]  # every provision hangs under exactly one parent
    assert st["edges"]["CITES"] > 400 and st["edges"]["PENALIZES"] > 80
    assert st["edges"]["SUPERSEDES"] == 3  # csl, hgr, mdsr
    assert st["nodes"]["Obligation"] == st["edges"]["DERIVED_FROM"] > 1000
    assert st["documents_by_level"]["law"] >= 10
    assert st["current_documents"] == st["documents"] - 3
    json.dumps(st)  # JSON-ready


@pytest.mark.parametrize("text, pid, citation", [
    ("《数据安全法》第四十五条", "dsl/art45", "《数据安全法》第四十五条"),
    ("数据安全法第45条", "dsl/art45", "《数据安全法》第四十五条"),
    ("DSL art 45", "dsl/art45", "《数据安全法》第四十五条"),
    ("PIPL Article 13(1)", "pipl/art13/p1", "《个人信息保护法》第十三条第一款"),
    ("《个人信息保护法》第十三条第一款第（三）项", "pipl/art13/p1/i3", "《个人信息保护法》第十三条第一款第（三）项"),
    ("《中华人民共和国个人信息保护法》第二十九条", "pipl/art29", "《个人信息保护法》第二十九条"),
    ("医疗器械监督管理条例第十条", "mdsr-2024/art10", "《医疗器械监督管理条例》第十条"),
    ("医疗器械监督管理条例（2021年修订）第十条", "mdsr-2021/art10", "《医疗器械监督管理条例》第十条"),
    ("民法典第一千二百一十八条", "civil-code-tort/art1218", "《民法典》第一千二百一十八条"),
    ("pipl/art29", "pipl/art29", "《个人信息保护法》第二十九条"),
])
def test_resolve_citation(q, text, pid, citation):
    p = q.resolve_citation(text)
    assert p is not None, text
    assert (p["id"], p["citation"]) == (pid, citation)
    assert p["text"] and p["doc_title"]


@pytest.mark.parametrize("text", ["刑法第一条", "《数据安全法》第九十九条", "什么是单独同意", ""])
def test_unresolvable_citation_is_none(q, text):
    assert q.resolve_citation(text) is None


def test_provision_with_children_and_english(q):
    p = q.provision("pipl/art13")
    assert p["citation"] == "《个人信息保护法》第十三条" and p["doc_title"] == "中华人民共和国个人信息保护法"
    assert p["path"][0].startswith("第二章")
    assert [c["id"] for c in p["children"]] == ["pipl/art13/p1", "pipl/art13/p2"]
    assert p["text_en"] and "Article 13" not in p["text"] and "consent" in p["text_en"]
    assert "embedding" not in p.model_dump()
    assert q.provision("pipl/art999") is None


def test_superseded_version_is_flagged(q):
    old, new = q.provision("mdsr-2021/art10"), q.provision("mdsr-2024/art10")
    assert old["current"] is False and new["current"] is True
    assert old["version"] < new["version"]


def test_document_tree(q):
    t = q.document_tree("dsl")
    assert t["document"]["short_title"] == "数据安全法"
    arts = t["children"]
    assert [a["id"] for a in arts[:2]] == ["dsl/art1", "dsl/art2"] and len(arts) == 55
    art45 = next(a for a in arts if a["id"] == "dsl/art45")
    assert [c["id"] for c in art45["children"]] == ["dsl/art45/p1", "dsl/art45/p2"]
    assert q.document_tree("no-such-doc") is None


def test_documents(q):
    docs = {d["id"]: d for d in q.documents()}
    assert docs["pipl.en"]["lang"] == "en" and docs["pipl.en"]["translation_of"] == "pipl"
    assert docs["dsl"]["provisions"] > 100 and docs["mdsr-2021"]["current"] is False


def test_neighbourhood_of_a_sanctioned_article(q):
    n = q.neighbourhood("dsl/art27")
    assert [(p["id"], p["target"]) for p in n["penalties"]] == [("dsl/art45/p1", "dsl/art27")]
    assert "dsl/art45/p1" in {c["id"] for c in n["cited_by"]}
    assert n["obligations"] and all(o.provision_id.startswith("dsl/art27") for o in n.obligations)


def test_neighbourhood_of_a_penalty_article(q):
    n = q.neighbourhood("dsl/art45")
    assert sorted(s["id"] for s in n["sanctions"]) == ["dsl/art27", "dsl/art29", "dsl/art30"]
    assert all(s["via"] == "dsl/art45/p1" for s in n["sanctions"])


def test_neighbourhood_cites_translation_and_versions(q):
    n = q.neighbourhood("pipl/art30")
    assert "pipl/art17/p1" in {c["id"] for c in n["cites"]}
    assert n["translation"]["id"] == "pipl.en/art30"
    n = q.neighbourhood("mdsr-2024/art10")
    assert [v["doc_id"] for v in n["versions"]] == ["mdsr-2021"]
    assert n["versions"][0]["provision"]["id"] == "mdsr-2021/art10"
    assert isinstance(n["versions"][0]["same_text"], bool)
    json.dumps(n.model_dump(), ensure_ascii=False)


def test_typed_results(q):
    """Documents, clauses and their neighbourhood come back as graph.models types, typed all the way down."""
    from graph.models import (CiteLink, CorpusStats, DocumentItem, DocumentTree, Neighbourhood, PenaltyRef,
                              ProvisionBrief, ProvisionChild, ProvisionItem, TreeNode, VersionRef)
    from graph.obligations.model import Obligation

    p = q.provision("pipl/art30")
    assert isinstance(p, ProvisionItem) and p.citation == "《个人信息保护法》第三十条" and p.doc_title
    assert p.children and all(isinstance(c, ProvisionChild) for c in p.children)
    assert isinstance(q.resolve_citation("PIPL art 30"), ProvisionItem)
    n = q.neighbourhood("pipl/art30")
    assert isinstance(n, Neighbourhood)
    assert n.cites and all(isinstance(c, CiteLink) and c.id and c.via for c in n.cites)
    c = next(c for c in n.cites if c.id == "pipl/art17/p1")
    assert c.citation == "《个人信息保护法》第十七条第一款" and c.doc_title == "中华人民共和国个人信息保护法"
    assert isinstance(n.translation, ProvisionBrief) and n.translation.id == "pipl.en/art30"
    n = q.neighbourhood("dsl/art27")
    assert all(isinstance(x, PenaltyRef) for x in n.penalties) and n.penalties[0].method in ("explicit", "inferred")
    assert n.obligations and all(isinstance(o, Obligation) for o in n.obligations)
    assert all(s.id for o in n.obligations for s in o.stages)
    v = q.neighbourhood("mdsr-2024/art10").versions[0]
    assert isinstance(v, VersionRef) and isinstance(v.provision, ProvisionBrief)
    docs = q.documents()
    assert docs and all(isinstance(d, DocumentItem) for d in docs)
    assert isinstance(q.document("dsl"), DocumentItem) and q.document("dsl")["id"] == "dsl"  # dict-style reads too
    t = q.document_tree("dsl")
    assert isinstance(t, DocumentTree) and isinstance(t.children[44].children[0], TreeNode)
    assert isinstance(q.stats(), CorpusStats)


def test_neighbourhood_cross_instrument(q):
    n = q.neighbourhood("pipl/art53")
    assert "network-data-reg/art26/p1" in {c["id"] for c in n["cited_by"]}


def test_fulltext_cjk(q):
    hits = q.fulltext("单独同意", k=10, current_only=True)
    ids = [h["id"] for h in hits]
    assert any(i.startswith("pipl/art29") for i in ids)
    assert all("单独同意" in h["text"] or "单独" in h["text"] for h in hits[:3])
    assert hits == sorted(hits, key=lambda h: -h["score"])
    # Lucene syntax in a user's words is searched, not parsed
    assert isinstance(q.fulltext('个人信息 AND (同意 OR "单独"', k=3), list)
    assert all(h["kind"] == "article" for h in q.fulltext("单独同意", k=5, kinds=["article"]))


def test_vector_search(loaded_store, q):
    rows = q.all_provisions(current_only=True, kinds=["article"], with_embeddings=True)
    target = next(r for r in rows if r["id"] == "pipl/art29")
    if not target.get("embedding"):
        pytest.skip("loaded without embeddings (YIGUI_TEST_EMBED=0)")
    assert len(target["embedding"]) == 384
    hits = q.vector(target["embedding"], k=5, kinds=["article"])
    assert hits[0]["id"] == "pipl/art29" and hits[0]["score"] > 0.99
    from graph.embed import embed_texts

    query = embed_texts(["处理敏感个人信息应当取得个人的单独同意"], "query")[0]
    ids = [h["id"] for h in q.vector(query.tolist(), k=10, current_only=True)]
    assert any(i.startswith(("pipl/art29", "pipl/art28", "pipl/art30", "pipl/art31")) for i in ids)


def test_all_provisions_current_only(q):
    cur = q.all_provisions()
    assert not any(r["doc_id"] == "mdsr-2021" for r in cur)
    assert {"pipl/art29", "mdsr-2024/art10"} <= {r["id"] for r in cur}
    everything = q.all_provisions(current_only=False)
    assert len(everything) > len(cur) and any(r["doc_id"] == "mdsr-2021" for r in everything)
    assert all("embedding" not in r for r in cur[:50])


def test_obligations_delegate(q):
    rows = q.obligations(doc="dsl", limit=500)
    assert rows and all(r.doc_id == "dsl" for r in rows)
    assert any(r.provision_id.startswith("dsl/art27") for r in rows)
    page = q.obligation_page(doc="dsl", limit=10)
    assert page.total == len(rows) and [i.id for i in page.items] == [r.id for r in rows[:10]]


@pytest.mark.neo4j
@pytest.mark.skipif(not os.environ.get("NEO4J_URI"), reason="NEO4J_URI is not set: Neo4j-specific DDL not exercised")
def test_neo4j_indexes(loaded_store):
    idx = {r["name"]: r for r in loaded_store.run("SHOW INDEXES YIELD name, type, options RETURN name, type, options")}
    assert idx["provision_text"]["type"] == "FULLTEXT"
    assert idx["provision_text"]["options"]["indexConfig"]["fulltext.analyzer"] == "cjk"
    assert idx["provision_embedding"]["type"] == "VECTOR"


def test_ingest_types_for_in_process_consumers(q):
    from ingest.model import Document, Provision

    docs = q.all_documents()
    assert all(isinstance(d, Document) for d in docs) and {"pipl", "mdsr-2021", "pipl.en"} <= {d.id for d in docs}
    assert next(d for d in docs if d.id == "mdsr-2021").current is False
    provs = q.all_provisions(current_only=False, as_models=True)
    assert all(isinstance(p, Provision) for p in provs[:100])
    p29 = next(p for p in provs if p.id == "pipl/art29")
    assert p29.citation == "《个人信息保护法》第二十九条" and p29.article == 29 and p29.path
    assert any(p.doc_id == "mdsr-2021" for p in provs)
