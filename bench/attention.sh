#!/bin/sh
# SPDX-License-Identifier: MIT
# attention.sh BUILD -- the attention view's figures (see bench/attention.py), printed as
# `name: value` lines. Called by bench/run.sh; runs on its own too.
set -eu
cd "$(dirname "$0")/.."
exec "${PYTHON:-/usr/bin/python3}" bench/attention.py "${1:-build}"
