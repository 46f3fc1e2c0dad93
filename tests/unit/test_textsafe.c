/*
 * test_textsafe.c - untrusted text made safe for headers, replies, logs.
 */
#include "config.h"

#include <string.h>

#include "textsafe.h"
#include "unit.h"

static const struct {
	const char *label;
	const char *src;
	size_t size;
	size_t max_chars;
	const char *extra;
	const char *want;
} copy_cases[] = {
	{"plain", "mx.example.org", 64, 0, NULL, "mx.example.org"},
	{"null is a dash", NULL, 64, 0, NULL, "-"},
	{"empty stays empty", "", 64, 0, NULL, ""},
	{"crlf", "a\r\nb", 64, 0, NULL, "a??b"},
	{"percent", "100%s%n", 64, 0, NULL, "100?s?n"},
	{"tab and bell", "a\tb\ac", 64, 0, NULL, "a?b?c"},
	{"del", "a\x7f" "b", 64, 0, NULL, "a?b"},
	{"8-bit", "M\xc3\xbcller", 64, 0, NULL, "M??ller"},
	{"high byte", "\xff", 64, 0, NULL, "?"},
	{"extra separators", "a b;c=d", 64, 0, " ;=", "a?b?c?d"},
	{"extra not given", "a b;c=d", 64, 0, NULL, "a b;c=d"},
	{"max chars cut", "abcdefghij", 64, 8, NULL, "abcde..."},
	{"max chars exact", "abcdefgh", 64, 8, NULL, "abcdefgh"},
	{"size cut", "abcdefghij", 8, 0, NULL, "abcd..."},
	{"size exact", "abcdefg", 8, 0, NULL, "abcdefg"},
	{"size smaller than max", "abcdefghij", 6, 100, NULL, "ab..."},
	{"tiny limit", "abcdef", 3, 0, NULL, ".."},
	{"limit three", "abcdef", 64, 3, NULL, "..."},
	{"size one", "abc", 1, 0, NULL, ""},
	{"cut after sanitising", "\r\r\r\r\r\r", 64, 5, NULL, "??..."},
};

START_TEST(test_copy)
{
	char buf[64];
	char *got;

	memset(buf, 'X', sizeof(buf));
	got = text_safe_copy(buf, copy_cases[_i].size, copy_cases[_i].src,
	    copy_cases[_i].max_chars, copy_cases[_i].extra);
	ck_assert_msg(got == buf, "%s: got another pointer, want dst", copy_cases[_i].label);
	ck_assert_msg(strcmp(buf, copy_cases[_i].want) == 0, "%s: got \"%s\", want \"%s\"",
	    copy_cases[_i].label, buf, copy_cases[_i].want);
	ck_assert_msg(copy_cases[_i].size == sizeof(buf) || buf[copy_cases[_i].size] == 'X',
	    "%s: wrote past size", copy_cases[_i].label);
}
END_TEST

START_TEST(test_copy_size_zero)
{
	char buf[4] = "XYZ";

	text_safe_copy(buf, 0, "abc", 0, NULL);
	ck_assert_msg(strcmp(buf, "XYZ") == 0, "size 0: got \"%s\", want untouched", buf);
}
END_TEST

START_TEST(test_append)
{
	char buf[16];
	size_t len = 0;

	buf[0] = '\0';
	text_safe_append(buf, sizeof(buf), &len, "ab", 0, NULL);
	text_safe_append(buf, sizeof(buf), &len, "c\nd", 0, NULL);
	ck_assert_msg(strcmp(buf, "abc?d") == 0 && len == 5, "got \"%s\" (%zu), want \"abc?d\" (5)",
	    buf, len);
	text_safe_append(buf, sizeof(buf), &len, "0123456789abcdef", 0, NULL);
	ck_assert_msg(len == sizeof(buf) - 1 && strlen(buf) == len,
	    "overflow: got len %zu strlen %zu, want %zu", len, strlen(buf), sizeof(buf) - 1);
	ck_assert_msg(strcmp(buf + len - 3, "...") == 0, "overflow: got \"%s\", want a ... mark",
	    buf);
	text_safe_append(buf, sizeof(buf), &len, "more", 0, NULL);
	ck_assert_msg(len == sizeof(buf) - 1 && strlen(buf) == len,
	    "full: got len %zu strlen %zu, want %zu", len, strlen(buf), sizeof(buf) - 1);
}
END_TEST

START_TEST(test_text_append)
{
	char buf[12];
	size_t len = 0;

	buf[0] = '\0';
	text_append(buf, sizeof(buf), &len, "%s=%d", "bits", 256);
	ck_assert_msg(strcmp(buf, "bits=256") == 0 && len == 8, "got \"%s\" (%zu), want bits=256",
	    buf, len);
	text_append(buf, sizeof(buf), &len, "; %s", "verdict=fail");
	ck_assert_msg(len == sizeof(buf) - 1 && strlen(buf) == len,
	    "truncated: got len %zu strlen %zu, want %zu", len, strlen(buf), sizeof(buf) - 1);
	text_append(buf, sizeof(buf), &len, "x");
	ck_assert_msg(len == sizeof(buf) - 1 && strlen(buf) == len,
	    "full: got len %zu, want %zu", len, sizeof(buf) - 1);
}
END_TEST

START_TEST(test_text_put)
{
	char buf[12];
	size_t len = 0;

	buf[0] = '\0';
	text_put(buf, sizeof(buf), &len, "bits=");
	text_put(buf, sizeof(buf), &len, "256");
	ck_assert_msg(strcmp(buf, "bits=256") == 0 && len == 8, "got \"%s\" (%zu), want bits=256",
	    buf, len);
	text_put(buf, sizeof(buf), &len, "; verdict=fail");
	ck_assert_msg(len == sizeof(buf) - 1 && strcmp(buf, "bits=256; v") == 0,
	    "truncated: got \"%s\" (%zu), want \"bits=256; v\" (11)", buf, len);
	text_put(buf, sizeof(buf), &len, "x");
	ck_assert_msg(len == sizeof(buf) - 1 && strlen(buf) == len,
	    "full: got len %zu, want %zu", len, sizeof(buf) - 1);
}
END_TEST

/* Every byte against several separator sets, checked against the definition. */
static const char *const every_byte_extras[] = { NULL, "", " ;=", " =[]", " =<>", "az~" };

START_TEST(test_every_byte)
{
	const char *extra = every_byte_extras[_i];
	char src[4], dst[4], want;
	unsigned c;

	for (c = 1; c < 256; c++) {
		src[0] = 'x';
		src[1] = (char)c;
		src[2] = 'y';
		src[3] = '\0';
		text_safe_copy(dst, sizeof(dst), src, 0, extra);
		want = (c < 0x20 || c >= 0x7f || c == '%'
		    || (extra != NULL && strchr(extra, (int)c) != NULL)) ? '?' : (char)c;
		ck_assert_msg(dst[0] == 'x' && dst[1] == want && dst[2] == 'y' && dst[3] == '\0',
		    "byte 0x%02x with extra \"%s\": got \"%s\", want x%cy", c,
		    extra != NULL ? extra : "(null)", dst, want);
	}
}
END_TEST

START_TEST(test_long_hostile)
{
	char src[5000], dst[300];
	size_t i;

	for (i = 0; i < sizeof(src) - 1; i++)
		src[i] = "a\r\n%;= \x80"[i % 8];
	src[sizeof(src) - 1] = '\0';
	text_safe_copy(dst, sizeof(dst), src, 255, " ;=");
	ck_assert_msg(strlen(dst) == 255, "length: got %zu, want 255", strlen(dst));
	ck_assert_msg(strpbrk(dst, "\r\n%;= ") == NULL, "got a forbidden byte in \"%s\"", dst);
	for (i = 0; dst[i] != '\0'; i++)
		ck_assert_msg((unsigned char)dst[i] >= 0x20 && (unsigned char)dst[i] < 0x7f,
		    "byte %zu: got 0x%02x, want printable", i, (unsigned char)dst[i]);
}
END_TEST

/* unit_suite - the textsafe cases */
Suite *
unit_suite(void)
{
	Suite *suite = suite_create("textsafe");
	TCase *tc = tcase_create("textsafe");

	tcase_add_loop_test(tc, test_copy, 0, sizeof(copy_cases) / sizeof(copy_cases[0]));
	tcase_add_test(tc, test_copy_size_zero);
	tcase_add_loop_test(tc, test_every_byte, 0,
	    sizeof(every_byte_extras) / sizeof(every_byte_extras[0]));
	tcase_add_test(tc, test_text_put);
	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_text_append);
	tcase_add_test(tc, test_long_hostile);
	suite_add_tcase(suite, tc);
	return suite;
}
