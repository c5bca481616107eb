"""tkctl against a live master, run as a subprocess exactly as a user runs it."""

from __future__ import annotations

import json
import re
import textwrap
import uuid

import pytest
import yaml

from cli.three_way import LAST_APPLIED
from tests.support.cluster import wait_for

POD_YAML = textwrap.dedent("""\
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
      labels: {app: web, tier: front}
    spec:
      containers:
      - name: app
        image: nginx:1.25
        ports: [{containerPort: 80}]
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
    """)

DEPLOYMENT_YAML = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: api
    spec:
      replicas: 2
      selector: {matchLabels: {app: api}}
      template:
        metadata: {labels: {app: api}}
        spec:
          containers: [{name: app, image: "nginx:1.25"}]
    """)


def pod(name: str, *, labels: dict[str, str] | None = None, image: str = "nginx:1.25") -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": name, "labels": labels or {"app": name}},
                           "spec": {"containers": [{"name": "app", "image": image}]}})


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def without_ages(events: str) -> list[list[str]]:
    """Event rows as words, without the Age column."""
    return [words[:2] + words[3:] for words in (line.split() for line in events.splitlines()) if words]


def live(api, namespace: str, name: str, plural: str = "pods", prefix: str = "/api/v1") -> dict:
    response = api.get(f"{prefix}/namespaces/{namespace}/{plural}/{name}")
    assert response.status_code == 200, response.text
    return response.json()


# ----- apply


def test_apply_creates_then_is_unchanged_then_configured(tkctl, api, namespace, tmp_path):
    manifest = write(tmp_path, "pod.yaml", POD_YAML)
    assert tkctl.ok("apply", "-f", manifest, "-n", namespace) == "pod/web created\n"
    assert tkctl.ok("apply", "-f", manifest, "-n", namespace) == "pod/web unchanged\n"

    write(tmp_path, "pod.yaml", POD_YAML.replace("nginx:1.25", "nginx:1.26"))
    assert tkctl.ok("apply", "-f", manifest, "-n", namespace) == "pod/web configured\n"
    assert live(api, namespace, "web")["spec"]["containers"][0]["image"] == "nginx:1.26"
    assert tkctl.ok("apply", "-f", manifest, "-n", namespace) == "pod/web unchanged\n"


def test_apply_stores_the_annotation_kubectl_stores(tkctl, kubectl, api, namespace, tmp_path):
    other = f"t-{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/namespaces", json={"metadata": {"name": other}}).status_code == 201
    try:
        for text, plural, prefix in ((POD_YAML, "pods", "/api/v1"), (DEPLOYMENT_YAML, "deployments", "/apis/apps/v1")):
            manifest = write(tmp_path, "object.yaml", text)
            tkctl.ok("apply", "-f", manifest, "-n", namespace)
            kubectl("apply", "-f", manifest, "-n", other)
            name = yaml.safe_load(text)["metadata"]["name"]
            ours = live(api, namespace, name, plural, prefix)["metadata"]["annotations"][LAST_APPLIED]
            theirs = live(api, other, name, plural, prefix)["metadata"]["annotations"][LAST_APPLIED]
            assert ours == theirs.replace(f'"namespace":"{other}"', f'"namespace":"{namespace}"')
    finally:
        api.delete(f"/api/v1/namespaces/{other}")


def test_kubectl_sees_an_object_tkctl_applied_as_unchanged(tkctl, kubectl, namespace, tmp_path):
    manifest = write(tmp_path, "pod.yaml", POD_YAML)
    tkctl.ok("apply", "-f", manifest, "-n", namespace)
    assert kubectl("apply", "-f", manifest, "-n", namespace).stdout == "pod/web unchanged\n"


def test_apply_removes_what_the_manifest_no_longer_sets(tkctl, api, namespace, tmp_path):
    with_env = DEPLOYMENT_YAML.replace('image: "nginx:1.25"',
                                       'image: "nginx:1.25", env: [{name: A, value: "1"}, {name: B, value: "2"}]')
    manifest = write(tmp_path, "deploy.yaml", with_env.replace("name: api", "name: api\n  labels: {a: '1', b: '2'}", 1))
    tkctl.ok("apply", "-f", manifest, "-n", namespace)
    write(tmp_path, "deploy.yaml", with_env.replace(', {name: B, value: "2"}', "").replace(
        "name: api", "name: api\n  labels: {a: '1'}", 1))

    assert tkctl.ok("apply", "-f", manifest, "-n", namespace) == "deployment.apps/api configured\n"
    obj = live(api, namespace, "api", "deployments", "/apis/apps/v1")
    assert obj["metadata"]["labels"] == {"a": "1"}
    assert obj["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "A", "value": "1"}]
    assert tkctl.ok("apply", "-f", manifest, "-n", namespace) == "deployment.apps/api unchanged\n"


def test_apply_keeps_fields_others_set_outside_the_manifest(tkctl, api, namespace, tmp_path):
    manifest = write(tmp_path, "pod.yaml", POD_YAML)
    tkctl.ok("apply", "-f", manifest, "-n", namespace)
    response = api.patch(f"/api/v1/namespaces/{namespace}/pods/web", json={"metadata": {"labels": {"extra": "x"}}},
                         headers={"Content-Type": "application/merge-patch+json"})
    assert response.status_code == 200, response.text

    assert tkctl.ok("apply", "-f", manifest, "-n", namespace) == "pod/web unchanged\n"
    assert live(api, namespace, "web")["metadata"]["labels"]["extra"] == "x"


def test_apply_reads_directories_stdin_json_and_multi_document_files(tkctl, api, namespace, tmp_path):
    directory = tmp_path / "manifests"
    directory.mkdir()
    (directory / "a.yaml").write_text(pod("a") + "---\n" + pod("b"))
    (directory / "c.json").write_text(json.dumps(yaml.safe_load(pod("c"))))
    (directory / "notes.txt").write_text("not a manifest")

    out = tkctl.ok("apply", "-f", str(directory), "-f", "-", "-n", namespace, input=pod("d"))

    assert out == "pod/a created\npod/b created\npod/c created\npod/d created\n"
    names = {item["metadata"]["name"] for item in api.get(f"/api/v1/namespaces/{namespace}/pods").json()["items"]}
    assert names == {"a", "b", "c", "d"}


def test_apply_of_a_deployment_names_its_group(tkctl, namespace, tmp_path):
    manifest = write(tmp_path, "deploy.yaml", DEPLOYMENT_YAML)
    assert tkctl.ok("apply", "-f", manifest, "-n", namespace) == "deployment.apps/api created\n"
    assert tkctl.ok("apply", "-f", manifest, "-n", namespace) == "deployment.apps/api unchanged\n"


def test_apply_over_a_created_object_warns_and_adds_the_annotation(tkctl, api, namespace, tmp_path):
    manifest = write(tmp_path, "pod.yaml", POD_YAML)
    tkctl.ok("create", "-f", manifest, "-n", namespace)

    result = tkctl("apply", "-f", manifest, "-n", namespace)

    assert (result.returncode, result.stdout) == (0, "pod/web configured\n")
    assert result.stderr.startswith(f"Warning: resource pods/web is missing the {LAST_APPLIED} annotation")
    assert LAST_APPLIED in live(api, namespace, "web")["metadata"]["annotations"]
    assert tkctl.ok("apply", "-f", manifest, "-n", namespace) == "pod/web unchanged\n"


def test_apply_refuses_a_manifest_from_another_namespace_than_the_flag(tkctl, namespace, tmp_path):
    manifest = write(tmp_path, "pod.yaml", POD_YAML.replace("name: web", "name: web\n  namespace: elsewhere"))
    result = tkctl("apply", "-f", manifest, "-n", namespace)
    assert result.returncode == 1
    assert result.stderr == (f'error: the namespace from the provided object "elsewhere" does not match the '
                             f'namespace "{namespace}". You must pass \'--namespace=elsewhere\' to perform this '
                             "operation.\n")


# ----- create


def test_create_posts_the_manifest_without_the_annotation(tkctl, api, namespace, tmp_path):
    manifest = write(tmp_path, "pod.yaml", POD_YAML)
    assert tkctl.ok("create", "-f", manifest, "-n", namespace) == "pod/web created\n"
    assert LAST_APPLIED not in (live(api, namespace, "web")["metadata"].get("annotations") or {})


def test_create_of_an_existing_object_names_the_file(tkctl, namespace, tmp_path):
    manifest = write(tmp_path, "pod.yaml", POD_YAML)
    tkctl.ok("create", "-f", manifest, "-n", namespace)

    result = tkctl("create", "-f", manifest, "-n", namespace)

    assert result.returncode == 1
    assert result.stderr == (f'Error from server (AlreadyExists): error when creating "{manifest}": '
                             'pods "web" already exists\n')


# ----- get


@pytest.fixture
def two_pods(tkctl, namespace):
    tkctl.ok("apply", "-f", "-", "-n", namespace, input=pod("web-1", labels={"app": "web"}) + "---\n" +
             pod("db-1", labels={"app": "db"}))
    return namespace


def test_get_prints_the_server_table_in_kubectl_layout(tkctl, two_pods):
    lines = tkctl.ok("get", "pods", "-n", two_pods).splitlines()
    assert lines[0] == "NAME    READY   STATUS    RESTARTS   AGE"
    assert [line.split()[:4] for line in lines[1:]] == [["db-1", "0/1", "Pending", "0"],
                                                        ["web-1", "0/1", "Pending", "0"]]
    assert lines[1].startswith("db-1    0/1     Pending   0          ")


def test_get_wide_adds_the_priority_columns(tkctl, two_pods):
    header = tkctl.ok("get", "pods", "-o", "wide", "-n", two_pods).splitlines()[0]
    assert re.split(r" {3,}", header) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                                          "NOMINATED NODE", "READINESS GATES"]


def test_get_all_namespaces_leads_with_a_namespace_column(tkctl, two_pods):
    lines = tkctl.ok("get", "pods", "-A").splitlines()
    assert lines[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert [two_pods, "web-1"] in [line.split()[:2] for line in lines[1:]]


def test_get_selects_by_label_and_field(tkctl, two_pods):
    assert [line.split()[0] for line in tkctl.ok("get", "pods", "-l", "app=web", "-n", two_pods).splitlines()] == \
        ["NAME", "web-1"]
    selected = tkctl.ok("get", "pods", "--field-selector", "metadata.name=db-1", "-n", two_pods, "-o", "name")
    assert selected == "pod/db-1\n"


def test_get_of_several_kinds_prints_kind_slash_name(tkctl, two_pods, tmp_path):
    tkctl.ok("apply", "-f", write(tmp_path, "deploy.yaml", DEPLOYMENT_YAML), "-n", two_pods)
    out = tkctl.ok("get", "pods,deployments", "-n", two_pods)
    pods_table, deployments_table = out.split("\n\n")
    assert pods_table.splitlines()[1].startswith("pod/db-1   ")
    assert deployments_table.splitlines()[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert deployments_table.splitlines()[1].split()[0] == "deployment.apps/api"


def test_get_json_of_one_object_prints_the_object(tkctl, two_pods):
    obj = json.loads(tkctl.ok("get", "pod", "web-1", "-o", "json", "-n", two_pods))
    assert (obj["kind"], obj["metadata"]["name"]) == ("Pod", "web-1")


def test_get_json_and_yaml_of_a_collection_print_a_list(tkctl, two_pods):
    for output, parse in (("json", json.loads), ("yaml", yaml.safe_load)):
        document = parse(tkctl.ok("get", "pods", "-o", output, "-n", two_pods))
        assert document["kind"] == "List" and document["apiVersion"] == "v1"
        assert document["metadata"] == {"resourceVersion": ""}
        assert [(item["kind"], item["metadata"]["name"]) for item in document["items"]] == \
            [("Pod", "db-1"), ("Pod", "web-1")]


def test_get_yaml_matches_kubectl_byte_for_byte(tkctl, kubectl, two_pods):
    assert tkctl.ok("get", "pod", "web-1", "-o", "yaml", "-n", two_pods) == \
        kubectl("get", "pod", "web-1", "-o", "yaml", "-n", two_pods).stdout


def test_get_name_prints_kind_slash_name(tkctl, two_pods, tmp_path):
    tkctl.ok("apply", "-f", write(tmp_path, "deploy.yaml", DEPLOYMENT_YAML), "-n", two_pods)
    assert tkctl.ok("get", "pods,deploy", "-o", "name", "-n", two_pods) == \
        "pod/db-1\npod/web-1\ndeployment.apps/api\n"


def test_get_of_nothing_says_no_resources_found(tkctl, namespace):
    result = tkctl("get", "pods", "-n", namespace)
    assert (result.returncode, result.stdout, result.stderr) == \
        (0, "", f"No resources found in {namespace} namespace.\n")
    assert tkctl("get", "nodes", "-l", "tinykube.test/none=x").stderr == "No resources found\n"
    assert tkctl("get", "pods", "-A", "-l", "tinykube.test/none=x").stderr == "No resources found\n"


def test_get_reports_a_missing_name_after_the_others(tkctl, two_pods):
    result = tkctl("get", "pod", "web-1", "nope", "-n", two_pods)
    assert result.returncode == 1
    assert result.stdout.splitlines()[1].startswith("web-1 ")
    assert result.stderr == 'Error from server (NotFound): pods "nope" not found\n'


# ----- describe


def test_describe_pod_shows_its_fields_and_events(tkctl, kubectl, api, namespace, tmp_path):
    tkctl.ok("apply", "-f", write(tmp_path, "pod.yaml", POD_YAML), "-n", namespace)
    uid = live(api, namespace, "web")["metadata"]["uid"]
    event = {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.1"},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": namespace, "uid": uid},
        "reason": "Pulling", "message": "Pulling image nginx:1.25", "type": "Normal",
        "source": {"component": "kubelet"}, "count": 1,
        "firstTimestamp": "2020-01-01T00:00:00Z", "lastTimestamp": "2020-01-01T00:00:00Z",
    }
    assert api.post(f"/api/v1/namespaces/{namespace}/events", json=event).status_code == 201

    page = tkctl.ok("describe", "pod", "web", "-n", namespace)

    lines = [" ".join(line.split()) for line in page.splitlines()]
    assert lines[:2] == ["Name: web", f"Namespace: {namespace}"]
    assert "Labels: app=web" in lines and "tier=front" in lines
    assert "Annotations: <none>" in lines  # apply's own annotation is not shown
    assert "Image: nginx:1.25" in lines and "A: 1" in lines and "B: 2" in lines
    assert "Type Reason Age From Message" in lines
    assert any(line.startswith("Normal Pulling ") and line.endswith("kubelet Pulling image nginx:1.25")
               for line in lines)
    theirs = kubectl("describe", "pod", "web", "-n", namespace).stdout
    # the Events ages may tick between the two commands, and so may their column width
    assert page.split("Events:")[0] == theirs.split("Events:")[0]
    assert without_ages(page.split("Events:")[1]) == without_ages(theirs.split("Events:")[1])


def test_describe_deployment_matches_kubectl(tkctl, kubectl, namespace, tmp_path):
    tkctl.ok("apply", "-f", write(tmp_path, "deploy.yaml", DEPLOYMENT_YAML), "-n", namespace)
    page = tkctl.ok("describe", "deployment", "api", "-n", namespace)
    assert "Replicas:               2 desired" in page
    assert page == kubectl("describe", "deployment", "api", "-n", namespace).stdout


def test_describe_falls_back_to_a_generic_page(tkctl, api, namespace):
    lease = {"metadata": {"name": "lock"}, "spec": {"holderIdentity": "me", "leaseDurationSeconds": 15}}
    response = api.post(f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases", json=lease)
    assert response.status_code == 201, response.text
    generic = [" ".join(line.split()) for line in tkctl.ok("describe", "lease", "lock", "-n", namespace).splitlines()]
    assert generic[:2] == ["Name: lock", f"Namespace: {namespace}"]
    assert "Kind: Lease" in generic and "Holder Identity: me" in generic


# ----- delete


def test_delete_by_name_waits_until_the_object_is_gone(tkctl, api, two_pods):
    assert tkctl.ok("delete", "pod", "web-1", "-n", two_pods) == 'pod "web-1" deleted\n'
    assert api.get(f"/api/v1/namespaces/{two_pods}/pods/web-1").status_code == 404


def test_delete_by_file_and_by_label(tkctl, api, namespace, tmp_path):
    manifest = write(tmp_path, "pods.yaml", pod("a", labels={"app": "x"}) + "---\n" + pod("b", labels={"app": "y"}))
    tkctl.ok("apply", "-f", manifest, "-n", namespace)
    tkctl.ok("apply", "-f", "-", "-n", namespace, input=pod("c", labels={"app": "x"}))

    assert tkctl.ok("delete", "pods", "-l", "app=x", "-n", namespace) == 'pod "a" deleted\npod "c" deleted\n'
    assert tkctl.ok("delete", "-f", manifest, "-n", namespace, "--ignore-not-found") == 'pod "b" deleted\n'
    assert api.get(f"/api/v1/namespaces/{namespace}/pods").json()["items"] == []
    assert tkctl.ok("delete", "pods", "-l", "app=x", "-n", namespace) == "No resources found\n"


def test_force_delete_warns_and_says_force_deleted(tkctl, two_pods):
    result = tkctl("delete", "pod", "db-1", "--force", "--grace-period=0", "-n", two_pods)
    assert result.returncode == 0
    assert result.stdout == 'pod "db-1" force deleted\n'
    assert result.stderr.startswith("Warning: Immediate deletion does not wait")


def test_delete_without_wait_returns_once_the_server_accepted(tkctl, api, two_pods):
    assert tkctl.ok("delete", "pod", "web-1", "--wait=false", "-n", two_pods) == 'pod "web-1" deleted\n'
    wait_for(lambda: api.get(f"/api/v1/namespaces/{two_pods}/pods/web-1").status_code == 404,
             message="web-1 to be gone")


# ----- errors


def test_a_missing_object_is_not_found(tkctl, namespace):
    for command in (("get", "pod", "x"), ("delete", "pod", "x"), ("describe", "pod", "x")):
        result = tkctl(*command, "-n", namespace)
        assert (result.returncode, result.stderr) == (1, 'Error from server (NotFound): pods "x" not found\n'), command


def test_a_wrong_token_asks_to_log_in(tkctl, master, tmp_path):
    config = yaml.safe_load(master.kubeconfig.read_text())
    config["users"][0]["user"]["token"] = "not-the-token"
    bad = tmp_path / "bad.kubeconfig"
    bad.write_text(yaml.safe_dump(config))

    result = tkctl("get", "pods", kubeconfig=bad)

    assert result.returncode == 1
    assert result.stderr == ("error: You must be logged in to the server "
                             "(the server has asked for the client to provide credentials)\n")


def test_an_unknown_kind_is_named(tkctl):
    result = tkctl("get", "foo")
    assert (result.returncode, result.stderr) == (1, 'error: the server doesn\'t have a resource type "foo"\n')


def test_a_bad_yaml_file_is_one_line_and_no_traceback(tkctl, namespace, tmp_path):
    result = tkctl("apply", "-f", write(tmp_path, "bad.yaml", "a: [\n"), "-n", namespace)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: error parsing {tmp_path / 'bad.yaml'}: error converting YAML to JSON: ")
    assert result.stderr.count("\n") == 1


def test_a_missing_file_is_named(tkctl, namespace):
    result = tkctl("apply", "-f", "nope.yaml", "-n", namespace)
    assert (result.returncode, result.stderr) == (1, 'error: the path "nope.yaml" does not exist\n')


def test_an_unknown_field_is_rejected_by_strict_validation(tkctl, namespace, tmp_path):
    manifest = write(tmp_path, "pod.yaml", POD_YAML.replace("  containers:", "  bogus: 1\n  containers:"))
    result = tkctl("apply", "-f", manifest, "-n", namespace)
    assert result.returncode == 1
    assert result.stderr.startswith(f'Error from server (BadRequest): error when creating "{manifest}": ')
    assert 'unknown field "spec.bogus"' in result.stderr


def test_an_invalid_object_is_reported_as_kubectl_does(tkctl, namespace, tmp_path):
    manifest = write(tmp_path, "pod.yaml", pod("invalid", image=""))
    result = tkctl("apply", "-f", manifest, "-n", namespace)
    assert (result.returncode, result.stderr) == \
        (1, 'The Pod "invalid" is invalid: spec.containers[0].image: Required value\n')


def test_describe_of_a_pod_the_scheduler_never_saw_has_no_scheduling_section(tkctl, namespace, tmp_path):
    # the session master runs no scheduler, so the explanation is a 404, which describe leaves out silently
    tkctl.ok("apply", "-f", write(tmp_path, "pod.yaml", pod("lonely")), "-n", namespace)
    page = tkctl.ok("describe", "pod", "lonely", "-n", namespace)
    assert "Scheduling:" not in page and page.startswith("Name:")
