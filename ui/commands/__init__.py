"""Subcommand groups of the `kiosk` command; see ui/cli.py."""
import json
import sys


def add_json_flag(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object (for scripts)")


def emit(args, data: dict, text: str) -> None:
    """Prints data as JSON with --json, else the human text (Chinese)."""
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, ensure_ascii=False, indent=None if not sys.stdout.isatty() else 2, default=str)
        sys.stdout.write("\n")
    else:
        print(text)
