"""`flask --app marina_portal import KIND FILE [--dry-run]`: the CSV import from the command line."""

import sys

import click

from marina_portal.imports import importing
from marina_portal.imports.kinds import KINDS
from marina_portal.migrations import init_db
from marina_portal.models import Port


def print_report(report):
    for problem in report.problems:
        column = f", colonne {problem.column}" if problem.column else ""
        click.echo(f"Ligne {problem.line}{column} : {problem.why}", err=True)
    if report.problems:
        click.echo(f"{len(report.problems)} erreur(s) : rien n'a été enregistré.", err=True)
    elif report.applied:
        click.echo(
            f"Import terminé : {report.created} créé(s), {report.updated} mis à jour, {report.unchanged} inchangé(s)."
        )
    else:
        click.echo(
            f"Essai sans enregistrement : {report.lines} ligne(s) correcte(s), "
            f"{report.created} à créer, {report.updated} déjà connue(s), "
            "mises à jour si elles ont changé."
        )


@click.command("import")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Check every line and report, without writing anything.")
def import_command(kind, file, dry_run):
    """Import a CSV file of KIND from the marina's previous software (see docs/import.md)."""
    init_db()
    port = Port.current()
    if port is None:
        raise click.ClickException("Aucun port dans la base : lancez d'abord load-demo ou créez le port.")
    data = file.read()
    with click.progressbar(length=max(1, data.count(b"\n")), label="Lecture des lignes", file=sys.stderr) as bar:
        report = importing.run(None, port, kind, data, dry_run=dry_run, progress=bar.update)
    print_report(report)
    if report.problems:
        sys.exit(1)


def init_app(app):
    app.cli.add_command(import_command)
