"""Speed work that must not change answers: compiled queries, row links built once, the invoice PDF cache."""

import datetime as dt
import os
import re
import subprocess
import sys

import pytest

from marina_portal.core.db import Compiled, database
from marina_portal.models import Customer, Invoice, Payment, PaymentAttempt, Port, User, utcnow


def _invoice_id(app, suffix):
    with app.app_context():
        found = Invoice.get(Invoice.number.endswith(suffix)).id
        database.close()
    return found


def test_a_compiled_query_binds_each_calls_arguments(app):
    invoices = Compiled(
        Invoice,
        lambda customer_id, since: (
            Invoice.select()
            .where((Invoice.customer == customer_id) & (Invoice.created_at > since))
            .order_by(Invoice.number)
        ),
    )
    long_ago = dt.datetime(2000, 1, 1)
    with app.app_context():
        dupont, martin = (Customer.get(Customer.code == code).id for code in ("C0001", "C0002"))
        assert [i.number[-5:] for i in invoices(dupont, long_ago)] == ["02135", "02235"]
        assert [i.number[-5:] for i in invoices(martin, long_ago)] == ["02301"]
        assert list(invoices(dupont, utcnow() + dt.timedelta(days=1))) == []
        first = invoices.first(dupont, long_ago)
        assert isinstance(first, Invoice) and isinstance(first.issued_on, dt.date)
        assert invoices.first(999999, long_ago) is None
        assert Port.current().code == "STEMARIE66"
        database.close()


def test_a_compiled_query_refuses_arguments_that_are_not_parameters(app):
    ignored = Compiled(User, lambda user_id: User.select().where(User.id == 1))
    with app.app_context():
        with pytest.raises(ValueError):
            list(ignored(2))
        with pytest.raises(TypeError):
            list(Compiled(User, lambda email: User.select().where(User.email == email))("x@example.com"))
        database.close()


def test_account_rows_link_to_their_own_invoice(app, client, auth):
    auth.boater("C0001")
    html = client.get("/account/").get_data(as_text=True)
    with app.app_context():
        for invoice in Invoice.select().join(Customer).where(Customer.code == "C0001"):
            assert (
                f'href="/account/invoices/{invoice.id}/pdf">PDF<span class="visually-hidden"> de la facture '
                f"{invoice.number}</span>" in html
            )
        unpaid = Invoice.get(Invoice.number.endswith("02135"))
        assert f'href="/payment/invoices/{unpaid.id}"' in html
        database.close()


def test_the_awaiting_bank_note_is_only_for_recent_pending_attempts(app, client, auth):
    auth.boater("C0001")
    with app.app_context():
        invoice = Invoice.get(Invoice.number.endswith("02135"))
        PaymentAttempt.create(
            invoice=invoice,
            customer=invoice.customer_id,
            reference="OLD",
            amount_cents=85000,
            created_at=utcnow() - dt.timedelta(hours=2),
        )
        PaymentAttempt.create(
            invoice=invoice, customer=invoice.customer_id, reference="DONE", amount_cents=85000, status="refused"
        )
        database.close()
    assert "en attente de la banque" not in client.get("/account/").get_data(as_text=True)
    with app.app_context():
        PaymentAttempt.create(invoice=invoice, customer=invoice.customer_id, reference="NEW", amount_cents=85000)
        database.close()
    assert "en attente de la banque" in client.get("/account/").get_data(as_text=True)


def _pdf_text(tmp_path, data):
    path = tmp_path / "read.pdf"
    path.write_bytes(data)
    return re.sub(
        r"\s+",
        " ",
        subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout,
    )


@pytest.fixture
def renders(monkeypatch):
    """How many times the HTML-to-PDF engine really ran."""
    from marina_portal.core import pdf

    calls = []
    real = pdf.html_to_pdf

    def counted(html, name="PDF", **options):
        calls.append(name)
        return real(html, name, **options)

    monkeypatch.setattr(pdf, "html_to_pdf", counted)
    return calls


def _cached_files(app):
    folder = os.path.join(app.config["DATA_DIR"], "pdf-cache")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_a_repeated_invoice_download_is_read_from_the_cache(app, client, auth, renders, tmp_path):
    auth.boater("C0001")
    url = f"/account/invoices/{_invoice_id(app, '02135')}/pdf"
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200 and second.mimetype == "application/pdf"
    assert renders == ["pdf/invoice.html"] and first.data == second.data
    assert "670,00 €" in _pdf_text(tmp_path, second.data)
    assert len(_cached_files(app)) == 1


def test_a_payment_recorded_or_cancelled_gives_a_new_pdf(app, client, auth, renders, tmp_path):
    auth.boater("C0001")
    invoice_id = _invoice_id(app, "02135")
    url = f"/account/invoices/{invoice_id}/pdf"
    assert "Solde à régler 850,00 €" in _pdf_text(tmp_path, client.get(url).data)
    with app.app_context():
        payment = Payment.create(
            invoice=invoice_id,
            method="transfer",
            amount_cents=30000,
            received_on=dt.date.today(),
            reference="VIR-CACHE",
        )
        database.close()
    text = _pdf_text(tmp_path, client.get(url).data)
    assert "VIR-CACHE" in text and "Solde à régler 550,00 €" in text
    with app.app_context():
        Payment.update(cancelled_at=utcnow(), cancel_reason="erreur").where(Payment.id == payment.id).execute()
        database.close()
    text = _pdf_text(tmp_path, client.get(url).data)
    assert "VIR-CACHE" not in text and "Solde à régler 850,00 €" in text
    assert len(renders) == 3
    assert len(_cached_files(app)) == 1  # each new version replaced the older file


def test_a_port_setting_changed_gives_a_new_pdf(app, client, auth, renders, tmp_path):
    auth.boater("C0001")
    url = f"/account/invoices/{_invoice_id(app, '02135')}/pdf"
    client.get(url)
    with app.app_context():
        Port.update(phone="04 68 00 00 99").execute()
        database.close()
    assert "04 68 00 00 99" in _pdf_text(tmp_path, client.get(url).data)
    assert len(renders) == 2


def test_one_invoices_new_version_leaves_the_others_cached(app, client, auth, renders):
    auth.boater("C0001")
    one, other = _invoice_id(app, "02135"), _invoice_id(app, "02235")
    with app.app_context():
        folder = os.path.join(app.config["DATA_DIR"], "pdf-cache")
        os.makedirs(folder, exist_ok=True)
        lookalike = os.path.join(folder, f"invoice-{one}0-{'a' * 64}.pdf")  # invoice 10 when `one` is 1
        with open(lookalike, "wb") as f:
            f.write(b"%PDF-")
    client.get(f"/account/invoices/{one}/pdf")
    client.get(f"/account/invoices/{other}/pdf")
    with app.app_context():
        Payment.create(invoice=one, method="cash", amount_cents=100, received_on=dt.date.today())
        database.close()
    client.get(f"/account/invoices/{one}/pdf")
    client.get(f"/account/invoices/{other}/pdf")
    assert len(renders) == 3 and os.path.exists(lookalike)
    assert len([name for name in _cached_files(app) if not name.startswith(f"invoice-{one}0-")]) == 2


def test_a_changed_invoice_is_rendered_in_the_background_when_tasks_are_queued(app, monkeypatch, renders):
    from marina_portal.billing import invoicing, statement
    from marina_portal.core.queue import huey

    queued, task = [], statement.render_invoice_pdfs
    monkeypatch.setattr(huey, "immediate", False)
    monkeypatch.setattr(statement, "render_invoice_pdfs", queued.append)
    invoice_id = _invoice_id(app, "02135")
    with app.test_request_context():
        invoicing.record_payment(None, invoice_id, "cash", 1000, dt.date.today())
        assert queued == [[invoice_id]]
        monkeypatch.setattr(huey, "immediate", True)
        statement.refresh_pdfs_soon(invoice_id)  # immediate mode: would render inside the request, so no
        assert queued == [[invoice_id]] and renders == []
        task.call_local([invoice_id])
        assert renders == ["pdf/invoice.html"]
        statement.invoice_pdf(invoice_id)  # the download that follows reads the file
        assert renders == ["pdf/invoice.html"]
        database.close()


def test_a_worker_serving_pages_does_not_load_the_pdf_seal_iban_and_sepa_libraries(tmp_path):
    """Worker memory: these are imported by the first PDF, seal, IBAN check or SEPA file, not by the app."""
    script = (
        "import sys\n"
        "from marina_portal import create_app\n"
        f"app = create_app({{'DATABASE': {str(tmp_path / 'db.sqlite3')!r}, 'SECRET_KEY': 'x' * 32}})\n"
        "assert app.test_client().get('/healthz').status_code == 200\n"
        "heavy = ('weasyprint', 'facturx', 'pyhanko', 'schwifty', 'sepaxml', 'pypdf', 'lxml')\n"
        "print(' '.join(m for m in heavy if m in sys.modules))\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, MARINA_DATABASE=str(tmp_path / "db.sqlite3"))
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""


def test_the_written_out_dummy_hash_costs_what_a_real_one_does():
    from marina_portal.accounts.logins import _DUMMY_HASH, hash_password

    assert _DUMMY_HASH.split("$")[0] == hash_password("any password").split("$")[0]  # same scrypt parameters


def test_a_pdf_that_cannot_be_kept_is_still_downloaded(app, client, auth, monkeypatch, renders, tmp_path):
    from marina_portal.core import pdf

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pdf, "_keep", disk_full)
    auth.boater("C0001")
    response = client.get(f"/account/invoices/{_invoice_id(app, '02135')}/pdf")
    assert response.status_code == 200 and "850,00 €" in _pdf_text(tmp_path, response.data)
    assert _cached_files(app) == []
