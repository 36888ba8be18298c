"""/metrics: off by default, behind a bearer token on the API's port, counting what ran."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.settings import MetricsSettings, SettingsError, load_settings
from tests.api.observed import client
from tests.conftest import TEST_SECRET
from tests.factories import Book

PAGE = "query MetricsPage { policies(first: 5) { edges { node { number } } } }"
TOKEN = "metrics-" + "m" * 40
WITH_TOKEN = {"metrics": MetricsSettings(mode="token", token=TOKEN)}
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def requests_of(found: dict, operation: str, outcome: str) -> float:
    key = (
        "groupcover_requests_total",
        (("operation", operation), ("outcome", outcome), ("type", "query")),
    )
    return found.get(key, 0.0)


async def test_metrics_count_requests_outcomes_latency_and_statements(
    sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    # given
    await Book(session).setup()
    async with client(sessions, **WITH_TOKEN) as http:
        before = samples((await http.get("/metrics", headers=BEARER)).text)
        # when three pages are read and one document does not validate
        for _ in range(3):
            await http.post("/graphql", json={"query": PAGE})
        await http.post("/graphql", json={"query": "query MetricsPage { nope }"})
        response = await http.get("/metrics", headers=BEARER)
    # then
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)
    assert requests_of(after, "MetricsPage", "ok") - requests_of(before, "MetricsPage", "ok") == 3
    latency = ("groupcover_request_seconds_count", (("operation", "MetricsPage"),))
    assert after[latency] - before.get(latency, 0) == 4
    statements = ("groupcover_request_statements_sum", ())
    assert after[statements] - before.get(statements, 0) >= 3 * 2
    assert ("groupcover_db_connections_in_use", ()) in after
    assert ("groupcover_open_subscriptions", ()) in after


async def test_refusals_for_rate_are_counted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # given a server allowing one request a minute
    async with client(sessions, rate_per_minute=1, **WITH_TOKEN) as http:
        key = ("groupcover_rate_limited_total", (("where", "http"),))
        before = samples((await http.get("/metrics", headers=BEARER)).text).get(key, 0)
        # when
        statuses = [(await http.post("/graphql", json={"query": PAGE})).status_code for _ in "ab"]
        after = samples((await http.get("/metrics", headers=BEARER)).text)[key]
    # then
    assert statuses == [200, 429]
    assert after - before == 1


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]
)
async def test_metrics_without_the_token_are_not_found(
    sessions: async_sessionmaker[AsyncSession], headers: dict[str, str]
) -> None:
    async with client(sessions, **WITH_TOKEN) as http:
        response = await http.get("/metrics", headers=headers)
    assert response.status_code == 404
    assert "groupcover" not in response.text


async def test_metrics_are_off_by_default(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with client(sessions) as http:
        assert (await http.get("/metrics", headers=BEARER)).status_code == 404


def test_metrics_settings() -> None:
    base = {"GROUPCOVER_SECRET_KEY": TEST_SECRET}
    assert load_settings(base).metrics.mode == "off"
    assert load_settings(base | {"GROUPCOVER_ENV": "production"}).metrics.mode == "off"
    token = load_settings(base | {"GROUPCOVER_METRICS": "token", "GROUPCOVER_METRICS_TOKEN": TOKEN})
    assert token.metrics == MetricsSettings(mode="token", token=TOKEN)
    port = load_settings(base | {"GROUPCOVER_METRICS": "port", "GROUPCOVER_METRICS_PORT": "9100"})
    assert port.metrics == MetricsSettings(mode="port", port=9100)
    for wrong in (
        {"GROUPCOVER_METRICS": "on"},
        {"GROUPCOVER_METRICS": "token"},
        {"GROUPCOVER_METRICS": "token", "GROUPCOVER_METRICS_TOKEN": "short"},
        {"GROUPCOVER_METRICS": "port"},
        {"GROUPCOVER_METRICS": "port", "GROUPCOVER_METRICS_PORT": "70000"},
        {"GROUPCOVER_LOG_FORMAT": "xml"},
    ):
        with pytest.raises(SettingsError, match="GROUPCOVER_"):
            load_settings(base | wrong)


def test_the_log_format_is_json_in_production_and_text_in_development() -> None:
    base = {"GROUPCOVER_SECRET_KEY": TEST_SECRET}
    assert load_settings(base).log_format == "text"
    assert load_settings(base | {"GROUPCOVER_ENV": "production"}).log_format == "json"
    assert load_settings(base | {"GROUPCOVER_LOG_FORMAT": "json"}).log_format == "json"
