"""Channel secrets (auth tokens, passwords, app secrets) encrypted at rest (decision 51).

Fernet (AES-128-CBC with HMAC-SHA256) under a key derived from SECRET_KEY, or from
CHANNEL_SECRETS_KEY when it is set so that the two can be rotated apart. A value sealed under a key
now in SECRET_KEY_FALLBACKS (or CHANNEL_SECRETS_KEY_FALLBACKS) still opens; saving it again seals
it under the current key."""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class Unreadable(Exception):
    """A stored secret that no current or fallback key opens (the keys changed without a fallback)."""


def _fernet(secret):
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"civicdesk channel secrets").derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _keys():
    if settings.CHANNEL_SECRETS_KEY:
        return [settings.CHANNEL_SECRETS_KEY, *settings.CHANNEL_SECRETS_KEY_FALLBACKS]
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def seal(value):
    """The token stored for `value`; "" stays "" (no secret set)."""
    if not value:
        return ""
    return MultiFernet([_fernet(key) for key in _keys()]).encrypt(value.encode()).decode()


def reseal(token):
    """`token` sealed under the current key (a fallback's token moves forward); unchanged when no
    key opens it, so that saving an account never loses what may still open after a fix."""
    if not token:
        return ""
    try:
        return MultiFernet([_fernet(key) for key in _keys()]).rotate(token.encode()).decode()
    except InvalidToken:
        return token


def unseal(token):
    if not token:
        return ""
    try:
        return MultiFernet([_fernet(key) for key in _keys()]).decrypt(token.encode()).decode()
    except InvalidToken:
        raise Unreadable("No current key opens this secret: enter it again.") from None
