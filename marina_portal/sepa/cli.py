"""Command line for direct debits: `flask --app marina_portal sepa export | return | lapse`."""

import datetime as dt

import click
from flask.cli import AppGroup

from marina_portal.core.formats import euros, paris_today
from marina_portal.core.storage import write_whole
from marina_portal.migrations import init_db
from marina_portal.models import DirectDebit, Mandate, Port
from marina_portal.sepa import collection, mandates

sepa_cli = AppGroup("sepa", help="Prélèvements SEPA : lots pain.008, rejets, mandats caducs.")


def _date(ctx, param, value):
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise click.BadParameter("date attendue au format AAAA-MM-JJ, par exemple 2026-12-15.") from None


@sepa_cli.command("export")
@click.option("--collection-date", required=True, callback=_date, help="Date de prélèvement (AAAA-MM-JJ).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Fichier à écrire (sinon la sortie standard).",
)
@click.option(
    "--format",
    "message_format",
    type=click.Choice(collection.FORMATS),
    default=collection.DEFAULT_FORMAT,
    show_default=True,
)
def export_command(collection_date, output, message_format):
    """Write the pain.008 batch of every active mandate's balances due by the collection date."""
    init_db()
    try:
        batch, xml = collection.export_batch(Port.current(), collection_date, message_format)
    except collection.SepaError as e:
        raise click.ClickException(str(e)) from None
    if output:
        write_whole(output, xml)  # a full disk leaves no truncated file for the bank
    else:
        click.echo(xml)
    total = sum(d.amount_cents for d in batch.debits)
    click.echo(
        f"Lot n° {batch.id} ({message_format}) : {len({d.mandate_id for d in batch.debits})} prélèvement(s), "
        f"{euros(total)}, le {collection_date:%d/%m/%Y}.",
        err=True,
    )
    unnotified = sorted(
        {
            d.mandate.rum
            for d in DirectDebit.select(DirectDebit, Mandate)
            .join(Mandate)
            .where((DirectDebit.batch == batch) & DirectDebit.prenotified_at.is_null())
        }
    )
    if unnotified:
        click.echo("Sans adresse mail, à prévenir par courrier : " + ", ".join(unnotified), err=True)


@sepa_cli.command("return")
@click.argument("end_to_end_id")
@click.option("--reason", default="", help="Code motif de la banque, par exemple AM04.")
def return_command(end_to_end_id, reason):
    """Record that the bank returned a collection (its EndToEndId): the invoices' balances reopen."""
    init_db()
    try:
        debits = collection.record_return(end_to_end_id, reason)
    except collection.SepaError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Prélèvement {end_to_end_id} rejeté : {euros(sum(d.amount_cents for d in debits))} à nouveau dus.")


@sepa_cli.command("lapse")
def lapse_command():
    """Mark mandates with no collection for 36 months as lapsed, and settle debits a week old."""
    init_db()
    lapsed = mandates.lapse_dormant(paris_today())
    settled = collection.settle()
    click.echo(f"{len(lapsed)} mandat(s) devenu(s) caduc(s), {settled} prélèvement(s) réputé(s) encaissé(s).")


def init_app(app):
    app.cli.add_command(sepa_cli)
