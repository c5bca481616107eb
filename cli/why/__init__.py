"""`tkctl why`: read the why subresource (objects.why.Why) and show it to a person.

Talks to the API server only, through apiclient: `GET .../{name}/why` for the
answer, and watches on the subject (and on what moves it) for `-w`. Owns no
reasoning of its own: every verdict, number and countdown on the page is the
deciding component's, as the server sent it. Inside:

    fetch       the why path of an object, and its answer parsed into the model
    countdowns  seconds left on the published timers, ticked down only between answers
    page        the page of one answer: the state line, then one section per part
    scheduling  the scheduler's part: node verdicts, scores, attempts, suggestions, placement
    containers  the kubelet's part: each container's step, exit, pull, probes, and termination
    workloads   the controllers' parts: node health, rollout, replica set, daemon set
    services    the endpoint controllers' part: a Service's pods, which serve, and why the others do not
    listing     `tkctl why pods`: one line per pod that is not Running and Ready
    watching    `-w`: render again on every change of the subject, and every second of a countdown
"""
