#!/bin/sh
# SPDX-License-Identifier: MIT
# deps.sh -- the one list of Debian/Ubuntu packages mechviz needs, and their installer.
#
# `.ci/run`, `make demo` (tools/demo.sh) and the README all take the package names from
# here, so they cannot drift apart. Groups: build (compile the kernel), demo (run Jupyter
# and the example notebooks), test (everything `make test` and `make bench` use).
#
#   sh tools/deps.sh list [build|demo|test]   print the packages of a group (default test)
#   sh tools/deps.sh missing [GROUP]          print the ones not installed yet
#   sh tools/deps.sh install [GROUP]          apt-get install the missing ones (sudo if not root)
#
# Node.js: a machine may already have node and npm from elsewhere (e.g. NodeSource, whose
# `nodejs` package conflicts with Debian's `npm`); then nodejs/npm are left out of the list.
# It only installs; it never removes or upgrades what is there.
set -eu

BUILD_PKGS="build-essential pkg-config libzmq3-dev libjansson-dev libsodium-dev
libcairo2-dev libpango1.0-dev libopenblas-dev liblapacke-dev zlib1g-dev
fonts-dejavu-core fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji"

DEMO_PKGS="python3-numpy python3-jupyter-client python3-nbclient python3-nbformat
python3-nbconvert python3-ipykernel jupyter-notebook"

TEST_PKGS="clang valgrind python3-pytest python3-jupyter-kernel-test python3-sklearn
python3-matplotlib libopenblas0-pthread chromium ca-certificates"

node_pkgs() {
    if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
        return 0
    fi
    echo "nodejs npm"
}

list() {
    case ${1:-test} in
    build) echo $BUILD_PKGS ;;
    demo) echo $BUILD_PKGS $DEMO_PKGS ;;
    test) echo $BUILD_PKGS $DEMO_PKGS $TEST_PKGS $(node_pkgs) ;;
    *) echo "deps.sh: unknown group '$1' (build, demo or test)" >&2; exit 2 ;;
    esac
}

missing() {
    for p in $(list "${1:-test}"); do
        s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [ "$s" = installed ] || echo "$p"
    done
}

install() {
    need=$(missing "${1:-test}" | tr '\n' ' ')
    if [ -z "$(echo $need)" ]; then
        echo "deps: every package of group '${1:-test}' is installed"
        return 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "deps: no apt-get here; install these packages yourself: $need" >&2
        return 1
    fi
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
        command -v sudo >/dev/null 2>&1 || {
            echo "deps: not root and no sudo; as root run: apt-get install $need" >&2
            return 1
        }
    fi
    $sudo apt-get update
    # A package this release does not have (e.g. on an older Ubuntu) is reported and
    # skipped, so the rest still installs; the stage that needs it will say what failed.
    have=""
    for p in $need; do
        if apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]'; then
            have="$have $p"
        else
            echo "deps: warning: no package '$p' in this distribution's archive; skipped" >&2
        fi
    done
    [ -n "$have" ] || return 0
    echo "deps: installing$have"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $have
}

cmd=${1:-list}
[ $# -gt 0 ] && shift
case $cmd in
list) list "$@" ;;
missing) missing "$@" ;;
install) install "$@" ;;
*) echo "usage: sh tools/deps.sh list|missing|install [build|demo|test]" >&2; exit 2 ;;
esac
