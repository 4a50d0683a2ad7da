/* SPDX-License-Identifier: MIT */
/* libclusapi: the cluster database calls (ClusterReg*, Get*Key) against a
 * live mount, with their documented error codes. */
#include <sys/stat.h>

#include "clusapi_util.h"

TestSuite(clusreg, .init = cl_setup, .fini = teardown, .timeout = 60);

static HCLUSTER c;
static HKEY root;

static void open_root(void)
{
	c = OpenCluster(NULL);
	cr_assert_not_null(c);
	root = GetClusterKey(c, KEY_ALL_ACCESS);
	cr_assert_not_null(root);
}

static HKEY create(HKEY base, const char *sub, DWORD *disp)
{
	HKEY k = NULL;
	LONG r = ClusterRegCreateKey(base, W(sub), 0, KEY_ALL_ACCESS, NULL, &k, disp);
	cr_assert_eq(r, ERROR_SUCCESS, "create %s: %ld", sub, (long)r);
	return k;
}

Test(clusreg, create_open_delete_keys)
{
	open_root();
	DWORD disp = 0;
	HKEY a = create(root, "Soft\\A\\B", &disp);
	cr_assert_eq(disp, REG_CREATED_NEW_KEY);
	cr_assert_str_eq(shx("ls -d registry/Soft/A/B"), "registry/Soft/A/B");
	HKEY again = create(root, "Soft\\A\\B", &disp);
	cr_assert_eq(disp, REG_OPENED_EXISTING_KEY);
	HKEY k = NULL;
	cr_assert_eq(ClusterRegOpenKey(root, W("Soft\\A"), KEY_READ, &k), ERROR_SUCCESS);
	HKEY same = NULL;
	cr_assert_eq(ClusterRegOpenKey(k, W(""), KEY_READ, &same), ERROR_SUCCESS);
	cr_assert_eq(ClusterRegOpenKey(root, W("Soft\\Nope"), KEY_READ, &k), ERROR_FILE_NOT_FOUND);
	cr_assert_eq(ClusterRegOpenKey(root, W("\\Soft"), KEY_READ, &k), ERROR_INVALID_PARAMETER);
	cr_assert_eq(ClusterRegOpenKey(root, NULL, KEY_READ, &k), ERROR_INVALID_PARAMETER);
	/* A key handle never leaves the registry. */
	cr_assert_eq(ClusterRegOpenKey(root, W("Soft\\..\\..\\.."), KEY_READ, &k),
		     ERROR_INVALID_PARAMETER);
	cr_assert_eq(ClusterRegOpenKey(root, W("."), KEY_READ, &k), ERROR_INVALID_PARAMETER);
	cr_assert_eq(ClusterRegCreateKey(root, W("Soft\\..\\x"), 0, KEY_ALL_ACCESS, NULL, &k, NULL),
		     ERROR_INVALID_PARAMETER);
	/* A key with subkeys cannot be deleted. */
	cr_assert_eq(ClusterRegDeleteKey(root, W("Soft\\A")), ERROR_ACCESS_DENIED);
	cr_assert_eq(ClusterRegDeleteKey(root, W("Soft\\A\\B")), ERROR_SUCCESS);
	cr_assert_eq(ClusterRegDeleteKey(root, W("Soft\\A\\B")), ERROR_FILE_NOT_FOUND);
	cr_assert_eq(ClusterRegDeleteKey(same, W("")), ERROR_INVALID_PARAMETER);
	/* Structural keys are the cluster's. */
	cr_assert_eq(ClusterRegDeleteKey(root, W("Groups")), ERROR_ACCESS_DENIED);
	cr_assert_eq(ClusterRegCloseKey(a), ERROR_SUCCESS);
	cr_assert_eq(ClusterRegCloseKey(a), ERROR_INVALID_HANDLE);
	ClusterRegCloseKey(again);
	ClusterRegCloseKey(same);
	CloseCluster(c);
}

Test(clusreg, values_of_every_type_round_trip)
{
	open_root();
	HKEY k = create(root, "Soft", NULL);
	const WCHAR sz[] = u"h\u00e9llo";
	cr_assert_eq(ClusterRegSetValue(k, W("sz"), REG_SZ, (const BYTE *)sz, sizeof(sz)), 0);
	cr_assert_str_eq(shx("cat registry/Soft/sz"), "h\xc3\xa9llo");
	cr_assert_str_eq(shx("getfattr --only-values -n user.cluster.type registry/Soft/sz"), "REG_SZ");
	const WCHAR ex[] = u"%PATH%";
	cr_assert_eq(ClusterRegSetValue(k, W("ex"), REG_EXPAND_SZ, (const BYTE *)ex, sizeof(ex)), 0);
	const WCHAR multi[] = u"one\0two\0";
	cr_assert_eq(ClusterRegSetValue(k, W("multi"), REG_MULTI_SZ, (const BYTE *)multi, sizeof(multi)),
		     0);
	cr_assert_str_eq(shx("cat registry/Soft/multi | tr '\\n' ' '"), "one two ");
	DWORD dw = 4000000000u;
	cr_assert_eq(ClusterRegSetValue(k, W("dw"), REG_DWORD, (const BYTE *)&dw, 4), 0);
	cr_assert_str_eq(shx("cat registry/Soft/dw"), "4000000000");
	uint64_t qw = 1ull << 40;
	cr_assert_eq(ClusterRegSetValue(k, W("qw"), REG_QWORD, (const BYTE *)&qw, 8), 0);
	const BYTE bin[] = {0, 1, 2, 0xff, '\n', '"', '\\'};
	cr_assert_eq(ClusterRegSetValue(k, W("bin"), REG_BINARY, bin, sizeof(bin)), 0);
	cr_assert_str_eq(shx("od -An -tx1 registry/Soft/bin | tr -d ' \\n'"), "000102ff0a225c");
	/* Each reads back exactly as written. */
	struct {
		const char *name;
		DWORD type;
		const void *data;
		DWORD size;
	} v[] = {{"sz", REG_SZ, sz, sizeof(sz)},	    {"ex", REG_EXPAND_SZ, ex, sizeof(ex)},
		 {"multi", REG_MULTI_SZ, multi, sizeof(multi)}, {"dw", REG_DWORD, &dw, 4},
		 {"qw", REG_QWORD, &qw, 8},		    {"bin", REG_BINARY, bin, sizeof(bin)}};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		BYTE buf[64];
		DWORD type = 99, cb = sizeof(buf);
		cr_assert_eq(ClusterRegQueryValue(k, W(v[i].name), &type, buf, &cb), ERROR_SUCCESS);
		cr_assert_eq(type, v[i].type, "%s", v[i].name);
		cr_assert_eq(cb, v[i].size, "%s: %u", v[i].name, cb);
		cr_assert_arr_eq(buf, v[i].data, cb, "%s", v[i].name);
	}
	/* Size query, short buffer. */
	DWORD cb = 0;
	cr_assert_eq(ClusterRegQueryValue(k, W("sz"), NULL, NULL, &cb), ERROR_SUCCESS);
	cr_assert_eq(cb, sizeof(sz));
	BYTE small[2];
	cb = 2;
	cr_assert_eq(ClusterRegQueryValue(k, W("sz"), NULL, small, &cb), ERROR_MORE_DATA);
	cr_assert_eq(cb, sizeof(sz));
	cr_assert_eq(ClusterRegQueryValue(k, W("nope"), NULL, NULL, &cb), ERROR_FILE_NOT_FOUND);
	/* No default value; a value name is one name ('\\' is a character
	 * of it, '/' cannot be). */
	cr_assert_eq(ClusterRegQueryValue(k, W(""), NULL, NULL, &cb), ERROR_INVALID_PARAMETER);
	cr_assert_eq(ClusterRegDeleteValue(k, W("")), ERROR_INVALID_PARAMETER);
	cr_assert_eq(ClusterRegSetValue(k, W("a/b"), REG_DWORD, (const BYTE *)&dw, 4),
		     ERROR_INVALID_PARAMETER);
	cr_assert_eq(ClusterRegSetValue(k, W("a\\b"), REG_DWORD, (const BYTE *)&dw, 4), 0);
	cb = 4;
	DWORD back = 0;
	cr_assert_eq(ClusterRegQueryValue(k, W("a\\b"), NULL, (BYTE *)&back, &cb), ERROR_SUCCESS);
	cr_assert_eq(back, dw);
	cr_assert_eq(ClusterRegDeleteValue(k, W("a\\b")), ERROR_SUCCESS);
	/* Bad input changes nothing. */
	cr_assert_eq(ClusterRegSetValue(k, W("dw"), REG_DWORD, (const BYTE *)&dw, 3),
		     ERROR_INVALID_PARAMETER);
	cr_assert_eq(ClusterRegSetValue(k, W("x"), 99, (const BYTE *)&dw, 4), ERROR_INVALID_PARAMETER);
	cr_assert_eq(ClusterRegSetValue(k, W(""), REG_DWORD, (const BYTE *)&dw, 4),
		     ERROR_INVALID_PARAMETER);
	cr_assert_str_eq(shx("cat registry/Soft/dw"), "4000000000");
	cr_assert_str_eq(shx("ls registry/Soft | tr '\\n' ' '"), "bin dw ex multi qw sz ");
	/* A different type replaces the value. */
	cr_assert_eq(ClusterRegSetValue(k, W("dw"), REG_SZ, (const BYTE *)sz, sizeof(sz)), 0);
	cr_assert_str_eq(shx("getfattr --only-values -n user.cluster.type registry/Soft/dw"), "REG_SZ");
	cr_assert_eq(ClusterRegDeleteValue(k, W("dw")), ERROR_SUCCESS);
	cr_assert_eq(ClusterRegDeleteValue(k, W("dw")), ERROR_FILE_NOT_FOUND);
	ClusterRegCloseKey(k);
	CloseCluster(c);
}

Test(clusreg, enumerate_and_query_info)
{
	open_root();
	HKEY k = create(root, "Soft", NULL);
	ClusterRegCloseKey(create(k, "kb", NULL));
	ClusterRegCloseKey(create(k, "ka-longer", NULL));
	DWORD one = 1;
	const WCHAR s[] = u"twelve chars";
	ClusterRegSetValue(k, W("v1"), REG_DWORD, (const BYTE *)&one, 4);
	ClusterRegSetValue(k, W("value-two"), REG_SZ, (const BYTE *)s, sizeof(s));
	WCHAR name[64];
	DWORD cch = 64;
	FILETIME ft = {0, 0};
	cr_assert_eq(ClusterRegEnumKey(k, 0, name, &cch, &ft), ERROR_SUCCESS);
	cr_assert_str_eq(U(name), "ka-longer");
	cr_assert_eq(cch, 9);
	cr_assert_neq(ft.dwHighDateTime, 0);
	cch = 64;
	cr_assert_eq(ClusterRegEnumKey(k, 1, name, &cch, NULL), ERROR_SUCCESS);
	cr_assert_str_eq(U(name), "kb");
	cch = 64;
	cr_assert_eq(ClusterRegEnumKey(k, 2, name, &cch, NULL), ERROR_NO_MORE_ITEMS);
	cch = 3;
	cr_assert_eq(ClusterRegEnumKey(k, 0, name, &cch, NULL), ERROR_MORE_DATA);
	cr_assert_eq(cch, 9);
	BYTE data[64];
	DWORD type, cb = sizeof(data);
	cch = 64;
	cr_assert_eq(ClusterRegEnumValue(k, 0, name, &cch, &type, data, &cb), ERROR_SUCCESS);
	cr_assert_str_eq(U(name), "v1");
	cr_assert_eq(type, REG_DWORD);
	cr_assert_eq(cb, 4);
	cch = 64;
	cb = 2;
	cr_assert_eq(ClusterRegEnumValue(k, 1, name, &cch, &type, data, &cb), ERROR_MORE_DATA);
	cr_assert_eq(cb, sizeof(s));
	cch = 64;
	cr_assert_eq(ClusterRegEnumValue(k, 2, name, &cch, NULL, NULL, NULL), ERROR_NO_MORE_ITEMS);
	DWORD nk, mk, nv, mv, mb, sd;
	cr_assert_eq(ClusterRegQueryInfoKey(k, &nk, &mk, &nv, &mv, &mb, &sd, &ft), ERROR_SUCCESS);
	cr_assert_eq(nk, 2);
	cr_assert_eq(mk, 9);
	cr_assert_eq(nv, 2);
	cr_assert_eq(mv, 9);
	cr_assert_eq(mb, sizeof(s));
	cr_assert_gt(sd, 20);
	ClusterRegCloseKey(k);
	CloseCluster(c);
}

Test(clusreg, object_keys_and_managed_values)
{
	open_root();
	HGROUP g = CreateClusterGroup(c, W("web"));
	HKEY gk = GetClusterGroupKey(g, KEY_ALL_ACCESS);
	cr_assert_not_null(gk);
	WCHAR name[64];
	DWORD type, cb = sizeof(name);
	cr_assert_eq(ClusterRegQueryValue(gk, W("Name"), &type, (BYTE *)name, &cb), ERROR_SUCCESS);
	cr_assert_eq(type, REG_SZ);
	cr_assert_str_eq(U(name), "web");
	/* The cluster maintains Name; free values and subkeys are the user's. */
	const WCHAR x[] = u"x";
	cr_assert_eq(ClusterRegSetValue(gk, W("Name"), REG_SZ, (const BYTE *)x, sizeof(x)),
		     ERROR_ACCESS_DENIED);
	cr_assert_eq(ClusterRegSetValue(gk, W("Notes"), REG_SZ, (const BYTE *)x, sizeof(x)), 0);
	HKEY params = create(gk, "Parameters", NULL);
	ClusterRegCloseKey(params);
	HNODE n = OpenClusterNode(c, W(host()));
	HKEY nk = GetClusterNodeKey(n, KEY_READ);
	DWORD num = 0;
	cb = 4;
	cr_assert_eq(ClusterRegQueryValue(nk, W("NodeNumber"), &type, (BYTE *)&num, &cb), 0);
	cr_assert_eq(num, 1);
	HRESOURCE r = OpenClusterResource(c, W("Cluster Name"));
	HKEY rk = GetClusterResourceKey(r, KEY_READ);
	cr_assert_not_null(rk);
	cr_assert_null(GetClusterGroupKey((HGROUP)r, KEY_READ));
	cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
	CloseCluster(c);
	/* Keys die with their cluster handle. */
	cb = 4;
	cr_assert_eq(ClusterRegQueryValue(nk, W("NodeNumber"), NULL, NULL, &cb), ERROR_INVALID_HANDLE);
}

Test(clusreg, key_security)
{
	open_root();
	HKEY k = create(root, "Sec", NULL);
	shx("chmod 0750 registry/Sec && chown 12:34 registry/Sec");
	DWORD cb = 0;
	cr_assert_eq(ClusterRegGetKeySecurity(k, OWNER_SECURITY_INFORMATION |
						 GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
					      NULL, &cb),
		     ERROR_INSUFFICIENT_BUFFER);
	BYTE sd[256];
	cr_assert_leq(cb, sizeof(sd));
	cr_assert_eq(ClusterRegGetKeySecurity(k, 0x7, sd, &cb), ERROR_SUCCESS);
	/* Self-relative, owner S-1-22-1-12, group S-1-22-2-34. */
	cr_assert_eq(sd[0], 1);
	uint32_t owner = sd[4] | sd[5] << 8, group = sd[8] | sd[9] << 8;
	cr_assert_eq(sd[owner + 7], 22);
	cr_assert_eq(sd[owner + 12], 12);
	cr_assert_eq(sd[group + 8], 2);
	cr_assert_eq(sd[group + 12], 34);
	/* Setting it back with the DACL of another mode changes the mode:
	 * grant Everyone read by rewriting the third ACE's mask. */
	uint32_t dacl = sd[16] | sd[17] << 8;
	size_t ace = dacl + 8;
	ace += sd[ace + 2] | sd[ace + 3] << 8;
	ace += sd[ace + 2] | sd[ace + 3] << 8;
	sd[ace + 4] = KEY_READ & 0xff;
	sd[ace + 5] = (KEY_READ >> 8) & 0xff;
	sd[ace + 6] = (KEY_READ >> 16) & 0xff;
	cr_assert_eq(ClusterRegSetKeySecurity(k, DACL_SECURITY_INFORMATION, sd), ERROR_SUCCESS);
	cr_assert_str_eq(shx("stat -c '%%a %%u %%g' registry/Sec"), "755 12 34");
	/* Owner and group come from the S-1-22 SIDs. */
	sd[owner + 12] = 56;
	cr_assert_eq(ClusterRegSetKeySecurity(k, OWNER_SECURITY_INFORMATION, sd), ERROR_SUCCESS);
	cr_assert_str_eq(shx("stat -c '%%a %%u %%g' registry/Sec"), "755 56 34");
	/* A SID with no Unix meaning is refused and changes nothing. */
	sd[owner + 7] = 5;
	cr_assert_eq(ClusterRegSetKeySecurity(k, OWNER_SECURITY_INFORMATION, sd),
		     ERROR_INVALID_PARAMETER);
	cr_assert_eq(ClusterRegSetKeySecurity(k, SACL_SECURITY_INFORMATION, sd),
		     ERROR_INVALID_PARAMETER);
	/* Offsets and sizes that leave the descriptor are refused, not
	 * followed. */
	BYTE bad[20] = {1, 0, 0x04, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40};
	cr_assert_eq(ClusterRegSetKeySecurity(k, DACL_SECURITY_INFORMATION, bad),
		     ERROR_INVALID_PARAMETER);
	sd[4] = 0xff;
	sd[5] = 0xff;
	cr_assert_eq(ClusterRegSetKeySecurity(k, OWNER_SECURITY_INFORMATION, sd),
		     ERROR_INVALID_PARAMETER);
	sd[ace + 2] = 0; /* an ACE of size 0 */
	sd[ace + 3] = 0;
	cr_assert_eq(ClusterRegSetKeySecurity(k, DACL_SECURITY_INFORMATION, sd),
		     ERROR_INVALID_PARAMETER);
	cr_assert_str_eq(shx("stat -c '%%a %%u %%g' registry/Sec"), "755 56 34");
	ClusterRegCloseKey(k);
	CloseCluster(c);
}
