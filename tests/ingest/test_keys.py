"""The pseudonymisation key and where ingest may write (lbc_eval.ingest.keys)."""

from __future__ import annotations

import os
import stat

import pytest

from lbc_eval.errors import IngestKeyError, InsideRepositoryError
from lbc_eval.ingest import KEY_ENV, create_key, load_key
from lbc_eval.ingest.keys import check_output, fingerprint, git_worktree


def code(info):
    """The catalogue code of a raised error's message (lbc_eval.data.messages)."""
    return info.value.args[0].code


def test_create_and_load_a_key_file(tmp_path):
    path = tmp_path / "keys" / "lbc.key"
    key = create_key(path)
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == key.hex()
    assert load_key(path) == key
    with pytest.raises(IngestKeyError, match="密钥从不覆盖") as info:
        create_key(path)
    assert code(info) == "key.exists" and "never overwritten" in info.value.args[0].render("en")
    assert create_key(tmp_path / "other.key") != key


def test_a_key_others_can_read_or_a_bad_key_is_refused(tmp_path):
    path = tmp_path / "lbc.key"
    create_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(IngestKeyError, match="chmod 600") as info:
        load_key(path)
    assert code(info) == "key.readable"
    bad = tmp_path / "bad.key"
    bad.write_text("not hex at all")
    os.chmod(bad, 0o600)
    with pytest.raises(IngestKeyError, match="中没有密钥") as info:
        load_key(bad)
    assert code(info) == "key.malformed" and "not hex" not in str(info.value)
    assert "not hex" not in info.value.args[0].render("en")
    with pytest.raises(IngestKeyError, match="不存在") as info:
        load_key(tmp_path / "missing.key")
    assert code(info) == "key.no_file"


def test_key_from_the_environment(tmp_path):
    key = os.urandom(32)
    assert load_key(env={KEY_ENV: key.hex()}) == key
    with pytest.raises(IngestKeyError, match=KEY_ENV):
        load_key(env={})
    with pytest.raises(IngestKeyError) as info:
        load_key(env={KEY_ENV: "abcd"})
    assert "abcd" not in str(info.value)


def test_nothing_is_written_inside_a_git_working_tree(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert git_worktree(repo / "out" / "deeper") == repo
    assert git_worktree(tmp_path / "elsewhere") is None
    with pytest.raises(InsideRepositoryError, match="代码仓库之外") as info:
        check_output(repo / "out")
    assert code(info) == "key.inside_repo"
    assert "outside the repository" in info.value.args[0].render("en")
    check_output(repo / "out", allow_inside_repo=True)
    with pytest.raises(InsideRepositoryError):
        create_key(repo / "lbc.key")
    assert not (repo / "lbc.key").exists()


def test_fingerprint_is_stable_and_reveals_nothing():
    key = bytes(range(32))
    assert fingerprint(key) == fingerprint(bytes(range(32))) != fingerprint(bytes(32))
    assert key.hex() not in fingerprint(key) and len(fingerprint(key)) == 12
