# The tinykube image: one image for the master and the kubelets (docker-compose.yml picks the command).
#
#   docker build -t tinykube/tinykube:local .          # where images can be pulled: python:3.11-slim
#   scripts/build-project-image                        # anywhere, also with no registry (see that script)
#
# BASE_IMAGE is any Debian-based image with Python >= 3.11 and its venv module. WHEELS, when set, is a
# directory of the build context holding wheels of tinykube and all its dependencies: pip
# then installs from it alone, for machines whose containers cannot reach the package index.
# The kubelet enters pods' network namespaces (nsenter, from util-linux) to write their Service
# rules (iptables-nft/-legacy-restore): a base without iptables gets it from apt (the offline base
# scripts/build-project-image makes already has it).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
ARG WHEELS=
RUN if ! command -v iptables-nft-restore >/dev/null || ! command -v nsenter >/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends iptables util-linux \
        && rm -rf /var/lib/apt/lists/*; \
    fi
COPY . /src
RUN python3 -m venv /opt/tinykube \
 && if [ -n "$WHEELS" ]; then \
        /opt/tinykube/bin/pip install --no-cache-dir --no-index --find-links "/src/$WHEELS" tinykube; \
    else \
        /opt/tinykube/bin/pip install --no-cache-dir /src; \
    fi \
 && rm -rf /src
ENV PATH=/opt/tinykube/bin:$PATH
CMD ["tinykube-master", "--help"]
