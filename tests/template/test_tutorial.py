"""The "your first adapter" tutorial, measured: its commands, read from the page, run in a
temporary folder from a clone of this repository to an adapter whose tests pass — the goal is
at most 5 commands and 10 minutes. The test asserts the commands and the green end; the wall time
is printed, not asserted (timings are figures, in docs/plugins/first-adapter.md), and 10 minutes
is only the deadline after which a hung step is killed."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from tests.docs.pages import DOCS, blocks

from .conftest import REPO, run, uv_binary

pytestmark = pytest.mark.slow

TUTORIAL = DOCS / "plugins" / "first-adapter.md"
MAX_COMMANDS = 5
MAX_SECONDS = 600


def tutorial_commands() -> list[str]:
    """The first console block of the page: one command per `$ ` line."""
    block = next(b for b in blocks(TUTORIAL) if b.lang == "console")
    return [line[2:] for line in block.text.splitlines() if line.startswith("$ ")]


def test_the_tutorial_has_at_most_five_commands() -> None:
    commands = tutorial_commands()
    assert 0 < len(commands) <= MAX_COMMANDS, commands
    assert any("sas adapter new" in c for c in commands)


def test_the_tutorial_runs_from_a_clone_to_passing_tests(
    tmp_path: Path,
) -> None:
    uv = uv_binary()
    if uv is None:
        pytest.skip("uv is not installed (make install bootstraps it into .tools/)")
    commands = tutorial_commands()
    marks = tmp_path / "marks"
    script = "set -euo pipefail\n" + "".join(
        f"{command}\ndate +%s.%N >> {marks}\n" for command in commands
    )
    env = {
        "PLATFORM_REPO": str(REPO),
        "PATH": f"{Path(uv).parent}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": "",
        "SAS_DATA_DIR": str(tmp_path / "sas-data"),
    }
    started = time.time()
    done = run("bash", "-c", script, cwd=tmp_path, env=env, timeout=MAX_SECONDS + 60)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ends = [float(t) for t in marks.read_text().split()]
    steps = [end - start for start, end in zip([started, *ends], ends, strict=False)]
    figures = ", ".join(f"{c.split()[0]} … {s:.0f} s" for c, s in zip(commands, steps, strict=True))
    print(f"tutorial: {len(commands)} commands, {ends[-1] - started:.0f} s ({figures})")

    summary = done.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary) and "failed" not in summary, summary
