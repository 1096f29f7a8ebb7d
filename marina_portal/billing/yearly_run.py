"""The yearly run: every active contract renewed into next season's draft at the new tariff, then every
contract of a season invoiced — previewed first (how many, total by category, anomalies), then issued in
the background with its progress, each boater mailed « Votre facture est disponible » with a pay link.

Each contract is renewed once (ContractRenewal, unique) and invoiced once per season (YearlyInvoice, unique,
and no run invoices a contract that already has an invoice, e.g. one typed by hand): a second run makes
nothing more. Invoices are issued by chunks, each in one transaction under the write lock, so that numbers
stay gapless and a crash loses no number (billing/numbering.py).
"""

import datetime as dt
import logging
from collections import OrderedDict
from dataclasses import dataclass, field

from peewee import JOIN, SQL, fn

from marina_portal.billing import invoicing, legal, mailing
from marina_portal.contracts import office
from marina_portal.core import audit
from marina_portal.core.db import database, write_locked
from marina_portal.core.formats import paris_today
from marina_portal.core.mail import queue_many, sweep_mail
from marina_portal.core.queue import app_context, huey, request_context
from marina_portal.core.refusals import Refusal
from marina_portal.models import (
    Berth,
    BillingRun,
    BillingRunStatus,
    Boat,
    Contract,
    ContractRenewal,
    ContractStatus,
    ContractTerms,
    Customer,
    Invoice,
    Port,
    YearlyInvoice,
    utcnow,
)
from marina_portal.sepa import planned
from marina_portal.tariffs import grid

log = logging.getLogger(__name__)
CHUNK = 50
ACTIVE = ("sent", "signed")


class Refused(Refusal):
    """A run that can't start, with the words to show."""


@dataclass
class Item:
    """One contract the run will act on, with the price it gets."""

    contract: Contract
    category: str
    ttc_cents: int
    line: invoicing.Line = None


@dataclass
class Plan:
    year: int
    items: list = field(default_factory=list)
    anomalies: list = field(default_factory=list)  # (contract, reason in French)
    blocking: list = field(default_factory=list)  # what stops the whole run (French)
    done_before: int = 0  # contracts already renewed or invoiced

    @property
    def count(self):
        return len(self.items)

    @property
    def total_cents(self):
        return sum(i.ttc_cents for i in self.items)

    @property
    def by_category(self):
        found = OrderedDict()
        for item in sorted(self.items, key=lambda i: i.category):
            count, total = found.get(item.category, (0, 0))
            found[item.category] = (count + 1, total + item.ttc_cents)
        return found


def _contracts(port):
    return (
        Contract.select(Contract, Customer, Boat, Berth)
        .join(Customer)
        .switch(Contract)
        .join(Boat, JOIN.LEFT_OUTER)
        .switch(Contract)
        .join(Berth, JOIN.LEFT_OUTER)
        .where(Contract.port == port)
        .order_by(Contract.number)
    )


def _price(contract, tariff, rates):
    """(quote or None, reason) for a contract's boat on its berth; reason None when priced."""
    if contract.boat_id is None:
        return None, "contrat sans bateau"
    if contract.berth_id is None:
        return None, "contrat sans poste"
    if not contract.boat.length_cm:
        return None, f"bateau {contract.boat.name} sans longueur"
    if tariff is None:
        return None, "pas de tarif publié pour la saison"
    try:
        period = grid.period_of_contract(contract.contract_type)
        quote = grid.quote(
            tariff, contract.berth.category, period, contract.boat.length_cm, contract.boat.beam_cm, rates
        )
    except grid.NoRate as no_rate:
        return None, str(no_rate)
    return quote, None


def _shift(day, years=1):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- renewal --------------------------------------------------------------------------------------


def renewal_plan(port, year):
    """Contracts of season year-1, not cancelled nor renewed yet, priced at season `year`'s tariff."""
    tariff = grid.season(port, year)
    rates = grid.rates_of(tariff) if tariff else []
    plan = Plan(year)
    if tariff is None:
        plan.blocking.append(f"Publiez d'abord les tarifs {year} (menu Tarifs).")
    renewed = ContractRenewal.select(SQL("1")).where(ContractRenewal.contract == Contract.id)
    query = _contracts(port).where(
        (Contract.status != ContractStatus.CANCELLED)
        & Contract.ends_on.between(dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 31))
    )
    plan.done_before = query.where(fn.EXISTS(renewed)).count()
    for contract in query.where(~fn.EXISTS(renewed)):
        quote, reason = _price(contract, tariff, rates)
        if reason:
            plan.anomalies.append((contract, reason))
        else:
            plan.items.append(Item(contract, contract.berth.category, quote.ttc_cents))
    return plan


def _renewal_number(port, contract, year):
    old = contract.number
    number = f"{year}{old[4:]}" if old.startswith(f"{year - 1}") else f"{old}-{year}"
    while Contract.select().where((Contract.port == port) & (Contract.number == number)).exists():
        number += "R"
    return number


def renew(user, port, year, ip=""):
    """Make next season's draft of every contract of the plan; returns how many were made."""
    plan = renewal_plan(port, year)
    if plan.blocking:
        raise Refused(" ".join(plan.blocking))
    made = 0
    for chunk in _chunked(plan.items):
        with write_locked(Contract.select().where(Contract.id.in_([i.contract.id for i in chunk]))):
            for item in chunk:
                old = item.contract
                if ContractRenewal.select().where(ContractRenewal.contract == old.id).exists():
                    continue
                new = Contract.create(
                    port=port,
                    customer=old.customer_id,
                    boat=old.boat_id,
                    berth=old.berth_id,
                    terms=ContractTerms.latest(port, old.contract_type) or old.terms_id,
                    number=_renewal_number(port, old, year),
                    contract_type=old.contract_type,
                    starts_on=_shift(old.starts_on),
                    ends_on=_shift(old.ends_on),
                    price_cents=item.ttc_cents,
                    payment_terms=old.payment_terms,
                    payment_schedule=old.payment_schedule,  # the boater keeps paying the way they chose
                    status=ContractStatus.DRAFT,
                )
                ContractRenewal.create(contract=old.id, renewal=new.id)
                audit.record(
                    user,
                    "contract.renew",
                    new,
                    None,
                    {"from": old.id, "number": new.number, "price_cents": new.price_cents},
                    ip,
                )
                made += 1
    return made


def renewal_drafts(port, year):
    return list(
        _contracts(port)
        .join(ContractRenewal, on=(ContractRenewal.renewal == Contract.id))
        .where(
            (Contract.status == ContractStatus.DRAFT)
            & Contract.starts_on.between(dt.date(year, 1, 1), dt.date(year, 12, 31))
        )
    )


def send_renewals(user, port, year, ip=""):
    """Send every renewal draft of the season for signature; (sent, [contracts without an address])."""
    sent, without = 0, []
    for contract in renewal_drafts(port, year):
        try:
            office.send_for_signature(user, contract, ip)
            sent += 1
        except office.Refused:
            without.append(contract)
    return sent, without


# --- invoicing ------------------------------------------------------------------------------------


def _line(contract, quote, year, charges_vat=True):
    """The invoice line: the tariff's own line when it gives the contract's price, else the contract's TTC price."""
    period = grid.PERIODS.get(grid.period_of_contract(contract.contract_type), "")
    description = (
        f"Redevance d'amarrage {year}, {period} — poste {contract.berth.code}, "
        f"{contract.boat.name} ({grid.metres(contract.boat.length_cm)} m)"
    )
    if quote is not None and (not contract.price_cents or quote.ttc_cents == contract.price_cents):
        return invoicing.Line(
            description, quote.quantity_milli, unit_price_cents=quote.unit_price_cents, vat_rate_bp=quote.vat_rate_bp
        )
    rate = quote.vat_rate_bp if quote is not None else (2000 if charges_vat else 0)
    ttc = contract.price_cents
    guess = invoicing.round_div(ttc * 10000, 10000 + rate)
    ht = next((h for h in (guess, guess - 1, guess + 1) if h + invoicing.round_div(h * rate, 10000) == ttc), guess)
    return invoicing.Line(description, 1000, unit_price_cents=ht, vat_rate_bp=rate)


def _invoiced():
    return Invoice.select(SQL("1")).where(Invoice.contract == Contract.id)


def invoicing_plan(port, year):
    """Contracts of season `year` sent or signed and not invoiced yet, each with its line; and what is wrong."""
    tariff = grid.season(port, year)
    rates = grid.rates_of(tariff) if tariff else []
    plan = Plan(year)
    missing = legal.missing_identity(port)
    if missing:
        plan.blocking.append("Avant d'émettre des factures, renseignez dans Paramètres : " + ", ".join(missing) + ".")
    season = Contract.starts_on.between(dt.date(year, 1, 1), dt.date(year, 12, 31)) & (
        Contract.status != ContractStatus.CANCELLED
    )
    query = _contracts(port).where(season)
    plan.done_before = query.where(fn.EXISTS(_invoiced())).count()
    for contract in query.where(~fn.EXISTS(_invoiced())):
        if contract.status not in ACTIVE:
            plan.anomalies.append((contract, "contrat en brouillon : envoyez-le pour signature"))
            continue
        quote, reason = _price(contract, tariff, rates)
        if contract.boat_id is None or contract.berth_id is None or (contract.boat and not contract.boat.length_cm):
            plan.anomalies.append((contract, reason))
            continue
        if quote is None and not contract.price_cents:
            plan.anomalies.append((contract, reason or "contrat sans prix"))
            continue
        line = _line(contract, quote, year, legal.charges_vat(port))
        plan.items.append(Item(contract, contract.berth.category, line.total_ht_cents + line.total_vat_cents, line))
    return plan


def start(user, port, year, ip=""):
    """Record the run and hand it to the worker (at once in immediate mode); refused when blocked or empty."""
    plan = invoicing_plan(port, year)
    if plan.blocking:
        raise Refused(" ".join(plan.blocking))
    if not plan.items:
        raise Refused(f"Aucune facture à émettre pour {year} : tout est déjà facturé ou en anomalie.")
    running = BillingRun.select().where(
        (BillingRun.port == port)
        & (BillingRun.kind == "invoicing")
        & (BillingRun.status == BillingRunStatus.RUNNING)
        & (BillingRun.started_at > utcnow() - dt.timedelta(minutes=30))
    )
    if running.exists():
        raise Refused("Une émission est déjà en cours : suivez-la avant d'en lancer une autre.")
    run = BillingRun.create(
        port=port, year=year, kind="invoicing", total=plan.count, created_by=getattr(user, "id", None)
    )
    audit.record(
        user,
        "billing.run_start",
        run,
        None,
        {"year": year, "invoices": plan.count, "total_cents": plan.total_cents},
        ip,
    )
    run_invoicing(run.id)
    return run


@huey.task(retries=2, retry_delay=30)
def run_invoicing(run_id):
    with app_context():
        execute(run_id)


def execute(run_id, today=None, on_progress=None):
    """Issue the run's invoices by chunks, mail each boater; safe to run again (it skips what is done)."""
    run = BillingRun.get_by_id(run_id)
    today = today or paris_today()
    try:
        plan = invoicing_plan(run.port, run.year)
        if plan.blocking:
            raise Refused(" ".join(plan.blocking))
        BillingRun.update(total=run.done + plan.count).where(BillingRun.id == run.id).execute()
        for chunk in _chunked(plan.items):
            issued = _issue_chunk(run, chunk, today)
            BillingRun.update(done=BillingRun.done + len(chunk)).where(BillingRun.id == run.id).execute()
            _mail(issued)
            if on_progress:
                on_progress(len(chunk))
        _mail_left(run)
    except Exception:
        BillingRun.update(status=BillingRunStatus.FAILED, finished_at=utcnow()).where(BillingRun.id == run.id).execute()
        raise
    BillingRun.update(status=BillingRunStatus.DONE, finished_at=utcnow()).where(BillingRun.id == run.id).execute()
    return BillingRun.get_by_id(run.id)


def _issue_chunk(run, chunk, today):
    """Draft the chunk's invoices, then number them all at once (invoicing.issue_many: one lock, one series
    read), in the transaction that holds the chunk's contracts."""
    ids = [item.contract.id for item in chunk]
    with write_locked(Contract.select().where(Contract.id.in_(ids))):
        done = {c for (c,) in Invoice.select(Invoice.contract).where(Invoice.contract.in_(ids)).tuples()}
        drafts = {}  # draft invoice id -> contract id, in the chunk's order
        for item in chunk:
            contract = item.contract
            if contract.id in done:
                continue
            draft = invoicing.create_draft(
                None,
                contract.customer,
                f"Facture de contrat {contract.contract_type}",
                [item.line],
                contract_id=contract.id,
                service_from=contract.starts_on,
                service_to=contract.ends_on,
                issued_on=today,
            )
            drafts[draft.id] = contract.id
        issued = list(invoicing.issue_many(list(drafts), on=today))
        if issued:
            YearlyInvoice.insert_many([{"contract": drafts[i], "invoice": i, "run": run.id} for i in issued]).execute()
    return issued


def _mail(invoice_ids):
    """« Votre facture est disponible » to each boater, all of a chunk over one SMTP connection (a worker task)."""
    if not invoice_ids:
        return
    invoices = (
        Invoice.with_paid()
        .select_extend(Customer, Port)
        .join(Customer)
        .switch(Invoice)
        .join(Port)
        .where(Invoice.id.in_(invoice_ids))
    )
    invoices = list(invoices)
    plans = planned.for_customers([i.customer_id for i in invoices])  # who pays by direct debit: two queries
    messages, mailed = [], []
    with request_context():  # one for the chunk: every pay link is built from BASE_URL
        for invoice in invoices:
            message = mailing.invoice_available(invoice, plans[invoice.customer_id])
            if message is not None:
                messages.append(message)
                mailed.append(invoice.id)
    if messages:
        # Kept until delivered (core.mail): queued with their mark in one transaction, then sent by the worker.
        with database.atomic():
            queue_many(messages, "invoice_available")
            YearlyInvoice.update(mailed_at=utcnow()).where(YearlyInvoice.invoice.in_(mailed)).execute()
        sweep_mail()


def _mail_left(run):
    """Mails a first attempt did not send (the worker restarted between issuing and mailing)."""
    left = [
        y.invoice_id
        for y in YearlyInvoice.select().where((YearlyInvoice.run == run.id) & YearlyInvoice.mailed_at.is_null())
    ]
    if left:
        _mail(left)


def _chunked(items):
    for start_at in range(0, len(items), CHUNK):
        yield items[start_at : start_at + CHUNK]


def latest_run(port, year):
    return (
        BillingRun.select()
        .where((BillingRun.port == port) & (BillingRun.year == year) & (BillingRun.kind == "invoicing"))
        .order_by(BillingRun.id.desc())
        .first()
    )
