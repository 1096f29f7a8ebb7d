"""Marina Portal: the berth holders' web portal and the harbour office's back office."""

from flask import Flask

from marina_portal import cli, migrations
from marina_portal.accounting import cli as accounting_cli
from marina_portal.accounts import cli as staff_cli
from marina_portal.billing import cli as billing_cli
from marina_portal.core import config, db, formats, queue
from marina_portal.core.extensions import babel, csrf, limiter, login_manager, mail
from marina_portal.core.i18n import select_locale
from marina_portal.einvoicing import cli as einvoicing_cli
from marina_portal.imports import cli as import_cli
from marina_portal.sepa import cli as sepa_cli
from marina_portal.views import (
    accounts,
    assets,
    billing,
    contracts,
    documents,
    energy,
    errors,
    main,
    outbox,
    payments,
    receipts,
    sandbox,
    security,
    shell,
    staff,
    tariffs,
    visitors,
)
from marina_portal.views.boats import pages as boat_pages
from marina_portal.views.port_life import absences, waiting_list
from marina_portal.views.sepa import pages as mandate_pages


def create_app(test_config=None):
    app = Flask(__name__, instance_path=config.INSTANCE_PATH, instance_relative_config=True)
    config.load(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    cli.announce_database(app)  # last: after every feature and blueprint added its commands
    return app


def register_extensions(app):
    db.init_app(app)
    migrations.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    formats.init_app(app)
    security.init_app(app)
    queue.init_app(app)
    errors.init_app(app)
    shell.init_app(app)
    assets.init_app(app)


def register_blueprints(app):
    for blueprint in (
        accounts.bp,
        contracts.bp,
        staff.bp,
        absences.bp,
        waiting_list.bp,
        documents.bp,
        outbox.bp,
        mandate_pages.bp,
        billing.bp,
        payments.bp,
        sandbox.bp,
        boat_pages.bp,
        tariffs.bp,
        receipts.bp,
        energy.bp,
        visitors.bp,
    ):
        app.register_blueprint(blueprint)
    app.register_blueprint(main.bp)  # last: its /<port code> rule must not shadow others


def register_commands(app):
    cli.init_app(app)
    staff_cli.init_app(app)
    import_cli.init_app(app)
    sepa_cli.init_app(app)
    accounting_cli.init_app(app)
    billing_cli.init_app(app)
    einvoicing_cli.init_app(app)
