"""The local test images (built by scripts/build-images, since no registry may be reachable)."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import docker
import docker.errors

BUSYBOX_IMAGE = "tinykube/busybox:test"
PAUSE_IMAGE = "tinykube/pause:local"
ENTRYPOINT_IMAGE = "tinykube/entrypoint:test"  # ENTRYPOINT ["echo", "entrypoint"], CMD ["default", "cmd"]
BOOTCAMP_IMAGE = "tinykube/bootcamp:v1"
TEST_IMAGES = (BUSYBOX_IMAGE, PAUSE_IMAGE, ENTRYPOINT_IMAGE, BOOTCAMP_IMAGE, "tinykube/bootcamp:v2")
BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build-images"


@functools.cache
def ensure_test_images() -> None:
    """Build the test images once per session, and only when one of them is missing."""
    client = docker.from_env()
    try:
        missing = [image for image in TEST_IMAGES if not _present(client, image)]
    finally:
        client.close()
    if missing:
        subprocess.run([str(BUILD_SCRIPT)], check=True, timeout=300)


def _present(client: docker.DockerClient, image: str) -> bool:
    try:
        client.images.get(image)
        return True
    except docker.errors.ImageNotFound:
        return False
