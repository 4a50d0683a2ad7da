/* SPDX-License-Identifier: MIT */
/* UTF-16 <-> UTF-8, and the Windows cch convention for string results. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cl_i.h"

CL_EXPORT size_t ClusapiWideLen(LPCWSTR s)
{
	size_t n = 0;
	while (s && s[n])
		n++;
	return n;
}

int cl_wide_to_utf8(LPCWSTR w, char **ret)
{
	size_t n = ClusapiWideLen(w);
	char *out = malloc(n * 3 + 1), *o = out;
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = w[i];
		if (c >= 0xD800 && c <= 0xDBFF) {
			if (i + 1 >= n || w[i + 1] < 0xDC00 || w[i + 1] > 0xDFFF)
				goto bad;
			c = 0x10000 + ((c - 0xD800) << 10) + (w[++i] - 0xDC00);
		} else if (c >= 0xDC00 && c <= 0xDFFF) {
			goto bad;
		}
		if (c < 0x80) {
			*o++ = (char)c;
		} else if (c < 0x800) {
			*o++ = (char)(0xC0 | c >> 6);
			*o++ = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			*o++ = (char)(0xE0 | c >> 12);
			*o++ = (char)(0x80 | ((c >> 6) & 0x3F));
			*o++ = (char)(0x80 | (c & 0x3F));
		} else {
			*o++ = (char)(0xF0 | c >> 18);
			*o++ = (char)(0x80 | ((c >> 12) & 0x3F));
			*o++ = (char)(0x80 | ((c >> 6) & 0x3F));
			*o++ = (char)(0x80 | (c & 0x3F));
		}
	}
	*o = '\0';
	*ret = out;
	return 0;
bad:
	free(out);
	return -EINVAL;
}

int cl_utf8_to_wide(const char *s, size_t len, WCHAR **ret, size_t *ret_units)
{
	WCHAR *out = malloc((len + 1) * sizeof(WCHAR));
	size_t k = 0;
	if (!out)
		return -ENOMEM;
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		uint32_t c = *p++;
		int more = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2
			 : (c & 0xF8) == 0xF0 ? 3 : -1;
		if (more < 0 || end - p < more)
			goto bad;
		c &= more == 0 ? 0x7F : more == 1 ? 0x1F : more == 2 ? 0x0F : 0x07;
		for (int i = 0; i < more; i++) {
			if ((*p & 0xC0) != 0x80)
				goto bad;
			c = c << 6 | (*p++ & 0x3F);
		}
		static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
		if (c < min[more] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			goto bad;
		if (c >= 0x10000) {
			c -= 0x10000;
			out[k++] = (WCHAR)(0xD800 + (c >> 10));
			out[k++] = (WCHAR)(0xDC00 + (c & 0x3FF));
		} else {
			out[k++] = (WCHAR)c;
		}
	}
	out[k] = 0;
	*ret = out;
	*ret_units = k;
	return 0;
bad:
	free(out);
	return -EINVAL;
}

DWORD cl_copy_out(const char *s, LPWSTR buf, LPDWORD cch)
{
	if (!cch)
		return buf ? ERROR_INVALID_PARAMETER : ERROR_SUCCESS; /* a buffer of no size */
	WCHAR *w;
	size_t n;
	if (cl_utf8_to_wide(s, strlen(s), &w, &n) < 0)
		return ERROR_NOT_ENOUGH_MEMORY;
	DWORD r = ERROR_SUCCESS;
	if (!buf || *cch < n + 1) {
		r = ERROR_MORE_DATA;
	} else {
		memcpy(buf, w, (n + 1) * sizeof(WCHAR));
	}
	*cch = (DWORD)n;
	free(w);
	return r;
}

CL_EXPORT LPWSTR ClusapiUtf8ToWide(const char *s)
{
	WCHAR *w;
	size_t n;
	if (!s) {
		cl_set_error(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	int e = cl_utf8_to_wide(s, strlen(s), &w, &n);
	if (e < 0) {
		cl_set_error(e == -ENOMEM ? ERROR_NOT_ENOUGH_MEMORY : ERROR_INVALID_PARAMETER);
		return NULL;
	}
	return w;
}

CL_EXPORT char *ClusapiWideToUtf8(LPCWSTR s)
{
	char *u;
	if (!s) {
		cl_set_error(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	int e = cl_wide_to_utf8(s, &u);
	if (e < 0) {
		cl_set_error(e == -ENOMEM ? ERROR_NOT_ENOUGH_MEMORY : ERROR_INVALID_PARAMETER);
		return NULL;
	}
	return u;
}

CL_EXPORT void ClusapiFree(void *p)
{
	free(p);
}
