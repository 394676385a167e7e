# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""convox_copy's own pieces: the option checks and what diff mode may show of a file."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.convox.convox.plugins.modules import convox_copy


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("/app/x.txt", None),
        ("/a b/c", None),
        ("app/x", "absolute"),
        ("/a,b", "comma"),
        ("/app/", "not a directory"),
        ("/", "not a directory"),
        ("/..", "not a directory"),
        ("/a\nb", "control"),
        ("/" + "a" * 5000, "at most 4096"),
    ],
)
def test_remote_path_check(value: str, problem: str) -> None:
    found = convox_copy._remote_path()(value, False)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


@pytest.mark.parametrize(
    ("value", "ok"),
    [("0644", True), ("600", True), ("7777", True), ("999", False), ("", False), ("17777", False), ("u+x", False)],
)
def test_mode_check(value: str, ok: bool) -> None:
    assert (convox_copy._mode()(value, False) is None) is ok


def test_summary_shows_content_only_when_asked_small_and_text() -> None:
    text = b"feature_x: true\n"
    shown = convox_copy._summary("/app/s.yml", text, 0o640, True)
    assert shown == {
        "path": "/app/s.yml",
        "checksum": hashlib.sha256(text).hexdigest(),
        "size": 16,
        "mode": "0640",
        "content": "feature_x: true\n",
    }
    assert "content" not in convox_copy._summary("/app/s.yml", text, None, False)
    assert "content" not in convox_copy._summary("/b", b"\x00\x01binary", None, True)
    assert "content" not in convox_copy._summary("/b", b"\xff\xfe not utf-8", None, True)
    big = b"x" * (convox_copy.DIFF_CONTENT_LIMIT + 1)
    assert "content" not in convox_copy._summary("/big", big, None, True)
    assert convox_copy._summary("/gone", None, None, True) == {}
