#!/usr/bin/env python
"""Mine English <-> Chinese term pairs from the aligned official translations.

Input: zh/<id>.md and en/<id>.md for each id in ALIGNED under the corpus directory (YIGUI_CORPUS, else
../shared/corpus beside the repository). The English files are official translations aligned article by article with
the Chinese (第X条 <-> Article X); the script checks that the two article numberings are identical.

For every aligned article pair it collects
  - Chinese candidates: the zh terms and zh aliases of corpus/glossary.yaml, the zh names and zh aliases of
    corpus/actors.yaml, and jieba words (precise mode, glossary/actor terms added to the dictionary) of >= 2 CJK
    characters occurring >= MIN_ZH_FREQ times across the aligned set; presence/count = substring of the text;
  - English candidates: word n-grams (1-4 words) that neither start nor end with a stop word and contain no number,
    grouped by a light plural/-ed/-ing insensitive key ("processors" = "processor"); an n-gram that is a fragment of
    a longer phrase (one content word precedes or follows >= FRAGMENT_SHARE of its occurrences: "personal" <- always
    "personal information") is not a candidate.
Scoring units are the aligned paragraphs (every article of the two translations has the same number of paragraphs as
its Chinese original, list items included; an article whose counts differed would be one unit). Per (zh, en) pair:
  dice       2|A∩B| / (|A| + |B|) over the units containing each side (the figure written to the output);
  count_dice 2 Σ min(c_zh, c_en) / (Σ c_zh + Σ c_en) over per-unit occurrence counts (a translation occurs about as
             often as its source: separates 个人信息 <-> "personal information" from a word that shares the paragraphs);
  G2         Dunning's log-likelihood ratio of the unit co-occurrence.
A pair is a candidate when the two co-occur in >= MIN_ARTICLES distinct articles, dice >= MIN_DICE, count_dice >=
MIN_COUNT_DICE, G2 >= MIN_G2 and the English has at most len(zh)//2 + 1 content words. Then:
  1. competitive linking: an English key stays with the Chinese terms scoring >= COMPETE_RATIO of its best one
     (score = harmonic mean of dice and count_dice); it goes to its best term z* and to tied terms containing z*
     (主管部门, 有关主管部门); a tied term unrelated to z* makes the key ambiguous and it is dropped;
  2. per Chinese term, an English key nested in (or containing) a better one is dropped (ties: the longer wins:
     "sensitive personal" < "sensitive personal information"); further keys must score >= SECONDARY_RATIO of the best
     and rest on >= SECONDARY_MIN_ARTICLES articles;
  3. confounded terms are dropped: a term resting on < CONFOUND_MAX_ARTICLES articles that (nearly) always occurs
     with an unrelated candidate scoring nearly as well with the same English (the penalty formula 罚款/万元/吊销);
  4. a Chinese term nested in a longer one with the same best English and the same units is dropped.
At most MAX_KEYS keys and MAX_VARIANTS English surface forms (the most frequent forms of each key) per Chinese term.

Output: corpus/concepts_mined.yaml (generated; entries sorted by zh). Prints statistics relevant to precision.

    .venv/bin/python scripts/mine_term_pairs.py [--out PATH] [--show N]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from corpus import corpus_dir, load_yaml  # noqa: E402
from ingest.citation import cn_to_int  # noqa: E402

ALIGNED = ("pipl", "network-data-reg")
SOURCE = "aligned official translation: " + ", ".join(ALIGNED)
OUT = REPO / "corpus" / "concepts_mined.yaml"

MIN_ZH_FREQ = 3  # jieba words: occurrences across the aligned set
MIN_ARTICLES = 3  # co-occurrence in at least this many aligned articles
MIN_DICE = 0.5
MIN_COUNT_DICE = 0.5
COMPETE_RATIO = 0.9  # an English key stays with every Chinese term scoring >= ratio x its best Chinese score
MAX_KEYS = 3  # English candidates (plural-insensitive keys) per Chinese term
MAX_VARIANTS = 4  # English surface forms per Chinese term
MAX_N = 4
MIN_G2 = 10.83  # log-likelihood ratio: p < 0.001 that the co-occurrence is chance
FRAGMENT_SHARE = 0.9  # an n-gram is a fragment when one content word precedes/follows >= this share of occurrences
CONFOUND_DICE = 0.9  # zh terms whose unit sets overlap this much (and are not nested) are confusable ...
CONFOUND_RATIO = 0.7  # ... and confounded when the other one scores >= this share of the pair's score
CONFOUND_MAX_ARTICLES = 8  # on evidence from fewer articles than this (more articles: the counts tell them apart)
SECONDARY_RATIO = 0.95  # further English keys of a Chinese term must score >= this share of its best one ...
SECONDARY_MIN_ARTICLES = 5  # ... and rest on at least this many articles (fewer: co-occurring phrases are confounded)

# English function words: an n-gram may not start or end with one (they may occur inside: "processing of data")
STOP_EN = frozenset(
    """a an the of to in on for by with and or nor but is are was were be been being do does did done must may might
    can could should shall will would what which who whom whose when where why how that this these those it its their
    them they he she his her i we you our your as at from into onto than then there thereof therein hereof any some
    all each every either neither under before after about if not no yes has have had one two three such so also only
    own same other up out over upon via per within without between among against through during including include
    includes included etc e g i.e via where whereas whether while article articles paragraph provisions law laws
    regulations""".split()
)
STOP_ZH = frozenset(
    """的 了 和 与 或 及 以及 或者 是 在 对 为 由 把 被 将 从 向 于 其 之 等 中 上 下 后 前 应当 可以 不得 有关 相关 进行
    规定 本法 本条例 依照 按照 根据 其他 以上 以下 之一 情形 下列 第一 第二 第三 第四 第五 一个 没有 并且 以及 未 已 并
    所 由于 通过 包括 应 不 也 都 就 而 且 但 如果 因 所以 对于 关于 符合 具有 予以 给予""".split()
)

_CJK_RUN = re.compile(r"^[\u4e00-\u9fff]+$")
_ZH_ARTICLE = re.compile(r"^第([一二三四五六七八九十百千零〇两\d]+)条(?:[\s\u3000]+|$)(.*)$")
_EN_ARTICLE = re.compile(r"^Article\s+(\d+)\b\s*(.*)$")
_EN_WORD = re.compile(r"[a-z][a-z\-']*[a-z]|[a-z]|\d+")


# ------------------------------------------------------------------------------------------------ reading


def _body(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        sys.exit(f"mine_term_pairs: {path} not found (set YIGUI_CORPUS to the corpus directory)")
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":  # YAML front matter
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is None:
            sys.exit(f"mine_term_pairs: {path}: front matter has no closing '---'")
        lines = lines[end + 1 :]
    return lines


def articles(path: Path, lang: str) -> dict[int, str]:
    """Article number -> article text (its paragraphs joined by newlines); headings end an article."""
    pat = _ZH_ARTICLE if lang == "zh" else _EN_ARTICLE
    out: dict[int, list[str]] = {}
    cur: int | None = None
    for raw in _body(path):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            cur = None
            continue
        m = pat.match(line)
        if m:
            n = cn_to_int(m.group(1)) if lang == "zh" else int(m.group(1))
            if n in out:
                sys.exit(f"mine_term_pairs: {path}: article {n} occurs twice")
            cur = n
            out[n] = [m.group(2)]
        elif cur is not None:
            out[cur].append(line)
    return {n: "\n".join(p) for n, p in out.items()}


def aligned_pairs(root: Path) -> list[tuple[str, int, str, str]]:
    """[(doc id, article number, zh text, en text)] for every aligned article, in document and article order."""
    pairs = []
    for doc in ALIGNED:
        zh = articles(root / "zh" / f"{doc}.md", "zh")
        en = articles(root / "en" / f"{doc}.md", "en")
        if set(zh) != set(en):
            only_zh = sorted(set(zh) - set(en))
            only_en = sorted(set(en) - set(zh))
            sys.exit(f"mine_term_pairs: {doc}: article numbering differs (only zh: {only_zh}, only en: {only_en})")
        pairs.extend((doc, n, zh[n], en[n]) for n in sorted(zh))
    return pairs


# ------------------------------------------------------------------------------------------------ candidates


def curated_zh() -> dict[str, str]:
    """zh term -> where it comes from ('glossary' or 'actors')."""
    out: dict[str, str] = {}
    for t in load_yaml("glossary.yaml").get("terms") or []:
        for z in [t.get("zh"), *((t.get("aliases") or {}).get("zh") or [])]:
            if z and len(str(z)) >= 2:
                out.setdefault(str(z), "glossary")
    for a in load_yaml("actors.yaml").get("actors") or []:
        for z in [a.get("zh"), *((a.get("aliases") or {}).get("zh") or [])]:
            if z and len(str(z)) >= 2:
                out.setdefault(str(z), "actors")
    return out


def jieba_words(texts: list[str], curated: dict[str, str]) -> Counter:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()  # a private dictionary: words other code added to jieba's global one do not leak in
    for term in sorted(curated):
        if _CJK_RUN.match(term):
            tok.add_word(term, freq=2000)
    freq: Counter = Counter()
    for t in texts:
        for w in tok.lcut(t):
            if len(w) >= 2 and _CJK_RUN.match(w) and w not in STOP_ZH:
                freq[w] += 1
    return freq


def _light_stem(w: str) -> str:
    """Plural and -ed/-ing insensitive key of one word ('processors' = 'processor', 'collected' = 'collect')."""
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "xes", "ches", "shes", "zes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suf in ("ing", "ed"):
        if w.endswith(suf) and len(w) - len(suf) >= 4:
            w = w[: -len(suf)]
            if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "ls":  # submitted -> submit
                w = w[:-1]
            break
    if len(w) > 4 and w.endswith("e"):  # provide / provided / providing -> provid
        w = w[:-1]
    return w


def en_ngrams(text: str) -> Counter:
    """Surface n-gram -> occurrences. Segments break at punctuation; no n-gram starts/ends with a stop word."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    out: Counter = Counter()
    for seg in re.split(r"[^a-z0-9\-' ]+", text):
        words = _EN_WORD.findall(seg)
        for i in range(len(words)):
            if words[i] in STOP_EN or words[i].isdigit() or len(words[i]) < 2:
                continue
            for n in range(1, MAX_N + 1):
                j = i + n
                if j > len(words):
                    break
                gram = words[i:j]
                if any(w.isdigit() or len(w) < 2 for w in gram):
                    break
                if gram[-1] in STOP_EN:
                    continue
                out[" ".join(gram)] += 1
    return out


def en_context(text: str, grams: set[str], left: dict, right: dict) -> None:
    """Record, for each surface n-gram in grams, the word before and after each occurrence (None at a boundary)."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    for seg in re.split(r"[^a-z0-9\-' ]+", text):
        words = _EN_WORD.findall(seg)
        for i in range(len(words)):
            for n in range(1, MAX_N + 1):
                j = i + n
                if j > len(words):
                    break
                g = " ".join(words[i:j])
                if g in grams:
                    left[g][words[i - 1] if i > 0 else None] += 1
                    right[g][words[j] if j < len(words) else None] += 1


def fragments(us, grams: set[str]) -> set[str]:
    """Surface n-grams that are pieces of a longer phrase: one and the same content word precedes (or follows)
    >= FRAGMENT_SHARE of their occurrences ("charge and other directly"; "personal" -> "information")."""
    left: dict[str, Counter] = defaultdict(Counter)
    right: dict[str, Counter] = defaultdict(Counter)
    for _, _, et in us:
        en_context(et, grams, left, right)
    out = set()
    for g in grams:
        tot = sum(left[g].values())
        for side in (left[g], right[g]):
            w, c = max(side.items(), key=lambda p: (p[1], str(p[0])))
            if w is not None and w not in STOP_EN and not w.isdigit() and c >= FRAGMENT_SHARE * tot:
                out.add(g)
                break
    return out


def en_key(gram: str) -> str:
    return " ".join(_light_stem(w) for w in gram.split())


# ------------------------------------------------------------------------------------------------ scoring


def _content_words(gram: str) -> int:
    return sum(1 for w in gram.split() if w not in STOP_EN)


def _nested_en(a: str, b: str) -> bool:
    return f" {a} " in f" {b} " or f" {b} " in f" {a} "


def units(pairs: list[tuple[str, int, str, str]]) -> list[tuple[tuple[str, int], str, str]]:
    """Aligned scoring units: the paragraphs of an article when both sides have the same number of paragraphs (they
    do throughout the two translations: the list items (一)/(1) are paragraphs), else the whole article."""
    out = []
    for doc, n, zt, et in pairs:
        zp, ep = zt.split("\n"), et.split("\n")
        if len(zp) == len(ep):
            out.extend(((doc, n), z, e) for z, e in zip(zp, ep))
        else:
            out.append(((doc, n), zt, et))
    return out


def _g2(k11: int, k1_: int, k_1: int, n: int) -> float:
    """Dunning's log-likelihood ratio for a 2x2 contingency table (co-occurrence in units)."""
    import math

    k12, k21 = k1_ - k11, k_1 - k11
    k22 = n - k11 - k12 - k21
    def h(*ks):
        tot = sum(ks)
        return sum(k * math.log(k / tot) for k in ks if k > 0)
    return 2 * (h(k11, k12, k21, k22) - h(k11 + k12, k21 + k22) - h(k11 + k21, k12 + k22))


def mine(pairs: list[tuple[str, int, str, str]]):
    curated = curated_zh()
    jfreq = jieba_words([p[2] for p in pairs], curated)
    zh_cands = dict(curated)
    for w, f in jfreq.items():
        if f >= MIN_ZH_FREQ:
            zh_cands.setdefault(w, "jieba")

    us = units(pairs)
    art_of = [u[0] for u in us]
    zc: list[dict[str, int]] = []
    ec: list[dict[str, int]] = []
    surface: dict[str, Counter] = defaultdict(Counter)
    raw = [en_ngrams(et) for _, _, et in us]
    gram_units: Counter = Counter(g for r in raw for g in r)
    frag = fragments(us, {g for g, n in gram_units.items() if n >= MIN_ARTICLES})
    for (_, zt, et), grams in zip(us, raw):
        zc.append({z: c for z in zh_cands if (c := zt.count(z))})
        keyed: Counter = Counter()
        for g, c in grams.items():
            if g in frag:
                continue
            k = en_key(g)
            keyed[k] += c
            surface[k][g] += c
        ec.append(dict(keyed))

    zunits: dict[str, set[int]] = defaultdict(set)
    eunits: dict[str, set[int]] = defaultdict(set)
    ztot: Counter = Counter()
    etot: Counter = Counter()
    for i, (zd, ed) in enumerate(zip(zc, ec)):
        for z, c in zd.items():
            zunits[z].add(i)
            ztot[z] += c
        for k, c in ed.items():
            eunits[k].add(i)
            etot[k] += c

    def n_articles(ix) -> int:
        return len({art_of[i] for i in ix})

    zs = {z for z, ix in zunits.items() if n_articles(ix) >= MIN_ARTICLES}
    es = {k for k, ix in eunits.items() if n_articles(ix) >= MIN_ARTICLES}

    co: dict[tuple[str, str], set[int]] = defaultdict(set)
    cmin: Counter = Counter()
    for i, (zd, ed) in enumerate(zip(zc, ec)):
        ek = [k for k in ed if k in es]
        for z, cz in zd.items():
            if z not in zs:
                continue
            for k in ek:
                co[(z, k)].add(i)
                cmin[(z, k)] += min(cz, ed[k])

    N = len(us)
    scored: dict[tuple[str, str], tuple[float, float, float, int]] = {}
    n_min_art = 0
    for zk, ix in co.items():
        na = n_articles(ix)
        if na < MIN_ARTICLES:
            continue
        n_min_art += 1
        z, k = zk
        if _content_words(k) > len(z) // 2 + 1:  # 名称 (2 characters) is not "processor shall inform"
            continue
        dice = 2 * len(ix) / (len(zunits[z]) + len(eunits[k]))
        if dice < MIN_DICE:
            continue
        cd = 2 * cmin[zk] / (ztot[z] + etot[k])
        if cd < MIN_COUNT_DICE:
            continue
        g2 = _g2(len(ix), len(zunits[z]), len(eunits[k]), N)
        if g2 < MIN_G2:
            continue
        scored[zk] = (dice, cd, g2, na)

    def score(zk) -> float:
        d, cd, _, _ = scored[zk]
        return 2 * d * cd / (d + cd)

    def raw_score(z: str, k: str) -> float:
        """The same score before any threshold (0 when the two never share a unit)."""
        ix = co.get((z, k))
        if not ix:
            return 0.0
        d = 2 * len(ix) / (len(zunits[z]) + len(eunits[k]))
        cd = 2 * cmin[(z, k)] / (ztot[z] + etot[k])
        return 2 * d * cd / (d + cd)

    stats = {
        "aligned_articles": len(pairs),
        "aligned_units (paragraphs)": N,
        "zh_candidates (glossary+actors / jieba)": f"{len(zh_cands)} ({len(curated)} / {len(zh_cands) - len(curated)})",
        f"zh_candidates_in_>={MIN_ARTICLES}_articles": len(zs),
        "en n-grams dropped as phrase fragments": len(frag),
        "en_ngram_keys": len(eunits),
        f"en_ngram_keys_in_>={MIN_ARTICLES}_articles": len(es),
        f"pairs co-occurring in >={MIN_ARTICLES} articles": n_min_art,
        "pairs passing dice/count_dice/G2": len(scored),
    }

    # competitive linking on the English side (near ties kept)
    best_for_en: dict[str, float] = {}
    for zk in scored:
        best_for_en[zk[1]] = max(best_for_en.get(zk[1], 0.0), score(zk))
    tied: dict[str, list[str]] = defaultdict(list)
    for zk in scored:
        if score(zk) >= COMPETE_RATIO * best_for_en[zk[1]]:
            tied[zk[1]].append(zk[0])
    stats["pairs after English-side competition"] = sum(len(v) for v in tied.values())
    # an English key goes to its best Chinese term z* and to the tied terms that contain z* (主管部门 / 有关主管部门);
    # tied terms inside z* only share it by substring (个人, 信息 in 个人信息). A tied term unrelated to z* means the key
    # cannot be told apart (formulaic lists: 合并、分立、解散 <-> merger, division, dissolution): the key is dropped.
    by_zh: dict[str, list[str]] = defaultdict(list)
    ambiguous = 0
    for k, zs_ in tied.items():
        top = max(zs_, key=lambda z: (score((z, k)), len(z), z))
        if any(top not in z and z not in top for z in zs_):
            ambiguous += 1
            continue
        for z in zs_:
            if top in z:
                by_zh[z].append(k)
    stats["English keys dropped as ambiguous (tied, unrelated zh)"] = ambiguous

    # per Chinese term: nested English candidates -> keep the better (ties: the longer)
    kept: dict[str, list[str]] = {}
    for z, keys in by_zh.items():
        keys.sort(key=lambda k: (-round(score((z, k)), 6), -len(k.split()), k))
        chosen: list[str] = []
        for k in keys:
            if any(_nested_en(k, c) for c in chosen):
                continue
            if chosen and (score((z, k)) < SECONDARY_RATIO * score((z, chosen[0]))
                           or scored[(z, k)][3] < SECONDARY_MIN_ARTICLES):
                continue
            chosen.append(k)
        kept[z] = chosen

    for z in kept:
        kept[z] = kept[z][:MAX_KEYS]

    # confounded: a Chinese term that (nearly) always occurs together with another, unrelated candidate that scores
    # nearly as well with the same English cannot be told apart from it on evidence from a few articles (the penalty
    # formula 给予警告……罚款……责令暂停相关业务、停业整顿、吊销……营业执照)
    confounded = set()
    for z in kept:
        uz = zunits[z]
        for z2 in zs:
            if z2 == z or z in z2 or z2 in z:
                continue
            u2 = zunits[z2]
            if 2 * len(uz & u2) / (len(uz) + len(u2)) >= CONFOUND_DICE:
                k = kept[z][0] if kept[z] else None
                if (k and scored[(z, k)][3] < CONFOUND_MAX_ARTICLES
                        and raw_score(z2, k) >= CONFOUND_RATIO * score((z, k))):
                    confounded.add(z)
                    break
    stats["zh terms dropped as confounded"] = len(confounded)
    for z in confounded:
        kept[z] = []

    # a Chinese term nested in a longer one with the same best English and the same units is redundant
    drop = set()
    for z in kept:
        for z2 in kept:
            if z != z2 and z in z2 and kept[z][:1] and kept[z][:1] == kept[z2][:1] and zunits[z] == zunits[z2]:
                drop.add(z)
    stats["zh terms dropped as nested duplicates"] = len(drop)

    entries = []
    for z in sorted(kept):
        if z in drop or not kept[z]:
            continue
        variants: list[str] = []
        for k in kept[z]:
            for g, _ in sorted(surface[k].items(), key=lambda p: (-p[1], p[0]))[:2]:
                if g not in variants and len(variants) < MAX_VARIANTS:
                    variants.append(g)
        dice, cd, g2, na = scored[(z, kept[z][0])]
        entries.append({"zh": z, "en": variants, "articles": na, "dice": round(dice, 3),
                        "count_dice": round(cd, 3), "g2": round(g2, 1), "origin": zh_cands[z]})
    return entries, stats


# ------------------------------------------------------------------------------------------------ output


def glossary_en() -> dict[str, set[str]]:
    """glossary/actor zh -> plural-insensitive keys of its English term and aliases (for the agreement check)."""
    out: dict[str, set[str]] = defaultdict(set)
    for t in (load_yaml("glossary.yaml").get("terms") or []) + (load_yaml("actors.yaml").get("actors") or []):
        zh = t.get("zh")
        for e in [t.get("en"), *((t.get("aliases") or {}).get("en") or [])]:
            if zh and e:
                out[zh].add(en_key(re.sub(r"[^a-z0-9\- ]+", " ", str(e).lower()).strip()))
    return out


def render(entries: list[dict], root: Path) -> str:
    files = []
    for doc in ALIGNED:
        for lang in ("zh", "en"):
            p = root / lang / f"{doc}.md"
            files.append(f"{lang}/{doc}.md sha256:{hashlib.sha256(p.read_bytes()).hexdigest()[:12]}")
    head = [
        "# GENERATED by scripts/mine_term_pairs.py -- do not edit by hand; rerun the script instead.",
        "# Mined from the official English translations aligned article by article with the Chinese text",
        "# (第X条 <-> Article X), read from the corpus directory (YIGUI_CORPUS, default ../shared/corpus):",
        *[f"#   {f}" for f in files],
        f"# Kept (see the script's docstring): co-occurring in >= {MIN_ARTICLES} aligned articles, "
        f"Dice >= {MIN_DICE} over",
        f"# aligned paragraphs, occurrence-count Dice >= {MIN_COUNT_DICE}, G2 >= {MIN_G2}; "
        "competitive linking; at most",
        f"# {MAX_VARIANTS} English variants per Chinese term. articles (distinct articles where both occur) and dice",
        "# describe the first variant.",
        "# Association is not equivalence: consumers should apply their own dice threshold (qa/vocab.py does).",
        "# Entries: {zh, en: [...], articles, dice, source}; sorted by zh.",
        "pairs:",
    ]
    body = []
    for e in entries:
        en = ", ".join(json.dumps(v, ensure_ascii=False) for v in e["en"])
        body.append(f"- {{zh: {json.dumps(e['zh'], ensure_ascii=False)}, en: [{en}], articles: {e['articles']}, "
                    f"dice: {e['dice']}, source: {json.dumps(SOURCE)}}}")
    return "\n".join(head + body) + "\n"


def report(entries: list[dict], stats: dict, show: int) -> None:
    g = glossary_en()
    for k, v in stats.items():
        print(f"{k:52s} {v}")
    print(f"{'pairs kept (zh terms)':52s} {len(entries)}")
    print(f"{'english_variants_kept':52s} {sum(len(e['en']) for e in entries)}")
    by_origin = Counter(e["origin"] for e in entries)
    print(f"{'kept by zh origin':52s} {dict(sorted(by_origin.items()))}")
    bands = Counter(min(int(e["dice"] * 10), 9) / 10 for e in entries)
    print(f"{'kept by dice band':52s} {dict(sorted(bands.items()))}")
    for t in (0.7, 0.8, 0.9):
        print(f"{'kept with dice >= ' + str(t):52s} {sum(1 for e in entries if e['dice'] >= t)}")
    # precision proxy: curated terms whose glossary/actor English is among the mined variants
    checked = agree = 0
    disagree = []
    for e in entries:
        if e["zh"] in g and g[e["zh"]]:
            checked += 1
            keys = {en_key(v) for v in e["en"]}
            if keys & g[e["zh"]] or any(_nested_en(k, gk) for k in keys for gk in g[e["zh"]]):
                agree += 1
            else:
                disagree.append(e)
    if checked:
        print(f"{'agreement with glossary/actors English':52s} {agree}/{checked} = {agree / checked:.2f} "
              "(mined variant equals, or is nested in/contains, a curated English form)")
    if disagree:
        print("curated terms whose mined English differs from the glossary/actors English (review these):")
        for e in disagree:
            print(f"  {e['zh']}: mined {e['en']} | curated {sorted(g[e['zh']])[:4]}")
    if show:
        print(f"lowest-scoring {show} kept pairs (where errors concentrate):")
        for e in sorted(entries, key=lambda e: (e["dice"], e["zh"]))[:show]:
            print(f"  {e['dice']:.3f} cd={e['count_dice']:.3f} G2={e['g2']:6.1f} n={e['articles']:3d} {e['origin']:8s} "
                  f"{e['zh']} -> {e['en']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--show", type=int, default=25, help="print the N lowest-scoring kept pairs")
    args = ap.parse_args(argv)
    root = corpus_dir()
    pairs = aligned_pairs(root)
    entries, stats = mine(pairs)
    args.out.write_text(render(entries, root), encoding="utf-8")
    report(entries, stats, args.show)
    print(f"wrote {len(entries)} pairs to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
