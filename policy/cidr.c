/*
 * cidr.c - IP addresses and CIDR blocks, parsed strictly.
 *
 * cidr_parse() reads a block from the policy file: "192.0.2.0/24",
 * "2001:db8::/32", or a bare address (a host route).  Addresses go
 * through inet_pton(), which refuses the short forms inet_aton() would
 * take ("1.2.3", "10"); the prefix is plain decimal within the family's
 * range; bits set below the prefix are an error with the block the
 * administrator probably meant, because "10.1.2.3/8" is a typo more
 * often than a wish for 10.0.0.0/8.
 *
 * ip_addr_parse() reads an address from the MTA, which may come as
 * "[192.0.2.1]", "IPv6:2001:db8::1" or "[IPv6:...]" (Sendmail's and
 * Postfix's literal forms).  An IPv4-mapped IPv6 address
 * (::ffff:192.0.2.1, what a dual-stack socket reports for an IPv4
 * client) becomes the IPv4 address, so IPv4 blocks match it; for the
 * same reason cidr_parse() turns blocks inside ::ffff:0:0/96 into IPv4
 * blocks.
 *
 * Nothing here allocates.  Errors are a short reason in err.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "facts.h"
#include "policy_int.h"

/* The IPv4-mapped prefix ::ffff:0:0/96. */
static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* cidr_pton - parse one address of either family into bytes; 0 or -1. */
static int
cidr_pton(const char *text, int *family, unsigned char *bytes)
{
	if (strchr(text, ':') != NULL) {
		*family = AF_INET6;
		return inet_pton(AF_INET6, text, bytes) == 1 ? 0 : -1;
	}
	*family = AF_INET;
	return inet_pton(AF_INET, text, bytes) == 1 ? 0 : -1;
}

/* cidr_unmap - turn an IPv4-mapped IPv6 address or block into IPv4. */
static void
cidr_unmap(int *family, unsigned char *bytes, unsigned *prefix)
{
	if (*family != AF_INET6 || memcmp(bytes, v4mapped, sizeof(v4mapped)) != 0)
		return;
	if (prefix != NULL) {
		if (*prefix < 96)
			return;
		*prefix -= 96;
	}
	*family = AF_INET;
	memmove(bytes, bytes + 12, 4);
	memset(bytes + 4, 0, 12);
}

/* cidr_parse_prefix - decimal prefix length within max; -1 on anything else. */
static int
cidr_parse_prefix(const char *text, unsigned max, unsigned *out)
{
	unsigned value = 0;
	size_t i;

	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] < '0' || text[i] > '9' || i >= 3)
			return -1;
		value = value * 10 + (unsigned)(text[i] - '0');
	}
	if (i == 0 || value > max)
		return -1;
	*out = value;
	return 0;
}

/* cidr_host_bits - true when any bit at or past prefix is set; clears them in bytes. */
static bool
cidr_host_bits(unsigned char *bytes, unsigned prefix, unsigned bits)
{
	bool set = false;
	unsigned i;
	unsigned char mask;

	for (i = prefix / 8; i < bits / 8; i++) {
		mask = i == prefix / 8 ? (unsigned char)(0xff >> (prefix % 8)) : 0xff;
		if (bytes[i] & mask)
			set = true;
		bytes[i] &= (unsigned char)~mask;
	}
	return set;
}

/* cidr_parse - parse a block or a bare address from the policy. */
int
cidr_parse(const char *text, struct cidr *out, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	char canon[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t len = slash != NULL ? (size_t)(slash - text) : strlen(text);
	unsigned bits;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(addr)) {
		snprintf(err, errlen, "not an IPv4 or IPv6 address");
		return -1;
	}
	memcpy(addr, text, len);
	addr[len] = '\0';
	if (cidr_pton(addr, &out->family, out->bytes) < 0) {
		snprintf(err, errlen, "not an IPv4 or IPv6 address");
		return -1;
	}
	bits = out->family == AF_INET ? 32 : 128;
	out->prefix = bits;
	if (slash != NULL && cidr_parse_prefix(slash + 1, bits, &out->prefix) < 0) {
		snprintf(err, errlen, "prefix length must be a number from 0 to %u", bits);
		return -1;
	}
	if (cidr_host_bits(out->bytes, out->prefix, bits)) {
		inet_ntop(out->family, out->bytes, canon, sizeof(canon));
		snprintf(err, errlen, "host bits set; did you mean %s/%u?", canon,
		    out->prefix);
		return -1;
	}
	cidr_unmap(&out->family, out->bytes, &out->prefix);
	return 0;
}

/* ip_addr_parse - parse an address as an MTA reports it. */
int
ip_addr_parse(const char *text, struct ip_addr *out)
{
	char buf[INET6_ADDRSTRLEN + 1];
	size_t len;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return -1;
	len = strlen(text);
	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		text++;
		len -= 2;
	}
	if (len >= 5 && strncasecmp(text, "IPv6:", 5) == 0) {
		text += 5;
		len -= 5;
		if (memchr(text, ':', len) == NULL)
			return -1;
	}
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (cidr_pton(buf, &out->family, out->bytes) < 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	cidr_unmap(&out->family, out->bytes, NULL);
	return 0;
}
