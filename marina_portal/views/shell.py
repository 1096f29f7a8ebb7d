"""What every page needs: the current port for the header and footer, and the user loader."""
from flask import current_app, g
from flask_babel import gettext

from ..extensions import login_manager
from ..i18n import N_
from ..models import Port, User


def current_port():
    if "port" not in g:
        g.port = Port.current()
    return g.port


@login_manager.user_loader
def load_user(user_id):
    """The session holds 'id:version'; a bumped version (password change) ends older sessions."""
    uid, _, version = user_id.partition(":")
    if not uid.isdigit() or not version.isdigit():
        return None
    user = User.get_or_none(User.id == int(uid))
    if user is None or user.session_version != int(version):
        return None
    return user


def init_app(app):
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Connectez-vous pour accéder à cette page.")
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @app.context_processor
    def _shell():
        from flask_babel import get_locale

        from ..i18n import LANGUAGES

        return {"port": current_port(), "view_endpoints": current_app.view_functions,
                "languages": LANGUAGES, "current_language": str(get_locale() or "fr")}
