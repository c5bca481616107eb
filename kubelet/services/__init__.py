"""The node's Service data path: what makes a Service's virtual address and node port reach its pods.

    informers (Services, EndpointSlices) ─► ServiceCatalog ─► subscribe(callback), debounced
                                                  │
            ┌─────────────────────────────────────┼──────────────────────────────┐
            ▼                                     ▼                              ▼
    rules: nat-table rules (pure)         node_ports: a TCP proxy on    dns: the node-local cluster DNS
    netns: applied inside every           node-address:nodePort          server (helper "dns")
    pod's network namespace

    env: a pod's Service environment variables (read once, when its containers are created)

Owns nothing on the host: the rules live only inside pods' network namespaces,
and the node-port listeners only in the kubelet's process. docs/services.md draws it.
"""
