"""Synthetic corpus for scale runs: the real corpus's structure, renumbered and recombined, at k× its size.

Why synthetic: the real corpus is ~40 files; growth curves need 5× and 20× that, with the same shape (chapters,
articles with 款/项/目, guideline sections, versions of one instrument, official English). Each real file is a
template; copy j of it keeps its skeleton (title, history, chapter headings, number of articles, first article
number, front matter fields) and fills every article slot with the body of a randomly chosen real article (half from
the same instrument, half from any instrument of the same language), renumbered in sequence. Guidelines have their
top-level sections (一、二、…) shuffled and renumbered. Ids become ``syn{j}-{id}`` so versions of one instrument stay
linked (syn3-mdsr-2021 and syn3-mdsr-2024 share instrument syn3-mdsr). Titles get a visible 〔合成{j}〕 marker so no
synthetic clause can pass for a real citation.

Output goes to a directory you name (a temporary one by default) with the corpus layout (zh/, en/) — never into the
repository. Usage:

    python bench/synth.py --factor 5 --out /tmp/yigui-synth-5      # prints files/articles/chars
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from corpus import corpus_dir
from ingest.citation import cn_to_int, int_to_cn
from ingest.readers import split_front_matter

ARTICLE = re.compile(r"^第([零〇一二三四五六七八九十百千两\d]+)条[\s\u3000]+")
ARTICLE_EN = re.compile(r"^Article\s+(\d+)[\s\u3000]+")
TOP_SECTION = re.compile(r"^(#+\s*)([一二三四五六七八九十]+)、(.*)$")
ANNEX = re.compile(r"^#*\s*附件")
MARK = "〔合成{j}〕"


@dataclass
class Template:
    """One real file cut into what synth needs: front matter, lines before the first article, the skeleton."""

    path: Path
    lang: str
    meta: dict
    kind: str  # "articles" | "sections"
    head: list[str] = field(default_factory=list)  # title, history: lines before the first article/section
    skeleton: list[tuple[str, str]] = field(default_factory=list)  # ("heading", line) | ("article", "")
    bodies: list[list[str]] = field(default_factory=list)  # article bodies (first line without its label)
    first_number: int = 1
    sections: list[list[str]] = field(default_factory=list)  # guideline top-level sections (heading first)
    tail: list[str] = field(default_factory=list)  # guideline annexes, kept in place


def _split_articles(lines: list[str], lang: str) -> tuple[list[str], list[tuple[str, str]], list[list[str]], int]:
    art_re = ARTICLE if lang == "zh" else ARTICLE_EN
    head: list[str] = []
    skeleton: list[tuple[str, str]] = []
    bodies: list[list[str]] = []
    current: list[str] | None = None
    first = None
    for raw in lines:
        line = raw.rstrip()
        m = art_re.match(line)
        if m:
            if first is None:
                first = int(m.group(1)) if lang == "en" else cn_to_int(m.group(1))
            current = [line[m.end():]]
            bodies.append(current)
            skeleton.append(("article", ""))
            continue
        if not line.strip():
            current = None
            continue
        if current is not None and not line.startswith("#"):
            current.append(line)
            continue
        current = None
        if not bodies:
            head.append(line)
        else:
            skeleton.append(("heading", line))
    return head, skeleton, bodies, first or 1


def _split_sections(lines: list[str]) -> tuple[list[str], list[list[str]], list[str]]:
    head: list[str] = []
    sections: list[list[str]] = []
    tail: list[str] = []
    for raw in lines:
        line = raw.rstrip()
        if tail or (sections and ANNEX.match(line)):
            tail.append(line)
        elif TOP_SECTION.match(line):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
        else:
            head.append(line)
    return head, sections, tail


def load_templates(root: Path | None = None) -> list[Template]:
    """Every Markdown file of the corpus (zh/ and en/), cut into templates."""
    root = Path(root or corpus_dir())
    out: list[Template] = []
    for lang in ("zh", "en"):
        for path in sorted((root / lang).glob("*.md")):
            meta, body, _ = split_front_matter(path.read_text(encoding="utf-8"), path.name)
            lines = body.split("\n")
            art_re = ARTICLE if lang == "zh" else ARTICLE_EN
            t = Template(path=path, lang=lang, meta=dict(meta or {}), kind="articles")
            if any(art_re.match(s) for s in lines):
                t.head, t.skeleton, t.bodies, t.first_number = _split_articles(lines, lang)
            else:
                t.kind = "sections"
                t.head, t.sections, t.tail = _split_sections(lines)
            out.append(t)
    if not out:
        raise SystemExit(f"no corpus files under {root}/zh or {root}/en — set YIGUI_CORPUS to the corpus folder")
    return out


_SUFFIX = re.compile(r"(\s+第[一二三四五六七八九十]+编.*|[（(]\d{4}年[^）)]*[）)])\s*$")


def _marked_title(title: str, j: int) -> str:
    """Marker before a version suffix or Civil Code book name, so citation short titles keep their shape."""
    m = _SUFFIX.search(title)
    cut = m.start() if m else len(title.rstrip())
    return f"{title[:cut]}{MARK.format(j=j)}{title[cut:]}"


def _front_matter(t: Template, j: int) -> str:
    meta = dict(t.meta)
    meta["id"] = f"syn{j}-{meta.get('id') or t.path.stem}"
    meta["title"] = _marked_title(str(meta.get("title") or t.path.stem), j)
    if meta.get("title_en"):
        meta["title_en"] = f"{meta['title_en']} [synthetic {j}]"
    meta["source"] = f"synthetic: recombined from {t.path.parent.name}/{t.path.name} (bench/synth.py)"
    meta.pop("source_url", None)
    meta["text_note"] = "SYNTHETIC benchmark text: real clauses recombined and renumbered; not law."
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n"


def _render_articles(t: Template, j: int, rng: random.Random, pool: list[list[str]]) -> list[str]:
    out = [x for line in t.head for x in ((_marked_title(line, j) if line.startswith("# ") else line), "")]
    number = t.first_number
    own = list(t.bodies)
    rng.shuffle(own)
    for kind, line in t.skeleton:
        if kind == "heading":
            out += ["", line, ""]
            continue
        body = own.pop() if own and rng.random() < 0.5 else rng.choice(pool)
        label = f"第{int_to_cn(number)}条 " if t.lang == "zh" else f"Article {number} "
        out += [label + body[0], *body[1:], ""]
        number += 1
    return out


def _render_sections(t: Template, j: int, rng: random.Random) -> list[str]:
    out = [_marked_title(line, j) if line.startswith("# ") else line for line in t.head]
    sections = list(t.sections)
    rng.shuffle(sections)
    for n, sec in enumerate(sections, start=1):
        m = TOP_SECTION.match(sec[0])
        out.append(f"{m.group(1)}{int_to_cn(n)}、{m.group(3)}" if m else sec[0])
        out += sec[1:]
    return out + t.tail


@dataclass
class SynthStats:
    factor: int
    out: str
    files: int
    articles: int
    sections: int
    chars: int


def synth(factor: int, out: Path | str | None = None, *, seed: int = 7, corpus: Path | None = None) -> SynthStats:
    """Write `factor` recombined copies of every corpus file under out/zh and out/en; deterministic per seed."""
    if factor < 1:
        raise ValueError(f"--factor must be 1 or more (got {factor})")
    out = Path(out) if out else Path(tempfile.mkdtemp(prefix=f"yigui-synth-{factor}x-"))
    templates = load_templates(corpus)
    pools = {lang: [b for t in templates if t.lang == lang for b in t.bodies] for lang in ("zh", "en")}
    files = articles = sections = chars = 0
    for j in range(1, factor + 1):
        for t in templates:
            rng = random.Random(f"{seed}:{j}:{t.lang}:{t.path.stem}")
            body = (_render_articles(t, j, rng, pools[t.lang]) if t.kind == "articles"
                    else _render_sections(t, j, rng))
            text = _front_matter(t, j) + "\n".join(body).rstrip() + "\n"
            dest = out / t.lang / f"syn{j}-{t.path.name}"
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
            files += 1
            articles += sum(1 for k, _ in t.skeleton if k == "article")
            sections += len(t.sections)
            chars += len(text)
    return SynthStats(factor=factor, out=str(out), files=files, articles=articles, sections=sections, chars=chars)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--factor", type=int, default=1, help="copies of the real corpus (1, 5, 20)")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: a new temporary folder)")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    print(synth(a.factor, a.out, seed=a.seed))


if __name__ == "__main__":
    main()
