"""Files and folders -> parsed documents, with versions, translations and the registry applied.

One broken file never stops or corrupts the batch: each failure becomes an IngestError in `IngestResult.errors`
and the other files go on. Parsed output is cached by content hash (and by the parser's own code), so a second run
over unchanged files does no parsing and reports them as unchanged; cache files are written atomically.
"""
from __future__ import annotations

import hashlib
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import corpus

from . import registry
from . import settings
from .model import IngestError, ParsedDocument
from .parse import pinyin_slug, parse_text
from .readers import SUPPORTED_SUFFIXES, RawText, read_file
from .versions import assign_versions, instrument_id, translation_links

# documents in formats we cannot read: reported as failures (with how to convert), never skipped silently
DOCUMENT_LIKE = {".doc", ".wps", ".rtf", ".odt", ".pages"}
SKIP_NAMES = re.compile(r"^(README|MANIFEST|LICENSE|CHANGELOG|NOTICE)\b", re.I)


@dataclass
class IngestResult:
    documents: list[ParsedDocument] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing_instruments: list[dict] = field(default_factory=list)  # registered instruments with no text loaded
    unchanged: list[str] = field(default_factory=list)  # file names served from the cache (same bytes, same parser)
    skipped: list[str] = field(default_factory=list)  # files in folders that are not documents (README, images…)
    translation_links: list[tuple[str, str]] = field(default_factory=list)  # (en provision id, zh provision id)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def provisions_by_kind(self) -> dict[str, int]:
        c = Counter(p.kind for pd in self.documents for p in pd.provisions)
        return dict(sorted(c.items()))

    def registry_matches(self) -> dict[str, list[str]]:
        """Files without front matter by how they met the registry (matched, new-version, book, none): doc ids."""
        out: dict[str, list[str]] = {}
        for pd in self.documents:
            if pd.registry_match:
                out.setdefault(pd.registry_match, []).append(pd.document.id)
        return out

    def get(self, doc_id: str) -> ParsedDocument | None:
        return next((pd for pd in self.documents if pd.document.id == doc_id), None)

    def summary(self) -> dict:
        return {
            "documents": len(self.documents),
            "provisions": sum(len(pd.provisions) for pd in self.documents),
            "provisions_by_kind": self.provisions_by_kind(),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "unchanged": len(self.unchanged),
            "skipped": len(self.skipped),
            "missing_instruments": [m["id"] for m in self.missing_instruments],
            "registry": self.registry_matches(),
            "incomplete": [pd.document.id for pd in self.documents if pd.document.incomplete],
            "timings": self.timings,
        }


# ----------------------------------------------------------------------------------------------------- cache

def cache_dir() -> Path:
    """Parsed-file cache: the shared cache root (ingest.settings), subfolder ingest/."""
    return settings.cache_dir() / "ingest"


_CODE_HASH: str | None = None


def code_hash() -> str:
    """Hash of the code and registry that shape parsed output: a parser fix invalidates the cache by itself."""
    global _CODE_HASH
    if _CODE_HASH is None:
        here = Path(__file__).resolve().parent
        h = hashlib.sha256()
        for name in ("parse.py", "citation.py", "numerals.py", "readers.py", "model.py", "pipeline.py", "versions.py",
                     "registry.py"):
            p = here / name
            if p.exists():
                h.update(p.read_bytes())
        reg = Path(corpus.__file__).resolve().parent / "registry.yaml"
        if reg.exists():
            h.update(reg.read_bytes())
        _CODE_HASH = h.hexdigest()[:16]
    return _CODE_HASH


def _cache_path(sha256: str, path: Path) -> Path:
    """Keyed by content, file name (plain files take title and version from it), folder language and code."""
    name = hashlib.sha256(f"{path.name}|{_lang_hint(path)}".encode("utf-8")).hexdigest()[:12]
    return cache_dir() / f"{sha256[:32]}-{name}-{code_hash()}.json"


def _cache_load(path: Path) -> ParsedDocument | None:
    try:
        return ParsedDocument.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # absent or damaged: parse again


def _cache_store(path: Path, pd: ParsedDocument) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(pd.model_dump_json(), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a crash never leaves a half-written cache entry
    except OSError:
        pass  # a read-only cache only costs speed


# ----------------------------------------------------------------------------------------------------- files

def collect_files(paths: list[Path] | None) -> tuple[list[Path], list[str]]:
    """Files to ingest (sorted, de-duplicated) and the names skipped in folders. None = the corpus zh/ and en/."""
    if paths is None:
        root = corpus.corpus_dir()
        if not root.is_dir():
            raise IngestError(str(root.name or root), "corpus directory not found",
                              "set YIGUI_CORPUS to the folder holding zh/ and en/, or pass files or folders")
        paths = [p for p in (root / "zh", root / "en") if p.is_dir()] or [root]
    files: list[Path] = []
    skipped: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            try:
                found = sorted(p.rglob("*"))
            except OSError as err:
                raise IngestError(p.name, f"cannot read the folder ({err.strerror or err})",
                                  "check its permissions, or pass the readable files one by one") from None
            for f in found:
                if not f.is_file() or any(part.startswith(".") for part in f.relative_to(p).parts):
                    continue
                if SKIP_NAMES.match(f.name) or (f.suffix.lower() not in SUPPORTED_SUFFIXES
                                                 and f.suffix.lower() not in DOCUMENT_LIKE):
                    skipped.append(f.name)
                    continue
                files.append(f)
        else:
            files.append(p)  # an explicit file is always tried, so a wrong type gets a clear error
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, skipped


_LEVEL_BY_TITLE = [
    (re.compile(r"^最高人民法院.*(解释|规定|批复)"), "judicial_interpretation"),
    (re.compile(r"指导原则|审评要点"), "technical_guideline"),
    (re.compile(r"^GB(/T)?\s*\d"), "national_standard"),
    (re.compile(r"(办法|规定|细则|规则)(（试行）)?$"), "departmental_rule"),
    (re.compile(r"条例(（.*）)?$"), "administrative_regulation"),
    (re.compile(r"法修正案(（.*）)?$"), "law"),  # 刑法修正案（九）: an NPC Standing Committee law
    (re.compile(r"法(（.*）)?$"), "law"),
]


def plain_meta(raw: RawText) -> dict:
    """Metadata for a file without front matter: the registry's when its title (and, for a book of a code, its
    book heading; for a registered version, its version year) agrees with a registered instrument.

    `registry` in the result says how it matched: matched (a registered version), new-version (a registered
    instrument, a version the registry does not list), book (a book of a registered code the registry does not
    list) or none."""
    inf = raw.inferred
    title = inf.get("title") or raw.path.stem
    book = next((t for t in inf.get("subtitles") or [] if registry.book_key(t)), None)
    meta: dict = {"title": f"{title} {book}" if book else title, "registry": "none"}
    if inf.get("version"):
        meta["version"] = inf["version"]
    inst = registry.match_document(title, book)
    code = registry.code_of(title) if inst is None and book else None
    if inst is not None:
        e = registry.instruments()[inst]
        for k in ("title_en", "level", "issuer", "promulgated", "source_url"):
            if e.get(k):
                meta[k] = e[k]
        if not re.search(r"[\u4e00-\u9fff]", title):  # an English text of a registered instrument
            meta["title"], meta["title_en"] = e["title"], title
        meta["instrument"] = inst
        versions = e["versions"]
        year = (inf.get("version") or "")[:4]
        match = None
        if year:
            match = next((v for v in versions if str(v.get("version") or "")[:4] == year), None)
        elif len(versions) == 1:
            match = versions[0]
        if match is not None:
            meta["id"] = match["id"]
            meta["registry"] = "matched"
            for k in ("effective", "status", "doc_number"):
                if match.get(k) or e.get(k):
                    meta[k] = match.get(k) or e.get(k)
            meta.setdefault("version", match.get("version"))
        else:
            meta["id"] = f"{inst}-{year}" if year else inst
            meta["registry"] = "new-version"
    elif code is not None:  # 民法典 总则 when the registry holds only some books: its own instrument, never merged
        part = registry.instruments()
        sibling = next(e for e in part.values() if e.get("part_of") == code)
        for k in ("level", "issuer", "promulgated", "source_url"):
            if sibling.get(k):
                meta[k] = sibling[k]
        meta["id"] = meta["instrument"] = f"{code}-{pinyin_slug(registry.book_key(book) or book)}"
        meta["registry"] = "book"
    else:
        for rx, level in _LEVEL_BY_TITLE:
            if rx.search(title):
                meta["level"] = level
                break
    meta["source"] = f"file:{raw.file}"
    return {k: v for k, v in meta.items() if v is not None}


def _prepare_meta(raw: RawText) -> dict:
    if raw.meta is None:
        return plain_meta(raw)
    meta = dict(raw.meta)
    if meta.get("id"):
        meta.setdefault("instrument", instrument_id(str(meta["id"])))
    return meta


def _lang_hint(path: Path) -> str:
    return "en" if path.parent.name == "en" else "auto"


def ingest_file(path: Path, *, use_cache: bool = True) -> tuple[ParsedDocument, bool]:
    """Read and parse one file; returns (parsed, served_from_cache). Raises IngestError."""
    raw = read_file(path)
    cpath = _cache_path(raw.sha256, path)
    if use_cache:
        cached = _cache_load(cpath)
        if cached is not None:
            return cached, True
    meta = _prepare_meta(raw)
    if _lang_hint(path) == "en":
        meta.setdefault("lang", "en")
    try:
        pd = parse_text(raw.text, file_name=raw.file, meta=meta, line_offset=raw.front_matter_lines)
    except IngestError:
        raise
    except Exception as err:  # a parser bug on one file must not stop the batch
        raise IngestError(raw.file, f"the parser failed ({type(err).__name__}: {err})",
                          "report this file to the YiGui maintainers; the other files were ingested") from err
    pd.document.sha256 = raw.sha256
    pd.document.source_file = raw.file
    pd.registry_match = str(meta.get("registry") or "") if raw.meta is None else ""
    if raw.meta is None and raw.inferred.get("history") and not pd.document.history:
        pd.document.history = list(raw.inferred["history"])
    if use_cache:
        _cache_store(cpath, pd)
    return pd, False


def ingest_paths(paths: list[Path] | None = None, *, progress: bool = True, use_cache: bool = True) -> IngestResult:
    """Ingest files and folders (None = the corpus). Never raises for a bad file: see `IngestResult.errors`."""
    t0 = time.perf_counter()
    result = IngestResult()
    try:
        files, result.skipped = collect_files(paths)
    except IngestError as err:
        result.errors.append(err)
        return result
    bar = None
    if progress and len(files) > 1:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        bar = Progress(TextColumn("parse"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                       TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.description}"), transient=True)
        bar.start()
        task = bar.add_task("", total=len(files))
    by_id: dict[str, str] = {}
    try:
        for f in files:
            if bar is not None:
                bar.update(task, description=f.name)
            try:
                pd, cached = ingest_file(f, use_cache=use_cache)
            except IngestError as err:
                result.errors.append(err)
            else:
                doc_id = pd.document.id
                if doc_id in by_id:
                    result.errors.append(IngestError(
                        f.name, f"same document id '{doc_id}' as {by_id[doc_id]}: not ingested twice",
                        "give one of them a different `id:` in its front matter (or remove the duplicate file)"))
                else:
                    by_id[doc_id] = f.name
                    result.documents.append(pd)
                    result.warnings.extend(pd.warnings)
                    if cached:
                        result.unchanged.append(f.name)
            if bar is not None:
                bar.advance(task)
    finally:
        if bar is not None:
            bar.stop()
    t_parse = time.perf_counter()
    result.warnings.extend(assign_versions(result.documents))
    result.translation_links = translation_links(result.documents)
    for pd in result.documents:
        d = pd.document
        if d.lang == "en" and d.translation_of and d.translation_of not in by_id:
            result.warnings.append(f"{d.source_file}: translation of '{d.translation_of}', whose Chinese text is not "
                                   f"in this batch: its clauses are not linked")
    loaded = {pd.document.id for pd in result.documents}
    result.missing_instruments = registry.missing_instruments(loaded, {pd.document.instrument for pd in result.documents})
    t_end = time.perf_counter()
    result.timings = {"parse_s": round(t_parse - t0, 3), "link_s": round(t_end - t_parse, 3),
                      "total_s": round(t_end - t0, 3), "files": len(files)}
    return result
