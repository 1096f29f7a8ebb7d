"""The billing's mails to boaters: « Votre facture est disponible » and the reminders, each with a pay link."""

from marina_portal.billing import pay_links, schedules
from marina_portal.core.i18n import N_
from marina_portal.core.mail import dispatch, queue, render_email, send_email
from marina_portal.core.queue import request_context

SUBJECTS = {
    "reminder": N_("Relance — facture %(number)s"),
    "formal_notice": N_("Mise en demeure de payer — facture %(number)s"),
}


def address_of(customer):
    """Where invoices go: the customer's billing address when set, else the address on file."""
    return (getattr(customer, "billing_email", None) or customer.email or "").strip()


def invoice_available(invoice):
    """« Votre facture est disponible », with the link that pays it, rendered; None when the boater has no address."""
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
            pay_url=pay_links.url(invoice),
            instalments=schedules.instalments(invoice) if schedules.in_instalments(invoice) else [],
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
            pay_url=pay_links.url(invoice),
        )
