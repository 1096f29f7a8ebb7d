"""Installing and running: the CLI, the demo, migrations, the development outbox, the tutorial PDF."""

import io
import sqlite3

from conftest import csrf_token, on_sqlite_only
from pypdf import PdfReader

from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.models import Customer, Document, Invoice, OutboxMail, Port, User


@on_sqlite_only
def test_init_db_is_idempotent_and_records_migrations(app, runner, tmp_path):
    assert runner.invoke(args=["init-db"]).exit_code == 0
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0 and "0 migration" in result.output
    rows = sqlite3.connect(tmp_path / "portal.sqlite3").execute("select name from schema_migration").fetchall()
    assert ("m0001_initial",) in rows


@on_sqlite_only
def test_sqlite_pragmas_on_every_connection(app):
    with app.app_context():
        database.connect(reuse_if_open=True)
        assert database.execute_sql("pragma journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("pragma foreign_keys").fetchone()[0] == 1
        assert database.execute_sql("pragma busy_timeout").fetchone()[0] == 10000
        database.close()


def test_demo_is_the_design_card(app):
    year = paris_today().year
    with app.app_context():
        port = Port.get()
        assert (port.name, port.code, port.phone, port.creditor_id) == (
            "PORT SAINTE MARIE LA MER",
            "STEMARIE66",
            "+33 633 700 088",
            "FR72ZZZ123456",
        )
        dupont = Customer.get(Customer.last_name == "DUPONT")
        assert (dupont.street, dupont.postcode, dupont.town, dupont.email) == (
            "10, RUE DU MARCHÉ",
            "11000",
            "CARCASSONNE",
            "jean.dupont@example.com",
        )
        invoices = {i.number: i for i in Invoice.with_paid()}
        first, second, martin = invoices[f"{year}/02135"], invoices[f"{year}/02235"], invoices[f"{year}/02301"]
        assert (first.total_cents, first.paid_cents, first.balance_cents, first.label) == (
            152000,
            67000,
            85000,
            "Facture de contrat Annuel",
        )
        assert (second.total_cents, second.balance_cents, second.label) == (17800, 0, "Facture de prestation")
        assert (martin.total_cents, martin.paid_cents) == (234000, 0)
        assert Customer.get(Customer.last_name == "MARTIN").email is None
        assert not User.select().exists()  # no staff account: `staff create` makes one


def test_load_demo_twice_changes_nothing(app, runner):
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 0 and "existe déjà" in result.output
    with app.app_context():
        assert Customer.select().count() == 2


def test_staff_create_reads_password_from_stdin(app, runner):
    result = runner.invoke(args=["staff", "create", "Capitainerie@Example.com"], input="a long staff password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = User.get(User.email == "capitainerie@example.com")
        assert user.is_staff and user.customer is None
    again = runner.invoke(args=["staff", "create", "capitainerie@example.com"], input="a long staff password\n")
    assert again.exit_code != 0 and "existe déjà" in again.output
    short = runner.invoke(args=["staff", "create", "other@example.com"], input="short\n")
    assert short.exit_code != 0 and "au moins 10" in short.output


def test_outbox_keeps_mails_in_development(make_app, mailbox):
    app = make_app(MAIL_OUTBOX=True)
    client = app.test_client()
    page = client.get("/")
    client.post(
        "/first-login", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "email": "jean.dupont@example.com"}
    )
    assert mailbox.messages == []
    listing = client.get("/dev/outbox/").get_data(as_text=True)
    assert "jean.dupont@example.com" in listing and "/password/first-login/" in listing
    with app.app_context():
        assert OutboxMail.select().count() == 1


def test_outbox_is_off_in_production(client):
    assert client.get("/dev/outbox/").status_code == 404


def test_tutorial_pdf_in_the_download_space(app, client, auth):
    auth.boater()
    listing = client.get("/documents/").get_data(as_text=True)
    assert "Tutoriel complet du portail" in listing
    with app.app_context():
        document = Document.get(Document.title == "Tutoriel complet du portail")
    response = client.get(f"/documents/{document.id}/download")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "tutoriel-portail.pdf" in response.headers["Content-Disposition"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "ETAPE 1/3" in text and "J'ai un contrat" in text and "+33 633 700 088" in text


def test_documents_need_a_login(client):
    assert client.get("/documents/").status_code == 302


def test_query_count_header_for_benchmarks(make_app):
    app = make_app(QUERY_COUNT_HEADER=True)
    response = app.test_client().get("/")
    assert int(response.headers["X-Query-Count"]) >= 1
