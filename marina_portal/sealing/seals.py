"""PAdES seals on PDFs with the port's certificate (pyHanko), and their verification.

The seal is the port's: its name and its certificate's subject are the port's legal name; who signed what is
said in /Reason and on the signature page. With TSA_URL set, an RFC 3161 timestamp from that authority
proves the time (PAdES B-T); without it, the time is the server's clock, and the signature page says so.

pyHanko (with aiohttp, asn1crypto, cryptography) is imported on the first seal or check, not with the app:
a worker that only serves pages does not carry it.
"""

import asyncio
import concurrent.futures
import dataclasses
import hashlib
import io

from flask import Flask, current_app

from marina_portal.models import Contract, Mandate, Port
from marina_portal.sealing.keys import ensure_port_certificate, fingerprint, pinned_fingerprints


class SealError(Exception):
    """The seal could not be made (for instance the timestamp authority did not answer)."""


def identity(port: Port) -> tuple[str, str]:
    """(legal name, organisation identifier) the port seals under; the SIREN once the port's settings hold one."""
    name = (getattr(port, "legal_name", "") or port.name or "").strip()
    siren = (getattr(port, "siren", "") or "").replace(" ", "")
    return name, (f"NTRFR-{siren}" if siren else "")


def timestamped(app: Flask | None = None) -> bool:
    """True when seals carry a timestamp from an outside authority (TSA_URL)."""
    app = app or current_app
    return bool(app.config.get("TSA_URL"))


def _signer(app, port):
    from pyhanko.sign import signers

    name, organisation_id = identity(port) if port is not None else (None, None)
    key_path, cert_path = ensure_port_certificate(app, name or None, organisation_id or None)
    return signers.SimpleSigner.load(key_path, cert_path)


def _outside_event_loop(function, *args):
    """pyHanko runs asyncio.run inside; when this thread already runs a loop, use a fresh thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def seal_pdf(pdf_bytes: bytes, reason: str, port: Port, location: str = "", app: Flask | None = None) -> bytes:
    """Return the PDF with an invisible PAdES signature by the port's certificate, in the port's name."""
    app = app or current_app._get_current_object()
    return _outside_event_loop(_seal, pdf_bytes, reason, port, location, app)


def _seal(pdf_bytes, reason, port, location, app):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = _signer(app, port)
    timestamper = None
    if timestamped(app):
        from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

        timestamper = RequestsHTTPTimeStamper(app.config["TSA_URL"], timeout=int(app.config.get("TSA_TIMEOUT", 10)))
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    meta = signers.PdfSignatureMetadata(
        field_name="PortSeal",
        reason=reason,
        name=identity(port)[0],
        location=location,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    try:
        out = signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper)
    except Exception as e:  # the timestamp authority down or refusing: no seal, the caller says so
        if timestamper is None:
            raise
        raise SealError(f"timestamp authority {app.config['TSA_URL']}: {e}") from e
    return out.getvalue()


@dataclasses.dataclass
class SealCheck:
    intact: bool  # the seal matches the bytes and covers the whole file
    trusted: bool  # the signing certificate is one of the port's (pinned by fingerprint)
    signer: str = ""  # who sealed: the name in the seal
    subject: str = ""  # the signing certificate's subject
    fingerprint: str = ""
    signed_at: object = None  # the time the signer's clock reported
    timestamp_at: object = None  # the time an outside timestamp authority attested, when there is one
    tsa: str = ""
    reason: str = ""
    problem: str = ""


def _certificate(data):
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return asn1_x509.Certificate.load(data)


def _trust_roots(app):
    _, cert_path = ensure_port_certificate(app)
    roots = []
    for path in (cert_path, app.config.get("TSA_CERT_FILE")):
        if path:
            with open(path, "rb") as f:
                roots.append(_certificate(f.read()))
    return roots


def verify_pdf(pdf_bytes: bytes, app: Flask | None = None) -> SealCheck:
    """Is the last seal intact, covering the whole file, made with the port's certificate? Who, when, why."""
    return _outside_event_loop(_verify, pdf_bytes, app or current_app._get_current_object())


def _verify(pdf_bytes, app):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_signatures
    except Exception as e:  # a damaged file is a verdict, not a crash
        return SealCheck(False, False, problem=f"PDF illisible : {e}")
    if not signatures:
        return SealCheck(False, False, problem="Aucun sceau dans ce PDF.")
    signature = signatures[-1]
    try:
        status = validate_pdf_signature(signature, ValidationContext(trust_roots=_trust_roots(app)))
        cert = signature.signer_cert
    except Exception as e:
        return SealCheck(False, False, problem=f"Sceau illisible : {e}")
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    intact = bool(status.intact and status.valid)
    printed = fingerprint(cert.dump())
    pinned = printed in pinned_fingerprints(app)
    problem = ""
    if not intact:
        problem = "Le sceau ne correspond plus au contenu : le document a été modifié."
    elif not whole:
        problem = "Le document a été modifié après le sceau."
    elif not pinned:
        problem = (
            "Ce sceau n'a pas été fait avec le certificat du port (empreinte SHA-256 "
            f"{printed}) : le document n'est pas un original du port."
        )
    sig_object = signature.sig_object
    stamp = status.timestamp_validity
    return SealCheck(
        intact=intact and whole,
        trusted=pinned,
        signer=str(sig_object.get("/Name", "")),
        subject=cert.subject.human_friendly,
        fingerprint=printed,
        signed_at=status.signer_reported_dt,
        timestamp_at=stamp.timestamp if stamp is not None and stamp.intact and stamp.valid else None,
        tsa=stamp.signing_cert.subject.human_friendly if stamp is not None and stamp.signing_cert else "",
        reason=str(sig_object.get("/Reason", "")),
        problem=problem,
    )


def recorded_as(pdf_bytes: bytes) -> tuple[str, str] | None:
    """The signed document whose stored SHA-256 is this file's: ("contrat", number) or ("mandat", RUM), or None."""
    digest = hashlib.sha256(pdf_bytes).hexdigest()
    contract = Contract.select(Contract.number).where(Contract.signed_pdf_sha256 == digest).first()
    if contract is not None:
        return "contrat", contract.number
    mandate = Mandate.select(Mandate.rum).where(Mandate.signed_pdf_sha256 == digest).first()
    if mandate is not None:
        return "mandat", mandate.rum
    return None
