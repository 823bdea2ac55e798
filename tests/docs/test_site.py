"""The documentation site builds offline with `mkdocs build --strict` (slow: seconds)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sas_core import hookspecs

from .commands import walk
from .pages import REPO

#: Any request for the network fails fast: the build must not need it.
OFFLINE = {
    **{k: "http://127.0.0.1:9" for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")},
    "NO_PROXY": "",
    "no_proxy": "",
    "NO_MKDOCS_2_WARNING": "1",
}
#: A page that loads anything from elsewhere (fonts, scripts, styles, images).
REMOTE_ASSET = re.compile(
    r"<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)=\"(?:https?:)?//", re.IGNORECASE
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    mkdocs = Path(sys.executable).with_name("mkdocs")
    result = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        env={**os.environ, **OFFLINE},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return out


@pytest.mark.slow
def test_the_site_loads_nothing_from_the_network(site: Path) -> None:
    remote = [
        str(page.relative_to(site))
        for page in site.rglob("*.html")
        if REMOTE_ASSET.search(page.read_text(encoding="utf-8"))
    ]
    assert not remote, f"pages loading remote assets: {remote}"


@pytest.mark.slow
def test_the_generated_references_are_complete(site: Path) -> None:
    cli = (site / "reference" / "cli" / "index.html").read_text()
    for path, _ in walk():
        assert f">{' '.join(path)}<" in cli, f"{' '.join(path)} is not in the CLI reference"
    hooks = (site / "reference" / "hooks" / "index.html").read_text()
    for name in vars(hookspecs):
        if name.startswith("sas_"):
            assert f'id="sas_core.hookspecs.{name}"' in hooks, name
    settings = (site / "reference" / "settings" / "index.html").read_text()
    for name in ("SAS_DATA_DIR", "SAS_SERVE_VENDORS", "SAS_OIDC_ISSUER", "SAS_TRACE_HOOKS"):
        assert f"<code>{name}</code>" in settings, name
