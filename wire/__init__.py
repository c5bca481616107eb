"""The rules both ends of a tinykube connection follow, shared by the master and the kubelet.

The master and the kubelet each serve TLS with a certificate they made, write
credentials to disk, and relay HTTP for one another (kubectl -> master ->
kubelet -> pod). The rules for doing so must not drift apart, yet kubelet/
never imports master/, so they live one floor down, here:

    tls_names   which names a certificate is for: IP or DNS SANs, read back from a certificate
    files       writing a key, token or kubeconfig atomically, durably, with its mode
    hop_by_hop  which headers end at each hop (RFC 9110 7.6.1), and credentials a proxy never passes on
    relay       one HTTP exchange passed on to an upstream URL, its answer streamed back
    spdy*       port-forward's SPDY/3.1: frames, header blocks, sessions, and the WebSocket that tunnels them
                (the kubelet serves it, tkctl speaks it; the master relays it unread)

Talks to nothing of its own accord: `relay` reaches only the URL its caller
names, a SPDY session only the transport it is given. Owns no state, no
settings and no objects of the API.
"""
