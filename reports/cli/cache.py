"""``dlnverify cache info|clear``: the derivation cache (:mod:`reports.engine.derivation_cache`)."""

from __future__ import annotations

import argparse

from reports.cli._common import ExitCode, print_json

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``cache`` to ``subparsers``."""
    parser = subparsers.add_parser(
        "cache",
        help="show or clear the cache of derived claims",
        description="Claims' symbolic derivations are kept in a cache directory and derived "
        "again whenever the source of derivations/ or the SymPy version changes. "
        "DLNVERIFY_CACHE_DIR sets the directory; DLNVERIFY_CACHE=off turns the cache off.",
    )
    parser.add_argument("action", choices=("info", "clear"), help="what to do")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """``info``: the directory, whether the cache is on, the stored claims and their size;
    ``clear``: remove every stored derivation."""
    from reports.engine.derivation_cache import cache_info, clear_cache

    if args.action == "clear":
        removed = clear_cache()
        info = cache_info()
        if args.json:
            print_json({"directory": str(info.directory), "removed": removed})
        else:
            print(f"removed {removed} derivation(s) from {info.directory}")
        return ExitCode.OK
    info = cache_info()
    if args.json:
        print_json(
            {
                "directory": str(info.directory),
                "enabled": info.enabled,
                "entries": list(info.entries),
                "bytes": info.size,
            }
        )
    else:
        state = "on" if info.enabled else "off (DLNVERIFY_CACHE)"
        print(f"directory: {info.directory}")
        print(f"cache:     {state}")
        print(f"entries:   {len(info.entries)} ({', '.join(info.entries) or 'none'})")
        print(f"size:      {_size(info.size)}")
    return ExitCode.OK


def _size(size: int) -> str:
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"
