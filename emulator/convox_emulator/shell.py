"""The small built-in command set that exec and one-off processes run.

Commands: echo [-n], printf FORMAT [ARG...], env, exit [N], sleep S, true, false, cat (stdin,
or the process's files: FILE...), sha256sum FILE..., pwd, hostname, sh -c SCRIPT / bash -c SCRIPT
(sequences with ;, && and ||, $VAR expansion).
Anything else prints `sh: 1: NAME: not found` and exits 127.
"""

from __future__ import annotations

import asyncio
import hashlib
import posixpath
import re
import shlex
from typing import Awaitable, Callable, Dict, List, Optional, Tuple

Write = Callable[[bytes], Awaitable[None]]
ReadStdin = Callable[[], Awaitable[bytes]]

MAX_SLEEP = 3600.0


class ShellExit(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def split_command(command: str) -> List[str]:
    """POSIX shell-style split (go-shellquote); raises ValueError on an unbalanced quote."""
    return shlex.split(command, posix=True)


_PRINTF_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.DOTALL)
_SIMPLE = {
    "n": b"\n",
    "t": b"\t",
    "r": b"\r",
    "\\": b"\\",
    "a": b"\a",
    "b": b"\b",
    "f": b"\f",
    "v": b"\v",
    "e": b"\x1b",
    '"': b'"',
    "'": b"'",
}


def _unescape(text: str) -> bytes:
    out = bytearray()
    pos = 0
    for match in _PRINTF_ESCAPE.finditer(text):
        out += text[pos : match.start()].encode("utf-8", "surrogateescape")
        code = match.group(1)
        if code[0] == "x":
            out.append(int(code[1:], 16))
        elif code[0] in "01234567":
            out.append(int(code, 8) & 0xFF)
        else:
            out += _SIMPLE.get(code, ("\\" + code).encode("utf-8", "surrogateescape"))
        pos = match.end()
    out += text[pos:].encode("utf-8", "surrogateescape")
    return bytes(out)


def _printf(args: List[str]) -> bytes:
    if not args:
        return b""
    fmt, values = args[0], list(args[1:])
    out = bytearray()
    parts = re.split(r"(%[sdb%])", fmt)
    while True:
        for part in parts:
            if part == "%%":
                out += b"%"
            elif part in ("%s", "%b", "%d"):
                value = values.pop(0) if values else ""
                if part == "%d":
                    out += str(int(value) if re.fullmatch(r"-?\d+", value) else 0).encode()
                elif part == "%b":
                    out += _unescape(value)
                else:
                    out += value.encode("utf-8", "surrogateescape")
            else:
                out += _unescape(part)
        if not values or not re.search(r"%[sdb]", fmt):
            break
    return bytes(out)


def _expand(script: str, env: Dict[str, str], last: int) -> str:
    """Expand $VAR, ${VAR} and $? outside single quotes."""
    out: List[str] = []
    quote = ""
    i = 0
    while i < len(script):
        char = script[i]
        if char == "'" and quote != '"':
            quote = "" if quote == "'" else "'"
        elif char == '"' and quote != "'":
            quote = "" if quote == '"' else '"'
        if char == "$" and quote != "'":
            match = re.match(r"\$(\?|\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)", script[i:])
            if match:
                name = match.group(1).strip("{}")
                value = str(last) if name == "?" else env.get(name, "")
                out.append(shlex.quote(value) if not quote else value)
                i += match.end()
                continue
        out.append(char)
        i += 1
    return "".join(out)


def _sequence(script: str) -> List[Tuple[str, List[str]]]:
    """Split a script into (operator, argv) pairs; operator is ';', '&&' or '||' before the command."""
    lexer = shlex.shlex(script.replace("\n", ";"), posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    result: List[Tuple[str, List[str]]] = []
    current: List[str] = []
    operator = ";"
    for token in lexer:
        if token in (";", "&&", "||"):
            if current:
                result.append((operator, current))
            current = []
            operator = token
        elif token and set(token) <= set(";&|"):
            raise ValueError(f"unsupported shell syntax: {token}")
        else:
            current.append(token)
    if current:
        result.append((operator, current))
    return result


class Interpreter:
    def __init__(
        self,
        env: Dict[str, str],
        write: Write,
        read_stdin: Optional[ReadStdin] = None,
        hostname: str = "emulator",
        files: Optional[Dict[str, bytes]] = None,
    ) -> None:
        self.files = files if files is not None else {}  # the process's files (files.py): absolute path -> bytes
        self.env = env
        self.write = write
        self.read_stdin = read_stdin
        self.hostname = hostname

    async def run_argv(self, argv: List[str]) -> int:
        if not argv:
            return 0
        name, args = argv[0], argv[1:]
        if name == "echo":
            newline = True
            if args and args[0] == "-n":
                newline = False
                args = args[1:]
            await self.write(" ".join(args).encode("utf-8", "surrogateescape") + (b"\n" if newline else b""))
            return 0
        if name == "printf":
            await self.write(_printf(args))
            return 0
        if name == "env":
            text = "".join(f"{k}={v}\n" for k, v in sorted(self.env.items()))
            await self.write(text.encode("utf-8", "surrogateescape"))
            return 0
        if name == "exit":
            code = int(args[0]) if args and re.fullmatch(r"-?\d+", args[0]) else 0
            raise ShellExit(code & 0xFF)
        if name == "sleep":
            try:
                seconds = float(args[0]) if args else 0.0
            except ValueError:
                await self.write(f"sleep: invalid time interval '{args[0]}'\n".encode())
                return 1
            await asyncio.sleep(max(0.0, min(seconds, MAX_SLEEP)))
            return 0
        if name == "true":
            return 0
        if name == "false":
            return 1
        if name == "pwd":
            await self.write(b"/app\n")
            return 0
        if name == "hostname":
            await self.write(self.hostname.encode() + b"\n")
            return 0
        if name in ("cat", "sha256sum") and args:
            return await self.read_files(name, args)
        if name == "cat":
            if self.read_stdin is not None:
                await self.write(await self.read_stdin())
            return 0
        if name in ("sh", "bash", "/bin/sh", "/bin/bash") and len(args) >= 2 and args[0] == "-c":
            return await self.run_script(args[1])
        await self.write(f"sh: 1: {name}: not found\n".encode("utf-8", "surrogateescape"))
        return 127

    async def read_files(self, name: str, args: List[str]) -> int:
        """``cat FILE...`` and ``sha256sum FILE...`` on the process's files (relative to /app)."""
        code = 0
        for arg in args:
            path = posixpath.normpath(posixpath.join("/app", arg))
            path = "/" + path.lstrip("/")
            data = self.files.get(path)
            if data is None:
                what = (
                    "Is a directory"
                    if any(p.startswith(path.rstrip("/") + "/") for p in self.files)
                    else "No such file or directory"
                )
                await self.write(f"{name}: {arg}: {what}\n".encode("utf-8", "surrogateescape"))
                code = 1
            elif name == "cat":
                await self.write(data)
            else:
                line = f"{hashlib.sha256(data).hexdigest()}  {arg}\n"
                await self.write(line.encode("utf-8", "surrogateescape"))
        return code

    async def run_script(self, script: str) -> int:
        last = 0
        try:
            steps = _sequence(_expand(script, self.env, last))
        except ValueError as exc:
            await self.write(f"sh: 1: Syntax error: {exc}\n".encode())
            return 2
        for operator, argv in steps:
            if operator == "&&" and last != 0:
                continue
            if operator == "||" and last == 0:
                continue
            last = await self.run_argv(argv)
        return last

    async def run(self, command: str) -> int:
        """Run a command string (split without a shell); returns the exit code."""
        try:
            argv = split_command(command)
        except ValueError:
            await self.write(b"sh: 1: Syntax error: Unterminated quoted string\n")
            return 2
        try:
            return await self.run_argv(argv)
        except ShellExit as done:
            return done.code
