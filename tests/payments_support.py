"""Shared by the payment tests: an independent signer for bank notifications, and the portal's payment form."""

import hashlib
import hmac
import html
import re

from conftest import csrf_token

from marina_portal.core.db import database
from marina_portal.models import Invoice

DEMO_KEY_BYTES = bytes.fromhex("1234567890123456789012345678901234567890")  # the demo key, per vector V3
OK, BAD = "version=2\ncdr=0\n", "version=2\ncdr=1\n"


def sign(fields):
    text = "*".join(f"{k}={v}" for k, v in sorted(fields.items(), key=lambda kv: kv[0].encode()) if k != "MAC")
    return dict(fields, MAC=hmac.new(DEMO_KEY_BYTES, text.encode(), hashlib.sha1).hexdigest().upper())


def notification(reference, montant="850.00EUR", code="paiement", **extra):
    fields = {
        "TPE": "1234567",
        "date": "01/03/2026_a_10:00:00",
        "montant": montant,
        "reference": reference,
        "texte-libre": "Facture",
        "code-retour": code,
        "cvx": "oui",
        "vld": "1230",
        "brand": "CB",
        "numauto": "000001",
        "usage": "debit",
        "typecompte": "particulier",
        "ecard": "non",
        "originecb": "FRA",
        "bincb": "000003",
        "hpancb": "AB" * 20,
        "ipclient": "127.0.0.1",
        "originetr": "FRA",
        "modepaiement": "CB",
        "authentification": "e30=",
    }
    fields.update(extra)
    return sign(fields)


def bank_form(page_html):
    """The action and fields of the form the portal sends to the bank."""
    form = re.search(r'<form method="post" action="([^"]+)" data-autosubmit>(.*?)</form>', page_html, re.S)
    assert form, page_html
    fields = {
        html.unescape(n): html.unescape(v)
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2))
    }
    return html.unescape(form.group(1)), fields


def invoice_id(app, suffix="02135"):
    with app.app_context():
        found = Invoice.get(Invoice.number.endswith(suffix)).id
        database.close()
    return found


def start_payment(client, app, email="jean.dupont@example.com"):
    url = f"/payment/invoices/{invoice_id(app)}"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(page), "receipt_email": email})
    assert response.status_code == 200
    return bank_form(response.get_data(as_text=True))


def balance(app, suffix="02135"):
    with app.app_context():
        invoice = Invoice.with_paid().where(Invoice.number.endswith(suffix)).first()
        database.close()
    return invoice.balance_cents


def stored(app, model, *where):
    with app.app_context():
        rows = list(model.select().where(*where) if where else model.select())
        database.close()
    return rows


def notify(client, fields, method="post"):
    if method == "post":
        response = client.post("/payment/monetico/notify", data=fields)
    else:
        response = client.get("/payment/monetico/notify", query_string=fields)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return response.get_data(as_text=True)
