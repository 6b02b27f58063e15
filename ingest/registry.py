"""The registry of instruments (corpus/registry.yaml) as lookups: version id -> instrument, title/alias -> instrument.

Whether an instrument's text is loaded is computed here from parsed documents, never stored in the YAML.
"""
from __future__ import annotations

import re
from functools import lru_cache

import corpus

from .citation import english_short_title
from .citation import short_title as _short_title


def _iso(v):
    return v.isoformat() if hasattr(v, "isoformat") else (str(v) if v is not None else None)


@lru_cache(maxsize=1)
def instruments() -> dict[str, dict]:
    """Instrument id -> entry, with dates as ISO strings and `versions` as a list of dicts with at least `id`."""
    raw = corpus.load_yaml("registry.yaml")["instruments"]
    out: dict[str, dict] = {}
    for key, entry in raw.items():
        e = {k: _iso(v) if k in ("promulgated", "effective") else v for k, v in entry.items()}
        e["id"] = key
        e["versions"] = [
            {k: _iso(v) if k in ("version", "effective", "promulgated") else v for k, v in (ver or {}).items()}
            for ver in entry.get("versions") or []
        ]
        e.setdefault("aliases", [])
        e.setdefault("topics", [])
        out[key] = e
    return out


@lru_cache(maxsize=1)
def _version_index() -> dict[str, str]:
    return {v["id"]: key for key, e in instruments().items() for v in e["versions"]}


def instrument_of(doc_id: str) -> str | None:
    """'mdsr-2024' -> 'mdsr'; 'pipl.en' -> 'pipl'; None when the registry does not know the version."""
    return _version_index().get(re.sub(r"\.en$", "", doc_id))


def version_entry(doc_id: str) -> dict | None:
    inst = instrument_of(doc_id)
    if inst is None:
        return None
    base = re.sub(r"\.en$", "", doc_id)
    return next((v for v in instruments()[inst]["versions"] if v["id"] == base), None)


def _norm(title: str) -> str:
    t = re.sub(r"\s+", "", title)
    t = t.replace("(", "（").replace(")", "）").replace("〈", "《").replace("〉", "》")  # quoted inside 《》
    return t


@lru_cache(maxsize=1)
def _title_index() -> dict[str, str]:
    """Normalised full title, short title and every alias -> instrument id (first registered wins)."""
    idx: dict[str, str] = {}
    for key, e in instruments().items():
        en = e.get("title_en") or ""
        en_short = english_short_title(en) or ""
        en_bare = re.sub(r"\s*\([^()]*\)\s*$", "", en_short)  # without (Trial) / (2013 Amendment)
        for name in [e.get("title"), e.get("short_title"), _short_title(e.get("title") or ""), en, en_short, en_bare,
                     *e["aliases"]]:
            if name:
                idx.setdefault(_norm(name), key)
                idx.setdefault(_norm(name).lower(), key)
    return idx


# a book of a code, as its file's second heading names it: 侵权责任编, 第七编 侵权责任, 总则, 附则
BOOK_HEADING = re.compile(r"^(?:第[一二三四五六七八九十]+编\s*)?(\S+?编|总则|附则)$|^第[一二三四五六七八九十]+编\s*(\S+)$")


def book_key(text: str | None) -> str | None:
    """'侵权责任编' / '第七编 侵权责任' / '总则' -> '侵权责任' / '侵权责任' / '总则'; None when it names no book."""
    if not text:
        return None
    m = BOOK_HEADING.match(re.sub(r"\s+", " ", text.strip()))
    if not m:
        return None
    name = (m.group(1) or m.group(2)).strip()
    return re.sub(r"编$", "", name) or None


def _entry_book(entry: dict) -> str | None:
    """The book a registry entry is ('中华人民共和国民法典 第四编 人格权' -> '人格权'), for entries with part_of."""
    if not entry.get("part_of"):
        return None
    m = re.search(r"第[一二三四五六七八九十]+编\s*(\S+)$", entry.get("title") or "")
    return re.sub(r"编$", "", m.group(1)) if m else None


def match_title(title: str) -> str | None:
    """Instrument id for a title as printed (中华人民共和国… and （2021年修订） tolerated), or None. For a name that
    several books of a code share (民法典) this is one of them: citations pick the book by article number
    (ingest.resolve); a document file is matched by `match_document`."""
    if not title:
        return None
    idx = _title_index()
    for cand in (title, _short_title(title), re.sub(r"[（(][^）)]*[）)]$", "", title.strip())):
        k = _norm(cand)
        if k in idx:
            return idx[k]
        if k.lower() in idx:
            return idx[k.lower()]
    return None


def match_document(title: str, book: str | None = None) -> str | None:
    """The registered instrument a document file is, by its title and book heading: a registered book of a code
    (part_of) matches only a file of that same book — 中华人民共和国民法典 headed 总则 is not 民法典人格权编, and a
    whole code in one file is none of its books."""
    inst = match_title(title)
    if inst is None or not instruments()[inst].get("part_of"):
        return inst
    code, want = instruments()[inst]["part_of"], book_key(book)
    return next((key for key, e in instruments().items()
                 if want and e.get("part_of") == code and _entry_book(e) == want), None)


def code_of(title: str) -> str | None:
    """The code (part_of id, e.g. civil-code) whose books a title names, for a book the registry does not hold."""
    if not title:
        return None
    idx = _title_index()
    for cand in (title, _short_title(title)):
        inst = idx.get(_norm(cand))
        if inst and instruments()[inst].get("part_of"):
            return instruments()[inst]["part_of"]
    return None


def aliases() -> dict[str, str]:
    """Every name a citation may use for an instrument -> instrument id (for ingest.resolve)."""
    return dict(_title_index())


def missing_instruments(loaded_doc_ids: set[str], loaded_instruments: set[str] | None = None) -> list[dict]:
    """Registered instruments none of whose versions has text among the loaded documents."""
    loaded_instruments = set(loaded_instruments or ())
    out = []
    for key, e in instruments().items():
        if key in loaded_instruments or any(v["id"] in loaded_doc_ids for v in e["versions"]):
            continue
        out.append({k: e.get(k) for k in ("id", "title", "short_title", "title_en", "level", "issuer", "doc_number",
                                           "effective", "status", "source_url", "topics", "unverified", "note")})
    return out


def status_table(loaded_doc_ids: set[str]) -> list[dict]:
    """Every registered instrument with `loaded` (some version has text) and `loaded_versions`: for the app/API."""
    rows = []
    for key, e in instruments().items():
        have = [v["id"] for v in e["versions"] if v["id"] in loaded_doc_ids]
        rows.append({"id": key, "title": e.get("title"), "short_title": e.get("short_title"), "level": e.get("level"),
                     "issuer": e.get("issuer"), "doc_number": e.get("doc_number"), "effective": e.get("effective"),
                     "status": e.get("status"), "source_url": e.get("source_url"), "unverified": bool(e.get("unverified")),
                     "unverified_fields": list(e.get("unverified_fields") or []),
                     "loaded": bool(have), "loaded_versions": have, "versions": [v["id"] for v in e["versions"]]})
    return rows


def mentioned_instruments(text: str) -> list[tuple[str, int, list[str]]]:
    """Instruments a question seems to turn on: (id, score, matched words), best first. A title or alias in the
    text scores 10, each topic keyword 1. qa uses it to say when the relevant text is not loaded."""
    low = text.lower()
    found = []
    for key, e in instruments().items():
        names = {n for n in [e.get("title"), e.get("short_title"), *e["aliases"]] if n and len(n) >= 3}
        hit_names = sorted(n for n in names if n.lower() in low)
        hit_topics = sorted({t for t in e["topics"] if t and t.lower() in low})
        score = 10 * bool(hit_names) + len(hit_topics)
        if score:
            found.append((key, score, hit_names + hit_topics))
    return sorted(found, key=lambda x: (-x[1], x[0]))
