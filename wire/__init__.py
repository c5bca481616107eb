"""The rules both ends of a tinykube connection follow, shared by the master and the kubelet.

The master and the kubelet each serve TLS with a certificate they made, write
credentials to disk, and relay HTTP for one another (kubectl -> master ->
kubelet -> pod). The rules for doing so must not drift apart, yet kubelet/
never imports master/, so they live one floor down, here:

    tls_names   which names a certificate is for: IP or DNS SANs, read back from a certificate
    files       writing a key, token or kubeconfig atomically, durably, with its mode
    hop_by_hop  which headers end at each hop (RFC 9110 7.6.1), and credentials a proxy never passes on
    relay       one HTTP exchange passed on to an upstream URL, its answer streamed back

Talks to nothing of its own accord: `relay` reaches only the URL its caller
names. Owns no state, no settings and no objects of the API.
"""
