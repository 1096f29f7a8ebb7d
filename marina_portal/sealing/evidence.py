"""Signing evidence shared by contracts and mandates: which exact PDF a boater downloaded, and each
explicit step they took (time, who, IP, user agent, the declaration's words, the document's hash).

Both tables are append-only: rows are created here and never updated or deleted.
"""

import hashlib

from marina_portal.core import storage
from marina_portal.models import PdfDownload, SignatureEvidence

DOWNLOADS = "downloads"  # DATA_DIR area of the exact PDFs boaters downloaded, named by their SHA-256


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def record_download(subject_type, subject_id, revision, user, pdf_bytes):
    """The download's digest, and the bytes themselves kept by that digest: the steps are tied to these."""
    _, digest = storage.keep(DOWNLOADS, pdf_bytes, ".pdf")
    return PdfDownload.create(
        subject_type=subject_type, subject_id=subject_id, subject_revision=revision, user=user, sha256=digest
    )


def downloaded_bytes(download):
    """The exact PDF of a recorded download, or None when it was made before the bytes were kept."""
    return storage.kept(DOWNLOADS, download.sha256, ".pdf")


def last_download(subject_type, subject_id, revision, user):
    return (
        PdfDownload.select()
        .where(
            (PdfDownload.subject_type == subject_type)
            & (PdfDownload.subject_id == subject_id)
            & (PdfDownload.subject_revision == revision)
            & (PdfDownload.user == user)
        )
        .order_by(PdfDownload.id.desc())
        .first()
    )


def steps(subject_type, subject_id, revision):
    """The recorded steps of one revision of a document, in order."""
    return list(
        SignatureEvidence.select()
        .where(
            (SignatureEvidence.subject_type == subject_type)
            & (SignatureEvidence.subject_id == subject_id)
            & (SignatureEvidence.subject_revision == revision)
        )
        .order_by(SignatureEvidence.step, SignatureEvidence.id)
    )


def record_step(subject_type, subject_id, revision, step, user, declaration, document_sha256, client):
    """Append one step; `client` is a (ip, user_agent) pair read by the view from the request."""
    ip, user_agent = client
    return SignatureEvidence.create(
        subject_type=subject_type,
        subject_id=subject_id,
        subject_revision=revision,
        step=step,
        user=user,
        customer=user.customer_id,
        ip=ip or "",
        user_agent=(user_agent or "")[:1000],
        declaration=declaration,
        document_sha256=document_sha256,
    )
