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
    babel.init_app(app, locale_selector=lambda: "fr")
    login_manager.init_app(app)
    formats.init_app(app)
    security.init_app(app)
    tasks.init_app(app)
    news.init_app(app)
    from .views import errors, shell

    errors.init_app(app)
    shell.init_app(app)


def register_blueprints(app):
    from .views import absence, auth, documents, main, outbox, port_life_staff, waiting_list

    app.register_blueprint(auth.bp)
    app.register_blueprint(absence.bp)
    app.register_blueprint(waiting_list.bp)
    app.register_blueprint(port_life_staff.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(outbox.bp)
    app.register_blueprint(main.bp)  # last: its /<port code> rule must not shadow others


def register_commands(app):
    from . import cli

    cli.init_app(app)
