"""Command line: `flask --app marina_portal load-demo | staff create EMAIL`; init-db lives in db.py."""
import sys

import click
from flask.cli import AppGroup
from peewee import IntegrityError

from . import accounts
from .db import init_db

staff_cli = AppGroup("staff", help="Harbour-office accounts.")


@click.command("load-demo")
def load_demo_command():
    """Load the demo port, boaters, contracts and invoices (into a database with no port yet)."""
    from .demo import load_demo

    init_db()
    if load_demo():
        click.echo("Données de démonstration chargées : PORT SAINTE MARIE LA MER (STEMARIE66).")
    else:
        click.echo("Un port existe déjà : les données de démonstration n'ont pas été chargées.")


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
    problem = accounts.password_problem(password)
    if problem:
        raise click.ClickException(problem)
    try:
        user = accounts.create_staff(email, password, role)
    except IntegrityError:
        raise click.ClickException(f"Un compte existe déjà pour {email}.") from None
    click.echo(f"Compte {user.role} créé pour {user.email}.")


def init_app(app):
    from .sepa_cli import sepa_cli

    app.cli.add_command(load_demo_command)
    app.cli.add_command(staff_cli)
    app.cli.add_command(sepa_cli)
