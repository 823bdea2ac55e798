"""Rendering shared by the commands: tables for people, JSON for programs."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

#: Progress and warnings go to stderr so stdout stays clean for `--format json`.
stderr = Console(stderr=True)


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> None:
    table = Table(*headers, title=title or None, show_lines=False)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    Console(soft_wrap=False).print(table)
