"""Friendly error pages in French; a rate limit, an expired form or a full disk says what to do."""

import errno

from flask import render_template
from flask_wtf.csrf import CSRFError
from peewee import OperationalError

from marina_portal.core.i18n import N_

MESSAGES = {
    400: (
        N_("Requête incorrecte"),
        N_("La demande n'a pas pu être comprise. Revenez à la page précédente et réessayez."),
    ),
    403: (N_("Accès refusé"), N_("Vous n'avez pas accès à cette page.")),
    404: (N_("Page introuvable"), N_("Cette page n'existe pas ou ne vous est pas accessible.")),
    405: (N_("Action impossible"), N_("Cette action n'est pas possible depuis cette page.")),
    413: (N_("Fichier trop volumineux"), N_("Le fichier envoyé dépasse la taille autorisée.")),
    429: (
        N_("Trop de tentatives"),
        N_("Vous avez fait trop de tentatives en peu de temps. Patientez quelques minutes avant de réessayer."),
    ),
    500: (
        N_("Erreur du portail"),
        N_(
            "Une erreur est survenue de notre côté. Rien n'a été perdu : réessayez dans un instant, "
            "ou contactez la capitainerie."
        ),
    ),
    503: (
        N_("Portail momentanément occupé"),
        N_("Le portail est très sollicité en ce moment et n'a rien enregistré. Réessayez dans quelques secondes."),
    ),
}


DISK_FULL = N_(
    "Le serveur du portail manque de place pour enregistrer : rien n'a été enregistré. Réessayez plus tard ; "
    "si cela dure, prévenez la capitainerie."
)


def render_error(code, message=None):
    title, default = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", title=title, message=message or default, code=code), code


def init_app(app):
    for code in MESSAGES:
        app.register_error_handler(code, lambda e, code=code: render_error(code))

    @app.errorhandler(OperationalError)
    def _busy(e):
        # A database still locked after the busy timeout: nothing was written, the visitor may retry.
        if "locked" in str(e) or "busy" in str(e):
            app.logger.warning("database busy: %s", e)
            return render_error(503)
        if "disk is full" in str(e):
            app.logger.error("database: %s", e)
            return render_error(503, DISK_FULL)
        raise e

    @app.errorhandler(OSError)
    def _disk_full(e):
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            app.logger.error("disk full: %s", e)
            return render_error(503, DISK_FULL)
        raise e

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render_error(
            400, N_("Le formulaire a expiré ou n'est pas valide. Rechargez la page et envoyez-le à nouveau.")
        )
