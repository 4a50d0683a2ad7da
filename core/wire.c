/* SPDX-License-Identifier: MIT */
#include "wire.h"

#include <errno.h>
#include <string.h>

int cfs_wire_u8(struct cfs_buf *b, uint8_t v)
{
	return cfs_buf_append(b, &v, 1);
}

int cfs_wire_u32(struct cfs_buf *b, uint32_t v)
{
	unsigned char x[4];
	for (int i = 0; i < 4; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	return cfs_buf_append(b, x, sizeof(x));
}

int cfs_wire_u64(struct cfs_buf *b, uint64_t v)
{
	unsigned char x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	return cfs_buf_append(b, x, sizeof(x));
}

int cfs_wire_bytes(struct cfs_buf *b, const void *p, size_t n)
{
	if (n >= UINT32_MAX)
		return -E2BIG;
	int r = cfs_wire_u32(b, (uint32_t)n);
	return r < 0 ? r : cfs_buf_append(b, p, n);
}

int cfs_wire_str(struct cfs_buf *b, const char *s)
{
	return s ? cfs_wire_bytes(b, s, strlen(s)) : cfs_wire_u32(b, UINT32_MAX);
}

static const unsigned char *take(struct cfs_wire_reader *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return NULL;
	}
	const unsigned char *p = r->p;
	r->p += n;
	return p;
}

uint8_t cfs_wire_get_u8(struct cfs_wire_reader *r)
{
	const unsigned char *p = take(r, 1);
	return p ? p[0] : 0;
}

uint32_t cfs_wire_get_u32(struct cfs_wire_reader *r)
{
	const unsigned char *p = take(r, 4);
	uint32_t v = 0;
	for (int i = 0; p && i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

uint64_t cfs_wire_get_u64(struct cfs_wire_reader *r)
{
	const unsigned char *p = take(r, 8);
	uint64_t v = 0;
	for (int i = 0; p && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

size_t cfs_wire_get_bytes(struct cfs_wire_reader *r, size_t max, const void **ret)
{
	uint32_t n = cfs_wire_get_u32(r);
	const unsigned char *p = n <= max ? take(r, n) : NULL;
	if (!p) {
		r->bad = true;
		*ret = NULL;
		return 0;
	}
	*ret = p;
	return n;
}

char *cfs_wire_get_str(struct cfs_wire_reader *r, size_t max)
{
	struct cfs_wire_reader save = *r;
	if (cfs_wire_get_u32(r) == UINT32_MAX)
		return NULL;
	*r = save;
	const void *p;
	size_t n = cfs_wire_get_bytes(r, max, &p);
	if (r->bad)
		return NULL;
	if (memchr(p, '\0', n)) {
		r->bad = true;
		return NULL;
	}
	char *s = cfs_strndup(p, n);
	if (!s)
		r->bad = true;
	return s;
}
