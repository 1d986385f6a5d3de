"""`--help` of every command and subcommand answers (issue 7: `fbss summary --help` crashed)."""

from __future__ import annotations

import argparse

import pytest

from fbss.cli import build_parser


def _subcommands() -> list[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(actions[0].choices)


def test_the_commands_are_all_there() -> None:
    assert {"validate", "load", "sample", "summary", "events", "dashboard"} <= set(_subcommands())


@pytest.mark.parametrize("argv", [[], *([name] for name in _subcommands())])
def test_help_prints_and_exits_0(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args([*argv, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: fbss")
    if argv:
        assert f"fbss {argv[0]}" in out
