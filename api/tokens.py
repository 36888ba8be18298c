"""Signed bearer tokens (HS256) that carry a principal's roles and grants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from authz.principal import Principal, Role

ALGORITHM = "HS256"
ISSUER = "groupcover"


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
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
        roles = frozenset(Role(role) for role in claims.get("roles", []))
    except jwt.ExpiredSignatureError as error:
        raise InvalidToken("The token has expired.") from error
    except jwt.InvalidSignatureError as error:
        raise InvalidToken("The token's signature is not valid.") from error
    except (jwt.InvalidTokenError, ValueError, TypeError) as error:
        raise InvalidToken("The token is malformed or not for this server.") from error
    return Principal(
        subject=str(claims["sub"]),
        roles=roles,
        groups=frozenset(claims.get("groups") or ()),
        data_access_groups=frozenset(claims.get("dags") or ()),
        lines_of_business=frozenset(claims.get("lobs") or ()),
        person=claims.get("person"),
    )
