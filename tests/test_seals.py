"""Seals and signatures: `flask contract verify` pins the port's certificate and the recorded file, the seal is
the port's, trusted time with a timestamp authority, the downloaded bytes kept, acknowledgement mails."""

import datetime as dt
import io
import os
import threading

from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from conftest import PASSWORD, Auth, csrf_token, free_port
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pypdf import PdfReader
from test_contract import contract_id, pdf_text, sign_all, step, stored
from test_mandate import GOOD_IBAN, mandate_rows, save
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from marina_portal.contracts.berth_contracts import render_contract_pdf
from marina_portal.core.formats import paris_today
from marina_portal.models import Contract, Port, SignatureEvidence
from marina_portal.sealing.evidence import sha256
from marina_portal.sealing.keys import ensure_port_certificate
from marina_portal.sealing.seals import _outside_event_loop, seal_pdf, verify_pdf


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
    # pyHanko runs its own event loop: not inside the one a browser test may have left running in this thread
    return _outside_event_loop(
        lambda: signers.sign_pdf(writer, meta, signer=signers.SimpleSigner.load(key, cert)).getvalue()
    )


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


class TimestampAuthority:
    """A real RFC 3161 server over HTTP, answering with pyHanko's dummy timestamper and its own certificate."""

    def __init__(self, folder):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Horodatage de test")])
        now = dt.datetime.now(dt.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(key, hashes.SHA256())
        )
        self.cert_file = folder / "tsa.pem"
        self.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
            tsa_key=keys.PrivateKeyInfo.load(
                key.private_bytes(
                    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            ),
        )
        self.requests = 0

        @Request.application
        def answer(request):
            self.requests += 1
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(request.get_data()))
            return Response(reply.dump(), content_type="application/timestamp-reply")

        port = free_port()
        self.url = f"http://127.0.0.1:{port}/tsa"
        self._server = make_server("127.0.0.1", port, answer, threaded=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self):
        self._server.shutdown()


def test_with_a_timestamp_authority_the_seal_carries_a_trusted_time(make_app, tmp_path):
    tsa = TimestampAuthority(tmp_path)
    try:
        app = make_app(TSA_URL=tsa.url, TSA_CERT_FILE=str(tsa.cert_file))
        client = app.test_client()
        Auth(app, client).boater()
        cid = contract_id(app)
        sign_all(client, cid)
        signed = client.get(f"/contract/{cid}/signed.pdf").data
    finally:
        tsa.stop()
    assert tsa.requests >= 1  # pyHanko asks once more to size the signature
    with app.app_context():
        check = verify_pdf(signed)
    assert check.intact and check.trusted and check.timestamp_at is not None
    assert "Horodatage de test" in check.tsa
    assert "attestée par une autorité d'horodatage" in pdf_text(signed)
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    result = app.test_cli_runner().invoke(args=["contract", "verify", str(path)])
    assert result.exit_code == 0 and "Heure attestée par une autorité d'horodatage : " in result.output


def test_without_one_the_signature_page_says_the_time_is_the_servers(app, client, auth):
    auth.boater()
    cid = contract_id(app)
    sign_all(client, cid)
    text = pdf_text(client.get(f"/contract/{cid}/signed.pdf").data)
    assert "celles de l'horloge du serveur du port" in " ".join(text.split())


def test_a_silent_timestamp_authority_stores_nothing_and_says_so(make_app):
    app = make_app(TSA_URL=f"http://127.0.0.1:{free_port()}/tsa")
    client = app.test_client()
    Auth(app, client).boater()
    cid = contract_id(app)
    client.get(f"/contract/{cid}/pdf")
    step(client, cid, 1)
    step(client, cid, 2)
    response = step(client, cid, 3)
    assert response.status_code == 409 and "horodatage du port ne répond pas" in response.get_data(as_text=True)
    assert stored(app) == (2, 0, 0)


def test_the_exact_downloaded_bytes_are_kept_and_embedded_in_the_sealed_file(app, client, auth):
    auth.boater()
    cid = contract_id(app)
    downloaded = sign_all(client, cid)
    digest = sha256(downloaded)
    kept = os.path.join(app.config["DATA_DIR"], "downloads", f"{digest}.pdf")
    with open(kept, "rb") as f:
        assert f.read() == downloaded  # content-addressed: the name is the hash of the bytes
    with app.app_context():  # what printed on the contract changes afterwards: nothing kept depends on it
        Port.update(street="1, QUAI NEUF").execute()
        assert [r.document_sha256 for r in SignatureEvidence.select()] == [digest] * 3
    signed = client.get(f"/contract/{cid}/signed.pdf").data
    attachments = PdfReader(io.BytesIO(signed)).attachments
    name = f"contrat-{paris_today().year}-0042-telecharge.pdf"
    assert list(attachments) == [name] and attachments[name] == [downloaded]
    assert name in " ".join(pdf_text(signed).split())


def attachment(message, name_part):
    for part in message.iter_attachments():
        if name_part in (part.get_filename() or ""):
            return part.get_content()
    raise AssertionError(f"no attachment like {name_part}")


def test_the_third_step_is_acknowledged_by_mail_with_the_sealed_pdf(app, client, auth, mailbox):
    auth.boater()
    cid = contract_id(app)
    sign_all(client, cid)
    message = mailbox.last("jean.dupont@example.com")
    assert "Accusé de réception" in message["Subject"] and f"{paris_today().year}-0042" in message["Subject"]
    text = mailbox.text(message)
    assert "1127-2" in text and "Contrat signé le" in text
    signed = client.get(f"/contract/{cid}/signed.pdf").data
    assert attachment(message, "-signe.pdf") == signed and sha256(signed) in text


def test_signing_and_revoking_a_mandate_are_acknowledged_by_mail(app, client, auth, form_post, mailbox):
    auth.boater("C0001")
    save(form_post, GOOD_IBAN)
    (draft,) = mandate_rows(app)
    mailbox.clear()
    form_post("/mandate/", f"/mandate/{draft.id}/sign", accept="y")
    signed = mailbox.last("jean.dupont@example.com")
    assert draft.rum in signed["Subject"] and "Accusé de réception" in signed["Subject"]
    assert attachment(signed, "mandat-sepa") == client.get(f"/mandate/{draft.id}/pdf").data
    assert "FR72ZZZ123456" in mailbox.text(signed) and "0189" in mailbox.text(signed)
    assert "3000 6000 0112" not in mailbox.text(signed)  # the IBAN stays masked in a mail
    mailbox.clear()
    form_post("/mandate/", f"/mandate/{draft.id}/revoke")
    revoked = mailbox.last("jean.dupont@example.com")
    assert "révoqué" in revoked["Subject"] and draft.rum in mailbox.text(revoked)


def test_a_password_change_is_told_by_mail(app, client, auth, mailbox):
    auth.boater()
    mailbox.clear()
    page = client.get("/account/password")
    new = "Ponton B-12, marée haute à 6 h 40"
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "current": PASSWORD,
            "password": new,
            "confirm": new,
        },
    )
    assert response.status_code == 303
    message = mailbox.last("jean.dupont@example.com")
    assert message["Subject"] == "Votre mot de passe a été modifié"
    assert "Si ce n'est pas vous" in mailbox.text(message)
