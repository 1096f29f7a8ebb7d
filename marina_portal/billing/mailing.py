"""The billing's mails to boaters: « Votre facture est disponible » and the reminders, each with a pay link.

A boater whose mandate collects the invoice gets no pay link (the card would pay it twice) but the word that
direct debit takes care of it.
"""

from marina_portal.billing import pay_links, schedules
from marina_portal.core.i18n import N_
from marina_portal.core.mail import dispatch, queue, render_email, send_email
from marina_portal.core.queue import request_context
from marina_portal.sepa import planned

SUBJECTS = {
    "reminder": N_("Relance — facture %(number)s"),
    "formal_notice": N_("Mise en demeure de payer — facture %(number)s"),
}


def address_of(customer):
    """Where invoices go: the customer's billing address when set, else the address on file."""
    return (getattr(customer, "billing_email", None) or customer.email or "").strip()


def _how_to_pay(invoice, plan=None):
    """The template fields on paying: the pay link, or `by_debit` (and `debit_date`, None until the batch is out).
    `plan`, the customer's sepa.planned.DebitPlan when the caller read it for many invoices at once."""
    plan = plan or planned.for_customer(invoice.customer_id)
    if plan.collects(invoice):
        return {"pay_url": None, "by_debit": True, "debit_date": plan.date_for(invoice)}
    return {"pay_url": pay_links.url(invoice), "by_debit": False, "debit_date": None}


def invoice_available(invoice, plan=None):
    """« Votre facture est disponible », with the link that pays it, rendered; None when the boater has no address.
    `plan`: see _how_to_pay."""
    to = address_of(invoice.customer)
    if not to:
        return None
    with request_context():
        subject, text, html = render_email(
            N_("Votre facture est disponible — %(number)s"),
            "invoice_available",
            language=invoice.customer.language,
            subject_fields={"number": invoice.number},
            port=invoice.port,
            customer=invoice.customer,
            invoice=invoice,
            **_how_to_pay(invoice, plan),
            instalments=schedules.shown(invoice),
        )
    return {"to": to, "subject": subject, "text": text, "html": html, "recipient": invoice.id}


def send_invoice_available(invoice):
    message = invoice_available(invoice)
    if message is None:
        return False
    dispatch(queue(message["to"], message["subject"], message["text"], message["html"]).id)
    return True


def send_reminder(invoice, reminder):
    with request_context():
        send_email(
            reminder.email,
            SUBJECTS[reminder.kind],
            "invoice_reminder",
            language=invoice.customer.language,
            subject_fields={"number": invoice.number},
            port=invoice.port,
            customer=invoice.customer,
            invoice=invoice,
            reminder=reminder,
            **_how_to_pay(invoice),
        )
