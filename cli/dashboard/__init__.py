"""`tkctl dashboard`: a live map of the cluster in the browser, served from this machine.

    browser ──http (127.0.0.1)──> dashboard server ──https + kubeconfig token──> API server
       page: static/ (HTML, CSS, JS)    views.py: what the page is sent (no token, no whole objects)

The server watches nodes, pods and Deployments with apiclient's informers and
streams small views of them to the page (Server-Sent Events); the page's panels
ask the server for an object's `why`, events, log tail and trace, and the
timeline asks for the cluster as it was at a revision (time travel). Nothing
here writes to the cluster.
"""
