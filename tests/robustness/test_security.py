"""Security checks: API keys hashed at rest and compared in constant time; the local graph server listens on
loopback only, with a generated password kept out of command lines and logs; no secret in an error or a log line."""
from __future__ import annotations

import hmac
import logging
import os
import stat
from pathlib import Path

import httpx
import neo4j
import pytest

from ui import apikeys
from ui.apikeys import KeyStore

# ---------------------------------------------------------------------------------------------- API keys


def test_api_keys_are_hashed_at_rest(tmp_path):
    ks = KeyStore(tmp_path / "apikeys.json")
    rec, key = ks.create("contracts")
    raw = (tmp_path / "apikeys.json").read_text(encoding="utf-8")
    secret = key.split("_", 2)[2]
    assert secret not in raw and key not in raw, "the key itself must never be stored"
    assert rec.hash in raw and len(bytes.fromhex(rec.hash)) >= 32 and len(bytes.fromhex(rec.salt)) >= 16
    assert stat.S_IMODE((tmp_path / "apikeys.json").stat().st_mode) == 0o600
    # a second key with the same name gets a different salt and hash
    rec2, key2 = ks.create("contracts")
    assert rec2.salt != rec.salt and rec2.hash != rec.hash and key2 != key


def test_api_keys_are_compared_in_constant_time(tmp_path, monkeypatch):
    ks = KeyStore(tmp_path / "apikeys.json")
    rec, key = ks.create("contracts")
    calls: list[tuple] = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((type(a).__name__, len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(apikeys.hmac, "compare_digest", spy)
    assert ks.verify(key).id == rec.id
    assert calls, "verification must go through hmac.compare_digest"
    n = len(calls)
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert ks.verify(tampered) is None
    assert len(calls) > n, "a wrong secret for a known key id must also be compared with hmac.compare_digest"
    assert ks.verify(key) is not None  # the per-process cache path
    assert ks.verify("yg_" + rec.id) is None and ks.verify("") is None and ks.verify("Bearer " + key) is None
    ks.revoke(rec.id)
    assert ks.verify(key) is None


# ---------------------------------------------------------------------------------------------- graph server


def _listening_inodes(proto_file: str) -> dict[str, str]:
    """inode -> local address for LISTEN sockets in /proc/net/tcp or tcp6."""
    out = {}
    try:
        lines = Path(proto_file).read_text().splitlines()[1:]
    except OSError:
        return out
    for line in lines:
        parts = line.split()
        local, state, inode = parts[1], parts[3], parts[9]
        if state == "0A":  # TCP_LISTEN
            out[inode] = local
    return out


def _decode(addr: str) -> tuple[str, int]:
    host, port = addr.split(":")
    port_n = int(port, 16)
    if len(host) == 8:  # IPv4, little-endian
        return ".".join(str(int(host[i:i + 2], 16)) for i in (6, 4, 2, 0)), port_n
    words = [host[i:i + 8] for i in range(0, 32, 8)]
    raw = b"".join(bytes.fromhex(w)[::-1] for w in words)
    import ipaddress

    return str(ipaddress.IPv6Address(raw)), port_n


def listening_sockets(pid: int) -> list[tuple[str, int]]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        for inode, local in _listening_inodes(f).items():
            if inode in inodes:
                found.append(_decode(local))
    return found


def is_loopback(host: str) -> bool:
    import ipaddress

    ip = ipaddress.ip_address(host)
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def test_graph_server_listens_on_loopback_only(graph_server):
    if graph_server is None:
        pytest.skip("NEO4J_URI: the server is not ours to check")
    socks = listening_sockets(graph_server.pid)
    ports = {p for _, p in socks}
    assert graph_server.bolt_port in ports and graph_server.http_port in ports, \
        f"the java process must own its Bolt and HTTP listeners (found {socks})"
    exposed = [(h, p) for h, p in socks if not is_loopback(h)]
    assert not exposed, f"the graph server listens beyond loopback: {exposed}"
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and is_loopback("::ffff:7f00:1")
    assert len(ports) == 2, f"only Bolt and HTTP may listen (no MCP/Postgres/Redis/GraphQL endpoints): {socks}"


def test_graph_server_password_is_generated_and_kept_private(graph_server):
    if graph_server is None:
        pytest.skip("NEO4J_URI: the server is not ours to check")
    root = Path(graph_server.home) / "arcadedb"
    pw_file = root / "password"
    pw = pw_file.read_text().strip()
    assert pw == graph_server.password
    assert len(pw) >= 24 and pw not in ("playwithdata", "arcadedb", "root", "password")
    assert stat.S_IMODE(pw_file.stat().st_mode) == 0o600
    cmdline = Path(f"/proc/{graph_server.pid}/cmdline").read_bytes().decode(errors="replace")
    assert pw not in cmdline, "the password must not be on the command line (ps shows it)"
    environ = Path(f"/proc/{graph_server.pid}/environ").read_bytes().decode(errors="replace")
    assert pw not in environ
    logs = [root / "server.out", *sorted((root / "log").glob("*"))]
    for f in logs:
        if f.is_file():
            assert pw not in f.read_text(errors="replace"), f"password written to {f.name}"


def test_wrong_and_default_passwords_are_refused(graph_server):
    if graph_server is None:
        pytest.skip("NEO4J_URI: the server is not ours to check")
    for pw in ("playwithdata", "wrong-" + graph_server.password[:6]):
        with neo4j.GraphDatabase.driver(graph_server.uri, auth=(graph_server.user, pw)) as d:
            with pytest.raises((neo4j.exceptions.AuthError, neo4j.exceptions.ServiceUnavailable,
                                neo4j.exceptions.ClientError)):
                with d.session(database=graph_server.database) as s:
                    s.run("RETURN 1").consume()
    r = httpx.get(f"{graph_server.http_url}/api/v1/server", auth=("root", "playwithdata"), timeout=10)
    assert r.status_code in (401, 403)


def test_store_login_error_does_not_echo_the_password(graph_server):
    if graph_server is None:
        pytest.skip("NEO4J_URI: the server is not ours to check")
    from graph.store import GraphStore, StoreError

    secret = "s3cret-not-the-password-Zq9"
    with pytest.raises(StoreError) as exc:
        GraphStore.connect(graph_server.uri, graph_server.user, secret, graph_server.database)
    assert secret not in str(exc.value) and graph_server.password not in str(exc.value)
    assert "NEO4J_PASSWORD" in str(exc.value) or "password" in str(exc.value).lower()


# ---------------------------------------------------------------------------------------------- API


def test_api_errors_and_logs_hold_no_secrets(robust_api, graph_server, caplog):
    url, key = robust_api
    caplog.set_level(logging.DEBUG)
    bad = key[:-4] + "XXXX"
    with httpx.Client(base_url=url, timeout=120) as c:
        r1 = c.get("/v1/documents", headers={"Authorization": f"Bearer {bad}"})
        r2 = c.get("/v1/documents", headers={"Authorization": f"Bearer {key}"})
        r3 = c.get("/v1/provisions/no-such-id", headers={"Authorization": f"Bearer {key}"})
        r4 = c.get("/healthz")
    assert (r1.status_code, r2.status_code, r3.status_code, r4.status_code) == (401, 200, 404, 200)
    secrets = [key, key.split("_", 2)[2], bad]
    if graph_server is not None:
        secrets.append(graph_server.password)
    for r in (r1, r3, r4):
        for s in secrets:
            assert s not in r.text, f"a secret is echoed by {r.request.url.path}"
    for s in secrets:
        assert s not in caplog.text, "a secret reached the logs"
