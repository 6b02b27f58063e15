"""Run every bench script (ours and the other areas') and collect their figures in bench/results/latest.md.

Each script runs as its own process with a time limit, one after the other (a 2-core machine gives wrong numbers
to scripts that run side by side). A script that fails or times out is reported and the others still run.
`make bench` calls this.

Usage:  python bench/run_all.py [--only load,scale] [--skip scale] [--quick]
  --quick   smaller runs: scale at 1× only, 5-second load levels and a 30-second sustained load
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH, RESULTS, ROOT, machine_info, markdown_table  # noqa: E402

# (name, script, full args, quick args, time limit in seconds)
SCRIPTS = [
    ("ingest", "ingest_bench.py", [], [], 900),
    ("graph", "graph_bench.py", [], [], 1200),
    ("obligations", "obligations_eval.py", [], [], 900),
    ("qa", "qa_bench.py", [], [], 1200),
    ("faults", "faults.py", [], [], 1500),
    ("load", "load.py", [], ["--per-level-s", "5", "--per-level-n", "100", "--sustain-s", "30"], 1800),
    ("scale", "scale.py", ["--factors", "1,5"], ["--factors", "1"], 3600),
    # 20×: load curve only (obligation extraction alone would take ≈ 15 min more, embeddings hours)
    ("scale-20x", "scale.py", ["--factors", "20", "--no-extract", "--tag", "_20x", "--queries", "20"], None, 3600),
]


def run(name: str, script: str, args: list[str], limit: int) -> dict:
    path = BENCH / script
    if not path.exists():
        return {"name": name, "script": script, "status": "absent"}
    t0 = time.perf_counter()
    log = RESULTS / f"{name}.log.tmp"
    with open(log, "w", encoding="utf-8") as fh:
        try:
            rc = subprocess.run([sys.executable, str(path), *args], cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                                timeout=limit).returncode
            status = "ok" if rc == 0 else f"exit {rc}"
        except subprocess.TimeoutExpired:
            status = f"timed out after {limit} s"
    tail = [ln.replace(str(ROOT) + "/", "").replace(str(ROOT), ".")  # no machine paths in committed results
            for ln in log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:]]
    return {"name": name, "script": script, "status": status, "seconds": round(time.perf_counter() - t0, 1),
            "tail": tail}


def _section(title: str, md_file: str) -> str:
    p = RESULTS / md_file
    return f"\n## {title}\n\n" + (p.read_text(encoding="utf-8") if p.exists() else "(not produced in this run)\n")


def _faults_md() -> str:
    p = RESULTS / "faults.json"
    if not p.exists():
        return "\n## Fault drills\n\n(not produced)\n"
    d = json.loads(p.read_text(encoding="utf-8"))["drills"]
    lines = ["\n## Fault drills\n"]
    for name, r in d.items():
        lines.append(f"- **{name}**: passed={r.get('passed')} ({r.get('drill_s')} s)")
        if name == "kill-ingest" and "after_rerun" in r:
            lines.append(f"  killed at {r.get('provisions_at_kill')}/{r.get('provisions_expected')} provisions; loader "
                         f"exit {r.get('loader_exit')} after {r.get('loader_failed_after_kill_s')} s; after restart "
                         f"consistent={r['after_restart']['consistent']} (duplicates "
                         f"{r['after_restart']['duplicates']}, marked-but-incomplete "
                         f"{len(r['after_restart']['marked_but_incomplete'])}); re-run {r.get('rerun_s')} s -> "
                         f"{r['after_rerun']['provisions']} provisions, consistent={r['after_rerun']['consistent']}")
        if name == "api-outage":
            for mode in ("same-ports", "new-ports"):
                m = r.get(mode) or {}
                if m:
                    lines.append(f"  {mode}: store calls 503+Retry-After while down: {m.get('store_calls_503')}, "
                                 f"slowest answer {m.get('slowest_down_answer_s')} s, served from memory: "
                                 f"{m.get('served_from_memory_200')}; restart {m.get('restart_s')} s; recovered "
                                 f"after {m.get('recovered_after_s')} s; passed={m.get('passed')}")
        if name == "bad-files":
            lines.append(f"  {r.get('documents_loaded')}/{r.get('real_files')} real documents loaded; reported: "
                         f"{', '.join(r.get('error_files', []))}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="", help="comma-separated names: " + ", ".join(s[0] for s in SCRIPTS))
    ap.add_argument("--skip", default="")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    only = {x for x in a.only.split(",") if x}
    skip = {x for x in a.skip.split(",") if x}
    RESULTS.mkdir(parents=True, exist_ok=True)
    ran = []
    for name, script, full, quick, limit in SCRIPTS:
        if (only and name not in only) or name in skip or (a.quick and quick is None):
            continue
        print(f"== {name} ({script})", flush=True)
        r = run(name, script, quick if a.quick else full, limit)
        print(f"   {r['status']} {r.get('seconds', '')}", flush=True)
        ran.append(r)
    if any(r["name"].startswith("scale") for r in ran):  # one table from the separate scale runs
        subprocess.run([sys.executable, str(BENCH / "scale.py"), "--merge"], cwd=ROOT, capture_output=True)
    m = machine_info()
    md = [f"# Benchmarks — latest run\n",
          f"Machine: {m['cores']} cores ({m['cpu']}), {m['mem_gb']} GB RAM, Python {m['python']}, commit "
          f"{m['commit']}, {m['when']}; 1-minute load average at the end {m['loadavg_1m']} (the machine is shared: "
          "compare figures from one run only).\n",
          markdown_table([{k: r.get(k, "") for k in ("name", "script", "status", "seconds")} for r in ran])]
    md.append(_section("Load through the API", "load.md"))
    md.append(_section("Scale", "scale.md"))
    md.append(_faults_md())
    md.append("\n## Script output (last lines)\n")
    for r in ran:
        if r.get("tail"):
            md.append(f"\n### {r['name']}\n\n```\n" + "\n".join(r["tail"]) + "\n```\n")
    (RESULTS / "latest.md").write_text("\n".join(md), encoding="utf-8")
    print(f"wrote {(RESULTS / 'latest.md').relative_to(ROOT)}")
    return 0 if all(r["status"] in ("ok", "absent") for r in ran) else 1


if __name__ == "__main__":
    sys.exit(main())
