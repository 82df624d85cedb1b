"""Every error the API can answer is worded in both languages of the app: a code it raises has a
catalog entry (or a badge outcome's reason), and a field-only bad input has a hint for that
field. Otherwise a Spanish screen shows the server's English detail."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

import api.app  # noqa: F401  (every domain's errors defined)
from api.badges.outcome import BADGE_OUTCOMES
from api.errors import DomainError

API = Path("api")


def family(cls: type[DomainError]) -> list[type[DomainError]]:
    return [cls, *(sub for direct in cls.__subclasses__() for sub in family(direct))]


FAMILY = {cls.__name__: cls for cls in family(DomainError)}
# Inputs only a hand-written request can send (a NUL character, an id beyond 32 bits): the
# generic "check this value" with the detail is enough there.
PROBES_ONLY = {Path("api/input.py")}


@dataclass(frozen=True)
class Raised:
    where: str
    cls: str
    code: str | None  # None: not a literal (checked another way)
    field: str | None


def catalog(language: str) -> dict[str, str]:
    found: dict[str, str] = json.loads(Path(f"pwa/i18n/{language}.json").read_text("utf-8"))
    return found


def raised_errors() -> list[Raised]:
    errors = []
    for path in sorted(API.rglob("*.py")):
        if path in PROBES_ONLY:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in FAMILY:
                continue
            given = {k.arg: k.value for k in node.keywords}
            code: str | None = FAMILY[name].code
            if "code" in given:
                value = given["code"]
                code = value.value if isinstance(value, ast.Constant) else None
            field = given.get("field")
            errors.append(
                Raised(
                    f"{path}:{node.lineno}",
                    name,
                    code,
                    field.value if isinstance(field, ast.Constant) else None,
                )
            )
    return errors


def other_codes() -> list[Raised]:
    """Codes answered outside DomainError: whole-file import problems, `error_body(...)`, the
    HTTP errors' table and its fallbacks, and bodies written by hand (`{"code": ...}`)."""
    from api.app import HTTP_CODES

    found = [Raised("api/app.py HTTP_CODES", "HTTP", code, None) for code in HTTP_CODES.values()]
    fallbacks = ("bad_request", "error")
    found += [Raised("api/app.py fallback", "HTTP", code, None) for code in fallbacks]
    for path in sorted(API.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            where = f"{path}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                first = node.args[0] if node.args else None
                if name in ("ImportProblem", "error_body") and isinstance(first, ast.Constant):
                    found.append(Raised(where, name, first.value, None))
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "code"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        found.append(Raised(where, "body", value.value, None))
    return found


def test_the_scan_finds_the_errors_it_is_about() -> None:
    codes = {error.code for error in raised_errors()}
    assert {"nonexistent_local_time", "day_outside_event", "last_organizer"} <= codes
    assert len(codes) > 30
    others = {error.code for error in other_codes()}
    assert {"missing_column", "invalid_host", "method_not_allowed", "internal_error"} <= others


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_error_code_has_words_in_each_language(language: str) -> None:
    words = catalog(language)
    missing = [
        f"{error.where} {error.code}"
        for error in raised_errors() + other_codes()
        if error.code not in (None, "invalid_input")
        and f"error.{error.code}" not in words
        and f"outcome.{error.code}.reason" not in words
    ]
    assert not missing, missing


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_bad_value_names_its_field_and_the_field_has_a_hint(language: str) -> None:
    words = catalog(language)
    missing = [
        f"{error.where} {error.field}"
        for error in raised_errors()
        if error.code == "invalid_input"
        and (error.field is None or f"hint.{error.field}" not in words)
    ]
    assert not missing, missing


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_badge_outcome_has_its_reason(language: str) -> None:
    words = catalog(language)
    assert [o for o in BADGE_OUTCOMES if f"outcome.{o}.reason" not in words] == []


def test_nothing_is_left_with_the_generic_code_but_a_field() -> None:
    # "Some of the information is not valid" helps nobody: a plain Invalid says which field.
    vague = [e.where for e in raised_errors() if e.code in ("invalid", "error") and e.field is None]
    assert not vague, vague
