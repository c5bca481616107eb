"""`get -o go-template|jsonpath|custom-columns`: tkctl and the real kubectl against one live master, byte for byte.

Both read the same pods (the session master runs no scheduler, so they stay
Pending and unchanged), and must agree on stdout, stderr and the exit code,
errors included.
"""

from __future__ import annotations


import pytest

from tests.cli.conftest import namespace_with_pods

PODS = [
    {"metadata": {"name": "web-1", "labels": {"app": "web", "tier": "front"},
                  "annotations": {"note": "hello world", "example.com/owner": "team <a&b>"}},
     "spec": {"nodeName": "node-1", "priority": 1000000,
              "containers": [{"name": "app", "image": "nginx:1.25",
                              "ports": [{"containerPort": 80, "name": "http"},
                                        {"containerPort": 9090, "name": "metrics", "protocol": "UDP"}],
                              "env": [{"name": "MODE", "value": "prod"}],
                              "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}},
                             {"name": "log", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 3600"]}]}},
    {"metadata": {"name": "db-1", "labels": {"app": "db"}},
     "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}},
]

TUTORIAL = '{{range .items}}{{.metadata.name}}{{"\\n"}}{{end}}'


@pytest.fixture(scope="module")
def pods_namespace(master):
    """One namespace with the pods above, shared by every comparison in this module."""
    with namespace_with_pods(master, [{"apiVersion": "v1", "kind": "Pod", **pod} for pod in PODS]) as name:
        yield name


def outcome(result) -> tuple[int, str, str]:
    return result.returncode, result.stdout, result.stderr


def assert_same(tkctl, kubectl, *args: str) -> tuple[int, str, str]:
    theirs = outcome(kubectl(*args, check=False))
    assert outcome(tkctl(*args)) == theirs
    return theirs


def test_the_tutorials_go_template_lists_pod_names_as_kubectl_does(tkctl, real_kubectl, pods_namespace):
    returncode, stdout, _ = assert_same(tkctl, real_kubectl, "get", "pods", "-n", pods_namespace,
                                        "-o", "go-template", "--template", TUTORIAL)
    assert (returncode, stdout) == (0, "db-1\nweb-1\n")


GO_TEMPLATES = [
    TUTORIAL,
    "{{range .items}}{{.metadata.name}}: {{.spec.priority}} {{.spec.terminationGracePeriodSeconds}} "
    "{{.metadata.labels}} {{.spec.nodeName}}\n{{end}}",
    "{{range $i, $p := .items}}{{$i}} {{range $p.spec.containers}}[{{.name}} {{.image}} {{.ports}}]{{end}}\n{{end}}",
    '{{range .items}}{{with .metadata.annotations}}{{index . "note"}} {{html .}}{{else}}none{{end}}|{{end}}',
    '{{range .items}}{{printf "%-8s|%3d|%q" .metadata.name (len .spec.containers) .status.phase}}\n{{end}}',
    "{{- range .items}}\n  {{- if and .spec.nodeName (gt (len .spec.containers) 1)}}{{.metadata.name}}{{end}}"
    "\n{{- end}}",
    "{{.kind}} {{.apiVersion}} {{.metadata}} {{len .items}}",
]

JSONPATHS = [
    "{.items[*].metadata.name}",
    '{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}',
    "{.items[*].spec.containers[*].image}",
    "{.items[-1:].metadata.name} {.items[0:2].metadata.name}",
    '{.items[?(@.metadata.name=="web-1")].spec.containers[0].ports[?(@.name=="metrics")].containerPort}',
    "{.items[?(@.spec.nodeName)].metadata.name}",
    "{.items[*].metadata.labels}",
    "{.items[1].spec.containers[0].resources}",
    "{..containerPort}",
    "{.items[*].metadata.annotations['example\\.com/owner']}",
]

CUSTOM_COLUMNS = [
    "NAME:.metadata.name,NODE:.spec.nodeName",
    "NAME:metadata.name,PRIO:{.spec.priority},IMAGES:.spec.containers[*].image,PORTS:.spec.containers[*].ports",
    "NAME:.metadata.name,LABELS:.metadata.labels,CPU:.spec.containers[*].resources.requests.cpu",
]


@pytest.mark.parametrize("output", [f"go-template={t}" for t in GO_TEMPLATES] +
                         [f"jsonpath={t}" for t in JSONPATHS] +
                         ["jsonpath-as-json={.items[*].metadata.name}"] +
                         [f"custom-columns={c}" for c in CUSTOM_COLUMNS])
def test_list_output_matches_kubectl(tkctl, real_kubectl, pods_namespace, output):
    returncode, stdout, _ = assert_same(tkctl, real_kubectl, "get", "pods", "-n", pods_namespace, "-o", output)
    assert returncode == 0 and stdout


@pytest.mark.parametrize("output", ["go-template={{.metadata.name}} {{.spec.containers}}",
                                    "jsonpath={.metadata.name} {.spec.containers[*].name}",
                                    "custom-columns=NAME:.metadata.name,C:.spec.containers[*].name"])
def test_a_named_object_is_given_to_the_template_itself(tkctl, real_kubectl, pods_namespace, output):
    assert_same(tkctl, real_kubectl, "get", "pod", "web-1", "-n", pods_namespace, "-o", output)


def test_template_files_and_flags_match_kubectl(tkctl, real_kubectl, pods_namespace, tmp_path):
    (tmp_path / "names.tmpl").write_text("{{range .items}}{{.metadata.name}}\n{{end}}")
    (tmp_path / "names.jsonpath").write_text("{.items[*].metadata.name}")
    (tmp_path / "columns.txt").write_text("NAME  IMAGE\n.metadata.name {.spec.containers[*].image}\n")
    for args in (["-o", f"go-template-file={tmp_path / 'names.tmpl'}"],
                 ["-o", f"templatefile={tmp_path / 'names.tmpl'}"],
                 ["-o", f"jsonpath-file={tmp_path / 'names.jsonpath'}"],
                 ["-o", f"custom-columns-file={tmp_path / 'columns.txt'}"],
                 ["--template", TUTORIAL],
                 ["-o", "template", "--template", TUTORIAL],
                 ["-o", "jsonpath", "--template", "{.items[*].metadata.name}"],
                 ["-o", "custom-columns=NAME:.metadata.name", "--no-headers"]):
        assert_same(tkctl, real_kubectl, "get", "pods", "-n", pods_namespace, *args)


@pytest.mark.parametrize("args", [
    ["-o", "go-template={{.metadata.name, }}"],  # a parse error: one line on stderr
    ["-o", "go-template={{range .items}}{{.metadata.name}} {{.spec.containers.name}}{{end}}"],  # a run error
    ["-o", "go-template={{.nope}}", "--allow-missing-template-keys=false"],
    ["-o", "jsonpath={.items[5]}"],
    ["-o", "jsonpath={.items[0].foo"],
    ["-o", "jsonpath={.nope}", "--allow-missing-template-keys=false"],
    ["-o", "custom-columns=NAME"],
    ["-o", "custom-columns=X:.spec.containers[5].name"],
    ["-o", "go-template"],
    ["-o", "yamlish"],
    ["-o", "go-template-file=/nonexistent/template"],
])
def test_errors_match_kubectl(tkctl, real_kubectl, pods_namespace, args):
    returncode, _, stderr = assert_same(tkctl, real_kubectl, "get", "pods", "-n", pods_namespace, *args)
    assert returncode == 1 and stderr.startswith("error: ")


def test_a_missing_name_is_reported_after_the_template_output(tkctl, real_kubectl, pods_namespace):
    returncode, stdout, stderr = assert_same(tkctl, real_kubectl, "get", "pod", "web-1", "nope", "-n", pods_namespace,
                                             "-o", "jsonpath={.items[*].metadata.name}")
    assert (returncode, stdout, stderr) == (1, "web-1", 'Error from server (NotFound): pods "nope" not found\n')


def test_an_empty_namespace_gives_the_template_an_empty_list(tkctl, real_kubectl, namespace):
    for output in (f"go-template={TUTORIAL}", "jsonpath={.kind}", "custom-columns=NAME:.metadata.name"):
        assert_same(tkctl, real_kubectl, "get", "pods", "-n", namespace, "-o", output)
