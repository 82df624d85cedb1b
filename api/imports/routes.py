"""Attendee import for organizers: upload, preview (dry run), apply."""

from __future__ import annotations

import os
from functools import partial
from typing import Any

import anyio
import msgspec
from litestar import Controller, post
from litestar.datastructures import UploadFile
from litestar.params import MultipartBody

from api.attendees.dependencies import OrganizedEvent
from api.dependencies import AppSettings, DbSession
from api.errors import Invalid
from api.imports import service
from api.imports.schemas import ImportReport

# Litestar refuses bodies past this before reading them; the configured limit is checked after.
UPLOAD_HARD_CAP = 200_000_000


class ImportForm(msgspec.Struct):
    file: UploadFile
    dry_run: bool = True
    skip_invalid: bool = False
    encoding: str | None = None
    delimiter: str | None = None
    mapping: str | None = None  # JSON object: file header -> field name ("" ignores a column)


def _mapping(raw: str | None) -> dict[str, str] | None:
    if not raw:
        return None
    try:
        return msgspec.json.decode(raw, type=dict[str, str])
    except msgspec.DecodeError as exc:  # also covers ValidationError
        raise Invalid(
            f"mapping: give a JSON object of column header to field name ({exc}).",
            code="invalid_mapping",
            field="mapping",
        ) from exc


class ImportController(Controller):
    path = "/api/events/{slug:str}"
    tags = ["import"]

    @post(
        "/imports",
        status_code=200,
        request_max_body_size=UPLOAD_HARD_CAP,
        summary="Import attendees (CSV/XLSX)",
    )
    async def import_file(
        self,
        data: MultipartBody[ImportForm],
        db: DbSession,
        event_organizer: OrganizedEvent,
        settings: AppSettings,
    ) -> ImportReport:
        event = event_organizer.event
        options: dict[str, Any] = {
            "encoding": data.encoding or None,
            "delimiter": data.delimiter or None,
            "mapping": _mapping(data.mapping),
        }
        # The whole size (the part read stops past the limit), so a refusal names the real one.
        size = await anyio.to_thread.run_sync(data.file.file.seek, 0, os.SEEK_END)
        await data.file.seek(0)
        content = await data.file.read(settings.max_upload_bytes + 1)
        # Parsing is CPU work (about 0.3 s for 20,000 CSV rows); keep the event loop free.
        parsed = await anyio.to_thread.run_sync(
            partial(
                service.parse_upload,
                content,
                data.file.filename,
                max_bytes=settings.max_upload_bytes,
                size=size,
                max_rows=settings.import_max_rows,
                **options,
            )
        )
        return await service.import_attendees(
            db, event, parsed, dry_run=data.dry_run, skip_invalid=data.skip_invalid
        )
