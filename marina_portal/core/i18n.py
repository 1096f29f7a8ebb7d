"""Languages: French by default, English on request, remembered per boater and used for their mails.

Message ids are the French texts; the tutorial's own words (menus, ETAPE 1/3, "J'ai un contrat"…) are not
translated, so the printed tutorial stays true in both languages.
"""

from flask import has_request_context, request, session
from flask_babel import force_locale, gettext
from flask_login import current_user

LANGUAGES = {"fr": "Français", "en": "English"}
DEFAULT = "fr"
STAFF_PREFIX = "/staff"  # the harbour office's pages (views/staff)


def N_(text):
    """Mark a French text for translation where it is defined; it is translated where it is shown."""
    return text


class Translatable(Exception):
    """A refusal whose French words (a message id with %(name)s fields) are translated where they are shown."""

    def __init__(self, message, **fields):
        super().__init__(message % fields if fields else message)
        self.message, self.fields = message, fields

    def translated(self):
        return gettext(self.message, **self.fields) if has_request_context() else str(self)


def select_locale():
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


def set_language(language, user=None):
    """Remember a language for this browser and, when logged in, for the boater (their mails too)."""
    if language not in LANGUAGES:
        return False
    session["lang"] = language
    if user is not None and user.is_authenticated:
        from marina_portal.models import Customer, User

        User.update(language=language).where(User.id == user.id).execute()
        if user.customer_id:
            Customer.update(language=language).where(Customer.id == user.customer_id).execute()
    return True


def in_language(language):
    """A context for rendering a mail in its reader's language."""
    return force_locale(language if language in LANGUAGES else DEFAULT)
