"""Single sign-on: tokens a company's identity provider signs (OIDC, RS256 or ES256), checked
against the keys it publishes (JWKS), beside the server's own HS256 tokens (api/tokens.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

import jwt
from jwt import PyJWK, PyJWKClient

from api.settings import OidcSettings
from api.tokens import EXPIRED, FORGED, MALFORMED, InvalidToken, principal_of
from authz.principal import Principal, Role

logger = logging.getLogger(__name__)

# Asymmetric only: an identity provider's HS256 would need its secret here, and an HS256 token
# verified with a public key as the secret is the classic forgery. "none" is never accepted.
ALGORITHMS = ("RS256", "ES256")
# Clocks of two servers differ a little; a token a few seconds from expiry still counts.
LEEWAY_SECONDS = 30
# The key set is used this long, then fetched again on the next token (providers keep a retired
# key published for longer than that). An unknown `kid` refetches at once, but at most once in
# REFETCH_SECONDS, so random `kid`s cannot make us hammer the provider.
LIFESPAN_SECONDS = 300.0
REFETCH_SECONDS = 10.0
FETCH_TIMEOUT_SECONDS = 5.0
UNKNOWN_KEY = "The token's signing key (kid) is not one the identity provider publishes."
UNAVAILABLE = "The identity provider's signing keys cannot be fetched now; try again later."
_ROLES = frozenset(Role)


class KeysUnavailable(Exception):
    """The identity provider's key set cannot be fetched, and no earlier one is at hand."""


class SigningKeys:
    """The identity provider's public keys by `kid`, fetched with PyJWKClient in a thread.

    A known `kid` of a fresh set is a dict lookup: no I/O, no thread. Fetches are made one at a
    time (the lock); while one is under way a known `kid` is served from the set at hand, and
    only requests that need the new set wait for it. PyJWKClient's own cache is off:
    its lookup takes a threading lock (held while it fetches, which would stall the event loop)
    and its cooldown counts from every fetch, refusing a key rotated in just after one.
    """

    def __init__(self, url: str) -> None:
        self.client = PyJWKClient(url, cache_jwk_set=False, timeout=FETCH_TIMEOUT_SECONDS)
        self.keys: dict[str, PyJWK] = {}
        self.fetched_at: float | None = None
        self.refetched_at = self.failed_at = float("-inf")
        self.lock = asyncio.Lock()

    def _fresh(self) -> bool:
        return self.fetched_at is not None and time.monotonic() - self.fetched_at < LIFESPAN_SECONDS

    async def key(self, kid: str) -> PyJWK:
        """The key `kid` names; InvalidToken if the provider does not publish it."""
        if kid in self.keys and (self._fresh() or self.lock.locked()):
            return self.keys[kid]  # while a fetch is under way, the keys at hand serve
        async with self.lock:
            if not self._fresh():
                await self._fetch()
            elif kid not in self.keys and time.monotonic() - self.refetched_at >= REFETCH_SECONDS:
                self.refetched_at = time.monotonic()  # a rotation, or a made-up kid
                await self._fetch()
        if kid not in self.keys:
            raise InvalidToken(UNKNOWN_KEY)
        return self.keys[kid]

    async def _fetch(self) -> None:
        """Fetch the set; if that fails, keep the last one for a while, or refuse without one."""
        if not self.keys and time.monotonic() - self.failed_at < REFETCH_SECONDS:
            # Just failed: requests queued behind that fetch are not made to wait for another.
            raise KeysUnavailable(UNAVAILABLE)
        try:
            fetched = await asyncio.to_thread(self.client.get_signing_keys, True)
        except (jwt.PyJWTError, ValueError, OSError) as error:  # ValueError: not JSON
            # The reason may name hosts and addresses: it goes to the log, not to the caller.
            logger.warning("cannot fetch the identity provider's keys: %s", error)
            self.failed_at = time.monotonic()
            if not self.keys:
                raise KeysUnavailable(UNAVAILABLE) from error
            # Try again after REFETCH_SECONDS, not on every request meanwhile.
            self.fetched_at = time.monotonic() - LIFESPAN_SECONDS + REFETCH_SECONDS
            return
        self.keys = {key.key_id: key for key in fetched if key.key_id}
        self.fetched_at = time.monotonic()


class IdentityProvider:
    """Turns the identity provider's tokens into principals, as api/tokens.py does ours."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self.signing_keys = SigningKeys(settings.jwks_url)

    def issued(self, token: str) -> bool:
        """Whether the token says it comes from the identity provider (not yet verified)."""
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            return False
        return claims.get("iss") == self.settings.issuer

    async def verify(self, token: str) -> Principal:
        """The principal the token names; InvalidToken or KeysUnavailable saying why not."""
        return (await self.verified(token))[0]

    async def verified(self, token: str) -> tuple[Principal, datetime]:
        """The principal the token names and when the token expires (an open socket closes
        then); InvalidToken or KeysUnavailable saying why not."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise InvalidToken(MALFORMED) from error
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken(f"The token must be signed with {' or '.join(ALGORITHMS)}.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("The token names no signing key (kid).")
        key = await self.signing_keys.key(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                issuer=self.settings.issuer,
                audience=self.settings.audience,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
            return principal_of(self._ours(claims)), datetime.fromtimestamp(claims["exp"], UTC)
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken(EXPIRED) from error
        except jwt.InvalidSignatureError as error:
            raise InvalidToken(FORGED) from error
        except jwt.InvalidAudienceError as error:
            raise InvalidToken("The token's audience is not this server.") from error
        except (jwt.InvalidTokenError, ValueError, TypeError) as error:
            raise InvalidToken(MALFORMED) from error

    def _ours(self, claims: dict[str, Any]) -> dict[str, Any]:
        """The claims under our names. Roles this server does not know are left out: a
        provider's roles serve other applications too. Any other shape is checked as ours."""
        ours = {"sub": claims.get("sub")}
        for name, theirs in self.settings.claims:
            ours[name] = _claim(claims, theirs)
        roles = ours.get("roles")
        if isinstance(roles, list):
            ours["roles"] = [r for r in roles if not isinstance(r, str) or r in _ROLES]
        return ours


def _claim(claims: dict[str, Any], name: str) -> Any:
    """The claim `name`, or, when there is none of that name, the nested one its dots name
    (`realm_access.roles`); claim names may hold dots (`https://example.com/roles`)."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
