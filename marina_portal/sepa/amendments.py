"""Amendment information (AmdmntInd) in a pain.008: what the bank was last told for a mandate, against today.

The EPC rulebook asks the first collection after a change to carry the original values: the original creditor
scheme id and name when the port changed its ICS or its name, the original IBAN when the debtor moved to
another account at the same bank, and SMNDA ("same mandate, new debtor agent") when they moved to another
bank, which also makes that collection a FRST. sepaxml writes no amendment, so they are added to its file.
lxml and schwifty are imported on first use, not with the app.
"""

import json

from marina_portal.sepa.charset import epc_text

SMNDA = "SMNDA"


def _bank(iban, bic):
    """Who holds the account: the BIC's bank and country when known, else the IBAN's country and bank code."""
    if bic:
        return bic[:6]
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        return f"{iban[:2]}:{IBAN(iban).bank_code}"
    except SchwiftyException:
        return iban[:9]


def for_mandate(mandate, port):
    """The amendment the next collection under this mandate carries ({} for none)."""
    found = {}
    if mandate.told_creditor_id and mandate.told_creditor_id != port.creditor_id:
        found["creditor_id"] = mandate.told_creditor_id
    if mandate.told_creditor_name and epc_text(mandate.told_creditor_name, 70) != epc_text(port.name, 70):
        found["creditor_name"] = epc_text(mandate.told_creditor_name, 70)
    if mandate.told_iban and mandate.told_iban != mandate.iban:
        if _bank(mandate.told_iban, mandate.told_bic) == _bank(mandate.iban, mandate.bic):
            found["iban"] = mandate.told_iban
        else:
            found["new_bank"] = True
    return found


def told_before(mandate):
    """What the bank had been told, kept on the debit so that a return can put it back (JSON)."""
    return json.dumps(
        {
            "told_creditor_id": mandate.told_creditor_id,
            "told_creditor_name": mandate.told_creditor_name,
            "told_iban": mandate.told_iban,
            "told_bic": mandate.told_bic,
        }
    )


def add_to_file(xml, amendments, message_format):
    """The pain.008 bytes with AmdmntInd and AmdmntInfDtls in each transaction whose EndToEndId is amended."""
    from lxml import etree

    if not any(amendments.values()):
        return xml

    ns = f"urn:iso:std:iso:20022:tech:xsd:{message_format}"

    def tag(name):
        return f"{{{ns}}}{name}"

    def child(parent, *path, text=None):
        for name in path:
            parent = etree.SubElement(parent, tag(name))
        if text is not None:
            parent.text = text
        return parent

    document = etree.fromstring(xml)
    for transaction in document.iter(tag("DrctDbtTxInf")):
        amendment = amendments.get(transaction.findtext(f"{tag('PmtId')}/{tag('EndToEndId')}"))
        if not amendment:
            continue
        related = transaction.find(f"{tag('DrctDbtTx')}/{tag('MndtRltdInf')}")
        signed_on = related.find(tag("DtOfSgntr"))
        position = list(related).index(signed_on) + 1
        indicator = etree.Element(tag("AmdmntInd"))
        indicator.text = "true"
        details = etree.Element(tag("AmdmntInfDtls"))
        if "creditor_id" in amendment or "creditor_name" in amendment:
            party = child(details, "OrgnlCdtrSchmeId")
            if "creditor_name" in amendment:
                child(party, "Nm", text=amendment["creditor_name"])
            if "creditor_id" in amendment:
                other = child(party, "Id", "PrvtId", "Othr")
                child(other, "Id", text=amendment["creditor_id"])
                child(other, "SchmeNm", "Prtry", text="SEPA")
        if "iban" in amendment:
            child(details, "OrgnlDbtrAcct", "Id", "IBAN", text=amendment["iban"])
        if amendment.get("new_bank"):
            child(details, "OrgnlDbtrAgt", "FinInstnId", "Othr", "Id", text=SMNDA)
        related.insert(position, indicator)
        related.insert(position + 1, details)
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")
