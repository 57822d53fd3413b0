"""The project's own exception types and the one enum of exit codes.

Messages must never carry the value of an identifying field (name, BSN, birth date,
address): they name the file, the row and the column instead.
"""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    DELIVERY_PROBLEM = 1  # unreadable file, manifest error: nothing written to OUT
    USAGE = 2  # wrong arguments, missing pseudonym key, ...
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it): the run stopped


class MpgError(Exception):
    """Base of every error the CLI turns into a message and an exit code."""

    exit_code: ExitCode = ExitCode.DELIVERY_PROBLEM


class ConfigError(MpgError):
    """A TOML file (manifest, rules, linkage settings) does not follow its schema."""


class DeliveryError(MpgError):
    """A delivery file cannot be read: missing, wrong encoding, wrong format, column absent."""


class UsageError(MpgError):
    exit_code = ExitCode.USAGE
