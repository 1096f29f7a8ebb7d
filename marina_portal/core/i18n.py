"""Languages: French by default, English on request, remembered per boater and used for their mails.

Message ids are the French texts; the tutorial's own words (menus, ETAPE 1/3, "J'ai un contrat"…) are not
translated, so the printed tutorial stays true in both languages.
"""

from typing import ContextManager

from flask import has_request_context, request, session
from flask_babel import force_locale
from flask_login import current_user

from marina_portal.core.refusals import Refusal

LANGUAGES = {"fr": "Français", "en": "English"}
DEFAULT = "fr"
STAFF_PREFIX = "/staff"  # the harbour office's pages (views/staff)


def N_(text: str) -> str:
    """Mark a French text for translation where it is defined; it is translated where it is shown."""
    return text


Translatable = Refusal  # the former name of core.refusals.Refusal, for code written before it


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT
    if request.path.startswith(STAFF_PREFIX):  # the back office is French only: its frame too
        return DEFAULT
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    # A first visit follows the browser's languages (en-GB reads English); French when none is offered
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT)


def in_language(language: str | None) -> ContextManager[None]:
    """A context for rendering a mail in its reader's language."""
    return force_locale(language if language in LANGUAGES else DEFAULT)
