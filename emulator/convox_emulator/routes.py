"""The route table: every area module registers its routes here, in gorilla/mux order."""

from __future__ import annotations

from .router import Router


def register_all(router: Router) -> None:
    from . import (
        apps,
        autoscale,
        budget,
        builds,
        certificates,
        cost,
        files,
        objects,
        releases,
        resources,
        services,
        sockets,
        system,
    )

    apps.register(router)
    budget.register(router)
    cost.register(router)
    objects.register(router)
    builds.register(router)
    releases.register(router)
    services.register(router)
    autoscale.register(router)
    system.register(router)
    resources.register(router)
    certificates.register(router)
    sockets.register(router)
    files.register(router)
