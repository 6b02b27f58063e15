"""A document whose source text has gaps in its numbering is flagged wherever it is cited: search results, answer
citations and the answer's notes."""
from __future__ import annotations

from pathlib import Path

GAP = Path(__file__).parents[1] / "ingest" / "fixtures" / "national_shapes" / "示范__示范程序法(2031-01-01).md"


def test_search_results_from_an_incomplete_document_say_so(tmp_path, monkeypatch):
    monkeypatch.setenv("YIGUI_CACHE", str(tmp_path / "cache"))
    from qa.provider import IngestProvider
    from qa.retrieve import Retriever
    from qa.service import search_with

    r = Retriever(provider=IngestProvider([GAP]))
    top = search_with(r, "回避申请应当什么时候提出", k=3).results[0]
    assert top.citation == "《示范程序法》第四条之一" and top.incomplete is True


def test_answer_notes_name_the_missing_articles():
    from ingest.model import Document, Provision
    from qa.answer import Answerer
    from qa.text import analyse
    from qa.retrieve import Hit, Unit

    doc = Document(id="gap", instrument="gap", title="示范程序法", short_title="示范程序法", missing_articles=[3, 7])
    prov = Provision(id="gap/art4", doc_id="gap", kind="article", label="第四条", text="当事人有权申请回避。",
                     citation="《示范程序法》第四条", article=4)
    hit = Hit(Unit(prov, doc), 1.0, {}, prov)
    zh = Answerer._incomplete_notes(analyse("回避", {}), [hit, hit])
    assert zh == ["所收《示范程序法》文本不完整（原文缺第三条、第七条），所缺条文未予考虑。"]
    complete = Document(id="ok", instrument="ok", title="示范法", short_title="示范法")
    assert Answerer._incomplete_notes(analyse("回避", {}), [Hit(Unit(prov, complete), 1.0, {}, prov)]) == []
