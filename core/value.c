/* SPDX-License-Identifier: MIT */
#include "value.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cfs_limits.h"

static const struct {
	uint32_t type;
	const char *name;
} regtypes[] = {
	{CFS_REG_NONE, "REG_NONE"},	      {CFS_REG_SZ, "REG_SZ"},
	{CFS_REG_EXPAND_SZ, "REG_EXPAND_SZ"}, {CFS_REG_BINARY, "REG_BINARY"},
	{CFS_REG_DWORD, "REG_DWORD"},	      {CFS_REG_MULTI_SZ, "REG_MULTI_SZ"},
	{CFS_REG_QWORD, "REG_QWORD"},	      {CFS_REG_LINK, "REG_LINK"},
};

const char *cfs_regtype_name(uint32_t type)
{
	for (size_t i = 0; i < CFS_ARRAY_SIZE(regtypes); i++)
		if (regtypes[i].type == type)
			return regtypes[i].name;
	return NULL;
}

int cfs_regtype_valid(uint32_t type)
{
	return cfs_regtype_name(type) != NULL;
}

int cfs_regtype_parse(const char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	char buf[32];
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	for (size_t i = 0; i < CFS_ARRAY_SIZE(regtypes); i++) {
		const char *name = regtypes[i].name;
		if (strcasecmp(buf, name) == 0 || strcasecmp(buf, name + 4) == 0)
			return (int)regtypes[i].type;
	}
	char *end;
	errno = 0;
	unsigned long v = strtoul(buf, &end, 10);
	if (*end == '\0' && isdigit((unsigned char)buf[0]) && errno == 0 && v <= UINT32_MAX &&
	    cfs_regtype_valid((uint32_t)v))
		return (int)v;
	return -EINVAL;
}

static size_t strip_newline(const char *text, size_t len)
{
	if (len && text[len - 1] == '\n')
		len--;
	return len;
}

static int parse_number(const char *text, size_t len, uint64_t max, uint64_t *ret)
{
	len = strip_newline(text, len);
	char buf[80];
	if (len == 0 || memchr(text, '\0', len))
		return -EINVAL;
	if (len >= sizeof(buf)) {
		/* Too long for any 64-bit number: out of range if it is one. */
		for (size_t i = 0; i < len; i++)
			if (!isdigit((unsigned char)text[i]))
				return -EINVAL;
		return -ERANGE;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	const char *p = buf;
	int base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!isxdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(p, &end, base);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int cfs_value_parse(uint32_t type, const char *text, size_t len, struct cfs_buf *out)
{
	uint64_t v;
	int r;
	switch (type) {
	case CFS_REG_SZ:
	case CFS_REG_EXPAND_SZ:
		len = strip_newline(text, len);
		if (memchr(text, '\0', len) || !cfs_utf8_valid(text, len))
			return -EINVAL;
		break;
	case CFS_REG_MULTI_SZ: {
		len = strip_newline(text, len);
		if (memchr(text, '\0', len) || !cfs_utf8_valid(text, len))
			return -EINVAL;
		if (len + 1 > CFS_VALUE_MAX) /* the stored form adds a NUL */
			return -EFBIG;
		if (len == 0)
			return 0;
		size_t start = out->len;
		if ((r = cfs_buf_append(out, text, len)) < 0 || (r = cfs_buf_append(out, "", 1)) < 0)
			return r;
		for (size_t i = start; i < out->len; i++)
			if (out->data[i] == '\n')
				out->data[i] = '\0';
		return 0;
	}
	case CFS_REG_DWORD:
	case CFS_REG_QWORD: {
		int dw = type == CFS_REG_DWORD;
		if ((r = parse_number(text, len, dw ? UINT32_MAX : UINT64_MAX, &v)) < 0)
			return r;
		uint8_t le[8];
		for (int i = 0; i < 8; i++)
			le[i] = (uint8_t)(v >> (8 * i));
		return cfs_buf_append(out, le, dw ? 4 : 8);
	}
	case CFS_REG_LINK:
		len = strip_newline(text, len);
		if (len == 0 || memchr(text, '\0', len) || !cfs_utf8_valid(text, len))
			return -EINVAL;
		if (len > CFS_LINK_MAX)
			return -ENAMETOOLONG;
		break;
	case CFS_REG_BINARY:
	case CFS_REG_NONE:
		break;
	default:
		return -EINVAL;
	}
	if (len > CFS_VALUE_MAX)
		return -EFBIG;
	return cfs_buf_append(out, text, len);
}

int cfs_value_classify(const void *data, size_t len, struct cfs_buf *out, uint32_t *ret_type,
		       bool *ret_noeol)
{
	const char *text = data;
	bool is_text = !memchr(text, '\0', len) && cfs_utf8_valid(text, len);
	size_t n = is_text ? strip_newline(text, len) : len;
	if (n > CFS_VALUE_MAX)
		return -EFBIG;
	int r = cfs_buf_append(out, text, n);
	if (r < 0)
		return r;
	*ret_type = is_text ? CFS_REG_SZ : CFS_REG_BINARY;
	*ret_noeol = is_text && n == len;
	return 0;
}

int cfs_value_check(uint32_t type, const void *data, size_t len)
{
	const char *s = data;
	if (len > CFS_VALUE_MAX)
		return -EFBIG;
	switch (type) {
	case CFS_REG_SZ:
	case CFS_REG_EXPAND_SZ:
		return memchr(s, '\0', len) || !cfs_utf8_valid(s, len) ? -EINVAL : 0;
	case CFS_REG_MULTI_SZ:
		if (len == 0)
			return 0;
		if (s[len - 1] != '\0' || !cfs_utf8_valid(s, len))
			return -EINVAL;
		for (size_t i = 0; i < len; i++)
			if (s[i] == '\n')
				return -EINVAL;
		return 0;
	case CFS_REG_DWORD:
		return len == 4 ? 0 : -EINVAL;
	case CFS_REG_QWORD:
		return len == 8 ? 0 : -EINVAL;
	case CFS_REG_LINK:
		return len == 0 || len > CFS_LINK_MAX || memchr(s, '\0', len) ||
				       !cfs_utf8_valid(s, len)
			       ? -EINVAL
			       : 0;
	case CFS_REG_BINARY:
	case CFS_REG_NONE:
		return 0;
	default:
		return -EINVAL;
	}
}

int cfs_value_format(uint32_t type, const void *data, size_t len, struct cfs_buf *out)
{
	const uint8_t *p = data;
	int r;
	switch (type) {
	case CFS_REG_SZ:
	case CFS_REG_EXPAND_SZ:
	case CFS_REG_LINK:
		if ((r = cfs_buf_append(out, p, len)) < 0)
			return r;
		return cfs_buf_append(out, "\n", 1);
	case CFS_REG_MULTI_SZ: {
		size_t start = out->len;
		if ((r = cfs_buf_append(out, p, len)) < 0)
			return r;
		for (size_t i = start; i < out->len; i++)
			if (out->data[i] == '\0')
				out->data[i] = '\n';
		return 0;
	}
	case CFS_REG_DWORD:
	case CFS_REG_QWORD: {
		uint64_t v = 0;
		for (size_t i = 0; i < len && i < 8; i++)
			v |= (uint64_t)p[i] << (8 * i);
		return cfs_buf_printf(out, "%llu\n", (unsigned long long)v);
	}
	default:
		return cfs_buf_append(out, p, len);
	}
}
