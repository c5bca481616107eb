# The tinykube image: one image for the master and the kubelets (docker-compose.yml picks the command).
#
#   docker build -t tinykube/tinykube:local .          # where images can be pulled: python:3.11-slim
#   scripts/build-project-image                        # anywhere, also with no registry (see that script)
#
# BASE_IMAGE is any image with Python >= 3.11 and its venv module. WHEELS, when set, is a
# directory of the build context holding wheels of tinykube and all its dependencies: pip
# then installs from it alone, for machines whose containers cannot reach the package index.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
ARG WHEELS=
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
