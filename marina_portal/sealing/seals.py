"""PAdES seals on PDFs with the port's certificate (pyHanko), and their verification.

pyHanko (with aiohttp, asn1crypto, cryptography) is imported on the first seal or check, not with the app:
a worker that only serves pages does not carry it.
"""

import asyncio
import concurrent.futures
import dataclasses
import io

from flask import current_app

from marina_portal.sealing.keys import ensure_port_certificate


def _signer(app):
    from pyhanko.sign import signers

    key_path, cert_path = ensure_port_certificate(app)
    return signers.SimpleSigner.load(key_path, cert_path), cert_path


def _outside_event_loop(function, *args):
    """pyHanko runs asyncio.run inside; when this thread already runs a loop, use a fresh thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def seal_pdf(pdf_bytes, reason, signer_name, location="", app=None):
    """Return the PDF with an invisible PAdES signature by the port's certificate."""
    app = app or current_app._get_current_object()
    return _outside_event_loop(_seal, pdf_bytes, reason, signer_name, location, app)


def _seal(pdf_bytes, reason, signer_name, location, app):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer, _ = _signer(app)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    meta = signers.PdfSignatureMetadata(
        field_name="PortSeal",
        reason=reason,
        name=signer_name,
        location=location,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    out = signers.sign_pdf(writer, meta, signer=signer)
    return out.getvalue()


@dataclasses.dataclass
class SealCheck:
    intact: bool
    trusted: bool
    signer: str = ""
    signed_at: object = None
    reason: str = ""
    problem: str = ""


def _trust_roots(app):
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    _, cert_path = ensure_port_certificate(app)
    with open(cert_path, "rb") as f:
        data = f.read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return [asn1_x509.Certificate.load(data)]


def verify_pdf(pdf_bytes, app=None):
    """Is the last seal intact and does it cover the whole file? Who sealed it, when, and why."""
    return _outside_event_loop(_verify, pdf_bytes, app or current_app._get_current_object())


def _verify(pdf_bytes, app):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
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
    except Exception as e:
        return SealCheck(False, False, problem=f"Sceau illisible : {e}")
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    intact = bool(status.intact and status.valid)
    problem = ""
    if not intact:
        problem = "Le sceau ne correspond plus au contenu : le document a été modifié."
    elif not whole:
        problem = "Le document a été modifié après le sceau."
    sig_object = signature.sig_object
    return SealCheck(
        intact=intact and whole,
        trusted=bool(status.trusted),
        signer=str(sig_object.get("/Name", "")),
        signed_at=status.signer_reported_dt,
        reason=str(sig_object.get("/Reason", "")),
        problem=problem,
    )
