"""The front's browser assets: DSFR and htmx from npm, the front's own CSS and script.

`make install` runs `npm ci --ignore-scripts` (the lock file pins every byte) and then
`python -m sas_web.front.install_assets node_modules`, which copies the few files the pages use into
`sas_web/static/vendor/`: the app serves them itself, nothing comes from a CDN or at run time.

Every asset URL carries the content hash of the whole static tree (`/static/<hash>/...`): a
changed file changes every URL, so each answer can be cached for a year (`immutable`). The
hash is of the tree, not per file, so DSFR's CSS keeps its relative `url(fonts/...)`.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.router import Router
from litestar.static_files import create_static_files_router

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
#: One year: the URL changes whenever a byte does.
CACHE_SECONDS = 365 * 24 * 3600
#: What the pages use of each npm package: (package, path in its folder, path under vendor/).
VENDORED: tuple[tuple[str, str, str], ...] = (
    ("@gouvfr/dsfr", "dist/dsfr.min.css", "dsfr/dsfr.min.css"),
    ("@gouvfr/dsfr", "dist/dsfr.module.min.js", "dsfr/dsfr.module.min.js"),
    ("@gouvfr/dsfr", "dist/fonts", "dsfr/fonts"),
    ("@gouvfr/dsfr", "dist/favicon", "dsfr/favicon"),
    ("@gouvfr/dsfr", "dist/utility/icons/icons.min.css", "dsfr/utility/icons/icons.min.css"),
    ("@gouvfr/dsfr", "dist/icons", "dsfr/icons"),
    ("htmx.org", "dist/htmx.min.js", "htmx/htmx.min.js"),
)


class AssetsMissing(RuntimeError):
    """`make install` has not copied the vendored assets yet."""


def copy_vendored(node_modules: Path, static: Path = STATIC_DIR) -> list[Path]:
    """Copy `VENDORED` from `node_modules` into `static/vendor` (replacing what was there)."""
    target = static / "vendor"
    shutil.rmtree(target, ignore_errors=True)
    copied = []
    for package, source, destination in VENDORED:
        origin = node_modules / package / source
        if not origin.exists():
            raise AssetsMissing(f"{origin} is missing: run `npm ci --ignore-scripts` first")
        out = target / destination
        out.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, out)
        else:
            shutil.copy2(origin, out)
        copied.append(out)
    return copied


def tree_hash(root: Path) -> str:
    """A digest of every file's path and content under `root` (12 hex digits)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class StaticAssets:
    """The static tree and the versioned prefix its URLs are served under."""

    root: Path
    version: str

    @classmethod
    @functools.cache
    def load(cls, root: Path = STATIC_DIR) -> StaticAssets:
        """The tree at `root`, hashed once per process (its files change only at install)."""
        if not (root / "vendor" / "dsfr" / "dsfr.min.css").exists():
            raise AssetsMissing(
                f"the DSFR is not in {root / 'vendor'}: run `make install` (npm ci, then "
                "python -m sas_web.front.install_assets node_modules)"
            )
        return cls(root, tree_hash(root))

    @property
    def prefix(self) -> str:
        return f"/static/{self.version}"

    def url(self, path: str) -> str:
        """The cacheable URL of `path` (relative to the static tree)."""
        return f"{self.prefix}/{path.lstrip('/')}"

    def router(self) -> Router:
        """The static files, cached for a year; anonymous (they hold nothing private)."""
        return create_static_files_router(
            path=self.prefix,
            directories=[self.root],
            name="static",
            cache_control=CacheControlHeader(max_age=CACHE_SECONDS, public=True, immutable=True),
            include_in_schema=False,
            send_as_attachment=False,
        )
