"""Command line for the yearly run: `flask --app marina_portal billing renew | run --year YYYY [--dry-run]`."""

import sys

import click
from flask.cli import AppGroup

from marina_portal.billing import yearly_run
from marina_portal.core.formats import euros
from marina_portal.migrations import init_db
from marina_portal.models import BillingRun, Port

billing_cli = AppGroup("billing", help="Facturation : renouvellement des contrats et émission annuelle des factures.")


def _port():
    init_db()
    port = Port.current()
    if port is None:
        raise click.ClickException("Aucun port : créez-le d'abord (load-demo ou staff create).")
    return port


def _echo_plan(plan, what):
    click.echo(f"{what} {plan.year} : {plan.count} ({euros(plan.total_cents)} TTC) ; déjà faits : {plan.done_before}.")
    for category, (count, total) in plan.by_category.items():
        click.echo(f"  {category} : {count}, {euros(total)}")
    for contract, reason in plan.anomalies:
        click.echo(f"  Anomalie — contrat {contract.number} ({contract.customer.full_name}) : {reason}")
    for reason in plan.blocking:
        click.echo(f"  Bloquant : {reason}")


@billing_cli.command("run")
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="Saison à facturer.")
@click.option("--dry-run", is_flag=True, help="Affiche ce qui serait émis, sans rien émettre.")
def run_command(year, dry_run):
    """Issue the invoice of every active contract of the season (a second run issues nothing more)."""
    port = _port()
    plan = yearly_run.invoicing_plan(port, year)
    _echo_plan(plan, "Factures à émettre")
    if dry_run:
        return
    if plan.blocking:
        raise click.ClickException(" ".join(plan.blocking))
    if not plan.items:
        click.echo("Rien à émettre.")
        return
    run = BillingRun.create(port=port, year=year, kind="invoicing", total=plan.count)
    with click.progressbar(length=plan.count, label="Émission", file=sys.stderr) as bar:
        run = yearly_run.execute(run.id, on_progress=bar.update)
    click.echo(f"{run.done} facture(s) émise(s) et envoyée(s) par mail (run n° {run.id}).")


@billing_cli.command("renew")
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="Saison des nouveaux contrats.")
@click.option("--dry-run", is_flag=True)
def renew_command(year, dry_run):
    """Make next season's draft of every contract of the season before, at the new tariff."""
    port = _port()
    plan = yearly_run.renewal_plan(port, year)
    _echo_plan(plan, "Contrats à renouveler")
    if dry_run:
        return
    try:
        made = yearly_run.renew(None, port, year)
    except yearly_run.Refused as refusal:
        raise click.ClickException(str(refusal)) from None
    click.echo(f"{made} contrat(s) {year} créé(s) en brouillon.")


def init_app(app):
    app.cli.add_command(billing_cli)
