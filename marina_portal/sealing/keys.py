"""The port's key and certificate for sealing PDFs: configured files, or a self-signed pair made once."""

import datetime as dt
import os


def key_paths(app):
    key = app.config.get("SIGNING_KEY_FILE") or os.path.join(app.instance_path, "signing", "port-key.pem")
    cert = app.config.get("SIGNING_CERT_FILE") or os.path.join(app.instance_path, "signing", "port-cert.pem")
    return key, cert


def ensure_port_certificate(app, common_name=None):
    """Return (key_path, cert_path), generating a self-signed pair when none is configured or made."""
    key_path, cert_path = key_paths(app)
    if os.path.exists(key_path) and os.path.exists(cert_path):
        return key_path, cert_path
    if app.config.get("SIGNING_KEY_FILE"):
        raise FileNotFoundError(f"Signing key or certificate missing: {key_path}, {cert_path}")
    from cryptography import x509  # only when a pair is made: pages do not need it loaded
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    os.makedirs(os.path.dirname(key_path), exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, common_name or "Marina Portal"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name or "Marina Portal seal"),
        ]
    )
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
    return key_path, cert_path
