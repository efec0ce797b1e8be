"""Fernet encryption of provider credentials stored in the database."""
from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet
from django.conf import settings


def _fernet() -> Fernet:
    secret = settings.TOLLGATE_CREDENTIALS_KEY or f"tollgate-credentials:{settings.SECRET_KEY}"
    # Any string works as the setting: a SHA-256 of it is the 32-byte Fernet key.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


def encrypt_fields(fields: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(fields, sort_keys=True).encode()).decode()


def decrypt_fields(token: str) -> dict[str, str]:
    return json.loads(_fernet().decrypt(token.encode()))


def mask(value: str) -> str:
    """'sk-abcdef123456' -> 'sk-a…3456' (short values fully masked)."""
    return "•" * 8 if len(value) < 12 else f"{value[:4]}…{value[-4:]}"
