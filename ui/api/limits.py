"""Request limits of the API: a moving-window rate limit per key (the `limits` library, in process memory: one
`yigui serve` worker), and a body-size cap that holds whether or not Content-Length is sent."""
from __future__ import annotations

import time

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ui.api.problems import problem_response


class RateLimiter:
    """`limit` hits per `window_s` seconds for each caller id."""

    def __init__(self, limit: int, window_s: float):
        self.limit, self.window_s = limit, window_s
        self._item = RateLimitItemPerSecond(limit, int(window_s))
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def _retry_after(self, who: str) -> int:
        reset, _ = self._limiter.get_window_stats(self._item, who)
        return max(1, int(reset - time.time()) + 1)

    def blocked(self, who: str) -> int:
        """Seconds until `who` may try again (0: not blocked), without counting a hit."""
        return 0 if self._limiter.test(self._item, who) else self._retry_after(who)

    def check(self, who: str) -> tuple[bool, int, int]:
        """Count one hit: (allowed, remaining, retry_after_s)."""
        if self._limiter.hit(self._item, who):
            return True, self._limiter.get_window_stats(self._item, who)[1], 0
        return False, 0, self._retry_after(who)


class BodyLimit:
    """ASGI middleware: refuse request bodies over `max_bytes` with 413, whether or not Content-Length is sent."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._reject(scope, receive, send)
        if scope["method"] in ("POST", "PUT", "PATCH"):
            chunks, size = [], 0
            more = True
            while more:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    return
                body = msg.get("body", b"")
                size += len(body)
                if size > self.max_bytes:
                    return await self._reject(scope, receive, send)
                chunks.append(body)
                more = msg.get("more_body", False)
            data = b"".join(chunks)
            sent = False

            async def replay():
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": data, "more_body": False}
                return await receive()

            return await self.app(scope, replay, send)
        return await self.app(scope, receive, send)

    async def _reject(self, scope, receive, send):
        resp = problem_response(
            scope.get("path", ""), "request-too-large",
            f"the request body is larger than the {self.max_bytes}-byte limit; send a shorter question or filter "
            "(the limit is set by YIGUI_API_MAX_BODY)",
        )
        await resp(scope, receive, send)
