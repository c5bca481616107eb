"""tkctl, a kubectl-like command line for tinykube.

Talks to: the master's REST API over HTTPS, with a kubeconfig. Owns nothing on
the server; reads and writes kubeconfig files. Never imports master/.
"""
