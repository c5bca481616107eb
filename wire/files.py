"""Writing a credential file (a key, a certificate, tokens, a kubeconfig) so a crash never half-writes it.

    write .NAME.tmp (created with `mode`) -> fsync it -> rename over NAME -> fsync the directory

A reader sees the old file or the new one, never a mix, and never the file
with wider permissions than `mode`. The two fsyncs make that hold across a
power cut too: without the first, the rename can reach the disk before the
data (an empty key after reboot); without the second, the rename itself can
be lost.
"""

from __future__ import annotations

import os
from pathlib import Path

# Keys, tokens and kubeconfigs: only their owner may read them.
PRIVATE_MODE = 0o600
# Certificates are public; anyone may read them to verify a peer.
PUBLIC_MODE = 0o644


def write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    """Replace `path` with `data`, readable with `mode` only, through a temporary sibling and a rename."""
    temporary = path.with_name(f".{path.name}.tmp")
    # A crash may have left one behind. O_EXCL then insists on a fresh file, so the data never lands in
    # a leftover that kept a wider mode (O_TRUNC would reuse it).
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        # O_CREAT's mode is filtered through the umask; chmod states it exactly.
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
