"""Browser tests: one live server per database, one Chromium per database run, UI sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.harness import POOL, LiveServer, Pages, live_server_on, require_chromium

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def live_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with live_server_on(database_url, tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture(scope="session")
def chromium_installed() -> None:
    """Skip (or fail under ENLACE_REQUIRE_BROWSER=1) before starting a server for nothing."""
    require_chromium()


@pytest.fixture
def browser(chromium_installed: None, live_server: LiveServer) -> Browser:
    """The shared Chromium (after the live server: starting that needs this thread's loop)."""
    return POOL.get()


@pytest.fixture
def pages(browser: Browser, live_server: LiveServer) -> Iterator[Pages]:
    """Opens pages on the live server; fails the test on a script error or a CSP refusal."""
    opened = Pages(browser=browser, server=live_server)
    try:
        yield opened
    finally:
        opened.close()
    assert not opened.problems, "\n".join(opened.problems)


def _in_this_folder(item: pytest.Item | None) -> bool:
    return item is not None and HERE in Path(str(item.path)).parents


def _database_of(item: pytest.Item | None) -> object:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("database_url") if callspec else None


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if not _in_this_folder(nextitem) or _database_of(nextitem) != _database_of(item):
        POOL.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _in_this_folder(item) and "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
