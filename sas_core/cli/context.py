"""How the global options of `sas` reach its commands: as arguments, never through the process's
environment.

`sas --data-dir DIR --plugins A,B --trace-hooks COMMAND …` stores a :class:`CliContext` as
click's context object; a command, the core's or one another distribution contributes, asks for
what it needs with :func:`platform_settings` (the `SAS_*` settings with the options applied over
them), :func:`plugin_host` (the plugins those settings allow, hook tracing on with
`--trace-hooks`) and :func:`open_platform_database` (the database those settings name), and
hands them to the services. `os.environ` is left as the shell gave it, so
a command run in-process (a test's `CliRunner`, a notebook) changes nothing for what runs next.

A command that starts another `sas` process must pass the options on the child's command line
(:meth:`CliContext.arguments`): the child does not inherit them through the environment any more.

Settings, plugins and storage are imported on first use only, so that `sas --help` stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from sas_core.plugins.host import PluginHost
    from sas_core.settings import PlatformSettings


@dataclass(frozen=True, slots=True)
class CliContext:
    """The global options of one `sas` command line; None (False) where not given, so the
    environment (`SAS_DATA_DIR`, `SAS_PLUGINS`, `SAS_TRACE_HOOKS`) and the defaults apply."""

    data_dir: Path | None = None
    plugins: str | None = None
    trace_hooks: bool = False

    def settings(self, **overrides: Any) -> PlatformSettings:
        """The platform's settings: the environment, then these options, then `overrides` (a
        command's own options, e.g. `--database-url`); an override of None is "not given"."""
        from sas_core.settings import load_settings

        return load_settings(**{"data_dir": self.data_dir, "plugins": self.plugins, **overrides})

    def plugin_host(self) -> PluginHost:
        """The installed plugins the settings allow, every hook call logged with `--trace-hooks`
        (else as `SAS_TRACE_HOOKS` says)."""
        from sas_core.plugins.host import PluginHost

        return PluginHost.discover(
            settings=self.settings(), trace=True if self.trace_hooks else None
        )

    def arguments(self) -> list[str]:
        """These options as `sas` takes them, for the command line of a child `sas` process."""
        given: list[str] = []
        if self.data_dir is not None:
            given += ["--data-dir", str(self.data_dir)]
        if self.plugins is not None:
            given += ["--plugins", self.plugins]
        if self.trace_hooks:
            given.append("--trace-hooks")
        return given


def cli_context() -> CliContext:
    """The global options of the `sas` command running now; none given (every field unset) when
    a command is invoked on its own, outside the `sas` group."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(CliContext) if ctx is not None else None
    return found if found is not None else CliContext()


def platform_settings(**overrides: Any) -> PlatformSettings:
    """The running command's settings (:meth:`CliContext.settings`)."""
    return cli_context().settings(**overrides)


def plugin_host() -> PluginHost:
    """The running command's plugins (:meth:`CliContext.plugin_host`)."""
    return cli_context().plugin_host()


def open_platform_database() -> Engine:
    """The running command's database, its schema current; one that cannot be used ends the
    command with exit code 1 and the reason in one line (:func:`database_failure`)."""
    from sqlalchemy.exc import SQLAlchemyError

    from sas_core.storage import SchemaNotCurrentError, open_database

    try:
        return open_database(platform_settings())
    except (SQLAlchemyError, SchemaNotCurrentError) as exc:
        raise database_failure(exc) from None


def database_failure(exc: Exception) -> click.ClickException:
    """`Error: cannot use the database: …` (exit code 1) with the first line of the driver's
    reason: never a traceback, and no SQL or parameters (those follow the first line)."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return click.ClickException(f"cannot use the database: {reason}")
