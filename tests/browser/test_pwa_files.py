"""The PWA's static files keep their promises: catalogs agree, shell cached, no inline code."""

from __future__ import annotations

import json
import re
from pathlib import Path

from PIL import Image

from api.app import VENDOR_FILES
from tests.browser.shell_version import current_version, expected_version

PWA = Path(__file__).resolve().parents[2] / "pwa"
CATALOG_KEY = re.compile(
    r"""["'`]((?:app|update|language|signout|signin|home|role|field|terms|profile|event|form|"""
    r"""import|importfield|importcode|notfound|failure|error|hint|badge|connect|connections|sync|outcome|print|scan|"""
    r"""dashboard|attendance_export|checkin|poster|posters|staff|followups|setup|invitations|"""
    r"""attendees)"""
    r"""\.[a-z0-9_.]+)["'`]"""
)


def catalog(language: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((PWA / "i18n" / f"{language}.json").read_text("utf-8"))
    return data


def test_both_catalogs_have_the_same_keys() -> None:
    spanish, english = set(catalog("es")), set(catalog("en"))
    assert spanish - english == set(), "only in es.json"
    assert english - spanish == set(), "only in en.json"


def test_both_catalogs_use_the_same_placeholders() -> None:
    spanish, english = catalog("es"), catalog("en")
    for key, text in english.items():
        assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", spanish[key])), key


def test_every_key_the_code_names_is_in_the_catalogs() -> None:
    known = set(catalog("en"))
    sources = [*PWA.glob("js/**/*.js"), PWA / "index.html"]
    named = {key for path in sources for key in CATALOG_KEY.findall(path.read_text("utf-8"))}
    named |= set(re.findall(r'data-i18n="([^"]+)"', (PWA / "index.html").read_text("utf-8")))
    # Keys built at run time from a prefix and a code or field name are checked by has().
    assert named - known == set()


def test_the_service_worker_precaches_every_shell_file() -> None:
    source = (PWA / "sw.js").read_text("utf-8")
    listed = set(re.findall(r'"(/[^"]*)"', source.split("const SHELL = [", 1)[1].split("];")[0]))
    files = {
        "/" + str(path.relative_to(PWA))
        for path in PWA.rglob("*")
        if path.is_file()
        and path.suffix in {".html", ".css", ".js", ".json", ".png", ".webmanifest"}
        and path.name != "sw.js"
    }
    vendor = {f"/vendor/{name}" for name in VENDOR_FILES}  # from node_modules, for offline use
    assert (files | vendor) - listed == set(), "missing from SHELL in sw.js"
    assert listed - files - vendor - {"/"} == set(), "listed in SHELL but not in pwa/"
    assert re.search(r'const VERSION = "[^"]+"', source)
    assert "skipWaiting()" in source.split('addEventListener("message"', 1)[1]
    assert source.count("skipWaiting()") == 1, "skipWaiting only when the page asks"


def test_the_stylesheet_closes_every_block_it_opens() -> None:
    """An unclosed block swallows every rule after it (browsers read them as nested)."""
    for sheet in (PWA / "css").glob("*.css"):
        text = re.sub(r"/\*.*?\*/", "", sheet.read_text("utf-8"), flags=re.DOTALL)
        depth = 0
        for number, line in enumerate(text.splitlines(), 1):
            depth += line.count("{") - line.count("}")
            assert depth >= 0, f"{sheet.name}:{number} closes a block never opened"
            if re.match(r"^[.#a-z@:*\[]", line):
                assert depth <= 1, f"{sheet.name}:{number} starts a rule inside an unclosed block"
        assert depth == 0, f"{sheet.name} leaves {depth} block(s) open"


def test_the_manifest_names_icons_that_exist_with_their_sizes() -> None:
    manifest = json.loads((PWA / "app.webmanifest").read_text("utf-8"))
    assert (manifest["name"], manifest["short_name"]) == ("Enlace", "Enlace")
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/",
        "/",
        "standalone",
    )
    purposes = set()
    for icon in manifest["icons"]:
        width, height = (int(n) for n in icon["sizes"].split("x"))
        with Image.open(PWA / icon["src"].lstrip("/")) as image:
            assert image.size == (width, height), icon["src"]
        purposes.add((width, icon["purpose"]))
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= purposes


def test_the_page_has_no_inline_script_or_style() -> None:
    html = (PWA / "index.html").read_text("utf-8")
    assert re.findall(r"<script\b[^>]*>", html) == ['<script type="module" src="/js/app.js">']
    assert "<style" not in html
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)
    for path in PWA.glob("js/**/*.js"):
        source = path.read_text("utf-8")
        assert not re.search(
            r"\.innerHTML\s*=|setAttribute\(\s*[\"']style|insertAdjacentHTML", source
        ), path


def test_every_script_starts_with_a_line_saying_what_it_owns() -> None:
    for path in [*PWA.glob("js/**/*.js"), PWA / "sw.js"]:
        first = path.read_text("utf-8").splitlines()[0]
        assert first.startswith("// ") and len(first) > 20, path


def test_the_service_worker_version_is_the_hash_of_the_shell() -> None:
    assert current_version() == expected_version(), (
        "pwa/ changed but sw.js VERSION did not: run `make pwa-version`"
    )
