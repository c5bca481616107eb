"""tkctl, a kubectl-like command line for tinykube.

Talks to: the master's REST API over HTTPS (and WebSocket for exec), through
apiclient, which finds the kubeconfig, sends every request and reads every
Status; `tkctl proxy` also serves a local HTTP port. Owns nothing on the
server; reads and writes kubeconfig files. Never imports master/.
"""
