/* SPDX-License-Identifier: MIT */
/* Registry values (core/value.h): type names, the text form of every type,
 * the stored-form check and type conversion (reg-type: the old type's text
 * form parsed as the new type). The first byte picks the types: low
 * nibble the value's type, high nibble the type to convert to; the rest
 * is the text (or, for the stored-form checks, the bytes).
 * Properties: what parses is a valid stored form of its type and comes
 * back unchanged through format and parse; a valid stored form formats
 * into text that parses back to itself (except the one MULTI_SZ the text
 * form cannot say, a list of one empty string); conversions give valid
 * stored forms or a clean error. */
#include <errno.h>

#include "cfs_limits.h"
#include "fuzz.h"
#include "value.h"

static const uint32_t types[] = {
	CFS_REG_NONE,  CFS_REG_SZ,	 CFS_REG_EXPAND_SZ, CFS_REG_BINARY,
	CFS_REG_DWORD, CFS_REG_MULTI_SZ, CFS_REG_QWORD,	    5 /* not a type */,
};

static bool parse_error(int r)
{
	return r == -EINVAL || r == -ERANGE || r == -EFBIG || r == -ENOMEM;
}

/* Parses text as type; when it parses, checks the result and that it
 * survives format + parse unchanged. */
static void parse_roundtrip(uint32_t type, const char *text, size_t len)
{
	struct cfs_buf st = {0};
	int r = cfs_value_parse(type, text, len, &st);
	if (r < 0) {
		FUZZ_CHECK(parse_error(r));
		FUZZ_CHECK(r != -ERANGE || type == CFS_REG_DWORD || type == CFS_REG_QWORD);
		cfs_buf_free(&st);
		return;
	}
	FUZZ_CHECK(cfs_regtype_valid(type));
	FUZZ_CHECK(cfs_value_check(type, st.data, st.len) == 0);
	struct cfs_buf txt = {0}, again = {0};
	FUZZ_CHECK(cfs_value_format(type, st.data, st.len, &txt) == 0);
	FUZZ_CHECK(cfs_value_parse(type, txt.data, txt.len, &again) == 0);
	FUZZ_CHECK(again.len == st.len && (!st.len || memcmp(again.data, st.data, st.len) == 0));
	cfs_buf_free(&again);
	cfs_buf_free(&txt);
	cfs_buf_free(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t type = types[data[0] & 7], to = types[(data[0] >> 4) & 7];
	const char *rest = (const char *)data + 1;
	size_t len = size - 1;
	char *text = fuzz_bytes(rest, len);

	/* Type names: only up to a NUL, as a file name or a word would be. */
	char *name = fuzz_str(rest, strnlen(rest, len));
	int t = cfs_regtype_parse(name);
	FUZZ_CHECK(t == -EINVAL || (t >= 0 && cfs_regtype_valid((uint32_t)t)));
	if (t >= 0)
		FUZZ_CHECK(cfs_regtype_parse(cfs_regtype_name((uint32_t)t)) == t);
	free(name);

	parse_roundtrip(type, text, len);

	/* The bytes as a stored form: a valid one shows as text that writes
	 * back the same bytes, and converts to another type cleanly. */
	if (cfs_value_check(type, text, len) == 0) {
		struct cfs_buf txt = {0}, st = {0}, conv = {0};
		FUZZ_CHECK(cfs_value_format(type, text, len, &txt) == 0);
		int r = cfs_value_parse(type, txt.data, txt.len, &st);
		bool one_empty = type == CFS_REG_MULTI_SZ && len == 1 && text[0] == '\0';
		if (!one_empty) {
			FUZZ_CHECK(r == 0);
			FUZZ_CHECK(st.len == len && (!len || memcmp(st.data, text, len) == 0));
		}
		r = cfs_value_parse(to, txt.data ? txt.data : "", txt.len, &conv);
		if (r == 0)
			FUZZ_CHECK(cfs_value_check(to, conv.data, conv.len) == 0);
		else
			FUZZ_CHECK(parse_error(r));
		cfs_buf_free(&conv);
		cfs_buf_free(&st);
		cfs_buf_free(&txt);
	}
	free(text);
	return 0;
}
