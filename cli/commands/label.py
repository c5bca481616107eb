"""`tkctl label` and `tkctl annotate`: set or remove metadata keys on live objects.

    fetch each object (named, -f, -l or --all)
    without --overwrite: a key that already has another value is refused
    apply the changes to a copy -> merge patch of metadata.labels|annotations
        -> `pod/web labeled` | `unlabeled` | `not labeled`, or `pod/web annotated`

kubectl words label's outcome by comparing the object's JSON before and after:
`not labeled` when nothing changed, `unlabeled` when it shrank (without
--overwrite), else `labeled`. annotate always says `annotated`.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import click

from cli.encoding import compact_json
from cli.dry_run import CLIENT, SUFFIX, dry_run_option, params
from cli.errors import REPORTED, CommandError, Reported, raise_collected, refuse
from cli.metadata_changes import (
    MetadataChanges, parse_annotation_changes, parse_label_changes, split_resources_and_changes,
)
from cli.selection import NO_RESOURCES, LiveObject, fetch_selected
from cli.session import Session, pass_session, session_options

MERGE_PATCH = "application/merge-patch+json"
CHANGE_CAUSE = "kubernetes.io/change-cause"  # annotate lets this one be overwritten without --overwrite


def _metadata_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("args", nargs=-1),
        click.option("--overwrite", is_flag=True, help="Replace a key that already has a value."),
        click.option("-l", "--selector", help="Act on the objects with these labels."),
        click.option("--all", "select_all", is_flag=True, help="Act on every object of the kind in the namespace."),
        click.option("-A", "--all-namespaces", is_flag=True, help="With -l or --all: in every namespace."),
        click.option("-f", "--filename", "filenames", multiple=True, help="Act on the objects in these manifests."),
        click.option("--resource-version", help="Only change the object if it is still at this resourceVersion."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command("label")
@_metadata_options
@dry_run_option
@session_options
@pass_session
def label(session: Session, args: tuple[str, ...], overwrite: bool, selector: str | None, select_all: bool,
          all_namespaces: bool, filenames: tuple[str, ...], resource_version: str | None, dry_run: str) -> None:
    """Update the labels on objects."""
    resources, specs = split_resources_and_changes(args)
    changes = parse_label_changes(specs)
    _validate(resources, filenames, changes, selector=selector, select_all=select_all, what="label")
    _change_each(session, resources, changes, "labels", overwrite=overwrite, filenames=filenames, selector=selector,
                 select_all=select_all, all_namespaces=all_namespaces, resource_version=resource_version,
                 dry_run=dry_run)


@click.command("annotate")
@_metadata_options
@dry_run_option
@session_options
@pass_session
def annotate(session: Session, args: tuple[str, ...], overwrite: bool, selector: str | None, select_all: bool,
             all_namespaces: bool, filenames: tuple[str, ...], resource_version: str | None, dry_run: str) -> None:
    """Update the annotations on objects."""
    resources, specs = split_resources_and_changes(args)
    changes = parse_annotation_changes(specs)
    _validate(resources, filenames, changes, selector=selector, select_all=select_all, what="annotation")
    _change_each(session, resources, changes, "annotations", overwrite=overwrite, filenames=filenames,
                 selector=selector, select_all=select_all, all_namespaces=all_namespaces,
                 resource_version=resource_version, dry_run=dry_run)


def _validate(resources: tuple[str, ...], filenames: tuple[str, ...], changes: MetadataChanges, *,
              selector: str | None, select_all: bool, what: str) -> None:
    if select_all and selector:
        raise CommandError("cannot set --all and --selector at the same time")
    if not resources and not filenames:
        raise CommandError(NO_RESOURCES)
    if not changes:
        raise CommandError(f"at least one {what} update is required")


def _change_each(session: Session, resources: tuple[str, ...], changes: MetadataChanges, field: str, *,
                 overwrite: bool, filenames: tuple[str, ...], selector: str | None, select_all: bool,
                 all_namespaces: bool, resource_version: str | None, dry_run: str) -> None:
    errors: list[Reported] = []
    found = fetch_selected(session, resources, errors, filenames=filenames, selector=selector,
                           select_all=select_all, all_namespaces=all_namespaces)
    for live in found:
        try:
            outcome = _change_one(session, live, changes, field, overwrite=overwrite,
                                  resource_version=resource_version, dry_run=dry_run)
        except REPORTED as error:
            errors.append(error)
            continue
        click.echo(f"{live.reference} {outcome}{SUFFIX[dry_run]}")
    raise_collected(errors)


def _change_one(session: Session, live: LiveObject, changes: MetadataChanges, field: str, *, overwrite: bool,
                resource_version: str | None, dry_run: str) -> str:
    before = dict(live.obj["metadata"].get(field) or {})
    if not overwrite:
        refuse(_conflicts(before, changes, field))
    after = dict(before)
    after.update(changes.to_set)
    for key in changes.to_remove:
        if key not in after and field == "labels":
            click.echo(f'label "{key}" not found.')
        after.pop(key, None)

    if (after != before or resource_version) and dry_run != CLIENT:
        metadata_patch: dict[str, Any] = {field: {key: value for key, value in after.items()
                                                  if before.get(key) != value}}
        metadata_patch[field].update({key: None for key in before if key not in after})
        if resource_version:
            metadata_patch["resourceVersion"] = resource_version
        session.client().patch_path(live.path, {"metadata": metadata_patch}, content_type=MERGE_PATCH,
                               params=params(dry_run))
    if field == "annotations":
        return "annotated"
    return _label_outcome(live.obj, after, overwrite=overwrite)


def _conflicts(current: dict[str, str], changes: MetadataChanges, field: str) -> list[str]:
    """kubectl's validateNoOverwrites: a key already set to a different value."""
    clashes = [(key, current[key]) for key, value in changes.to_set.items()
               if key in current and current[key] != value and not (field == "annotations" and key == CHANGE_CAUSE)]
    if field == "labels":
        return [f"'{key}' already has a value ({value}), and --overwrite is false" for key, value in clashes]
    if not clashes:
        return []
    listed = "; ".join(f"'{key}' already has a value ({value})" for key, value in clashes)
    return [f"--overwrite is false but found the following declared annotation(s): {listed}"]


def _label_outcome(obj: dict[str, Any], labels: dict[str, str], *, overwrite: bool) -> str:
    """kubectl's updateDataChangeMsg, which compares the whole object's JSON before and after."""
    changed = copy.deepcopy(obj)
    changed["metadata"]["labels"] = labels
    old_json, new_json = compact_json(_without_empty_labels(obj)), compact_json(_without_empty_labels(changed))
    if old_json == new_json:
        return "not labeled"
    if not overwrite and len(new_json) < len(old_json):
        return "unlabeled"
    return "labeled"


def _without_empty_labels(obj: dict[str, Any]) -> dict[str, Any]:
    """Go leaves an empty labels map out of the JSON (omitempty)."""
    if obj["metadata"].get("labels"):
        return obj
    return {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k != "labels"}}
