"""Whether a question is one the loaded texts can answer: a calibrated logistic classifier over the evidence the
retrieval found (how much of the question's own legal vocabulary the corpus and the best clauses hold, how close the
best clauses are, the graph facts the question meets) plus a character n-gram text model of the question, stacked.

Trained by `scripts/train_qa_models.py` on the TRAIN split: answerable TRAIN questions as positives, the project's
own out-of-domain and not-loaded questions (corpus/eval/scope_train*.jsonl) as negatives. Stored as plain JSON (no
pickle). Questions that turn on a registered instrument whose text is not loaded are told so by name
(`not_loaded_for`), never answered from a substitute clause.
"""
from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).parent / "data" / "scope.json"
FEATURES = ["top_score", "top_gap", "dense_max", "dense_core_max", "cov_corpus", "cov_top3", "cov_top1",
            "n_core", "n_legal_terms", "n_concepts", "n_actors", "named", "n_domain", "q_en", "no_intent",
            "penalty_top", "foreign_law", "p_text", "p_emb"]
STACKED = ("p_text", "p_emb")  # model outputs stacked as features (cross-validated when training)

# A question asked under another jurisdiction's law is outside a corpus of PRC law, however medical its words.
# General reason, not fitted: the names of foreign data/health/AI statutes (whole words: "appi" is in "overlapping"),
# a foreign jurisdiction's law, rules or regulator's requirements, and "under <foreign> law". A foreign country named
# as a place -- the destination of a transfer, a vendor's seat, a foreign court asking for data -- is not foreign law:
# those questions are the PRC export rules' (个人信息保护法第三十八条, 数据安全法第三十六条).
_ACRONYMS = r"HIPAA|GDPR|CCPA|CPRA|BIPA|HITECH|510\(k\)|De Novo|EU AI Act|AI Act|MDR|IVDR|PIPEDA|PDPA|APPI"
_JURIS = r"美国|欧盟|日本|韩国|新加坡|香港|澳门|台湾地区|加州|英国|德国|法国"
FOREIGN_LAW = re.compile(
    rf"(?<![A-Za-z])(?:{_ACRONYMS})(?![A-Za-z])|"
    rf"(?:{_JURIS})(?:的|本地)?(?:《|法律|法规|法(?![院庭官])|联邦|个人资料|个人信息保护法|隐私法|数据保护|人工智能法|"
    r"监管(?:要求|规定)|规定|要求)|FDA(?:的)?(?:规定|要求|法规|指南|审批程序)|"
    r"under (?:US|U\.S\.|EU|UK|Japanese|Korean|Singapore|Hong Kong|Californian?|German|French|foreign|American|"
    r"European) (?:law|rules|regulations?)|(?:laws?|rules|requirements|regulations?|regulators?) (?:in|of) the "
    r"(?:US|EU|UK|United States|European Union)\b|FDA(?:'s)? (?:[\w-]+ ){0,4}(?:rules?|requirements?|regulations?|"
    r"guidance|clearance|approval process|plan)\b",
    re.I)
PRC_LAW = re.compile(r"中国法|我国法|国内法|中华人民共和国|PRC|Chinese law|China's law|under Chinese", re.I)


def foreign_law(qa) -> bool:
    """The question is asked under a foreign law (and names no PRC instrument or PRC law)."""
    return bool(FOREIGN_LAW.search(qa.text)) and not qa.instruments and not PRC_LAW.search(qa.text)


def _tokens_for_coverage(qa) -> list[str]:
    toks = [t for t in dict.fromkeys(qa.core_tokens) if len(t) >= 2]
    return toks


def evidence(r, qa, hits) -> dict:
    """Question-level evidence features (FEATURES minus p_text)."""
    toks = _tokens_for_coverage(qa)
    vocab = r.vocab
    idf = r.token_idf
    w = np.array([idf.get(t, math.log(1 + r.n)) for t in toks]) if toks else np.zeros(0)

    def cov(texts: list[str]) -> float:
        if not toks:
            return 0.0
        got = np.array([any(t in x for x in texts) for t in toks], dtype=float)
        return float((got * w).sum() / w.sum()) if w.sum() else 0.0

    top_texts = [h.unit.prov.text + (h.text_en or "") for h in hits[:3]]
    f = {
        "top_score": hits[0].score if hits else -5.0,
        "top_gap": (hits[0].score - hits[1].score) if len(hits) > 1 else 0.0,
        "dense_max": max((max(h.signals.get("dense", 0), h.signals.get("dense_para", 0),
                              h.signals.get("dense_en") or 0) for h in hits[:5]), default=0.0),
        "dense_core_max": max((h.signals.get("dense_core", 0) for h in hits[:5]), default=0.0),
        "cov_corpus": (sum(1 for t in toks if t in vocab) / len(toks)) if toks else 0.0,
        "cov_top3": cov(top_texts),
        "cov_top1": cov(top_texts[:1]),
        "n_core": float(len(toks)),
        "n_legal_terms": float(len(qa.legal_terms)),
        "n_concepts": float(len(qa.concepts)),
        "n_actors": float(len(qa.actor_ids)),
        "named": float(bool(qa.instruments)),
        "n_domain": float(len(qa.domain_terms)),
        "q_en": float(qa.lang == "en"),
        "no_intent": float(not qa.intents),
        "penalty_top": float(bool(hits) and bool(r.is_penalty[r.zh_index[hits[0].unit.prov.id]])),
        "foreign_law": float(foreign_law(qa)),
    }
    return f


class TextModel:
    """Character n-gram TF-IDF + logistic regression over the question text (scikit-learn), JSON-serialisable."""

    def __init__(self, vocabulary: dict, idf: list, coef: list, intercept: float):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, lowercase=True,
                                   vocabulary=vocabulary)
        self.vec.idf_ = np.asarray(idf)
        self.coef = np.asarray(coef)
        self.intercept = float(intercept)

    def prob(self, texts: list[str]) -> np.ndarray:
        X = self.vec.transform(texts)
        z = X @ self.coef + self.intercept
        return 1 / (1 + np.exp(-z))


class ScopeModel:
    def __init__(self, d: dict):
        self.features = d["features"]
        if self.features != FEATURES:
            raise RuntimeError(f"{MODEL_PATH.name} was trained on other features: run scripts/train_qa_models.py")
        self.mean = np.asarray(d["mean"])
        self.scale = np.asarray(d["scale"])
        self.coef = np.asarray(d["coef"])
        self.intercept = float(d["intercept"])
        self.threshold = float(d["threshold"])
        self.text = TextModel(**d["text"])
        self.emb_coef = np.asarray(d["emb"]["coef"])
        self.emb_intercept = float(d["emb"]["intercept"])

    def prob(self, feats: dict, question: str, qvec: np.ndarray) -> float:
        f = dict(feats)
        f["p_text"] = float(self.text.prob([question])[0])
        f["p_emb"] = float(1 / (1 + math.exp(-(qvec @ self.emb_coef + self.emb_intercept))))
        x = (np.array([f[k] for k in FEATURES]) - self.mean) / self.scale
        return float(1 / (1 + math.exp(-(x @ self.coef + self.intercept))))


@lru_cache(maxsize=1)
def load_model() -> ScopeModel:
    if not MODEL_PATH.exists():
        raise RuntimeError(f"scope model {MODEL_PATH.name} is missing from the qa package: "
                           "run `python scripts/train_qa_models.py` (or reinstall)")
    return ScopeModel(json.loads(MODEL_PATH.read_text(encoding="utf-8")))


# ------------------------------------------------------------------------------------------------ not loaded
@lru_cache(maxsize=1)
def _registry() -> list[dict]:
    from corpus import load_yaml

    return [{"key": k, **v} for k, v in (load_yaml("registry.yaml").get("instruments") or {}).items()]


def _is_loaded(ins: dict, loaded: set[str]) -> bool:
    return ins["key"] in loaded or any(v.get("id") in loaded for v in ins.get("versions") or [])


def not_loaded_for(qa, loaded: set[str]) -> tuple[list[dict], list[dict]]:
    """Registered instruments whose text is not loaded that the question (named, [topical]) turns on."""
    text = qa.text.lower()
    norm = re.sub(r"[\s《》]", "", text)
    named, topical = [], []
    for ins in _registry():
        if _is_loaded(ins, loaded):
            continue
        names = [ins.get("short_title") or "", ins.get("title") or "", *(ins.get("aliases") or [])]
        names = [re.sub(r"[\s《》]", "", str(n)).lower() for n in names if n and len(str(n)) >= 4]
        # a title without its （试行）/year suffix is how people name it
        names += [re.sub(r"（.*?）|\(.*?\)", "", n) for n in names]
        if any(n and len(n) >= 4 and n in norm for n in names):
            named.append(ins)
            continue
        topics = [str(t).lower() for t in ins.get("topics") or [] if len(str(t)) >= 4]
        if sum(1 for t in topics if t in text) >= 1:
            topical.append(ins)
    return named, topical


# ------------------------------------------------------------------------------------------------ not loaded, by subject
# A question can turn on a registered instrument whose text is not loaded without naming it ("线上复诊能开处方吗" is
# governed by 互联网诊疗管理办法). Decided per (question, instrument) pair by a logistic model over how well the
# question meets the instrument's registry profile (title, aliases, topics) against how well it meets the loaded
# instruments' profiles and the best loaded clauses. Trained on TRAIN only (scope_train.jsonl not_loaded questions,
# answerable TRAIN questions as negatives).
NL_FEATURES = ["topics", "topic_idf", "topic_max_idf", "topic_absent", "topic_gap", "cos", "cos_rank",
               "cos_gap_loaded", "cos_gap_clause", "top_score", "dense_max", "cov_top3", "cov_corpus", "q_en",
               "named_loaded", "nn_nl", "nn_gap"]
# TRAIN not-loaded questions (vectors and the instruments they turn on): nn_nl is the question's closeness to the
# nearest of them on this instrument, nn_gap that less its closeness to the nearest answerable TRAIN question (the
# ranker's question bank) -- a registry profile is a title and a few topics, these are how users ask
NL_BANK_PATH = Path(__file__).parent / "data" / "nl_bank.npz"
# share of answerable TRAIN questions the not-loaded model must leave answered (cross-validated; in a trial run 0.99
# refused 28 of 2,772 fair TRAIN questions for 0.58 of the not-loaded ones, 0.995 14 for 0.52; the issue: no
# answerable question refused)
NL_ANSWERED = 0.995


def _profile(ins: dict) -> str:
    names = [ins.get("title") or "", ins.get("short_title") or "", ins.get("title_en") or "",
             *(str(a) for a in ins.get("aliases") or [])]
    names = list(dict.fromkeys(n for n in names if n))
    return "；".join(names) + "：" + "、".join(str(t) for t in ins.get("topics") or [])


def _topic_hit(topic: str, text_lower: str) -> bool:
    t = topic.lower()
    if re.search(r"[a-z]", t):  # English topic: whole words ("ai" is not "air")
        return re.search(r"(?<![a-z])" + re.escape(t) + r"(?![a-z])", text_lower) is not None
    return t in text_lower


class NotLoadedIndex:
    """Registry profiles (embedded once per index build, through the embedding cache) and topic weights."""

    def __init__(self, r):
        from graph.embed import embed_texts

        loaded = {d.instrument for d in r.docs.values()} | set(r.docs)
        regs = _registry()
        self.missing = [i for i in regs if not _is_loaded(i, loaded)]
        self.present = [i for i in regs if _is_loaded(i, loaded)]
        allins = self.missing + self.present
        V = embed_texts([_profile(i) for i in allins], "passage", r.embedder) if allins else np.zeros((0, 1))
        self.Vm, self.Vp = V[:len(self.missing)], V[len(self.missing):]
        zh_texts = [u.prov.text for u in r.zh_units]
        en_texts = [u.prov.text.lower() for u in r.en_units]
        self.idf: dict[str, float] = {}
        self.absent: set[str] = set()  # topics no loaded provision uses
        for ins in allins:
            for t in ins.get("topics") or []:
                t = str(t)
                if t in self.idf:
                    continue
                en = bool(re.search(r"[A-Za-z]", t))
                pool = en_texts if en else zh_texts
                df = sum(1 for x in pool if _topic_hit(t, x))  # English texts are lower-cased above
                if df == 0:
                    self.absent.add(t)
                self.idf[t] = float(np.log(1 + len(pool) / (1 + df))) if pool else 0.0
        self.bank = _load_nl_bank()

    def _nearest(self, q: np.ndarray, exclude: int | None) -> dict[str, float]:
        """Instrument key -> similarity of the nearest TRAIN not-loaded question on it (`exclude`: leave that one
        out, when the bank's own questions are scored in training)."""
        out: dict[str, float] = {}
        if self.bank is None or not len(self.bank.vecs):
            return out
        s = self.bank.vecs @ q
        for j, keys in enumerate(self.bank.gold):
            if j != exclude:
                for key in keys:
                    out[key] = max(out.get(key, -1.0), float(s[j]))
        return out

    def _topic(self, ins: dict, text_lower: str) -> tuple[int, float, float, int]:
        """(topics matched, their idf sum, the highest idf, how many no loaded provision uses)"""
        hits = [str(t) for t in ins.get("topics") or [] if _topic_hit(str(t), text_lower)]
        w = [self.idf.get(t, 0.0) for t in hits]
        return len(hits), float(sum(w)), max(w, default=0.0), sum(1 for t in hits if t in self.absent)

    def pairs(self, r, qa, hits, ev: dict | None = None, exclude: int | None = None) -> tuple[list[dict], np.ndarray]:
        """The missing instruments and one NL_FEATURES row per instrument for this question."""
        if not self.missing:
            return [], np.zeros((0, len(NL_FEATURES)))
        ev = ev or evidence(r, qa, hits)
        q = r._qvec(qa)
        text = qa.text.lower()
        cm = self.Vm @ q
        cp = self.Vp @ q if len(self.Vp) else np.zeros(1)
        allc = np.concatenate([cm, cp])
        best_loaded_topic = max((self._topic(i, text)[1] for i in self.present), default=0.0)
        near = self._nearest(q, exclude)
        qb = getattr(r, "qbank", None)
        ans = float((qb.vecs @ q).max()) if qb is not None and len(qb.vecs) else 0.0
        rows = []
        for k, ins in enumerate(self.missing):
            n, w, wmax, absent = self._topic(ins, text)
            nn = near.get(ins.get("key"), 0.0)
            rows.append([n, w, wmax, absent, w - best_loaded_topic, cm[k], float((allc > cm[k]).sum()),
                         cm[k] - cp.max(), cm[k] - ev["dense_max"], ev["top_score"], ev["dense_max"], ev["cov_top3"],
                         ev["cov_corpus"], ev["q_en"], float(bool(qa.instruments)), nn, nn - ans])
        return self.missing, np.array(rows, dtype=float)


def _load_nl_bank():
    from .rank import QuestionBank

    return QuestionBank.load(NL_BANK_PATH) if NL_BANK_PATH.exists() else None


def nl_index(r) -> NotLoadedIndex:
    idx = getattr(r, "_nl_index", None)
    if idx is None:
        idx = r._nl_index = NotLoadedIndex(r)
    return idx


class NotLoadedModel:
    def __init__(self, d: dict):
        if d["features"] != NL_FEATURES:
            raise RuntimeError(f"{MODEL_PATH.name} was trained on other not-loaded features: "
                               "run scripts/train_qa_models.py")
        self.mean, self.scale = np.asarray(d["mean"]), np.asarray(d["scale"])
        self.coef, self.intercept = np.asarray(d["coef"]), float(d["intercept"])
        self.threshold = float(d["threshold"])

    def probs(self, X: np.ndarray) -> np.ndarray:
        if not len(X):
            return np.zeros(0)
        z = ((X - self.mean) / self.scale) @ self.coef + self.intercept
        return 1 / (1 + np.exp(-z))

    def decide(self, r, qa, hits, ev: dict | None = None) -> tuple[float, list[dict]]:
        """(highest pair probability, the missing instruments at or above the threshold, best first)."""
        ins, X = nl_index(r).pairs(r, qa, hits, ev)
        p = self.probs(X)
        if not len(p):
            return 0.0, []
        order = np.argsort(-p, kind="stable")
        return float(p[order[0]]), [ins[k] for k in order if p[k] >= self.threshold][:3]


@lru_cache(maxsize=1)
def load_nl_model() -> NotLoadedModel:
    d = json.loads(MODEL_PATH.read_text(encoding="utf-8")).get("not_loaded") if MODEL_PATH.exists() else None
    if not d:
        raise RuntimeError(f"{MODEL_PATH.name} has no not-loaded model: run `python scripts/train_qa_models.py`")
    return NotLoadedModel(d)


# ------------------------------------------------------------------------------------------------ training
def _fit_text(texts: list[str], y: np.ndarray):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, lowercase=True, min_df=2,
                          max_features=30000)
    X = vec.fit_transform(texts)
    lr = LogisticRegression(C=2.0, max_iter=2000, class_weight="balanced", random_state=0)
    lr.fit(X, y)
    return vec, lr


def _train_not_loaded(idx: NotLoadedIndex, rows: list[np.ndarray], n_answerable: int, nl_qs: list[dict]) -> dict:
    """Pair model for questions on instruments not loaded: a pair is positive when the instrument is one the
    question turns on. Threshold: the lowest that still answers NL_ANSWERED of the answerable TRAIN questions
    (cross-validated, grouped by question), since refusing a fair question costs more than a missed note."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    keys = [i["key"] for i in idx.missing]
    X = np.vstack(rows)
    g = np.repeat(np.arange(len(rows)), len(keys))
    yq = np.array([0] * n_answerable + [1] * len(nl_qs))
    y = np.zeros(len(X), dtype=int)
    for k, o in enumerate(nl_qs):
        for key in o.get("not_loaded") or []:
            if key in keys:
                y[(n_answerable + k) * len(keys) + keys.index(key)] = 1
    mean, scale = X.mean(0), X.std(0) + 1e-9
    Z = (X - mean) / scale
    cvp = np.zeros(len(y))
    order = np.random.default_rng(13).permutation(len(rows))  # groups shuffled, then folded
    gk = np.empty(len(rows), dtype=int)
    gk[order] = np.arange(len(rows)) % 5
    for tr, te in GroupKFold(n_splits=5).split(Z, y, gk[g]):
        m = LogisticRegression(C=1.0, max_iter=3000, random_state=0).fit(Z[tr], y[tr])
        cvp[te] = m.predict_proba(Z[te])[:, 1]
    qmax = cvp.reshape(len(rows), len(keys)).max(1)
    # unweighted (class_weight=None): on TRAIN, balanced weights refused more fair questions at every recall
    neg = np.sort(qmax[yq == 0])
    thr = float(neg[min(len(neg) - 1, int(np.ceil(NL_ANSWERED * len(neg))))]) + 1e-6
    qbest = cvp.reshape(len(rows), len(keys)).argmax(1)
    named = np.mean([keys[qbest[n_answerable + k]] in (o.get("not_loaded") or [])
                     for k, o in enumerate(nl_qs)]) if nl_qs else 0.0
    m = LogisticRegression(C=1.0, max_iter=3000, random_state=0).fit(Z, y)
    print(f"not-loaded: {len(nl_qs)} not-loaded / {n_answerable} answerable TRAIN questions, {len(keys)} missing "
          f"instruments; threshold {thr:.3f}; CV answered-right {np.mean(qmax[yq == 0] < thr):.3f}, refused-right "
          f"{np.mean(qmax[yq == 1] >= thr):.3f}, best-named right {named:.3f}; coef "
          + ", ".join(f"{k}={c:+.2f}" for k, c in zip(NL_FEATURES, m.coef_[0])))
    return {"features": NL_FEATURES, "mean": mean.tolist(), "scale": scale.tolist(), "coef": m.coef_[0].tolist(),
            "intercept": float(m.intercept_[0]), "threshold": float(thr), "instruments": keys}


def _fit_emb(E: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced", random_state=0).fit(E, y)


def train_scope(r, repo: Path, positives, bank_index: dict[str, int] | None = None) -> dict:
    """Fit and write qa/data/scope.json; prints cross-validated TRAIN figures."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    negs = []
    # scope_train.jsonl and later batches (scope_train_*.jsonl), all TRAIN
    rows = [json.loads(line) for p in sorted((repo / "corpus" / "eval").glob("scope_train*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    # out-of-domain questions only: questions on instruments not loaded are in-domain by their words and are
    # recognised from the registry (not_loaded_for), not by this classifier
    negs += [o["q"] for o in rows if o.get("label") == "ood"]
    own = repo / "corpus" / "eval" / "questions.jsonl"
    for line in own.read_text(encoding="utf-8").splitlines():
        if line.strip() and json.loads(line).get("abstain"):
            negs.append(json.loads(line)["q"])
    nl_qs = [o for o in rows if o.get("label") == "not_loaded"]
    texts = [q.q for q in positives] + negs
    y = np.array([1] * len(positives) + [0] * len(negs))
    feats, E, nl_rows = [], [], []
    full = r.qbank
    idx = nl_index(r)
    from .rank import QuestionBank

    idx.bank = QuestionBank(np.array([r._qvec(r.analyse(o["q"])) for o in nl_qs]).reshape(len(nl_qs), -1),
                            [list(o.get("not_loaded") or []) for o in nl_qs])
    for k, t in enumerate(texts + [o["q"] for o in nl_qs]):
        j = (bank_index or {}).get(t)
        r.qbank = full.without(j) if (full is not None and j is not None) else full  # no question votes for itself
        qa = r.analyse(t)
        hits = r.search(t, k=5, qa=qa)
        ev = evidence(r, qa, hits)
        if k < len(texts):
            feats.append(ev)
            E.append(r._qvec(qa))
        if k < len(positives) or k >= len(texts):
            nl_rows.append(idx.pairs(r, qa, hits, ev, exclude=(k - len(texts)) if k >= len(texts) else None)[1])
    r.qbank = full
    nl = _train_not_loaded(idx, nl_rows, len(positives), nl_qs)
    E = np.array(E)
    # stacked: each question's text-model probabilities come from models that did not see it
    p_text, p_emb = np.zeros(len(texts)), np.zeros(len(texts))
    skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=3)
    for tr, te in skf.split(texts, y):
        vec, lr = _fit_text([texts[i] for i in tr], y[tr])
        p_text[te] = lr.predict_proba(vec.transform([texts[i] for i in te]))[:, 1]
        p_emb[te] = _fit_emb(E[tr], y[tr]).predict_proba(E[te])[:, 1]
    X = np.array([[f[k] for k in FEATURES if k not in STACKED] + [p_text[i], p_emb[i]] for i, f in enumerate(feats)])
    mean, scale = X.mean(0), X.std(0) + 1e-9
    Z = (X - mean) / scale
    cvp = np.zeros(len(y))
    for tr, te in StratifiedKFold(n_splits=5, shuffle=True, random_state=5).split(Z, y):
        m = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced", random_state=0).fit(Z[tr], y[tr])
        cvp[te] = m.predict_proba(Z[te])[:, 1]
    # threshold: the highest one that still answers >= 98% of the answerable TRAIN questions (cross-validated):
    # refusing a fair question costs more than listing clauses for a question that has none
    cands = np.round(np.linspace(0.02, 0.7, 69), 2)
    ok = [t for t in cands if np.mean(cvp[y == 1] >= t) >= 0.98]
    best = max(ok) if ok else 0.02
    m = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced", random_state=0).fit(Z, y)
    vec, lr = _fit_text(texts, y)
    em = _fit_emb(E, y)
    vocab = {k: int(v) for k, v in vec.vocabulary_.items()}
    d = {"features": FEATURES, "mean": mean.tolist(), "scale": scale.tolist(), "coef": m.coef_[0].tolist(),
         "intercept": float(m.intercept_[0]), "threshold": float(best),
         "text": {"vocabulary": vocab, "idf": vec.idf_.tolist(), "coef": lr.coef_[0].tolist(),
                  "intercept": float(lr.intercept_[0])},
         "emb": {"coef": em.coef_[0].tolist(), "intercept": float(em.intercept_[0])},
         "trained_on": {"positives": int(y.sum()), "negatives": int((y == 0).sum())}, "not_loaded": nl}
    MODEL_PATH.write_text(json.dumps(d, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    idx.bank.save(NL_BANK_PATH)
    brier = float(np.mean((cvp - y) ** 2))
    print(f"scope: {int(y.sum())} answerable / {int((y == 0).sum())} refuse TRAIN questions; threshold {best:.2f}; "
          f"CV answered-right {np.mean(cvp[y == 1] >= best):.3f}, refused-right {np.mean(cvp[y == 0] < best):.3f}, "
          f"Brier {brier:.3f}; coef " + ", ".join(f"{k}={c:+.2f}" for k, c in zip(FEATURES, m.coef_[0])))
    load_model.cache_clear()
    load_nl_model.cache_clear()
    return d
