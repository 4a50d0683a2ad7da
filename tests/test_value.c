/* SPDX-License-Identifier: MIT */
/* Tests of value.h: the text and stored forms of every REG_ type, type
 * names and the stored-form checker. Table-driven: each row is one input
 * and the exact expected result. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfs_limits.h"
#include "value.h"

/* "68 65 6c" style dump for assertion messages (static buffer). */
static const char *hex(const void *p, size_t n)
{
	static char out[4][512];
	static int which;
	char *o = out[which++ & 3];
	size_t k = 0;
	o[0] = '\0';
	for (size_t i = 0; i < n && k + 4 < sizeof(out[0]); i++)
		k += (size_t)snprintf(o + k, sizeof(out[0]) - k, "%02x ",
				      ((const unsigned char *)p)[i]);
	if (n * 3 + 4 >= sizeof(out[0]))
		snprintf(o + k, sizeof(out[0]) - k, "...");
	return o;
}

static void assert_bytes(const void *got, size_t got_len, const void *want, size_t want_len,
			 const char *what)
{
	cr_assert(got_len == want_len && (want_len == 0 || memcmp(got, want, want_len) == 0),
		  "%s: got [%s] (%zu bytes), want [%s] (%zu bytes)", what, hex(got, got_len),
		  got_len, hex(want, want_len), want_len);
}

/* ------------------------------------------------------------------ */
/* cfs_value_parse: text form -> stored form                           */

/* Parameters hold their bytes inline: Criterion runs each parameterized
 * test in a new process, where pointers to the parent's data are invalid. */
struct parse_case {
	uint32_t type;
	char text[64];
	size_t len;
	int ret;
	char stored[64]; /* expected stored form when ret == 0 */
	size_t stored_len;
};

#define P(type, lit, ret, st) {type, lit, sizeof(lit) - 1, ret, st, sizeof(st) - 1}
#define PFAIL(type, lit, ret) {type, lit, sizeof(lit) - 1, ret, "", 0}

static struct parse_case parse_cases[] = {
		/* SZ: one trailing newline is dropped, nothing else. */
		P(CFS_REG_SZ, "hello\n", 0, "hello"),
		P(CFS_REG_SZ, "hello", 0, "hello"),
		P(CFS_REG_SZ, "two\n\n", 0, "two\n"),
		P(CFS_REG_SZ, "a\nb", 0, "a\nb"),
		P(CFS_REG_SZ, "", 0, ""),
		P(CFS_REG_SZ, "\n", 0, ""),
		P(CFS_REG_SZ, "  spaces  \n", 0, "  spaces  "),
		P(CFS_REG_SZ, "tab\there\n", 0, "tab\there"),
		P(CFS_REG_SZ, "cr\r\n", 0, "cr\r"),
		P(CFS_REG_SZ, "caf\xc3\xa9\n", 0, "caf\xc3\xa9"),
		P(CFS_REG_SZ, "\xe2\x82\xac", 0, "\xe2\x82\xac"),
		P(CFS_REG_SZ, "\xf0\x9f\x98\x80", 0, "\xf0\x9f\x98\x80"),
		P(CFS_REG_SZ, "\xf4\x8f\xbf\xbf", 0, "\xf4\x8f\xbf\xbf"), /* U+10FFFF */
		PFAIL(CFS_REG_SZ, "a\0b", -EINVAL),
		PFAIL(CFS_REG_SZ, "\0", -EINVAL),
		PFAIL(CFS_REG_SZ, "ab\0\n", -EINVAL),
		PFAIL(CFS_REG_SZ, "\xff", -EINVAL),
		PFAIL(CFS_REG_SZ, "\xc3", -EINVAL),		/* truncated */
		PFAIL(CFS_REG_SZ, "\xc3\n", -EINVAL),		/* truncated before newline */
		PFAIL(CFS_REG_SZ, "\xc0\xaf", -EINVAL),		/* overlong '/' */
		PFAIL(CFS_REG_SZ, "\xe0\x80\xaf", -EINVAL),	/* overlong */
		PFAIL(CFS_REG_SZ, "\xed\xa0\x80", -EINVAL),	/* surrogate */
		PFAIL(CFS_REG_SZ, "\xf4\x90\x80\x80", -EINVAL), /* > U+10FFFF */
		PFAIL(CFS_REG_SZ, "\x80", -EINVAL),		/* lone continuation */
		PFAIL(CFS_REG_SZ, "\xf8\x88\x80\x80\x80", -EINVAL),
		/* EXPAND_SZ: same rules as SZ. */
		P(CFS_REG_EXPAND_SZ, "%PATH%\\bin\n", 0, "%PATH%\\bin"),
		P(CFS_REG_EXPAND_SZ, "", 0, ""),
		PFAIL(CFS_REG_EXPAND_SZ, "x\0y", -EINVAL),
		PFAIL(CFS_REG_EXPAND_SZ, "\xfe", -EINVAL),
		/* MULTI_SZ: lines <-> NUL-terminated strings. */
		P(CFS_REG_MULTI_SZ, "a\nb\nc\n", 0, "a\0b\0c\0"),
		P(CFS_REG_MULTI_SZ, "a\nb\nc", 0, "a\0b\0c\0"),
		P(CFS_REG_MULTI_SZ, "one", 0, "one\0"),
		P(CFS_REG_MULTI_SZ, "one\n", 0, "one\0"),
		P(CFS_REG_MULTI_SZ, "", 0, ""),
		P(CFS_REG_MULTI_SZ, "\n", 0, ""),
		P(CFS_REG_MULTI_SZ, "a\n\nb\n", 0, "a\0\0b\0"),
		P(CFS_REG_MULTI_SZ, "x y\n\xc3\xa9\n", 0, "x y\0\xc3\xa9\0"),
		PFAIL(CFS_REG_MULTI_SZ, "a\0b\n", -EINVAL),
		PFAIL(CFS_REG_MULTI_SZ, "a\n\xff\n", -EINVAL),
		/* DWORD: decimal or 0x hex, 32 bits, little endian. */
		P(CFS_REG_DWORD, "0", 0, "\x00\x00\x00\x00"),
		P(CFS_REG_DWORD, "1\n", 0, "\x01\x00\x00\x00"),
		P(CFS_REG_DWORD, "305419896", 0, "\x78\x56\x34\x12"),
		P(CFS_REG_DWORD, "4294967295\n", 0, "\xff\xff\xff\xff"),
		P(CFS_REG_DWORD, "0x10", 0, "\x10\x00\x00\x00"),
		P(CFS_REG_DWORD, "0XfF\n", 0, "\xff\x00\x00\x00"),
		P(CFS_REG_DWORD, "0x12345678", 0, "\x78\x56\x34\x12"),
		P(CFS_REG_DWORD, "0xffffffff", 0, "\xff\xff\xff\xff"),
		P(CFS_REG_DWORD, "0x0", 0, "\x00\x00\x00\x00"),
		P(CFS_REG_DWORD, "007", 0, "\x07\x00\x00\x00"),
		PFAIL(CFS_REG_DWORD, "4294967296", -ERANGE),
		PFAIL(CFS_REG_DWORD, "4294967296\n", -ERANGE),
		PFAIL(CFS_REG_DWORD, "0x100000000", -ERANGE),
		PFAIL(CFS_REG_DWORD, "99999999999999999999", -ERANGE), /* > 64 bits too */
		PFAIL(CFS_REG_DWORD, "18446744073709551615", -ERANGE),
		PFAIL(CFS_REG_DWORD, "", -EINVAL),
		PFAIL(CFS_REG_DWORD, "\n", -EINVAL),
		PFAIL(CFS_REG_DWORD, "abc", -EINVAL),
		PFAIL(CFS_REG_DWORD, "12abc", -EINVAL),
		PFAIL(CFS_REG_DWORD, "ff", -EINVAL),
		PFAIL(CFS_REG_DWORD, "-1", -EINVAL),
		PFAIL(CFS_REG_DWORD, "+5", -EINVAL),
		PFAIL(CFS_REG_DWORD, " 5", -EINVAL),
		PFAIL(CFS_REG_DWORD, "5 ", -EINVAL),
		PFAIL(CFS_REG_DWORD, "1.5", -EINVAL),
		PFAIL(CFS_REG_DWORD, "0x", -EINVAL),
		PFAIL(CFS_REG_DWORD, "0x\n", -EINVAL),
		PFAIL(CFS_REG_DWORD, "0x-1", -EINVAL),
		PFAIL(CFS_REG_DWORD, "0x 1", -EINVAL),
		PFAIL(CFS_REG_DWORD, "0xg", -EINVAL),
		PFAIL(CFS_REG_DWORD, "5\n\n", -EINVAL),
		PFAIL(CFS_REG_DWORD, "5\0", -EINVAL),	/* NUL is not a digit */
		PFAIL(CFS_REG_DWORD, "5\0xyz", -EINVAL),	/* nor what follows it */
		PFAIL(CFS_REG_DWORD, "0x1\0\n", -EINVAL),
		/* Too large however many digits it has. */
		PFAIL(CFS_REG_DWORD, "9999999999999999999999999999999999999999", -ERANGE),
		PFAIL(CFS_REG_DWORD, "1e3", -EINVAL),
		/* QWORD: 64 bits. */
		P(CFS_REG_QWORD, "0", 0, "\0\0\0\0\0\0\0\0"),
		P(CFS_REG_QWORD, "4294967296\n", 0, "\x00\x00\x00\x00\x01\x00\x00\x00"),
		P(CFS_REG_QWORD, "18446744073709551615", 0, "\xff\xff\xff\xff\xff\xff\xff\xff"),
		P(CFS_REG_QWORD, "0x0123456789abcdef", 0, "\xef\xcd\xab\x89\x67\x45\x23\x01"),
		P(CFS_REG_QWORD, "0xFFFFFFFFFFFFFFFF", 0, "\xff\xff\xff\xff\xff\xff\xff\xff"),
		PFAIL(CFS_REG_QWORD, "18446744073709551616", -ERANGE),
		PFAIL(CFS_REG_QWORD, "0x10000000000000000", -ERANGE),
		PFAIL(CFS_REG_QWORD, "", -EINVAL),
		PFAIL(CFS_REG_QWORD, "x", -EINVAL),
		PFAIL(CFS_REG_QWORD, "-0", -EINVAL),
		PFAIL(CFS_REG_QWORD, "7\0", -EINVAL),
		/* BINARY and NONE: raw bytes, trailing newline kept. */
		P(CFS_REG_BINARY, "ab\n", 0, "ab\n"),
		P(CFS_REG_BINARY, "\0\xff\n\n", 0, "\0\xff\n\n"),
		P(CFS_REG_BINARY, "", 0, ""),
		P(CFS_REG_BINARY, "\n", 0, "\n"),
		P(CFS_REG_NONE, "raw\0bytes\n", 0, "raw\0bytes\n"),
		P(CFS_REG_NONE, "", 0, ""),
		/* REG_LINK: a symbolic link's target (one newline dropped). */
		P(CFS_REG_LINK, "../a/b\n", 0, "../a/b"),
		P(CFS_REG_LINK, "/abs", 0, "/abs"),
		PFAIL(CFS_REG_LINK, "", -EINVAL),
		PFAIL(CFS_REG_LINK, "\n", -EINVAL),
		PFAIL(CFS_REG_LINK, "a\0b", -EINVAL),
		PFAIL(CFS_REG_LINK, "\xff", -EINVAL),
		/* Unknown types. */
		PFAIL(5, "x", -EINVAL),
		PFAIL(8, "x", -EINVAL),
		PFAIL(99, "x", -EINVAL),
		PFAIL(0xffffffffu, "", -EINVAL),
};

ParameterizedTestParameters(value, parse)
{
	return cr_make_param_array(struct parse_case, parse_cases, CFS_ARRAY_SIZE(parse_cases));
}

ParameterizedTest(struct parse_case *c, value, parse)
{
	struct cfs_buf out = {0};
	int r = cfs_value_parse(c->type, c->text, c->len, &out);
	if (r != c->ret) {
		cfs_buf_free(&out);
		cr_assert_fail("type %u text [%s]: got %d, want %d", c->type, hex(c->text, c->len),
			       r, c->ret);
	}
	if (r == 0) {
		assert_bytes(out.data, out.len, c->stored, c->stored_len, "stored form");
		/* What parse produces is always a valid stored form. */
		cr_assert_eq(cfs_value_check(c->type, out.data ? out.data : "", out.len), 0);
	}
	cfs_buf_free(&out);
}

/* Parse appends: what is already in the buffer is kept. */
ParameterizedTestParameters(value, parse_appends)
{
	return cr_make_param_array(struct parse_case, parse_cases, CFS_ARRAY_SIZE(parse_cases));
}

ParameterizedTest(struct parse_case *c, value, parse_appends)
{
	if (c->ret != 0)
		return;
	struct cfs_buf out = {0};
	cr_assert_eq(cfs_buf_puts(&out, "PFX"), 0);
	cr_assert_eq(cfs_value_parse(c->type, c->text, c->len, &out), 0);
	cr_assert_eq(out.len, 3 + c->stored_len);
	cr_assert(memcmp(out.data, "PFX", 3) == 0);
	assert_bytes(out.data + 3, out.len - 3, c->stored, c->stored_len, "appended");
	cfs_buf_free(&out);
}

/* Parse does not touch the buffer when it fails. */
ParameterizedTestParameters(value, parse_failure_leaves_buffer)
{
	return cr_make_param_array(struct parse_case, parse_cases, CFS_ARRAY_SIZE(parse_cases));
}

ParameterizedTest(struct parse_case *c, value, parse_failure_leaves_buffer)
{
	if (c->ret == 0)
		return;
	struct cfs_buf out = {0};
	cr_assert_eq(cfs_buf_puts(&out, "keep"), 0);
	int r = cfs_value_parse(c->type, c->text, c->len, &out);
	bool kept = out.len == 4 && strcmp(out.data, "keep") == 0;
	cfs_buf_free(&out);
	cr_assert_eq(r, c->ret, "type %u text [%s]: got %d, want %d", c->type,
		     hex(c->text, c->len), r, c->ret);
	cr_assert(kept, "a failing parse changed the buffer");
}

/* ------------------------------------------------------------------ */
/* cfs_value_format: stored form -> text form                          */

struct format_case {
	uint32_t type;
	char stored[64];
	size_t len;
	char text[64];
	size_t text_len;
};

#define F(type, st, txt) {type, st, sizeof(st) - 1, txt, sizeof(txt) - 1}

ParameterizedTestParameters(value, format)
{
	static struct format_case cases[] = {
		F(CFS_REG_SZ, "hello", "hello\n"),
		F(CFS_REG_SZ, "", "\n"),
		F(CFS_REG_SZ, "a\nb", "a\nb\n"),
		F(CFS_REG_EXPAND_SZ, "%X%", "%X%\n"),
		F(CFS_REG_MULTI_SZ, "a\0b\0c\0", "a\nb\nc\n"),
		F(CFS_REG_MULTI_SZ, "one\0", "one\n"),
		F(CFS_REG_MULTI_SZ, "", ""),
		F(CFS_REG_MULTI_SZ, "a\0\0b\0", "a\n\nb\n"),
		F(CFS_REG_DWORD, "\x00\x00\x00\x00", "0\n"),
		F(CFS_REG_DWORD, "\x78\x56\x34\x12", "305419896\n"),
		F(CFS_REG_DWORD, "\xff\xff\xff\xff", "4294967295\n"),
		F(CFS_REG_QWORD, "\x00\x00\x00\x00\x01\x00\x00\x00", "4294967296\n"),
		F(CFS_REG_QWORD, "\xff\xff\xff\xff\xff\xff\xff\xff", "18446744073709551615\n"),
		F(CFS_REG_BINARY, "\0\x01\xff\n", "\0\x01\xff\n"),
		F(CFS_REG_BINARY, "", ""),
		F(CFS_REG_NONE, "x\0y", "x\0y"),
	};
	return cr_make_param_array(struct format_case, cases, CFS_ARRAY_SIZE(cases));
}

ParameterizedTest(struct format_case *c, value, format)
{
	struct cfs_buf out = {0};
	cr_assert_eq(cfs_value_format(c->type, c->stored, c->len, &out), 0);
	assert_bytes(out.data, out.len, c->text, c->text_len, "text form");
	/* And the text form parses back to the same stored form. */
	struct cfs_buf back = {0};
	cr_assert_eq(cfs_value_parse(c->type, out.data ? out.data : "", out.len, &back), 0);
	assert_bytes(back.data, back.len, c->stored, c->len, "parse(format(x))");
	cfs_buf_free(&out);
	cfs_buf_free(&back);
}

/* ------------------------------------------------------------------ */
/* Round trips from the text side: format(parse(t)) is the canonical    */
/* text and parsing it again gives the same stored form.               */

struct rt_case {
	uint32_t type;
	char text[64];
	size_t len;
	char canon[64]; /* expected format(parse(text)) */
	size_t canon_len;
};

#define RT(type, t, c) {type, t, sizeof(t) - 1, c, sizeof(c) - 1}

ParameterizedTestParameters(value, roundtrip)
{
	static struct rt_case cases[] = {
		RT(CFS_REG_SZ, "x", "x\n"),
		RT(CFS_REG_SZ, "x\n", "x\n"),
		RT(CFS_REG_SZ, "x\n\n", "x\n\n"),
		RT(CFS_REG_SZ, "", "\n"),
		RT(CFS_REG_SZ, "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9\n"),
		RT(CFS_REG_EXPAND_SZ, "%SystemRoot%", "%SystemRoot%\n"),
		RT(CFS_REG_MULTI_SZ, "a\nb", "a\nb\n"),
		RT(CFS_REG_MULTI_SZ, "a\nb\n", "a\nb\n"),
		RT(CFS_REG_MULTI_SZ, "", ""),
		RT(CFS_REG_MULTI_SZ, "only", "only\n"),
		RT(CFS_REG_DWORD, "0x10", "16\n"),
		RT(CFS_REG_DWORD, "42\n", "42\n"),
		RT(CFS_REG_DWORD, "0", "0\n"),
		RT(CFS_REG_DWORD, "0xFFFFFFFF", "4294967295\n"),
		RT(CFS_REG_QWORD, "0x100000000", "4294967296\n"),
		RT(CFS_REG_QWORD, "18446744073709551615\n", "18446744073709551615\n"),
		RT(CFS_REG_BINARY, "\x00\x01\x02\n", "\x00\x01\x02\n"),
		RT(CFS_REG_BINARY, "\xff\xfe", "\xff\xfe"),
		RT(CFS_REG_NONE, "\n\n", "\n\n"),
	};
	return cr_make_param_array(struct rt_case, cases, CFS_ARRAY_SIZE(cases));
}

ParameterizedTest(struct rt_case *c, value, roundtrip)
{
	struct cfs_buf s1 = {0}, t1 = {0}, s2 = {0};
	cr_assert_eq(cfs_value_parse(c->type, c->text, c->len, &s1), 0);
	cr_assert_eq(cfs_value_format(c->type, s1.data ? s1.data : "", s1.len, &t1), 0);
	assert_bytes(t1.data, t1.len, c->canon, c->canon_len, "format(parse(text))");
	cr_assert_eq(cfs_value_parse(c->type, t1.data ? t1.data : "", t1.len, &s2), 0);
	assert_bytes(s2.data, s2.len, s1.data, s1.len, "parse(format(parse(text)))");
	cfs_buf_free(&s1);
	cfs_buf_free(&t1);
	cfs_buf_free(&s2);
}

/* Every DWORD and QWORD value survives format -> parse, including the
 * edges; checked on a spread of values. */
Test(value, number_roundtrip_sweep)
{
	uint64_t seeds[] = {0, 1, 9, 10, 255, 256, 65535, 65536, 0x7fffffff, 0x80000000,
			    0xfffffffe, 0xffffffff};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(seeds); i++) {
		for (int q = 0; q < 2; q++) {
			uint64_t v = q ? (seeds[i] << 32) | seeds[i] : seeds[i];
			uint32_t type = q ? CFS_REG_QWORD : CFS_REG_DWORD;
			size_t n = q ? 8 : 4;
			uint8_t le[8];
			for (int k = 0; k < 8; k++)
				le[k] = (uint8_t)(v >> (8 * k));
			struct cfs_buf t = {0}, s = {0};
			cr_assert_eq(cfs_value_format(type, le, n, &t), 0);
			char want[32];
			snprintf(want, sizeof(want), "%llu\n", (unsigned long long)v);
			cr_assert_str_eq(t.data, want);
			cr_assert_eq(cfs_value_parse(type, t.data, t.len, &s), 0);
			assert_bytes(s.data, s.len, le, n, "number");
			/* and the same in hex */
			char hx[32];
			int hl = snprintf(hx, sizeof(hx), "0x%llx", (unsigned long long)v);
			cfs_buf_reset(&s);
			cr_assert_eq(cfs_value_parse(type, hx, (size_t)hl, &s), 0);
			assert_bytes(s.data, s.len, le, n, "hex number");
			cfs_buf_free(&t);
			cfs_buf_free(&s);
		}
	}
}

/* Every single byte value in BINARY survives both directions. */
Test(value, binary_all_bytes)
{
	uint8_t all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	struct cfs_buf s = {0}, t = {0};
	cr_assert_eq(cfs_value_parse(CFS_REG_BINARY, (char *)all, sizeof(all), &s), 0);
	assert_bytes(s.data, s.len, all, sizeof(all), "binary parse");
	cr_assert_eq(cfs_value_format(CFS_REG_BINARY, s.data, s.len, &t), 0);
	assert_bytes(t.data, t.len, all, sizeof(all), "binary format");
	cfs_buf_free(&s);
	cfs_buf_free(&t);
}

/* ------------------------------------------------------------------ */
/* Size limit: CFS_VALUE_MAX bytes of stored form (limits.h).          */

struct big_case {
	uint32_t type;
	size_t text_len;  /* text of this many 'a' bytes ... */
	bool newline;	  /* ... followed by '\n' */
	int ret;
};

ParameterizedTestParameters(value, size_limit)
{
	static struct big_case cases[] = {
		{CFS_REG_SZ, CFS_VALUE_MAX, false, 0},
		{CFS_REG_SZ, CFS_VALUE_MAX, true, 0},
		{CFS_REG_SZ, CFS_VALUE_MAX + 1, false, -EFBIG},
		{CFS_REG_EXPAND_SZ, CFS_VALUE_MAX + 1, true, -EFBIG},
		{CFS_REG_BINARY, CFS_VALUE_MAX, false, 0},
		{CFS_REG_BINARY, CFS_VALUE_MAX + 1, false, -EFBIG},
		{CFS_REG_BINARY, CFS_VALUE_MAX, true, -EFBIG}, /* newline is data */
		{CFS_REG_NONE, CFS_VALUE_MAX + 1, false, -EFBIG},
		{CFS_REG_MULTI_SZ, CFS_VALUE_MAX - 1, false, 0}, /* + NUL = MAX */
		{CFS_REG_MULTI_SZ, CFS_VALUE_MAX + 1, false, -EFBIG},
		/* One string of exactly CFS_VALUE_MAX bytes is CFS_VALUE_MAX + 1
		 * stored bytes with its terminator: over the limit. */
		{CFS_REG_MULTI_SZ, CFS_VALUE_MAX, false, -EFBIG},
		{CFS_REG_MULTI_SZ, CFS_VALUE_MAX, true, -EFBIG},
	};
	return cr_make_param_array(struct big_case, cases, CFS_ARRAY_SIZE(cases));
}

ParameterizedTest(struct big_case *c, value, size_limit)
{
	size_t n = c->text_len + (c->newline ? 1 : 0);
	char *text = malloc(n);
	cr_assert_not_null(text);
	memset(text, 'a', c->text_len);
	if (c->newline)
		text[n - 1] = '\n';
	struct cfs_buf out = {0};
	int r = cfs_value_parse(c->type, text, n, &out);
	cr_expect_eq(r, c->ret, "type %u, %zu bytes%s: got %d, want %d", c->type, c->text_len,
		     c->newline ? " + newline" : "", r, c->ret);
	if (r == 0) {
		cr_expect_leq(out.len, CFS_VALUE_MAX, "stored form of %zu bytes exceeds the limit",
			      out.len);
		cr_expect_eq(cfs_value_check(c->type, out.data, out.len), 0);
	}
	cfs_buf_free(&out);
	free(text);
}

/* ------------------------------------------------------------------ */
/* Type names.                                                         */

struct typename_case {
	char s[80];
	int ret;
};

ParameterizedTestParameters(value, regtype_parse)
{
	static struct typename_case cases[] = {
		{"REG_NONE", CFS_REG_NONE},
		{"REG_SZ", CFS_REG_SZ},
		{"REG_EXPAND_SZ", CFS_REG_EXPAND_SZ},
		{"REG_BINARY", CFS_REG_BINARY},
		{"REG_DWORD", CFS_REG_DWORD},
		{"REG_MULTI_SZ", CFS_REG_MULTI_SZ},
		{"REG_QWORD", CFS_REG_QWORD},
		{"reg_sz", CFS_REG_SZ},
		{"Reg_Dword", CFS_REG_DWORD},
		{"sz", CFS_REG_SZ},
		{"SZ", CFS_REG_SZ},
		{"expand_sz", CFS_REG_EXPAND_SZ},
		{"binary", CFS_REG_BINARY},
		{"dword", CFS_REG_DWORD},
		{"DWORD", CFS_REG_DWORD},
		{"multi_sz", CFS_REG_MULTI_SZ},
		{"qword", CFS_REG_QWORD},
		{"none", CFS_REG_NONE},
		{"0", CFS_REG_NONE},
		{"1", CFS_REG_SZ},
		{"2", CFS_REG_EXPAND_SZ},
		{"3", CFS_REG_BINARY},
		{"4", CFS_REG_DWORD},
		{"7", CFS_REG_MULTI_SZ},
		{"11", CFS_REG_QWORD},
		{"dword\n", CFS_REG_DWORD}, /* as written by echo */
		{"6", CFS_REG_LINK},
		{"link", CFS_REG_LINK},
		{"5", -EINVAL},
		{"8", -EINVAL},
		{"12", -EINVAL},
		{"-1", -EINVAL},
		{"+4", -EINVAL},
		{"0x4", -EINVAL},
		{"4x", -EINVAL},
		{"", -EINVAL},
		{"\n", -EINVAL},
		{"bad", -EINVAL},
		{"REG_", -EINVAL},
		{"REG_FOO", -EINVAL},
		{"REG_SZX", -EINVAL},
		{"string", -EINVAL},
		{"REG_REG_SZ", -EINVAL},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", -EINVAL},
		/* A number that only names a type after wrapping to 32 bits
		 * (2^32 + 1 and 2^32 + 4) is not a type. */
		{"4294967297", -EINVAL},
		{"4294967300", -EINVAL},
	};
	return cr_make_param_array(struct typename_case, cases, CFS_ARRAY_SIZE(cases));
}

ParameterizedTest(struct typename_case *c, value, regtype_parse)
{
	int r = cfs_regtype_parse(c->s);
	cr_assert_eq(r, c->ret, "cfs_regtype_parse(\"%s\") = %d, want %d", c->s, r, c->ret);
}

Test(value, regtype_name_and_valid)
{
	static const struct {
		uint32_t type;
		const char *name;
	} known[] = {
		{0, "REG_NONE"},  {1, "REG_SZ"},       {2, "REG_EXPAND_SZ"}, {3, "REG_BINARY"},
		{4, "REG_DWORD"}, {6, "REG_LINK"},     {7, "REG_MULTI_SZ"},  {11, "REG_QWORD"},
	};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(known); i++) {
		cr_assert_str_eq(cfs_regtype_name(known[i].type), known[i].name);
		cr_assert(cfs_regtype_valid(known[i].type));
		/* name -> type -> name */
		cr_assert_eq(cfs_regtype_parse(known[i].name), (int)known[i].type);
		/* short name */
		cr_assert_eq(cfs_regtype_parse(known[i].name + 4), (int)known[i].type);
	}
	uint32_t unknown[] = {5, 8, 9, 10, 12, 100, 0xffffffffu};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(unknown); i++) {
		cr_assert_null(cfs_regtype_name(unknown[i]));
		cr_assert(!cfs_regtype_valid(unknown[i]));
	}
}

/* ------------------------------------------------------------------ */
/* cfs_value_check: stored-form validation.                            */

struct check_case {
	uint32_t type;
	char data[64];
	size_t len;
	int ret;
};

#define C(type, lit, ret) {type, lit, sizeof(lit) - 1, ret}

ParameterizedTestParameters(value, check)
{
	static struct check_case cases[] = {
		C(CFS_REG_SZ, "abc", 0),
		C(CFS_REG_SZ, "", 0),
		C(CFS_REG_SZ, "a\nb", 0),
		C(CFS_REG_SZ, "\xc3\xa9", 0),
		C(CFS_REG_SZ, "a\0b", -EINVAL),
		C(CFS_REG_SZ, "abc\0", -EINVAL),
		C(CFS_REG_SZ, "\xff", -EINVAL),
		C(CFS_REG_SZ, "\xc3", -EINVAL),
		C(CFS_REG_EXPAND_SZ, "%a%", 0),
		C(CFS_REG_EXPAND_SZ, "\0", -EINVAL),
		C(CFS_REG_MULTI_SZ, "a\0b\0", 0),
		C(CFS_REG_MULTI_SZ, "", 0),
		C(CFS_REG_MULTI_SZ, "a\0", 0),
		C(CFS_REG_MULTI_SZ, "\0", 0),
		C(CFS_REG_MULTI_SZ, "a", -EINVAL),	   /* not terminated */
		C(CFS_REG_MULTI_SZ, "a\0b", -EINVAL),	   /* last not terminated */
		C(CFS_REG_MULTI_SZ, "a\nb\0", -EINVAL),	   /* newline cannot be shown */
		C(CFS_REG_MULTI_SZ, "\xff\0", -EINVAL),
		C(CFS_REG_DWORD, "\x01\x02\x03\x04", 0),
		C(CFS_REG_DWORD, "\x01\x02\x03", -EINVAL),
		C(CFS_REG_DWORD, "", -EINVAL),
		C(CFS_REG_DWORD, "\x01\x02\x03\x04\x05", -EINVAL),
		C(CFS_REG_DWORD, "\0\0\0\0\0\0\0\0", -EINVAL),
		C(CFS_REG_QWORD, "\0\0\0\0\0\0\0\0", 0),
		C(CFS_REG_QWORD, "\0\0\0\0", -EINVAL),
		C(CFS_REG_QWORD, "\0\0\0\0\0\0\0\0\0", -EINVAL),
		C(CFS_REG_BINARY, "", 0),
		C(CFS_REG_BINARY, "\0\xff\n", 0),
		C(CFS_REG_NONE, "anything\0", 0),
		C(5, "", -EINVAL),
		C(99, "x", -EINVAL),
	};
	return cr_make_param_array(struct check_case, cases, CFS_ARRAY_SIZE(cases));
}

ParameterizedTest(struct check_case *c, value, check)
{
	int r = cfs_value_check(c->type, c->data, c->len);
	cr_assert_eq(r, c->ret, "check(type %u, [%s]) = %d, want %d", c->type,
		     hex(c->data, c->len), r, c->ret);
	/* A valid stored form formats and parses back to itself. */
	if (r == 0) {
		struct cfs_buf t = {0}, s = {0};
		cr_assert_eq(cfs_value_format(c->type, c->data, c->len, &t), 0);
		cr_assert_eq(cfs_value_parse(c->type, t.data ? t.data : "", t.len, &s), 0);
		if (c->type == CFS_REG_MULTI_SZ && c->len == 1) {
			/* A single empty string has no line to show: "\0" reads
			 * back as the empty list. Documented lossy case. */
			cr_assert_eq(s.len, 0);
		} else {
			assert_bytes(s.data, s.len, c->data, c->len, "check roundtrip");
		}
		cfs_buf_free(&t);
		cfs_buf_free(&s);
	}
}

Test(value, check_too_large)
{
	char *p = calloc(1, CFS_VALUE_MAX + 1);
	cr_assert_not_null(p);
	cr_assert_eq(cfs_value_check(CFS_REG_BINARY, p, CFS_VALUE_MAX), 0);
	cr_assert_lt(cfs_value_check(CFS_REG_BINARY, p, CFS_VALUE_MAX + 1), 0);
	free(p);
}

/* ------------------------------------------------------------------ */
/* cfs_value_classify: a file's bytes for a value without a type.      */

Test(value, classify)
{
	static const struct {
		const char *in;
		size_t len;
		uint32_t type;
		bool noeol;
		size_t stored;
	} cases[] = {
		{"", 0, CFS_REG_SZ, true, 0},	       {"\n", 1, CFS_REG_SZ, false, 0},
		{"abc\n", 4, CFS_REG_SZ, false, 3},    {"abc", 3, CFS_REG_SZ, true, 3},
		{"a\n\n", 3, CFS_REG_SZ, false, 2},    {"\x01\t", 2, CFS_REG_SZ, true, 2},
		{"gr\xc3\xbc\n", 5, CFS_REG_SZ, false, 4}, {"a\0b\n", 4, CFS_REG_BINARY, false, 4},
		{"\xff", 1, CFS_REG_BINARY, false, 1}, {"\0", 1, CFS_REG_BINARY, false, 1},
	};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(cases); i++) {
		struct cfs_buf out = {0};
		uint32_t type = 99;
		bool noeol = !cases[i].noeol;
		cr_assert_eq(cfs_value_classify(cases[i].in, cases[i].len, &out, &type, &noeol), 0);
		cr_assert_eq(type, cases[i].type, "case %zu", i);
		cr_assert_eq(noeol, cases[i].noeol, "case %zu", i);
		cr_assert_eq(out.len, cases[i].stored, "case %zu", i);
		cr_assert(out.len == 0 || memcmp(out.data, cases[i].in, out.len) == 0);
		cfs_buf_free(&out);
	}
	char *big = calloc(1, CFS_VALUE_MAX + 2);
	cr_assert_not_null(big);
	struct cfs_buf out = {0};
	uint32_t type;
	bool noeol;
	memset(big, 'a', CFS_VALUE_MAX);
	big[CFS_VALUE_MAX] = '\n';
	cr_assert_eq(cfs_value_classify(big, CFS_VALUE_MAX + 1, &out, &type, &noeol), 0,
		     "the dropped newline does not count");
	cfs_buf_reset(&out);
	big[CFS_VALUE_MAX] = 'a';
	cr_assert_eq(cfs_value_classify(big, CFS_VALUE_MAX + 1, &out, &type, &noeol), -EFBIG);
	cr_assert_eq(out.len, 0);
	cfs_buf_free(&out);
	free(big);
}
