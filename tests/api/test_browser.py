"""A portal page in a real browser: headless Chromium loads a page from another origin, which
signs in with a token, reads by fetch() and follows a workflow request with the graphql-ws
library (its `connectionParams` carry the token), while the request's manager approves it from
another client. A page from an origin GROUPCOVER_CORS_ORIGINS does not list reads nothing and
opens no socket with the same token.

Selenium drives Debian's `chromium` through Debian's `chromium-driver`: both are built from
one source package at one version, so driver and browser always match, and nothing is
downloaded at run time (Playwright's driver is made for the Chromium build it downloads itself
and only tolerates others). Without them the test is skipped, and with
GROUPCOVER_REQUIRE_BROWSER=1 (as in .ci/run) it fails instead.
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from api import tokens
from authz.principal import Principal, Role
from domain.policies.models import Policy
from schema.core.relay import global_id
from tests.graphql import GraphQLClient, ok
from tests.live import BACKENDS, SECRET, Live, groupcover, live_database, serving

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # the browser fixture says how to install it
    webdriver = None  # type: ignore[assignment]

PAGES = Path(__file__).parent / "browser"
# What Chromium needs here: no sandbox as root, no GPU, and nothing that calls out to the
# network on its own (updates, sync, QUIC probes); a fresh profile is added per test.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1000,640",
)
INSTALL = "apt-get install chromium chromium-driver; pip install -e '.[dev]' (selenium)"

SUBMIT = """
mutation($input: WorkflowRequestSubmitInput!) {
  workflowRequestSubmit(input: $input) { request { id state } errors { field message code } }
}
"""
TASKS = "{ workflowTasks { edges { node { id } } } }"
APPROVE = """
mutation($id: ID!) {
  workflowTaskComplete(input: {id: $id, decision: APPROVE}) { request { state } errors { field message code } }
}
"""


class Page:
    """Headless Chromium showing one page: what a person would read on it."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def open(self, url: str) -> None:
        self.driver.get(url)

    def text(self, element_id: str) -> str:
        return str(self.driver.find_element("id", element_id).text)

    def events(self) -> list[str]:
        return [item.text for item in self.driver.find_elements("css selector", "#events li")]

    def console(self) -> list[str]:
        """What the browser logged for the page since last asked: errors, CORS refusals."""
        return [entry["message"] for entry in self.driver.get_log("browser")]

    def wait_for(self, what: Callable[[Page], Any], timeout: float = 30) -> Any:
        """Wait until `what` answers something true, and return it."""
        try:
            return WebDriverWait(self.driver, timeout, 0.1).until(lambda _driver: what(self))
        except TimeoutException:
            shown = {name: self.text(name) for name in ("query", "socket", "stream")}
            raise AssertionError(f"the page shows {shown}, {self.events()}") from None

    def screenshot(self, path: Path) -> Path:
        self.driver.save_screenshot(str(path))
        print(f"screenshot: {path}")
        return path


def _chromium_or_skip() -> tuple[str, str]:
    """Chromium and its driver, or skip (fail where the browser is required) saying how."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    found = {"chromium": chromium, "chromium-driver": driver, "selenium": webdriver}
    missing = [name for name, where in found.items() if where is None]
    if chromium is None or driver is None or missing:
        message = f"the browser test needs {', '.join(missing)}: {INSTALL}"
        if os.environ.get("GROUPCOVER_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return chromium, driver


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Page]:
    chromium, driver = _chromium_or_skip()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    session = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield Page(session)
    finally:
        session.quit()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *_args: Any) -> None:
        """The pages' requests are no news in the test's output."""


@contextmanager
def _site() -> Iterator[str]:
    """The test pages, served from a loopback port of their own: an origin of their own."""
    handler = functools.partial(_Quiet, directory=str(PAGES))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@dataclass
class Sites:
    portal: str
    """The origin GROUPCOVER_CORS_ORIGINS lists."""
    stranger: str
    """Another origin, listed nowhere."""


@pytest.fixture
def sites() -> Iterator[Sites]:
    with _site() as portal, _site() as stranger:
        yield Sites(portal, stranger)


@pytest.fixture(params=BACKENDS)
async def live(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Live]:
    async with live_database(request.param, tmp_path) as database:
        yield database


@pytest.fixture
async def api(live: Live, sites: Sites) -> AsyncIterator[str]:
    """groupcover serving pages on the portal's origin, and no other."""
    async with serving(live, GROUPCOVER_CORS_ORIGINS=sites.portal) as base:
        yield f"http://{base}"


def _token(principal: Principal) -> str:
    return tokens.issue(principal, secret=SECRET)


def _employee(live: Live) -> str:
    return _token(Principal("emp-1", frozenset({Role.EMPLOYEE}), person=live.holder_number))


async def _as(api: str, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=api) as http:
        return await GraphQLClient(http, token).mutate(query, variables)


async def _termination(api: str, token: str, live: Live) -> str:
    """An employee's termination of their policy, waiting for their manager; its id."""
    variables = {
        "input": {
            "type": "TERMINATION",
            "channel": "EMPLOYEE",
            "policyId": global_id("Policy", live.policy_id),
            "endDate": "2030-01-01",
        }
    }
    return str(ok(await _as(api, token, SUBMIT, variables))["request"]["id"])


async def _approve(api: str, live: Live) -> None:
    """ACME's HR manager approves the one task in their inbox, from their own client."""
    manager = _token(Principal("hr-1", frozenset({Role.GROUP_MANAGER}), groups=frozenset({"ACME"})))
    (task,) = (await _as(api, manager, TASKS, {}))["edges"]
    ok(await _as(api, manager, APPROVE, {"id": task["node"]["id"]}))
    if live.url.startswith("postgresql"):  # the registration is a job for a worker
        worker = await groupcover(live, "worker", "--once")
        assert worker.returncode == 0, worker.stderr.decode()[-2000:]


def _stream_ended(page: Page) -> str | None:
    """How the page's subscription ended: complete, closed (and why) or an error."""
    stream = page.text("stream")
    return None if stream == "waiting" else stream


def _socket_closed(page: Page) -> str | None:
    """How the page's socket closed, once it has."""
    socket = page.text("socket")
    return socket if socket.startswith("closed") else None


def _address(site: str, api: str, token: str, request_id: str) -> str:
    """The portal page, told where the API is and signed in, after `#` as a portal would."""
    return f"{site}/portal.html#" + urlencode({"api": api, "token": token, "request": request_id})


async def test_a_portal_page_reads_and_follows_a_request_with_its_token(
    browser: Page, live: Live, sites: Sites, api: str, tmp_path: Path
) -> None:
    # given an employee's termination, waiting for the manager
    employee = _employee(live)
    request_id = await _termination(api, employee, live)
    async with live.sessions() as session:
        number = (await session.get_one(Policy, live.policy_id)).number
    # when the employee's portal page opens: it reads, then subscribes
    await asyncio.to_thread(browser.open, _address(sites.portal, api, employee, request_id))
    heard = await asyncio.to_thread(browser.wait_for, Page.events)
    # and the manager approves it from another client
    await _approve(api, live)
    stream = await asyncio.to_thread(browser.wait_for, _stream_ended)
    # then the page read the request and the policy, and heard the request to its end
    assert browser.text("query") == f"TERMINATION PENDING_APPROVAL; policies: {number}"
    assert heard == ["PENDING_APPROVAL"]
    assert stream == "complete"
    assert await asyncio.to_thread(browser.wait_for, _socket_closed) == "closed 1000 Normal Closure"
    states = browser.events()
    assert states[0] == "PENDING_APPROVAL"
    assert "APPROVED" in states
    assert states[-1] == "COMPLETED"
    assert browser.screenshot(tmp_path / "portal.png").stat().st_size > 0


async def test_a_page_on_an_origin_not_listed_reads_nothing_and_opens_no_socket(
    browser: Page, live: Live, sites: Sites, api: str, tmp_path: Path
) -> None:
    # given the employee's token, which the API takes from any client but a page elsewhere
    employee = _employee(live)
    request_id = await _termination(api, employee, live)
    # when the same page is served from an origin GROUPCOVER_CORS_ORIGINS does not list
    await asyncio.to_thread(browser.open, _address(sites.stranger, api, employee, request_id))
    stream = await asyncio.to_thread(browser.wait_for, _stream_ended)
    # then the browser gave the page no answer, and the server no socket
    browser.screenshot(tmp_path / "stranger.png")
    assert browser.text("query") == "refused: TypeError: Failed to fetch"
    assert stream == "socket error"
    assert await asyncio.to_thread(browser.wait_for, _socket_closed) == "closed 1006"
    assert browser.events() == []
    console = "\n".join(browser.console())
    assert f"from origin '{sites.stranger}' has been blocked by CORS policy" in console, console
    assert "WebSocket handshake: Unexpected response code: 403" in console, console
