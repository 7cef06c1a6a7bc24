"""The programme's electronic seal: a PAdES signature (pyHanko) on the final PDFs.

The final version of an agreement, an amendment or an internship certificate is sealed with
the programme's key and certificate (``SEAL_KEY_PATH``, ``SEAL_CERT_PATH``, optionally
``SEAL_KEY_PASSPHRASE`` and ``SEAL_CHAIN_PATH``): a PDF reader then shows the document as
signed by the programme and unmodified since. ``check_seal`` validates the seal of any PDF
against the configured certificate as the only trust root (no network access).

Without a usable key (not configured, or unreadable files) ``load_seal`` raises
``SealUnavailable``: the agreement services then refuse to produce a final version in the
production configuration and produce it unsealed, with a logged warning, elsewhere.
``create_demo_certificate`` makes the self-signed demonstration certificate of
``flask seal init-demo`` (``make run``).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)

#: The demonstration certificate's subject (never use it for real documents).
DEMO_COMMON_NAME = "MNC Exchange — démo"
DEMO_ORGANISATION = "Maroc Numeric Cluster"
DEMO_VALIDITY_DAYS = 5 * 365
#: The signature field that holds the seal.
FIELD_NAME = "MNC-Seal"
#: Key usages accepted on the seal certificate (one is enough).
KEY_USAGES = {"digital_signature", "non_repudiation"}


class SealUnavailable(RuntimeError):
    """No usable seal key and certificate."""


@dataclass(frozen=True)
class Seal:
    """The loaded key and certificate."""

    signer: object  # pyhanko.sign.signers.SimpleSigner
    certificate: object  # asn1crypto.x509.Certificate
    subject: str
    fingerprint: str  # SHA-256 of the certificate (DER), hex
    not_after: datetime


_cache: dict[tuple, Seal] = {}


def _path(name: str) -> Path | None:
    value = current_app.config.get(name)
    return Path(value) if value else None


def _stamp(path: Path | None) -> tuple:
    if path is None:
        return (None,)
    try:
        return (str(path), path.stat().st_mtime_ns)
    except OSError:
        return (str(path), None)


def configured() -> bool:
    """Both paths are set (the files may still be unreadable)."""
    return bool(_path("SEAL_KEY_PATH") and _path("SEAL_CERT_PATH"))


def _subject(certificate) -> str:
    return certificate.subject.native.get("common_name") or certificate.subject.human_friendly


def _fingerprint(certificate) -> str:
    return hashlib.sha256(certificate.dump()).hexdigest()


def load_seal() -> Seal:
    """The configured key and certificate (cached until the files change)."""
    key_path, cert_path = _path("SEAL_KEY_PATH"), _path("SEAL_CERT_PATH")
    chain_path = _path("SEAL_CHAIN_PATH")
    if key_path is None or cert_path is None:
        raise SealUnavailable("SEAL_KEY_PATH and SEAL_CERT_PATH are not configured")
    passphrase = current_app.config.get("SEAL_KEY_PASSPHRASE") or None
    cache_key = (_stamp(key_path), _stamp(cert_path), _stamp(chain_path), passphrase)
    if cache_key in _cache:
        return _cache[cache_key]
    for path in (key_path, cert_path, chain_path):
        if path is not None and not path.is_file():
            raise SealUnavailable(f"seal file not found: {path}")
    from pyhanko.sign import signers

    try:
        signer = signers.SimpleSigner.load(
            str(key_path),
            str(cert_path),
            ca_chain_files=(str(chain_path),) if chain_path else None,
            key_passphrase=passphrase.encode() if passphrase else None,
        )
    except Exception as exc:  # pyHanko raises several kinds for a bad key or passphrase
        raise SealUnavailable(f"the seal key or certificate cannot be loaded: {exc}") from exc
    if signer is None or signer.signing_cert is None:
        raise SealUnavailable("the seal key or certificate cannot be loaded")
    certificate = signer.signing_cert
    seal = Seal(
        signer=signer,
        certificate=certificate,
        subject=_subject(certificate),
        fingerprint=_fingerprint(certificate),
        not_after=certificate.not_valid_after,
    )
    _cache.clear()
    _cache[cache_key] = seal
    return seal


def _outside_event_loop(function, *args, **kwargs):
    """Call one of pyHanko's synchronous functions, which run ``asyncio.run`` inside: in a
    worker thread when this thread already runs an event loop (an async server, a test
    driver), directly otherwise."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def seal_pdf(data: bytes, reason: str, location: str = "Rabat") -> bytes:
    """``data`` sealed (an incremental update with a PAdES signature over the whole file,
    certifying that no change is allowed). Raises ``SealUnavailable`` without a usable key."""
    seal = load_seal()
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        name=seal.subject,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        signer_key_usage=set(KEY_USAGES),
    )
    output = _outside_event_loop(signers.sign_pdf, writer, metadata, signer=seal.signer)
    return output.getvalue()


def reference_certificate():
    """The configured certificate (the trust root of ``check_seal``), or None."""
    path = _path("SEAL_CERT_PATH")
    if path is None or not path.is_file():
        return None
    from pyhanko.keys import load_cert_from_pemder

    try:
        return load_cert_from_pemder(str(path))
    except Exception:  # noqa: BLE001 - an unreadable certificate is "not configured"
        log.exception("The seal certificate %s cannot be read", path)
        return None


@dataclass(frozen=True)
class SealCheck:
    """What ``check_seal`` found.

    ``status``: ``valid`` (intact, covers the whole file, made with the programme's
    certificate, trusted), ``none`` (no digital signature), ``unreadable`` (not a PDF pyHanko
    can read), ``invalid`` (the signed bytes were changed or the signature is broken),
    ``partial`` (intact, but the file has more than what was signed), ``other_signer``
    (signed with another certificate), ``untrusted`` (the programme's certificate, but not
    valid at the signing time), ``no_reference`` (this server has no seal certificate)."""

    status: str
    signer: str = ""
    signed_at: datetime | None = None

    @property
    def valid(self) -> bool:
        return self.status == "valid"


def check_seal(data: bytes) -> SealCheck:
    """Validate the last digital signature of ``data`` against the configured certificate."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001 - any parse failure means "unreadable"
        return SealCheck("unreadable")
    if not signatures:
        return SealCheck("none")
    embedded = signatures[-1]
    try:
        signer = _subject(embedded.signer_cert)
        signed_at = embedded.self_reported_timestamp
    except Exception:  # noqa: BLE001
        return SealCheck("invalid")
    root = reference_certificate()
    if root is None:
        return SealCheck("no_reference", signer, signed_at)
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    # The certificate is judged at the time the seal was made (inside the signed data, so
    # only the key's holder could have set it): a seal stays valid after the certificate
    # expires.
    context = ValidationContext(
        trust_roots=[root], allow_fetching=False, moment=signed_at or datetime.now(UTC)
    )
    try:
        status = _outside_event_loop(
            validate_pdf_signature,
            embedded,
            context,
            key_usage_settings=KeyUsageConstraints(
                key_usage=set(KEY_USAGES), match_all_key_usages=False
            ),
            skip_diff=True,
        )
    except Exception:  # noqa: BLE001 - a malformed signature is an invalid one
        log.info("Seal validation failed", exc_info=True)
        return SealCheck("invalid", signer, signed_at)
    if not (status.intact and status.valid):
        return SealCheck("invalid", signer, signed_at)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return SealCheck("partial", signer, signed_at)
    if _fingerprint(status.signing_cert) != _fingerprint(root):
        return SealCheck("other_signer", signer, signed_at)
    if not status.trusted:
        return SealCheck("untrusted", signer, signed_at)
    return SealCheck("valid", signer, signed_at)


# --- the demonstration certificate ---------------------------------------------------------


def create_demo_certificate(
    key_path: Path, cert_path: Path, passphrase: str | None = None, now: datetime | None = None
) -> None:
    """A self-signed RSA 2048 certificate "MNC Exchange — démo", valid 5 years, for the
    seal (key usages: digital signature, non-repudiation). The key file is private (0600)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    now = now or datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, DEMO_COMMON_NAME),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_ORGANISATION),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MA"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=DEMO_VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_bytes)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
