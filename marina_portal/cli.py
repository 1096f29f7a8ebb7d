"""Command line of the whole portal: `flask --app marina_portal init-db | load-demo | backup | restore`.

Each feature registers its own commands (`staff`, `sepa`, `import`) in create_app."""

import click
from flask import current_app
from flask.cli import with_appcontext

from marina_portal.core import backup
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


def init_app(app):
    app.cli.add_command(init_db_command)
    app.cli.add_command(load_demo_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
