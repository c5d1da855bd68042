"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

* One headless Chromium per test session (``browser``), a fresh context and page per test
  (``page``), so cookies never leak from one test to the next.
* Every page is watched: a JavaScript error, a Content-Security-Policy violation, a console
  error or a failed sub-resource (a 404 for htmx.min.js, say) fails the test that caused it.
* ``shot(page, step)`` saves a full-page PNG to ``test-artifacts/screenshots/<test>-<step>.png``;
  a failing test leaves one named ``<test>-failed.png``.

Playwright never downloads a browser here: ``make browser`` installs Debian's ``chromium``, and
the tests skip (with the reason) on a machine without it.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from portal.celery import app
from postdicom.local.uploads.indexing import forget_cached_series
from tests.missing import missing
from tests.uploads.conftest import local_storage

# Playwright's sync API runs an event loop in this thread; Django would refuse the ORM calls
# the fixtures make unless told that this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("RAYPORT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 800, "height": 1100}
TIMEOUT_MS = 10_000

_phase_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report so the ``page`` fixture knows whether the test failed."""
    report = yield
    item.stash.setdefault(_phase_reports, {})[report.when] = report
    return report


def _test_name() -> str:
    """``test_something[param]`` of the running test, safe as a file name."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "unknown").split(" ")[0]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", current.split("::")[-1]).strip("_")


def shot(page, step: str) -> Path:
    """Save a full-page screenshot of ``page`` as ``<test-name>-<step>.png`` and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{_test_name()}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', step)}.png"
    # caret="initial": hiding the caret leaves style="" on every input, which htmx later copies
    # while settling a swap, and that copy is a (false) CSP violation.
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


@dataclass
class Watch:
    """What went wrong in the browser while a test ran."""

    problems: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        page.on("response", self._response)
        page.on("requestfailed", self._request_failed)

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.problems.append(f"CSP violation: {text}")
        elif message.type == "error" and not text.startswith("Failed to load resource"):
            # "Failed to load resource" also follows a page that is meant to be a 403/404;
            # sub-resources that fail are caught by _response instead.
            self.problems.append(f"console error: {text}")

    def _response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.problems.append(f"{response.status} for {response.request.resource_type} {response.url}")

    def _request_failed(self, request) -> None:
        # ERR_ABORTED: the page moved on before the request finished (a quick click away).
        if request.resource_type != "document" and "ERR_ABORTED" not in (request.failure or ""):
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def check(self) -> None:
        """Fail now if anything went wrong so far (and forget it)."""
        problems, self.problems = self.problems, []
        if problems:
            pytest.fail("The browser reported problems:\n" + "\n".join(problems))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium) for the browser tests")
    try:
        from playwright import sync_api
    except ImportError:
        missing("Playwright is not installed (make install-dev)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _requests_end_before_the_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """The live server may still be answering the closed page's last requests (a viewer's
    frames, say) when the test's data is flushed; a request's transaction and the flush's
    TRUNCATE then deadlock. Torn down after ``page`` and before the flush, this waits until no
    other connection to the test database is busy."""
    if "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")  # set up before this: flushed after it
    yield
    if "live_server" in request.fixturenames:
        _wait_until_the_database_is_quiet()


def _wait_until_the_database_is_quiet(seconds: float = 15.0) -> None:
    """Until no other session on the test database is running a statement or holds a
    transaction open, twice in a row (a request that has just arrived starts one next)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    deadline, quiet = time.monotonic() + seconds, 0
    with connection.cursor() as cursor:
        while quiet < 2 and time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND state <> 'idle'"
            )
            quiet = quiet + 1 if cursor.fetchone()[0] == 0 else 0
            time.sleep(0.1)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Browser tests sign in and create users often; the real hasher's cost is tested elsewhere."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # still reads hashes made before
    ]


@pytest.fixture
def eager_ingest(settings, tmp_path) -> Iterator[Path]:
    """The live server stores what it receives in this test's folders, and the ingest runs
    right after each request commits (no separate worker in a browser test). The tasks are
    sent by name: eager mode runs only the ones this process has imported."""
    import postdicom.local.tasks  # noqa: F401

    local_storage(settings, tmp_path)
    forget_cached_series()
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield tmp_path
    app.conf.task_always_eager = before


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(request: pytest.FixtureRequest, browser, live_server, watch: Watch) -> Iterator[object]:
    """A fresh browser tab (English, desktop size) with ``base_url`` set to the live server."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    watch.attach(tab)
    yield tab
    reports = request.node.stash.get(_phase_reports, {})
    if "call" in reports and reports["call"].failed:
        try:
            shot(tab, "failed")
        except Exception as error:  # the test's own failure is what matters
            print(f"No screenshot of the failure: {error}")
    context.close()
    if "call" in reports and reports["call"].passed:
        watch.check()
    elif watch.problems:
        print("The browser also reported:", *watch.problems, sep="\n  ")


def sign_in(page, username: str, password: str) -> None:
    """Sign in through the real form and wait until the portal lets the user in."""
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def sign_in_by_name(page, username: str, password: str) -> None:
    """``sign_in`` whatever the page's language: the fields found by their names."""
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def new_tab(browser, live_server, watch: Watch, viewport: dict[str, int], locale: str) -> tuple[Any, Any]:
    """A context of its own at ``viewport`` in ``locale``, and a watched page in it."""
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    watch.attach(tab)
    return context, tab
