"""WebKit tests: a live server per database, one Xvfb display, a fresh WebKit window per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.harness import LiveServer, live_server_on
from tests.webkit.phone import Desktop, Phone, require_webkit, start_webkit, virtual_desktop

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def webkit_installed() -> None:
    """Skip (or fail under ENLACE_REQUIRE_WEBKIT=1) before starting a server for nothing."""
    require_webkit()


@pytest.fixture(scope="session")
def desktop(webkit_installed: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    with virtual_desktop(tmp_path_factory.mktemp("webkit-config")) as started:
        yield started


@pytest.fixture(scope="session")
def webkit_server(
    webkit_installed: None, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`enlace serve` over the demo event, for the WebKit tests of one database run."""
    with live_server_on(database_url, tmp_path_factory.mktemp("webkit-live")) as server:
        yield server


@pytest.fixture
def phone(desktop: Desktop, webkit_server: LiveServer) -> Iterator[Phone]:
    """A fresh WebKit window (no cookies, storage or service worker yet) at phone size."""
    driver = start_webkit(desktop)
    try:
        yield Phone(driver=driver, server=webkit_server)
    finally:
        driver.quit()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.webkit)
