"""tkctl, a kubectl-like command line for tinykube.

Talks to: the master's REST API over HTTPS (and WebSocket for exec), with a
kubeconfig; `tkctl proxy` also serves a local HTTP port. Owns nothing on the
server; reads and writes kubeconfig files. Never imports master/.
"""
