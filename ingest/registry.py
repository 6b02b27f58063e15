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


def match_title(title: str) -> str | None:
    """Instrument id for a document title as printed (中华人民共和国… and （2021年修订） tolerated), or None."""
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
