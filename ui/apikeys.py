"""API keys for the REST API: created and revoked from the CLI, stored hashed in YIGUI_HOME.

Only a salted scrypt hash of each key is kept (the key is shown once, at creation), so a leaked keys file does not
leak working keys. Verification compares hashes in constant time. The key carries its own public id prefix
(`yg_<id>_<secret>`) so a lookup needs one scrypt, not one per stored key.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel

PREFIX = "yg"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_lock = threading.Lock()


def yigui_home() -> Path:
    """YIGUI_HOME, else the per-user data directory: the same rule as the graph server (ingest.settings)."""
    from ingest.settings import home_dir

    return home_dir()


class ApiKey(BaseModel):
    id: str
    name: str
    salt: str  # hex
    hash: str  # hex scrypt(secret, salt)
    created: str
    revoked: str | None = None
    last_used: str | None = None


class KeyStoreError(Exception):
    pass


def _hash(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT).hex()


class KeyStore:
    """The keys file (`apikeys.json` in YIGUI_HOME). Cheap to construct; re-reads the file when it changes."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else yigui_home() / "apikeys.json"
        self._cache: tuple[float, dict[str, ApiKey]] | None = None
        self._verified: dict[str, str] = {}  # sha256(key) -> key id, so scrypt runs once per key per process

    def _load(self) -> dict[str, ApiKey]:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return {}
        if self._cache and self._cache[0] == mtime:
            return self._cache[1]
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            keys = {k["id"]: ApiKey(**k) for k in raw.get("keys", [])}
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyStoreError(
                f"{self.path}: the API keys file is not valid ({exc}); restore it or delete it and create new keys "
                "with `yigui apikey create --name NAME`"
            ) from exc
        self._cache = (mtime, keys)
        self._verified.clear()
        return keys

    def _save(self, keys: dict[str, ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"keys": [k.model_dump() for k in keys.values()]}, ensure_ascii=False, indent=2)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".apikeys.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
        self._cache = None

    def create(self, name: str) -> tuple[ApiKey, str]:
        """A new key: returns its record and the key itself (shown once, never stored)."""
        name = name.strip()
        if not name:
            raise KeyStoreError("--name is empty: give the key a name that says who uses it, e.g. --name contracts")
        with _lock:
            keys = dict(self._load())
            kid = secrets.token_hex(4)
            while kid in keys:
                kid = secrets.token_hex(4)
            secret = secrets.token_urlsafe(32)
            salt = secrets.token_bytes(16)
            rec = ApiKey(id=kid, name=name, salt=salt.hex(), hash=_hash(secret, salt),
                         created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
            keys[kid] = rec
            self._save(keys)
        return rec, f"{PREFIX}_{kid}_{secret}"

    def list(self) -> list[ApiKey]:
        return sorted(self._load().values(), key=lambda k: k.created)

    def revoke(self, key_id_or_name: str) -> list[ApiKey]:
        """Revoke by id or by name (all active keys with that name); returns what was revoked."""
        with _lock:
            keys = dict(self._load())
            hits = [k for k in keys.values() if (k.id == key_id_or_name or k.name == key_id_or_name) and not k.revoked]
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            for k in hits:
                keys[k.id] = k.model_copy(update={"revoked": now})
            if hits:
                self._save(keys)
        return hits

    def active_count(self) -> int:
        return sum(1 for k in self._load().values() if not k.revoked)

    @staticmethod
    def key_id(presented: str) -> str | None:
        """The public id part of a well-formed key (`yg_<id>_<secret>`), without checking it."""
        parts = (presented or "").strip().split("_", 2)
        return parts[1] if len(parts) == 3 and parts[0] == PREFIX and parts[1] else None

    def verify(self, presented: str) -> ApiKey | None:
        """The key's record when `presented` is a valid, unrevoked key; None otherwise."""
        parts = presented.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        _, kid, secret = parts
        keys = self._load()
        rec = keys.get(kid)
        if rec is None or rec.revoked:
            return None
        fp = hashlib.sha256(presented.encode()).hexdigest()
        cached = self._verified.get(fp)
        if cached is not None:
            return rec if hmac.compare_digest(cached, kid) else None
        if not hmac.compare_digest(_hash(secret, bytes.fromhex(rec.salt)), rec.hash):
            return None
        self._verified[fp] = kid
        return rec
