"""The kubelet's part of a pod's why: each container's state as it holds it, and the pod's termination.

    Kubelet:         node-1
    Containers:
      app:
        Image:          tinykube/bootcamp:v1
        State:          Waiting (CrashLoopBackOff)
        Restart Count:  3
        Last Exit:      1 (Error) at 12:00:01.234 (4.0 s before the answer)
        Last Log Lines:
          starting
          bye
        Backoff:        1 s, 2 s, 4 s, 8 s, 16 s, 30 s (as configured)
        Next Restart:   in 8.2 s: container app restarts (kubelet/node-1)
        Probes:
          readiness exec cat /tmp/ready:  failing, 3 of 3 failures in a row (every 1 s)
            Last Output:  cat: can't open '/tmp/ready': No such file or directory
    Termination:
      Stage:          SigTerm
      Grace Period:   3 s
      Sig Kill:       in 2.1 s: ...

The countdowns (NextRestart, NextPull, SigKill, ...) are the kubelet's own timers.
"""

from __future__ import annotations

from cli.describers.page import Page
from cli.why.countdowns import Clock, add_countdowns
from cli.why.times import duration, moment
from objects.why import ContainerReport, KubeletPodReport, ProbeReport, TerminationReport

MAX_BACKOFF_STEPS = 8  # the sequence doubles up to its cap; the first steps and the cap say it all


def add_kubelet(page: Page, report: KubeletPodReport, clock: Clock, *, answered_at: str) -> None:
    page.heading("Kubelet")
    page.field("Node", report.node, level=1)
    if report.containers:
        page.heading("Containers", level=1)
        for container in report.containers:
            add_container(page, container, clock, answered_at=answered_at)
    if report.termination is not None:
        add_termination(page, report.termination, clock, answered_at=answered_at)


def add_container(page: Page, container: ContainerReport, clock: Clock, *, answered_at: str) -> None:
    page.line(f"{container.name}{' (init)' if container.init else ''}:", level=2)
    level = 3
    if container.image:
        page.field("Image", container.image, level=level)
    page.field("State", state_text(container), level=level)
    if container.step:
        page.field("Step", container.step, level=level)
    if container.message:
        page.field("Message", container.message, level=level)
    if container.ready is not None:
        page.field("Ready", container.ready, level=level)
    page.field("Restart Count", container.restart_count, level=level)
    if container.last_exit_code is not None:
        exit_text = f"{container.last_exit_code} ({container.last_reason or 'Error'})"
        if container.last_finished_at:
            exit_text += f" at {moment(container.last_finished_at, answered_at)}"
        page.field("Last Exit", exit_text, level=level)
    if container.last_log_lines:
        page.heading("Last Log Lines", level=level)
        for log_line in container.last_log_lines:
            page.line(log_line, level=level + 1)
    if container.pull_error:
        page.field("Pull Error", container.pull_error, level=level)
    if container.pull_attempts is not None:
        page.field("Pull Attempts", container.pull_attempts, level=level)
    if container.backoff_sequence_seconds:
        page.field("Backoff", backoff_text(container.backoff_sequence_seconds), level=level)
    add_countdowns(page, container.countdowns, clock, level=level)
    if container.probes:
        page.heading("Probes", level=level)
        for probe in container.probes:
            add_probe(page, probe, level=level + 1)


def state_text(container: ContainerReport) -> str:
    """`Waiting (CrashLoopBackOff)`, `Running`, `Terminated (Completed)`."""
    state = container.state or "Waiting"
    return f"{state} ({container.reason})" if container.reason else state


def backoff_text(sequence: list[float]) -> str:
    shown = [duration(step) for step in sequence[:MAX_BACKOFF_STEPS]]
    if len(sequence) > MAX_BACKOFF_STEPS:
        shown.append(f"... {duration(sequence[-1])}")
    return ", ".join(shown) + " (as configured)"


def add_probe(page: Page, probe: ProbeReport, *, level: int) -> None:
    """One line per probe: its verdict against its thresholds, then the last failure's output."""
    if probe.passing:
        verdict = f"passing, {probe.consecutive_successes} of {probe.success_threshold} successes in a row"
    else:
        verdict = f"failing, {probe.consecutive_failures} of {probe.failure_threshold} failures in a row"
    if probe.period_seconds is not None:
        verdict += f" (every {duration(probe.period_seconds)})"
    page.field(f"{probe.type} {probe.handler}", verdict, level=level)
    if probe.last_output:
        page.field("Last Output", probe.last_output, level=level + 1)


def add_termination(page: Page, termination: TerminationReport, clock: Clock, *, answered_at: str) -> None:
    page.heading("Termination", level=1)
    page.field("Stage", termination.stage, level=2)
    page.field("Grace Period", duration(termination.grace_period_seconds), level=2)
    page.field("Started", moment(termination.started_at, answered_at), level=2)
    add_countdowns(page, termination.countdowns, clock, level=2)
