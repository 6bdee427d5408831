"""`kiosk-central`: serve the terminal API, print one-time enrollment codes, revoke terminals, load schools."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from kiosk.logs import configure_logging

from .console import cli as console_cli
from .settings import Settings


def _settings(args) -> Settings:
    return Settings(data_dir=Path(args.data), db_url=args.db or "", attachments=getattr(args, "attachments", ""),
                    s3_endpoint=getattr(args, "s3_endpoint", None), data_key_file=args.data_key)


def _central(args):
    from .app import Central

    return Central(_settings(args))


def serve(args) -> int:
    import uvicorn

    from .app import SETTINGS_ENV, create_app, prepare
    from .embedded import server_options

    settings = _settings(args)
    settings.max_concurrent_uploads, settings.rate_per_terminal = args.max_uploads, args.rate
    options = dict(host=args.host, port=args.port, log_config=None, access_log=False,
                   forwarded_allow_ips=args.forwarded_allow_ips,
                   ssl_certfile=args.ssl_certfile, ssl_keyfile=args.ssl_keyfile, **server_options())
    if args.workers <= 1:
        uvicorn.run(create_app(settings), **options)
        return 0
    if not settings.database_url.startswith("postgresql"):
        print("多进程运行需要 PostgreSQL（--db postgresql://...）；SQLite 只能单进程", file=sys.stderr)
        return 2
    prepare(settings)  # keys and schema made once, before the workers start
    os.environ[SETTINGS_ENV] = settings.to_json()
    uvicorn.run("central.app:app_from_environment", factory=True, workers=args.workers, **options)
    return 0


def enroll_code(args) -> int:
    from . import terminals

    central = _central(args)
    code = central.write(lambda s: terminals.create_code(s, args.role, args.school, args.county, args.ttl_hours))
    print(json.dumps({"code": code, "role": args.role, "school": args.school, "county": args.county})
          if args.json else code)
    return 0


def revoke(args) -> int:
    from . import terminals

    found = _central(args).write(lambda s: terminals.revoke(s, args.terminal_id))
    print("已吊销" if found else "找不到该终端", file=sys.stderr)
    return 0 if found else 1


def load_schools(args) -> int:
    """JSON file: {"schools": [{code, name, county_code}],
    "roster": [{student_number, id_number, name, school_code}]}"""
    from . import terminals

    data = json.loads(Path(args.file).read_text(encoding="utf-8"))
    central = _central(args)
    central.write(lambda s: terminals.load_schools(s, data.get("schools", []), data.get("roster", []),
                                                   central.data_keys))
    return 0


def rotate_key(args) -> int:
    """A new data key; every sealed row and attachment re-sealed under it. Prints the counts (JSON)."""
    from .rotate import rotate

    central = _central(args)
    counts = rotate(central)
    print(json.dumps({"current": central.data_keys.current, **counts}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-central", description="考生信息采集中心服务")
    parser.add_argument("--log-level", default="INFO")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name, handler, help_text):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--db", help="database URL (default: SQLite file in --data), e.g. postgresql://user@host/db")
        p.add_argument("--data", default="central-data", help="data directory (database, attachments)")
        p.add_argument("--data-key", help="data key file (default: $KIOSK_CENTRAL_DATA_KEY, else DATA/keys/)")
        p.add_argument("--attachments", default="", help="'' = files in --data; s3://bucket/prefix = object store")
        p.add_argument("--s3-endpoint", help="endpoint URL of an S3-compatible store")
        p.set_defaults(handler=handler)
        return p

    p = command("serve", serve, "运行中心服务")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8800)
    p.add_argument("--workers", type=int, default=1, help="server processes (PostgreSQL only)")
    p.add_argument("--forwarded-allow-ips", default="127.0.0.1",
                   help="balancer addresses whose X-Forwarded-For names the client (the enroll throttle's key)")
    p.add_argument("--max-uploads", type=int, default=64, help="concurrent uploads before 503 (a memory bound)")
    p.add_argument("--rate", type=float, default=20.0, help="requests per second per terminal before 429")
    p.add_argument("--ssl-certfile", help="serve HTTPS with this certificate (PEM), or terminate TLS in front")
    p.add_argument("--ssl-keyfile", help="private key of --ssl-certfile (PEM)")
    p = command("enroll-code", enroll_code, "生成一次性终端注册码")
    p.add_argument("--role", required=True, choices=["school", "point"])
    p.add_argument("--school", required=True, help="school code (学校代码) or point code")
    p.add_argument("--county", required=True, help="county code (县区代码, 6 digits)")
    p.add_argument("--ttl-hours", type=int, default=72)
    p.add_argument("--json", action="store_true")
    p = command("revoke", revoke, "吊销终端")
    p.add_argument("terminal_id")
    p = command("load-schools", load_schools, "导入学校与学籍名单（JSON）")
    p.add_argument("file")
    console_cli.register(command)  # user, export
    command("rotate-key", rotate_key, "更换数据密钥并重新加密全部记录与附件")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.umask(0o077)  # everything the server writes (database, WAL, attachments, keys) private to its user
    configure_logging(args.log_level)
    os.environ.setdefault("KIOSK_CENTRAL_LOG_LEVEL", args.log_level)  # serve --workers: the workers log alike
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
