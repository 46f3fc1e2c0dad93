#!/bin/sh
# setup-debian.sh - install every package the build, the tests and the demo
# need on Debian 12, without questions (run as root).
#
# Postfix is preseeded with "No configuration": the package then writes no
# /etc/postfix/main.cf and starts no system MTA on port 25.  The tests and
# the demo run their own Postfix instances from temporary directories.  On
# a machine where Postfix is already configured nothing changes.
#
# Sendmail conflicts with Postfix as a Debian package: its packages are
# only downloaded into $SENDMAIL_DEBS, never installed;
# tests/e2e/sendmail.sh unpacks them into its temporary tree.  m4 and
# libwrap0 (which the unpacked sendmail binary links) are installed.
set -eu

SENDMAIL_DEBS=${E2E_SENDMAIL_DEBS:-/var/cache/tlspolicy-milter-tests}

if [ "$(id -u)" != 0 ]; then
	echo "setup-debian.sh: must run as root (apt-get install)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

PACKAGES="
	build-essential autoconf automake libtool pkg-config
	libmilter-dev libssl-dev libyaml-dev zlib1g-dev check
	postfix swaks libnet-ssleay-perl miltertest
	openssl ca-certificates python3 valgrind procps
	m4 libwrap0
	clang libclang-rt-14-dev
"

echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections
apt-get update </dev/null
# shellcheck disable=SC2086 # the list is meant to split
apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    $PACKAGES </dev/null
mkdir -p "$SENDMAIL_DEBS"
chmod 755 "$SENDMAIL_DEBS"
(cd "$SENDMAIL_DEBS" && apt-get download sendmail-bin sendmail-base sendmail-cf </dev/null)
