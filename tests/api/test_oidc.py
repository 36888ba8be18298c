"""Single sign-on: the identity provider's tokens checked against the keys it serves (a real
JWKS endpoint on loopback), key rotation, refused algorithms, claim mapping, outages."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from api import oidc
from api.oidc import IdentityProvider, KeysUnavailable
from api.tokens import EXPIRED, MALFORMED, InvalidToken
from authz.principal import Role
from tests.api.idp import ISSUER, Key, Provider, forged_hs256, serving, sign
from tests.api.idp import claims as idp_claims

HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


@pytest.fixture(scope="module")
def rsa_key() -> Key:
    return Key.rsa("rsa-1")


@pytest.fixture(scope="module")
def ec_key() -> Key:
    return Key.ec("ec-1")


@pytest.fixture
def idp(rsa_key: Key, ec_key: Key) -> Iterator[Provider]:
    """The provider, publishing one RSA and one EC key."""
    with serving(rsa_key, ec_key) as provider:
        yield provider


@pytest.fixture
def verifier(idp: Provider) -> IdentityProvider:
    return IdentityProvider(idp.settings())


async def refused(verifier: IdentityProvider, token: str) -> str:
    """Verify a token that must be refused; what it is told."""
    with pytest.raises(InvalidToken) as error:
        await verifier.verify(token)
    return str(error.value)


@pytest.mark.parametrize("key", ["rsa_key", "ec_key"])
async def test_a_token_signed_with_a_published_key_signs_in(
    verifier: IdentityProvider, request: pytest.FixtureRequest, key: str
) -> None:
    # given
    token = sign(request.getfixturevalue(key), roles=["group_manager"], groups=["ACME"])
    # when
    principal = await verifier.verify(token)
    # then
    assert verifier.issued(token)
    assert principal.subject == "alice@acme"
    assert principal.roles == {Role.GROUP_MANAGER}
    assert principal.groups == {"ACME"}


async def test_a_token_for_another_audience_is_refused(
    verifier: IdentityProvider, rsa_key: Key
) -> None:
    # when / then
    assert "audience" in await refused(verifier, sign(rsa_key, aud="another-app"))


async def test_a_token_of_another_issuer_is_not_taken_for_the_providers(
    verifier: IdentityProvider, rsa_key: Key
) -> None:
    # given: signed with the provider's key, but naming another issuer
    token = sign(rsa_key, iss="https://login.other.example/realms/x")
    # when / then: it is not the provider's, and would not pass as one either
    assert not verifier.issued(token)
    assert await refused(verifier, token) == MALFORMED


async def test_an_expired_token_is_refused_saying_it_expired(
    verifier: IdentityProvider, ec_key: Key
) -> None:
    # when / then
    assert await refused(verifier, sign(ec_key, exp=HOUR_AGO, iat=HOUR_AGO)) == EXPIRED


async def test_a_rotated_key_is_fetched_once_on_its_first_token(
    verifier: IdentityProvider, idp: Provider, rsa_key: Key
) -> None:
    # given keys fetched for a first token, then the provider rotates to a new key
    await verifier.verify(sign(rsa_key))
    rotated = Key.rsa("rsa-2")
    idp.keys = [rotated]
    # when
    principal = await verifier.verify(sign(rotated))
    again = await verifier.verify(sign(rotated))
    # then
    assert principal == again
    assert idp.requests == 2


async def test_an_unknown_key_is_refetched_once_then_refused(
    verifier: IdentityProvider, idp: Provider, rsa_key: Key
) -> None:
    # given keys fetched for a first token
    await verifier.verify(sign(rsa_key))
    stranger = Key.ec("made-up")
    # when the same unknown kid comes three times
    told = [await refused(verifier, sign(stranger)) for _ in range(3)]
    # then one refetch, not three
    assert told == [oidc.UNKNOWN_KEY] * 3
    assert idp.requests == 2


async def test_alg_none_and_hs256_keyed_with_the_public_key_are_refused(
    verifier: IdentityProvider, idp: Provider, rsa_key: Key
) -> None:
    # given
    unsigned = jwt.encode(
        {"iss": ISSUER, "sub": "x"}, None, algorithm="none", headers={"kid": "rsa-1"}
    )
    forged = forged_hs256(rsa_key)
    # when / then
    for token in (unsigned, forged):
        assert verifier.issued(token)
        assert await refused(verifier, token) == "The token must be signed with RS256 or ES256."
    assert idp.requests == 0


async def test_a_token_naming_no_key_is_refused_without_asking_the_provider(
    verifier: IdentityProvider, idp: Provider, rsa_key: Key
) -> None:
    # given
    token = jwt.encode(idp_claims(), rsa_key.private, algorithm="RS256")
    # when / then
    assert await refused(verifier, token) == "The token names no signing key (kid)."
    assert idp.requests == 0


async def test_a_token_whose_algorithm_is_not_its_keys_is_refused(
    verifier: IdentityProvider, rsa_key: Key, ec_key: Key
) -> None:
    # given: signed by the EC key, but naming the RSA key's kid
    token = sign(Key(rsa_key.kid, "ES256", ec_key.private))
    # when / then
    assert await refused(verifier, token) == MALFORMED


async def test_claims_are_read_under_the_names_the_settings_give(
    idp: Provider, ec_key: Key
) -> None:
    # given a provider naming the grants its own way, roles nested as Keycloak does
    verifier = IdentityProvider(
        idp.settings(
            roles="realm_access.roles",
            groups="grp",
            dags="https://acme.example/dags",
            lobs="lines",
            person="employee_number",
        )
    )
    token = sign(
        ec_key,
        roles=["partner"],  # no longer read
        realm_access={"roles": ["backoffice", "offline_access", "uma_authorization"]},
        grp=["ACME"],
        **{"https://acme.example/dags": ["EU"]},
        lines=["HEALTH"],
        employee_number="P-17",
    )
    # when
    principal = await verifier.verify(token)
    # then: the provider's roles for other applications are left out
    assert principal.roles == {Role.BACKOFFICE}
    assert (principal.groups, principal.data_access_groups) == ({"ACME"}, {"EU"})
    assert (principal.lines_of_business, principal.person) == ({"HEALTH"}, "P-17")


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"roles": {"admin": 1}}, id="roles as a mapping"),
        pytest.param({"roles": "admin"}, id="roles as a string"),
        pytest.param({"roles": [["admin"]]}, id="roles nested"),
        pytest.param({"groups": 5}, id="groups as a number"),
        pytest.param({"dags": [["EU"]]}, id="data access groups nested"),
        pytest.param({"lobs": {"HEALTH": True}}, id="lines as a mapping"),
        pytest.param({"person": 12}, id="person as a number"),
        pytest.param({"sub": ["admin"]}, id="subject as a list"),
        pytest.param({"sub": None}, id="no subject"),
        pytest.param({"exp": None}, id="no expiry"),
        pytest.param({"aud": None}, id="no audience"),
    ],
)
async def test_a_signed_token_with_claims_of_the_wrong_shape_is_refused(
    verifier: IdentityProvider, rsa_key: Key, claims: dict[str, object]
) -> None:
    # when / then
    assert await refused(verifier, sign(rsa_key, **claims)) == MALFORMED


async def test_keys_that_cannot_be_fetched_are_said_to_be_unavailable(
    idp: Provider, rsa_key: Key
) -> None:
    # given a provider answering an error page, one answering HTML, and nobody listening
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{closed.getsockname()[1]}/certs"
    token = sign(rsa_key)
    for status, body, url in [
        (502, b"bad", idp.url),
        (200, b"<html>", idp.url),
        (200, None, nobody),
    ]:
        idp.status, idp.body = status, body
        verifier = IdentityProvider(replace(idp.settings(), jwks_url=url))
        # when / then: no address, no library message
        with pytest.raises(KeysUnavailable) as error:
            await verifier.verify(token)
        assert str(error.value) == oidc.UNAVAILABLE


async def test_a_provider_that_just_failed_is_not_asked_again_at_once(
    verifier: IdentityProvider, idp: Provider, ec_key: Key
) -> None:
    # given a provider that is down, slowly
    idp.status, idp.body, idp.delay = 503, b"down", 0.2
    # when five requests come together, and one more after them
    together = [verifier.verify(sign(ec_key)) for _ in range(5)]
    outcomes = await asyncio.gather(*together, return_exceptions=True)
    with pytest.raises(KeysUnavailable):
        await verifier.verify(sign(ec_key))
    # then all are told to come back later, after one request to the provider
    assert all(isinstance(outcome, KeysUnavailable) for outcome in outcomes)
    assert idp.requests == 1


async def test_an_outage_after_the_keys_were_fetched_keeps_the_known_keys(
    verifier: IdentityProvider, idp: Provider, rsa_key: Key
) -> None:
    # given keys fetched, grown old, and the provider down
    await verifier.verify(sign(rsa_key))
    verifier.signing_keys.fetched_at -= oidc.LIFESPAN_SECONDS
    idp.status, idp.body = 503, b"down"
    # when
    principal = await verifier.verify(sign(rsa_key))
    again = await verifier.verify(sign(rsa_key))
    # then one failed try, and no other until REFETCH_SECONDS have passed
    assert principal == again
    assert idp.requests == 2


async def test_fetching_keys_leaves_the_event_loop_free_and_is_done_once(
    verifier: IdentityProvider, idp: Provider, ec_key: Key
) -> None:
    # given a slow provider and twenty requests arriving together
    idp.delay = 0.3
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(ticking())
    # when
    principals = await asyncio.gather(*(verifier.verify(sign(ec_key)) for _ in range(20)))
    ticker.cancel()
    # then
    assert len(set(principals)) == 1
    assert idp.requests == 1
    assert ticks >= 10, "the loop ran while the keys were fetched"


async def test_while_old_keys_are_refetched_a_known_key_does_not_wait(
    verifier: IdentityProvider, idp: Provider, rsa_key: Key
) -> None:
    # given keys fetched and grown old, and a slow provider
    await verifier.verify(sign(rsa_key))
    verifier.signing_keys.fetched_at -= oidc.LIFESPAN_SECONDS
    idp.delay = 0.5
    # when one request refetches and another comes meanwhile
    refetching = asyncio.create_task(verifier.verify(sign(rsa_key)))
    await asyncio.sleep(0.05)
    started = asyncio.get_running_loop().time()
    await verifier.verify(sign(rsa_key))
    waited = asyncio.get_running_loop().time() - started
    await refetching
    # then
    assert waited < 0.2
    assert idp.requests == 2
