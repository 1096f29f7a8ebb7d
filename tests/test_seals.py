"""Seals and signatures: `flask contract verify` pins the port's certificate and the recorded file, the seal is
the port's, trusted time with a timestamp authority, the downloaded bytes kept, acknowledgement mails."""

import io

from pypdf import PdfReader
from test_contract import contract_id, pdf_text, sign_all

from marina_portal.contracts.berth_contracts import render_contract_pdf
from marina_portal.models import Contract, Port
from marina_portal.sealing.keys import ensure_port_certificate
from marina_portal.sealing.seals import seal_pdf, verify_pdf


def forge_with_own_key(app, pdf, folder):
    """What an attacker can do without the port's key: seal a doctored PDF with a fresh self-signed pair."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    class Holder:
        instance_path = str(folder)
        config = {}

    key, cert = ensure_port_certificate(Holder, "PORT SAINTE MARIE LA MER")
    meta = signers.PdfSignatureMetadata(
        field_name="PortSeal", name="PORT SAINTE MARIE LA MER", subfilter=fields.SigSeedSubFilter.PADES
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    return signers.sign_pdf(writer, meta, signer=signers.SimpleSigner.load(key, cert)).getvalue()


def test_verify_refuses_a_forgery_sealed_with_another_key(app, client, auth, tmp_path):
    auth.boater()
    cid = contract_id(app)
    sign_all(client, cid)
    with app.test_request_context():
        Contract.update(price_cents=100).where(Contract.id == cid).execute()
        doctored = render_contract_pdf(Contract.get_by_id(cid))
    assert "1,00 €" in pdf_text(doctored)
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(forge_with_own_key(app, doctored, tmp_path / "attacker"))
    result = app.test_cli_runner().invoke(args=["contract", "verify", str(forged)])
    assert result.exit_code == 1, result.output
    assert "Sceau intact" not in result.output
    assert "n'a pas été fait avec le certificat du port" in result.output


def test_verify_refuses_a_port_sealed_file_the_portal_never_recorded(app, client, auth, tmp_path):
    auth.boater()
    cid = contract_id(app)
    sign_all(client, cid)
    with app.test_request_context():
        contract = Contract.get_by_id(cid)
        sealed = seal_pdf(render_contract_pdf(contract), "Contrat modifié", contract.port)
    unrecorded = tmp_path / "unrecorded.pdf"
    unrecorded.write_bytes(sealed)
    result = app.test_cli_runner().invoke(args=["contract", "verify", str(unrecorded)])
    assert result.exit_code == 1 and "n'est pas celui que le portail a enregistré" in result.output

    good = tmp_path / "good.pdf"
    good.write_bytes(client.get(f"/contract/{cid}/signed.pdf").data)
    result = app.test_cli_runner().invoke(args=["contract", "verify", str(good)])
    assert result.exit_code == 0, result.output
    assert f"Document enregistré : contrat {contract.number}" in result.output


def test_the_seal_is_the_ports_and_names_the_boater_in_its_reason(make_app, tmp_path):
    app = make_app(SIGNING_KEY_FILE=None, SIGNING_CERT_FILE=None, SIGNING_DIR=str(tmp_path / "signing"))
    client = app.test_client()
    from conftest import Auth

    Auth(app, client).boater()
    cid = contract_id(app)
    sign_all(client, cid)
    signed = client.get(f"/contract/{cid}/signed.pdf").data
    with app.app_context():
        check = verify_pdf(signed)
    assert check.intact and check.trusted
    assert check.signer == "PORT SAINTE MARIE LA MER"
    assert "PORT SAINTE MARIE LA MER" in check.subject and "DUPONT" not in check.subject
    assert "DUPONT JEAN" in check.reason and "3/3" in check.reason
    text = pdf_text(signed)
    assert "Signataire : DUPONT JEAN" in text and "ETAPE 3/3" in text
    fields = PdfReader(io.BytesIO(signed)).get_fields()
    assert fields["PortSeal"]["/V"]["/Name"] == "PORT SAINTE MARIE LA MER"

    # The port renames itself: new seals carry the new name, the old contract still verifies.
    with app.app_context():
        Port.update(name="REGIE DU PORT SAINTE MARIE").execute()
    old = tmp_path / "old.pdf"
    old.write_bytes(signed)
    result = app.test_cli_runner().invoke(args=["contract", "verify", str(old)])
    assert result.exit_code == 0 and "Scellé par : PORT SAINTE MARIE LA MER" in result.output
    with app.test_request_context():
        port = Port.get()
        fresh = verify_pdf(seal_pdf(render_contract_pdf(Contract.get_by_id(cid)), "essai", port))
        assert fresh.signer == "REGIE DU PORT SAINTE MARIE" and "REGIE DU PORT" in fresh.subject and fresh.trusted
    result = app.test_cli_runner().invoke(args=["contract", "verify", str(old)])
    assert result.exit_code == 0, result.output
