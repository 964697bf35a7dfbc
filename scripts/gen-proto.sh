#!/usr/bin/env sh
# Regenerates src/wire/gen/ from src/wire/proto/Messages.proto with the pinned devDependencies
# @bufbuild/buf 1.75.0 and @bufbuild/protoc-gen-es 2.13.0 (config: buf.yaml, buf.gen.yaml).
# The output is committed; run this after editing the schema and commit the result.
set -eu
cd "$(dirname "$0")/.."
PATH="$PWD/node_modules/.bin:$PATH"
export PATH
buf generate
