"""The front's error pages: in French, what happened and what to do next, the right status,
never a stack trace."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Template

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


def error_page(
    request: Request[Any, Any, Any],
    status: int,
    detail: str | None = None,
    *,
    login_url: str | None = None,
) -> Response[Any]:
    title, text = ERRORS.get(status, ERRORS[500] if status >= 500 else ERRORS[400])
    return Template(
        template_name="error.html",
        context={
            "user": None,
            "title": title,
            "text": text,
            "detail": detail,
            "status": status,
            "login_url": login_url,
            "section": "",
        },
        status_code=status,
    )
