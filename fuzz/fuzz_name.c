/* SPDX-License-Identifier: MIT */
/* Names (cfs_reg_check_name, core/registry.h) and registry paths
 * (cfs_reg_lookup). The input, up to its first NUL (a file name has
 * none), is checked as a key name and as a value name, then used: as a
 * key and a value of a small registry, and as a path.
 * Properties: an accepted name obeys the documented rule (1..255 bytes of
 * UTF-8, no control character, no '/', no '\' in a key, not "." or "..");
 * a key name is also a value name; a key made under it is found again by
 * its name and by its path; a value likewise; the registry stays as it was
 * once they are removed. */
#include <errno.h>

#include "cfs_limits.h"
#include "fuzz.h"
#include "registry.h"

static struct cfs_registry reg;
static struct cfs_key *sub;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct cfs_key *a;
	if (cfs_reg_init(&reg) < 0 ||
	    cfs_reg_add_key(&reg, reg.root, 0, "a", 0755, 0, 0, 0, &a) < 0 ||
	    cfs_reg_add_key(&reg, a, 0, "b", 0755, 0, 0, 0, &sub) < 0 ||
	    cfs_reg_set_value(&reg, a, 0, "v", 1, "x", 1, 0, NULL) < 0)
		abort();
	return 0;
}

static bool follows_rule(const char *s, bool is_key)
{
	size_t n = strlen(s);
	if (n == 0 || n > CFS_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/' || (is_key && *p == '\\'))
			return false;
	return cfs_utf8_valid(s, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = data ? (const char *)data : "";
	char *name = fuzz_str(in, strnlen(in, size));
	size_t entries = cfs_reg_entries(&reg);
	int rk = cfs_reg_check_name(name, true), rv = cfs_reg_check_name(name, false);
	FUZZ_CHECK(rk == 0 || rk == -EINVAL || rk == -ENAMETOOLONG);
	FUZZ_CHECK(rv == 0 || rv == -EINVAL || rv == -ENAMETOOLONG);
	FUZZ_CHECK((rk == 0) == follows_rule(name, true));
	FUZZ_CHECK((rv == 0) == follows_rule(name, false));
	FUZZ_CHECK(rk != 0 || rv == 0);
	FUZZ_CHECK((rk == -ENAMETOOLONG) == (strlen(name) > CFS_NAME_MAX));

	struct cfs_key *k = NULL, *found = NULL;
	if (rk == 0) {
		int r = cfs_reg_add_key(&reg, sub, 0, name, 0700, 1, 1, 0, &k);
		FUZZ_CHECK(r == 0); /* sub has no subkeys between runs */
		FUZZ_CHECK(cfs_key_subkey(sub, name) == k);
		struct cfs_buf path = {0};
		FUZZ_CHECK(cfs_key_path(k, &path) == 0);
		FUZZ_CHECK(cfs_reg_lookup(&reg, path.data, &found) == 0 && found == k);
		cfs_buf_free(&path);
		FUZZ_CHECK(cfs_reg_key(&reg, k->id) == k);
		cfs_reg_remove_key(&reg, k);
	}
	if (rv == 0) {
		struct cfs_value *v = NULL;
		int r = cfs_reg_set_value(&reg, sub, 0, name, 3, name, strlen(name), 0, &v);
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(cfs_key_value(sub, name) == v && cfs_reg_value(&reg, v->id) == v);
		cfs_reg_remove_value(&reg, v);
	}
	FUZZ_CHECK(cfs_reg_entries(&reg) == entries);
	/* As a path: only the keys that exist resolve. */
	if (cfs_reg_lookup(&reg, name, &found) == 0)
		FUZZ_CHECK(found == reg.root || found == sub || found == sub->parent);
	free(name);
	return 0;
}
