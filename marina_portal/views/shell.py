"""What every page needs: the current port for the header and footer, and the user loader."""

import functools

from flask import current_app, g, session, url_for
from flask_babel import get_locale, gettext
from werkzeug.routing import IntegerConverter

from marina_portal.accounts import sessions
from marina_portal.core.db import Compiled
from marina_portal.core.extensions import login_manager
from marina_portal.core.i18n import LANGUAGES, N_
from marina_portal.core.urls import external_url
from marina_portal.models import Customer, LoginSession, Port, User, Vocabulary
from marina_portal.port_life import news


def current_port():
    if "port" not in g:
        g.port = Port.current()
    return g.port


_ROW_ID = 987654321987  # stands for the row id while the URL is built once


def row_url(endpoint, field, **values):
    """id -> url_for(endpoint, field=id), the URL built once for a whole table instead of once per row."""
    head, _, tail = url_for(endpoint, **{field: _ROW_ID}, **values).partition(str(_ROW_ID))
    return lambda row_id: f"{head}{int(row_id)}{tail}"


_USER = Compiled(User, lambda user_id: User.select().where(User.id == user_id))
_LOGIN = Compiled(LoginSession, lambda login_id: LoginSession.select().where(LoginSession.id == login_id))
_MAX_ID = 2**63 - 1


def colon():
    """A label's colon: spaced in French (« Aide téléphonique : »), not in English ("Phone help:")."""
    return ":" if str(get_locale() or "fr") == "en" else " :"


def claim_focus():
    """True for the first refusal rendered in this response, which gets `autofocus`: the browser opens the
    page there (with or without JavaScript) instead of at the top, and a screen reader reads it."""
    if g.get("focus_claimed"):
        return False
    g.focus_claimed = True
    return True


@login_manager.user_loader
def load_user(user_id):
    """The cookie holds 'user id:version:session id'. A bumped version (password change) ends every
    session of that login; logout or a timeout ends one session (accounts.sessions)."""
    parts = user_id.split(":")
    if len(parts) != 3 or not all(part.isdigit() and 0 < int(part) <= _MAX_ID for part in parts):
        return None
    uid, version, login_id = (int(part) for part in parts)
    user = _USER.first(uid)
    if user is None or user.session_version != version:
        return None
    login = _LOGIN.first(login_id)
    if login is None or login.user_id != uid or not sessions.still_open(login, user):
        return None
    user.login_session_id = login_id
    return user


def init_app(app):
    # `<int:…>` in every URL stops at the database's 64-bit integers: a longer number is simply no such page
    # (404) instead of an overflow in the database driver (500). Set before the blueprints add their rules.
    app.url_map.converters["int"] = functools.partial(IntegerConverter, max=_MAX_ID)

    @app.context_processor
    def _news():
        """Templates may call port_news() for the home page's alerts and news (queried only when called)."""
        return {"port_news": lambda berth_holder=True: news.for_home(current_port(), berth_holder=berth_holder)}

    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Connectez-vous pour accéder à cette page.")
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.jinja_env.globals["row_url"] = row_url
    app.jinja_env.globals["claim_focus"] = claim_focus
    app.jinja_env.globals["external_url"] = external_url
    # The status vocabularies, for their labels: {{ MandateStatus.label_of(m.status) }}
    app.jinja_env.globals.update({vocabulary.__name__: vocabulary for vocabulary in Vocabulary.__subclasses__()})
    app.jinja_env.globals["colon"] = colon

    @app.context_processor
    def _shell():

        return {
            "port": current_port(),
            "view_endpoints": current_app.view_functions,
            "languages": LANGUAGES,
            "current_language": str(get_locale() or "fr"),
        }


def set_language(language, user=None):
    """Remember a language for this browser and, when logged in, for the boater (their mails too)."""
    if language not in LANGUAGES:
        return False
    session["lang"] = language
    if user is not None and user.is_authenticated:
        User.update(language=language).where(User.id == user.id).execute()
        if user.customer_id:
            Customer.update(language=language).where(Customer.id == user.customer_id).execute()
    return True
