"""The `--out FILE` of commands that write a file: its folder must exist, or the command says so
before any work (rather than failing with a traceback at the end)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


class OutputFile(click.Path):
    """A file to write, in a folder that exists."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        folder = Path(str(path)).resolve().parent
        if not folder.is_dir():
            self.fail(
                f"the folder {folder} does not exist; create it or choose another.", param, ctx
            )
        return path
