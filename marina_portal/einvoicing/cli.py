"""Command line: `flask --app marina_portal ereporting export --period AAAA-MM -o FILE`, and
`flask --app marina_portal einvoicing send --month AAAA-MM | read-back`."""

import click
from flask.cli import AppGroup

from marina_portal.einvoicing import ereporting, receiving, sending
from marina_portal.migrations import init_db
from marina_portal.models import Port

NO_PORT = "Aucun port dans la base : lancez d'abord `flask --app marina_portal init-db` puis créez le port."


def _port():
    port = Port.current()
    if port is None:
        raise click.ClickException(NO_PORT)
    return port


ereporting_cli = AppGroup("ereporting", help="E-reporting des ventes aux particuliers (docs/einvoicing.md).")
einvoicing_cli = AppGroup("einvoicing", help="Facturation électronique : envoi des factures, statuts, réception.")


@ereporting_cli.command("export")
@click.option("--period", required=True, help="Mois de la période, AAAA-MM (par exemple 2027-01).")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Fichier à écrire (sinon la sortie)."
)
def export_command(period, output):
    """Write the e-reporting file of the period (JSON, described field by field in docs/einvoicing.md)."""
    init_db()
    port = _port()
    try:
        body = ereporting.export(port, period)
    except sending.Refused as refusal:
        raise click.BadParameter(str(refusal), param_hint="--period") from None
    if output:
        with open(output, "wb") as f:
            f.write(body)
        click.echo(
            f"E-reporting {period} ({ereporting.PERIODS[port.ereporting_period]}) écrit dans {output}.", err=True
        )
    else:
        click.echo(body.decode(), nl=False)


@einvoicing_cli.command("send")
@click.option("--month", required=True, help="Mois des factures, AAAA-MM.")
def send_command(month):
    """Hand the month's business invoices and credit notes to their channel."""
    init_db()
    try:
        sent, problems = sending.send_month(_port(), month)
    except sending.Refused as refusal:
        raise click.BadParameter(str(refusal), param_hint="--month") from None
    click.echo(f"{len(sent)} document(s) déposé(s).")
    for problem in problems:
        click.echo(problem, err=True)


@einvoicing_cli.command("read-back")
def read_back_command():
    """Read the platforms' acknowledgements and the suppliers' invoices received."""
    init_db()
    changed, problems = sending.read_back()
    kept, more = receiving.collect()
    click.echo(f"{changed} statut(s) mis à jour, {kept} facture(s) fournisseur reçue(s).")
    for problem in problems + more:
        click.echo(problem, err=True)


def init_app(app):
    app.cli.add_command(ereporting_cli)
    app.cli.add_command(einvoicing_cli)
