"""`python -m sas_web.front.install_assets NODE_MODULES`: the step of `make install` that copies
the browser assets the pages use out of `node_modules` (after `npm ci --ignore-scripts`)."""

from __future__ import annotations

import sys
from pathlib import Path

from sas_web.front.assets import STATIC_DIR, AssetsMissing, copy_vendored


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m sas_web.front.install_assets NODE_MODULES")
    try:
        copied = copy_vendored(Path(args[0]))
    except AssetsMissing as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"copied {len(copied)} vendored asset(s) into {STATIC_DIR / 'vendor'}")


if __name__ == "__main__":
    main()
