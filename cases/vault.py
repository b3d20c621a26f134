"""The reporter vault's cryptography: Fernet tokens for identity fields, receipt codes and
their hashes. Plaintext identity exists only in memory, never in a row, a log or a history.

Keys come from OVERSIGHT_VAULT_KEY (newest first, comma-separated, for rotation). Without one,
in development only, a key is derived from SECRET_KEY and a warning is logged.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

logger = logging.getLogger(__name__)

# Crockford-style alphabet without 0/O, 1/I/L and U: nothing a villager can misread.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 20  # 20 × log2(30) ≈ 98 bits: unguessable, and no way back from its hash
RECEIPT_GROUP = 4


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = list(getattr(settings, "OVERSIGHT_VAULT_KEYS", []))
    if not keys:
        logger.warning(
            "OVERSIGHT_VAULT_KEY is not set: the reporter vault uses a key derived from "
            "SECRET_KEY. Set OVERSIGHT_VAULT_KEY before storing real reports."
        )
        digest = hashlib.sha256(b"oversight-vault:" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str) -> str:
    """A Fernet token of `value` ("" stays "": an empty field says nothing)."""
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """The plaintext of a token; a token no current key opens raises VaultError."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise VaultError() from exc


class VaultError(Exception):
    """A vault token that no configured key can open (a lost or rotated-out key)."""


def new_receipt() -> str:
    """A fresh receipt code, shown once to the reporter: XXXX-XXXX-XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i : i + RECEIPT_GROUP] for i in range(0, RECEIPT_LENGTH, RECEIPT_GROUP))


def normalise_receipt(code: str) -> str:
    """The receipt as typed, cleaned: upper case, without spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum())


def is_receipt(code: str) -> bool:
    """Whether `code` has the shape of a receipt (length and alphabet), whatever it opens.
    A code of the wrong shape cannot open anything: it needs no lookup."""
    cleaned = normalise_receipt(code)
    return len(cleaned) == RECEIPT_LENGTH and all(ch in RECEIPT_ALPHABET for ch in cleaned)


def receipt_hash(code: str) -> str:
    """The SHA-256 under which a receipt is stored (the code itself never is)."""
    return hashlib.sha256(normalise_receipt(code).encode()).hexdigest()
