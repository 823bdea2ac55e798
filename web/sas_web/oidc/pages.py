"""The realm's HTML pages: Jinja templates shipped in `templates/`, autoescaped, rendered with
Litestar's `JinjaTemplateEngine`.

The realm renders them itself rather than through the app's template config, so it stays
self-contained in whatever app mounts it. The pages load nothing (no script, style or image, not
even inline): the security headers' CSP, `default-src 'none'`, allows none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from litestar import Response
from litestar.datastructures import Cookie
from litestar.plugins.jinja import JinjaTemplateEngine

from sas_core.accounts.models import Regulator
from sas_web.oidc.paths import LOGIN_PATH, LOGOUT_PATH

_TEMPLATES = JinjaTemplateEngine.from_environment(
    Environment(
        loader=PackageLoader("sas_web.oidc"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
    )
)
#: The relying party's parameters a logout confirmation carries on to its POST.
_LOGOUT_FIELDS = ("client_id", "post_logout_redirect_uri", "state")


def _render(
    template: str,
    status: int = 200,
    *,
    headers: Mapping[str, str] | None = None,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Response[bytes]:
    """An HTML answer (UTF-8: Litestar adds the charset to `text/` types)."""
    text = _TEMPLATES.get_template(template).render(**context)
    return Response(
        text.encode(),
        status_code=status,
        media_type="text/html",
        headers=headers,
        cookies=cookies or [],
    )


def message(
    title: str, text: str, status: int = 200, *, cookies: list[Cookie] | None = None
) -> Response[bytes]:
    """A page saying one thing: a refusal, an outage, a logout."""
    return _render("message.html", status, cookies=cookies, title=title, text=text)


def login_form(
    return_to: str,
    error: str | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response[bytes]:
    """The development login form; it posts `return_to` back so the login resumes the flow."""
    return _render(
        "login.html", status, headers=headers, action=LOGIN_PATH, return_to=return_to, error=error
    )


def logout_form(fields: Mapping[str, str]) -> Response[bytes]:
    """Asks the regulator before ending the session; the form carries the RP's parameters."""
    hidden = [(name, fields[name]) for name in _LOGOUT_FIELDS if fields.get(name)]
    return _render("logout.html", action=LOGOUT_PATH, hidden=hidden)


def account(regulator: Regulator) -> Response[bytes]:
    """Who is logged in (a login started from the platform itself lands here)."""
    return _render("account.html", regulator=regulator)
