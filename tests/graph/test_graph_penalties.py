"""Inferred penalty links: liability clauses that describe the sanctioned conduct instead of citing articles."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph import penalties
from ingest.parse import parse_text

GOLD = Path(__file__).parent / "data" / "penalty_gold.json"

DEMO = """# 示例条例

## 第一章 总则

第一条 为了规范器具管理，制定本条例。
第二条 生产企业应当建立并执行产品追溯制度，记录产品流向。
第三条 使用单位应当对需要定期校准的器具进行校准并予以记录。
第四条 生产企业应当履行下列义务：
（一）制定上市后风险管控计划并保证有效实施；
（二）依法开展不良事件监测，按照要求报告不良事件。
第五条 主管部门应当公布投诉举报电话。

## 第二章 法律责任

第六条 违反本条例规定，有下列情形之一的，由主管部门责令改正，处一万元以下罚款：
（一）生产企业未按照规定建立并执行产品追溯制度；
（二）使用单位未按照要求对需要定期校准的器具进行校准并予以记录；
（三）生产企业未按照规定开展不良事件监测，未报告不良事件；
（四）违反本条例第四条第（一）项规定的。
第七条 违反本条例规定，构成犯罪的，依法追究刑事责任。
第八条 违反本条例规定管理器具的，由主管部门责令改正。
"""


def _doc():
    return parse_text(DEMO, file_name="demo-reg.md",
                      meta={"id": "demo-reg", "title": "示例条例", "level": "administrative_regulation",
                            "version": "2024-01-01"})


@pytest.fixture(scope="module")
def demo():
    return penalties.extract([_doc()])


def _pen(res, method):
    return {(e["src"], e["dst"]) for e in res.edges if e["type"] == "PENALIZES" and e["props"]["method"] == method}


def test_described_conduct_links_the_item_to_the_duty_it_breaks(demo):
    inferred = _pen(demo, "inferred")
    assert ("demo-reg/art6/p1/i1", "demo-reg/art2") in inferred
    assert ("demo-reg/art6/p1/i2", "demo-reg/art3") in inferred
    assert ("demo-reg/art6/p1/i3", "demo-reg/art4/p1/i2") in inferred  # the item of the duty list, not its lead-in
    # each item links to one duty only; the lead-in paragraph holds no conduct of its own
    assert {d for s, d in inferred if s == "demo-reg/art6/p1/i1"} == {"demo-reg/art2"}
    assert not {s for s, _ in inferred if s == "demo-reg/art6/p1"}


def test_explicit_links_keep_their_method_and_are_not_inferred_again(demo):
    assert ("demo-reg/art6/p1/i4", "demo-reg/art4/p1/i1") in _pen(demo, "explicit")
    assert not {s for s, _ in _pen(demo, "inferred") if s == "demo-reg/art6/p1/i4"}


def test_general_and_criminal_clauses_link_to_nothing(demo):
    srcs = {s for s, _ in _pen(demo, "inferred")}
    assert not srcs & {"demo-reg/art7/p1", "demo-reg/art8/p1"}
    # a regulator's own duty is never the target of a sanction on undertakings
    assert not {d for _, d in _pen(demo, "inferred") if d.startswith("demo-reg/art5")}


def test_inferred_edges_carry_a_score(demo):
    rows = [e for e in demo.edges if e["type"] == "PENALIZES" and e["props"]["method"] == "inferred"]
    assert rows and all(penalties.INFER_THRESHOLD <= e["props"]["score"] <= 1.0 for e in rows)


def test_inference_can_be_turned_off():
    assert not _pen(penalties.extract([_doc()], infer=False), "inferred")


# -- the real corpus, against hand annotations -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_docs():
    from ingest.pipeline import ingest_paths

    res = ingest_paths(None, progress=False)
    assert not res.errors
    return res.documents


@pytest.fixture(scope="module")
def corpus_pen(corpus_docs):
    return [e for e in penalties.extract(corpus_docs).edges if e["type"] == "PENALIZES"]


def _article(pid: str) -> str:
    return "/".join(pid.split("/")[:2])


def score(edges: list[dict], gold: dict) -> tuple[float, float]:
    """Precision of inferred links from annotated clauses (a link is right when its target lies in an article the
    annotator named), recall over the annotated clauses that have a duty to link."""
    srcs = set(gold["links"]) | set(gold["none"])
    inferred = [e for e in edges if e["props"]["method"] == "inferred" and e["src"] in srcs]
    right = [e for e in inferred if _article(e["dst"]) in gold["links"].get(e["src"], [])]
    found = {e["src"] for e in right}
    return len(right) / max(1, len(inferred)), len(found) / len(gold["links"])


def test_gold_precision_and_recall_floors(corpus_pen):
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    assert len([s for s in gold["links"] if s.startswith("mdsr-2024/")]) >= 20
    precision, recall = score(corpus_pen, gold)
    assert precision >= 0.85, precision
    assert recall >= 0.70, recall


def test_device_post_market_items_are_pinpointed(corpus_pen):
    inferred = {(e["src"], _article(e["dst"])) for e in corpus_pen if e["props"]["method"] == "inferred"}
    assert {("mdsr-2024/art89/p1/i5", f"mdsr-2024/art{n}") for n in (20, 62, 65)} <= inferred  # adverse events
    assert ("mdsr-2024/art89/p1/i6", "mdsr-2024/art20") in inferred  # post-market research and risk plan
    assert ("mdsr-2024/art90/p1/i4", "mdsr-2024/art52") in inferred  # unsafe device still in use
    # links stay inside the same version of the instrument
    assert all(e["dst"].split("/")[0] == e["src"].split("/")[0] for e in corpus_pen if e["props"]["method"] == "inferred")


def test_pipl_general_clause_gets_no_guessed_link(corpus_pen):
    assert not [e for e in corpus_pen if e["src"].startswith("pipl/art66/") and e["props"]["method"] == "inferred"]
    # the explicit links of the Data Security Law are still there and marked as such
    dsl45 = {e["dst"] for e in corpus_pen if e["src"] == "dsl/art45/p1" and e["props"]["method"] == "explicit"}
    assert dsl45 == {"dsl/art27", "dsl/art29", "dsl/art30"}


# -- through the store: edge properties and compliance checklists ---------------------------------------------------

def test_checklist_rows_show_inferred_penalties(scratch_store, corpus_docs):
    from graph.obligations import extract, load, query

    docs = [pd for pd in corpus_docs if pd.document.id == "mdsr-2024"]
    scratch_store.load_documents(docs)
    scratch_store.load_edges(penalties.extract(docs).edges)
    load(scratch_store, extract(docs))
    props = scratch_store.run("MATCH (:Provision {id: 'mdsr-2024/art89/p1/i5'})-[r:PENALIZES]->(t:Provision) "
                              "RETURN t.id AS t, r.method AS m, r.score AS s")
    assert props and all(r["m"] == "inferred" and r["s"] >= penalties.INFER_THRESHOLD for r in props)
    rows = query(scratch_store, actor="md-registrant", doc="mdsr-2024", stage="post-market", limit=500)
    pen = {r.provision_id: r.penalties for r in rows}
    # post-market research and risk plan, traceability: sanctioned by items of art. 89, cited to the item
    assert "《医疗器械监督管理条例》第八十九条第（六）项" in pen["mdsr-2024/art20/p1/i2"]
    assert "《医疗器械监督管理条例》第八十九条第（七）项" in pen["mdsr-2024/art20/p1/i4"]
    # the registrant's adverse-event monitoring duty: art. 89 item (5)
    assert "《医疗器械监督管理条例》第八十九条第（五）项" in pen["mdsr-2024/art20/p1/i3"]
