"""Checks made before serving real boaters: no sandbox, no outbox, a real secret, a real bank key, shared limits."""

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from marina_portal.core.config import Defaults

log = logging.getLogger(__name__)

WEAK_SECRETS = {"", "dev", "test", "test-secret", "secret", "change-me", "changeme"}


class NotReadyForProduction(RuntimeError):
    pass


def problems(config: Mapping[str, Any]) -> list[str]:
    """What would make serving this configuration unsafe, in words an installer can act on."""
    found = []
    secret = str(config.get("SECRET_KEY") or "")
    if secret in WEAK_SECRETS or len(secret) < 32:
        found.append("SECRET_KEY est absente ou trop courte (32 caractères au moins).")
    if config.get("MONETICO_SANDBOX"):
        found.append("Le bac à sable bancaire est actif (MONETICO_SANDBOX) : aucun vrai paiement ne serait possible.")
    if config.get("EINVOICING_PLATFORM_SANDBOX") or config.get("EINVOICING_CHORUS_SANDBOX"):
        found.append(
            "Un bac à sable de facturation électronique est actif (EINVOICING_PLATFORM_SANDBOX ou "
            "EINVOICING_CHORUS_SANDBOX) : les factures ne partiraient vers aucune plateforme."
        )
    if not config.get("MONETICO_URL"):
        found.append("MONETICO_URL n'est pas configurée (page de paiement de la banque).")
    if config.get("MONETICO_KEY") == Defaults.MONETICO_KEY:
        found.append("MONETICO_KEY est la clé de démonstration : configurez la clé de votre TPE.")
    if config.get("MAIL_OUTBOX"):
        found.append("MAIL_OUTBOX est actif : aucun mail ne partirait.")
    if not config.get("MAIL_SERVER"):
        found.append("MAIL_SERVER n'est pas configuré.")
    return found + base_url_problems(config) + shared_state_problems(config)


def base_url_problems(config: Mapping[str, Any]) -> list[str]:
    """Mails, bank returns and feeds carry BASE_URL: it must be the portal's real public https address.
    ALLOW_HTTP lets a deliberate test on a local network use http://; the default address never works."""
    base = str(config.get("BASE_URL") or "")
    if base.rstrip("/") == Defaults.BASE_URL:
        return [
            f"BASE_URL est l'adresse par défaut ({Defaults.BASE_URL}) : indiquez l'adresse publique du portail "
            "(https://…), celle des liens envoyés par mail et des retours de la banque."
        ]
    if not base.startswith("https://") and not config.get("ALLOW_HTTP"):
        return [
            f"BASE_URL ({base or 'vide'}) n'est pas en https:// : mots de passe et cookies passeraient en clair. "
            "Pour un essai sur un réseau local seulement, indiquez ALLOW_HTTP = True."
        ]
    return []


def shared_state_problems(config: Mapping[str, Any]) -> list[str]:
    """Several app servers must count login attempts and queue jobs in one shared place (Redis)."""
    found = []
    if int(config.get("APP_SERVERS") or 1) > 1:
        if str(config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://"):
            found.append(
                "APP_SERVERS > 1 : chaque serveur compterait seul les tentatives de connexion ; "
                "indiquez un stockage partagé dans RATELIMIT_STORAGE_URI (redis://…)."
            )
        if not config.get("HUEY_URL"):
            found.append("APP_SERVERS > 1 : la file de tâches doit être partagée ; indiquez HUEY_URL (redis://…).")
    return found


def warnings(config: Mapping[str, Any]) -> list[str]:
    """What is allowed in production but probably a mistake, to say in the log at start."""
    found = []
    url = urlsplit(str(config.get("MONETICO_URL") or ""))
    if url.hostname == "p.monetico-services.com" and url.path.startswith("/test/"):
        found.append(
            "MONETICO_URL est la page de TEST de la banque : les cartes de test y paient, aucun vrai paiement "
            "n'est encaissé. Indiquez https://p.monetico-services.com/paiement.cgi pour la production."
        )
    return found


def check(app: Flask) -> Flask:
    """Refuse to serve when something is unsafe; `make run` and the tests don't call this."""
    found = problems(app.config)
    if found:
        raise NotReadyForProduction("Le portail refuse de démarrer en production :\n- " + "\n- ".join(found))
    for warning in warnings(app.config):
        log.warning(warning)
    return app
