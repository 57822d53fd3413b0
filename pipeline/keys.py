"""Keyed pseudonyms: HMAC-SHA256 of register identifiers.

With the same key, the same person and the same family get the same pseudonym every
quarter, which is what quarter-over-quarter comparison needs; without the key, a pseudonym
cannot be traced back to a register number. The key never lands in any output.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pyarrow as pa

from mpg.pipeline.errors import UsageError

KEY_ENV = "MPG_PSEUDONYM_KEY"
KEY_FILE_ENV = "MPG_PSEUDONYM_KEY_FILE"
# Only for the synthetic city: it protects nothing and says so in its name.
DEMO_KEY = b"mpg-demo-key-synthetic-data-only"
MIN_KEY_LENGTH = 16


def resolve_key(key_file: Path | None = None, demo: bool = False) -> bytes:
    """The pseudonym key: a key file, else $MPG_PSEUDONYM_KEY, else the demo key if allowed."""
    key_file = key_file or (Path(os.environ[KEY_FILE_ENV]) if os.environ.get(KEY_FILE_ENV) else None)
    if key_file is not None:
        try:
            key = key_file.read_bytes().strip()
        except OSError as exc:
            raise UsageError(f"The pseudonym key file {key_file} cannot be read: "
                             f"{exc.strerror}") from None
        return _long_enough(key, f"The pseudonym key file {key_file}")
    if os.environ.get(KEY_ENV):
        return _long_enough(os.environ[KEY_ENV].encode(), KEY_ENV)
    if demo:
        return DEMO_KEY
    raise UsageError(
        "No pseudonym key. A run writes keyed pseudonyms, so it needs the bureau's secret key: "
        f"set {KEY_ENV} (or {KEY_FILE_ENV}, or pass --key-file FILE). "
        "`mpg key --new FILE` makes a new key. Use --demo for synthetic data only.")


def _long_enough(key: bytes, where: str) -> bytes:
    # A short key can be guessed, and with it every pseudonym traced back.
    if len(key) < MIN_KEY_LENGTH:
        raise UsageError(f"{where} holds fewer than {MIN_KEY_LENGTH} characters; use a long "
                         "random key (`mpg key --new FILE` makes one)")
    return key


def new_key() -> str:
    return os.urandom(32).hex()


def write_new_key(path: Path) -> Path:
    """A new random key in a new file that only its owner can read, from the first byte; the
    folders on the way are made (owner-only) when missing. An existing file is never
    overwritten: it may be the key every earlier quarter was made with."""
    path = Path(path).expanduser()
    if path.exists():
        raise UsageError(f"{path} exists already; a key is never overwritten (it may be the key "
                         "of every earlier quarter). Choose another file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise UsageError(f"the key file {path} cannot be made: {exc.strerror}") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(new_key() + "\n")
    return path


def pseudonym(key: bytes, kind: str, identifier: str) -> str:
    return hmac.new(key, f"{kind}:{identifier}".encode(), hashlib.sha256).hexdigest()[:24]


def pseudonym_array(key: bytes, kind: str, identifiers: pa.Array) -> pa.Array:
    return pa.array([None if i is None else pseudonym(key, kind, i)
                     for i in identifiers.to_pylist()], pa.string())


def fingerprint(key: bytes) -> str:
    """What run.json records of the key: enough to tell two keys apart, nothing that leads
    back to the key (a keyed hash of a fixed text)."""
    return hmac.new(key, b"mpg: the fingerprint of a pseudonym key", hashlib.sha256).hexdigest()[:16]
