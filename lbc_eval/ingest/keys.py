"""The pseudonymisation key, and where ingest may write.

The key is 32 random bytes kept as 64 hexadecimal characters, in a key file readable by its
owner only (``chmod 600``) or in the environment variable :data:`KEY_ENV`. It must live
outside the repository and outside the output folder, be backed up with the same care as the
records (losing it means the same children get new pseudonyms next time) and never be shared
with the cohort. Its fingerprint (:func:`fingerprint`, a one-way hash) goes into the manifest
so two ingests can be checked to have used the same key without showing it.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "lbc.key"
>>> key = create_key(path)
>>> load_key(path) == key and oct(path.stat().st_mode & 0o777)
'0o600'
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from lbc_eval.errors import IngestKeyError, InsideRepositoryError

#: Environment variable that may hold the key (64 hex characters).
KEY_ENV = "LBC_EVAL_KEY"
KEY_BYTES = 32


def create_key(path: str | os.PathLike[str], *, allow_inside_repo: bool = False) -> bytes:
    """Create a new random key file with owner-only permissions (0600) and return the key.

    Raises
    ------
    IngestKeyError
        If the file exists already (a key is never overwritten: the pseudonyms depend on it).
    InsideRepositoryError
        If the file would be inside a git working tree.
    """
    path = Path(path)
    if path.exists():
        raise IngestKeyError(
            f"{path} exists already; a key is never overwritten (the pseudonyms depend on it). "
            "Use it without --create-key, or name a new file"
        )
    _outside_repo(path, "the key file", allow_inside_repo)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    os.chmod(path, 0o600)
    return key


def load_key(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    allow_inside_repo: bool = False,
) -> bytes:
    """The key from a key file, else from the environment variable :data:`KEY_ENV`.

    Raises
    ------
    IngestKeyError
        If there is no key, it is not 32-or-more bytes of hex, or the key file can be read by
        others than its owner.
    InsideRepositoryError
        If the key file is inside a git working tree.
    """
    env = os.environ if env is None else env
    if path is None:
        text = env.get(KEY_ENV)
        if not text:
            raise IngestKeyError(
                f"no pseudonymisation key: give --key-file PATH (add --create-key to make a new "
                f"one) or set the environment variable {KEY_ENV}"
            )
        return _parse(text, f"the environment variable {KEY_ENV}")
    path = Path(path)
    if not path.is_file():
        raise IngestKeyError(
            f"key file {path} does not exist; add --create-key to make a new one (only for a "
            "first ingest: a new key gives every child a new pseudonym)"
        )
    _outside_repo(path, "the key file", allow_inside_repo)
    mode = path.stat().st_mode
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise IngestKeyError(
            f"key file {path} can be read by other users (mode {oct(mode & 0o777)}); "
            f"run: chmod 600 {path}"
        )
    return _parse(path.read_text(encoding="ascii", errors="replace"), f"key file {path}")


def _parse(text: str, where: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise IngestKeyError(
            f"{where} does not hold a key: 32 to 64 bytes written as hexadecimal characters "
            "are expected (make one with --create-key)"
        )
    return key


def fingerprint(key: bytes) -> str:
    """A one-way fingerprint of the key (12 hex): equal for equal keys, reveals nothing."""
    return hashlib.sha256(b"lbc_eval key fingerprint\x00" + key).hexdigest()[:12]


def git_worktree(path: str | os.PathLike[str]) -> Path | None:
    """The root of the git working tree that ``path`` is (or would be) in, or None."""
    p = Path(path).absolute()
    for d in (p, *p.parents):
        if (d / ".git").exists():
            return d
    return None


def _outside_repo(path: Path, what: str, allow: bool) -> None:
    root = git_worktree(path)
    if root is not None and not allow:
        raise InsideRepositoryError(
            f"{what} {path} is inside the git working tree {root}; real records and keys must "
            "stay outside the repository. Choose a folder elsewhere (or pass "
            "allow_inside_repo=True / --allow-inside-repo for synthetic data only)"
        )


def check_output(path: str | os.PathLike[str], *, allow_inside_repo: bool = False) -> None:
    """Refuse an output folder inside a git working tree (unless allowed)."""
    _outside_repo(Path(path), "the output folder", allow_inside_repo)
