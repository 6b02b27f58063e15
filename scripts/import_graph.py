"""The project's import graph, read from the source (every import, function-local ones included), and the two
rules it must keep:

1. packages point one way: ingest <- graph <- qa <- ui (corpus/ may be imported by anyone);
2. the three faces — the CLI's query commands, the REST API and the Streamlit app — reach the store and the QA
   pipeline only through `ui.core`.

    python scripts/import_graph.py            # the graph (package level and ui's modules), then any violation
    python scripts/import_graph.py --check    # exit 1 when a rule is broken
"""
from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ingest", "graph", "qa", "ui")
RANK = {p: i for i, p in enumerate(PACKAGES)}
FACES = ("ui.app", "ui.views", "ui.api", "ui.commands.obligations", "ui.commands.qa", "ui.commands.web")
BEHIND_THE_CORE = ("graph.store", "graph.queries", "graph.obligations.query", "qa.service", "qa.answer",
                   "qa.retrieve", "qa.provider")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    mod = module_name(path)
    pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{a.name}" for a in node.names)  # `from graph import store` imports graph.store
    return {i for i in out if i.split(".")[0] in (*PACKAGES, "corpus")}


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for pkg in (*PACKAGES, "corpus"):
        for f in sorted((ROOT / pkg).rglob("*.py")):
            edges[module_name(f)] = imports(f)
    return edges


def violations(edges: dict[str, set[str]]) -> list[str]:
    known = set(edges)
    out = []
    for mod, targets in sorted(edges.items()):
        top = mod.split(".")[0]
        for t in sorted(targets):
            if t not in known and t.rsplit(".", 1)[0] not in known:
                continue  # a name imported from a module, not a module
            ttop = t.split(".")[0]
            if top in RANK and ttop in RANK and RANK[ttop] > RANK[top]:
                out.append(f"{mod} imports {t}: {top} must not depend on {ttop} (ingest <- graph <- qa <- ui)")
            if top == "corpus" and ttop in RANK and ttop != "ingest":
                out.append(f"{mod} imports {t}: corpus/ is data and loaders, imported by anyone, importing only ingest")
            if any(mod == f or mod.startswith(f + ".") for f in FACES) and \
                    any(t == b or t.startswith(b + ".") for b in BEHIND_THE_CORE):
                out.append(f"{mod} imports {t}: the CLI, the API and the app go through ui.core")
    return out


def package_edges(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for mod, targets in edges.items():
        for t in targets:
            a, b = mod.split(".")[0], t.split(".")[0]
            if a != b:
                out[a].add(b)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check the rules (exit 1 on a violation)")
    args = ap.parse_args()
    edges = graph()
    bad = violations(edges)
    if not args.check:
        print("packages:")
        for a, bs in sorted(package_edges(edges).items(), key=lambda kv: RANK.get(kv[0], -1)):
            print(f"  {a} -> {', '.join(sorted(bs))}")
        print("ui modules (imports within ui, and what they use below ui.core):")
        for mod in sorted(m for m in edges if m.startswith("ui")):
            inner = sorted({t for t in edges[mod] if t.startswith("ui.") and t in edges and t != mod})
            below = sorted({".".join(t.split(".")[:2]) for t in edges[mod] if not t.startswith("ui")})
            print(f"  {mod} -> {', '.join(inner) or '—'}  |  {', '.join(below) or '—'}")
    for v in bad:
        print("VIOLATION", v, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
