"""WebKit tests: one live server per database, one Xvfb display, a fresh WebKit window per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.harness import LiveServer, live_server_on
from tests.webkit.phone import Phone, require_webkit, start_webkit, virtual_display

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def webkit_installed() -> None:
    """Skip (or fail under ENLACE_REQUIRE_WEBKIT=1) before starting a server for nothing."""
    require_webkit()


@pytest.fixture(scope="session")
def display(webkit_installed: None) -> Iterator[str]:
    with virtual_display() as name:
        yield name


@pytest.fixture(scope="session")
def webkit_server(
    webkit_installed: None, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`enlace serve` over the demo event, for the WebKit tests of one database run."""
    with live_server_on(database_url, tmp_path_factory.mktemp("webkit-live")) as server:
        yield server


@pytest.fixture
def phone(display: str, webkit_server: LiveServer) -> Iterator[Phone]:
    """A fresh WebKit window (no cookies, storage or service worker yet) at phone size."""
    driver = start_webkit(display)
    try:
        yield Phone(driver=driver, server=webkit_server)
    finally:
        driver.quit()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.webkit)
