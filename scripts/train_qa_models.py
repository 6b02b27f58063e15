"""Train the QA models on the TRAIN split only, from the graph store that `yigui ingest` filled:

  qa/data/ranker.txt   LightGBM lambdarank over qa.rank.FEATURES (candidate clauses of each question)
  qa/data/scope.json   logistic scope classifier over qa.scope.FEATURES (answer / refuse)

TRAIN = corpus/eval/questions.jsonl + ../shared/eval/dev.jsonl + corpus/eval/qa_train_gen*.jsonl (answerable) and
corpus/eval/scope_train*.jsonl (out-of-domain and not-loaded questions). The TEST files (corpus/eval/qa_test_*.jsonl)
are never read here. Deterministic: fixed seeds, one thread; re-running on the same store gives the same models.

    python scripts/train_qa_models.py [--cv]     # --cv: 5-fold grouped cross-validation figures on TRAIN first
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("YIGUI_PROGRESS", "0")

TRAIN_FILES = ["corpus/eval/questions.jsonl", "corpus/eval/qa_train_gen.jsonl", "corpus/eval/qa_train_gen2.jsonl",
               "corpus/eval/qa_train_gen3.jsonl",
               # gen4: one zh and one en question on each normative article no earlier TRAIN question had; gen5: the
               # same on 720 articles with at most two. Once only the scope models' answerable examples; as ranker
               # data they generalise to articles they do not cover: gen4 a-c in, d-e held out: d-e hit@5 0.780 ->
               # 0.812 (zh), 0.817 -> 0.843 (en); gen5 1-5 in, 6 held out: 0.887 -> 0.952 (zh), 0.806 -> 0.831 (en);
               # gen6: penalty questions, >= 4 per fining article (one per conduct item where it lists more), the
               # violation in users' words and the maximum for the tier described: 5-fold CV on the earlier TRAIN
               # penalty questions, right penalty clause first among the penalty candidates 0.628 -> 0.721
               *sorted(str(p.relative_to(REPO)) for p in (REPO / "corpus/eval").glob("qa_train_gen[4-9]_*.jsonl"))]
SCOPE_ONLY_FILES: list[str] = []  # answerable examples for the scope models only (none today)
PARAMS = {"objective": "lambdarank", "metric": "ndcg", "ndcg_eval_at": [1, 5], "learning_rate": 0.05,
          "num_leaves": 15, "min_data_in_leaf": 20, "feature_fraction": 0.8, "bagging_fraction": 0.8,
          "bagging_freq": 1, "lambda_l2": 1.0, "seed": 7, "deterministic": True, "num_threads": 1, "verbose": -1,
          "label_gain": [0, 1]}
ROUNDS = 300


def train_questions(files=None):
    from corpus import corpus_dir
    from qa.eval import load_questions

    qs = []
    if files is not None:
        return [q for f in files for q in load_questions(REPO / f) if q.gold and not q.abstain]
    for f in TRAIN_FILES:
        p = REPO / f
        if p.exists():
            qs += load_questions(p)
    dev = corpus_dir().parent / "eval" / "dev.jsonl"
    if dev.exists():
        qs += load_questions(dev)
    return [q for q in qs if q.gold and not q.abstain]


def ranking_data(r, questions):
    """Candidates and features of every TRAIN question whose gold is among its candidates. The question bank is
    switched off here; its features are filled per fold (fill_knn), so no question ever votes for itself."""
    from qa.eval import is_gold, title_resolver

    resolve = title_resolver(r.docs.values())
    saved, r.qbank = getattr(r, "qbank", None), None
    Xs, ys, kept, cand_ids, vecs, golds = [], [], [], [], [], []
    try:
        for q in questions:
            gold = [(resolve(t), a) for t, a in q.gold]
            qa = r.analyse(q.q)
            signals, fused, mask = r.first_stage(qa)
            idx, X = r.candidate_features(qa, signals, fused, mask)
            y = np.array([is_gold(r.zh_units[i], gold) for i in idx], dtype=np.int32)
            # every current article the gold names (for the bank), found or not among the candidates
            garts = [u.prov.id for k, u in enumerate(r.zh_units) if r.current[k] and is_gold(u, gold)]
            if not y.any() or not garts:
                continue
            Xs.append(X)
            ys.append(y)
            kept.append(q)
            cand_ids.append([r.zh_units[i].prov.id for i in idx])
            vecs.append(r._qvec(qa))
            golds.append(garts)
    finally:
        r.qbank = saved
    return Xs, ys, kept, (cand_ids, np.array(vecs), golds)


def fill_knn(Xs, side, members: list[int], targets: list[int]) -> None:
    """Question-bank features for `targets`, from a bank of `members` (a target in the bank is left out)."""
    from qa.rank import QuestionBank, knn_fill

    cand_ids, vecs, golds = side
    bank = QuestionBank(vecs[members], [golds[i] for i in members])
    pos = {m: k for k, m in enumerate(members)}
    for t in targets:
        docs = [c.split("/", 1)[0] for c in cand_ids[t]]
        knn_fill(Xs[t], bank, vecs[t], cand_ids[t], docs, exclude={pos[t]} if t in pos else None)


def fit(Xs, ys, rounds=ROUNDS):
    import lightgbm as lgb

    from qa.rank import FEATURES

    ds = lgb.Dataset(np.vstack(Xs), np.concatenate(ys), group=[len(y) for y in ys], feature_name=FEATURES,
                     free_raw_data=False)
    return lgb.train(PARAMS, ds, num_boost_round=rounds)


def hit_at(model, Xs, ys, k):
    h = 0
    for X, y in zip(Xs, ys):
        s = model.predict(X, num_threads=1)
        top = np.argsort(-s, kind="stable")[:k]
        h += bool(y[top].any())
    return h / max(1, len(Xs))


def cv(Xs, ys, qs, side, folds=5):
    rng = np.random.default_rng(11)
    order = rng.permutation(len(Xs))
    Xs = [X.copy() for X in Xs]
    res = {"hit@1": [], "hit@5": [], "base_hit@1": [], "base_hit@5": []}
    from qa.rank import FIDX

    for f in range(folds):
        test = set(order[f::folds].tolist())
        tr = [i for i in range(len(Xs)) if i not in test]
        fill_knn(Xs, side, tr, list(range(len(Xs))))  # bank = the training folds only
        m = fit([Xs[i] for i in tr], [ys[i] for i in tr])
        te = sorted(test)
        res["hit@1"].append(hit_at(m, [Xs[i] for i in te], [ys[i] for i in te], 1))
        res["hit@5"].append(hit_at(m, [Xs[i] for i in te], [ys[i] for i in te], 5))
        for k in (1, 5):  # the fused first stage alone, on the same candidates
            h = sum(bool(ys[i][np.argsort(-Xs[i][:, FIDX["rrf"]], kind="stable")[:k]].any()) for i in te)
            res[f"base_hit@{k}"].append(h / len(te))
    return {k: round(float(np.mean(v)), 3) for k, v in res.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cv", action="store_true")
    ap.add_argument("--no-scope", action="store_true")
    ap.add_argument("--scope-only", action="store_true", help="keep the ranker and bank, refit the scope models")
    a = ap.parse_args(argv)
    from qa.rank import MODEL_PATH
    from qa.service import get_retriever

    r = get_retriever()
    qs = train_questions()
    Xs, ys, kept, side = ranking_data(r, qs)
    scope_qs = qs + train_questions(SCOPE_ONLY_FILES)  # the refusal models' answerable examples
    print(f"ranker: {len(kept)} of {len(qs)} TRAIN questions have a gold clause among the candidates "
          f"({sum(len(y) for y in ys)} candidate rows)")
    if a.scope_only:
        from qa.scope import train_scope

        train_scope(r, REPO, scope_qs, bank_index={q.q: k for k, q in enumerate(kept)})
        return
    if a.cv:
        print("5-fold CV on TRAIN (among candidates):", json.dumps(cv(Xs, ys, kept, side)))
    fill_knn(Xs, side, list(range(len(Xs))), list(range(len(Xs))))  # leave-one-out over the whole bank
    m = fit(Xs, ys)
    from qa.rank import BANK_PATH, QuestionBank, load_bank

    QuestionBank(side[1], side[2]).save(BANK_PATH)
    load_bank.cache_clear()
    r.qbank = load_bank()
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    m.save_model(str(MODEL_PATH))
    imp = sorted(zip(m.feature_name(), m.feature_importance("gain")), key=lambda p: -p[1])[:15]
    print("wrote", MODEL_PATH.relative_to(REPO), "top features:", ", ".join(f"{n}={v:.0f}" for n, v in imp))
    if not a.no_scope:
        from qa.scope import train_scope

        train_scope(r, REPO, scope_qs, bank_index={q.q: k for k, q in enumerate(kept)})


if __name__ == "__main__":
    main()
