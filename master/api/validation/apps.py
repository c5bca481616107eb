"""Deployments, ReplicaSets and DaemonSets (selectors that match their template, counts and rollout strategies),
and ControllerRevisions (data required and immutable)."""

from __future__ import annotations

import json

from master.api.validation import causes as cause
from master.api.validation.causes import Cause, GoValue, go_string_map
from master.api.validation.meta import (
    go_label_selector, selector_expression, validate_label_selector, validate_object_meta,
)
from master.api.validation.names import is_valid_percent, name_is_dns_subdomain
from master.api.validation.pod import validate_pod_template
from objects.apps import (
    ControllerRevision, DaemonSet, DaemonSetSpec, DaemonSetUpdateStrategy, Deployment, DeploymentSpec, DeploymentStrategy,
    PodTemplateSpec, ReplicaSet, ReplicaSetSpec,
)
from objects.meta import IntOrString, LabelSelector, ObjectMeta
from objects.selectors import LabelSelectorExpr

MUST_BE_NON_NEGATIVE = "must be greater than or equal to 0"
SELECTOR_MISMATCH = "`selector` does not match template `labels`"


def validate_deployment(deployment: Deployment, old: Deployment | None) -> list[Cause]:
    found = validate_object_meta(deployment.metadata, namespaced=True, name_rule=name_is_dns_subdomain)
    spec = deployment.spec or DeploymentSpec()
    found += _non_negative(spec.replicas, "spec.replicas")
    found += _validate_selector_and_template(spec.selector, spec.template, owner="deployment")
    found += _validate_deployment_strategy(spec.strategy or DeploymentStrategy(), "spec.strategy")
    found += _non_negative(spec.min_ready_seconds, "spec.minReadySeconds")
    found += _non_negative(spec.revision_history_limit, "spec.revisionHistoryLimit")
    deadline = spec.progress_deadline_seconds
    if deadline is not None:
        found += _non_negative(deadline, "spec.progressDeadlineSeconds")
        if deadline <= (spec.min_ready_seconds or 0):
            found.append(cause.invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"))
    if old is not None:
        found += _selector_unchanged(spec.selector, (old.spec or DeploymentSpec()).selector)
    return found


def validate_replica_set(replica_set: ReplicaSet, old: ReplicaSet | None) -> list[Cause]:
    found = validate_object_meta(replica_set.metadata, namespaced=True, name_rule=name_is_dns_subdomain)
    spec = replica_set.spec or ReplicaSetSpec()
    found += _non_negative(spec.replicas, "spec.replicas")
    found += _non_negative(spec.min_ready_seconds, "spec.minReadySeconds")
    # Kubernetes' ReplicaSet validation borrowed the Deployment's wording, "deployment" included.
    found += _validate_selector_and_template(spec.selector, spec.template, owner="deployment")
    if old is not None:
        found += _selector_unchanged(spec.selector, (old.spec or ReplicaSetSpec()).selector)
    return found


def validate_daemon_set(daemon_set: DaemonSet, old: DaemonSet | None) -> list[Cause]:
    found = validate_object_meta(daemon_set.metadata, namespaced=True, name_rule=name_is_dns_subdomain)
    spec = daemon_set.spec or DaemonSetSpec()
    found += _validate_selector_and_template(spec.selector, spec.template, owner="daemonset")
    found += _non_negative(spec.min_ready_seconds, "spec.minReadySeconds")
    found += _validate_daemon_set_strategy(spec.update_strategy or DaemonSetUpdateStrategy(), "spec.updateStrategy")
    found += _non_negative(spec.revision_history_limit, "spec.revisionHistoryLimit")
    if old is not None:
        found += _selector_unchanged(spec.selector, (old.spec or DaemonSetSpec()).selector)
    return found


def validate_controller_revision(revision: ControllerRevision, old: ControllerRevision | None) -> list[Cause]:
    found = validate_object_meta(revision.metadata, namespaced=True, name_rule=name_is_dns_subdomain)
    if revision.data is None:
        found.append(cause.required("data", "data is mandatory"))
    found += _non_negative(revision.revision, "revision")
    if old is not None and revision.data != old.data:
        # Go prints the raw bytes of the embedded object here; the JSON text says the same, legibly.
        found.append(cause.invalid("data", GoValue(json.dumps(revision.data, separators=(",", ":"))),
                                   "field is immutable"))
    return found


# --- shared by all three


def _validate_selector_and_template(selector: LabelSelector | None, template: PodTemplateSpec | None, *,
                                    owner: str) -> list[Cause]:
    """A selector that is set, not empty and parses; a template whose labels it selects and whose pods restart."""
    found: list[Cause] = []
    if selector is None:
        found.append(cause.required("spec.selector"))
    else:
        found += validate_label_selector(selector, "spec.selector")
        if not selector.match_labels and not selector.match_expressions:
            found.append(cause.invalid("spec.selector", go_label_selector(selector), f"empty selector is invalid for {owner}"))
    expression = selector_expression(selector)
    if expression is None:
        return found + [cause.invalid("spec.selector", go_label_selector(selector), "invalid label selector")]
    return found + _validate_template(template or PodTemplateSpec(), expression, owner=owner)


def _validate_template(template: PodTemplateSpec, selector: LabelSelectorExpr, *, owner: str) -> list[Cause]:
    labels = (template.metadata or ObjectMeta()).labels
    found: list[Cause] = []
    if not selector.empty and not selector.matches(labels):
        found.append(cause.invalid("spec.template.metadata.labels", go_string_map(labels), SELECTOR_MISMATCH))
    found += validate_pod_template(template, "spec.template")
    spec = template.spec
    restart_policy = spec.restart_policy if spec else None
    if restart_policy != "Always":
        found.append(cause.not_supported("spec.template.spec.restartPolicy", restart_policy or "", ["Always"]))
    deadline = spec.active_deadline_seconds if spec else None
    if deadline is not None:
        if owner == "daemonset":
            found.append(cause.invalid("spec.template.spec.activeDeadlineSeconds", deadline,
                                       "activeDeadlineSeconds in DaemonSet is not Supported"))
        else:
            found.append(cause.forbidden("spec.template.spec.activeDeadlineSeconds",
                                         "activeDeadlineSeconds in ReplicaSet is not Supported"))
    return found


def _selector_unchanged(new: LabelSelector | None, old: LabelSelector | None) -> list[Cause]:
    """apps/v1 freezes the selector: changing it would orphan every pod the controller owns."""
    if _wire(new) == _wire(old):
        return []
    return [cause.invalid("spec.selector", go_label_selector(new), "field is immutable")]


def _wire(selector: LabelSelector | None) -> dict | None:
    return selector.to_wire() if selector is not None else None


def _non_negative(value: int | None, path: str) -> list[Cause]:
    return [cause.invalid(path, value, MUST_BE_NON_NEGATIVE)] if value is not None and value < 0 else []


# --- rollout strategies


def _validate_deployment_strategy(strategy: DeploymentStrategy, path: str) -> list[Cause]:
    rolling = strategy.rolling_update
    if strategy.type == "Recreate":
        if rolling is not None:
            return [cause.forbidden(f"{path}.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if strategy.type == "RollingUpdate":
        if rolling is None:
            return [cause.required(f"{path}.rollingUpdate", "this should be defaulted and never be nil")]
        found = _positive_int_or_percent(rolling.max_unavailable, f"{path}.rollingUpdate.maxUnavailable")
        found += _positive_int_or_percent(rolling.max_surge, f"{path}.rollingUpdate.maxSurge")
        if _int_or_percent(rolling.max_unavailable) == 0 and _int_or_percent(rolling.max_surge) == 0:
            found.append(cause.invalid(f"{path}.rollingUpdate.maxUnavailable", _go_int_or_string(rolling.max_unavailable),
                                       "may not be 0 when `maxSurge` is 0"))
        return found + _not_over_100_percent(rolling.max_unavailable, f"{path}.rollingUpdate.maxUnavailable")
    rolling_text = "(*apps.RollingUpdateDeployment)(nil)" if rolling is None else (
        f"&apps.RollingUpdateDeployment{{MaxUnavailable:{_go_int_or_string(rolling.max_unavailable).text}, "
        f"MaxSurge:{_go_int_or_string(rolling.max_surge).text}}}")
    shown = GoValue(f'apps.DeploymentStrategy{{Type:{cause.go_quote(strategy.type or "")}, RollingUpdate:{rolling_text}}}')
    return [cause.not_supported(path, shown, ["Recreate", "RollingUpdate"])]


def _validate_daemon_set_strategy(strategy: DaemonSetUpdateStrategy, path: str) -> list[Cause]:
    rolling = strategy.rolling_update
    if strategy.type == "OnDelete":
        return []
    if strategy.type == "RollingUpdate":
        if rolling is None:
            return [cause.required(f"{path}.rollingUpdate")]
        unavailable_path, surge_path = f"{path}.rollingUpdate.maxUnavailable", f"{path}.rollingUpdate.maxSurge"
        found = _positive_int_or_percent(rolling.max_unavailable, unavailable_path)
        found += _positive_int_or_percent(rolling.max_surge, surge_path)
        found += _not_over_100_percent(rolling.max_unavailable, unavailable_path)
        found += _not_over_100_percent(rolling.max_surge, surge_path)
        has_unavailable = _int_or_percent(rolling.max_unavailable) != 0
        has_surge = _int_or_percent(rolling.max_surge) != 0
        if has_unavailable and has_surge:
            found.append(cause.invalid(surge_path, _go_int_or_string(rolling.max_surge),
                                       "may not be set when maxUnavailable is non-zero"))
        elif not has_unavailable and not has_surge:
            found.append(cause.required(unavailable_path, "cannot be 0 when maxSurge is 0"))
        return found
    rolling_text = "(*apps.RollingUpdateDaemonSet)(nil)" if rolling is None else "&apps.RollingUpdateDaemonSet{...}"
    shown = GoValue(f'apps.DaemonSetUpdateStrategy{{Type:{cause.go_quote(strategy.type or "")}, '
                    f"RollingUpdate:{rolling_text}}}")
    return [cause.not_supported(path, shown, ["RollingUpdate", "OnDelete"])]


def _positive_int_or_percent(value: IntOrString | None, path: str) -> list[Cause]:
    if isinstance(value, str):
        return [cause.invalid(path, _go_int_or_string(value), msg) for msg in is_valid_percent(value)]
    return _non_negative(value, path)


def _not_over_100_percent(value: IntOrString | None, path: str) -> list[Cause]:
    if isinstance(value, str) and not is_valid_percent(value) and int(value[:-1]) > 100:
        return [cause.invalid(path, _go_int_or_string(value), "must not be greater than 100%")]
    return []


def _int_or_percent(value: IntOrString | None) -> int:
    """The number in 3 or "25%"; anything unreadable counts as 0, as in Kubernetes."""
    if isinstance(value, str):
        return int(value[:-1]) if not is_valid_percent(value) else 0
    return value or 0


def _go_int_or_string(value: IntOrString | None) -> GoValue:
    # An IntOrString prints itself bare: 25% or 1, never quoted.
    return GoValue(str(value if value is not None else 0))
