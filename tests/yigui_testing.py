"""Test helpers shared by several test areas: a free loopback port, and an ASGI app under a real uvicorn."""
from __future__ import annotations

import contextlib
import socket
import threading
import time

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(app):
    """Run `app` under uvicorn in a thread on a free 127.0.0.1 port; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                          lifespan="on"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not t.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(timeout=15)


def get_until_ok(url: str, headers: dict, timeout_s: float = 30):
    """GET `url` until it answers 200 or `timeout_s` passes; returns the last response (for recovery drills)."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        r = httpx.get(url, headers=headers, timeout=60)
        if r.status_code == 200 or time.monotonic() > deadline:
            return r
        time.sleep(0.5)
