"""The endpoints controller: keeps each Service's Endpoints object from its selector and the pods' readiness.

(Being built for #17: registered so the master runs it; reconciles nothing yet.)
"""

from __future__ import annotations

from master.controllers.controller import Controller


class EndpointsController(Controller):
    name = "endpoint"

    def reconcile(self, key: str) -> None:
        return None
