"""Validation messages a new user can act on: both lines of a duplicate, one error per mistake,
paths as the user would type them, and a level limit the argument has."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_safecase.case import check_case, errors


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "safecase.yaml"
    path.write_text(text, encoding="utf-8")
    return [str(problem) for problem in errors(check_case(path)[1])]


def test_a_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    (message,) = problems_of(tmp_path, "G1:\n  text: a\nG2:\n  text: b\nG1:\n  text: c\n")
    assert "'G1' is defined more than once: at lines 1 and 5 [duplicate-id]" in message


def test_a_repeated_key_names_both_lines(tmp_path: Path) -> None:
    (message,) = problems_of(tmp_path, "G1:\n  text: a\n  text: b\n")
    assert "'text' is repeated: at lines 2 and 3" in message


@pytest.mark.parametrize("key", ["node_type", "type"])
def test_a_snake_case_node_type_is_one_error(tmp_path: Path, key: str) -> None:
    """Before: 'unknown key' and, for an id without a prefix, 'no nodeType' as well."""
    (message,) = problems_of(tmp_path, f"Top:\n  text: Safe\n  {key}: Goal\n")
    assert f"unknown key '{key}'; did you mean 'nodeType'?" in message


def test_snake_case_links_are_one_error_each(tmp_path: Path) -> None:
    messages = problems_of(tmp_path, "G1:\n  text: a\n  supported_by: [G2]\nG2:\n  text: b\n")
    assert len(messages) == 1 and "did you mean 'supportedBy'?" in messages[0]


def test_paths_are_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "safety"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    (message,) = problems_of(folder, "G1:\n  text: a\n  supportedBy: [G9]\n")
    assert message.startswith("safety/safecase.yaml:1: G1:")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not below the working directory: the path as given
    (message,) = problems_of(folder, "G1:\n  text: a\n  supportedBy: [G9]\n")
    assert message.startswith(f"{folder / 'safecase.yaml'}:1: G1:")


LEVELS = """\
G0:
  text: Safe
  supportedBy: [G1, G2]
G1:
  text: Level one
  x-level: 1
G2:
  text: Level two
  x-level: 2
"""


def test_a_level_above_the_highest_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", safecase=LEVELS)
    pytester.makepyfile(
        "from pytest_safecase import claim\n"
        "@claim(id='G1')\ndef test_a(): pass\n"
        "@claim(id='G2')\ndef test_b(): pass\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--safecase-level", "9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--safecase-level 9: the argument's highest adoption level is 2 (levels 1, 2)*"]
    )
    assert pytester.runpytest("-p", "no:cacheprovider", "--safecase-level", "2").ret == 0
