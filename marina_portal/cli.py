"""Command line of the whole portal: `flask --app marina_portal init-db | load-demo | backup | restore`.

Each feature registers its own commands (`staff`, `sepa`, `import`) in create_app."""

import functools
import re

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext

from marina_portal.core import backup, production
from marina_portal.core.db import DatabaseInUse, database, sqlite_path, used_alone
from marina_portal.core.storage import data_dir
from marina_portal.demo import load_demo
from marina_portal.migrations import init_db
from marina_portal.sealing.keys import ensure_port_certificate


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create or upgrade the schema (safe to run again)."""
    applied = init_db()
    ensure_port_certificate(current_app)
    click.echo(f"Base de données prête ({len(applied)} migration(s) appliquée(s)).")


@click.command("load-demo")
@with_appcontext
def load_demo_command():
    """Load the demo port, boaters, contracts and invoices (into a database with no port yet)."""
    if looks_like_production(current_app.config):
        raise click.ClickException(
            "Refusé : ces réglages sont ceux d'une production (adresse https, vrais mail et banque). "
            "Les données de démonstration (faux clients, fausses factures) n'y ont pas leur place."
        )
    init_db()
    if load_demo():
        click.echo("Données de démonstration chargées : PORT SAINTE MARIE LA MER (STEMARIE66).")
    else:
        click.echo("Un port existe déjà : les données de démonstration n'ont pas été chargées.")


@click.command("backup")
@click.argument("destination", type=click.Path(file_okay=False))
@with_appcontext
def backup_command(destination):
    """Copy the database (online, consistent), the stored files and the instance keys into DESTINATION."""
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
    """Put a backup made by `backup` back in place (refused while the portal or the worker runs)."""
    path = sqlite_path(current_app)
    if path is None:
        raise click.ClickException("Base PostgreSQL : restaurez-la avec pg_restore (voir docs/deploy.md).")
    if not yes:
        click.confirm(f"Remplacer {path} par la sauvegarde {folder} ?", abort=True)
    if not database.is_closed():
        database.close()
    try:
        with used_alone(path):
            files = backup.restore(folder, path, data_dir(), current_app.instance_path)
    except DatabaseInUse:
        raise click.ClickException(
            "Le portail ou le worker utilise encore la base : arrêtez-les d'abord "
            "(systemctl stop marina-portal marina-worker), puis relancez la restauration. Rien n'a été modifié."
        ) from None
    except backup.BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Sauvegarde restaurée et vérifiée ({files} fichier(s)).")


def looks_like_production(config):
    """Settings that would serve real boaters: an https address and nothing the production check refuses."""
    return str(config.get("BASE_URL", "")).startswith("https://") and not production.problems(config)


def database_in_use(app):
    """The database this command works on, and where the settings came from: said before every command, so
    that nobody upgrades or fills a database other than the one gunicorn serves."""
    url = app.config["DATABASE"]
    shown = (
        sqlite_path(app)
        if "://" not in url or url.startswith("sqlite")
        else re.sub(r"//([^:/@]+):[^@]*@", r"//\1:…@", url)
    )
    sources = ", ".join(app.config.get("SETTINGS_SOURCES") or []) or "valeurs par défaut"
    return f"Base de données : {shown} (réglages : {sources})"


def _announcing(command):
    """Wrap a command (every leaf of a group) so that it first says, on standard error, which database it uses."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _announcing(sub)
        return
    callback = command.callback

    @functools.wraps(callback)
    def announced(*args, **kwargs):
        info = click.get_current_context().find_object(ScriptInfo)
        click.echo(database_in_use(info.load_app() if info else current_app), err=True)
        return callback(*args, **kwargs)

    command.callback = announced


def announce_database(app):
    """Called once every feature has registered its commands."""
    for command in app.cli.commands.values():
        _announcing(command)


def init_app(app):
    app.cli.add_command(init_db_command)
    app.cli.add_command(load_demo_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
