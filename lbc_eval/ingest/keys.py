"""The pseudonymisation key, and where ingest may write.

The key is 32 random bytes kept as 64 hexadecimal characters, in a key file readable by its
owner only (``chmod 600``) or in the environment variable :data:`KEY_ENV`. It must live
outside the repository and outside the output folder, be backed up with the same care as the
records (losing it means the same children get new pseudonyms next time) and never be shared
with the cohort. Its fingerprint (:func:`fingerprint`, a one-way hash) goes into the manifest
so two ingests can be checked to have used the same key without showing it.

Rules (:func:`key_problem`): a key file or :data:`KEY_ENV` must hold at least
:data:`KEY_BYTES` (32) bytes, with at least :data:`MIN_DISTINCT_BYTES` (16) different byte
values, that are neither an evenly spaced run (``00 01 02 …``) nor one block repeated (the
same first and second half, ``00 01 … 0f 00 01 … 0f``). 32 random bytes (what
:func:`create_key` makes) have about 30 different values and fail these rules with a chance
below 2**-100; a typed or made-up key such as ``0000…``, ``abab…`` or ``0123…0123…`` is
refused.

An output folder that already holds an ingested cohort is only written over with the key that
made it (:func:`check_same_key`): a different key would silently give every child a new
pseudonym, so no child of the new run would link to the earlier one. ``new_key=True``
(``--new-key``) says the change is intended.

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
import json
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from lbc_eval.data.messages import Text, check_lang, msg
from lbc_eval.errors import IngestKeyError, InsideRepositoryError
from lbc_eval.ingest.output import MANIFEST

#: Environment variable that may hold the key (64 hex characters).
KEY_ENV = "LBC_EVAL_KEY"
#: Bytes of a new key, and the fewest a key file or :data:`KEY_ENV` may hold.
KEY_BYTES = 32
#: The fewest different byte values a loaded key may have (32 random bytes have about 30).
MIN_DISTINCT_BYTES = 16


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
        raise IngestKeyError(msg("key.exists", path=path))
    _outside_repo(path, "key.the_key_file", allow_inside_repo)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    while _weakness(key) is not None:  # never in practice; the rule holds for every new key
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
        If there is no key, it is not hex, it is weak (fewer than 32 bytes, fewer than 16
        different byte values, an evenly spaced run, a repeated block: :func:`key_problem`),
        or the key file can be read by others than its owner.
    InsideRepositoryError
        If the key file is inside a git working tree.
    """
    env = os.environ if env is None else env
    if path is None:
        text = env.get(KEY_ENV)
        if not text:
            raise IngestKeyError(msg("key.none", env=KEY_ENV))
        return _parse(text, msg("key.in_env", env=KEY_ENV))
    path = Path(path)
    if not path.is_file():
        raise IngestKeyError(msg("key.no_file", path=path))
    _outside_repo(path, "key.the_key_file", allow_inside_repo)
    mode = path.stat().st_mode
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise IngestKeyError(msg("key.readable", path=path, mode=oct(mode & 0o777)))
    text = path.read_text(encoding="ascii", errors="replace")
    return _parse(text, msg("key.in_file", path=path))


def _parse(text: str, where: Text) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if not key:
        raise IngestKeyError(msg("key.malformed", where=where, size=KEY_BYTES))
    problem = _weakness(key)
    if problem is not None:
        raise IngestKeyError(msg("key.weak", where=where, problem=problem, size=KEY_BYTES))
    return key


def key_problem(key: bytes, lang: str = "zh") -> str | None:
    """Why ``key`` is too weak to pseudonymise real records, or None (rules in the module),
    in ``lang`` (``"zh"`` or ``"en"``).

    The answer describes the key (its length, how many different byte values it has) and
    never shows it.

    Examples
    --------
    >>> key_problem(bytes(32))
    '只有 1 种不同的字节值（至少应为 16 种）'
    >>> key_problem(bytes(range(16)), "en")
    'it is 16 bytes long (at least 32 expected)'
    >>> key_problem(bytes(range(32)), "en")
    'its bytes are an evenly spaced run (such as 00 01 02 …)'
    >>> key_problem(bytes(range(16)) * 2, "en")
    'it repeats one block of bytes'
    """
    check_lang(lang)
    problem = _weakness(key)
    return None if problem is None else problem.render(lang)


def _weakness(key: bytes) -> Text | None:
    if len(key) < KEY_BYTES:
        return msg("key.too_short", size=len(key), least=KEY_BYTES)
    distinct = len(set(key))
    if distinct < MIN_DISTINCT_BYTES:
        return msg("key.few_values", count=distinct, least=MIN_DISTINCT_BYTES)
    steps = {(b - a) % 256 for a, b in zip(key, key[1:], strict=False)}
    if len(steps) == 1:
        return msg("key.evenly_spaced")
    if any(key[p:] == key[:-p] for p in range(1, len(key) // 2 + 1)):
        return msg("key.repeats")
    return None


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
    """Refuse ``path`` inside a git working tree; ``what`` is the message naming it."""
    root = git_worktree(path)
    if root is not None and not allow:
        raise InsideRepositoryError(msg("key.inside_repo", what=msg(what), path=path, root=root))


def check_output(path: str | os.PathLike[str], *, allow_inside_repo: bool = False) -> None:
    """Refuse an output folder inside a git working tree (unless allowed)."""
    _outside_repo(Path(path), "key.the_output", allow_inside_repo)


def previous_fingerprint(out: str | os.PathLike[str]) -> str | None:
    """The key fingerprint recorded in the manifest of an ingest output folder, or None when
    ``out`` holds no manifest (a new folder, or a cohort that was not ingested).

    Raises
    ------
    IngestKeyError
        If ``out`` holds a manifest without a readable fingerprint (the key cannot be checked).
    """
    path = Path(out) / MANIFEST
    if not path.is_file():
        return None
    try:
        found = json.loads(path.read_text(encoding="utf-8")).get("key_fingerprint")
    except (ValueError, AttributeError, OSError):
        found = None
    if not isinstance(found, str) or not found:
        raise IngestKeyError(msg("key.no_fingerprint", path=path, out=out))
    return found


def check_same_key(
    out: str | os.PathLike[str], key_fingerprint: str, *, new_key: bool = False
) -> None:
    """Refuse to write over an ingested cohort in ``out`` made with another key.

    ``key_fingerprint`` is the fingerprint of the key in use (:func:`fingerprint`). Nothing is
    checked when ``out`` holds no manifest, or when ``new_key`` says a new key is intended.

    Raises
    ------
    IngestKeyError
        If the manifest in ``out`` records another fingerprint. The message names both
        fingerprints (never the key).
    """
    if new_key:
        return
    before = previous_fingerprint(out)
    if before is not None and before != key_fingerprint:
        raise IngestKeyError(msg("key.other_key", out=out, before=before, now=key_fingerprint))
