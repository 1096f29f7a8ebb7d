"""PAdES seals on PDFs with the port's certificate (pyHanko), and their verification."""
import asyncio
import dataclasses
import io
from concurrent.futures import ThreadPoolExecutor

from asn1crypto import pem, x509 as asn1_x509
from flask import current_app
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from .signing_keys import ensure_port_certificate


def _outside_running_loop(function, *args, **kwargs):
    """pyHanko's blocking calls start an asyncio loop of their own, which fails in a thread that already
    runs one (an async server, Playwright's sync API in tests): there, run them in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop_running = False
    else:
        loop_running = True
    if not loop_running:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def _signer(app):
    key_path, cert_path = ensure_port_certificate(app)
    return signers.SimpleSigner.load(key_path, cert_path), cert_path


def seal_pdf(pdf_bytes, reason, signer_name, location="", app=None):
    """Return the PDF with an invisible PAdES signature by the port's certificate."""
    signer, _ = _signer(app or current_app)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    meta = signers.PdfSignatureMetadata(
        field_name="PortSeal", reason=reason, name=signer_name, location=location,
        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
    )
    out = _outside_running_loop(signers.sign_pdf, writer, meta, signer=signer)
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
    _, cert_path = ensure_port_certificate(app)
    with open(cert_path, "rb") as f:
        data = f.read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return [asn1_x509.Certificate.load(data)]


def verify_pdf(pdf_bytes, app=None):
    """Is the last seal intact and does it cover the whole file? Who sealed it, when, and why."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_signatures
    except Exception as e:  # a damaged file is a verdict, not a crash
        return SealCheck(False, False, problem=f"PDF illisible : {e}")
    if not signatures:
        return SealCheck(False, False, problem="Aucun sceau dans ce PDF.")
    signature = signatures[-1]
    try:
        context = ValidationContext(trust_roots=_trust_roots(app or current_app))
        status = _outside_running_loop(validate_pdf_signature, signature, context)
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
