"""Lifecycle stages of an obligation by a trained classifier (scikit-learn), replacing per-document stage priors.

Features, all read from the text and its place, never from a corpus document id: the clause (character 1–3-gram
TF-IDF), its chapter/section headings and the instrument's title (character 1–2-grams, their own vectoriser), the
bearer ids, the modality, the regulator flag and the instrument's level (tokens), and the keyword evidence of
corpus/stages.yaml per stage (cues in the clause, its lead-in, headings and title; `StageScorer.totals`). One logistic regression per stage
(one-vs-rest); a stage is given when its probability clears `threshold`, a second one when it clears `second`, none
when nothing does (duties of no particular phase: governance, confidentiality, general rights).

The model is trained by `scripts/train_stage_model.py` on the TRAIN annotation only (corpus/eval/units_train.jsonl and
the provision-level set corpus/eval/obligations.jsonl, less every article of the sealed TEST split) and stored as
JSON (vocabularies, idf, coefficients), so it is readable, diffable and rebuilt exactly by the script.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).resolve().parent / "stage_model.json"


@dataclass
class StageInput:
    text: str
    heading: str = ""
    title: str = ""
    actors: tuple[str, ...] = ()
    modality: str = ""
    regulator: bool = False
    level: str = ""
    rule: dict | None = None  # the keyword scorer's evidence per stage (graph.obligations.stages.StageScorer.totals)

    def tokens(self) -> str:
        toks = [f"actor={a}" for a in self.actors] + [f"modality={self.modality}", f"level={self.level}",
                                                        f"regulator={int(self.regulator)}"]
        return " ".join(toks)

    def context(self) -> str:
        return f"{self.heading} | {self.title}"


def _vectorizers():
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    text = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True, max_features=30000)
    ctx = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=5000)
    toks = CountVectorizer(token_pattern=r"[^ ]+", binary=True, lowercase=False)
    return text, ctx, toks


def _stage_ids() -> list[str]:
    from corpus import taxonomy

    return list(taxonomy.stages().entries)


def _matrix(vecs, rows: list[StageInput], fit: bool = False):
    from scipy.sparse import csr_matrix, hstack

    text, ctx, toks = vecs
    cols = ([r.text for r in rows], [r.context() for r in rows], [r.tokens() for r in rows])
    parts = [v.fit_transform(c) if fit else v.transform(c) for v, c in zip((text, ctx, toks), cols)]
    ids = _stage_ids()
    rule = np.array([[min(1.0, (r.rule or {}).get(s, 0.0)) for s in ids] for r in rows])
    return hstack(parts + [csr_matrix(rule)]).tocsr()


class StageModel:
    """Fitted vectorisers + one logistic regression per stage."""

    def __init__(self, stages: list[str], vecs, coef: np.ndarray, intercept: np.ndarray, threshold: float,
                 second: float, meta: dict | None = None):
        self.stages, self.vecs, self.coef, self.intercept = stages, vecs, coef, intercept
        self.threshold, self.second, self.meta = threshold, second, meta or {}

    # ---------------------------------------------------------------- training
    @classmethod
    def fit(cls, rows: list[StageInput], labels: list[list[str]], stages: list[str], *, C: float = 4.0,
            threshold: float = 0.4, second: float = 0.6, meta: dict | None = None) -> "StageModel":
        from sklearn.linear_model import LogisticRegression

        vecs = _vectorizers()
        X = _matrix(vecs, rows, fit=True)
        coef, intercept = [], []
        for s in stages:
            y = np.array([1 if s in lab else 0 for lab in labels])
            if y.sum() == 0:
                coef.append(np.zeros(X.shape[1]))
                intercept.append(-10.0)
                continue
            lr = LogisticRegression(C=C, max_iter=2000, solver="liblinear")
            lr.fit(X, y)
            coef.append(lr.coef_[0])
            intercept.append(float(lr.intercept_[0]))
        return cls(stages, vecs, np.vstack(coef), np.array(intercept), threshold, second, meta)

    # ---------------------------------------------------------------- inference
    def proba(self, rows: list[StageInput]) -> np.ndarray:
        X = _matrix(self.vecs, rows)
        z = X @ self.coef.T + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def labels(self, rows: list[StageInput]) -> list[list[tuple[str, float]]]:
        out = []
        for p in self.proba(rows):
            order = np.argsort(-p)
            got = []
            if p[order[0]] >= self.threshold:
                got.append((self.stages[order[0]], round(float(p[order[0]]), 3)))
                if len(order) > 1 and p[order[1]] >= self.second:
                    got.append((self.stages[order[1]], round(float(p[order[1]]), 3)))
            out.append(got)
        return out

    # ---------------------------------------------------------------- storage
    def to_json(self) -> dict:
        text, ctx, toks = self.vecs
        return {
            "stages": self.stages, "threshold": self.threshold, "second": self.second, "meta": self.meta,
            "text": {"vocabulary": {k: int(v) for k, v in text.vocabulary_.items()}, "idf": text.idf_.round(6).tolist()},
            "context": {"vocabulary": {k: int(v) for k, v in ctx.vocabulary_.items()}, "idf": ctx.idf_.round(6).tolist()},
            "tokens": {"vocabulary": {k: int(v) for k, v in toks.vocabulary_.items()}},
            "coef": [[round(float(x), 6) if abs(x) > 1e-7 else 0 for x in row] for row in self.coef],
            "intercept": [round(float(x), 6) for x in self.intercept],
        }

    @classmethod
    def from_json(cls, data: dict) -> "StageModel":
        from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

        text = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True,
                               vocabulary=data["text"]["vocabulary"])
        text.idf_ = np.array(data["text"]["idf"])
        ctx = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True,
                              vocabulary=data["context"]["vocabulary"])
        ctx.idf_ = np.array(data["context"]["idf"])
        toks = CountVectorizer(token_pattern=r"[^ ]+", binary=True, lowercase=False,
                               vocabulary=data["tokens"]["vocabulary"])
        return cls(data["stages"], (text, ctx, toks), np.array(data["coef"], dtype=float),
                   np.array(data["intercept"], dtype=float), data["threshold"], data["second"], data.get("meta"))


@lru_cache(maxsize=1)
def load() -> StageModel:
    """The committed model; a missing file is an error (rebuild it with scripts/train_stage_model.py)."""
    if not MODEL_PATH.exists():
        raise FileNotFoundError(f"{MODEL_PATH.name} is missing: run `python scripts/train_stage_model.py` to train "
                                "the stage classifier from corpus/eval/units_train.jsonl")
    return StageModel.from_json(json.loads(MODEL_PATH.read_text(encoding="utf-8")))
