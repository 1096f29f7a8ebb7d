"""What every page needs: the current port for the header and footer, and the user loader."""

from flask import current_app, g, url_for
from flask_babel import get_locale, gettext

from marina_portal.core.db import Compiled
from marina_portal.core.extensions import login_manager
from marina_portal.core.i18n import N_
from marina_portal.models import Port, User
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
    """The session holds 'id:version'; a bumped version (password change) ends older sessions."""
    uid, _, version = user_id.partition(":")
    if not uid.isdigit() or not version.isdigit():
        return None
    user = _USER.first(int(uid))
    if user is None or user.session_version != int(version):
        return None
    return user


def init_app(app):
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
    app.jinja_env.globals["colon"] = colon

    @app.context_processor
    def _shell():
        from flask_babel import get_locale

        from marina_portal.core.i18n import LANGUAGES

        return {
            "port": current_port(),
            "view_endpoints": current_app.view_functions,
            "languages": LANGUAGES,
            "current_language": str(get_locale() or "fr"),
        }
