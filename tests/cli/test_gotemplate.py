"""The go-template engine against examples from Go's text/template docs, the kubectl docs and cheat sheet.

Every expected string here is what kubectl v1.32 printed for the same template
and data (run through `kubectl create --dry-run=client -o go-template=...`),
including the error messages.
"""

import pytest

from cli.gotemplate import ExecError, ParseError, execute, parse_template


def render(template: str, data) -> str:
    return execute(parse_template(template), data)


# ----- Go's text/template documentation: every example there prints "output" in quotes

GO_DOC_EXAMPLES = [
    ('{{"\\"output\\""}}', '"output"'),
    ('{{`"output"`}}', '"output"'),
    ('{{printf "%q" "output"}}', '"output"'),
    ('{{"output" | printf "%q"}}', '"output"'),
    ('{{printf "%q" (print "out" "put")}}', '"output"'),
    ('{{"put" | printf "%s%s" "out" | printf "%q"}}', '"output"'),
    ('{{"output" | printf "%s" | printf "%q"}}', '"output"'),
    ('{{with "output"}}{{printf "%q" .}}{{end}}', '"output"'),
    ('{{with $x := "output" | printf "%q"}}{{$x}}{{end}}', '"output"'),
    ('{{with $x := "output"}}{{printf "%q" $x}}{{end}}', '"output"'),
    ('{{with $x := "output"}}{{$x | printf "%q"}}{{end}}', '"output"'),
    ("{{23 -}} < {{- 45}}", "23<45"),
    ("a {{/* a comment */}}b", "a b"),
    ("a {{- /* a comment with white space trimmed from preceding and following text */ -}} b", "ab"),
]


@pytest.mark.parametrize(("template", "expected"), GO_DOC_EXAMPLES)
def test_go_documentation_examples(template, expected):
    assert render(template, {}) == expected


# ----- kubectl: the tutorial, the cheat sheet and the task pages

PODS = {
    "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
    "items": [
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "web-1", "labels": {"app": "web", "tier": "front"}},
         "spec": {"nodeName": "node-a", "terminationGracePeriodSeconds": 30,
                  "containers": [{"name": "app", "image": "nginx:1.25",
                                  "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                                 {"name": "log", "image": "busybox"}]},
         "status": {"phase": "Running", "podIP": "10.0.0.5", "conditions": [{"type": "Ready", "status": "True"}]}},
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "db-1", "labels": {"app": "db"}},
         "spec": {"terminationGracePeriodSeconds": 30, "containers": [{"name": "db", "image": "postgres:16"}]},
         "status": {"phase": "Pending", "conditions": [{"type": "Ready", "status": "False"}]}},
    ],
}

KUBECTL_EXAMPLES = [
    # the Kubernetes tutorial's way to list pod names
    ('{{range .items}}{{.metadata.name}}{{"\\n"}}{{end}}', "web-1\ndb-1\n"),
    # "Debug Services": one pod IP per line; a pod without one prints <no value>
    ('{{range .items}}{{.status.podIP}}{{"\\n"}}{{end}}', "10.0.0.5\n<no value>\n"),
    ('{{range .items}}{{.metadata.name}}{{"\\t"}}{{range .status.conditions}}{{if eq .type "Ready"}}{{.status}}{{end}}'
     '{{end}}{{"\\n"}}{{end}}', "web-1\tTrue\ndb-1\tFalse\n"),
    ('{{range .items}}{{$pod := .metadata.name}}{{range .spec.containers}}{{$pod}}/{{.name}}={{.image}}{{"\\n"}}'
     "{{end}}{{end}}", "web-1/app=nginx:1.25\nweb-1/log=busybox\ndb-1/db=postgres:16\n"),
    ('{{range .items}}{{.metadata.name}} {{.metadata.labels}}{{"\\n"}}{{end}}',
     "web-1 map[app:web tier:front]\ndb-1 map[app:db]\n"),
    ('{{range .items}}{{if .spec.nodeName}}{{.metadata.name}} on {{.spec.nodeName}}{{else}}{{.metadata.name}} '
     'unscheduled{{end}}{{"\\n"}}{{end}}', "web-1 on node-a\ndb-1 unscheduled\n"),
    ("{{len .items}} pods, first {{(index .items 0).metadata.name}}, ports "
     "{{(index (index .items 0).spec.containers 0).ports}}",
     "2 pods, first web-1, ports [map[containerPort:80 protocol:TCP]]"),
    ("{{range $i, $p := .items}}{{if $i}}, {{end}}{{$p.metadata.name}}{{end}}", "web-1, db-1"),
    ('{{range .items}}{{.metadata.name}}: {{.spec.terminationGracePeriodSeconds}}s {{.metadata.annotations}} '
     '{{.metadata.missing.deeper}}{{"\\n"}}{{end}}',
     "web-1: 30s <no value> <no value>\ndb-1: 30s <no value> <no value>\n"),
    ("{{range .items}}{{- with .metadata.labels.tier}}{{.}}{{else}}no tier{{end}};{{end}}", "front;no tier;"),
    ('{{range .items}}{{if and (eq .status.phase "Running") (gt (len .spec.containers) 1)}}{{.metadata.name}}'
     "{{end}}{{end}}", "web-1"),
    ('{{range .items}}{{if eq .status.phase "Pending" "Unknown"}}{{.metadata.name}} waits {{end}}{{end}}',
     "db-1 waits "),
    ('{{range .items}}{{.kind}}/{{.metadata.name | printf "%-8s"}}|{{end}}', "Pod/web-1   |Pod/db-1    |"),
]


@pytest.mark.parametrize(("template", "expected"), KUBECTL_EXAMPLES)
def test_kubectl_examples_over_a_list_of_pods(template, expected):
    assert render(template, PODS) == expected


def test_cheat_sheet_decodes_every_key_of_a_secret():
    secret = {"kind": "Secret", "data": {"password": "czNjcjN0", "username": "YWRtaW4="}}
    template = '{{range $k,$v := .data}}{{"### "}}{{$k}}{{"\\n"}}{{$v|base64decode}}{{"\\n\\n"}}{{end}}'
    assert render(template, secret) == "### password\ns3cr3t\n\n### username\nadmin\n\n"


def test_service_docs_read_the_node_port_of_the_first_port():
    service = {"kind": "Service", "spec": {"ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}}
    assert render("{{(index .spec.ports 0).nodePort}}", service) == "30080"


def test_node_docs_pick_external_addresses():
    nodes = {"kind": "List", "items": [
        {"status": {"addresses": [{"type": "InternalIP", "address": "10.1.0.1"},
                                  {"type": "ExternalIP", "address": "34.1.2.3"}]}},
        {"status": {"addresses": [{"type": "InternalIP", "address": "10.1.0.2"}]}}]}
    template = ('{{range .items}}{{range .status.addresses}}{{if eq .type "ExternalIP"}}{{.address}}{{end}}{{end}} '
                '{{end}}')
    assert render(template, nodes) == "34.1.2.3  "


# ----- Go semantics: printing, truth, scopes and the builtin functions

VALUES = {"int": 3, "big": 1234567, "float": 2.5, "tiny": 0.00001, "yes": True, "no": False, "nil": None,
          "empty": "", "list": ["a", "b"], "map": {"b": 2, "a": 1}, "nested": {"list": [{"x": 1}, {"x": 2}]},
          "text": "a<b> & \"c\" 'd'"}

SEMANTICS = [
    # floats print like Go's %v; a JSON null and a missing key both print <no value>
    ("{{.int}} {{.big}} {{.float}} {{.tiny}} {{.yes}} {{.no}} {{.empty}}|", "3 1234567 2.5 1e-05 true false |"),
    ("{{.nil}} {{.missing}} {{.map.missing}} {{.list}} {{.map}} {{.nested}}",
     "<no value> <no value> <no value> [a b] map[a:1 b:2] map[list:[map[x:1] map[x:2]]]"),
    # maps are walked in sorted key order, as Go does
    ("{{range $k, $v := .map}}{{$k}}={{$v}} {{end}}", "a=1 b=2 "),
    ("{{range .list}}{{.}}{{else}}none{{end}} {{range .missing}}x{{else}}none{{end}}", "ab none"),
    ("{{if .empty}}a{{else if .no}}b{{else if .int}}c{{else}}d{{end}}", "c"),
    ("{{with .missing}}x{{else}}no value{{end}}", "no value"),
    ("{{$x := 1}}{{range .list}}{{$x = .}}{{end}}{{$x}}", "b"),
    ('{{(index .nested.list 1).x}} {{index .map "a"}} {{index .list 1}} {{index .map "zz"}}', "2 1 b <no value>"),
    ("{{len .list}} {{len .map}} {{len .text}} {{slice .list 1}} {{slice .text 0 3}}", "2 2 14 [b] a<b"),
    ('{{printf "%d|%5.2f|%s|%q|%v|%T|%x" .int .float .text .empty .map .big .int}}',
     "3| 2.50|a<b> & \"c\" 'd'|\"\"|map[a:1 b:2]|int64|3"),
    ('{{print 1 2 "a" "b" 3}}|{{println "x" 1}}|', "1 2ab3|x 1\n|"),
    ('{{eq .int 3}} {{eq .int 1 2 3}} {{ne .empty ""}} {{lt .int 4}} {{le .float 2.5}} {{gt "b" "a"}} {{ge .int 3}}',
     "true true false true true true true"),
    ("{{and .yes .int}} {{and .no .int}} {{or .empty .int}} {{or .empty .nil}} {{not .list}}",
     "3 false 3 <no value> false"),
    ("{{html .text}} {{js .text}} {{urlquery .text}}",
     "a&lt;b&gt; &amp; &#34;c&#34; &#39;d&#39; "
     "a\\u003Cb\\u003E \\u0026 \\\"c\\\" \\'d\\' "
     "a%3Cb%3E+%26+%22c%22+%27d%27"),
    ('{{"tab\\there" }} {{`raw\\t`}} {{1.5}} {{-2}} {{0x10}} {{\'a\'}} {{true}}', "tab\there raw\\t 1.5 -2 16 97 true"),
    ("{{ .int -}}   {{- .float }} {{- /* gone */}} x", "32.5 x"),
    ('{{exists . "nested" "list" 1 "x"}} {{exists . "map" "zz"}}', "true false"),
    ("{{range .nested.list}}{{if eq .x 1}}{{continue}}{{end}}{{.x}}{{end}}", "2"),
    ("{{range .list}}{{.}}{{break}}{{end}}", "a"),
    ('{{define "item"}}<{{.}}>{{end}}{{range .list}}{{template "item" .}}{{end}}', "<a><b>"),
    ('{{block "b" .int}}[{{.}}]{{end}}', "[3]"),
]


@pytest.mark.parametrize(("template", "expected"), SEMANTICS)
def test_go_semantics(template, expected):
    assert render(template, VALUES) == expected


def test_integral_numbers_are_int64_and_others_float64():
    assert render("{{printf \"%T %T %v %v\" .a .b .a .b}}", {"a": 1000000, "b": 1000000.5}) == \
        "int64 float64 1000000 1.0000005e+06"


# ----- errors: Go's words, Go's positions

PARSE_ERRORS = [
    ("{{.metadata.name, }}", 'template: output:1: unexpected "," in operand'),
    ("{{.int", "template: output:1: unclosed action"),
    ("{{range .list}}", "template: output:1: unexpected EOF"),
    ("{{end}}", "template: output:1: unexpected {{end}}"),
    ("{{if}}{{end}}", "template: output:1: missing value for if"),
    ("{{nofunc .}}", 'template: output:1: function "nofunc" not defined'),
    ("{{$x}}", 'template: output:1: undefined variable "$x"'),
    ('{{"unterminated}}', "template: output:1: unterminated quoted string"),
    ("{{.int | 3}}", "template: output:1: non executable command in pipeline stage 2"),
    ("{{else}}", "template: output:1: unexpected {{else}}"),
    ("{{range .list}}{{else}}{{else}}{{end}}", "template: output:1: expected end; found {{else}}"),
    ("{{/* open", "template: output:1: unclosed comment"),
    ("a\nb {{.int\n}} {{if}}", "template: output:3: missing value for if"),
]


@pytest.mark.parametrize(("template", "message"), PARSE_ERRORS)
def test_parse_errors_read_as_go_reports_them(template, message):
    with pytest.raises(ParseError) as caught:
        parse_template(template)
    assert str(caught.value) == message


EXEC_ERRORS = [
    ("{{.int}}\n{{.list.x}}", "3\n",
     "template: output:2:7: executing \"output\" at <.list.x>: can't evaluate field x in type interface {}"),
    ("x{{.nil.field}}", "x",
     'template: output:1:7: executing "output" at <.nil.field>: nil pointer evaluating interface {}.field'),
    ("{{index .list 5}}", "",
     'template: output:1:2: executing "output" at <index .list 5>: error calling index: index out of range: 5'),
    ("{{index .list 2}}", "",
     'template: output:1:2: executing "output" at <index .list 2>: error calling index: reflect: slice index out of '
     "range"),
    ('{{eq .int "3"}}', "",
     'template: output:1:2: executing "output" at <eq .int "3">: error calling eq: incompatible types for comparison'),
    ("{{lt .map 1}}", "",
     'template: output:1:2: executing "output" at <lt .map 1>: error calling lt: invalid type for comparison'),
    ("{{len .int}}", "",
     'template: output:1:2: executing "output" at <len .int>: error calling len: len of type int64'),
    ("{{printf .int}}", "",
     'template: output:1:9: executing "output" at <.int>: wrong type for value; expected string; got int64'),
    ("{{range .int}}{{end}}", "", "template: output:1:8: executing \"output\" at <.int>: range can't iterate over 3"),
    ('{{template "t"}}', "",
     'template: output:1:11: executing "output" at <{{template "t"}}>: template "t" not defined'),
    ("{{nil}}", "", 'template: output:1:2: executing "output" at <nil>: nil is not a command'),
    ("{{.int 1}}", "", 'template: output:1:2: executing "output" at <.int>: int is not a method but has arguments'),
    ("{{$x := 1}}{{$x.y}}", "",
     "template: output:1:15: executing \"output\" at <$x.y>: can't evaluate field y in type int"),
    ("{{and}}", "",
     'template: output:1:2: executing "output" at <and>: wrong number of args for and: want at least 1 got 0'),
    ("{{(.text).foo}}", "",
     "template: output:1:3: executing \"output\" at <.text>: can't evaluate field foo in type string"),
    ("{{with .list}}{{.foo}}{{end}}", "",
     "template: output:1:16: executing \"output\" at <.foo>: can't evaluate field foo in type []interface {}"),
]


@pytest.mark.parametrize(("template", "written", "message"), EXEC_ERRORS)
def test_execution_errors_name_the_node_and_keep_what_was_written(template, written, message):
    with pytest.raises(ExecError) as caught:
        render(template, VALUES)
    assert (caught.value.output, str(caught.value)) == (written, message)


def test_a_missing_key_is_an_error_when_missing_keys_are_not_allowed():
    with pytest.raises(ExecError, match='map has no entry for key "nope"'):
        execute(parse_template("{{.nope}}"), VALUES, allow_missing_keys=False)
