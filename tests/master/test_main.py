"""tinykube-master's own flags."""

import click
import pytest

from master.main import CONTROLLERS, enabled_controllers


@pytest.mark.parametrize("spec, expected", [
    ("*", list(CONTROLLERS)),
    ("", []),
    ("daemonset", ["daemonset"]),
    ("*,-daemonset", [n for n in CONTROLLERS if n != "daemonset"]),
])
def test_controllers_flag_reads_like_kube_controller_managers(spec, expected):
    assert enabled_controllers(spec) == expected


def test_an_unknown_controller_is_refused_by_name():
    with pytest.raises(click.BadParameter, match="unknown controller"):
        enabled_controllers("*,-nosuch")
