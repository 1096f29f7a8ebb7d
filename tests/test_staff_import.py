"""CSV import: clean files, bad lines (nothing written), re-import without duplicates, 10,000 lines, CLI."""

import io
import os
import time

import pytest
from conftest import csrf_token

from marina_portal.imports import importing
from marina_portal.models import AuditLog, Berth, Boat, Contract, Customer, Invoice, Payment, Port

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "docs", "samples")
ORDER = ["customers", "boats", "berths", "contracts", "invoices", "payments"]


def sample(kind):
    with open(os.path.join(SAMPLES, f"{kind}.csv"), "rb") as f:
        return f.read()


def run(app, kind, data, dry_run=False):
    with app.app_context():
        return importing.run(None, Port.current(), kind, data, dry_run=dry_run)


def counts(app):
    with app.app_context():
        return [m.select().count() for m in (Customer, Boat, Berth, Contract, Invoice, Payment)]


def test_clean_samples_import_in_order(app):
    before = counts(app)
    for kind in ORDER:
        report = run(app, kind, sample(kind))
        assert report.ok and report.applied, (kind, report.problems)
    assert counts(app) == [b + n for b, n in zip(before, [3, 3, 3, 3, 4, 3])]
    with app.app_context():
        leroy = Customer.get(Customer.code == "C1001")
        assert leroy.email == "paul.leroy@example.com" and leroy.town == "CANET-EN-ROUSSILLON"
        assert Customer.get(Customer.code == "C1003").last_name == "MÜLLER"
        assert Boat.get(Boat.code == "B1001").length_cm == 850
        contract = Contract.get(Contract.code == "K1001")
        assert contract.berth.code == "D-01" and contract.price_cents == 148000 and contract.terms is not None
        invoice = Invoice.with_paid().where(Invoice.code == "F1001").get()
        assert invoice.total_cents == 148000 and invoice.balance_cents == 98000
        assert AuditLog.select().where(AuditLog.action == "import.payments").count() == 1


def test_dry_run_writes_nothing(app):
    before = counts(app)
    report = run(app, "customers", sample("customers"), dry_run=True)
    assert report.ok and not report.applied and report.created == 3
    assert counts(app) == before


def test_bad_lines_are_reported_and_nothing_is_written(app):
    data = (
        "code;last_name;email\n"
        "C2001;BON;bon@example.com\n"
        ";SANSCODE;\n"
        "C2003;;x@example.com\n"
        "C2004;MAUVAIS;pas-une-adresse\n"
        "C2001;DOUBLON;\n"
    ).encode()
    before = counts(app)
    report = run(app, "customers", data)
    assert not report.applied
    assert [(p.line, p.column) for p in report.problems] == [(3, "code"), (4, "last_name"), (5, "email"), (6, "code")]
    assert "déjà présent ligne 2" in report.problems[-1].why
    assert counts(app) == before


def test_bad_references_dates_and_amounts_are_reported(app):
    data = (
        "code;number;customer_code;issued_on;total\n"
        "F9;9/1;C9999;15/01/2026;10,00\n"
        "F10;9/2;C0001;31/02/2026;10,00\n"
        "F11;9/3;C0001;15/01/2026;dix\n"
        "F12;2026/02301;C0001;15/01/2026;10\n"
    ).encode()
    report = run(app, "invoices", data)
    found = {(p.line, p.column): p.why for p in report.problems}
    assert "client « C9999 » introuvable" in found[(2, "customer_code")]
    assert "date illisible" in found[(3, "issued_on")]
    assert "montant illisible" in found[(4, "total")]
    assert "déjà utilisé" in found[(5, "number")]
    with app.app_context():
        assert Invoice.select().count() == 3


@pytest.mark.parametrize("data", [bytes(range(256)) * 4, b"code;last_name\nC1;A\x00B\n", b"", b"\n\n"])
def test_unreadable_files_are_reported_not_crashed(app, data):
    before = counts(app)
    report = run(app, "customers", data)
    assert report.problems and not report.applied
    assert counts(app) == before


def test_missing_required_column(app):
    report = run(app, "boats", b"code;name\nB9;X\n")
    assert [(p.line, p.column) for p in report.problems] == [(1, "customer_code")]


def test_reimport_updates_without_duplicates(app):
    for kind in ORDER:
        run(app, kind, sample(kind))
    before = counts(app)
    report = run(app, "customers", sample("customers"))
    assert report.applied and report.created == 0 and report.unchanged == 3
    changed = sample("customers").decode().replace("3, RUE DES MOUETTES", "7, QUAI NORD")
    report = run(app, "customers", changed.encode("cp1252", "replace"))
    assert report.applied and (report.created, report.updated, report.unchanged) == (0, 1, 2)
    contracts = sample("contracts").decode().replace("1 480,00", "1 500,00")
    report = run(app, "contracts", contracts.encode())
    assert report.updated == 1
    assert counts(app) == before
    with app.app_context():
        assert Customer.get(Customer.code == "C1001").street == "7, QUAI NORD"
        contract = Contract.get(Contract.code == "K1001")
        assert contract.price_cents == 150000 and contract.revision == 2


def test_ten_thousand_lines_in_under_a_minute(app):
    lines = ["code;last_name;first_name;email;town"]
    lines += [f"M{i:05d};NOM{i};PRENOM;m{i}@example.com;VILLE" for i in range(10000)]
    data = "\n".join(lines).encode()
    started = time.monotonic()
    report = run(app, "customers", data)
    assert report.applied and report.created == 10000
    again = run(app, "customers", data.replace(b";VILLE", b";AUTRE"))
    assert again.updated == 10000
    assert time.monotonic() - started < 60
    with app.app_context():
        assert Customer.select().where(Customer.code.startswith("M")).count() == 10000


def test_import_page_dry_run_then_apply(app, client, auth):
    auth.staff(role="agent")

    def post(apply):
        page = client.get("/staff/import").get_data(as_text=True)
        return client.post(
            "/staff/import",
            content_type="multipart/form-data",
            data={
                "csrf_token": csrf_token(page),
                "kind": "customers",
                "apply": apply,
                "file": (io.BytesIO(sample("customers")), "customers.csv"),
            },
        )

    response = post("0")
    assert response.status_code == 200 and "Essai réussi" in response.get_data(as_text=True)
    assert counts(app)[0] == 2
    response = post("1")
    assert "Import terminé : 3 créé(s)" in response.get_data(as_text=True)
    assert counts(app)[0] == 5


def test_import_page_lists_bad_lines(app, client, auth):
    auth.staff(role="agent")
    page = client.get("/staff/import").get_data(as_text=True)
    response = client.post(
        "/staff/import",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf_token(page),
            "kind": "boats",
            "apply": "1",
            "file": (io.BytesIO(b"code;customer_code;name\nB9;NOPE;X\n"), "boats.csv"),
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "rien n'a été enregistré" in html and "NOPE" in html


def test_cli_import_with_dry_run_and_progress(app, runner, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(sample("customers"))
    result = runner.invoke(args=["import", "customers", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Essai sans enregistrement : 3 ligne(s)" in result.output
    assert counts(app)[0] == 2
    result = runner.invoke(args=["import", "customers", str(path)])
    assert "Import terminé : 3 créé(s)" in result.output
    assert counts(app)[0] == 5
    path.write_bytes(b"code;last_name\nZ1;\n")
    result = runner.invoke(args=["import", "customers", str(path)])
    assert result.exit_code == 1 and "Ligne 2, colonne last_name" in result.output


@pytest.mark.parametrize("kind", ORDER)
def test_every_sample_is_documented(kind):
    with open(os.path.join(SAMPLES, "..", "import.md"), encoding="utf-8") as f:
        doc = f.read()
    header = sample(kind).decode().splitlines()[0].split(";")
    assert f"### {kind}" in doc
    for column in header:
        assert f"`{column}`" in doc, (kind, column)


def test_a_conflict_while_writing_rolls_everything_back(app, monkeypatch):
    kind = importing.KINDS["customers"]
    original = kind.for_create
    monkeypatch.setattr(kind, "for_create", lambda context, fields: dict(original(context, fields), code="C0002"))
    data = b"code;last_name\nC0001;DUPONT-CHANGED\nC9001;NEW\n"
    report = run(app, "customers", data)
    assert not report.applied and "rien n'a changé" in report.problems[0].why
    with app.app_context():
        assert Customer.get(Customer.code == "C0001").last_name == "DUPONT"
        assert not Customer.select().where(Customer.last_name == "NEW").exists()
        assert not AuditLog.select().where(AuditLog.action == "import.customers").exists()
