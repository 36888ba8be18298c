"""A company's identity provider for the single sign-on tests: RSA and EC keys made here, their
public halves served as a JWKS by a real HTTP server on loopback, and tokens signed with them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from api.settings import OidcSettings

ISSUER = "https://login.acme.example/realms/acme"
AUDIENCE = "groupcover-api"


@dataclass
class Key:
    """A signing key of the provider: its id, algorithm and private half."""

    kid: str
    algorithm: str
    private: Any

    @classmethod
    def rsa(cls, kid: str) -> Key:
        return cls(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str) -> Key:
        return cls(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        encode = RSAAlgorithm.to_jwk if self.algorithm == "RS256" else ECAlgorithm.to_jwk
        return {
            **encode(public, as_dict=True),
            "kid": self.kid,
            "use": "sig",
            "alg": self.algorithm,
        }

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def claims(**more: Any) -> dict[str, Any]:
    """Valid claims for a user of the provider, overridden by `more` (None drops one)."""
    now = datetime.now(UTC)
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice@acme",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "roles": ["admin"],
    }
    return {name: value for name, value in {**base, **more}.items() if value is not None}


def sign(key: Key, **more: Any) -> str:
    """A token the provider signed with `key`."""
    return jwt.encode(
        claims(**more), key.private, algorithm=key.algorithm, headers={"kid": key.kid}
    )


def forged_hs256(key: Key, **more: Any) -> str:
    """HS256 with the provider's public key as the secret (PyJWT refuses to make one)."""
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    body = {name: value for name, value in claims(**more).items() if name not in ("iat", "exp")}
    body["exp"] = int(time.time()) + 300
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(body).encode())}"
    mac = hmac.new(key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Provider:
    """The JWKS endpoint: what it publishes, how often it was asked, and whether it is down."""

    url: str = ""
    keys: list[Key] = field(default_factory=list)
    requests: int = 0
    status: int = 200
    delay: float = 0.0

    body: bytes | None = None
    """When set, served instead of the key set (an outage's error page)."""

    def settings(self, **claim_names: str) -> OidcSettings:
        """Settings trusting this provider; `roles="realm_roles"` renames a claim."""
        default = OidcSettings(ISSUER, AUDIENCE, self.url)
        names = tuple((ours, claim_names.get(ours, theirs)) for ours, theirs in default.claims)
        return replace(default, claims=names)


@contextmanager
def serving(*keys: Key) -> Iterator[Provider]:
    """Serve `keys` as a JWKS on a free loopback port, in a thread, until the block ends."""
    provider = Provider(keys=list(keys))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            provider.requests += 1
            time.sleep(provider.delay)
            body = provider.body or json.dumps({"keys": [k.jwk() for k in provider.keys]}).encode()
            self.send_response(provider.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/certs"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
