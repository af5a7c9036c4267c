"""MkDocs hook: the command-line reference page, generated from the argument parser.

``reference/cli.md`` is written at every build from :func:`reports.cli.build_parser`, the
parser ``dlnverify`` itself runs, so the page cannot drift from the program: one section per
command (and per subcommand, ``cache info``), each with the command's help text exactly as
``dlnverify COMMAND --help`` prints it, at a fixed width of :data:`WIDTH` columns so that the
same parser gives the same page whatever the terminal.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Iterator
from typing import Any

__all__ = ["PAGE", "WIDTH", "cli_reference", "commands", "on_files"]

#: Where the page lands in the site (``docs/`` relative).
PAGE = "reference/cli.md"

#: Columns of the help texts on the page (argparse wraps at the terminal's width otherwise).
WIDTH = 88


def _fixed_width(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.formatter_class = functools.partial(argparse.HelpFormatter, width=WIDTH)
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def commands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every command below ``parser``, depth first, as (``"cache info"``, its parser)."""
    for name, subparser in _subcommands(parser).items():
        yield name, subparser
        for subname, nested in commands(subparser):
            yield f"{name} {subname}", nested


def _help_line(parser: argparse.ArgumentParser, name: str) -> str:
    """The one-line help the parent's ``--help`` lists for ``name`` ('' when none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.dest == name:
                    return choice.help or ""
    return ""


def _anchor(name: str) -> str:
    return name.replace(" ", "-")


def cli_reference(parser: argparse.ArgumentParser) -> str:
    """The Markdown page: the top-level help, a table of the commands, then one section per
    command with its full ``--help`` text."""
    prog = parser.prog
    listed = list(commands(parser))
    lines = [
        "# Command line reference",
        "",
        f"Generated from the argument parser of `{prog}` (`reports.cli.build_parser`) at "
        "every build of this site: each section is what "
        f"`{prog} COMMAND --help` prints. Exit codes, `--json` and errors are described in "
        "[Using it](../guide/using-it.md).",
        "",
        "```text",
        _fixed_width(parser).format_help().rstrip(),
        "```",
        "",
        "| command | what it does |",
        "|---|---|",
    ]
    for name, _subparser in listed:
        parent_name, _, own = name.rpartition(" ")
        parent = dict(listed)[parent_name] if parent_name else parser
        help_line = _help_line(parent, own).replace("|", "\\|")
        lines.append(f"| [`{name}`](#{_anchor(name)}) | {help_line} |")
    for name, subparser in listed:
        lines += [
            "",
            f"## `{prog} {name}` {{#{_anchor(name)}}}",
            "",
            "```text",
            _fixed_width(subparser).format_help().rstrip(),
            "```",
        ]
    return "\n".join(lines) + "\n"


def on_files(files: Any, config: Any) -> Any:
    """MkDocs event: add the generated page to the site's files."""
    from mkdocs.structure.files import File

    from reports.cli import build_parser

    files.append(File.generated(config, PAGE, content=cli_reference(build_parser())))
    return files
