"""Read attendee lists exported from ticketing tools (CSV or XLSX) into checked, normalized records.

Pure functions: bytes and options in, data out; no database, no HTTP. A problem with the whole
file raises ImportProblem and nothing is imported; a problem with one row becomes a RowError and
the other rows still parse.

Every cell goes through api.attendees.fields.clean_text, the same cleaning a profile edit gets.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

import charset_normalizer
import msgspec
import openpyxl
from email_validator import EmailNotValidError, validate_email

from api.attendees.fields import LIST_FIELDS, clean_text

FIELDS = (
    "email",
    "name",
    "first_name",
    "last_name",
    "organization",
    "role",
    "phone",
    "language",
    "ticket_type",
    "ticket_ref",
    "interests",
    "looking_for",
    "can_help_with",
    "links",
    "bio",
)

# Longest value kept per field, in characters after cleaning.
MAX_LENGTHS = {
    "email": 320,
    "name": 200,
    "organization": 200,
    "role": 200,
    "phone": 50,
    "ticket_type": 120,
    "ticket_ref": 120,
    "bio": 2000,
}
MAX_LIST_ITEM_CHARS = 120
MAX_LIST_ITEMS = 30
# A cell this long is not data but a broken file, usually a quote that never closes and swallows
# the rest. It is the csv module's default limit, which is left alone: csv.field_size_limit is
# process-wide, so changing it per import would race with other threads.
GIANT_CELL_CHARS = 131_072
# Unpacked size of all parts of an XLSX; refusing bigger ones keeps a zip bomb out of openpyxl.
MAX_XLSX_UNPACKED_BYTES = 512_000_000


class ImportProblem(Exception):
    """The whole file cannot be read, so nothing from it is imported."""

    def __init__(self, code: str, detail: str, status: int = 422, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status
        self.extra = extra  # in the error's body, for the screen (the columns found, say)


class AttendeeRecord(msgspec.Struct):
    row: int
    email: str
    name: str
    organization: str = ""
    role: str = ""
    phone: str = ""
    language: str = ""
    ticket_type: str = ""
    ticket_ref: str = ""
    interests: list[str] = msgspec.field(default_factory=list)
    looking_for: list[str] = msgspec.field(default_factory=list)
    can_help_with: list[str] = msgspec.field(default_factory=list)
    links: list[str] = msgspec.field(default_factory=list)
    bio: str = ""


class RowError(msgspec.Struct):
    row: int
    column: str
    code: str
    detail: str


class RowWarning(msgspec.Struct):
    row: int
    column: str
    code: str
    detail: str


class ColumnMapping(msgspec.Struct):
    header: str
    field: str | None


class ParsedImport(msgspec.Struct):
    format: str
    encoding: str | None
    delimiter: str | None
    columns: list[ColumnMapping]
    records: list[AttendeeRecord]
    errors: list[RowError]
    warnings: list[RowWarning]
    total_rows: int
    # The file was not UTF-8 and `encoding` is the one found for it (see _detected_encoding).
    encoding_detected: bool = False


# --- Text ---------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Casefold and drop accents, so 'Teléfono' and 'TELEFONO' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _shown(value: str) -> str:
    """A value short enough to quote in a message."""
    return value if len(value) <= 80 else value[:77] + "…"


# --- E-mail -------------------------------------------------------------------------------------

# email_validator costs about 24 µs per address here, too slow to run on every row of a big file.
# This accepts only ordinary addresses (ASCII dot-atom local part, hostname labels without "--",
# a letter TLD), all of which email_validator accepts with the same normalized form; anything
# else still goes through email_validator.
_PLAIN_EMAIL = re.compile(
    r"(?=[^@]{1,64}@)[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*"
    r"@(?:(?=[a-z0-9-]{1,63}\.)[a-z0-9]+(?:-[a-z0-9]+)*\.)+[a-z]{2,63}"
)
# Special-use names email_validator refuses; the fast path must not let them through.
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def _checked_email(lowered: str) -> tuple[str, str | None]:
    """The normalized address and, when it is not valid, the reason."""
    if (
        len(lowered) <= 254
        and _PLAIN_EMAIL.fullmatch(lowered)
        and lowered.rpartition(".")[2] not in _SPECIAL_USE_TLDS
    ):
        return lowered, None
    try:
        checked = validate_email(lowered, check_deliverability=False)
    except EmailNotValidError as exc:
        return lowered, str(exc)
    return checked.normalized.lower(), None


def normalize_email(value: str) -> str:
    """The form an e-mail is stored and matched in; invalid input comes back cleaned, lowercased."""
    return _checked_email(clean_text(value)[0].lower())[0]


# --- Column mapping -----------------------------------------------------------------------------

# Header spellings per field (written naturally, normalized when the table is built). When several
# columns could fill one field the higher priority wins, then the leftmost: attendee e-mail over
# order e-mail, cell phone over work phone, attendee number over order number.
_ALIAS_SPELLINGS: tuple[tuple[str, int, str], ...] = (
    (
        "email",
        1,
        "email | email address | mail | mail address | contact email | correo | "
        "correo electrónico | correo-e | dirección de correo | dirección de correo electrónico | "
        "dirección de email | email de contacto | correo de contacto",
    ),
    (
        "name",
        2,
        "full name | fullname | display name | nombre completo | nombre y apellido | "
        "nombre y apellidos | nombres y apellidos",
    ),
    ("name", 1, "name | nombre | nom"),
    (
        "first_name",
        1,
        "first name | firstname | given name | given names | forename | name given name | "
        "nombres | nombre de pila | primer nombre",
    ),
    (
        "last_name",
        1,
        "last name | lastname | surname | surnames | family name | name family name | "
        "apellido | apellidos | primer apellido",
    ),
    (
        "organization",
        1,
        "organization | organisation | organization name | company | company name | employer | "
        "institution | affiliation | university | empresa | nombre de la empresa | organización | "
        "institución | afiliación | entidad | universidad",
    ),
    (
        "role",
        2,
        "role | job title | job | position | job position | occupation | cargo | puesto | "
        "puesto de trabajo | rol | ocupación | profesión",
    ),
    # Indico's "Title" is an honorific and loses to "Position"; alone it is most likely a job.
    ("role", 0, "title"),
    (
        "phone",
        2,
        "phone | phone number | telephone | mobile | mobile phone | mobile number | cell | "
        "cell phone | cellphone | contact phone | teléfono | número de teléfono | "
        "teléfono de contacto | móvil | teléfono móvil | celular | whatsapp",
    ),
    ("phone", 1, "work phone | teléfono del trabajo"),
    ("phone", 0, "home phone | teléfono fijo"),
    ("language", 1, "language | preferred language | lang | idioma | idioma preferido | lengua"),
    (
        "ticket_type",
        1,
        "ticket type | ticket | ticket name | ticket category | ticket class | product | "
        "product name | registration type | attendee type | tipo de entrada | entrada | "
        "tipo de boleto | boleto | tipo de ticket | tipo de inscripción | inscripción | "
        "tipo de registro | categoría",
    ),
    (
        "ticket_ref",
        3,
        "attendee number | attendee id | public id | ticket number | ticket code | ticket ref | "
        "ticket reference | barcode | "
        "barcode number | número de entrada | código de entrada | localizador",
    ),
    (
        "ticket_ref",
        1,
        "order code | order number | order id | order reference | booking reference | "
        "reference | ref | ticket id | número de pedido | código de pedido | referencia",
    ),
    (
        "interests",
        1,
        "interests | interest | topics | topics of interest | areas of interest | tags | "
        "intereses | interés | temas | temas de interés | áreas de interés | etiquetas",
    ),
    (
        "looking_for",
        1,
        "looking for | i am looking for | i'm looking for | what are you looking for | seeking | "
        "needs | busco | qué busco | lo que busco | estoy buscando | necesito | qué necesito",
    ),
    (
        "can_help_with",
        1,
        "can help with | i can help with | how can you help | offers | offering | i can offer | "
        "puedo ayudar con | puedo ayudar en | en qué puedo ayudar | ofrezco | qué ofrezco",
    ),
    ("links", 2, "links | link | urls | url | enlaces | enlace"),
    (
        "links",
        1,
        "website | web | web site | homepage | portfolio | linkedin | linkedin url | "
        "linkedin profile | sitio web | página web | perfil de linkedin",
    ),
    (
        "bio",
        1,
        "bio | biography | short bio | about | about me | about you | description | sobre mí | "
        "acerca de mí | biografía | descripción | presentación",
    ),
)
# "Name" or "Nombre" next to a surname column holds the first name.
_AMBIGUOUS_NAME_SPELLINGS = ("name", "nombre", "nom")
# Words that say a column is about the attendee rather than the order or the buyer.
_ATTENDEE_WORDS = (
    "attendee",
    "participant",
    "registrant",
    "delegate",
    "ticket holder",
    "holder",
    "asistente",
    "participante",
    "inscrito",
)
_POSSESSIVE_WORDS = ("your", "my", "tu", "su", "mi")

_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_E_MAIL = re.compile(r"\be[\s._-]+mail\b")
_NOT_WORD = re.compile(r"[\W_]+")


def _header_key(header: str) -> str:
    """A header reduced to plain words: 'E-mail (required)' and 'EMAIL' both give 'email'."""
    folded = _fold(header)
    # Notes in brackets ("(optional)", "(mobile)") say nothing about which field it is.
    without_notes = _PARENTHESES.sub(" ", folded)
    if without_notes.strip():
        folded = without_notes
    folded = _E_MAIL.sub("email", folded.replace("#", " number "))
    return " ".join(_NOT_WORD.sub(" ", folded).split())


_ALIASES: dict[str, tuple[str, int]] = {
    _header_key(spelling): (field, priority)
    for field, priority, spellings in _ALIAS_SPELLINGS
    for spelling in spellings.split("|")
}
_AMBIGUOUS_NAME_KEYS = frozenset(_header_key(s) for s in _AMBIGUOUS_NAME_SPELLINGS)


def _without_attendee_words(key: str) -> str | None:
    """'attendee email' or 'correo del asistente' without the attendee part, if it has one."""
    for word in _ATTENDEE_WORDS:
        if key.startswith(word + " "):
            return key[len(word) + 1 :]
        if key.endswith(" " + word):
            rest = key[: -len(word) - 1]
            for joiner in (" del", " de la", " de"):
                if rest.endswith(joiner):
                    return rest[: -len(joiner)]
            return rest
    return None


def _auto_field(header: str) -> tuple[str, int, bool] | None:
    """The field a header names, its priority, and whether it is a bare, ambiguous 'name'."""
    key = _header_key(header)
    candidates = [(key, 0)]
    attendee_key = _without_attendee_words(key)
    if attendee_key:
        candidates.append((attendee_key, 1))
    first_word, _, rest = key.partition(" ")
    if first_word in _POSSESSIVE_WORDS and rest:
        candidates.append((rest, 0))
    for candidate, bonus in candidates:
        if candidate in _ALIASES:
            field, priority = _ALIASES[candidate]
            return field, priority + bonus, candidate in _AMBIGUOUS_NAME_KEYS
    return None


def _quoted_list(headers: list[str]) -> str:
    return ", ".join(f"'{_shown(h)}'" for h in headers if h) or "none"


def map_columns(headers: list[str], overrides: dict[str, str] | None = None) -> list[ColumnMapping]:
    """Decide which field each column fills; overrides (header -> field, "" ignores) come first."""
    headers = [header.strip() for header in headers]
    fields: list[str | None] = [None] * len(headers)
    taken: dict[str, int] = {}
    fixed: set[int] = set()
    first_index: dict[str, int] = {}
    for index, header in enumerate(headers):
        first_index.setdefault(header, index)
    for header, wanted in (overrides or {}).items():
        field = wanted.strip()
        if field and field not in FIELDS:
            raise ImportProblem(
                "bad_mapping",
                f"The mapping sends column '{_shown(header)}' to '{_shown(field)}', which is not a "
                f"field. Use one of: {', '.join(FIELDS)}, or an empty value to ignore the column.",
            )
        key = _header_key(header)
        found = first_index.get(header.strip())
        if found is None:
            found = next((i for i, h in enumerate(headers) if _header_key(h) == key), None)
        if found is None:
            raise ImportProblem(
                "bad_mapping",
                f"The mapping names a column '{_shown(header)}' that the file does not have. "
                f"Headers found: {_quoted_list(headers)}.",
            )
        index = found
        fixed.add(index)
        if field:
            if field in taken:
                raise ImportProblem(
                    "bad_mapping",
                    f"The mapping sends both '{headers[taken[field]]}' and '{headers[index]}' to "
                    f"{field}; each field can come from one column only.",
                )
            taken[field] = index
            fields[index] = field

    candidates: list[tuple[int, int, str]] = []
    ambiguous: list[int] = []
    for index, header in enumerate(headers):
        # A repeated header (pretix lists "Company" twice) is a different thing the second time.
        if index in fixed or first_index[header] != index:
            continue
        match = _auto_field(header)
        if match:
            field, priority, is_ambiguous = match
            candidates.append((-priority, index, field))
            if is_ambiguous:
                ambiguous.append(index)
    for _, index, field in sorted(candidates):
        if field not in taken:
            taken[field] = index
            fields[index] = field

    if "last_name" in taken and "first_name" not in taken:
        for index in ambiguous:
            if fields[index] in ("name", None):
                if fields[index] == "name":
                    del taken["name"]
                fields[index] = "first_name"
                break
    return [ColumnMapping(header=h, field=f) for h, f in zip(headers, fields, strict=True)]


def _require_columns(columns: list[ColumnMapping]) -> None:
    mapped = {column.field for column in columns if column.field}
    missing, wanted = [], []
    if "email" not in mapped:
        missing.append("an e-mail column (such as 'Email', 'E-mail' or 'Correo electrónico')")
        wanted.append("email")
    if not mapped & {"name", "first_name", "last_name"}:
        missing.append("a name column (such as 'Name', 'First name' and 'Last name', or 'Nombre')")
        wanted.append("name")
    if missing:
        raise ImportProblem(
            "missing_column",
            f"The file needs {' and '.join(missing)}. Headers found: "
            f"{_quoted_list([c.header for c in columns])}. Rename the column in the file, or "
            "choose it in the column mapping.",
            # What the import screen's column chooser starts from.
            columns=[{"header": c.header, "field": c.field} for c in columns],
            missing=wanted,
        )


# --- Rows ---------------------------------------------------------------------------------------

_LANGUAGE_WORDS = {
    "es": "es",
    "spa": "es",
    "esp": "es",
    "spanish": "es",
    "espanol": "es",
    "castellano": "es",
    "espagnol": "es",
    "spanisch": "es",
    "en": "en",
    "eng": "en",
    "english": "en",
    "ingles": "en",
    "anglais": "en",
    "englisch": "en",
}
_NO_LANGUAGE_PREFERENCE = frozenset(
    {"both", "any", "bilingual", "ambos", "cualquiera", "indistinto", "bilingue"}
)
# Chinese, Japanese and Korean names are written family name first, without a space (王小明,
# 山田太郎, 김민준). Katakana alone is how Japanese writes foreign names, in their own order.
_CJK_NAME = re.compile(
    r"[\u3005\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    r"\uf900-\ufaff\U00020000-\U0003134f]+"
)
_FAMILY_FIRST = re.compile(
    r"[\u3005\u3040-\u309f\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    r"\uf900-\ufaff\U00020000-\U0003134f]"
)


def full_name(first: str, last: str) -> str:
    """A whole name from its given and family parts, in the order its script writes it."""
    if (
        first
        and last
        and _CJK_NAME.fullmatch(first)
        and _CJK_NAME.fullmatch(last)
        and _FAMILY_FIRST.search(first + last)
    ):
        return f"{last}{first}"
    return f"{first} {last}".strip()


_WORDS = re.compile(r"[a-z]+")
_LIST_SEPARATORS = re.compile(r"[;|,\n]")
_LINK_SEPARATORS = re.compile(r"[;|,\s]")
# What a spreadsheet could run as a formula: "=" or "@", or "+"/"-" before something that is not
# a digit, space, "(" or "." (so "+34 600 000 000" and "-12.5" stay quiet). List cells are checked
# item by item, since exports may write each item to its own cell.
_FORMULA_LIKE = re.compile(r"[=@]|[+-][^\d\s(.]")
_FORMULA_LIKE_ITEM = re.compile(r"(?:^|[;|,\n])\s*(?:[=@]|[+-][^\d\s(.])")
_FORMULA_LIKE_LINK = re.compile(r"(?:^|[;|,\s])(?:[=@]|[+-][^\d\s(.])")


def _language_code(value: str) -> str | None:
    """'es', 'en' or '' (no preference) for a language as people write it; None if unknown."""
    words = _WORDS.findall(_fold(value))
    if not words or words[0] in _NO_LANGUAGE_PREFERENCE:
        return ""
    return _LANGUAGE_WORDS.get(words[0])


def _split_list(text: str, *, is_links: bool) -> list[str]:
    separators = _LINK_SEPARATORS if is_links else _LIST_SEPARATORS
    items: list[str] = []
    seen: set[str] = set()
    for part in separators.split(text):
        item = " ".join(part.split())
        folded = item.casefold()
        if item and folded not in seen:
            seen.add(folded)
            items.append(item)
    return items


def _is_blank(cells: list[str]) -> bool:
    return not cells or (not cells[0].strip() and not "".join(cells).strip())


# How a mapped column's text is cleaned and kept.
_PLAIN, _MULTILINE, _LIST, _LINKS = range(4)
_SCALAR_LIMITED = ("name", "organization", "role", "phone", "ticket_type", "ticket_ref", "bio")


class _Layout(msgspec.Struct, frozen=True):
    """What the header says about every row: which cells to read and how to check them."""

    cells: list[tuple[int, str, str, int]]  # column index, field, header, kind
    header_of: dict[str, str]
    name_header: str
    length_checks: list[tuple[str, int, str]]  # field, limit, header
    list_fields: list[str]
    item_limit: int


def _layout(columns: list[ColumnMapping], max_field_chars: int) -> _Layout:
    header_of = {c.field: c.header for c in columns if c.field}
    name_header = header_of.get("name") or header_of.get("first_name") or header_of["last_name"]
    cells = []
    for index, column in enumerate(columns):
        if column.field:
            kind = _PLAIN
            if column.field == "bio":
                kind = _MULTILINE
            elif column.field == "links":
                kind = _LINKS
            elif column.field in LIST_FIELDS:
                kind = _LIST
            cells.append((index, column.field, column.header, kind))
    return _Layout(
        cells=cells,
        header_of=header_of,
        name_header=name_header,
        # "name" is checked even unmapped: it may be built from first and last name.
        length_checks=[
            (field, min(MAX_LENGTHS[field], max_field_chars), header_of.get(field) or name_header)
            for field in _SCALAR_LIMITED
            if field in header_of or field == "name"
        ],
        list_fields=[field for field in LIST_FIELDS if field in header_of],
        item_limit=min(MAX_LIST_ITEM_CHARS, max_field_chars),
    )


def _read_cells(
    row: int, cells: list[str], layout: _Layout, row_warnings: list[RowWarning]
) -> dict[str, Any]:
    """The row's cleaned values by field (lists already split), warning about odd cells."""
    values: dict[str, Any] = {}
    width = len(cells)
    for index, field, header, kind in layout.cells:
        if index >= width or not cells[index]:
            continue
        raw = cells[index]
        if len(raw) > GIANT_CELL_CHARS:
            raise _giant_cell(row, header)
        text, stripped = clean_text(raw, keep_newlines=kind != _PLAIN)
        if stripped:
            row_warnings.append(
                RowWarning(
                    row,
                    header,
                    "stripped_controls",
                    f"Row {row}: invisible or control characters were removed from '{header}'.",
                )
            )
        if not text:
            continue
        if kind == _LIST:
            values[field] = _split_list(text, is_links=False)
            formula_like = _FORMULA_LIKE_ITEM.search(text) is not None
        elif kind == _LINKS:
            values[field] = _split_list(text, is_links=True)
            formula_like = _FORMULA_LIKE_LINK.search(text) is not None
        else:
            values[field] = text
            formula_like = text[0] in "=@+-" and _FORMULA_LIKE.match(text) is not None
        if formula_like:
            row_warnings.append(
                RowWarning(
                    row,
                    header,
                    "formula_like",
                    f"Row {row}: '{header}' starts like a spreadsheet formula "
                    f"('{_shown(text)}'). It is kept as text; exports neutralize it.",
                )
            )
    return values


def _check_values(
    row: int, values: dict[str, Any], layout: _Layout, languages: dict[str, str | None]
) -> list[RowError]:
    """Normalize the row's values in place (email, name, language) and list what is wrong."""
    problems: list[RowError] = []
    email_header = layout.header_of["email"]
    email = values.get("email", "")
    if not email:
        problems.append(
            RowError(
                row,
                email_header,
                "missing_email",
                f"Row {row}: the e-mail ('{email_header}') is empty; every attendee needs one.",
            )
        )
    elif len(email) > MAX_LENGTHS["email"]:
        problems.append(_too_long(row, email_header, len(email), MAX_LENGTHS["email"]))
    else:
        values["email"], reason = _checked_email(email.lower())
        if reason:
            problems.append(
                RowError(
                    row,
                    email_header,
                    "invalid_email",
                    f"Row {row}: e-mail '{_shown(email)}' is not valid: {reason}",
                )
            )

    first = values.pop("first_name", "")
    last = values.pop("last_name", "")
    if not values.get("name"):
        values["name"] = full_name(first, last)
    if not values["name"]:
        problems.append(
            RowError(
                row,
                layout.name_header,
                "missing_name",
                f"Row {row}: the name ('{layout.name_header}') is empty; every attendee needs one.",
            )
        )
    for field, limit, header in layout.length_checks:
        length = len(values.get(field, ""))
        if length > limit:
            problems.append(_too_long(row, header, length, limit))

    language = values.get("language")
    if language is not None:
        if language not in languages:
            languages[language] = _language_code(language)
        code = languages[language]
        if code is None:
            problems.append(
                RowError(
                    row,
                    layout.header_of["language"],
                    "invalid_language",
                    f"Row {row}: language '{_shown(language)}' is not offered; write Spanish "
                    "(es) or English (en), or leave it empty.",
                )
            )
        else:
            values["language"] = code

    for field in layout.list_fields:
        if field not in values:
            continue
        items = values[field]
        header = layout.header_of[field]
        if len(items) > MAX_LIST_ITEMS:
            problems.append(
                RowError(
                    row,
                    header,
                    "too_long",
                    f"Row {row}: '{header}' has {len(items)} items; the limit is {MAX_LIST_ITEMS}.",
                )
            )
        longest = max(map(len, items))
        if longest > layout.item_limit:
            problems.append(
                RowError(
                    row,
                    header,
                    "too_long",
                    f"Row {row}: an item in '{header}' has {longest} characters; each item may "
                    f"have at most {layout.item_limit}. Separate items with ';'.",
                )
            )
    return problems


def _parse_rows(
    rows: Iterator[tuple[int, list[str]]],
    *,
    file_format: str,
    encoding: str | None,
    delimiter: str | None,
    mapping: dict[str, str] | None,
    max_rows: int,
    max_field_chars: int,
) -> ParsedImport:
    """Find the header, map the columns, then check every row."""
    header_cells = next((cells for _, cells in rows if not _is_blank(cells)), None)
    if header_cells is None:
        raise ImportProblem("empty_file", "The file has no rows. Export the attendee list again.")
    headers = [clean_text(cell)[0] for cell in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    columns = map_columns(headers, mapping)
    _require_columns(columns)
    layout = _layout(columns, max_field_chars)

    records: list[AttendeeRecord] = []
    errors: list[RowError] = []
    row_warnings: list[RowWarning] = []
    first_row_of: dict[str, int] = {}
    languages: dict[str, str | None] = {}  # people write the same few values over and over
    total = blank = 0
    for row, cells in rows:
        if _is_blank(cells):
            # Bounded like attendee rows: a file of millions of empty lines kept a worker busy
            # for 18 s reading nothing.
            blank += 1
            if blank > max_rows:
                raise ImportProblem(
                    "too_many_rows",
                    f"The file has more than {max_rows:,} empty rows. Remove them (or export "
                    "the attendee list again) and import the file once more.",
                    status=413,
                )
            continue
        total += 1
        if total > max_rows:
            raise ImportProblem(
                "too_many_rows",
                f"The file has more than {max_rows:,} attendee rows, the most one import takes. "
                "Split it into smaller files and import them one after another.",
                status=413,
            )
        values = _read_cells(row, cells, layout, row_warnings)
        problems = _check_values(row, values, layout, languages)
        email = values.get("email", "")
        # Only a row that became a record claims its address, so fixing an earlier broken
        # duplicate never silently drops this one.
        if not problems and email in first_row_of:
            problems.append(
                RowError(
                    row,
                    layout.header_of["email"],
                    "duplicate_email",
                    f"Row {row}: e-mail '{_shown(email)}' is already on row "
                    f"{first_row_of[email]}; each attendee can appear only once.",
                )
            )
        if problems:
            errors.extend(problems)
            continue
        first_row_of[email] = row
        records.append(AttendeeRecord(row=row, **values))

    return ParsedImport(
        format=file_format,
        encoding=encoding,
        delimiter=delimiter,
        columns=columns,
        records=records,
        errors=errors,
        warnings=row_warnings,
        total_rows=total,
    )


def _too_long(row: int, header: str, length: int, limit: int) -> RowError:
    return RowError(
        row,
        header,
        "too_long",
        f"Row {row}: '{header}' has {length} characters; the limit is {limit}. Shorten it.",
    )


def _giant_cell(row: int, header: str) -> ImportProblem:
    where = f", column '{_shown(header)}'," if header else ""
    return ImportProblem(
        "field_too_large",
        f"Row {row}{where} has a cell longer than {GIANT_CELL_CHARS:,} characters, so the file "
        'is probably damaged: often a quote (") opens and never closes. Check that row, or save '
        "the file again from the spreadsheet.",
    )


# --- CSV ----------------------------------------------------------------------------------------

_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_SNIFF_CHARS = 65_536
# Excel writes and honours a first line "sep=;" naming the delimiter; it is not a row.
_SEPARATOR_HINT = re.compile(r"sep=(.)\r?\n")


def _decode(data: bytes, encoding: str | None) -> tuple[str, str, bool]:
    """The text of a CSV file, the name of the encoding used, and whether it was detected."""
    if encoding:
        try:
            codec = codecs.lookup(encoding.strip()).name
        except LookupError:
            raise _unknown_encoding(encoding) from None
        if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export.
        codec = "utf-16"
    elif b"\x00" in data[:4096]:
        raise ImportProblem(
            "not_a_spreadsheet",
            "This file is not a spreadsheet (it contains binary data). Upload the attendee list "
            "as XLSX or CSV.",
        )
    elif data.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"
    else:
        codec = "utf-8"
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        detected = None if encoding else _detected_encoding(data)
        if detected is not None:
            return detected[0], detected[1], True
        line = data.count(b"\n", 0, exc.start) + 1
        if codec.startswith("utf"):
            advice = (
                "If it was saved from Excel on Windows, choose the encoding cp1252 "
                "(Windows/Excel); otherwise try latin-1"
            )
        else:
            advice = "Try utf-8 or latin-1 instead"
        raise ImportProblem(
            "unreadable_encoding",
            f"The file is not valid {codec} text: byte 0x{data[exc.start]:02X} at offset "
            f"{exc.start} (line {line}) cannot be read. {advice}, or save the file again as "
            "'CSV UTF-8'.",
        ) from None
    except (LookupError, UnicodeError):
        # codecs.lookup also knows codecs that cannot decode text: bytes-to-bytes ones such as
        # "base64" (LookupError), and "undefined", which refuses everything (UnicodeError).
        raise _unknown_encoding(encoding or codec) from None
    return text.removeprefix("\ufeff"), codec, False


# What the detector reads (it is slow on large files; a ticketing export's first 256 KB holds
# plenty of names with accents).
DETECT_BYTES = 256_000


def _detected_encoding(data: bytes) -> tuple[str, str] | None:
    """A file that is not UTF-8 (an older Excel's CSV, say), read in the encoding
    charset-normalizer finds most likely, when that reads it whole; else None."""
    matches = list(charset_normalizer.from_bytes(data[:DETECT_BYTES]))
    if not matches or matches[0].encoding in {"utf_8", "ascii"}:
        return None
    # A short list of names fits many single-byte encodings (Windows-1250, -1252, DOS Baltic
    # read "José" alike, and the detector's ranking between them is noise): Windows-1252, what
    # older Excel and ticketing exports use in Spanish and English, when it reads the file
    # without mess; else the detector's best guess (Shift-JIS, Windows-1251...).
    clean = {m.encoding for m in matches if m.chaos == 0}
    codec = codecs.lookup("cp1252" if "cp1252" in clean else matches[0].encoding).name
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    return text, codec


def _unknown_encoding(name: str) -> ImportProblem:
    return ImportProblem(
        "unknown_encoding",
        f"'{_shown(name)}' is not a text encoding this server knows. Try utf-8, cp1252 "
        "(Windows/Excel) or latin-1.",
    )


def _delimiter_option(value: str) -> str:
    chosen = value if len(value) == 1 else _DELIMITER_NAMES.get(value.strip().lower(), value)
    if len(chosen) != 1 or chosen in '"\r\n' or chosen.isalnum():
        raise ImportProblem(
            "bad_delimiter",
            f"'{_shown(value)}' cannot separate columns. Use ',' ';' or a tab ('\\t').",
        )
    return chosen


def _sniff_delimiter(text: str) -> str:
    """The candidate delimiter seen most often, outside quotes, on the header line."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in text[:_SNIFF_CHARS]:
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char in "\r\n":
            if any(counts.values()):
                break
        elif char in counts:
            counts[char] += 1
    return max(_DELIMITERS, key=counts.__getitem__)


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Records with their spreadsheet row numbers; a quoted line break stays in its row."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    row = 0
    try:
        for row, cells in enumerate(reader, start=1):
            yield row, cells
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _giant_cell(row + 1, "") from None
        raise ImportProblem(
            "not_a_spreadsheet",
            f"Row {row + 1} cannot be read as CSV ({exc}). Save the file again from the "
            "spreadsheet as CSV or XLSX.",
        ) from None


def _parse_csv(
    data: bytes, encoding: str | None, delimiter: str | None, **options: Any
) -> ParsedImport:
    text, used_encoding, detected = _decode(data, encoding)
    hint = _SEPARATOR_HINT.match(text)
    if hint:
        text = text[hint.end() :]
    if delimiter:
        chosen = _delimiter_option(delimiter)
    elif hint and hint.group(1) not in '"\r\n':
        chosen = hint.group(1)
    else:
        chosen = _sniff_delimiter(text)
    parsed = _parse_rows(
        _csv_rows(text, chosen),
        file_format="csv",
        encoding=used_encoding,
        delimiter=chosen,
        **options,
    )
    parsed.encoding_detected = detected
    return parsed


# --- XLSX ---------------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    """A cell as the text people see: 34600000000 not 34600000000.0, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _xlsx_rows(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    # openpyxl fills the gaps between stored rows with empty ones, so counting gives real numbers.
    for row, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield row, [_cell_text(value) for value in values]


def _not_a_workbook() -> ImportProblem:
    return ImportProblem(
        "not_a_spreadsheet",
        "This file is not an Excel workbook that can be read. Save it as XLSX (Excel Workbook) "
        "or CSV and upload it again.",
    )


def _parse_xlsx(data: bytes, **options: Any) -> ParsedImport:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise _not_a_workbook() from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportProblem(
            "workbook_too_large",
            f"The workbook unpacks to {unpacked / 1e6:,.0f} MB, more than the "
            f"{MAX_XLSX_UNPACKED_BYTES / 1e6:,.0f} MB allowed. Save the attendee sheet alone as "
            "CSV and upload that.",
            status=413,
        )
    # Real exports trip openpyxl warnings about features it skips (data validation, styles);
    # the values read are unaffected. catch_warnings is process-wide state, but only openpyxl's
    # UserWarnings are silenced and only while the workbook is read.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            # A zip that is not a workbook (.docx, .ods, damaged) fails in many different ways.
            raise _not_a_workbook() from None
        try:
            if not workbook.worksheets:
                raise ImportProblem("empty_file", "The workbook has no sheets.")
            sheet = workbook.worksheets[0]
            # Some generators write a wrong sheet size, and read-only mode would stop early.
            sheet.reset_dimensions()
            return _parse_rows(
                _xlsx_rows(sheet), file_format="xlsx", encoding=None, delimiter=None, **options
            )
        finally:
            workbook.close()


# --- Entry point --------------------------------------------------------------------------------


def parse_attendee_file(
    data: bytes,
    *,
    filename: str = "",
    encoding: str | None = None,
    delimiter: str | None = None,
    mapping: dict[str, str] | None = None,
    max_rows: int = 100_000,
    max_field_chars: int = 2_000,
) -> ParsedImport:
    """Read a CSV or XLSX attendee list into records, row errors and warnings."""
    if not data.strip():
        raise ImportProblem("empty_file", "The file is empty. Export the attendee list again.")
    options: dict[str, Any] = {
        "mapping": mapping,
        "max_rows": max_rows,
        "max_field_chars": max_field_chars,
    }
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportProblem(
            "old_excel",
            "This is an old Excel (.xls) file, which cannot be read. Open it in Excel or "
            "LibreOffice and save it as XLSX (Excel Workbook) or CSV, then upload that.",
        )
    if data.startswith(b"PK\x03\x04"):
        return _parse_xlsx(data, **options)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _not_a_workbook()
    return _parse_csv(data, encoding, delimiter, **options)
