"""Train the stage classifier (graph/obligations/stage_model.json) on the TRAIN annotation only.

Rows: every unit of corpus/eval/units_train.jsonl, plus the normative provisions of corpus/eval/obligations.jsonl
(the earlier provision-level set) whose article is not in the sealed TEST split (corpus/eval/units_test.jsonl).
C, the threshold and the second-label threshold are chosen by 5-fold cross-validation grouped by article, scored
by stage micro-F1 on the unit rows. TEST is never read except to drop its articles.

    python scripts/train_stage_model.py
"""
from __future__ import annotations

import itertools
import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.obligations.stage_model import MODEL_PATH, StageInput, StageModel  # noqa: E402

EVAL = ROOT / "corpus" / "eval"


def _article(pid: str) -> str:
    m = re.match(r"^(.*?/(?:art\d+|sec[\d.]+?))(?:/|$)", pid)
    return m.group(1) if m else pid


def rows() -> tuple[list[StageInput], list[list[str]], list[str], list[bool]]:
    from bench.obligations_eval import parse_corpus

    docs = {pd.document.id: pd for pd in parse_corpus()}
    provs = {p.id: (p, pd.document) for pd in docs.values() for p in pd.provisions}
    test_articles = {json.loads(x)["article"] for x in (EVAL / "units_test.jsonl").read_text().splitlines() if x.strip()}
    X, Y, groups, is_unit = [], [], [], []

    from graph.obligations.nlp import build_nlp, rules as cfg
    from graph.obligations.stages import StageScorer

    nlp, scorer = build_nlp(), StageScorer(cfg()["stages"])

    def add(text, pid, actors, modality, stages, unit):
        p, d = provs[pid]
        heading = " ".join(p.path or [])
        ev = scorer.evidence(nlp(text), heading, "", regulator=any(a.startswith("reg:") for a in actors), title=d.title)
        X.append(StageInput(rule=scorer.totals(ev), text=text, heading=" ".join(p.path or []), title=d.title, actors=tuple(
            a for a in actors if not a.startswith("reg:")) + tuple(a for a in actors if a.startswith("reg:")),
            modality=modality, regulator=any(a.startswith("reg:") for a in actors), level=d.level))
        Y.append(list(stages))
        groups.append(_article(pid))
        is_unit.append(unit)

    for line in (EVAL / "units_train.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line) if line.strip() else None
        if r and r.get("units") != 0 and r["provision_id"] in provs:
            add(r["text"], r["provision_id"], r["actors"], r["modality"], r["stages"], True)
    for line in (EVAL / "obligations.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line) if line.strip() else None
        if not r or not r["modality"] or r["provision_id"] not in provs or _article(r["provision_id"]) in test_articles:
            continue
        add(provs[r["provision_id"]][0].text, r["provision_id"], r["actors"], r["modality"][0], r["stages"], False)
    return X, Y, groups, is_unit


def micro_f1(gold: list[list[str]], pred: list[list[str]]) -> float:
    tp = sum(len(set(g) & set(p)) for g, p in zip(gold, pred))
    fp = sum(len(set(p) - set(g)) for g, p in zip(gold, pred))
    fn = sum(len(set(g) - set(p)) for g, p in zip(gold, pred))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def main() -> None:
    from sklearn.model_selection import GroupKFold

    from corpus import taxonomy

    stages = list(taxonomy.stages().entries)
    X, Y, groups, is_unit = rows()
    print(f"{len(X)} rows ({sum(is_unit)} units, {len(X) - sum(is_unit)} provisions), {len(set(groups))} articles")
    idx = np.arange(len(X))
    folds = list(GroupKFold(n_splits=5).split(idx, groups=groups))
    grid_t = [0.2, 0.25, 0.3, 0.35, 0.4, 0.5]
    grid_s = [0.4, 0.5, 0.6, 0.7, 0.9]
    best = (-1.0, None)
    for C in (1.0, 4.0, 16.0):
        probs = np.zeros((len(X), len(stages)))
        for tr, te in folds:
            m = StageModel.fit([X[i] for i in tr], [Y[i] for i in tr], stages, C=C)
            probs[te] = m.proba([X[i] for i in te])
        for t, s in itertools.product(grid_t, grid_s):
            pred = []
            for p in probs:
                o = np.argsort(-p)
                lab = [stages[o[0]]] if p[o[0]] >= t else []
                if lab and p[o[1]] >= max(s, t):
                    lab.append(stages[o[1]])
                pred.append(lab)
            f = micro_f1([Y[i] for i in idx if is_unit[i]], [pred[i] for i in idx if is_unit[i]])
            if f > best[0]:
                best = (f, (C, t, s))
    f, (C, t, s) = best
    print(f"CV (grouped by article) stage micro-F1 on TRAIN units: {f:.3f} at C={C}, threshold={t}, second={s}")
    model = StageModel.fit(X, Y, stages, C=C, threshold=t, second=max(s, t),
                           meta={"cv_micro_f1": round(f, 3), "C": C, "rows": len(X), "units": sum(is_unit),
                                 "trained_on": "units_train.jsonl + obligations.jsonl (TEST articles dropped)"})
    MODEL_PATH.write_text(json.dumps(model.to_json(), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {MODEL_PATH.relative_to(ROOT)} ({MODEL_PATH.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
