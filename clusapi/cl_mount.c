/* SPDX-License-Identifier: MIT */
/* Reading and writing the mount: files, registry properties, the control
 * file, and name lookups. Every function returns 0 or -errno. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cl_i.h"

#define DEFAULT_MOUNT "/mnt/clusterfs"

static char *join(const char *mount, const char *rel)
{
	char *p;
	return asprintf(&p, "%s/%s", mount, rel) < 0 ? NULL : p;
}

int cl_read(const char *mount, const char *rel, char **ret, size_t *ret_len)
{
	char *path = join(mount, rel);
	if (!path)
		return -ENOMEM;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -errno;
	size_t cap = 256, len = 0;
	char *buf = malloc(cap);
	int e = buf ? 0 : -ENOMEM;
	while (e == 0) {
		if (cap - len < 2) {
			char *b = realloc(buf, cap * 2);
			if (!b) {
				e = -ENOMEM;
				break;
			}
			buf = b;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			e = -errno;
		else if (n == 0)
			break;
		else
			len += (size_t)n;
	}
	close(fd);
	if (e < 0) {
		free(buf);
		return e;
	}
	buf[len] = '\0';
	*ret = buf;
	if (ret_len)
		*ret_len = len;
	return 0;
}

int cl_read_line(const char *mount, const char *rel, char **ret)
{
	size_t len;
	int e = cl_read(mount, rel, ret, &len);
	if (e == 0 && len && (*ret)[len - 1] == '\n')
		(*ret)[len - 1] = '\0';
	return e;
}

int cl_prop(const char *mount, const char *coll, const char *id, const char *prop, char **ret)
{
	char rel[512];
	snprintf(rel, sizeof(rel), "registry/%s/%s/%s", coll, id, prop);
	return cl_read_line(mount, rel, ret);
}

int cl_prop_u32(const char *mount, const char *coll, const char *id, const char *prop,
		uint32_t *ret)
{
	char *s;
	int e = cl_prop(mount, coll, id, prop, &s);
	if (e < 0)
		return e;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	e = *s && !*end ? 0 : -EINVAL;
	free(s);
	if (e == 0)
		*ret = (uint32_t)v;
	return e;
}

/* Appends word to b, quoted when it needs to be (or is empty). */
static int put_word(char **b, size_t *len, size_t *cap, const char *w)
{
	size_t need = *len + strlen(w) * 4 + 4;
	if (need > *cap) {
		size_t c = need * 2;
		char *n = realloc(*b, c);
		if (!n)
			return -ENOMEM;
		*b = n;
		*cap = c;
	}
	char *o = *b + *len;
	*o++ = ' ';
	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)w; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p < 0x20 || *p == 0x7f) {
			o += sprintf(o, "\\x%02x", *p);
		} else {
			*o++ = (char)*p;
		}
	}
	*o++ = '"';
	*len = (size_t)(o - *b);
	return 0;
}

int cl_cmd_vappend(struct cl_cmdbuf *b, const char *verb, va_list ap)
{
	size_t vl = strlen(verb);
	if (b->len + vl + 2 > b->cap) {
		size_t c = (b->len + vl + 2) * 2;
		char *n = realloc(b->buf, c);
		if (!n)
			return -ENOMEM;
		b->buf = n;
		b->cap = c;
	}
	if (b->len)
		b->buf[b->len++] = '\n';
	memcpy(b->buf + b->len, verb, vl);
	b->len += vl;
	int e = 0;
	for (const char *w; e == 0 && (w = va_arg(ap, const char *));)
		e = put_word(&b->buf, &b->len, &b->cap, w);
	return e;
}

int cl_cmd_append(struct cl_cmdbuf *b, const char *verb, ...)
{
	va_list ap;
	va_start(ap, verb);
	int e = cl_cmd_vappend(b, verb, ap);
	va_end(ap);
	return e;
}

int cl_cmd_run(const char *mount, struct cl_cmdbuf *b)
{
	int e = 0;
	char *path = join(mount, "control");
	if (!path || !b->buf) {
		e = -ENOMEM;
		goto out;
	}
	/* The lines of one write() are one transaction. */
	char *nb = realloc(b->buf, b->len + 1);
	if (!nb) {
		e = -ENOMEM;
		goto out;
	}
	b->buf = nb;
	b->buf[b->len++] = '\n';
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		goto out;
	}
	ssize_t n;
	do
		n = write(fd, b->buf, b->len);
	while (n < 0 && errno == EINTR);
	e = n < 0 ? -errno : (size_t)n == b->len ? 0 : -EIO;
	close(fd);
out:
	free(path);
	free(b->buf);
	*b = (struct cl_cmdbuf){0};
	return e;
}

int cl_control(const char *mount, const char *verb, ...)
{
	struct cl_cmdbuf b = {0};
	va_list ap;
	va_start(ap, verb);
	int e = cl_cmd_vappend(&b, verb, ap);
	va_end(ap);
	if (e < 0) {
		free(b.buf);
		return e;
	}
	return cl_cmd_run(mount, &b);
}

int cl_mount_resolve(const char *name, char **ret_mount)
{
	const char *env = getenv("CLUSTERFS_MOUNT");
	const char *mount = env && *env ? env : DEFAULT_MOUNT;
	struct stat st;
	char *path = join(mount, "control");
	if (!path)
		return -ENOMEM;
	int e = stat(path, &st) < 0 ? -errno : 0;
	free(path);
	if (e < 0)
		return e;
	if (name && *name && strcmp(name, ".") != 0) {
		/* A name must be the cluster's or one of its nodes'. */
		char *cname;
		e = cl_read_line(mount, "name", &cname);
		if (e < 0)
			return e;
		bool ok = strcasecmp(cname, name) == 0;
		free(cname);
		char id[CL_ID_LEN + 1], *nname = NULL;
		if (!ok && cl_lookup(mount, CL_NODE, name, id, &nname) == 0)
			ok = true;
		free(nname);
		if (!ok)
			return -EHOSTUNREACH;
	}
	*ret_mount = strdup(mount);
	return *ret_mount ? 0 : -ENOMEM;
}

const char *cl_kind_coll(enum cl_kind k)
{
	switch (k) {
	case CL_NODE:
		return "Nodes";
	case CL_GROUP:
		return "Groups";
	case CL_RESOURCE:
		return "Resources";
	case CL_NETWORK:
		return "Networks";
	case CL_NETIF:
		return "NetworkInterfaces";
	default:
		return NULL;
	}
}

const char *cl_kind_dir(enum cl_kind k)
{
	switch (k) {
	case CL_NODE:
		return "nodes";
	case CL_GROUP:
		return "groups";
	case CL_RESOURCE:
		return "resources";
	case CL_NETWORK:
		return "networks";
	case CL_NETIF:
		return "netinterfaces";
	default:
		return NULL;
	}
}

static bool is_id(const char *s)
{
	if (strlen(s) != CL_ID_LEN)
		return false;
	for (int i = 0; i < CL_ID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	}
	return true;
}

/* Reads DIR/NAME/id into id. */
static int read_id(const char *mount, const char *dir, const char *name, char *id)
{
	char rel[600], *s;
	if (snprintf(rel, sizeof(rel), "%s/%s/id", dir, name) >= (int)sizeof(rel))
		return -ENAMETOOLONG;
	int e = cl_read_line(mount, rel, &s);
	if (e < 0)
		return e;
	e = is_id(s) ? 0 : -EIO;
	if (e == 0)
		memcpy(id, s, CL_ID_LEN + 1);
	free(s);
	return e;
}

int cl_lookup(const char *mount, enum cl_kind k, const char *name, char *id, char **ret_name)
{
	const char *dir = cl_kind_dir(k);
	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -ENOENT;
	int e = read_id(mount, dir, name, id);
	if (e == 0)
		return (*ret_name = strdup(name)) ? 0 : -ENOMEM;
	if (e != -ENOENT)
		return e;
	/* Names compare without regard to ASCII case, as on Windows. */
	char *path = join(mount, dir);
	DIR *d = path ? opendir(path) : NULL;
	free(path);
	if (!d)
		return -errno;
	e = -ENOENT;
	for (struct dirent *de; (de = readdir(d));) {
		if (strcasecmp(de->d_name, name) == 0) {
			e = read_id(mount, dir, de->d_name, id);
			if (e == 0 && !(*ret_name = strdup(de->d_name)))
				e = -ENOMEM;
			break;
		}
	}
	closedir(d);
	if (e != -ENOENT || !is_id(name))
		return e;
	/* An object id names the object too. */
	char *oname;
	e = cl_prop(mount, cl_kind_coll(k), name, "Name", &oname);
	if (e < 0)
		return e;
	memcpy(id, name, CL_ID_LEN + 1);
	*ret_name = oname;
	return 0;
}

const char *cl_mount_of(const struct cl_obj *o)
{
	return o->parent->u.cluster.mount;
}

int cl_object_name(const struct cl_obj *o, char **ret)
{
	return cl_prop(cl_mount_of(o), cl_kind_coll(o->kind), o->u.object.id, "Name", ret);
}

int cl_cmd_appendv(struct cl_cmdbuf *b, const char *verb, const char *first, const char **words,
		   size_t n)
{
	int e = cl_cmd_append(b, verb, first, NULL);
	for (size_t i = 0; e == 0 && i < n; i++)
		e = put_word(&b->buf, &b->len, &b->cap, words[i]);
	return e;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cl_list_dir(const char *mount, const char *rel, char ***ret, size_t *ret_n)
{
	char *path = join(mount, rel);
	DIR *d = path ? opendir(path) : NULL;
	int e = !path ? -ENOMEM : !d ? -errno : 0;
	free(path);
	if (e < 0)
		return e;
	char **v = NULL;
	size_t n = 0, cap = 0;
	for (struct dirent *de; e == 0 && (de = readdir(d));) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				e = -ENOMEM;
				break;
			}
			v = nv;
		}
		if (!(v[n] = strdup(de->d_name)))
			e = -ENOMEM;
		else
			n++;
	}
	closedir(d);
	if (e < 0) {
		cl_strv_free(v, n);
		return e;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	*ret_n = n;
	return 0;
}

void cl_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int cl_cmd_append_bytes(struct cl_cmdbuf *b, const void *data, size_t len)
{
	size_t need = b->len + len * 4 + 4;
	if (need > b->cap) {
		char *n = realloc(b->buf, need * 2);
		if (!n)
			return -ENOMEM;
		b->buf = n;
		b->cap = need * 2;
	}
	char *o = b->buf + b->len;
	*o++ = ' ';
	*o++ = '"';
	for (const unsigned char *p = data, *end = p + len; p < end; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			*o++ = (char)*p;
		else
			o += sprintf(o, "\\x%02x", *p);
	}
	*o++ = '"';
	b->len = (size_t)(o - b->buf);
	return 0;
}
