/* SPDX-License-Identifier: MIT */
/* The cluster database. A key handle holds its path from the root ('\'
 * separated, "" for the root); the key is the directory registry/<path>,
 * its values are files whose type is the user.cluster.type attribute.
 * Values cross the mount in their stored form (UTF-8 strings) and are
 * converted to and from what Windows callers pass (UTF-16 strings). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "cl_i.h"

#define XATTR_TYPE "user.cluster.type"

static const struct cl_errmap reg_errors[] = {
	{ENOENT, ERROR_FILE_NOT_FOUND},
	{ENOTDIR, ERROR_FILE_NOT_FOUND},
	{ENOTEMPTY, ERROR_ACCESS_DENIED},
	{EPERM, ERROR_ACCESS_DENIED},
	{EEXIST, ERROR_ALREADY_EXISTS},
	{EINVAL, ERROR_INVALID_PARAMETER},
	{0, 0},
};

/* The handle table frees a key handle's path with it. */
static void key_free(struct cl_obj *o)
{
	free(o->u.key.path);
}

CL_HANDLE_KIND(CL_KEY, key_free);

HKEY cl_key_open(struct cl_obj *c, const char *path)
{
	struct cl_obj *o = calloc(1, sizeof(*o));
	if (!o || !(o->u.key.path = strdup(path))) {
		free(o);
		cl_set_error(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	o->kind = CL_KEY;
	return (HKEY)cl_object_adopt(c, o);
}

CL_EXPORT HKEY WINAPI GetClusterKey(HCLUSTER hCluster, REGSAM samDesired)
{
	struct cl_obj *c = cl_handle_get((HANDLE)hCluster, CL_CLUSTER);
	if (!c) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return NULL;
	}
	HKEY k = cl_key_open(c, "");
	cl_obj_put(c);
	return k;
}

/* "registry/<path>" with '/' separators (and an optional "/name"). */
static char *rel_path(const char *path, const char *name)
{
	char *r;
	if (asprintf(&r, "registry%s%s", *path ? "/" : "", path) < 0)
		return NULL;
	for (char *c = r; *c; c++)
		if (*c == '\\')
			*c = '/';
	/* A value's name is one file name ('\\' is an ordinary character
	 * in it). */
	char *full;
	if (name && asprintf(&full, "%s/%s", r, name) >= 0) {
		free(r);
		return full;
	}
	if (name) {
		free(r);
		return NULL;
	}
	return r;
}

/* A value name the mount can hold: a file name. */
static bool value_name_ok(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* The key path of sub below key path base; validates sub (no leading '\',
 * no '/', no empty, "." or ".." components: a key handle never leaves the
 * registry). */
static int sub_path(const char *base, const char *sub, char **ret)
{
	if (sub[0] == '\\' || strchr(sub, '/'))
		return -EINVAL;
	size_t n = strlen(sub);
	while (n && sub[n - 1] == '\\')
		n--;
	for (size_t i = 0; i + 1 < n; i++)
		if (sub[i] == '\\' && sub[i + 1] == '\\')
			return -EINVAL;
	for (size_t i = 0; i < n;) {
		size_t k = i;
		while (k < n && sub[k] != '\\')
			k++;
		if ((k - i == 1 && sub[i] == '.') || (k - i == 2 && sub[i] == '.' && sub[i + 1] == '.'))
			return -EINVAL;
		i = k + 1;
	}
	if (asprintf(ret, "%s%s%.*s", base, *base && n ? "\\" : "", (int)n, sub) < 0)
		return -ENOMEM;
	return 0;
}

static int stat_rel(const char *mount, const char *rel, struct stat *st)
{
	char *p;
	if (asprintf(&p, "%s/%s", mount, rel) < 0)
		return -ENOMEM;
	int e = stat(p, st) < 0 ? -errno : 0;
	free(p);
	return e;
}

static int key_exists(const char *mount, const char *path)
{
	char *rel = rel_path(path, NULL);
	struct stat st;
	int e = rel ? stat_rel(mount, rel, &st) : -ENOMEM;
	free(rel);
	return e < 0 ? e : S_ISDIR(st.st_mode) ? 0 : -ENOENT;
}

/* Takes a key handle and converts a wide argument (may be NULL). */
static struct cl_obj *key_arg(HKEY hKey, LPCWSTR w, char **ret, DWORD *err)
{
	struct cl_obj *k = cl_handle_get((HANDLE)hKey, CL_KEY);
	if (!k) {
		*err = ERROR_INVALID_HANDLE;
		return NULL;
	}
	*ret = NULL;
	if (w && cl_wide_to_utf8(w, ret) < 0) {
		cl_obj_put(k);
		*err = ERROR_INVALID_PARAMETER;
		return NULL;
	}
	return k;
}

/* The key behind hKey (a reference) and its directory's status; NULL
 * with *err. */
static struct cl_obj *key_stat(HKEY hKey, struct stat *st, DWORD *err)
{
	char *unused;
	struct cl_obj *k = key_arg(hKey, NULL, &unused, err);
	if (!k)
		return NULL;
	char *rel = rel_path(k->u.key.path, NULL);
	int e = rel ? stat_rel(cl_mount_of(k), rel, st) : -ENOMEM;
	free(rel);
	if (e < 0) {
		*err = cl_win32(e, reg_errors);
		cl_obj_put(k);
		return NULL;
	}
	return k;
}

CL_EXPORT LONG WINAPI ClusterRegOpenKey(HKEY hKey, LPCWSTR lpszSubKey, REGSAM samDesired,
					PHKEY phkResult)
{
	if (!lpszSubKey || !phkResult)
		return (LONG)cl_set_error(ERROR_INVALID_PARAMETER);
	DWORD r;
	char *sub, *path = NULL;
	struct cl_obj *k = key_arg(hKey, lpszSubKey, &sub, &r);
	if (!k)
		return (LONG)cl_set_error(r);
	const char *mount = cl_mount_of(k);
	int e = sub_path(k->u.key.path, sub, &path);
	if (e == 0)
		e = key_exists(mount, path);
	if (e < 0) {
		r = cl_win32(e, reg_errors);
	} else {
		HKEY nk = cl_key_open(k->parent, path);
		r = nk ? ERROR_SUCCESS : GetLastError();
		if (nk)
			*phkResult = nk;
	}
	free(path);
	free(sub);
	cl_obj_put(k);
	return (LONG)cl_set_error(r);
}

CL_EXPORT LONG WINAPI ClusterRegCreateKey(HKEY hKey, LPCWSTR lpszSubKey, DWORD dwOptions,
					  REGSAM samDesired,
					  LPSECURITY_ATTRIBUTES lpSecurityAttributes,
					  PHKEY phkResult, LPDWORD lpdwDisposition)
{
	if (!lpszSubKey || !phkResult || (dwOptions & ~REG_OPTION_VOLATILE))
		return (LONG)cl_set_error(ERROR_INVALID_PARAMETER);
	DWORD r;
	char *sub, *path = NULL;
	struct cl_obj *k = key_arg(hKey, lpszSubKey, &sub, &r);
	if (!k)
		return (LONG)cl_set_error(r);
	const char *mount = cl_mount_of(k);
	int e = *sub ? sub_path(k->u.key.path, sub, &path) : -EINVAL;
	bool created = false;
	if (e == 0 && key_exists(mount, path) < 0) {
		/* Creates the missing keys along the path, in one transaction. */
		struct cl_cmdbuf b = {0};
		size_t base = strlen(k->u.key.path);
		for (char *c = path + base + (base ? 1 : 0); e == 0; c++) {
			if (*c != '\\' && *c)
				continue;
			char save = *c;
			*c = '\0';
			if (key_exists(mount, path) < 0)
				e = cl_cmd_append(&b, "reg-create-key", path, NULL);
			*c = save;
			if (!save)
				break;
		}
		e = e < 0 ? (free(b.buf), e) : cl_cmd_run(mount, &b);
		created = e == 0;
		if (e == -EEXIST)
			e = 0; /* created by someone else meanwhile */
	}
	if (e < 0) {
		r = cl_win32(e, reg_errors);
	} else {
		HKEY nk = cl_key_open(k->parent, path);
		r = nk ? ERROR_SUCCESS : GetLastError();
		if (nk) {
			*phkResult = nk;
			if (lpdwDisposition)
				*lpdwDisposition = created ? REG_CREATED_NEW_KEY : REG_OPENED_EXISTING_KEY;
		}
	}
	free(path);
	free(sub);
	cl_obj_put(k);
	return (LONG)cl_set_error(r);
}

CL_EXPORT LONG WINAPI ClusterRegDeleteKey(HKEY hKey, LPCWSTR lpszSubKey)
{
	if (!lpszSubKey)
		return (LONG)cl_set_error(ERROR_INVALID_PARAMETER);
	DWORD r;
	char *sub, *path = NULL;
	struct cl_obj *k = key_arg(hKey, lpszSubKey, &sub, &r);
	if (!k)
		return (LONG)cl_set_error(r);
	int e = *sub ? sub_path(k->u.key.path, sub, &path) : -EINVAL;
	if (e == 0)
		e = cl_control(cl_mount_of(k), "reg-delete-key", path, NULL);
	r = cl_win32(e, reg_errors);
	free(path);
	free(sub);
	cl_obj_put(k);
	return (LONG)cl_set_error(r);
}

CL_EXPORT LONG WINAPI ClusterRegCloseKey(HKEY hKey)
{
	struct cl_obj *o = cl_handle_take((HANDLE)hKey, CL_KEY);
	if (!o)
		return (LONG)cl_set_error(ERROR_INVALID_HANDLE);
	cl_notify_handle_closed(o);
	cl_obj_put(o);
	return (LONG)cl_set_error(ERROR_SUCCESS);
}

/* Windows data -> stored form (UTF-8 strings). */
static int to_stored(DWORD type, const BYTE *data, DWORD cb, char **ret, size_t *ret_len)
{
	size_t units = cb / 2;
	const BYTE *p = data;
	switch (type) {
	case REG_SZ:
	case REG_EXPAND_SZ:
	case REG_MULTI_SZ: {
		if (cb % 2)
			return -EINVAL;
		WCHAR *w = malloc((units + 2) * sizeof(WCHAR));
		if (!w)
			return -ENOMEM;
		for (size_t i = 0; i < units; i++)
			w[i] = (WCHAR)(p[2 * i] | p[2 * i + 1] << 8);
		w[units] = w[units + 1] = 0;
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		int e = f ? 0 : -ENOMEM;
		/* SZ: up to the first NUL. MULTI_SZ: strings until an empty one. */
		for (size_t i = 0; e == 0 && i < units && w[i];) {
			char *u;
			e = cl_wide_to_utf8(w + i, &u);
			if (e < 0)
				break;
			fputs(u, f);
			if (type == REG_MULTI_SZ)
				fputc('\0', f);
			free(u);
			if (type != REG_MULTI_SZ)
				break;
			i += ClusapiWideLen(w + i) + 1;
		}
		free(w);
		if (f)
			fclose(f);
		if (e < 0) {
			free(out);
			return e;
		}
		*ret = out;
		*ret_len = len;
		return 0;
	}
	case REG_DWORD:
	case REG_QWORD:
		if (cb != (type == REG_DWORD ? 4u : 8u))
			return -EINVAL;
		/* fall through */
	case REG_BINARY:
	case REG_NONE:
		if (!(*ret = malloc(cb ? cb : 1)))
			return -ENOMEM;
		if (cb)
			memcpy(*ret, data, cb);
		*ret_len = cb;
		return 0;
	default:
		return -EINVAL;
	}
}

CL_EXPORT DWORD WINAPI ClusterRegSetValue(HKEY hKey, LPCWSTR lpszValueName, DWORD dwType,
					  const BYTE *lpData, DWORD cbData)
{
	if (!lpszValueName || (!lpData && cbData))
		return cl_set_error(ERROR_INVALID_PARAMETER);
	DWORD r;
	char *name, *stored = NULL, type[16];
	struct cl_obj *k = key_arg(hKey, lpszValueName, &name, &r);
	if (!k)
		return cl_set_error(r);
	size_t len;
	int e = value_name_ok(name) ? to_stored(dwType, lpData, cbData, &stored, &len) : -EINVAL;
	if (e == 0) {
		struct cl_cmdbuf b = {0};
		snprintf(type, sizeof(type), "%u", dwType);
		e = cl_cmd_append(&b, "reg-set-raw", k->u.key.path, name, type, NULL);
		if (e == 0)
			e = cl_cmd_append_bytes(&b, stored, len);
		e = e < 0 ? (free(b.buf), e) : cl_cmd_run(cl_mount_of(k), &b);
	}
	r = cl_win32(e, reg_errors);
	free(stored);
	free(name);
	cl_obj_put(k);
	return cl_set_error(r);
}

CL_EXPORT DWORD WINAPI ClusterRegDeleteValue(HKEY hKey, LPCWSTR lpszValueName)
{
	if (!lpszValueName)
		return cl_set_error(ERROR_INVALID_PARAMETER);
	DWORD r;
	char *name;
	struct cl_obj *k = key_arg(hKey, lpszValueName, &name, &r);
	if (!k)
		return cl_set_error(r);
	int e = value_name_ok(name)
			? cl_control(cl_mount_of(k), "reg-delete", k->u.key.path, name, NULL)
			: -EINVAL;
	r = cl_win32(e, reg_errors);
	free(name);
	cl_obj_put(k);
	return cl_set_error(r);
}

/* Reads value name of key path: its type and its Windows form. */
static int read_value(const char *mount, const char *path, const char *name, DWORD *ret_type,
		      BYTE **ret, size_t *ret_len)
{
	char *rel = rel_path(path, name), *abs = NULL, tbuf[32], *text = NULL;
	if (!rel)
		return -ENOMEM;
	int e = asprintf(&abs, "%s/%s", mount, rel) < 0 ? -ENOMEM : 0;
	ssize_t tl = e == 0 ? getxattr(abs, XATTR_TYPE, tbuf, sizeof(tbuf) - 1) : -1;
	if (e == 0 && tl < 0)
		e = errno == ENODATA || errno == EISDIR ? -ENOENT : -errno;
	size_t len = 0;
	if (e == 0)
		e = cl_read(mount, rel, &text, &len);
	free(abs);
	free(rel);
	if (e < 0)
		return e == -EISDIR ? -ENOENT : e;
	tbuf[tl] = '\0';
	DWORD type = REG_NONE;
	static const struct {
		const char *name;
		DWORD type;
	} types[] = {{"REG_NONE", REG_NONE},	     {"REG_SZ", REG_SZ},
		     {"REG_EXPAND_SZ", REG_EXPAND_SZ}, {"REG_BINARY", REG_BINARY},
		     {"REG_DWORD", REG_DWORD},	     {"REG_MULTI_SZ", REG_MULTI_SZ},
		     {"REG_QWORD", REG_QWORD}};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(tbuf, types[i].name) == 0)
			type = types[i].type;
	BYTE *out = NULL;
	size_t n = 0;
	if (type == REG_SZ || type == REG_EXPAND_SZ || type == REG_MULTI_SZ) {
		/* Text form: the string and a newline, or one string per line. */
		if (len && text[len - 1] == '\n')
			text[--len] = '\0';
		if (type == REG_MULTI_SZ)
			for (size_t i = 0; i < len; i++)
				if (text[i] == '\n')
					text[i] = '\0';
		WCHAR *w;
		size_t units;
		e = cl_utf8_to_wide(text, len, &w, &units);
		if (e == 0) {
			/* + the NUL, and for MULTI_SZ the final empty string. */
			size_t total = units + 1 + (type == REG_MULTI_SZ && len ? 1 : 0);
			if (type == REG_MULTI_SZ && !len)
				total = 1;
			out = calloc(total, 2);
			for (size_t i = 0; out && i < units; i++) {
				out[2 * i] = (BYTE)(w[i] & 0xff);
				out[2 * i + 1] = (BYTE)(w[i] >> 8);
			}
			n = total * 2;
			free(w);
			e = out ? 0 : -ENOMEM;
		}
	} else if (type == REG_DWORD || type == REG_QWORD) {
		unsigned long long v = strtoull(text, NULL, 10);
		n = type == REG_DWORD ? 4 : 8;
		out = malloc(n);
		for (size_t i = 0; out && i < n; i++)
			out[i] = (BYTE)(v >> (8 * i));
		e = out ? 0 : -ENOMEM;
	} else {
		out = (BYTE *)text;
		text = NULL;
		n = len;
	}
	free(text);
	if (e < 0) {
		free(out);
		return e;
	}
	*ret_type = type;
	*ret = out;
	*ret_len = n;
	return 0;
}

/* Copies a value out with the cb convention. */
static DWORD copy_data(const BYTE *v, size_t n, LPBYTE data, LPDWORD cb)
{
	if (!cb)
		return data ? ERROR_INVALID_PARAMETER : ERROR_SUCCESS;
	DWORD r = ERROR_SUCCESS;
	if (data) {
		if (*cb < n)
			r = ERROR_MORE_DATA;
		else if (n)
			memcpy(data, v, n);
	}
	*cb = (DWORD)n;
	return r;
}

CL_EXPORT LONG WINAPI ClusterRegQueryValue(HKEY hKey, LPCWSTR lpszValueName,
					   LPDWORD lpdwValueType, LPBYTE lpData, LPDWORD lpcbData)
{
	if (!lpszValueName || (lpData && !lpcbData))
		return (LONG)cl_set_error(ERROR_INVALID_PARAMETER);
	DWORD r;
	char *name;
	struct cl_obj *k = key_arg(hKey, lpszValueName, &name, &r);
	if (!k)
		return (LONG)cl_set_error(r);
	DWORD type;
	BYTE *v = NULL;
	size_t n;
	int e = value_name_ok(name) ? read_value(cl_mount_of(k), k->u.key.path, name, &type, &v, &n)
				    : -EINVAL;
	if (e < 0) {
		r = cl_win32(e, reg_errors);
	} else {
		if (lpdwValueType)
			*lpdwValueType = type;
		r = copy_data(v, n, lpData, lpcbData);
	}
	free(v);
	free(name);
	cl_obj_put(k);
	return (LONG)cl_set_error(r);
}

/* The subkeys (dirs) or values (files) of a key, sorted. */
static int list_key(const char *mount, const char *path, bool dirs, char ***ret, size_t *ret_n)
{
	char *rel = rel_path(path, NULL), **v;
	size_t n;
	if (!rel)
		return -ENOMEM;
	int e = cl_list_dir(mount, rel, &v, &n);
	size_t k = 0;
	for (size_t i = 0; e == 0 && i < n; i++) {
		char *er = rel_path(path, v[i]);
		struct stat st;
		int se = er ? stat_rel(mount, er, &st) : -ENOMEM;
		free(er);
		if (se == 0 && S_ISDIR(st.st_mode) == dirs)
			v[k++] = v[i];
		else
			free(v[i]);
	}
	free(rel);
	if (e < 0)
		return e;
	*ret = v;
	*ret_n = k;
	return 0;
}

static void to_filetime(const struct timespec *ts, PFILETIME ft)
{
	uint64_t t = ((uint64_t)ts->tv_sec + 11644473600ull) * 10000000ull +
		     (uint64_t)ts->tv_nsec / 100;
	ft->dwLowDateTime = (DWORD)t;
	ft->dwHighDateTime = (DWORD)(t >> 32);
}

CL_EXPORT LONG WINAPI ClusterRegEnumKey(HKEY hKey, DWORD dwIndex, LPWSTR lpszName,
					LPDWORD lpcchName, PFILETIME lpftLastWriteTime)
{
	if (!lpcchName)
		return (LONG)cl_set_error(ERROR_INVALID_PARAMETER);
	DWORD r;
	char *unused, **v = NULL;
	size_t n = 0;
	struct cl_obj *k = key_arg(hKey, NULL, &unused, &r);
	if (!k)
		return (LONG)cl_set_error(r);
	const char *mount = cl_mount_of(k);
	int e = list_key(mount, k->u.key.path, true, &v, &n);
	if (e < 0) {
		r = cl_win32(e, reg_errors);
	} else if (dwIndex >= n) {
		r = ERROR_NO_MORE_ITEMS;
	} else {
		r = cl_copy_out(v[dwIndex], lpszName, lpcchName);
		char *path = NULL, *rel = NULL;
		struct stat st;
		if (r == ERROR_SUCCESS && lpftLastWriteTime &&
		    sub_path(k->u.key.path, v[dwIndex], &path) == 0 &&
		    (rel = rel_path(path, NULL)) && stat_rel(mount, rel, &st) == 0)
			to_filetime(&st.st_mtim, lpftLastWriteTime);
		free(rel);
		free(path);
	}
	cl_strv_free(v, n);
	cl_obj_put(k);
	return (LONG)cl_set_error(r);
}

CL_EXPORT DWORD WINAPI ClusterRegEnumValue(HKEY hKey, DWORD dwIndex, LPWSTR lpszValueName,
					   LPDWORD lpcchValueName, LPDWORD lpdwType,
					   LPBYTE lpData, LPDWORD lpcbData)
{
	if (!lpcchValueName || (lpData && !lpcbData))
		return cl_set_error(ERROR_INVALID_PARAMETER);
	DWORD r;
	char *unused, **v = NULL;
	size_t n = 0;
	struct cl_obj *k = key_arg(hKey, NULL, &unused, &r);
	if (!k)
		return cl_set_error(r);
	const char *mount = cl_mount_of(k);
	int e = list_key(mount, k->u.key.path, false, &v, &n);
	if (e < 0) {
		r = cl_win32(e, reg_errors);
	} else if (dwIndex >= n) {
		r = ERROR_NO_MORE_ITEMS;
	} else {
		DWORD type;
		BYTE *data = NULL;
		size_t len;
		e = read_value(mount, k->u.key.path, v[dwIndex], &type, &data, &len);
		if (e < 0) {
			r = cl_win32(e, reg_errors);
		} else {
			DWORD r1 = cl_copy_out(v[dwIndex], lpszValueName, lpcchValueName);
			DWORD r2 = copy_data(data, len, lpData, lpcbData);
			if (lpdwType)
				*lpdwType = type;
			r = r1 ? r1 : r2;
		}
		free(data);
	}
	cl_strv_free(v, n);
	cl_obj_put(k);
	return cl_set_error(r);
}

static DWORD wide_len(const char *s)
{
	WCHAR *w;
	size_t n = 0;
	if (cl_utf8_to_wide(s, strlen(s), &w, &n) == 0)
		free(w);
	return (DWORD)n;
}

static size_t sd_build(const struct stat *st, SECURITY_INFORMATION info, BYTE *out);

CL_EXPORT LONG WINAPI ClusterRegQueryInfoKey(HKEY hKey, LPDWORD lpcSubKeys,
					     LPDWORD lpcchMaxSubKeyLen, LPDWORD lpcValues,
					     LPDWORD lpcchMaxValueNameLen, LPDWORD lpcbMaxValueLen,
					     LPDWORD lpcbSecurityDescriptor,
					     PFILETIME lpftLastWriteTime)
{
	DWORD r;
	char **keys = NULL, **vals = NULL;
	size_t nk = 0, nv = 0;
	struct stat st;
	struct cl_obj *k = key_stat(hKey, &st, &r);
	if (!k)
		return (LONG)cl_set_error(r);
	const char *mount = cl_mount_of(k);
	int e = list_key(mount, k->u.key.path, true, &keys, &nk);
	if (e == 0)
		e = list_key(mount, k->u.key.path, false, &vals, &nv);
	if (e == 0) {
		DWORD mk = 0, mv = 0, mb = 0;
		for (size_t i = 0; i < nk; i++)
			mk = wide_len(keys[i]) > mk ? wide_len(keys[i]) : mk;
		for (size_t i = 0; i < nv; i++) {
			DWORD type;
			BYTE *d;
			size_t len;
			mv = wide_len(vals[i]) > mv ? wide_len(vals[i]) : mv;
			if (read_value(mount, k->u.key.path, vals[i], &type, &d, &len) == 0) {
				mb = len > mb ? (DWORD)len : mb;
				free(d);
			}
		}
		if (lpcSubKeys)
			*lpcSubKeys = (DWORD)nk;
		if (lpcchMaxSubKeyLen)
			*lpcchMaxSubKeyLen = mk;
		if (lpcValues)
			*lpcValues = (DWORD)nv;
		if (lpcchMaxValueNameLen)
			*lpcchMaxValueNameLen = mv;
		if (lpcbMaxValueLen)
			*lpcbMaxValueLen = mb;
		if (lpcbSecurityDescriptor)
			*lpcbSecurityDescriptor = (DWORD)sd_build(&st, 0xF, NULL);
		if (lpftLastWriteTime)
			to_filetime(&st.st_mtim, lpftLastWriteTime);
	}
	r = cl_win32(e, reg_errors);
	cl_strv_free(keys, nk);
	cl_strv_free(vals, nv);
	cl_obj_put(k);
	return (LONG)cl_set_error(r);
}

/* Security descriptors. A key's security is its directory's mode, owner
 * and group. It is shown as a self-relative descriptor whose owner is the
 * SID S-1-22-1-<uid>, whose group is S-1-22-2-<gid> (the "Unix user/group"
 * SIDs Samba uses), and whose DACL allows the owner, the group and
 * Everyone (S-1-1-0) what their permission bits allow: r = KEY_READ,
 * w = KEY_WRITE | DELETE. Setting takes the same form back. */
#define SE_DACL_PRESENT 0x0004
#define SE_SELF_RELATIVE 0x8000
#define DELETE_ACCESS 0x00010000u

static void put16(BYTE *p, uint16_t v)
{
	p[0] = (BYTE)v;
	p[1] = (BYTE)(v >> 8);
}

static void put32(BYTE *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get16(const BYTE *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const BYTE *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

/* Writes SID S-1-auth-sub0[-sub1] at out (if out); returns its size. */
static size_t sid_put(BYTE *out, uint8_t auth, int nsub, uint32_t sub0, uint32_t sub1)
{
	size_t n = 8 + 4 * (size_t)nsub;
	if (out) {
		memset(out, 0, 8);
		out[0] = 1;
		out[1] = (BYTE)nsub;
		out[7] = auth;
		put32(out + 8, sub0);
		if (nsub > 1)
			put32(out + 12, sub1);
	}
	return n;
}

static uint32_t mask_of(unsigned bits)
{
	return (bits & 4 ? KEY_READ : 0) | (bits & 2 ? KEY_WRITE | DELETE_ACCESS : 0);
}

static size_t sd_build(const struct stat *st, SECURITY_INFORMATION info, BYTE *out)
{
	size_t off = 20;
	uint32_t owner = 0, group = 0, dacl = 0;
	if (info & OWNER_SECURITY_INFORMATION) {
		owner = (uint32_t)off;
		off += sid_put(out ? out + off : NULL, 22, 2, 1, st->st_uid);
	}
	if (info & GROUP_SECURITY_INFORMATION) {
		group = (uint32_t)off;
		off += sid_put(out ? out + off : NULL, 22, 2, 2, st->st_gid);
	}
	if (info & DACL_SECURITY_INFORMATION) {
		dacl = (uint32_t)off;
		size_t acl = off;
		off += 8;
		const struct {
			uint32_t sub0;
			int nsub;
			unsigned bits;
			uint32_t id;
		} aces[] = {{1, 2, (st->st_mode >> 6) & 7, st->st_uid},
			    {2, 2, (st->st_mode >> 3) & 7, st->st_gid},
			    {0, 1, st->st_mode & 7, 0}};
		for (int i = 0; i < 3; i++) {
			size_t ace = off;
			uint8_t auth = aces[i].nsub == 1 ? 1 : 22;
			size_t sl = sid_put(out ? out + ace + 8 : NULL, auth, aces[i].nsub,
					    aces[i].sub0, aces[i].id);
			if (out) {
				out[ace] = 0; /* ACCESS_ALLOWED_ACE_TYPE */
				out[ace + 1] = 0;
				put16(out + ace + 2, (uint16_t)(8 + sl));
				put32(out + ace + 4, mask_of(aces[i].bits));
			}
			off += 8 + sl;
		}
		if (out) {
			out[acl] = 2;
			out[acl + 1] = 0;
			put16(out + acl + 2, (uint16_t)(off - acl));
			put16(out + acl + 4, 3);
			put16(out + acl + 6, 0);
		}
	}
	if (out) {
		out[0] = 1;
		out[1] = 0;
		put16(out + 2, SE_SELF_RELATIVE | (dacl ? SE_DACL_PRESENT : 0));
		put32(out + 4, owner);
		put32(out + 8, group);
		put32(out + 12, 0);
		put32(out + 16, dacl);
	}
	return off;
}

CL_EXPORT LONG WINAPI ClusterRegGetKeySecurity(HKEY hKey,
					       SECURITY_INFORMATION RequestedInformation,
					       PSECURITY_DESCRIPTOR pSecurityDescriptor,
					       LPDWORD lpcbSecurityDescriptor)
{
	if (!lpcbSecurityDescriptor)
		return (LONG)cl_set_error(ERROR_INVALID_PARAMETER);
	DWORD r;
	struct stat st;
	struct cl_obj *k = key_stat(hKey, &st, &r);
	if (!k)
		return (LONG)cl_set_error(r);
	size_t need = sd_build(&st, RequestedInformation, NULL);
	if (!pSecurityDescriptor || *lpcbSecurityDescriptor < need) {
		r = ERROR_INSUFFICIENT_BUFFER;
	} else {
		sd_build(&st, RequestedInformation, pSecurityDescriptor);
		r = ERROR_SUCCESS;
	}
	*lpcbSecurityDescriptor = (DWORD)need;
	cl_obj_put(k);
	return (LONG)cl_set_error(r);
}

/* Reads a SID at off: S-1-22-{1,2}-id or S-1-1-0. Returns 0 and the kind
 * (1 user, 2 group, 0 everyone) or -EINVAL. */
static int sid_get(const BYTE *sd, size_t size, size_t off, int *kind, uint32_t *id)
{
	if (off < 20 || off + 8 > size || sd[off] != 1)
		return -EINVAL;
	int nsub = sd[off + 1];
	if (nsub > 15 || off + 8 + 4 * (size_t)nsub > size)
		return -EINVAL;
	if (sd[off + 7] == 22 && nsub == 2 && (get32(sd + off + 8) == 1 || get32(sd + off + 8) == 2)) {
		*kind = (int)get32(sd + off + 8);
		*id = get32(sd + off + 12);
		return 0;
	}
	if (sd[off + 7] == 1 && nsub == 1 && get32(sd + off + 8) == 0) {
		*kind = 0;
		*id = 0;
		return 0;
	}
	return -EINVAL;
}

CL_EXPORT LONG WINAPI ClusterRegSetKeySecurity(HKEY hKey, SECURITY_INFORMATION SecurityInformation,
					       PSECURITY_DESCRIPTOR pSecurityDescriptor)
{
	const BYTE *sd = pSecurityDescriptor;
	if (!sd || !(SecurityInformation & (OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION |
					    DACL_SECURITY_INFORMATION)) ||
	    (SecurityInformation & SACL_SECURITY_INFORMATION) || sd[0] != 1 ||
	    !(get16(sd + 2) & SE_SELF_RELATIVE))
		return (LONG)cl_set_error(ERROR_INVALID_PARAMETER);
	DWORD r;
	struct stat st;
	struct cl_obj *k = key_stat(hKey, &st, &r);
	if (!k)
		return (LONG)cl_set_error(r);
	int e = 0;
	uint32_t uid = st.st_uid, gid = st.st_gid, mode = st.st_mode & 07777;
	/* The caller gives no size: every offset and length is checked
	 * against the structure it lies in, and nothing reaches past the
	 * largest descriptor there can be (64 KiB). */
	const size_t size = 1u << 16;
	int kind;
	uint32_t id;
	if (e == 0 && (SecurityInformation & OWNER_SECURITY_INFORMATION))
		e = sid_get(sd, size, get32(sd + 4), &kind, &id) == 0 && kind == 1 ? (uid = id, 0)
										    : -EINVAL;
	if (e == 0 && (SecurityInformation & GROUP_SECURITY_INFORMATION))
		e = sid_get(sd, size, get32(sd + 8), &kind, &id) == 0 && kind == 2 ? (gid = id, 0)
										    : -EINVAL;
	if (e == 0 && (SecurityInformation & DACL_SECURITY_INFORMATION)) {
		size_t acl = get32(sd + 16), end = 0;
		if (!(get16(sd + 2) & SE_DACL_PRESENT) || acl < 20 || acl + 8 > size || sd[acl] != 2 ||
		    get16(sd + acl + 2) < 8 || (end = acl + get16(sd + acl + 2)) > size) {
			e = -EINVAL;
		} else {
			mode &= ~0777u;
			size_t off = acl + 8;
			for (unsigned i = 0; e == 0 && i < get16(sd + acl + 4); i++) {
				size_t ace_size = off + 4 <= end ? get16(sd + off + 2) : 0;
				if (ace_size < 8 + 12 || off + ace_size > end || sd[off] != 0 ||
				    sid_get(sd, off + ace_size, off + 8, &kind, &id) < 0) {
					e = -EINVAL;
					break;
				}
				uint32_t mask = get32(sd + off + 4);
				unsigned bits = (mask & KEY_QUERY_VALUE ? 5 : 0) |
						(mask & KEY_SET_VALUE ? 2 : 0);
				/* An ACE for another user or group than the owner's
				 * cannot be expressed as a mode. */
				if ((kind == 1 && id != uid) || (kind == 2 && id != gid))
					e = -EINVAL;
				mode |= kind == 1 ? bits << 6 : kind == 2 ? bits << 3 : bits;
				off += ace_size;
			}
		}
	}
	if (e == 0) {
		char m[16], u[16], g[16];
		snprintf(m, sizeof(m), "%o", mode);
		snprintf(u, sizeof(u), "%u", uid);
		snprintf(g, sizeof(g), "%u", gid);
		e = cl_control(cl_mount_of(k), "reg-security", k->u.key.path, m, u, g, NULL);
	}
	r = cl_win32(e, reg_errors);
	cl_obj_put(k);
	return (LONG)cl_set_error(r);
}
