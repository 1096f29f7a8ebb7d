"""`flask --app marina_portal staff create EMAIL`: a harbour-office account from the command line."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from peewee import IntegrityError

from marina_portal.accounts import logins
from marina_portal.migrations import init_db
from marina_portal.port.settings import first_port

staff_cli = AppGroup("staff", help="Harbour-office accounts.")


def _read_password():
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Mot de passe", hide_input=True, confirmation_prompt="Confirmer le mot de passe")


@staff_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "agent"]), default="admin", show_default=True)
def staff_create(email, role):
    """Create a harbour-office account; the password is read from a prompt or standard input."""
    init_db()
    password = _read_password()
    problem = logins.password_problem(password, [email])
    if problem:
        raise click.ClickException(str(problem))
    try:
        user = logins.create_staff(email, password, role)
    except IntegrityError:
        raise click.ClickException(f"Un compte existe déjà pour {email}.") from None
    click.echo(f"Compte {user.role} créé pour {user.email}.")
    port = first_port(current_app.config.get("PORT_CODE"))
    if port:
        click.echo(
            f"Port {port.code} créé : complétez son nom, son adresse et ses réglages SEPA "
            "dans Paramètres (/staff/settings)."
        )


def init_app(app):
    app.cli.add_command(staff_cli)
