"""`tkctl edit KIND NAME`: open the live object in $EDITOR and send back what the user changed.

    GET -> YAML under a comment header, in a temp file -> $KUBE_EDITOR / $EDITOR / vi
      unchanged (comments aside)      "Edit cancelled, no changes made."   (stderr, exit 0)
      emptied                         "Edit cancelled, saved file was empty."
      changed -> merge patch of the difference      "deployment.apps/web edited"
        refused by the server -> reopen the file with the reasons in the header;
        saved again unchanged -> keep a copy, "error: Edit cancelled, no valid changes were saved."

kubectl sends a strategic merge patch; the file holds whole lists, so a JSON
merge patch (which replaces a changed list whole) says the same thing here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import click

from apiclient import ApiStatusError
from cli.encoding import go_yaml
from cli.errors import REPORTED, CommandError, Reported, raise_collected
from cli.manifests import read_manifests
from cli.selection import LiveObject, fetch_selected
from cli.session import Session, pass_session, session_options

MERGE_PATCH = "application/merge-patch+json"
WRITE_PARAMS = {"fieldManager": "kubectl-edit", "fieldValidation": "Strict"}
HEADER = ("# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
          "# and an empty file will abort the edit. If an error occurs while saving this file will be\n"
          "# reopened with the relevant failures.\n#\n")


@click.command("edit")
@click.argument("args", nargs=-1)
@click.option("-f", "--filename", "filenames", multiple=True, help="Edit the objects in these manifests.")
@session_options
@pass_session
def edit(session: Session, args: tuple[str, ...], filenames: tuple[str, ...]) -> None:
    """Edit objects on the server in your editor."""
    if not args and not filenames:
        raise CommandError("You must provide one or more resources by argument or filename.\n"
                           "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
                           "   '<resource> <name>'\n   '<resource>'")
    errors: list[Reported] = []
    for live in fetch_selected(session, args, errors, filenames=filenames):
        try:
            _edit_one(session, live)
        except REPORTED as error:
            errors.append(error)
    raise_collected(errors)


def _edit_one(session: Session, live: LiveObject) -> None:
    original = go_yaml(live.obj)
    header = HEADER
    previous_attempt: str | None = None  # what the server last refused, and why
    previous_failure = ""
    with tempfile.TemporaryDirectory(prefix="tkctl-edit-") as workdir:
        path = Path(workdir) / f"{live.name}.yaml"
        text = original
        while True:
            path.write_text(header + text)
            _open_editor(path)
            edited = _without_comments(path.read_text())
            if not edited.strip():
                click.echo("Edit cancelled, saved file was empty.", err=True)
                return
            if edited == original:
                click.echo("Edit cancelled, no changes made.", err=True)
                return
            if edited == previous_attempt:
                copy = _keep_copy(path)
                raise CommandError(f"{previous_failure}\nA copy of your changes has been stored to "
                                   f'"{copy}"\nerror: Edit cancelled, no valid changes were saved.')
            try:
                _save(session, live, path)
            except ApiStatusError as error:
                previous_attempt, previous_failure, text = edited, _failure(live, error), edited
                header = HEADER + _failure_comment(live, error)
                continue
            click.echo(f"{live.reference} edited")
            return


def _save(session: Session, live: LiveObject, path: Path) -> None:
    manifests = read_manifests((str(path),))
    if len(manifests) != 1:
        raise CommandError("the edited file must hold exactly one object")
    body = manifests[0].body
    for field in ("apiVersion", "kind"):
        if body.get(field) != live.obj.get(field):
            raise CommandError("At least one of apiVersion, kind and name was changed")
    if (body.get("metadata") or {}).get("name") != live.name:
        raise CommandError("At least one of apiVersion, kind and name was changed")
    patch = merge_patch(live.obj, body)
    if patch:
        session.client().patch_path(live.path, patch, content_type=MERGE_PATCH, params=WRITE_PARAMS)


def merge_patch(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The RFC 7386 merge patch that turns `before` into `after` (jsonpatch.CreateMergePatch)."""
    patch: dict[str, Any] = {}
    for key, value in after.items():
        old = before.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            nested = merge_patch(old, value)
            if nested:
                patch[key] = nested
        elif key not in before or old != value:
            patch[key] = value
    patch.update({key: None for key in before if key not in after})
    return patch


def _open_editor(path: Path) -> None:
    """$KUBE_EDITOR, else $EDITOR, else vi; an editor with arguments runs through the shell, as in kubectl."""
    editor = os.environ.get("KUBE_EDITOR") or os.environ.get("EDITOR") or "vi"
    if " " in editor:
        command = [os.environ.get("SHELL") or "/bin/sh", "-c", f'{editor} "{path}"']
    else:
        command = [editor, str(path)]
    try:
        result = subprocess.run(command, check=False)
    except OSError as error:
        raise CommandError(f"unable to launch the editor \"{editor}\": {error.strerror}") from None
    if result.returncode != 0:
        raise CommandError(f"there was a problem with the editor \"{editor}\"")


def _without_comments(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))


def _failure_comment(live: LiveObject, error: ApiStatusError) -> str:
    if error.reason == "Invalid":
        lines = [f'# {live.resource.group_resource} "{live.name}" was not valid:']
        lines += [f"# * {cause.field or ''}: {cause.message or ''}".replace(": : ", ": ")
                  for cause in error.status.causes]
        return "\n".join(lines) + "\n#\n"
    return f"# {error.message}\n#\n"


def _failure(live: LiveObject, error: ApiStatusError) -> str:
    if error.reason == "Invalid":
        return f'{live.resource.group_resource} "{live.name}" is invalid'
    return error.message


def _keep_copy(path: Path) -> str:
    handle, copy = tempfile.mkstemp(prefix="tkctl-edit-", suffix=".yaml")
    os.close(handle)
    shutil.copyfile(path, copy)
    return copy
