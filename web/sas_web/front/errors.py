"""The front's error pages: in French, what happened and what to do next, the right status,
never a stack trace."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.utils.scope.state import ScopeState

#: Litestar's detail for a form whose CSRF token is missing or does not match its cookie.
CSRF_FAILED = "CSRF token verification failed"
#: Field names whose values an error page never shows again.
_SECRET_PARTS = ("password", "secret", "token", "csrf")

#: What each error status tells the user, and what to do next.
ERRORS: dict[int, tuple[str, str]] = {
    400: (
        "Demande incomprise",
        "La demande n’a pas pu être comprise. Vérifiez ce que vous avez saisi et recommencez.",
    ),
    401: ("Connexion nécessaire", "Connectez-vous pour accéder à cette page."),
    403: (
        "Accès refusé",
        "Votre compte n’a pas accès à cette page. Si vous pensez que c’est une erreur, "
        "contactez l’équipe de la plateforme.",
    ),
    404: (
        "Page introuvable",
        "Cette page n’existe pas ou plus. Vérifiez l’adresse ou repartez de la page d’accueil.",
    ),
    405: (
        "Action impossible",
        "Cette action n’est pas possible sur cette page. Repartez de la page d’accueil.",
    ),
    413: (
        "Envoi trop volumineux",
        "Ce que vous avez envoyé dépasse la taille permise. Réduisez-le et recommencez.",
    ),
    429: (
        "Trop de tentatives",
        "Trop de demandes en peu de temps. Patientez une minute puis recommencez.",
    ),
    500: (
        "Erreur de la plateforme",
        "Une erreur inattendue s’est produite ; rien n’a été enregistré par cette demande. "
        "Réessayez dans un instant ; si elle persiste, contactez l’équipe de la plateforme.",
    ),
    503: (
        "Service indisponible",
        "Le service de connexion ne répond pas. Réessayez dans un instant.",
    ),
}


#: A form refused by the CSRF check (`expired_form`).
FORM_EXPIRED = (
    "Formulaire expiré",
    "Le formulaire a expiré (ou a été envoyé depuis une autre page) : rien n’a été enregistré. "
    "Rechargez la page, puis saisissez à nouveau ce que vous aviez envoyé.",
)
#: How the front's form fields are named to the user on the expired-form page.
FIELD_LABELS = {"raison": "Raison", "action": "Action", "etat": "État"}


def error_page(
    request: Request[Any, Any, Any],
    status: int,
    detail: str | None = None,
    *,
    login_url: str | None = None,
    typed: list[tuple[str, str]] | None = None,
    reload_url: str | None = None,
    expired: bool = False,
) -> Response[Any]:
    title, text = (
        FORM_EXPIRED
        if expired
        else ERRORS.get(status, ERRORS[500] if status >= 500 else ERRORS[400])
    )
    return Template(
        template_name="error.html",
        context={
            "user": None,
            "title": title,
            "text": text,
            "detail": detail,
            "status": status,
            "login_url": login_url,
            "typed": typed or [],
            "reload_url": reload_url,
            "section": "",
        },
        status_code=status,
    )


def is_expired_form(exc: HTTPException) -> bool:
    """Whether a refusal is the CSRF check's (a form kept open too long, or from elsewhere)."""
    return exc.status_code == 403 and exc.detail == CSRF_FAILED


def expired_form(request: Request[Any, Any, Any]) -> Response[Any]:
    """A form refused by the CSRF check: not "no access" but "the form expired, reload it",
    with what was typed shown again to copy into the reloaded form (never a secret field).

    The values are shown only when the browser says the form was this site's own (`Origin`
    or `Sec-Fetch-Site`): another site's forged form is not echoed back under our name. The
    form itself cannot be refilled here: the refusal comes before the session middleware, so
    no draft can be kept for the reload (see `auth.take_draft` for the expired-session case).
    """
    origin = str(request.base_url).rstrip("/")
    own = (
        request.headers.get("origin") == origin
        or request.headers.get("sec-fetch-site") == "same-origin"
    )
    form = ScopeState.from_scope(request.scope).form
    typed: list[tuple[str, str]] = []
    if own and isinstance(form, dict):
        for name, value in form.items():
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            if text.strip() and not any(part in name.lower() for part in _SECRET_PARTS):
                typed.append((FIELD_LABELS.get(name, name), text[:2000]))
    return error_page(request, 403, reload_url=request.url.path, typed=typed, expired=True)
