# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ConvoxClient``: the public entry point of the Convox client.

Usage::

    from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient

    with ConvoxClient("api.example.com", "secret") as client:
        for app in client.apps.list():
            print(app.name, app.status)

Accessors (``client.apps``, ``client.builds``...) are created on first use, so a module pays
only for the areas it touches. Without httpx or pydantic this file still imports:
``HAS_DEPENDENCIES`` is False and ``missing_dependency()`` names the library for
``missing_required_lib``.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING, Optional, Tuple

from . import errors
from .credentials import Credentials, resolve
from .errors import ConvoxError
from .models import HAS_PYDANTIC, PYDANTIC_IMPORT_ERROR
from .transport import (
    API,
    DEFAULT_BACKOFF,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    HAS_HTTPX,
    HTTPX_IMPORT_ERROR,
    Transport,
)

if TYPE_CHECKING:
    import types

    from .resources.apps import AppsAccessor
    from .resources.budget import BudgetAccessor
    from .resources.builds import BuildsAccessor
    from .resources.certificates import CertificatesAccessor
    from .resources.console import ConsoleAccessor
    from .resources.environment import EnvironmentAccessor
    from .resources.instances import InstancesAccessor
    from .resources.logs import LogsAccessor
    from .resources.objects import ObjectsAccessor
    from .resources.processes import ProcessesAccessor
    from .resources.registries import RegistriesAccessor
    from .resources.releases import ReleasesAccessor
    from .resources.resources import ResourcesAccessor
    from .resources.services import ServicesAccessor
    from .resources.system import SystemAccessor

__all__ = ["HAS_DEPENDENCIES", "ConvoxClient", "errors", "missing_dependency"]

HAS_DEPENDENCIES = bool(HAS_HTTPX and HAS_PYDANTIC)


def missing_dependency(*, websocket: bool = False) -> Optional[Tuple[str, str]]:
    """``(library, traceback)`` of the first missing requirement, or None when all are there.

    ``websocket=True`` also checks websocket-client (needed by exec, attached runs and logs).
    """
    if not HAS_HTTPX:
        return "httpx", HTTPX_IMPORT_ERROR or ""
    if not HAS_PYDANTIC:
        return "pydantic", PYDANTIC_IMPORT_ERROR or ""
    if websocket:
        from .websocket import HAS_WEBSOCKET, WEBSOCKET_IMPORT_ERROR

        if not HAS_WEBSOCKET:
            return "websocket-client", WEBSOCKET_IMPORT_ERROR or ""
    return None


class ConvoxClient:
    """A connection to one rack (direct, or through a console with ``rack``).

    Credentials come from the arguments, then the environment (``RACK_URL``, ``CONVOX_HOST``,
    ``CONVOX_PASSWORD``, ``CONVOX_RACK``), then the Convox CLI settings files. TLS is verified
    unless ``verify=False``; ``ca_path`` names a CA bundle. ``retries`` and ``backoff`` govern
    retries of requests that are safe to repeat.

    Accessors answer with pydantic models. With ``records=True`` they always answer with
    records instead (``_records.Record``): the same attributes and ``to_result()``, built
    without importing pydantic, which saves a short-lived process (an Ansible module) the
    pydantic import and schema builds; an answer a record cannot take as is is validated by the
    model first and still comes back as a record. Waits are functions of ``waits``.
    """

    def __init__(
        self,
        host: Optional[str] = None,
        password: Optional[str] = None,
        rack: Optional[str] = None,
        *,
        verify: bool = True,
        ca_path: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        config_dir: Optional[str] = None,
        backoff: float = DEFAULT_BACKOFF,
        actor: Optional[str] = None,
        records: bool = False,
    ) -> None:
        missing = missing_dependency()
        if missing is not None:
            raise ConvoxError(f"the Python library {missing[0]} is required by the Convox client")
        self.credentials: Credentials = resolve(host, password, rack, config_dir=config_dir)
        if actor is None:
            actor = os.environ.get("CONVOX_ACTOR") or None
        self.transport = Transport(
            self.credentials,
            verify=verify,
            ca_path=ca_path,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            actor=actor,
        )
        self.api = API(self.transport)
        self.records = records

    @property
    def host(self) -> str:
        """Base URL of the rack or console (never with credentials)."""
        return self.credentials.url

    @property
    def rack(self) -> Optional[str]:
        return self.credentials.rack

    def __repr__(self) -> str:
        return f"ConvoxClient(host={self.host!r}, rack={self.rack!r})"

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> ConvoxClient:
        return self

    def __exit__(
        self,
        exc_type: Optional[type],
        exc: Optional[BaseException],
        tb: Optional[types.TracebackType],
    ) -> None:
        self.close()

    # accessors, created on first use

    @cached_property
    def apps(self) -> AppsAccessor:
        from .resources.apps import AppsAccessor

        return AppsAccessor(self)

    @cached_property
    def builds(self) -> BuildsAccessor:
        from .resources.builds import BuildsAccessor

        return BuildsAccessor(self)

    @cached_property
    def releases(self) -> ReleasesAccessor:
        from .resources.releases import ReleasesAccessor

        return ReleasesAccessor(self)

    @cached_property
    def environment(self) -> EnvironmentAccessor:
        from .resources.environment import EnvironmentAccessor

        return EnvironmentAccessor(self)

    @cached_property
    def services(self) -> ServicesAccessor:
        from .resources.services import ServicesAccessor

        return ServicesAccessor(self)

    @cached_property
    def processes(self) -> ProcessesAccessor:
        from .resources.processes import ProcessesAccessor

        return ProcessesAccessor(self)

    @cached_property
    def resources(self) -> ResourcesAccessor:
        from .resources.resources import ResourcesAccessor

        return ResourcesAccessor(self)

    @cached_property
    def instances(self) -> InstancesAccessor:
        from .resources.instances import InstancesAccessor

        return InstancesAccessor(self)

    @cached_property
    def registries(self) -> RegistriesAccessor:
        from .resources.registries import RegistriesAccessor

        return RegistriesAccessor(self)

    @cached_property
    def certificates(self) -> CertificatesAccessor:
        from .resources.certificates import CertificatesAccessor

        return CertificatesAccessor(self)

    @cached_property
    def system(self) -> SystemAccessor:
        from .resources.system import SystemAccessor

        return SystemAccessor(self)

    @cached_property
    def budget(self) -> BudgetAccessor:
        from .resources.budget import BudgetAccessor

        return BudgetAccessor(self)

    @cached_property
    def objects(self) -> ObjectsAccessor:
        from .resources.objects import ObjectsAccessor

        return ObjectsAccessor(self)

    @cached_property
    def console(self) -> ConsoleAccessor:
        from .resources.console import ConsoleAccessor

        return ConsoleAccessor(self)

    @cached_property
    def logs(self) -> LogsAccessor:
        from .resources.logs import LogsAccessor

        return LogsAccessor(self)
