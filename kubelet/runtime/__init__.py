"""Container runtimes: how the kubelet turns pod specs into running containers.

`protocol.ContainerRuntime` is the seam (the kubelet's CRI): `docker_runtime`
implements it on the Docker Engine, `fake` in memory for fast tests, and one
contract suite (tests/kubelet/test_runtime_contract.py) runs against both so
the fake cannot drift from Docker.
"""
