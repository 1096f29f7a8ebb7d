"""The port's key and certificate for sealing PDFs: configured files, or a self-signed pair made in the port's name.

A pair made here names the port (subject = its legal name, organisation identifier = its SIREN once known).
When that name changes, the old certificate is retired, not deleted: documents sealed with it still verify.
"""

import datetime as dt
import glob
import hashlib
import os

RETIRED = "retired"  # beside the self-made pair: earlier self-made certificates, still pinned


def signing_dir(app):
    return app.config.get("SIGNING_DIR") or os.path.join(app.instance_path, "signing")


def key_paths(app):
    folder = signing_dir(app)
    key = app.config.get("SIGNING_KEY_FILE") or os.path.join(folder, "port-key.pem")
    cert = app.config.get("SIGNING_CERT_FILE") or os.path.join(folder, "port-cert.pem")
    return key, cert


def _der(data):
    from asn1crypto import pem

    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return data


def fingerprint(cert_bytes):
    """SHA-256 of the certificate's DER bytes (PEM accepted), lowercase hex."""
    return hashlib.sha256(_der(cert_bytes)).hexdigest()


def _subject_wanted(common_name, organisation_id):
    return (common_name or "Marina Portal seal", organisation_id or "")


def _subject_of(cert_path):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    with open(cert_path, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    ids = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    return (names[0].value if names else "", ids[0].value if ids else "")


def ensure_port_certificate(app, common_name=None, organisation_id=None):
    """Return (key_path, cert_path). Configured files are used as they are; a self-made pair is made when
    missing, and made again (the old certificate retired) when it no longer carries the port's name."""
    key_path, cert_path = key_paths(app)
    if app.config.get("SIGNING_KEY_FILE"):
        if not (os.path.exists(key_path) and os.path.exists(cert_path)):
            raise FileNotFoundError(f"Signing key or certificate missing: {key_path}, {cert_path}")
        return key_path, cert_path
    if os.path.exists(key_path) and os.path.exists(cert_path):
        if common_name is None or _subject_of(cert_path) == _subject_wanted(common_name, organisation_id):
            return key_path, cert_path
        _retire(cert_path)
    _make_pair(key_path, cert_path, common_name, organisation_id)
    return key_path, cert_path


def _retire(cert_path):
    folder = os.path.join(os.path.dirname(cert_path), RETIRED)
    os.makedirs(folder, exist_ok=True)
    with open(cert_path, "rb") as f:
        data = f.read()
    with open(os.path.join(folder, f"{fingerprint(data)}.pem"), "wb") as f:
        f.write(data)


def pinned_fingerprints(app):
    """The certificates whose seals are the port's: the current one, the retired self-made ones, and those
    listed in SIGNING_CERT_FINGERPRINTS (an administrator who replaced a configured certificate)."""
    _, cert_path = key_paths(app)
    found = set()
    for path in [cert_path, *glob.glob(os.path.join(glob.escape(os.path.dirname(cert_path)), RETIRED, "*.pem"))]:
        if os.path.exists(path):
            with open(path, "rb") as f:
                found.add(fingerprint(f.read()))
    extra = app.config.get("SIGNING_CERT_FINGERPRINTS") or ""
    if isinstance(extra, str):
        extra = extra.replace(";", ",").split(",")
    found.update(value.strip().lower().replace(":", "") for value in extra if value.strip())
    return found


def _make_pair(key_path, cert_path, common_name, organisation_id):
    from cryptography import x509  # only when a pair is made: pages do not need it loaded
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    os.makedirs(os.path.dirname(key_path), mode=0o700, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, common_name or "Marina Portal"),
    ]
    if organisation_id:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, organisation_id))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name or "Marina Portal seal"))
    name = x509.Name(attributes)
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
