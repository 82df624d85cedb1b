"""Every screen passes axe (no serious or critical problems) and fits 320 px at 200% text."""

from __future__ import annotations

import pytest

from tests.browser.harness import (
    Pages,
    describe_violations,
    horizontal_overflow,
    run_axe,
    screenshot,
)
from tests.browser.screens import SCREENS, show_screen

NARROW = {"width": 320, "height": 640}


@pytest.mark.parametrize(
    ("screen", "language"),
    [(screen, "en") for screen in SCREENS] + [("signin", "es"), ("profile", "es")],
)
def test_axe_finds_no_serious_problems(pages: Pages, screen: str, language: str) -> None:
    page = show_screen(pages, screen, language)
    violations = run_axe(page)
    assert not violations, describe_violations(violations)


@pytest.mark.parametrize("screen", SCREENS)
def test_nothing_overflows_at_320px_with_200_percent_text(pages: Pages, screen: str) -> None:
    page = show_screen(pages, screen, "es", viewport=NARROW)
    # Page zoom would widen the layout viewport; doubling the root size is what text zoom does.
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    page.wait_for_timeout(50)
    screenshot(page, f"{screen}-es-320-text-200")
    layout = horizontal_overflow(page)
    assert layout["scrollWidth"] <= layout["width"], layout
    assert not layout["wide"], layout
