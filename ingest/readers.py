"""Readers: every input format becomes the same thing — front matter (or None) plus Markdown-like text lines.

The core parser (ingest.parse) only ever sees corpus-style Markdown, so each reader's job is to undo its format:
decode bytes (utf-8, utf-8-sig, gb18030), split YAML front matter, pull paragraphs out of .docx, the text layer out of
.pdf, block text out of .html, and re-mark 编/章/节 and title lines as Markdown headings. Plain files without front
matter get their metadata inferred (title, version date from a ``(YYYY-MM-DD)`` file-name suffix, 题注 history).
Every failure is an ``IngestError`` naming the file, the problem and what to do.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ingest.model import IngestError
from ingest.numerals import CN_NUM, CN_OR_ARABIC_NUM

SUPPORTED_SUFFIXES = {".md", ".markdown", ".txt", ".text", ".docx", ".pdf", ".html", ".htm"}
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster

# 编/章/节 heading lines as they appear in official texts: 第七编 侵权责任 / 第一章 总 则 / 第二节 一般规定
STRUCTURE_RE = re.compile(rf"^\s*第{CN_OR_ARABIC_NUM}(编|分编|章|节)(?:\s+|$)")
ARTICLE_RE = re.compile(rf"^\s*第{CN_OR_ARABIC_NUM}条(?:之{CN_NUM})?(?:\s|　|$)")
# a (YYYY-MM-DD) or （YYYY-MM-DD） suffix on a file name is the version date: 个人信息保护法(2021-08-20).md
DATE_SUFFIX_RE = re.compile(r"\s*[（(](\d{4})[-.年](\d{1,2})[-.月](\d{1,2})日?[)）]\s*$")
_DATE = r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
# 题注: "2021年8月20日 第十三届全国人民代表大会常务委员会第三十次会议通过" (optionally in parentheses)
HISTORY_RE = re.compile(rf"^[\s（(]*{_DATE}.*(通过|修正|修订|公布|施行|发布|印发|决定)")


@dataclass
class RawText:
    """One input file, decoded: front matter (None for plain files) and body lines without it."""

    file: str  # file name only: never a machine path in anything that is stored or shown
    path: Path
    fmt: str  # md | txt | docx | pdf | html
    meta: dict | None
    lines: list[str]
    sha256: str
    inferred: dict = field(default_factory=dict)  # title/version/history inferred for plain files
    front_matter_lines: int = 0  # lines taken by the front-matter block (to map parser lines to file lines)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def decode(data: bytes, file: str) -> str:
    """Decode text bytes: utf-8 (with or without BOM), then gb18030; else name the first bad byte's offset."""
    if b"\x00" in data[:4096]:
        raise IngestError(file, "binary content (NUL bytes): not a text file",
                          "save the document as UTF-8 text, Markdown, .docx, .pdf or .html")
    try:
        return data.decode("utf-8-sig")  # utf-8-sig also accepts plain utf-8
    except UnicodeDecodeError as utf8_err:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            start = utf8_err.start
            raise IngestError(
                file,
                f"undecodable bytes at byte offset {start} (0x{data[start:start + 4].hex()}): "
                f"not UTF-8, UTF-8 with BOM or GB18030",
                "re-save the file as UTF-8 (e.g. `iconv -f <its encoding> -t UTF-8`) and ingest it again",
            ) from None


def split_front_matter(text: str, file: str) -> tuple[dict | None, str, int]:
    """Split a leading ``---`` YAML block; returns (meta or None, body, number of lines the block took)."""
    if not text.startswith("---"):
        return None, text, 0
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return None, text, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise IngestError(file, "front matter opened with '---' on line 1 is never closed",
                          "add a line '---' after the YAML block, or remove the opening '---'", line=1)
    block = "\n".join(lines[1:end])
    try:
        meta = yaml.load(block, Loader=_YAML_LOADER) if block.strip() else {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        line = mark.line + 2 if mark is not None else None  # +1 for 0-based, +1 for the opening '---'
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise IngestError(file, f"broken YAML front matter: {problem}",
                          "fix the YAML between the '---' lines (quote values that contain ':' or start with "
                          "'[', '{', '*', '&'), or delete the block to ingest the file as plain text",
                          line=line) from None
    if not isinstance(meta, dict):
        raise IngestError(file, f"front matter is a {type(meta).__name__}, not a mapping of fields",
                          "write the front matter as 'field: value' lines (id, title, level, …)", line=2)
    for key, value in list(meta.items()):  # YAML turns 2021-08-20 into a date; the model wants ISO strings
        if hasattr(value, "isoformat"):
            meta[key] = value.isoformat()
    return meta, "\n".join(lines[end + 1:]), end + 1


# --------------------------------------------------------------------------------------------------- formats

def _read_text_file(path: Path, file: str) -> tuple[dict | None, list[str], int]:
    text = decode(path.read_bytes(), file).replace("\r\n", "\n").replace("\r", "\n")
    meta, body, n = split_front_matter(text, file)
    return meta, body.split("\n"), n


def _heading_level(style_name: str) -> int | None:
    m = re.match(r"(?:Heading|标题)\s*(\d)", style_name or "")
    if m:
        return int(m.group(1))
    if (style_name or "").lower() == "title":
        return 1
    return None


def _no_dir(err: Exception, path: Path) -> str:
    """A library's error text without the folder part of the path (messages name files, never machine paths)."""
    return str(err).replace(str(path.parent) + os.sep, "").replace(str(path.resolve().parent) + os.sep, "")


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN_FORMATS = {"chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "ideographTraditional",
               "taiwaneseCounting", "taiwaneseCountingThousand", "ideographDigital", "japaneseCounting"}


class _WordNumbering:
    """Word's automatic list numbering: python-docx gives a paragraph's text without its number, so a law typed
    with auto-numbered （一）（二） or 第一条 would lose its structure. Rebuild the labels from numbering.xml."""

    def __init__(self, document):
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            root = None
        self.abstract: dict[str, object] = {}
        self.num: dict[str, str] = {}
        if root is not None:
            self.abstract = {a.get(_W + "abstractNumId"): a for a in root.iter(_W + "abstractNum")}
            for n in root.iter(_W + "num"):
                ref = n.find(_W + "abstractNumId")
                if ref is not None:
                    self.num[n.get(_W + "numId")] = ref.get(_W + "val")
        self.counters: dict[str, list[int]] = {}

    @staticmethod
    def _num_pr(para):
        candidates = [para._p.pPr]
        style = para.style
        while style is not None:
            candidates.append(style.element.pPr)
            style = style.base_style
        for ppr in candidates:
            if ppr is not None and ppr.numPr is not None:
                num_id = ppr.numPr.numId.val if ppr.numPr.numId is not None else None
                ilvl = ppr.numPr.ilvl.val if ppr.numPr.ilvl is not None else 0
                return (str(num_id) if num_id is not None else None), int(ilvl)
        return None, 0

    def _level(self, abstract, ilvl: int):
        for lvl in abstract.iter(_W + "lvl"):
            if lvl.get(_W + "ilvl") == str(ilvl):
                return lvl
        return None

    @staticmethod
    def _val(lvl, tag: str, default: str | None = None) -> str | None:
        el = lvl.find(_W + tag) if lvl is not None else None
        return el.get(_W + "val") if el is not None else default

    @staticmethod
    def _format(n: int, fmt: str | None) -> str:
        if fmt in _CN_FORMATS:
            from ingest.citation import int_to_cn

            return int_to_cn(n)
        if fmt == "decimalFullWidth":
            return "".join(chr(ord(c) + 0xFEE0) for c in str(n))
        if fmt in ("lowerLetter", "upperLetter"):
            c = chr(ord("a") + (n - 1) % 26)
            return c.upper() if fmt == "upperLetter" else c
        return str(n)

    def label(self, para) -> str | None:
        """The number Word would print before this paragraph (（三） / 2. / 第五条), or None."""
        num_id, ilvl = self._num_pr(para)
        if not num_id or num_id == "0" or num_id not in self.num:
            return None
        abstract = self.abstract.get(self.num[num_id])
        lvl = self._level(abstract, ilvl) if abstract is not None else None
        fmt = self._val(lvl, "numFmt", "decimal")
        if lvl is None or fmt in ("bullet", "none"):
            return None
        counts = self.counters.setdefault(num_id, [0] * 9)
        if counts[ilvl] == 0:
            counts[ilvl] = int(self._val(lvl, "start", "1") or 1) - 1
        counts[ilvl] += 1
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = 0
        text = self._val(lvl, "lvlText", "") or ""

        def render(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            klvl = self._level(abstract, k)
            return self._format(max(counts[k], 1), self._val(klvl, "numFmt", "decimal"))

        return re.sub(r"%(\d)", render, text)


def _read_docx(path: Path, file: str) -> list[str]:
    try:
        import docx  # python-docx
        document = docx.Document(str(path))
    except Exception as err:  # python-docx raises several unrelated types for a bad package
        raise IngestError(file, f"not a readable .docx ({type(err).__name__}: {_no_dir(err, path)})",
                          "open it in Word/WPS and save it again as .docx, or export it as .pdf or text") from None
    lines = []
    numbering = _WordNumbering(document)
    for para in document.paragraphs:
        text = para.text.strip()
        label = numbering.label(para) if text else None
        if label and not text.startswith(label):
            text = label + (" " if label.endswith(("条", "章", "节", "编")) else "") + text
        level = _heading_level(para.style.name if para.style is not None else "")
        if text and level and not ARTICLE_RE.match(text):
            lines.append("#" * level + " " + text)
        else:
            lines.append(text)
    return lines


def _read_pdf(path: Path, file: str) -> list[str]:
    try:
        import pypdf
        reader = pypdf.PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as err:
        raise IngestError(file, f"not a readable PDF ({type(err).__name__}: {_no_dir(err, path)})",
                          "check that the file is a complete PDF, or export the document as .docx or text") from None
    text = "\n".join(pages)
    if not re.search(r"[\u4e00-\u9fffA-Za-z]", text):
        raise IngestError(file, f"no text layer in the PDF ({len(pages)} page(s) of images or empty pages)",
                          "OCR it first (e.g. `ocrmypdf -l chi_sim in.pdf out.pdf`) or use a text/.docx copy")
    return _unwrap(_drop_running_lines(pages))


def _page_key(line: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def _drop_running_lines(pages: list[str]) -> list[str]:
    """Running headers and footers (国务院公报 2024年第3期, - 7 -) repeat at the top or bottom of most pages: a line
    whose digit-blind form sits in the first or last two lines of at least half the pages (3 pages or more) goes."""
    split = [[ln for ln in p.split("\n") if ln.strip()] for p in pages]
    running: set[str] = set()
    if len(split) >= 3:
        from collections import Counter

        edge = Counter()
        for lines in split:
            edge.update({_page_key(ln) for ln in lines[:2] + lines[-2:]})
        running = {k for k, n in edge.items() if n >= max(3, len(split) / 2)}
    out: list[str] = []
    for lines in split:
        for i, ln in enumerate(lines):
            if (i < 2 or i >= len(lines) - 2) and _page_key(ln) in running:
                continue
            out.append(ln)
    return out


_BLOCK_START_RE = re.compile(
    rf"^\s*(第{CN_OR_ARABIC_NUM}(编|分编|章|节|条)|[（(]{CN_NUM}[）)]|{CN_NUM}、|\d+[.．、]|#|附件|附录"
    r"|Article\s+\d+|Chapter\s+[IVXLC\d]+\b|Section\s+\d+|Part\s+[IVXLC\d]+\b|\(\d+\))")
_SENTENCE_END = tuple("。；：！？;:”」）).?!")


def _unwrap(raw: list[str]) -> list[str]:
    """PDF text layers wrap lines at the page width: join a line to the previous one unless the previous line ends a
    sentence or this one starts a new unit (条, 章, （一）, 1., 一、)."""
    out: list[str] = []
    for line in raw:
        s = line.strip()
        if not s:
            continue
        if re.fullmatch(r"[-—\s]*\d+[-—\s]*|第\s*\d+\s*页.*", s):  # page numbers
            continue
        if out and not out[-1].endswith(_SENTENCE_END) and not _BLOCK_START_RE.match(s) \
                and not STRUCTURE_RE.match(out[-1]) and not _is_title_like(out[-1]):
            latin = re.search(r"[A-Za-z0-9,;)]$", out[-1]) and re.match(r"[A-Za-z0-9(]", s)
            out[-1] += (" " if latin else "") + s  # English words need the space the line break took
        else:
            out.append(s)
    return out


def _is_title_like(s: str) -> bool:
    return bool(HISTORY_RE.match(s)) or bool(re.search(r"(法|条例|规定|办法|细则|解释|指导原则|规范)$", s))


def _read_html(path: Path, file: str) -> list[str]:
    """Block elements become lines (<br> too); inline tags join without spaces, so Chinese text is not split.
    Pages that hold the law outside <p> (one <div> with <br>s, tables) fall back to the page's whole text."""
    from bs4 import BeautifulSoup

    html = decode(path.read_bytes(), file)
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")

    def clean(text: str) -> list[str]:
        return [re.sub(r"[ \t\u3000\xa0]+", " ", s).strip() for s in text.split("\n")]

    lines: list[str] = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre"]):
        if el.find_parent(["p", "li", "pre"]) is not None:
            continue  # nested block: its text is already in the parent's
        parts = [s for s in clean(el.get_text("")) if s]
        if el.name[0] == "h" and el.name[1:].isdigit() and parts and not ARTICLE_RE.match(parts[0]):
            lines.append("#" * int(el.name[1:]) + " " + " ".join(parts))
        else:
            lines.extend(parts)
        lines.append("")
    body = soup.body or soup
    whole = clean(body.get_text(""))
    if sum(bool(ARTICLE_RE.match(s)) for s in whole) > sum(bool(ARTICLE_RE.match(s)) for s in lines):
        return whole
    return lines


def _mark_headings(lines: list[str]) -> list[str]:
    """Formats without Markdown: make 编/章/节 lines the headings the parser expects (## 章, ### 节)."""
    out = []
    for line in lines:
        s = line.strip()
        if s and not s.startswith("#") and STRUCTURE_RE.match(s) and len(s) <= 40:
            kind = STRUCTURE_RE.match(s).group(1)
            s = {"编": "# ", "分编": "# ", "章": "## ", "节": "### "}[kind] + s
        out.append(s)
    return out


def _blank_between_articles(lines: list[str]) -> list[str]:
    """Corpus convention: a blank line before each article and heading, consecutive lines inside one article."""
    out: list[str] = []
    for s in lines:
        if (ARTICLE_RE.match(s) or s.startswith("#")) and out and out[-1] != "":
            out.append("")
        if s == "" and out and out[-1] == "":
            continue
        out.append(s)
        if s.startswith("#"):
            out.append("")
    return out


# --------------------------------------------------------------------------------------------------- inference

def infer_meta(path: Path, lines: list[str]) -> dict:
    """Title, version date and 题注 history of a file that has no front matter."""
    stem = path.stem
    version = None
    m = DATE_SUFFIX_RE.search(stem)
    if m:
        version = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
        stem = stem[: m.start()].strip()
    title = None
    titles = []
    history: list[str] = []
    for line in lines:
        s = line.strip()
        if not s:
            continue
        if ARTICLE_RE.match(s) or (s.startswith("#") and STRUCTURE_RE.match(s.lstrip("# "))):
            break
        if s.startswith("#") and not STRUCTURE_RE.match(s.lstrip("# ")):
            titles.append(s.lstrip("#").strip())
            continue
        if HISTORY_RE.match(s):
            history.append(s)
    if titles:
        title = titles[0]
    if not title:
        title = stem.strip() or path.name
    return {"title": title, "version": version, "history": history, "subtitles": titles[1:]}


def read_file(path: Path | str) -> RawText:
    """Read one file of any supported format; raises IngestError for anything a user must fix."""
    path = Path(path)
    file = path.name
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        hint = "give Markdown/text (.md, .txt), .docx, .pdf or .html files"
        if suffix in (".doc", ".wps", ".rtf", ".odt"):
            hint = f"convert it to .docx first (e.g. `soffice --headless --convert-to docx {file}`)"
        raise IngestError(file, f"unsupported file type '{suffix or '(none)'}'", hint)
    try:
        data_size = path.stat().st_size
    except OSError as err:
        raise IngestError(file, f"cannot read the file ({err.strerror})", "check the path and its permissions") from None
    if data_size == 0:
        raise IngestError(file, "empty file (0 bytes)", "remove it from the folder or export the document again")
    sha = sha256_file(path)
    meta: dict | None = None
    n_fm = 0
    if suffix in (".md", ".markdown", ".txt", ".text"):
        fmt = "md" if suffix in (".md", ".markdown") else "txt"
        meta, lines, n_fm = _read_text_file(path, file)
        if fmt == "txt" or not any(s.lstrip().startswith("#") for s in lines):
            lines = _mark_headings(lines)
    elif suffix == ".docx":
        fmt, lines = "docx", _blank_between_articles(_mark_headings(_read_docx(path, file)))
    elif suffix == ".pdf":
        fmt, lines = "pdf", _blank_between_articles(_mark_headings(_read_pdf(path, file)))
    else:
        fmt, lines = "html", _blank_between_articles(_mark_headings(_read_html(path, file)))
    if not any(s.strip() for s in lines):
        raise IngestError(file, "empty file: no text after the front matter" if meta is not None else
                          "empty file: only whitespace", "remove it from the folder or export the document again")
    inferred = infer_meta(path, lines) if meta is None else {}
    if fmt in ("docx", "pdf", "html") and inferred.get("title") and not any(s.startswith("# ") for s in lines):
        # the parser takes its title from the first '#' line: give it one when the format lost the heading style
        first = next((i for i, s in enumerate(lines) if s.strip()), 0)
        if lines[first].strip() == inferred["title"]:
            lines[first] = "# " + lines[first].strip()
    return RawText(file=file, path=path, fmt=fmt, meta=meta, lines=lines, sha256=sha, inferred=inferred,
                   front_matter_lines=n_fm)
