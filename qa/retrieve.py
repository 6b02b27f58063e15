"""Hybrid retrieval over provisions: lexical (jieba + BM25) + dense (multilingual e5) + graph signals, fused.

Results are article-level (guideline sections where a document has no articles) with a paragraph pinpoint. English
questions search the Chinese clauses directly (multilingual embeddings), through glossary translation of legal terms
(lexical), and through the official English translations (PIPL, Network Data Regulations) mapped back to the Chinese
article they translate. Current versions only, unless the question asks about an older one (a year, 旧版, 2021年版 …).

Why an in-process index: the corpus is a few thousand clauses; BM25 and a numpy matrix answer in a few ms, while the
store's full-text (CJK bigram) and vector indexes add a network round trip each. Everything is rebuilt from the
provider (the store in production), so there is still one source of truth.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from graph.embed import is_retrieval_unit, provision_text
from ingest.model import Document, Provision
from ingest.settings import settings

from .provider import Provider, default_provider
from .penalty import escalations, parse as parse_penalties
from .schemas import SearchResult
from .text import STOP_EN, QueryAnalysis, analyse, bigrams_zh, tokens_en, tokens_zh

log = logging.getLogger(__name__)

INDEX_VERSION = "r6"

# fusion weights (reciprocal-rank fusion, k=RRF_K); fitted on corpus/eval/questions.jsonl, checked on dev.jsonl
WEIGHTS = {
    "bm25": 1.0,  # jieba BM25 over Chinese article text (English: glossary-translated terms)
    "bm25_bi": 1.0,  # BM25 over CJK character bigrams (segmentation-proof, like a CJK full-text analyzer)
    "terms": 0.5,  # legal terms (glossary/actors) of the question that the clause contains, idf-weighted
    "dense": 0.6,  # e5 cosine, whole article prefixed with its instrument's title
    "dense_para": 0.5,  # e5 cosine, best paragraph of the article
    "bm25_en": 0.0,  # BM25 over the official English translation: measured no gain over glossary translation
    "dense_en": 1.0,  # e5 cosine against the official English translation (English questions)
    "dense_tr": 0.6,  # e5 cosine, an English question's translated Chinese words (as "dense"; the ranker weighs it)
}
EN_SIGNALS = {"bm25_en": "bm25", "dense_en": "dense"}
RRF_K = 20
TITLE_BOOST = 0.03  # question names the instrument (short title or registry alias)
# the most clauses without a stored vector QA embeds itself when building its index (a few minutes on 2 cores);
# beyond it they stay lexical-only rather than stall the first question
QUERY_TIME_EMBED_MAX = 20000
PENALTY_BOOST = 0.012  # question asks about penalties and the clause is one
ACTOR_BOOST = 0.004  # the clause names an actor the question names


@dataclass
class Unit:
    """One retrievable clause: an article, or a guideline section/preamble."""

    prov: Provision
    doc: Document
    paragraphs: list[Provision] = field(default_factory=list)


@dataclass
class Hit:
    unit: Unit
    score: float
    signals: dict
    pinpoint: Provision
    text_en: str | None = None
    citation_en: str | None = None


def unit_lexical_text(u: Unit) -> str:
    """What BM25 sees: title, headings above the clause, its own heading and text."""
    return " ".join([u.doc.short_title, *u.prov.path, u.prov.heading or "", u.prov.text])


def unit_dense_text(u: Unit) -> str:
    """What the article embedding sees (graph.embed.provision_text: the one text the store embeds too)."""
    return provision_text(u.prov, u.doc)


class Retriever:
    """`Retriever().search(q, k)`; build once per process (warm-up), reuse for every query."""

    def __init__(self, provider: Provider | None = None, embedder=None, cache: bool = True):
        self.provider = provider or default_provider()
        self._embedder = embedder
        self.use_cache = cache
        self._built = False

    # ------------------------------------------------------------------------------------------------ build
    @cached_property
    def embedder(self):
        from graph.embed import get_embedder

        return self._embedder or get_embedder()

    def warm_up(self) -> "Retriever":
        if not self._built:
            limit_blas_threads()
            self._build()
        return self

    def _build(self) -> None:
        t0 = time.perf_counter()
        docs = self.provider.documents()
        provs = self.provider.provisions()
        self.docs: dict[str, Document] = {d.id: d for d in docs}
        self.by_id: dict[str, Provision] = {p.id: p for p in provs}
        children: dict[str, list[Provision]] = {}
        for p in provs:
            if p.kind == "paragraph" and p.parent_id:
                children.setdefault(p.parent_id, []).append(p)
        units = [Unit(p, self.docs[p.doc_id], sorted(children.get(p.id, []), key=lambda c: c.order))
                 for p in provs if is_retrieval_unit(p) and p.doc_id in self.docs]
        self.zh_units = [u for u in units if u.doc.lang == "zh"]
        self.en_units = [u for u in units if u.doc.lang == "en"]
        self.zh_index = {u.prov.id: i for i, u in enumerate(self.zh_units)}
        # English translation unit -> Chinese unit (same id suffix, TRANSLATION_OF)
        self.en_to_zh = np.full(len(self.en_units), -1, dtype=np.int64)
        self.zh_to_en: dict[int, int] = {}
        for j, u in enumerate(self.en_units):
            zh_doc = u.doc.translation_of or u.doc.id.removesuffix(".en")
            zid = zh_doc + u.prov.id[len(u.doc.id):]
            if zid in self.zh_index:
                self.en_to_zh[j] = self.zh_index[zid]
                self.zh_to_en[self.zh_index[zid]] = j
        cached = self._compute(self.provider.fingerprint())
        self._load(cached)
        self._build_meta()
        self._precompute_term_masks()
        analyse("预热 warm-up", self.docs)  # loads jieba's dictionary now, not in the first user's query
        self._built = True
        log.info("qa index ready in %.1f s (%d zh units, %d en units)", time.perf_counter() - t0,
                 len(self.zh_units), len(self.en_units))

    def _compute(self, fp: str) -> dict:
        """Tokens for the lexical indexes, and the vectors: read from the store, where ingest put them (one embedding
        pass for the store's vector index and for QA); any the store lacks are embedded now through the cache."""
        zh_tok = [tokens_zh(unit_lexical_text(u)) for u in self.zh_units]
        zh_bi = [bigrams_zh(unit_lexical_text(u)) for u in self.zh_units]
        en_tok = [tokens_en(unit_lexical_text(u)) for u in self.en_units]
        para_ids = [(i, c.id) for i, u in enumerate(self.zh_units) for c in u.paragraphs]
        para = [self.by_id[pid] for _, pid in para_ids]
        stored = self.provider.embeddings() if hasattr(self.provider, "embeddings") else {}  # one round trip
        E = self._vectors([u.prov for u in self.zh_units], stored, "embedding clauses")
        P = self._vectors(para, stored, "embedding paragraphs")
        EN = self._vectors([u.prov for u in self.en_units], stored, "embedding English clauses")
        return {"fp": fp, "zh_tok": zh_tok, "zh_bi": zh_bi, "en_tok": en_tok, "E": E, "P": P, "EN": EN,
                "para_owner": np.array([i for i, _ in para_ids], dtype=np.int64),
                "para_ids": [pid for _, pid in para_ids]}

    def _vectors(self, provs: list[Provision], stored: dict, desc: str) -> np.ndarray:
        from graph.embed import embed_texts

        dim = self.embedder.dim
        out = np.zeros((len(provs), dim), dtype=np.float32)
        todo = []
        for k, p in enumerate(provs):
            v = stored.get(p.id)
            if v is not None and len(v) == dim:
                out[k] = v
            else:
                todo.append(k)
        if len(todo) > QUERY_TIME_EMBED_MAX:
            # a folder loaded without embeddings (ingest --no-embed, a national folder): embedding it here would
            # hold the first question for hours; those clauses are found lexically until `yigui ingest` embeds them
            log.warning("%d provisions have no stored embedding: searched lexically only (run `yigui ingest` to "
                        "embed them)", len(todo))
            self.lexical_only = getattr(self, "lexical_only", 0) + len(todo)
            return out
        self.embedded_at_query = getattr(self, "embedded_at_query", 0) + len(todo)
        if todo:
            show = settings().progress
            log.warning("%d provisions have no stored embedding: embedding them now (run `yigui ingest`)", len(todo))
            M = embed_texts([provision_text(provs[k], self.docs.get(provs[k].doc_id)) for k in todo], "passage",
                            self.embedder, progress=show, desc=desc)
            out[todo] = M
        return out

    def _load(self, c: dict) -> None:
        import bm25s

        self.E, self.P, self.EN = c["E"], c["P"], c["EN"]
        self.para_owner, self.para_ids = c["para_owner"], c["para_ids"]
        self.para_pos = {pid: k for k, pid in enumerate(self.para_ids)}
        self.bm25 = bm25s.BM25()
        self.bm25.index(c["zh_tok"], show_progress=False)
        self.bm25_bi = bm25s.BM25()
        self.bm25_bi.index(c["zh_bi"], show_progress=False)
        self.bm25_en = None
        if self.en_units:
            self.bm25_en = bm25s.BM25()
            self.bm25_en.index(c["en_tok"], show_progress=False)
        # corpus vocabulary and token idf (document = clause), for the scope evidence
        df: dict[str, int] = {}
        for toks in c["zh_tok"]:
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        n = max(1, len(c["zh_tok"]))
        self.unit_tok = [set(t) for t in c["zh_tok"]]
        self.unit_bi = [set(b) for b in c["zh_bi"]]
        self.vocab = set(df)
        self.token_idf = {t: float(np.log(1 + n / d)) for t, d in df.items()}
        from ingest.settings import cache_dir

        from .bilingual import EnglishDictionary

        self.en_dict = EnglishDictionary(self.vocab, self.token_idf, cache_dir())
        self._qcache: dict[str, np.ndarray] = {}
        self._term_masks: dict[str, np.ndarray] = {}
        self._live: dict[str, np.ndarray] = {}
        self._para_tok: dict[str, set[str]] = {}

    def _build_meta(self) -> None:
        n = len(self.zh_units)
        self.current = np.array([bool(u.doc.current) for u in self.zh_units])
        self.is_penalty = np.array([_is_penalty(u) for u in self.zh_units])
        from .text import tokens_zh

        # a penalty clause's conduct words (what it sanctions), without the sanction words every such clause shares
        # (责令改正、罚款、没收…): which of two neighbouring penalty articles fits is decided by the conduct
        self.conduct_tok = [set(tokens_zh(conduct_text(u.prov.text))) if p else set()
                            for u, p in zip(self.zh_units, self.is_penalty)]
        self.unit_instr = [u.doc.instrument for u in self.zh_units]
        self.unit_doc = [u.doc.id for u in self.zh_units]
        self.n = n
        self.has_en = np.zeros(n, dtype=bool)
        for i in self.zh_to_en:
            self.has_en[i] = True
        from .rank import DEADLINE, LIABILITY, level_rank

        self.level_rank = np.array([level_rank(u.doc.level) for u in self.zh_units], dtype=np.float32)
        self.is_guideline = np.array([u.doc.level == "technical_guideline" for u in self.zh_units])
        self.has_deadline = np.array([bool(DEADLINE.search(u.prov.text)) for u in self.zh_units])
        self.has_liability = np.array([bool(LIABILITY.search(u.prov.text)) for u in self.zh_units])
        self.log_len = np.log1p([len(u.prov.text) for u in self.zh_units]).astype(np.float32)
        self.graph = self.provider.graph()
        from .rank import load_bank

        self.qbank = load_bank()
        # defined terms long enough to be recognised in a question (a two-character term such as 数据 is everywhere)
        self.concept_terms = sorted((t for t in self.graph.defines if len(t) >= 3), key=len, reverse=True)

    # ------------------------------------------------------------------------------------------------ search
    def analyse(self, question: str, as_of: str | None = None) -> QueryAnalysis:
        """The legal query; `as_of` (ISO or YYYY[-MM]) answers from the versions in force that day, else a date the
        question names does (its year is then a date, not a version hint)."""
        from ingest.versions import parse_day

        from .text import date_in_question

        self.warm_up()
        day = parse_day(as_of)
        qa = analyse(question, self.docs)
        if day is None:
            day = date_in_question(question)
            if day is not None:
                qa.version_hints.discard(day[:4])
        qa.as_of = day
        if qa.lang == "en" and self.en_dict is not None:
            # the words the glossary translated are not looked up again ("personal data" is 个人信息, not 人格 + 材料)
            qa.dict_terms = [t for t in self.en_dict.translate(qa.en_rest or qa.text, STOP_EN)
                             if t not in qa.zh_terms]
            qa.zh_tokens = qa.zh_tokens + qa.dict_terms
        hay = " ".join([qa.text, *qa.zh_terms, *qa.lay_terms])
        found: list[str] = []
        for t in self.concept_terms:  # DEFINED_IN terms the question uses, longest first, none inside another
            if t in hay and not any(t in f for f in found):
                found.append(t)
        qa.concepts = found
        return qa

    def search(self, question: str, k: int = 10, qa: QueryAnalysis | None = None, *, ranker: bool = True,
               as_of: str | None = None) -> list[Hit]:
        """The k best clauses: first-stage routes (lexical, dense, graph) fused by reciprocal rank, then re-ranked by
        the learned model over their features (ranker=False: the fused order, the previous engine's). Only the
        versions in force on `qa.as_of` take part when the question is dated."""
        self.warm_up()
        qa = qa or self.analyse(question, as_of)
        signals, fused, mask = self.first_stage(qa)
        if not ranker:
            order = [i for i in np.argsort(-fused)[:k] if np.isfinite(fused[i])]
            scores = fused
        else:
            idx, scores_c = self.rerank(qa, signals, fused, mask)
            order = list(idx[:k])
            scores = np.full(self.n, -np.inf)
            scores[idx] = scores_c
        qv = self._qvec(qa)
        found = {self.zh_units[i].prov.id for i in order}
        hits = []
        for i in order:
            u = self.zh_units[i]
            sig = {name: float(s[i]) for name, s in signals.items() if s is not None}
            sig["fused"] = float(fused[i])
            hits.append(Hit(u, float(scores[i]), sig, self._pinpoint(i, qa, qv, found), *self._english(i)))
        return hits

    def first_stage(self, qa: QueryAnalysis) -> tuple[dict, np.ndarray, np.ndarray]:
        """Signals over every clause, their weighted reciprocal-rank fusion and the version mask."""
        qv = self._qvec(qa)
        signals = self._signals(qa, qv)
        fused = np.zeros(self.n, dtype=np.float64)
        mask = self._mask(qa)
        ranks = {name: _ranks(np.where(mask, s, -np.inf)) for name, s in signals.items()
                 if s is not None and name not in EN_SIGNALS}
        for name, zh_name in EN_SIGNALS.items():
            s = signals.get(name)
            if s is None:
                continue
            # rank among the clauses that have an official English text; the others keep their Chinese rank, so
            # English questions are not pulled towards the two translated instruments
            r_en = _ranks(np.where(mask & self.has_en, s, -np.inf))
            ranks[name] = np.where(self.has_en, r_en, ranks[zh_name])
        for name, r in ranks.items():
            w = WEIGHTS.get(name, 0.0)
            if w:
                fused += w / (RRF_K + r)
        fused += self._boosts(qa)
        fused[~mask] = -np.inf
        return signals, fused, mask

    def candidate_features(self, qa: QueryAnalysis, signals: dict, fused: np.ndarray, mask: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray]:
        """Candidate clause indexes and their feature matrix (qa.rank.FEATURES), for ranking and for training."""
        from .rank import candidates, feature_matrix, graph_expansions

        extra = graph_expansions(self, qa, fused, mask)
        bank = getattr(self, "qbank", None)
        if bank is not None:  # the answers of the nearest TRAIN questions join the candidates
            for j, _ in bank.neighbours(self._qvec(qa))[:5]:
                extra += [self.zh_index[a] for a in bank.gold[j] if a in self.zh_index]
            extra = list(dict.fromkeys(extra))
        idx = candidates(signals, fused, mask, extra)
        finite = {k: (np.where(np.isfinite(v), v, 0.0) if v is not None else None) for k, v in signals.items()}
        f = np.where(np.isfinite(fused), fused, 0.0)
        return idx, feature_matrix(self, qa, finite, f, idx)

    def rerank(self, qa: QueryAnalysis, signals: dict, fused: np.ndarray, mask: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        from .rank import load_model

        idx, X = self.candidate_features(qa, signals, fused, mask)
        if not len(idx):
            return idx, np.zeros(0)
        s = load_model().predict(X, num_threads=1)
        order = np.argsort(-s, kind="stable")
        return idx[order], s[order]

    # ------------------------------------------------------------------------------------------------ versions
    def live(self, qa: QueryAnalysis | None) -> np.ndarray:
        """Which clauses speak for the law the question is asked under: the current versions, or on `qa.as_of` the
        versions in force that day (ingest.versions.in_force_on)."""
        day = getattr(qa, "as_of", None)
        if not day:
            return self.current
        m = self._live.get(day)
        if m is None:
            st = self.standing(day)
            m = np.array([st.get(u.doc.id) == "in_force" for u in self.zh_units])
            if len(self._live) > 64:
                self._live.clear()
            self._live[day] = m
        return m

    def standing(self, day: str | None) -> dict[str, str]:
        """doc id -> in_force | superseded | not_yet | draft | repealed on `day` (None: by the current flags)."""
        if not day:
            return {d.id: ("in_force" if d.current else "superseded") for d in self.docs.values()}
        from ingest.versions import in_force_on

        return in_force_on(self.docs.values(), day)

    def not_yet_matches(self, qa: QueryAnalysis, k: int = 5) -> list[str]:
        """On a dated question: the documents not yet in force that day whose clauses would be among the first k
        today (the answer says they come into force later instead of silently leaving them out)."""
        if not qa.as_of:
            return []
        st = self.standing(qa.as_of)
        today = replace(qa, as_of=None)
        _, fused, _ = self.first_stage(today)
        out: list[str] = []
        for i in np.argsort(-fused)[:k]:
            d = self.unit_doc[i]
            if np.isfinite(fused[i]) and st.get(d) == "not_yet" and d not in out:
                out.append(d)
        return out

    def _mask(self, qa: QueryAnalysis) -> np.ndarray:
        m = self.live(qa).copy()
        if qa.version_hints:
            for i, u in enumerate(self.zh_units):
                if not m[i] and (u.doc.version_year in qa.version_hints or "old" in qa.version_hints):
                    m[i] = True
        return m

    def _signals(self, qa: QueryAnalysis, qv: np.ndarray) -> dict[str, np.ndarray | None]:
        out: dict[str, np.ndarray | None] = {}
        toks = qa.zh_tokens
        out["bm25"] = self.bm25.get_scores(toks) if toks else np.zeros(self.n)
        bi = bigrams_zh(qa.text) if qa.lang == "zh" else []
        bi += [b for t in (qa.zh_terms or []) + qa.lay_terms + qa.dict_terms for b in bigrams_zh(t)]
        out["bm25_bi"] = self.bm25_bi.get_scores(bi) if bi else np.zeros(self.n)
        out["dense"] = self.E @ qv
        dp = np.full(self.n, -1.0)
        if len(self.P):
            ps = self.P @ qv
            np.maximum.at(dp, self.para_owner, ps)
        out["dense_para"] = np.where(dp > -1.0, dp, out["dense"])
        out["terms"] = self._term_signal(qa.legal_terms)
        # the same without the words that describe the whole domain (AI, 医疗, 软件 …): the legal issue's own words
        core = qa.core_tokens
        out["bm25_core"] = (self.bm25.get_scores(core) if core and core != toks else out["bm25"])
        if qa.core_text and qa.core_text != qa.text:
            cv = self._qvec_text(qa.core_text)
            out["dense_core"] = self.E @ cv
        else:
            out["dense_core"] = out["dense"]
        # English: the question's Chinese dictionary and glossary words against the Chinese clauses -- the English
        # text alone finds the deciding clause in the top 5 for 0.41 of TRAIN English questions (dense alone), the
        # translated words for 0.47, both for 0.54-0.56: a second view of the question in the passages' language
        tr = self._tr_text(qa)
        out["dense_tr"] = self.E @ self._qvec_text(tr) if tr else None
        out["bm25_en"] = out["dense_en"] = None
        if qa.lang == "en" and self.en_units:
            be = self.bm25_en.get_scores(qa.en_tokens) if qa.en_tokens else np.zeros(len(self.en_units))
            de = self.EN @ qv
            out["bm25_en"] = self._map_en(be, 0.0)
            out["dense_en"] = self._map_en(de, -1.0)
        return out

    def _term_signal(self, terms: list[str]) -> np.ndarray:
        """Graph-style signal: clauses containing the legal terms (Term nodes) the question uses, rarer terms
        weighing more (log N/df)."""
        s = np.zeros(self.n)
        for t in terms:
            m = self._mask_for(t)
            df = int(m.sum())
            if df:
                s += m * np.log(1 + self.n / df)
        return s

    def _precompute_term_masks(self) -> None:
        """Clause masks for every glossary/actor term and lay expansion, once per process (searches then only add
        precomputed vectors; a term never seen before is computed on first use)."""
        from .text import _domain_zh_terms, glossary_pairs
        from .vocab import lay_zh

        terms = set(_domain_zh_terms()) | {zh for _, zh in glossary_pairs()}
        terms |= {w for v in lay_zh().values() for w in v}
        texts = [u.prov.text for u in self.zh_units]
        for t in terms:
            if t and t not in self._term_masks:
                self._term_masks[t] = np.fromiter((t in x for x in texts), dtype=bool, count=len(texts))

    def _mask_for(self, term: str) -> np.ndarray:
        m = self._term_masks.get(term)
        if m is None:
            m = self._term_masks[term] = np.array([term in u.prov.text for u in self.zh_units])
        return m

    def _map_en(self, s: np.ndarray, floor: float) -> np.ndarray:
        full = np.full(self.n, floor, dtype=np.float64)
        ok = self.en_to_zh >= 0
        full[self.en_to_zh[ok]] = s[ok]
        return full

    def _qvec(self, qa: QueryAnalysis) -> np.ndarray:
        return self._qvec_text(qa.text)

    @staticmethod
    def _tr_text(qa: QueryAnalysis) -> str | None:
        """An English question's dense_tr query: its glossary and dictionary Chinese words (with the English question
        appended, 5-fold CV hit@1 / hit@5 0.679 / 0.892 against 0.677 / 0.894 for the words alone, at about twice the
        embedding time: the words alone)."""
        if qa.lang != "en":
            return None
        return " ".join(dict.fromkeys(qa.zh_terms + qa.dict_terms)) or None

    def _qvec_text(self, text: str) -> np.ndarray:
        """Query vector, memoised per process (a query costs ~15 ms to embed, a lookup nothing)."""
        v = self._qcache.get(text)
        if v is None:
            v = self.embedder.query([text])[0]
            if len(self._qcache) > 4096:
                self._qcache.clear()
            self._qcache[text] = v
        return v

    def _boosts(self, qa: QueryAnalysis) -> np.ndarray:
        b = np.zeros(self.n)
        if qa.instruments:
            hit = np.array([ins in qa.instruments for ins in self.unit_instr])
            b += TITLE_BOOST * hit
        if qa.asks_penalty:
            b += PENALTY_BOOST * self.is_penalty
        if qa.actor_terms:
            hit = np.zeros(self.n, dtype=bool)
            for a in qa.actor_terms:
                hit |= self._mask_for(a)
            b += ACTOR_BOOST * hit
        return b

    def _pinpoint(self, i: int, qa: QueryAnalysis, qv: np.ndarray, found: set[str] = frozenset()) -> Provision:
        """The paragraph the question is about: when this is a penalty article and some of its paragraphs penalize
        duties that were also found (PENALIZES from a paragraph), one of those; then by dense and lexical match."""
        u = self.zh_units[i]
        if len(u.paragraphs) < 2:
            return u.prov
        best, best_s = u.prov, -1e9
        qset = set(qa.zh_tokens)
        paras = self.graph.penalty_paras.get(u.prov.id, {})
        linked = {p for p, duties in paras.items() if duties & (found - {u.prov.id})}
        if linked:  # and the paragraphs that escalate them (有前两款行为，造成…后果的)
            ps = list(u.paragraphs)
            linked |= {c.id for k, p in enumerate(ps) if p.id in linked for c in escalations(ps, k)}
            # only when the graph accounts for every sanctioning paragraph: one with fines but no link may be the one
            # the question is about (基本医疗卫生与健康促进法第九十九条第二款, 出租执业许可证)
            mapped = set(paras) | {c.id for k, p in enumerate(ps) if p.id in paras for c in escalations(ps, k)}
            if any(c.id not in mapped and self._fines(c) for c in ps):
                linked = set()
        for c in u.paragraphs:
            if linked and c.id not in linked:
                continue
            k = self.para_pos.get(c.id)
            dense = float(self.P[k] @ qv) if k is not None else 0.0
            toks = self._para_tok.get(c.id)
            if toks is None:
                toks = self._para_tok[c.id] = set(tokens_zh(c.text))
            lex = len(qset & toks) / (1 + len(qset))
            s = dense + 0.5 * lex
            if s > best_s:
                best, best_s = c, s
        return best

    def _fines(self, p: Provision) -> bool:
        """Whether a paragraph sets fines of its own (cached: parsed once per index)."""
        c = self.__dict__.setdefault("_fines_cache", {})
        if p.id not in c:
            c[p.id] = bool(parse_penalties(p.text).tiers)
        return c[p.id]

    def _english(self, i: int) -> tuple[str | None, str | None]:
        j = self.zh_to_en.get(i)
        if j is None:
            return None, None
        u = self.en_units[j]
        return u.prov.text, u.prov.citation

    # ------------------------------------------------------------------------------------------------ helpers
    def english_of(self, provision_id: str) -> tuple[str | None, str | None]:
        """Official English text and citation of a Chinese provision (article or paragraph), where one exists."""
        self.warm_up()
        p = self.by_id.get(provision_id)
        if p is None:
            return None, None
        d = self.docs.get(p.doc_id)
        for ed in self.docs.values():
            if ed.lang == "en" and (ed.translation_of == p.doc_id or ed.id == f"{p.doc_id}.en"):
                ep = self.by_id.get(ed.id + provision_id[len(d.id):])
                if ep is not None:
                    return ep.text, ep.citation
        return None, None

    def to_result(self, h: Hit, standing: dict[str, str] | None = None) -> SearchResult:
        p, d = h.pinpoint, h.unit.doc
        st = (standing or {}).get(d.id) or ("in_force" if d.current else "superseded")
        en_text, en_cit = (self.english_of(p.id) if p.id != h.unit.prov.id else (h.text_en, h.citation_en))
        return SearchResult(
            provision_id=p.id, doc_id=d.id, doc_title=d.title, version=d.version or d.effective or "",
            article=h.unit.prov.article, paragraph=p.paragraph if p is not h.unit.prov else None,
            citation=p.citation, score=round(h.score, 6), text=p.text, current=st == "in_force", incomplete=d.incomplete,
            text_en=en_text, citation_en=en_cit,
            article_id=h.unit.prov.id, article_citation=h.unit.prov.citation, article_text=h.unit.prov.text,
            short_title=d.short_title, effective=d.effective, standing=st,
        )


def limit_blas_threads() -> None:
    """BLAS threads down to YIGUI_BLAS_THREADS (1) for this process, once. A query's products (7k x 384 by one vector)
    gain nothing from a second thread, and on 2 cores the idle OpenBLAS thread spinning beside the embedder's thread
    made each query embedding 2-3x slower (search p50 109 -> 40 ms, p95 223 -> 64 ms measured with the limit)."""
    global _BLAS_LIMIT
    if _BLAS_LIMIT is None:
        from threadpoolctl import threadpool_limits

        _BLAS_LIMIT = threadpool_limits(limits=settings().blas_threads, user_api="blas")


_BLAS_LIMIT = None


def _is_penalty(u: Unit) -> bool:
    path = " ".join(u.prov.path)
    if "法律责任" in path or "罚则" in path:
        return True
    return bool(re.search(r"罚款|没收违法所得|吊销|责令停产停业|依法追究刑事责任", u.prov.text))


_SANCTION = re.compile(r"罚款|没收|吊销|责令|警告|处分|处以|并处|给予|追究|撤销|通报批评|暂停|停产停业|不受理|"
                       r"禁止.{0,10}从事|以下|以上|的规定处罚|处罚")


def conduct_text(text: str) -> str:
    """The conduct a penalty clause sanctions: its segments (split at ，；。：) without those that name the authority
    (由…) or the sanction."""
    segs = re.split(r"[，；。：,;:\n]", text)
    return "，".join(s for s in segs if s.strip() and not s.lstrip().startswith("由") and not _SANCTION.search(s))


def _ranks(s: np.ndarray) -> np.ndarray:
    """1-based ranks (best = 1); -inf entries get a rank past the end."""
    order = np.argsort(-s, kind="stable")
    r = np.empty(len(s), dtype=np.float64)
    r[order] = np.arange(1, len(s) + 1)
    r[~np.isfinite(s)] = len(s) * 10
    return r
