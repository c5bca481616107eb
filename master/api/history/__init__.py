"""The flight recorder's API: the revision log served with its provenance, field diffs and causal traces.

    origin     the provenance of a write request (user, component, verb, cause, note)
"""
