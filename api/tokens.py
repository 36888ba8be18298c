"""Signed bearer tokens (HS256) that carry a principal's roles and grants."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from authz.principal import Principal, Role

ALGORITHM = "HS256"
ISSUER = "groupcover"
# What a refused token is told: the same words for the server's own tokens and an identity
# provider's (api/oidc.py).
EXPIRED = "The token has expired."
FORGED = "The token's signature is not valid."
MALFORMED = "The token is malformed or not for this server."


class InvalidToken(Exception):
    """The token is missing, malformed, forged or expired; the message says which."""


def issue(principal: Principal, *, secret: str, lifetime: timedelta = timedelta(hours=12)) -> str:
    """Sign a token for this principal that expires after `lifetime`."""
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "sub": principal.subject,
        "iat": now,
        "exp": now + lifetime,
        "roles": sorted(principal.roles),
        "groups": sorted(principal.groups),
        "dags": sorted(principal.data_access_groups),
        "lobs": sorted(principal.lines_of_business),
        "person": principal.person,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(token: str, *, secret: str) -> Principal:
    """Return the principal a token was signed for, or raise InvalidToken saying why."""
    return verified(token, secret=secret)[0]


def verified(token: str, *, secret: str) -> tuple[Principal, datetime]:
    """The principal a token was signed for and when the token expires, or InvalidToken."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
        principal = principal_of(claims)
        expires_at = datetime.fromtimestamp(claims["exp"], UTC)
    except jwt.ExpiredSignatureError as error:
        raise InvalidToken(EXPIRED) from error
    except jwt.InvalidSignatureError as error:
        raise InvalidToken(FORGED) from error
    except (jwt.InvalidTokenError, ValueError, TypeError) as error:
        raise InvalidToken(MALFORMED) from error
    return principal, expires_at


class VerifiedTokens:
    """The tokens verified lately, each until it expires: a client sends the same token with
    every request, and checking its signature and claims again cost about 40 us of each (as
    much as a tenth of an employee's coverage's own work). Only a token that verified is
    kept, keyed by its whole text, so a forged or changed one is checked as ever; one that
    has expired since is checked again, and refused as expired. At most `remember` are kept,
    the least recently used forgotten first."""

    def __init__(self, secret: str, remember: int = 10_000) -> None:
        self.secret = secret
        self.remember = remember
        self._known: OrderedDict[str, tuple[Principal, datetime]] = OrderedDict()

    def verified(self, token: str) -> tuple[Principal, datetime]:
        """As `verified`, with this cache's secret."""
        known = self._known.get(token)
        if known is not None and datetime.now(UTC) < known[1]:
            self._known.move_to_end(token)
            return known
        self._known.pop(token, None)
        found = verified(token, secret=self.secret)
        self._known[token] = found
        if len(self._known) > self.remember:
            self._known.popitem(last=False)
        return found


def principal_of(claims: dict[str, Any]) -> Principal:
    """The principal the claims name; a claim of the wrong shape is a malformed token, so
    that a signed `roles: {"admin": 1}` or `groups: 5` never reads as a grant."""
    subject, person = claims["sub"], claims.get("person")
    if not isinstance(subject, str) or not (person is None or isinstance(person, str)):
        raise ValueError("sub and person are strings")
    return Principal(
        subject=subject,
        roles=frozenset(Role(role) for role in _strings(claims, "roles")),
        groups=_strings(claims, "groups"),
        data_access_groups=_strings(claims, "dags"),
        lines_of_business=_strings(claims, "lobs"),
        person=person,
    )


def _strings(claims: dict[str, Any], name: str) -> frozenset[str]:
    """A claim that must be a list of strings (absent or null: none)."""
    value = claims.get(name)
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{name} is a list of strings")
    return frozenset(value)
