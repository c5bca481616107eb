"""`tkctl logs POD [CONTAINER]` / `-l SELECTOR`: print containers' logs, as kubectl does.

The requests follow kubectl's (KUBERNETES_API.md section 6): the pod first
(or the list for `-l`), the container chosen and validated here, then one
`GET pods/NAME/log?container=C&...` per container. The bytes are written
exactly as the server sent them; `--prefix` puts `[pod/NAME/CONTAINER] ` before
each line. Several streams are read one after the other, or side by side when
following (at most --max-log-requests of them).
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Any, BinaryIO

import click

from apiclient import ApiClient, ApiStatusError
from cli.completion import complete_pod_names
from cli.durations import parse_duration, round_to_seconds
from cli.errors import REPORTED, CommandError, Reported, raise_collected
from cli.pods import default_container, every_container, fetch_pod, has_container, pod_name
from cli.session import Session, pass_session, session_options
from objects.kinds import POD

SELECTOR_TAIL_LINES = 10  # kubectl shows only the last lines of each pod when given a selector
USAGE = ("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
         "POD or TYPE/NAME is a required argument for the logs command\n"
         "See 'tkctl logs -h' for help and examples")


@dataclass(frozen=True)
class LogStream:
    """One container's log request."""

    pod: str
    container: str

    @property
    def prefix(self) -> bytes:
        return f"[pod/{self.pod}/{self.container}] ".encode()


@click.command("logs")
@click.argument("args", nargs=-1, shell_complete=complete_pod_names)
@click.option("-c", "--container", help="Print the logs of this container.")
@click.option("-f", "--follow", is_flag=True, help="Stream the logs until the container ends.")
@click.option("-p", "--previous", is_flag=True, help="The logs of the previous, terminated instance.")
@click.option("--tail", type=int, default=None, help="Only the last N lines (-1: all; 10 with a selector).")
@click.option("--timestamps", is_flag=True, help="Start each line with its RFC3339 timestamp.")
@click.option("--since", "since", default=None, help="Only newer logs, e.g. 5s, 2m, 3h.")
@click.option("--since-time", default=None, help="Only logs after this RFC3339 time.")
@click.option("--limit-bytes", type=int, default=None, help="At most this many bytes per container.")
@click.option("-l", "--selector", default=None, help="The pods with these labels.")
@click.option("--all-containers", is_flag=True, help="Every container of the pods.")
@click.option("--prefix", is_flag=True, help="Start each line with [pod/NAME/CONTAINER].")
@click.option("--max-log-requests", type=int, default=5, help="How many logs to follow at once.")
@session_options
@pass_session
def logs(session: Session, args: tuple[str, ...], container: str | None, follow: bool, previous: bool,
         tail: int | None, timestamps: bool, since: str | None, since_time: str | None, limit_bytes: int | None,
         selector: str | None, all_containers: bool, prefix: bool, max_log_requests: int) -> None:
    """Print the logs of a container in a pod."""
    container = _validated(args, container, selector=selector, all_containers=all_containers)
    if since and since_time:
        raise CommandError("at most one of `sinceTime` or `sinceSeconds` may be specified")
    if limit_bytes is not None and limit_bytes <= 0:
        raise CommandError("--limit-bytes must be greater than 0")
    if tail is not None and tail < -1:
        raise CommandError("--tail must be greater than or equal to -1")
    if tail is None and selector:
        tail = SELECTOR_TAIL_LINES
    params = _log_params(follow=follow, previous=previous, tail=tail, timestamps=timestamps, since=since,
                         since_time=since_time, limit_bytes=limit_bytes)

    client, namespace = session.client(), session.namespace
    pods = _pods(client, namespace, args, selector)
    if not pods:
        click.echo(f"No resources found in {namespace} namespace.", err=True)
        return
    streams = [stream for pod in pods for stream in _streams(pod, container, all_containers=all_containers)]
    if follow and len(streams) > max_log_requests:
        raise CommandError(f"you are attempting to follow {len(streams)} log streams, but maximum allowed "
                           f"concurrency is {max_log_requests}, use --max-log-requests to increase the limit")
    reader = LogReader(client, namespace, params, sys.stdout.buffer, prefix=prefix)
    if follow and len(streams) > 1:
        reader.read_side_by_side(streams)
    else:
        for stream in streams:
            reader.read(stream)


def _validated(args: tuple[str, ...], container: str | None, *, selector: str | None,
               all_containers: bool) -> str | None:
    """kubectl's argument rules: `POD [CONTAINER]`, or `-l` and no name; returns the container asked for."""
    if selector and args:
        raise CommandError("only a selector (-l) or a POD name is allowed\n"
                           "See 'tkctl logs -h' for help and examples")
    if not selector and not 1 <= len(args) <= 2:
        raise CommandError(USAGE)
    if len(args) == 2:
        if container:
            raise CommandError("only one of -c or an inline [CONTAINER] arg is allowed")
        container = args[1]
    if all_containers and container:
        raise CommandError(f"--all-containers=true should not be specified with container name {container}")
    return container


def _log_params(*, follow: bool, previous: bool, tail: int | None, timestamps: bool, since: str | None,
                since_time: str | None, limit_bytes: int | None) -> dict[str, str]:
    params: dict[str, str] = {}
    if follow:
        params["follow"] = "true"
    if previous:
        params["previous"] = "true"
    if tail is not None and tail != -1:
        params["tailLines"] = str(tail)
    if timestamps:
        params["timestamps"] = "true"
    if since:
        try:
            seconds = round_to_seconds(parse_duration(since))
        except CommandError as error:
            raise CommandError(f'invalid argument "{since}" for "--since" flag: {error}') from None
        if seconds:
            params["sinceSeconds"] = str(seconds)
    if since_time:
        params["sinceTime"] = since_time
    if limit_bytes is not None:
        params["limitBytes"] = str(limit_bytes)
    return params


def _pods(client: ApiClient, namespace: str, args: tuple[str, ...], selector: str | None) -> list[dict[str, Any]]:
    if selector:
        return client.get_path(POD.collection_path(namespace), params={"labelSelector": selector}).get("items") or []
    try:
        return [fetch_pod(client, namespace, args[0], _warn)]
    except ApiStatusError as error:
        if error.not_found:  # kubectl words a missing pod this way in logs only
            raise CommandError(f'error from server (NotFound): {error.message} in namespace "{namespace}"') from None
        raise


def _streams(pod: dict[str, Any], container: str | None, *, all_containers: bool) -> list[LogStream]:
    name = pod_name(pod)
    if all_containers:
        return [LogStream(name, each) for each in every_container(pod)]
    if container is None:
        container = default_container(pod, _warn, warn_about_init=True)
    if container is None or not has_container(pod, container):
        raise CommandError(f"container {container} is not valid for pod {name}")
    return [LogStream(name, container)]


def _warn(message: str) -> None:
    click.echo(message, err=True)


class LogReader:
    """Copies log bodies to `out`, whole lines at a time when lines need a prefix or streams interleave."""

    def __init__(self, client: ApiClient, namespace: str, params: dict[str, str], out: BinaryIO, *,
                 prefix: bool):
        self._client = client
        self._namespace = namespace
        self._params = params
        self._out = out
        self._prefix = prefix
        self._lock = threading.Lock()

    def read(self, stream: LogStream, *, whole_lines: bool = False) -> None:
        path = f"{POD.collection_path(self._namespace)}/{stream.pod}/log"
        prefix = stream.prefix if self._prefix else b""
        pending = b""
        with self._client.stream(path, params={"container": stream.container, **self._params}) as body:
            for chunk in body:
                if not prefix and not whole_lines:
                    self._write(chunk)
                    continue
                lines = (pending + chunk).split(b"\n")
                pending = lines.pop()
                if lines:
                    self._write(b"".join(prefix + line + b"\n" for line in lines))
        if pending:
            self._write(prefix + pending)

    def read_side_by_side(self, streams: list[LogStream]) -> None:
        """Follow every stream at once; report their errors once all have ended."""
        errors: list[Reported] = []

        def follow(stream: LogStream) -> None:
            try:
                self.read(stream, whole_lines=True)
            except REPORTED as error:
                errors.append(error)

        threads = [threading.Thread(target=follow, args=(stream,), daemon=True) for stream in streams]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)  # a timeout keeps Ctrl-C deliverable to the main thread
        raise_collected(errors)

    def _write(self, data: bytes) -> None:
        with self._lock:
            self._out.write(data)
            self._out.flush()
