"""Learning-to-rank over the retrieval routes: lexical, dense and graph features of each candidate clause, scored by
a LightGBM lambdarank model trained by `scripts/train_qa_models.py` on the TRAIN split only.

Why LightGBM: gradient-boosted trees take raw scores of very different scales (BM25, cosines, ranks, graph flags)
without normalisation and learn their interactions (a penalty clause matters only for a penalty question; a guideline
only for a technical-review question); lambdarank optimises the ranking itself. Small model (< 1 MB text file, no
pickle), deterministic training, predictions in well under a millisecond for 100 candidates.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from ingest.numerals import CN_ONE_TO_TEN

from .graphctx import LEVEL_RANK
from .intent import INTENTS
from .text import bigrams_zh

MODEL_PATH = Path(__file__).parent / "data" / "ranker.txt"
BANK_PATH = Path(__file__).parent / "data" / "qbank.npz"  # TRAIN questions' vectors and gold articles
KNN_K = 10
KNN_TEMP = 20.0
N_FIRST = 40  # candidates from each first-stage route
N_CAND = 120  # at most this many candidates are scored

MODALITY_OF_INTENT = {"must": "obligation", "procedure": "obligation", "prohibited": "prohibition",
                      "may": "permission"}
DEADLINE = re.compile(rf"\d+日|[{CN_ONE_TO_TEN}百]+日|工作日|个月|年内|日内|之日起|期限|有效期|届满")
LIABILITY = re.compile(r"承担.{0,8}责任|赔偿|连带|过错|推定|不承担|追偿|侵权")
PENALTY_TEXT = re.compile(r"罚款|没收违法所得|吊销|责令停产停业|依法追究刑事责任|处分|警告")

FEATURES = [
    # first-stage signals: raw, relative to the best candidate, and rank
    "bm25", "bm25_rel", "bm25_lrank", "bm25_bi_rel", "bm25_bi_lrank", "bm25_core_rel", "bm25_core_lrank",
    "terms", "terms_rel", "dense", "dense_gap", "dense_lrank", "dense_para", "dense_para_gap", "dense_core_gap",
    "dense_en", "dense_en_gap", "dense_tr_gap", "dense_tr_lrank", "has_en", "rrf", "rrf_rel", "rrf_lrank",
    # instrument
    "title_named", "any_named", "level_rank", "is_guideline", "current",
    # graph routes
    "is_penalty", "penalizes_cand", "penalty_method_general", "pen_duty_lrank", "pen_duty_dense_gap", "pen_duty_cov",
    "duty_sanctioned", "modality_match", "has_obligation", "regulator_only",
    "actor_match", "actor_inherited_match", "q_has_actor", "defines_concept", "cited_by_top", "cites_top",
    "has_deadline", "has_liability", "cov_clause", "cov_bigram", "cov_conduct", "cov_conduct_rel",
    "doc_votes", "doc_votes_rank",
    "knn_score", "knn_sim", "knn_doc", "dense_drop", "bm25_drop", "terms_frac", "rare_term_hit",
    # question
    *[f"q_{k}" for k in INTENTS], "q_en", "q_ai", "q_len", "log_len",
]
FIDX = {f: i for i, f in enumerate(FEATURES)}


def _lrank(s: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """log2(1 + rank) of each candidate among all clauses by signal s (rank 1 = best)."""
    order = np.argsort(-s, kind="stable")
    r = np.empty(len(s))
    r[order] = np.arange(1, len(s) + 1)
    return np.log2(1 + r[idx])


def _rel(s: np.ndarray, idx: np.ndarray) -> np.ndarray:
    v = s[idx]
    m = float(np.max(v)) if len(v) else 0.0
    return v / m if m > 0 else np.zeros(len(v))


def top_k(s: np.ndarray, k: int) -> np.ndarray:
    """Indexes of the k largest values, best first, ties by index -- the head of a stable descending argsort in O(n)
    (np.partition), not O(n log n): nine full sorts per question cost 57 ms of 121 beside a 60k-law folder."""
    n = len(s)
    if k >= n:
        return np.argsort(-s, kind="stable")
    kth = -np.partition(-s, k - 1)[k - 1]  # the k-th largest value (selecting from the top: with many equal
    # values below, np.partition(s, n - k) took 7 ms on 60k clauses, this 0.3 ms)
    above = np.flatnonzero(s > kth)
    idx = np.concatenate([above, np.flatnonzero(s == kth)[: k - len(above)]])
    return idx[np.lexsort((idx, -s[idx]))]


def candidates(signals: dict, fused: np.ndarray, mask: np.ndarray, extra: list[int]) -> np.ndarray:
    """First-stage union: the top of each route, the fused top, and the graph expansions (penalty clauses of the
    duties found, definitions of the question's concepts)."""
    pool: list[int] = []
    for name in ("bm25", "bm25_bi", "bm25_core", "dense", "dense_para", "dense_core", "dense_en", "dense_tr",
                 "terms"):
        s = signals.get(name)
        if s is None:
            continue
        s = np.where(mask, s, -np.inf)
        pool.extend(int(i) for i in top_k(s, N_FIRST) if np.isfinite(s[i]))
    f = np.where(mask, fused, -np.inf)
    pool.extend(int(i) for i in top_k(f, N_FIRST) if np.isfinite(f[i]))
    pool.extend(i for i in extra if mask[i])
    seen = dict.fromkeys(pool)
    idx = np.array(list(seen), dtype=np.int64)
    if len(idx) > N_CAND:
        # keep the best by fused score, but never drop a graph expansion
        keep = set(int(i) for i in idx[np.argsort(-fused[idx])][: N_CAND - len(extra)]) | set(extra)
        idx = np.array([i for i in seen if i in keep], dtype=np.int64)
    return idx


def feature_matrix(r, q, signals: dict, fused: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Features (FEATURES order) of candidates idx for query analysis q on retriever r."""
    n = len(idx)
    X = np.zeros((n, len(FEATURES)), dtype=np.float32)

    def put(name, v):
        X[:, FIDX[name]] = v

    for name in ("bm25", "bm25_bi", "bm25_core"):
        s = signals[name]
        put(f"{name}_rel", _rel(s, idx))
        put(f"{name}_lrank", _lrank(s, idx))
    put("bm25", signals["bm25"][idx])
    put("terms", signals["terms"][idx])
    put("terms_rel", _rel(signals["terms"], idx))
    for name in ("dense", "dense_para", "dense_core"):
        s = signals[name]
        if name != "dense_core":
            put(name, s[idx])
        put(f"{name}_gap", s[idx] - float(np.max(s)))
    put("dense_lrank", _lrank(signals["dense"], idx))
    # how much of the match is carried by the words that describe the whole domain (AI, 医疗, 软件 …)
    put("dense_drop", signals["dense"][idx] - signals["dense_core"][idx])
    put("bm25_drop", _rel(signals["bm25"], idx) - _rel(signals["bm25_core"], idx))
    de = signals.get("dense_en")
    if de is not None:
        put("dense_en", de[idx])
        put("dense_en_gap", de[idx] - float(np.max(de)))
    dt = signals.get("dense_tr")
    dt = signals["dense"] if dt is None else dt  # Chinese questions: the question's own vector
    put("dense_tr_gap", dt[idx] - float(np.max(dt)))
    put("dense_tr_lrank", _lrank(dt, idx))
    put("has_en", r.has_en[idx])
    put("rrf", fused[idx])
    put("rrf_rel", _rel(fused - min(0.0, float(np.min(fused[idx]))), idx))
    put("rrf_lrank", _lrank(fused, idx))

    put("title_named", [r.unit_instr[i] in q.instruments for i in idx])
    put("any_named", float(bool(q.instruments)))
    put("level_rank", r.level_rank[idx])
    put("is_guideline", r.is_guideline[idx])
    put("current", r.live(q)[idx])

    ctx = r.graph
    ids = [r.zh_units[i].prov.id for i in idx]
    top_by_fused = [r.zh_units[i].prov.id for i in idx[np.argsort(-fused[idx])][:10]]
    top5 = set(top_by_fused[:5])
    top_set = set(top_by_fused)
    want_mod = {MODALITY_OF_INTENT[k] for k in q.intents if k in MODALITY_OF_INTENT}
    actors = set(q.actor_ids)
    inherited = ctx.actors_with_inherited(q.actor_ids) - actors
    penalizes_top: dict[str, str] = {}
    for d in top_set:
        for pen, method, _ in ctx.penalized_by.get(d, ()):
            penalizes_top.setdefault(pen, method)
    defined = {a for t in q.concepts for a, _ in ctx.defines.get(t, ())}
    cited_by_top = set().union(*(ctx.cites.get(a, set()) for a in top5)) if top5 else set()
    for j, pid in enumerate(ids):
        i = idx[j]
        f = ctx.facts.get(pid)
        X[j, FIDX["is_penalty"]] = r.is_penalty[i]
        if pid in penalizes_top:
            X[j, FIDX["penalizes_cand"]] = 1.0
            X[j, FIDX["penalty_method_general"]] = float(penalizes_top[pid] == "general")
        if f is not None:
            X[j, FIDX["has_obligation"]] = 1.0
            X[j, FIDX["regulator_only"]] = float(f.regulator_only)
            X[j, FIDX["modality_match"]] = float(bool(want_mod & f.modalities))
            X[j, FIDX["actor_match"]] = float(bool(actors & f.actors))
            X[j, FIDX["actor_inherited_match"]] = float(bool(inherited & f.actors))
        X[j, FIDX["defines_concept"]] = float(pid in defined)
        X[j, FIDX["cited_by_top"]] = float(pid in cited_by_top)
        X[j, FIDX["cites_top"]] = float(bool(ctx.cites.get(pid, set()) & top5))
        X[j, FIDX["has_deadline"]] = r.has_deadline[i]
        X[j, FIDX["has_liability"]] = r.has_liability[i]
    # how much of the question's own (core) vocabulary the clause holds, rarer words weighing more
    toks = [t for t in dict.fromkeys(q.core_tokens) if len(t) >= 2]
    w = np.array([r.token_idf.get(t, 0.0) for t in toks])
    bis = (set(bigrams_zh(q.core_text)) if q.lang == "zh"
           else set(b for t in q.zh_terms + q.dict_terms for b in bigrams_zh(t)))
    # document-level evidence: the instrument whose clauses crowd the top of the fused list is likely the one
    f_top = idx[np.argsort(-fused[idx])][:20]
    votes: dict[str, float] = {}
    for rank, i in enumerate(f_top, 1):
        votes[r.unit_doc[i]] = votes.get(r.unit_doc[i], 0.0) + 1.0 / rank
    vrank = {d: k for k, d in enumerate(sorted(votes, key=lambda d: -votes[d]), 1)}
    for j, i in enumerate(idx):
        ut = r.unit_tok[i]
        if toks and w.sum() > 0:
            X[j, FIDX["cov_clause"]] = float(sum(wi for t, wi in zip(toks, w) if t in ut) / w.sum())
        if bis:
            X[j, FIDX["cov_bigram"]] = len(bis & r.unit_bi[i]) / len(bis)
        d = r.unit_doc[i]
        X[j, FIDX["doc_votes"]] = votes.get(d, 0.0)
        X[j, FIDX["doc_votes_rank"]] = vrank.get(d, 30)
        ct = r.conduct_tok[i]
        if ct and toks and w.sum() > 0:
            X[j, FIDX["cov_conduct"]] = float(sum(wi for t, wi in zip(toks, w) if t in ct) / w.sum())
    # a penalty clause seen through the duties it sanctions (PENALIZES): the best of them in the first stage (rank
    # among the candidates, dense gap, coverage of the question) -- the conduct a question describes is usually
    # worded in the duty, the penalty only refers to it ("违反本法第三十条规定")
    pos = {int(i): j for j, i in enumerate(idx)}
    crank = np.empty(n)
    crank[np.argsort(-fused[idx], kind="stable")] = np.arange(1, n + 1)
    dmax = float(np.max(signals["dense"]))
    cov = X[:, FIDX["cov_clause"]]
    X[:, FIDX["pen_duty_lrank"]] = np.log2(2 + N_CAND)
    X[:, FIDX["pen_duty_dense_gap"]] = -1.0
    for j, pid in enumerate(ids):
        links = ctx.penalizes.get(pid)
        if links:
            best_r, best_d, best_c = None, None, 0.0
            for duty, _ in links:
                k = r.zh_index.get(duty)
                if k is None:
                    continue
                dg = float(signals["dense"][k]) - dmax
                best_d = dg if best_d is None else max(best_d, dg)
                jj = pos.get(k)
                if jj is not None:
                    best_r = crank[jj] if best_r is None else min(best_r, crank[jj])
                    best_c = max(best_c, float(cov[jj]))
            if best_r is not None:
                X[j, FIDX["pen_duty_lrank"]] = np.log2(1 + best_r)
            if best_d is not None:
                X[j, FIDX["pen_duty_dense_gap"]] = best_d
            X[j, FIDX["pen_duty_cov"]] = best_c
        elif pid in ctx.penalized_by:
            X[j, FIDX["duty_sanctioned"]] = 1.0
    cc = X[:, FIDX["cov_conduct"]]
    if len(cc) and cc.max() > 0:
        X[:, FIDX["cov_conduct_rel"]] = cc / cc.max()
    # the question's legal terms (glossary, actors, translated English terms, lay words mapped): which share the clause
    # holds, and whether it holds the rarest one (the term that names the legal issue: 单独同意 rather than 患者)
    terms = [t for t in dict.fromkeys(q.legal_terms + q.concepts) if len(t) >= 2]
    if terms:
        masks = [r._mask_for(t) for t in terms]
        dfs = [int(m.sum()) for m in masks]
        rare = int(np.argmin([d if d else 10**9 for d in dfs]))
        held = np.array([[m[i] for m in masks] for i in idx], dtype=np.float32)
        X[:, FIDX["terms_frac"]] = held.mean(axis=1)
        X[:, FIDX["rare_term_hit"]] = held[:, rare] if dfs[rare] else 0.0
    bank = getattr(r, "qbank", None)
    if bank is not None:
        knn_fill(X, bank, r._qvec(q), ids, [r.unit_doc[i] for i in idx])
    put("q_has_actor", float(bool(actors)))
    for k in INTENTS:
        put(f"q_{k}", float(k in q.intents))
    put("q_en", float(q.lang == "en"))
    put("q_ai", float(q.mentions_ai))
    put("q_len", float(len(q.core_tokens)))
    put("log_len", r.log_len[idx])
    return X


class QuestionBank:
    """TRAIN questions (normalised e5 vectors) and the articles that answer them: a new question close to known
    ones votes for their answers (query-to-query similarity). Only TRAIN questions are ever in the bank."""

    def __init__(self, vecs: np.ndarray, gold: list[list[str]]):
        self.vecs = np.asarray(vecs, dtype=np.float32)
        self.gold = [list(g) for g in gold]
        self.gold_docs = [sorted({a.split("/", 1)[0] for a in g}) for g in self.gold]

    def save(self, path: Path = BANK_PATH) -> None:
        flat = [a for g in self.gold for a in g]
        lens = [len(g) for g in self.gold]
        np.savez_compressed(path, vecs=self.vecs.astype(np.float16), gold=np.array(flat), lens=np.array(lens))

    @classmethod
    def load(cls, path: Path = BANK_PATH) -> "QuestionBank":
        with np.load(path, allow_pickle=False) as z:
            vecs, flat, lens = z["vecs"].astype(np.float32), [str(x) for x in z["gold"]], z["lens"]
        gold, k = [], 0
        for n in lens:
            gold.append(flat[k : k + int(n)])
            k += int(n)
        return cls(vecs, gold)

    def without(self, j: int) -> "QuestionBank":
        """The bank less question j (leave-one-out when the bank's own questions are scored)."""
        keep = [k for k in range(len(self.gold)) if k != j]
        return QuestionBank(self.vecs[keep], [self.gold[k] for k in keep])

    def neighbours(self, qv: np.ndarray, exclude: set[int] | None = None) -> list[tuple[int, float]]:
        s = self.vecs @ qv
        if exclude:
            s = s.copy()
            s[list(exclude)] = -np.inf
        top = np.argsort(-s)[:KNN_K]
        return [(int(j), float(s[j])) for j in top if np.isfinite(s[j])]


def knn_fill(X: np.ndarray, bank: QuestionBank, qv: np.ndarray, ids: list[str], docs: list[str],
             exclude: set[int] | None = None) -> None:
    """knn_score (similarity-weighted votes of the nearest TRAIN questions for this clause), knn_sim (similarity of
    the nearest TRAIN question it answers), knn_doc (votes for its document)."""
    nb = bank.neighbours(qv, exclude)
    if not nb:
        return
    top = nb[0][1]
    votes: dict[str, float] = {}
    best: dict[str, float] = {}
    dvotes: dict[str, float] = {}
    for j, sim in nb:
        w = float(np.exp(KNN_TEMP * (sim - top)))
        for a in bank.gold[j]:
            votes[a] = votes.get(a, 0.0) + w
            best[a] = max(best.get(a, -1.0), sim)
        for d in bank.gold_docs[j]:
            dvotes[d] = dvotes.get(d, 0.0) + w
    for k, (pid, d) in enumerate(zip(ids, docs)):
        X[k, FIDX["knn_score"]] = votes.get(pid, 0.0)
        X[k, FIDX["knn_sim"]] = best.get(pid, 0.0)
        X[k, FIDX["knn_doc"]] = dvotes.get(d, 0.0)


@lru_cache(maxsize=1)
def load_bank() -> QuestionBank | None:
    return QuestionBank.load() if BANK_PATH.exists() else None


def graph_expansions(r, q, fused: np.ndarray, mask: np.ndarray) -> list[int]:
    """Clauses the graph adds to the first stage: penalty clauses linked to the top duties (PENALIZES), and the
    definitions of the concepts the question uses (DEFINED_IN)."""
    out: list[int] = []
    ctx = r.graph
    f = np.where(mask, fused, -np.inf)
    for i in np.argsort(-f)[:10]:
        for pen, _, _ in ctx.penalized_by.get(r.zh_units[i].prov.id, ()):
            k = r.zh_index.get(pen)
            if k is not None:
                out.append(k)
    for t in q.concepts:
        for art, _ in ctx.defines.get(t, ()):
            k = r.zh_index.get(art)
            if k is not None:
                out.append(k)
    return list(dict.fromkeys(out))


@lru_cache(maxsize=1)
def load_model():
    """The trained ranker (a LightGBM text model shipped with the package)."""
    import lightgbm as lgb

    if not MODEL_PATH.exists():
        raise RuntimeError(f"ranking model {MODEL_PATH.name} is missing from the qa package: "
                           "run `python scripts/train_qa_models.py` (or reinstall)")
    b = lgb.Booster(model_file=str(MODEL_PATH))
    names = b.feature_name()
    if names != FEATURES:
        raise RuntimeError(f"{MODEL_PATH.name} was trained on other features than qa.rank.FEATURES: retrain with "
                           "`python scripts/train_qa_models.py`")
    return b


def level_rank(level: str) -> float:
    return float(LEVEL_RANK.get(level, 2))
