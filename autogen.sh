#!/bin/sh
# autogen.sh - generate configure and Makefile.in from the committed sources.
# The TAP driver is not installed by autoreconf; copy automake's own.
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
cp -f "$(automake --print-libdir)/tap-driver.sh" build-aux/tap-driver.sh
autoreconf --install --force
