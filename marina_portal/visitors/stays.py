"""A visitor's stay: the price from the grid, the hold on the nights while they pay, and what the bank's
confirmation does (the invoice issued, the holder's credit, the receipt with the gate code).

Two visitors on one berth and night: the hold is written under the database's write lock after the nights are
checked again, and (berth, night) is unique, so one wins and the other is told before reaching the bank. A
hold lasts HOLD_FOR, longer than the bank's payment page; a payment confirmed after its hold expired takes the
nights if they are still free, else the office is told to refund it (status "conflict").
"""

import datetime as dt
import logging
from dataclasses import dataclass

from peewee import IntegrityError

from marina_portal.billing import invoicing
from marina_portal.core import audit
from marina_portal.core.db import write_locked
from marina_portal.core.formats import euros, fr_date, metres, paris_today
from marina_portal.core.i18n import N_
from marina_portal.core.mail import send_email
from marina_portal.core.refusals import Refusal
from marina_portal.models import Berth, Customer, Invoice, Port, VisitorNight, VisitorStay, VisitorStayStatus, utcnow
from marina_portal.payments import operations
from marina_portal.tariffs import grid
from marina_portal.visitors import availability, credits, desk

log = logging.getLogger(__name__)
HOLD_FOR = dt.timedelta(minutes=60)


class StayRefused(Refusal):
    """A stay that can't be sold, with the words to show the visitor."""


@dataclass
class Ask:
    """What the visitor typed."""

    boat_name: str
    length_cm: int
    arrives_on: dt.date
    nights: int
    visitor_name: str
    email: str
    street: str = ""  # the card holder's address: the bank's 3-D Secure asks for it
    postcode: str = ""
    town: str = ""
    country: str = "FR"


@dataclass
class Price:
    """The stay's price from the grid: one invoice line of `nights` nights."""

    line: invoicing.Line
    total_cents: int
    night_cents: list  # TTC per night, summing to total_cents


def berth_by_code(port, code):
    return Berth.get_or_none((Berth.port == port) & (Berth.code == code))


def check(port, berth, ask, today=None):
    """Refuse what can't be sold (dates, size, a night not free); return the Price."""
    today = today or paris_today()
    if ask.arrives_on is None or ask.arrives_on < today:
        raise StayRefused(N_("Indiquez votre date d'arrivée : aujourd'hui ou plus tard."))
    if ask.arrives_on > today + dt.timedelta(days=availability.BOOK_AHEAD_DAYS):
        raise StayRefused(N_("Une escale se paie au plus 60 jours à l'avance."))
    if not 1 <= ask.nights <= availability.MAX_NIGHTS:
        raise StayRefused(N_("Indiquez de 1 à 14 nuits."))
    if berth.length_cm and ask.length_cm > berth.length_cm:
        raise StayRefused(
            N_(
                "Votre bateau (%(boat)s) est plus long que ce poste (%(berth)s) : "
                "demandez une autre place à la capitainerie."
            ),
            boat=metres(ask.length_cm),
            berth=metres(berth.length_cm),
        )
    for night, state, _ in availability.nights(berth, ask.arrives_on, ask.nights):
        if state != "free":
            raise StayRefused(
                N_(
                    "Le poste %(code)s n'est pas libre la nuit du %(date)s : "
                    "choisissez un autre poste libre ou appelez la capitainerie."
                ),
                code=berth.code,
                date=fr_date(night),
            )
    return price(port, berth, ask)


def price(port, berth, ask):
    tariff = grid.season(port, ask.arrives_on.year)
    if tariff is None:
        raise StayRefused(N_("Les tarifs de la saison %(year)s ne sont pas encore publiés."), year=ask.arrives_on.year)
    quote = grid.quote(tariff, berth.category, "night", ask.length_cm)
    leaves_on = ask.arrives_on + dt.timedelta(days=ask.nights)
    line = invoicing.Line(
        f"Escale au poste {berth.code}, {ask.nights} nuit(s) du {fr_date(ask.arrives_on)} au {fr_date(leaves_on)} "
        f"— bateau {ask.boat_name} ({metres(ask.length_cm)})",
        ask.nights * quote.quantity_milli,
        unit_price_e4=quote.unit_price_cents * 100,
        vat_rate_bp=quote.vat_rate_bp,
        unit="nuit",
    )
    total = line.total_ht_cents + line.total_vat_cents
    share = total // ask.nights
    nights = [share] * ask.nights
    nights[-1] += total - share * ask.nights
    return Price(line, total, nights)


def hold(port, berth, ask, now=None):
    """Hold the nights for this visitor while they pay: the stay, its visitor, its draft invoice. StayRefused when
    another visitor took a night first (checked again under the write lock)."""
    now = now or utcnow()
    try:
        with write_locked(Berth.select().where(Berth.id == berth.id)):
            expire(berth.id, now)
            found = check(port, berth, ask)
            states = dict((n, d) for n, _, d in availability.nights(berth, ask.arrives_on, ask.nights, now))
            customer = Customer.create(
                port=port,
                last_name=ask.visitor_name.upper(),
                email=ask.email,
                street=ask.street,
                postcode=ask.postcode,
                town=ask.town,
                country=ask.country,
                kind="individual",
            )
            invoice = invoicing.create_draft(
                None,
                customer,
                f"Escale {berth.code}",
                [found.line],
                service_from=ask.arrives_on,
                service_to=ask.arrives_on + dt.timedelta(days=ask.nights),
            )
            stay = VisitorStay.create(
                port=port,
                berth=berth,
                boat_name=ask.boat_name,
                length_cm=ask.length_cm,
                visitor_name=ask.visitor_name,
                email=ask.email,
                arrives_on=ask.arrives_on,
                leaves_on=ask.arrives_on + dt.timedelta(days=ask.nights),
                total_cents=found.total_cents,
                held_until=now + HOLD_FOR,
                customer=customer,
                invoice=invoice,
            )
            for night, cents in zip(availability.nights_of(ask.arrives_on, ask.nights), found.night_cents):
                absence = states.get(night)
                VisitorNight.create(
                    stay=stay, berth=berth, night=night, price_cents=cents, absence=getattr(absence, "id", None)
                )
    except IntegrityError:  # another server wrote the same berth and night first (PostgreSQL)
        raise StayRefused(
            N_("Un autre bateau vient de réserver ce poste pour ces nuits : choisissez un autre poste libre.")
        ) from None
    return stay


def expire(berth_id, now=None):
    """Free the nights of holds past their time on this berth (their draft invoices stay, unpaid)."""
    now = now or utcnow()
    old = VisitorStay.select(VisitorStay.id).where(
        (VisitorStay.berth == berth_id)
        & (VisitorStay.status == VisitorStayStatus.HELD)
        & (VisitorStay.held_until <= now)
    )
    ids = [row.id for row in old]
    if ids:
        VisitorNight.delete().where(VisitorNight.stay.in_(ids)).execute()
        VisitorStay.update(status=VisitorStayStatus.EXPIRED).where(VisitorStay.id.in_(ids)).execute()


def pay(stay, ask):
    """The bank form for the held stay (the draft invoice's whole price)."""
    invoice = Invoice.with_paid().where(Invoice.id == stay.invoice_id).get()
    return operations.start_attempt(invoice, stay.customer, ask.email)


@operations.after_payment
def paid(attempt):
    """The bank confirmed a card payment: if it is a visitor's, the stay is theirs. True when it was one."""
    stay = VisitorStay.get_or_none(VisitorStay.invoice == attempt.invoice_id)
    if stay is None:
        return False
    with write_locked(Berth.select().where(Berth.id == stay.berth_id)):
        stay = VisitorStay.get_by_id(stay.id)
        if stay.status == VisitorStayStatus.EXPIRED and not _take_back(stay):
            VisitorStay.update(status=VisitorStayStatus.CONFLICT, paid_at=utcnow()).where(
                VisitorStay.id == stay.id
            ).execute()
            audit.record(None, "visitor.conflict", ("visitor_stay", stay.id), None, {"attempt": attempt.reference})
            _tell_office(stay, "conflict")
            return True
        VisitorStay.update(status=VisitorStayStatus.PAID, paid_at=utcnow()).where(VisitorStay.id == stay.id).execute()
        audit.record(None, "visitor.paid", ("visitor_stay", stay.id), None, {"attempt": attempt.reference})
    invoice = _issue(stay)
    credits.from_stay(stay)
    _receipt(VisitorStay.get_by_id(stay.id), invoice)
    return True


def _take_back(stay):
    """An expired hold paid late: its nights again if nobody took them meanwhile."""
    berth = Berth.get_by_id(stay.berth_id)
    nights = (stay.leaves_on - stay.arrives_on).days
    states = availability.nights(berth, stay.arrives_on, nights)
    if any(state != "free" for _, state, _ in states):
        return False
    ask = Ask(stay.boat_name, stay.length_cm, stay.arrives_on, nights, stay.visitor_name, stay.email)
    shares = price(Port.get_by_id(stay.port_id), berth, ask).night_cents
    for (night, _, absence), cents in zip(states, shares):
        VisitorNight.create(
            stay=stay, berth=berth, night=night, price_cents=cents, absence=getattr(absence, "id", None)
        )
    return True


def _issue(stay):
    try:
        return invoicing.issue(stay.invoice_id)
    except invoicing.Refused as refusal:  # the port's identity is incomplete: the office issues it later
        log.warning("visitor stay %s: invoice left as a draft (%s)", stay.id, refusal)
        _tell_office(stay, "draft", str(refusal))
        return Invoice.get_by_id(stay.invoice_id)


def _receipt(stay, invoice):
    port = Port.get_by_id(stay.port_id)
    try:
        send_email(
            stay.email,
            N_("Votre escale au poste %(code)s est payée"),
            "visitor_receipt",
            subject_fields={"code": stay.berth.code},
            port=port,
            stay=stay,
            invoice=invoice,
            nights=(stay.leaves_on - stay.arrives_on).days,
            gate_code=desk.of_port(port).gate_code,
            amount=euros(stay.total_cents),
        )
    except Exception:  # the payment is recorded whatever happens to the mail
        log.exception("visitor receipt for stay %s not sent", stay.id)


def _tell_office(stay, event, why=""):
    port = Port.get_by_id(stay.port_id)
    if not port.email:
        return
    subjects = {
        "conflict": f"Escale payée sur un poste déjà repris : à rembourser ({stay.berth.code})",
        "draft": f"Escale payée : facture à émettre ({stay.berth.code})",
    }
    send_email(port.email, subjects[event], "visitor_office", language="fr", port=port, stay=stay, event=event, why=why)
