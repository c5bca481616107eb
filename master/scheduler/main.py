"""tinykube-scheduler: the scheduler as its own process, for a master started with --no-scheduler.

    tinykube-scheduler --kubeconfig ~/.tinykube/admin.kubeconfig

The same code runs inside the master by default; only the process differs.
"""

from __future__ import annotations

import logging
import signal
import threading

import click

from apiclient import ApiClient, load_kubeconfig
from master.scheduler.profile import default_profile
from master.scheduler.scheduler import Scheduler


def scheduler_options(command):
    """The flags shared by tinykube-scheduler and tinykube-master."""
    command = click.option("--scheduler-strategy", type=click.Choice(["LeastAllocated", "MostAllocated"]),
                           default="LeastAllocated", show_default=True,
                           help="Spread pods (LeastAllocated) or bin-pack them (MostAllocated).")(command)
    command = click.option("--scheduler-seed", type=int, default=None,
                           help="Seed for tie-breaking, so a run can be replayed.")(command)
    return command


def build_scheduler(client: ApiClient, *, strategy: str, seed: int | None, time_scale: float) -> Scheduler:
    return Scheduler(client, default_profile(strategy=strategy), seed=seed, time_scale=time_scale)


@click.command()
@click.option("--kubeconfig", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--time-scale", type=float, default=1.0, show_default=True, help="Multiply every timer (backoff).")
@click.option("--log-level", default="info", show_default=True)
@scheduler_options
def main(kubeconfig: str, time_scale: float, log_level: str, scheduler_strategy: str,
         scheduler_seed: int | None) -> None:
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    client = ApiClient(load_kubeconfig(kubeconfig), user_agent="tinykube-scheduler")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    build_scheduler(client, strategy=scheduler_strategy, seed=scheduler_seed, time_scale=time_scale).run(stop)


if __name__ == "__main__":
    main()
