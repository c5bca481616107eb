"""The tinykube node agent: registers a Node, watches the pods bound to it and runs them through Docker.

Talks to: the master's API (as a client, with the node token) and the Docker
Engine. Owns: the containers labelled with its node name. Never imports master/.
"""
