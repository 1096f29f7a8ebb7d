"""Plain CSVs for the accountant: the period's sales (invoices and credit notes) and its receipts."""

from marina_portal.accounting import fec
from marina_portal.billing.invoice_list import to_csv

SALES_HEADER = ("Type", "Numéro", "Date", "Code client", "Client", "Compte", "Total HT", "TVA", "Total TTC")
RECEIPTS_HEADER = ("Date", "Pièce", "Journal", "Libellé", "Code client", "Client", "Compte", "Montant")


def _cents(value):
    return f"{'-' if value < 0 else ''}{abs(value) // 100},{abs(value) % 100:02d}"


def sales_rows(port, start, end):
    """One row per invoice or credit note of the period, from the same entries as the FEC (credit notes negative)."""
    for entry in fec.entries(port, start, end):
        if entry.journal != "VE":
            continue
        sign = 1 if entry.label.startswith("Facture") else -1
        customer = next(line for line in entry.lines if line[1])
        vat = sum(line[4] - line[3] for line in entry.lines if line[0].number.startswith("4457"))
        ttc = customer[3] - customer[4]
        sales_account = next((line[0].number for line in entry.lines if line[0].number.startswith("7")), "")
        yield (
            "Facture" if sign > 0 else "Avoir",
            entry.piece_ref,
            entry.date.strftime("%d/%m/%Y"),
            customer[1],
            customer[2],
            sales_account,
            _cents(ttc - vat),
            _cents(vat),
            _cents(ttc),
        )


def receipts_rows(port, start, end):
    """One row per payment received, reversal, refund or cheque deposit of the period (money in positive)."""
    for entry in fec.entries(port, start, end):
        if entry.journal == "VE":
            continue
        customer = next((line for line in entry.lines if line[1]), None)
        money = next(line for line in entry.lines if not line[1])
        amount = (customer[4] - customer[3]) if customer else money[3]
        yield (
            entry.date.strftime("%d/%m/%Y"),
            entry.piece_ref,
            entry.journal,
            entry.label,
            customer[1] if customer else "",
            customer[2] if customer else "",
            money[0].number,
            _cents(amount),
        )


def sales_csv(port, start, end):
    return to_csv(SALES_HEADER, sales_rows(port, start, end))


def receipts_csv(port, start, end):
    return to_csv(RECEIPTS_HEADER, receipts_rows(port, start, end))
