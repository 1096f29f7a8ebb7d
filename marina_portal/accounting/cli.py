"""Command line for the accountant: `flask --app marina_portal accounting fec --from … --to … -o FILE`."""

import datetime as dt

import click
from flask.cli import AppGroup

from marina_portal.accounting import exports, fec
from marina_portal.migrations import init_db
from marina_portal.models import Port

accounting_cli = AppGroup("accounting", help="Comptabilité : FEC et exports des ventes et des règlements.")


def _date(ctx, param, value):
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise click.BadParameter("date attendue au format AAAA-MM-JJ, par exemple 2027-12-31.") from None


def _period(start, end):
    if end < start:
        raise click.BadParameter("la fin de la période précède son début.", param_hint="--to")
    init_db()
    port = Port.current()
    if port is None:
        raise click.ClickException("Aucun port : créez-le d'abord (load-demo ou staff create).")
    return port


@accounting_cli.command("fec")
@click.option("--from", "start", required=True, callback=_date, help="Premier jour (AAAA-MM-JJ).")
@click.option("--to", "end", required=True, callback=_date, help="Dernier jour (AAAA-MM-JJ).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True), help="Fichier à écrire.")
def fec_command(start, end, output):
    """Write the FEC of the period (18 columns of article A47 A-1 LPF, tab-separated)."""
    port = _period(start, end)
    with open(output, "w", encoding="utf-8", newline="") as out:
        count = fec.write(port, start, end, out)
    click.echo(f"FEC du {start:%d/%m/%Y} au {end:%d/%m/%Y} : {count} ligne(s) d'écriture dans {output}.", err=True)
    click.echo(f"Nom attendu par l'administration : {fec.file_name(port, end)}", err=True)


@accounting_cli.command("csv")
@click.argument("kind", type=click.Choice(["sales", "receipts"]))
@click.option("--from", "start", required=True, callback=_date)
@click.option("--to", "end", required=True, callback=_date)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def csv_command(kind, start, end, output):
    """Write the period's sales or receipts as a plain CSV (';' separated)."""
    port = _period(start, end)
    body = (exports.sales_csv if kind == "sales" else exports.receipts_csv)(port, start, end)
    with open(output, "w", encoding="utf-8", newline="") as out:
        out.write(body)
    click.echo(f"Export écrit dans {output}.", err=True)


def init_app(app):
    app.cli.add_command(accounting_cli)
