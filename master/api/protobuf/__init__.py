"""Kubernetes protobuf request bodies, decoded into the JSON dicts the rest of the API handles.

kubectl's typed commands (`create namespace`, `create deployment`, `run`, and
drain's evictions) send `application/vnd.kubernetes.protobuf` and do not retry
as JSON on a 415, so the master reads protobuf on the way in; it always answers
in JSON, which those clients accept.

    wire.py     the protobuf wire format: varints and length-delimited records
    schema.py   field number -> JSON name and type, from the tables in
                meta_v1.py, core_v1.py, apps_v1.py and other_v1.py
    decoder.py  the "k8s\\x00" + runtime.Unknown envelope, and messages -> dicts

Only decoding: tinykube never writes protobuf. A field number the tables do not
know is skipped, as a protobuf reader skips fields newer than its schema; unlike
an unknown JSON field it cannot be named in a warning, because the wire carries
numbers, not names.
"""

from master.api.protobuf.decoder import MEDIA_TYPE, ProtobufError, decode_kubernetes_protobuf

__all__ = ["MEDIA_TYPE", "ProtobufError", "decode_kubernetes_protobuf"]
