"""Command line: `convox-emulator [options]`, or `python -m convox_emulator [options]`."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from typing import TYPE_CHECKING, Dict, List, Optional

if TYPE_CHECKING:  # the server (and aiohttp) is imported only once the arguments are valid
    from .server import Options


def _api_keys(values: List[str]) -> Dict[str, str]:
    keys: Dict[str, str] = {}
    for item in values:
        key, sep, role = item.rpartition(":")
        if not sep or not key or role not in ("read", "write", "admin"):
            raise argparse.ArgumentTypeError(f"--api-key expects KEY:ROLE with ROLE read, write or admin, got {role!r}")
        keys[key] = role
    return keys


def _rack_roles(values: List[str]) -> Dict[str, Dict[str, str]]:
    """``--rack-role KEY:RACK:ROLE`` items as {key: {rack: role}} (ROLE none denies the rack)."""
    roles: Dict[str, Dict[str, str]] = {}
    for item in values:
        parts = item.rsplit(":", 2)
        if len(parts) != 3 or not parts[0] or not parts[1] or parts[2] not in ("none", "read", "write", "admin"):
            raise argparse.ArgumentTypeError(
                "--rack-role expects KEY:RACK:ROLE with ROLE none, read, write or admin, "
                f"got {item.rsplit(':', 1)[-1]!r}"
            )
        roles.setdefault(parts[0], {})[parts[1]] = parts[2]
    return roles


def parse_args(argv: Optional[List[str]] = None) -> Options:
    env = os.environ
    parser = argparse.ArgumentParser(prog="convox-emulator", description="Convox rack emulator (v3, 3.24.9).")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=int(env.get("EMULATOR_PORT", "5443")),
        help="port (0 picks a free one; env EMULATOR_PORT)",
    )
    password = parser.add_mutually_exclusive_group()
    password.add_argument(
        "--password",
        default=None,
        help="rack API password; empty disables auth (env EMULATOR_PASSWORD; default secret)",
    )
    password.add_argument(
        "--password-env",
        metavar="NAME",
        help="read the password from environment variable NAME (keeps it off the command line)",
    )
    parser.add_argument("--tls", action="store_true", help="serve https with a self-signed certificate")
    parser.add_argument(
        "--console", action="store_true", help="console mode: several racks selected by the Rack header"
    )
    parser.add_argument("--rack", action="append", default=[], help="rack name (repeatable; console mode: org/rack)")
    parser.add_argument("--api-key", action="append", default=[], help="console API key KEY:ROLE (repeatable)")
    parser.add_argument(
        "--rack-role",
        action="append",
        default=[],
        help="console mode: role of an API key on one rack, KEY:RACK:ROLE with ROLE none|read|write|admin (repeatable)",
    )
    parser.add_argument(
        "--session", action="store_true", help="console mode: require a Session header obtained from POST /session"
    )
    parser.add_argument("--legacy", action="store_true", help="pre-3.24.1 errors: 500 and plain text")
    parser.add_argument(
        "--delay-scale",
        type=float,
        default=float(env.get("EMULATOR_DELAY_SCALE", "1.0")),
        help="multiply every lifecycle delay (env EMULATOR_DELAY_SCALE)",
    )
    parser.add_argument("--provider", default="aws", help="provider name reported by GET /system (default aws)")
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        parser.error("the emulator binds to loopback addresses only")
    try:
        keys = _api_keys(args.api_key)
        rack_roles = _rack_roles(args.rack_role)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    if args.delay_scale < 0:
        parser.error("--delay-scale must not be negative")
    if args.password_env is not None:
        if args.password_env not in env:
            parser.error(f"--password-env: environment variable {args.password_env!r} is not set")
        args.password = env[args.password_env]
    elif args.password is None:
        args.password = env.get("EMULATOR_PASSWORD", "secret")
    from .server import Options

    return Options(
        host=args.host,
        port=args.port,
        password=args.password,
        tls=args.tls,
        console=args.console,
        racks=args.rack,
        api_keys=keys,
        rack_roles=rack_roles,
        legacy=args.legacy,
        delay_scale=args.delay_scale,
        provider=args.provider,
        session=args.session,
    )


def main(argv: Optional[List[str]] = None) -> int:
    options = parse_args(argv)
    from .server import Emulator, serve

    emu = Emulator(options)

    def ready(url: str) -> None:
        sys.stdout.write(f"convox emulator listening on {url}\n")
        sys.stdout.flush()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        await serve(emu, ready, stop)

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
