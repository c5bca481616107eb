"""FaultyRuntime: the node's container runtime as a Fault makes it misbehave (kubelet/faults.py).

It wraps the real runtime and passes every call on, unchanged unless a fault
is active:

    DelayRuntime   every call waits `delay_seconds` first (a slow engine); ending the fault
                   wakes the calls still waiting, so none outlasts it
    FailPulls      the image looks absent, and a pull of it raises ImagePullFailed with the
                   fault's message, which sync_pod reports as ErrImagePull: the node acts as if
                   the image were not cached and its registry refused it, so the fault bites
                   under imagePullPolicy IfNotPresent too; `nginx`, `nginx:latest` and
                   `docker.io/library/nginx:latest` name one image (`image_reference`)

The kubelet builds everything on this wrapper, so its pod workers, prober and
node server all see the same slow or failing engine. The fault loop switches
the faults on and off; with none active it costs one attribute read per call.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

from kubelet.runtime.protocol import ContainerRuntime, ImagePullFailed


class FaultyRuntime:
    """A ContainerRuntime (by delegation) whose faults the fault loop sets; thread-safe."""

    def __init__(self, runtime: ContainerRuntime):
        self.runtime = runtime
        self._lock = threading.Lock()
        self._delay_changed = threading.Condition(self._lock)  # notified when a delay ends
        self._delays: dict[str, float] = {}  # fault name -> seconds every call waits
        self._failing_pulls: dict[str, tuple[str, str]] = {}  # fault name -> (image, message)

    # ----- what the fault loop sets

    def delay(self, fault: str, seconds: float) -> None:
        with self._lock:
            self._delays[fault] = seconds

    def fail_pulls(self, fault: str, image: str, message: str) -> None:
        with self._lock:
            self._failing_pulls[fault] = (image_reference(image), message)

    def clear(self, fault: str) -> None:
        """Put back what `fault` changed; nothing happens for a fault that changed nothing."""
        with self._lock:
            self._delays.pop(fault, None)
            self._failing_pulls.pop(fault, None)
            self._delay_changed.notify_all()

    # ----- the runtime, as the faults make it

    def image_present(self, image: str) -> bool:
        self._wait()
        return self._pull_failure(image) is None and self.runtime.image_present(image)

    def pull_image(self, image: str) -> None:
        self._wait()
        if (failure := self._pull_failure(image)) is not None:
            raise ImagePullFailed(failure)
        self.runtime.pull_image(image)

    def _pull_failure(self, image: str) -> str | None:
        reference = image_reference(image)
        with self._lock:
            return next((message for wanted, message in self._failing_pulls.values() if wanted == reference), None)

    def __getattr__(self, name: str) -> Any:
        """Every other call of the protocol, after the delay."""
        attribute = getattr(self.runtime, name)
        if not callable(attribute):
            return attribute
        return self._delayed(attribute)

    def _delayed(self, call: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(call)
        def delayed(*args: Any, **kwargs: Any) -> Any:
            self._wait()
            return call(*args, **kwargs)

        return delayed

    def _wait(self) -> None:
        """The engine is slow: the caller's thread waits the longest active delay, counted from the call,
        and goes on as soon as the delays still active allow (a fault that ends wakes it)."""
        called = time.monotonic()
        with self._lock:
            while (left := called + max(self._delays.values(), default=0.0) - time.monotonic()) > 0:
                self._delay_changed.wait(left)


DEFAULT_REGISTRY = "docker.io"


def image_reference(image: str) -> str:
    """The full reference Docker reads `image` as: registry, repository, and a tag (latest unless one is
    given) or a digest. `nginx`, `nginx:latest` and `docker.io/library/nginx:latest` are one image."""
    name, at, digest = image.partition("@")
    first, slash, rest = name.partition("/")
    # Docker's rule: the first part is a registry only if it looks like a host (a dot, a port, localhost).
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = DEFAULT_REGISTRY, name
    if registry in (DEFAULT_REGISTRY, "index.docker.io"):
        registry = DEFAULT_REGISTRY
        if "/" not in path:
            path = f"library/{path}"  # the official images live under library/
    if not at and ":" not in path.rsplit("/", 1)[-1]:
        path = f"{path}:latest"
    return f"{registry}/{path}{at}{digest}"
