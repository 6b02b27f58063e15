"""Timing helpers shared by every bench script: percentiles, throughput, peak memory, machine description,
a bounded concurrent load driver and result files.

Why one module: numbers from different scripts are only comparable when they are computed the same way (the same
percentile method, the same clock, the same memory measure). Import it from any bench script:

    from bench.common import Stopwatch, summarize, peak_rss_mb, machine_info, write_result, markdown_table
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"


# ---------------------------------------------------------------------------------------------- timing


def summarize(samples_s: Iterable[float]) -> dict[str, float]:
    """Latency summary in milliseconds: n, mean, p50, p95, p99, max (numpy's linear-interpolation percentiles)."""
    a = np.asarray(list(samples_s), dtype=float) * 1000.0
    if a.size == 0:
        return {"n": 0, "mean_ms": float("nan"), "p50_ms": float("nan"), "p95_ms": float("nan"),
                "p99_ms": float("nan"), "max_ms": float("nan")}
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return {"n": int(a.size), "mean_ms": round(float(a.mean()), 2), "p50_ms": round(float(p50), 2),
            "p95_ms": round(float(p95), 2), "p99_ms": round(float(p99), 2), "max_ms": round(float(a.max()), 2)}


def throughput(count: int, seconds: float) -> float:
    """Items per second, rounded; 0 when nothing was timed."""
    return round(count / seconds, 2) if seconds > 0 else 0.0


class Stopwatch:
    """`with Stopwatch() as sw: ...; sw.seconds` — perf_counter, so wall time including I/O waits."""

    def __enter__(self) -> "Stopwatch":
        self.t0 = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.t0


def time_calls(fn: Callable[[], Any], repeat: int, warmup: int = 1) -> list[float]:
    """Run fn warmup+repeat times in this thread; the seconds of the last `repeat` calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


# ---------------------------------------------------------------------------------------------- memory


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident memory of this process (or of its waited-for children) in MiB (Linux ru_maxrss is KiB)."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return round(resource.getrusage(who).ru_maxrss / 1024.0, 1)


def rss_mb(pid: int) -> float | None:
    """Current resident memory of any process (e.g. the java graph server) in MiB."""
    from graph.server import rss_bytes

    rss = rss_bytes(pid)
    return None if rss is None else round(rss / 2**20, 1)


class RssSampler:
    """Samples a process's RSS in a background thread; `.peak_mb` after the block (for the java server, whose
    peak getrusage cannot see)."""

    def __init__(self, pid: int, interval: float = 0.25):
        self.pid, self.interval, self.peak_mb = pid, interval, 0.0
        self._stop = threading.Event()

    def _run(self) -> None:
        while not self._stop.is_set():
            v = rss_mb(self.pid)
            if v:
                self.peak_mb = max(self.peak_mb, v)
            self._stop.wait(self.interval)

    def __enter__(self) -> "RssSampler":
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join(timeout=2)


# ---------------------------------------------------------------------------------------------- load


@dataclass
class LoadResult:
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def row(self, label: str) -> dict[str, Any]:
        s = summarize(self.latencies)
        return {"target": label, "clients": self.concurrency, "requests": self.ok + self.error_count,
                "errors": self.error_count, "rps": throughput(self.ok, self.seconds), "p50_ms": s["p50_ms"],
                "p95_ms": s["p95_ms"], "p99_ms": s["p99_ms"], "max_ms": s["max_ms"],
                "error_kinds": dict(self.errors)}


def run_load(call: Callable[[int], None], concurrency: int, *, requests: int | None = None,
             duration: float | None = None, hard_timeout: float = 600.0) -> LoadResult:
    """Drive `call(i)` from `concurrency` threads, each looping until `requests` calls in all were made or
    `duration` seconds passed (whichever is given; both bound). `call` raises on failure: the exception's class
    name (or its text when short) is counted as an error kind. Bounded in count and time by construction."""
    if requests is None and duration is None:
        raise ValueError("run_load needs requests= or duration= (a load without a bound never ends)")
    lock = threading.Lock()
    counter = {"next": 0}
    res = LoadResult(concurrency=concurrency, seconds=0.0)
    t_start = time.perf_counter()
    deadline = t_start + min(duration or hard_timeout, hard_timeout)

    def worker() -> None:
        while time.perf_counter() < deadline:
            with lock:
                i = counter["next"]
                if requests is not None and i >= requests:
                    return
                counter["next"] += 1
            t0 = time.perf_counter()
            try:
                call(i)
            except Exception as exc:  # noqa: BLE001 - every failure kind is counted and reported
                kind = type(exc).__name__
                msg = str(exc)
                if msg and len(msg) < 60:
                    kind = f"{kind}: {msg}"
                with lock:
                    res.errors[kind] = res.errors.get(kind, 0) + 1
                continue
            dt = time.perf_counter() - t0
            with lock:
                res.latencies.append(dt)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(worker) for _ in range(concurrency)]
        for f in futures:
            f.result()
    res.seconds = time.perf_counter() - t_start
    return res


# ---------------------------------------------------------------------------------------------- context


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_total_gb() -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def _git_commit() -> str | None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=5)
        return out.stdout.strip() or None
    return None


def machine_info() -> dict[str, Any]:
    """What the figures were measured on: cores visible to this process, memory, CPU model, Python, commit, load."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return {"cores": cores, "mem_gb": _mem_total_gb(), "cpu": _cpu_model(), "python": sys.version.split()[0],
            "platform": platform.platform(), "commit": _git_commit(),
            "loadavg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


# ---------------------------------------------------------------------------------------------- output


def write_result(name: str, data: dict[str, Any]) -> Path:
    """bench/results/<name>.json with the machine description attached (small files only: figures, not data)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"bench": name, "machine": machine_info(), **data}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def markdown_table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """GitHub-flavoured Markdown table of dict rows (columns default to the first row's keys)."""
    if not rows:
        return "(no rows)\n"
    cols = columns or [c for c in rows[0] if not isinstance(rows[0][c], (dict, list))]

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"
        return str(v).replace("|", "\\|")

    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    out += ["| " + " | ".join(cell(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(out) + "\n"
