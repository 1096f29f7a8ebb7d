"""Marina Portal: the berth holders' web portal and the harbour office's back office."""
from flask import Flask

from . import config


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    config.load(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    return app


def register_extensions(app):
    from . import db, formats, news, security, tasks
    from .extensions import babel, csrf, limiter, login_manager, mail

    db.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    from .i18n import select_locale

    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    formats.init_app(app)
    security.init_app(app)
    tasks.init_app(app)
    news.init_app(app)
    from .views import errors, shell

    errors.init_app(app)
    shell.init_app(app)


def register_blueprints(app):
    from .views import (absence, account, auth, contract, documents, main, mandate, outbox, payment,
                        port_life_staff, sandbox, staff, waiting_list)
    from .views import boat, boat_staff

    app.register_blueprint(auth.bp)
    app.register_blueprint(contract.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(absence.bp)
    app.register_blueprint(waiting_list.bp)
    app.register_blueprint(port_life_staff.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(outbox.bp)
    app.register_blueprint(mandate.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(payment.bp)
    app.register_blueprint(sandbox.bp)
    app.register_blueprint(boat.bp)
    app.register_blueprint(boat_staff.bp)
    app.register_blueprint(main.bp)  # last: its /<port code> rule must not shadow others


def register_commands(app):
    from . import cli
    from .backoffice import commands as backoffice_commands

    cli.init_app(app)
    backoffice_commands.init_app(app)
