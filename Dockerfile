# Skep's container image, run as classic swarm's was: `docker run -d -p 4000:2375 IMAGE manage <nodes>`.
#
# Built from a checkout after `npm ci` (which compiles build/ and the optional zookeeper addon): nothing is
# fetched during the build, so it builds where no registry is reachable. BASE_IMAGE needs only `node`, `npm`
# and `sh` on its PATH, and the glibc of the Debian release the checkout's native addon was built on
# (bookworm here: a base of another release may not load it).
ARG BASE_IMAGE=node:24-bookworm-slim

# what the checkout built and installed, pruned to production (offline: npm only removes). npm keeps typescript,
# cosmiconfig's optional peer, which only its own .ts loader uses: Skep loads TypeScript configs with jiti.
FROM ${BASE_IMAGE} AS app
WORKDIR /opt/skep
COPY package.json package-lock.json LICENSE ./
COPY node_modules ./node_modules
RUN npm prune --omit=dev --offline --no-audit --no-fund --ignore-scripts \
  && rm -rf node_modules/typescript node_modules/.package-lock.json \
  && find node_modules -depth -type d -empty -delete
COPY build/core ./build/core
COPY build/config ./build/config
COPY build/plugins ./build/plugins
COPY core/operator/status-page ./core/operator/status-page
# `swarm` on the PATH too, for `docker exec CONTAINER swarm ...`
RUN printf '#!/bin/sh\nexec node /opt/skep/build/core/cli/swarm.js "$@"\n' > swarm && chmod 755 swarm

FROM ${BASE_IMAGE}
COPY --from=app /opt/skep /opt/skep
# the config folder: swarm.config.* is found here (the working folder), and the node maintenance state
# (skep-nodes.json) is written beside it, so the unprivileged user owns it
RUN ln -s /opt/skep/swarm /usr/local/bin/swarm && mkdir -p /etc/skep /certs && chown 65532:65532 /etc/skep
WORKDIR /etc/skep
VOLUME ["/etc/skep"]
# no user of the base is assumed: a numeric one, without a home (HOME=/)
USER 65532:65532
# as classic's image: `manage` listens on every address of the container unless -H says otherwise
ENV SWARM_HOST=:2375
EXPOSE 2375
# the operator listener's /healthz when `--status-addr` (or the config's status.address) is on; healthy when off
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/opt/skep/build/core/cli/healthcheck.js"]
ENTRYPOINT ["node", "/opt/skep/build/core/cli/swarm.js"]
CMD ["--help"]
