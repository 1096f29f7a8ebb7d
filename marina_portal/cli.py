"""Command line: `flask --app marina_portal load-demo | staff create EMAIL`; init-db lives in db.py."""
import sys

import click
from flask.cli import AppGroup, with_appcontext
from peewee import IntegrityError

from . import accounts
from .db import init_db

staff_cli = AppGroup("staff", help="Harbour-office accounts.")


@click.command("load-demo")
@with_appcontext
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
    from flask import current_app

    from .backoffice.port_settings import first_port

    port = first_port(current_app.config.get("PORT_CODE"))
    if port:
        click.echo(f"Port {port.code} créé : complétez son nom, son adresse et ses réglages SEPA "
                   "dans Paramètres (/staff/settings).")


@click.command("backup")
@click.argument("destination", type=click.Path(file_okay=False))
@with_appcontext
def backup_command(destination):
    """Copy the database (online, consistent), the stored files and the instance keys into DESTINATION."""
    from flask import current_app

    from . import backup
    from .db import sqlite_path
    from .storage import data_dir

    path = sqlite_path(current_app)
    if path is None:
        raise click.ClickException("Base PostgreSQL : sauvegardez-la avec pg_dump (voir docs/deploy.md).")
    try:
        folder, files = backup.backup(path, data_dir(), current_app.instance_path, destination)
    except backup.BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Sauvegarde écrite dans {folder} (base vérifiée, {files} fichier(s)).")


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(folder, yes):
    """Put a backup made by `backup` back in place (stop the portal first)."""
    from flask import current_app

    from . import backup
    from .db import database, sqlite_path
    from .storage import data_dir

    path = sqlite_path(current_app)
    if path is None:
        raise click.ClickException("Base PostgreSQL : restaurez-la avec pg_restore (voir docs/deploy.md).")
    if not yes:
        click.confirm(f"Remplacer {path} par la sauvegarde {folder} ?", abort=True)
    if not database.is_closed():
        database.close()
    try:
        files = backup.restore(folder, path, data_dir(), current_app.instance_path)
    except backup.BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Sauvegarde restaurée ({files} fichier(s)).")


def init_app(app):
    from .sepa_cli import sepa_cli

    app.cli.add_command(load_demo_command)
    app.cli.add_command(staff_cli)
    app.cli.add_command(sepa_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
