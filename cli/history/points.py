"""Points in the cluster's past as a command line names them, and the revision each one is.

    --at-revision 1234            the revision itself
    --at 5m                       five minutes ago (Go's durations, as `logs --since` reads them)
    --at 2026-12-05T12:00:00Z     an RFC 3339 time
    diff --from 1234 --to 5m      any of the three

A time stands for the newest revision committed at or before it, which the
revisions endpoint finds (`until=T&order=desc&limit=1`): the cluster as a watch
would have seen it at that moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from apiclient import ApiClient
from cli.durations import parse_duration
from cli.errors import CommandError
from cli.history.fetch import list_revisions
from objects.meta import parse_time

Point = int | datetime  # a revision, or a moment in UTC


def parse_moment(text: str, *, now: datetime | None = None) -> datetime:
    """`5m` (that long ago) or an RFC 3339 time, in UTC."""
    if text[:1].isdigit() and ("T" in text or text.count("-") >= 2):
        moment = parse_time(text)
        if moment is None:
            raise CommandError(f'"{text}" is neither a duration (5m, 1h30m) nor an RFC 3339 time')
        return moment.astimezone(timezone.utc)
    try:
        seconds = parse_duration(text)
    except CommandError:
        raise CommandError(f'"{text}" is neither a duration (5m, 1h30m) nor an RFC 3339 time '
                           "(2026-12-05T12:00:00Z)") from None
    if seconds < 0:
        raise CommandError(f'"{text}": a duration counts back from now, and cannot be negative')
    return (now or datetime.now(timezone.utc)) - timedelta(seconds=seconds)


def parse_point(text: str, *, now: datetime | None = None) -> Point:
    """A revision (`1234`), or a moment as parse_moment reads it."""
    if text.isdigit():
        revision = int(text)
        if revision < 1:
            raise CommandError(f'"{text}": revisions start at 1')
        return revision
    return parse_moment(text, now=now)


def rfc3339(moment: datetime) -> str:
    """UTC with milliseconds, as the revisions carry their times."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def revision_at(client: ApiClient, moment: datetime) -> int:
    """The newest revision committed at or before `moment`."""
    found = list_revisions(client, until=rfc3339(moment), order="desc", limit=1, objects=False)
    if not found.items:
        raise CommandError(f"no revision from {rfc3339(moment)} or earlier is kept "
                           f"(the log starts after revision {found.compacted_revision})")
    return found.items[0].revision


def resolve_point(client: ApiClient, point: Point) -> int:
    return point if isinstance(point, int) else revision_at(client, point)
