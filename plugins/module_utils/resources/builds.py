# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builds: ``/apps/{app}/builds`` (convox-api.md 5.3, 6.2), and source archives."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import stat
import tarfile
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from .._wire import normalize_scalar
from ..errors import ConvoxInputError
from ._base import Accessor, build_path, require

if TYPE_CHECKING:
    from ..models import Build
else:  # named, not imported: the client answers with a model or a record (Accessor._parse)
    Build = "Build"

BuildArgs = Union[Sequence[str], Dict[str, str], None]


# --------------------------------------------------------------------------------------------
# .dockerignore


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Regex of one .dockerignore pattern (Go filepath.Match syntax plus ``**``)."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            if pattern[i : i + 2] == "**":
                i += 2
                if pattern[i : i + 1] == "/":
                    out.append("(?:.*/)?")
                    i += 1
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("^"):
                    body = "!" + body[1:]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


class DockerIgnore:
    """The rules of a ``.dockerignore`` file: later lines win, ``!`` re-includes."""

    def __init__(self, lines: Sequence[str] = ()) -> None:
        self.rules: List[Tuple[re.Pattern[str], bool]] = []
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:].strip()
            line = os.path.normpath(line).replace(os.sep, "/").lstrip("/")
            if line in ("", "."):
                continue
            self.rules.append((_pattern_regex(line), negate))

    @classmethod
    def from_directory(cls, path: str) -> DockerIgnore:
        ignore_file = os.path.join(path, ".dockerignore")
        if not os.path.isfile(ignore_file):
            return cls()
        with open(ignore_file, encoding="utf-8") as handle:
            return cls(handle.read().splitlines())

    @property
    def has_exceptions(self) -> bool:
        return any(negate for _regex, negate in self.rules)

    def excluded(self, relpath: str) -> bool:
        """True when ``relpath`` (``/``-separated) or one of its parents is excluded."""
        parts = relpath.split("/")
        candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        result = False
        for regex, negate in self.rules:
            if any(regex.match(candidate) for candidate in candidates):
                result = not negate
        return result


def _tar_info(name: str, full: str, st: os.stat_result) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    elif stat.S_ISLNK(st.st_mode):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(full)
        info.mode = 0o777
    else:
        info.type = tarfile.REGTYPE
        info.mode = 0o755 if st.st_mode & 0o111 else 0o644
        info.size = st.st_size
    return info


def source_archive(path: str) -> Tuple[bytes, str]:
    """Deterministic gzip tarball of ``path`` honouring ``.dockerignore``; returns (bytes, sha256 hex).

    Entries are sorted, owners and times zeroed and modes normalised, so the same tree always
    gives the same bytes (and the same object key when uploaded).
    """
    root = os.path.abspath(os.path.expanduser(path))
    if not os.path.isdir(root):
        raise ConvoxInputError(f"source directory not found: {path}", field="path")
    rules = DockerIgnore.from_directory(root)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
            rel_dir = "" if rel_dir == "." else rel_dir
            keep_dirs = []
            for name in dirnames:
                rel = rel_dir + "/" + name if rel_dir else name
                full = os.path.join(dirpath, name)
                if os.path.islink(full):
                    filenames.append(name)
                    continue
                if rules.excluded(rel) and not rules.has_exceptions:
                    continue
                keep_dirs.append(name)
                if not rules.excluded(rel):
                    tar.addfile(_tar_info(rel, full, os.lstat(full)))
            dirnames[:] = keep_dirs
            for name in sorted(filenames):
                rel = rel_dir + "/" + name if rel_dir else name
                if rules.excluded(rel):
                    continue
                full = os.path.join(dirpath, name)
                st = os.lstat(full)
                info = _tar_info(rel, full, st)
                if info.type == tarfile.REGTYPE:
                    with open(full, "rb") as handle:
                        tar.addfile(info, handle)
                elif info.type in (tarfile.SYMTYPE, tarfile.DIRTYPE):
                    tar.addfile(info)
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0) as gz:
        gz.write(raw.getvalue())
    data = compressed.getvalue()
    return data, hashlib.sha256(data).hexdigest()


def _build_args(value: BuildArgs) -> Optional[List[str]]:
    if value is None:
        return None
    if isinstance(value, dict):
        return [f"{key}={value[key]}" for key in sorted(value)]
    return [str(item) for item in value]


class BuildsAccessor(Accessor):
    """``client.builds``"""

    def list(self, app: str, *, limit: Optional[int] = None) -> List[Build]:
        return self._parse_list(
            Build, self._call("GET", build_path("apps", require(app, "app"), "builds"), params={"limit": limit})
        )

    def get(self, app: str, id: str) -> Build:
        return self._parse(
            Build, self._call("GET", build_path("apps", require(app, "app"), "builds", require(id, "id")))
        )

    def create(
        self,
        app: str,
        url: str,
        *,
        build_args: BuildArgs = None,
        description: Optional[str] = None,
        development: bool = False,
        external: bool = False,
        manifest: Optional[str] = None,
        no_cache: bool = False,
        git_sha: Optional[str] = None,
        wildcard_domain: Optional[bool] = None,
    ) -> Build:
        """Start a build from a source URL (normally the ``object://`` URL of an uploaded tarball)."""
        data: Dict[str, Any] = {
            "url": require(url, "url"),
            "build-args": _build_args(build_args) or None,
            "description": description,
            "development": True if development else None,
            "external": True if external else None,
            "manifest": manifest,
            "no-cache": True if no_cache else None,
            "git-sha": git_sha,
            "wildcard-domain": wildcard_domain,
        }
        return self._parse(Build, self._call("POST", build_path("apps", require(app, "app"), "builds"), data=data))

    def update(self, app: str, id: str, **fields: Any) -> Build:
        """Update build fields (ended, started, entrypoint, logs, manifest, release, status)."""
        data = {key.replace("_", "-"): value for key, value in fields.items()}
        path = build_path("apps", require(app, "app"), "builds", require(id, "id"))
        return self._parse(Build, self._call("PUT", path, data=data))

    def import_build(self, app: str, data: bytes) -> Build:
        """Import an exported build (gzip tar); creates a release."""
        path = build_path("apps", require(app, "app"), "builds", "import")
        return self._parse(Build, self._call("POST", path, content=bytes(data)))

    def export(self, app: str, id: str) -> bytes:
        """The build as a gzip tar (``build.json`` plus one image archive per service)."""
        path = build_path("apps", require(app, "app"), "builds", require(id, "id") + ".tgz")
        return self._transport.request("GET", path).content

    def logs(self, app: str, id: str, *, timeout: Optional[float] = None) -> str:
        """The build log (follows a running build until it ends)."""
        from ..websocket import log_stream

        path = build_path("apps", require(app, "app"), "builds", require(id, "id"), "logs")
        return log_stream(self._transport, path, timeout=timeout).decode("utf-8", errors="replace")

    @staticmethod
    def source_archive(path: str) -> Tuple[bytes, str]:
        return source_archive(path)

    def create_from_directory(self, app: str, path: str, **create_options: Any) -> Build:
        """Tar ``path`` (honouring ``.dockerignore``), upload it as an object and start the build.

        The object key is ``tmp/<first 30 hex digits of the sha256>.tgz``: the same tree gives
        the same key, which makes the upload safe to retry.
        """
        require(app, "app")
        data, digest = source_archive(path)
        key = f"tmp/{digest[:30]}.tgz"
        url = self._client.objects.store(app, key, data)
        return self.create(app, url, **create_options)


# --------------------------------------------------------------------------------------------
# Finding a build again: content fingerprints in the description, imported builds by manifest

FINGERPRINT_PREFIX = "sha256:"


def build_fingerprint(source_sha256: str, options: Mapping[str, Any]) -> str:
    """``sha256:<source sha256>``, plus a short digest of the build options that change the result.

    The token goes into the build description (``describe_build``); an existing complete build
    whose description carries the same token is the same build (``find_build``).
    """
    token = FINGERPRINT_PREFIX + source_sha256
    relevant = {k: v for k, v in sorted(options.items()) if v not in (None, False, {}, "")}
    if relevant:
        digest = hashlib.sha256(repr(sorted((k, normalize_scalar(v)) for k, v in relevant.items())).encode("utf-8"))
        token += "+" + digest.hexdigest()[:12]
    return token


def describe_build(description: Optional[str], token: str) -> str:
    """The build description that carries ``token``: ``"<description> [<token>]"``."""
    return f"{description.strip()} [{token}]" if description and description.strip() else f"[{token}]"


def find_build(builds: Iterable[Any], token: str) -> Optional[Any]:
    """The newest build (lists come newest first) carrying ``token``: complete first, else running."""
    running = None
    marker = f"[{token}]"
    for build in builds:
        description = getattr(build, "description", "") or ""
        if marker not in description:
            continue
        status = getattr(build, "status", "")
        if status == "complete":
            return build
        if status in ("created", "running") and running is None:
            running = build
    return running


def import_manifest(data: bytes) -> Tuple[str, str]:
    """``(description, manifest)`` from the ``build.json`` of a ``builds export`` tarball (``("", "")`` if none)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            for member in tar:
                if member.isfile() and member.name.lstrip("./") == "build.json":
                    handle = tar.extractfile(member)
                    info = json.loads(handle.read().decode("utf-8")) if handle else {}
                    return str(info.get("description") or ""), str(info.get("manifest") or "")
    except (tarfile.TarError, ValueError, OSError):
        pass
    return "", ""


def find_import(builds: Iterable[Any], description: str, manifest: str) -> Optional[Any]:
    """A complete build with this description and manifest: an export imported before."""
    if not description and not manifest:
        return None
    for build in builds:
        if (
            getattr(build, "status", "") == "complete"
            and (getattr(build, "description", "") or "") == description
            and (getattr(build, "manifest", "") or "").strip() == manifest.strip()
        ):
            return build
    return None
