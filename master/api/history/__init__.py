"""The flight recorder's API: the revision log served with its provenance, field diffs and causal traces.

    GET /apis/tinykube.io/v1alpha1/revisions[?...]     RevisionList: the cluster's log   (revisions.py)
    GET /apis/tinykube.io/v1alpha1/revisions/{N}       Revision N, if retained
    GET {stored object's path}/history[?...]            RevisionList: that object's log  (revisions.py)
    GET {stored object's path}/trace?since=|sinceSeconds=   Trace: the causal tree through it (trace.py)
    GET {collection}?resourceVersion=N&resourceVersionMatch=Exact   the list at N      (at_revision.py)

    endpoints.py  the handlers the API routes to
    origin.py   the provenance a write request is recorded with (user, component, verb, cause, note)
    (a hop's few words come from objects/revision_summary.py, shared with tkctl dashboard's timeline)

Only admins read these: the authorizer grants nodes no rule for them.
"""
