/* SPDX-License-Identifier: MIT */
/* libclusapi's UTF-16 <-> UTF-8 conversion (clusapi/cl_wstr.c). The first
 * byte picks the direction (bit 0) and a buffer size for the cch
 * convention (the rest of it); the rest of the input is UTF-8 bytes, or
 * UTF-16LE units.
 * Properties: UTF-8 that converts comes back byte for byte (up to its
 * first NUL, where a wide string ends); UTF-16 that converts comes back
 * unit for unit; cl_copy_out reports the length it needs and copies only
 * when it fits, always terminated. */
#include <errno.h>

#include "cl_i.h"
#include "fuzz.h"

static void copy_out(const char *s, size_t units, DWORD cap)
{
	WCHAR *buf = calloc((size_t)cap + 1, sizeof(WCHAR));
	FUZZ_CHECK(buf);
	DWORD cch = cap;
	DWORD r = cl_copy_out(s, buf, &cch);
	if (r == ERROR_SUCCESS) {
		FUZZ_CHECK(cch == units && units < cap && buf[units] == 0);
	} else {
		FUZZ_CHECK(r == ERROR_MORE_DATA && cch == units && units + 1 > cap);
	}
	cch = 0;
	FUZZ_CHECK(cl_copy_out(s, NULL, &cch) == ERROR_MORE_DATA && cch == units);
	free(buf);
}

static void from_utf8(const char *s, size_t len, DWORD cap)
{
	WCHAR *w = NULL;
	size_t n = 0;
	int r = cl_utf8_to_wide(s, len, &w, &n);
	if (r < 0) {
		FUZZ_CHECK(r == -EINVAL || r == -ENOMEM);
		return;
	}
	FUZZ_CHECK(n <= len && w[n] == 0);
	char *back = NULL;
	FUZZ_CHECK(cl_wide_to_utf8(w, &back) == 0);
	size_t upto = strnlen(s, len);
	FUZZ_CHECK(strlen(back) == upto && memcmp(back, s, upto) == 0);
	FUZZ_CHECK(ClusapiWideLen(w) <= n);
	if (upto == len)
		copy_out(back, n, cap);
	free(back);
	free(w);
}

static void from_utf16(const uint8_t *p, size_t len, DWORD cap)
{
	size_t n = len / 2;
	WCHAR *w = calloc(n + 1, sizeof(WCHAR));
	FUZZ_CHECK(w);
	for (size_t i = 0; i < n; i++)
		w[i] = (WCHAR)(p[2 * i] | p[2 * i + 1] << 8);
	char *u = NULL;
	int r = cl_wide_to_utf8(w, &u);
	if (r == 0) {
		size_t units = ClusapiWideLen(w);
		FUZZ_CHECK(strlen(u) <= units * 3);
		WCHAR *again = NULL;
		size_t k = 0;
		FUZZ_CHECK(cl_utf8_to_wide(u, strlen(u), &again, &k) == 0);
		FUZZ_CHECK(k == units && memcmp(again, w, units * sizeof(WCHAR)) == 0);
		copy_out(u, units, cap);
		free(again);
		free(u);
	} else {
		FUZZ_CHECK(r == -EINVAL || r == -ENOMEM);
	}
	free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	DWORD cap = data[0] >> 1;
	char *rest = fuzz_bytes(data + 1, size - 1);
	if (data[0] & 1)
		from_utf16((const uint8_t *)rest, size - 1, cap);
	else
		from_utf8(rest, size - 1, cap);
	free(rest);
	return 0;
}
