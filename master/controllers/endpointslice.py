"""The EndpointSlice controller: keeps each Service's EndpointSlices from its selector and the pods' readiness.

(Being built for #17: registered so the master runs it; reconciles nothing yet.)
"""

from __future__ import annotations

from master.controllers.controller import Controller


class EndpointSliceController(Controller):
    name = "endpointslice"

    def reconcile(self, key: str) -> None:
        return None
