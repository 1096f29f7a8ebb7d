"""The demo of DESIGN.md: PORT SAINTE MARIE LA MER, JEAN DUPONT and SOPHIE MARTIN, with Y the current year."""

import datetime as dt

from peewee import fn

from marina_portal.core.db import database
from marina_portal.core.formats import paris_today
from marina_portal.core.pdf import render_pdf
from marina_portal.core.storage import save_bytes
from marina_portal.models import (
    AuditLog,
    Berth,
    Boat,
    Contract,
    ContractStatus,
    ContractTerms,
    Customer,
    Document,
    EnergyRate,
    Invoice,
    InvoiceLine,
    Meter,
    MeterReading,
    Payment,
    Port,
    Tariff,
    TariffRate,
    VisitorDesk,
)
from marina_portal.tariffs import publishing

# The season's grid on pontoons, annual and monthly, HT: a 9,50 m boat pays 1 266,67 € HT, 1 520,00 € TTC.
PONTOON_BANDS = [
    (0, 600, 60000, 9000),
    (600, 700, 75000, 11000),
    (700, 800, 90000, 13000),
    (800, 900, 110000, 16000),
    (900, 1000, 126667, 19000),
    (1000, 1100, 160000, 23000),
    (1100, 1200, 195000, 28000),
    (1200, 1500, 240000, 34000),
]

# A night for a visitor on a pontoon, HT, by the same bands: a 9,50 m boat pays 33,00 € HT, 39,60 € TTC.
PONTOON_NIGHTS = [1800, 2100, 2500, 2900, 3300, 3800, 4300, 5200]

ANNUAL_TERMS = """\
Article 1 – Objet. Le présent contrat attribue au titulaire l'usage d'un poste d'amarrage désigné, \
pour le bateau désigné, pendant la période indiquée. Il ne confère aucun droit de propriété ni de \
sous-location.
Article 2 – Redevance. La redevance annuelle est due selon les modalités de paiement indiquées. Un \
retard de paiement peut entraîner la résiliation après mise en demeure restée sans effet pendant 30 jours.
Article 3 – Bateau. Le bateau doit être assuré (responsabilité civile et renflouement), maintenu en \
état de navigabilité et conforme aux dimensions déclarées. Tout changement de bateau est soumis à \
l'accord de la capitainerie.
Article 4 – Absences. Le titulaire signale à la capitainerie toute absence de plus de 24 heures ; \
le poste libéré peut être attribué temporairement à un bateau de passage.
Article 5 – Règlement de police. Le titulaire respecte le règlement de police du port, affiché à la \
capitainerie et disponible dans l'espace de téléchargement du portail.
Article 6 – Durée. Le contrat prend fin à la date indiquée, sans tacite reconduction. Son \
renouvellement fait l'objet d'un nouveau contrat."""


def _invoice(port, customer, contract, number, issued, label, lines):
    total = 0
    invoice = Invoice.create(
        port=port,
        customer=customer,
        contract=contract,
        number=number,
        issued_on=issued,
        due_on=issued + dt.timedelta(days=30),
        label=label,
        total_cents=0,
    )
    for position, (description, ht, vat) in enumerate(lines, start=1):
        InvoiceLine.create(
            invoice=invoice,
            position=position,
            description=description,
            unit_price_cents=ht,
            total_ht_cents=ht,
            total_vat_cents=vat,
            vat_rate_bp=2000,
        )
        total += ht + vat
    invoice.total_cents = total
    invoice.save()
    return invoice


def load_demo():
    """Create the demo; return False (and change nothing) when a port already exists."""
    if Port.select().exists():
        return False
    year = paris_today().year
    with database.atomic():
        port = Port.create(
            name="PORT SAINTE MARIE LA MER",
            code="STEMARIE66",
            street="Quai de la Capitainerie",
            postcode="66000",
            town="SAINTE MARIE LA MER",
            phone="+33 633 700 088",
            email="web.management@example.com",
            hours="Du lundi au vendredi, de 9h à 12h et de 14h à 17h",
            creditor_id="FR72ZZZ123456",
            iban="FR7630006000011234567890189",
            bic="AGRIFRPPXXX",
        )
        terms = ContractTerms.create(port=port, contract_type="Annuel", version=1, body=ANNUAL_TERMS)
        season = (dt.date(year, 1, 1), dt.date(year, 12, 31))

        dupont = Customer.create(
            port=port,
            code="C0001",
            last_name="DUPONT",
            first_name="JEAN",
            street="10, RUE DU MARCHÉ",
            postcode="11000",
            town="CARCASSONNE",
            email="jean.dupont@example.com",
        )
        boat = Boat.create(
            customer=dupont,
            code="B0001",
            name="BELLE ÉTOILE",
            registration="CC 123456",
            boat_type="Voilier",
            length_cm=950,
            beam_cm=320,
            draught_cm=150,
        )
        berth = Berth.create(port=port, code="B-12", length_cm=1000, width_cm=350)
        contract = Contract.create(
            port=port,
            customer=dupont,
            boat=boat,
            berth=berth,
            terms=terms,
            number=f"{year}-0042",
            contract_type="Annuel",
            starts_on=season[0],
            ends_on=season[1],
            price_cents=152000,
            status=ContractStatus.SENT,
            payment_terms="Paiement à réception de facture : carte bancaire en ligne, "
            "prélèvement SEPA, chèque ou virement à la capitainerie.",
        )
        first = _invoice(
            port,
            dupont,
            contract,
            f"{year}/02135",
            dt.date(year, 1, 15),
            "Facture de contrat Annuel",
            [("Redevance annuelle d'amarrage, poste B-12", 126667, 25333)],
        )
        Payment.create(
            invoice=first,
            method="cheque",
            amount_cents=67000,
            received_on=dt.date(year, 2, 1),
            reference="Chèque n° 1234567",
        )
        second = _invoice(
            port,
            dupont,
            None,
            f"{year}/02235",
            dt.date(year, 1, 20),
            "Facture de prestation",
            [("Grutage et remise à l'eau", 14833, 2967)],
        )
        Payment.create(
            invoice=second,
            method="transfer",
            amount_cents=17800,
            received_on=dt.date(year, 1, 25),
            reference="Virement DUPONT",
        )

        martin = Customer.create(
            port=port,
            code="C0002",
            last_name="MARTIN",
            first_name="SOPHIE",
            street="4, AVENUE DES PINS",
            postcode="66000",
            town="PERPIGNAN",
        )
        boat = Boat.create(
            customer=martin,
            code="B0002",
            name="MISTRAL",
            registration="PV 654321",
            boat_type="Vedette",
            length_cm=1150,
            beam_cm=380,
            draught_cm=110,
        )
        berth = Berth.create(port=port, code="C-03", length_cm=1200, width_cm=400)
        contract = Contract.create(
            port=port,
            customer=martin,
            boat=boat,
            berth=berth,
            terms=terms,
            number=f"{year}-0043",
            contract_type="Annuel",
            starts_on=season[0],
            ends_on=season[1],
            price_cents=234000,
            status=ContractStatus.SENT,
            payment_terms="Paiement à réception de facture.",
        )
        _invoice(
            port,
            martin,
            contract,
            f"{year}/02301",
            dt.date(year, 1, 10),
            "Facture de contrat Annuel",
            [("Redevance annuelle d'amarrage, poste C-03", 195000, 39000)],
        )
        Berth.create(port=port, code="A-07", length_cm=1200, width_cm=400)

        pdf = render_pdf("pdf/tutorial.html", port=port, made_on=paris_today())
        stored, digest = save_bytes("documents", pdf, ".pdf")
        Document.create(
            port=port,
            title="Tutoriel complet du portail",
            category="Guides",
            filename="tutoriel-portail.pdf",
            content_type="application/pdf",
            size=len(pdf),
            sha256=digest,
            stored_as=stored,
        )
        _energy_and_visitors(port, year)
        _tariff(port, year)
    return True


def _tariff(port, year):
    """Year Y's published grid: pontoons by length band, and dry berths (terre-plein) by area."""
    tariff = Tariff.create(port=port, year=year)
    for low, high, annual, month in PONTOON_BANDS:
        TariffRate.create(
            tariff=tariff,
            category="Ponton",
            period="annual",
            length_from_cm=low,
            length_to_cm=high,
            price_ht_cents=annual,
        )
        TariffRate.create(
            tariff=tariff,
            category="Ponton",
            period="month",
            length_from_cm=low,
            length_to_cm=high,
            price_ht_cents=month,
        )
    TariffRate.create(
        tariff=tariff,
        category="Terre-plein",
        period="annual",
        length_from_cm=0,
        length_to_cm=1500,
        basis="area",
        price_ht_cents=2000,
    )
    for (low, high, _, _), night in zip(PONTOON_BANDS, PONTOON_NIGHTS):
        TariffRate.create(
            tariff=tariff,
            category="Ponton",
            period="night",
            length_from_cm=low,
            length_to_cm=high,
            price_ht_cents=night,
        )
    EnergyRate.create(tariff=tariff, kind="electricity", basis="metered", price_e4=2316)
    EnergyRate.create(tariff=tariff, kind="water", basis="metered", price_e4=41250, vat_rate_bp=550)
    before = AuditLog.select(fn.MAX(AuditLog.id)).scalar() or 0
    publishing.publish(None, tariff)
    # The demo is loaded by no one: publishing its grid is no staff change to keep in the audit trail.
    AuditLog.delete().where(AuditLog.id > before).execute()


def _energy_and_visitors(port, year):
    """Meters on the demo's berths (index 0 on January 1st), the visitors' gate code, half the visitor's price
    back to a berth holder who is away."""
    installed = dt.date(year, 1, 1)
    for berth in Berth.select().where(Berth.port == port).order_by(Berth.code):
        digits = berth.code.replace("-", "")
        for kind, unit, prefix, amperage in (("electricity", "kWh", "E", 16), ("water", "m³", "W", 0)):
            meter = Meter.create(
                port=port,
                berth=berth,
                pedestal=f"Borne {berth.code}",
                number=f"{prefix}-{digits}",
                kind=kind,
                unit=unit,
                amperage=amperage,
                installed_on=installed,
            )
            MeterReading.create(
                meter=meter,
                read_at=dt.datetime(year, 1, 1) - dt.timedelta(hours=1),  # 00:00 in Paris
                index_milli=0,
                role="opening",
                source="staff",
            )
    VisitorDesk.create(port=port, gate_code="4721B")
    Port.update(absence_credit_mode="percent", absence_credit_value=50).where(Port.id == port.id).execute()
