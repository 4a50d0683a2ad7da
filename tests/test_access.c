/* SPDX-License-Identifier: MIT */
/* Tests of access.h: which bits a security grants whom, the rule of
 * search on every key above and read on the key, and which records a
 * reader may see (current security, the record's own once the key is
 * gone, none after a restart). */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "model.h"

static struct cfs_model m;
static struct cfs_cred nobody, member, owner, admin;

static void setup(void)
{
	cr_assert_eq(cfs_model_init(&m), 0);
	uint32_t g4242 = 4242;
	cr_assert_eq(cfs_cred_init(&nobody, 65534, 65534, NULL, 0, 0), 0);
	cr_assert_eq(cfs_cred_init(&member, 65534, 65534, &g4242, 1, 0), 0);
	cr_assert_eq(cfs_cred_init(&owner, 1000, 1000, NULL, 0, 0), 0);
	cr_assert_eq(cfs_cred_init(&admin, 1000, 1000, &g4242, 1, 4242), 0);
}

static void teardown(void)
{
	cfs_model_free(&m);
	cfs_cred_free(&nobody);
	cfs_cred_free(&member);
	cfs_cred_free(&owner);
	cfs_cred_free(&admin);
}

TestSuite(access, .init = setup, .fini = teardown);

static struct cfs_key *key(struct cfs_key *parent, const char *name, uint32_t mode,
			   uint32_t uid, uint32_t gid)
{
	struct cfs_key *k;
	cr_assert_eq(cfs_reg_add_key(&m.reg, parent ? parent : m.reg.root, 0, name, mode, uid, gid,
				     0, &k),
		     0);
	return k;
}

Test(access, credentials)
{
	cr_assert_not(nobody.admin);
	cr_assert_not(member.admin);
	cr_assert(admin.admin, "a supplementary admin group makes an admin");
	struct cfs_cred root;
	cr_assert_eq(cfs_cred_init(&root, 0, 0, NULL, 0, 4242), 0);
	cr_assert(root.admin);
	cr_assert(cfs_cred_root().admin);
	struct cfs_cred copy;
	cr_assert_eq(cfs_cred_copy(&copy, &member), 0);
	cr_assert(cfs_cred_in_group(&copy, 4242));
	cr_assert(cfs_cred_in_group(&copy, 65534));
	cr_assert_not(cfs_cred_in_group(&copy, 0));
	cfs_cred_free(&copy);
	cfs_cred_free(&root);
	cfs_cred_free(NULL);
}

/* The owner's bits for the owner only, the group's for a member, the
 * others' for the rest, as the kernel picks them. */
Test(access, bits_as_the_kernel_picks_them)
{
	struct cfs_sec s = {0741, 1000, 4242};
	cr_assert_eq(cfs_sec_bits(&s, &owner), 7);
	cr_assert_eq(cfs_sec_bits(&s, &member), 4);
	cr_assert_eq(cfs_sec_bits(&s, &nobody), 1);
	cr_assert_eq(cfs_sec_bits(&s, &admin), 7);
	struct cfs_sec none_for_owner = {0077, 65534, 0};
	cr_assert_eq(cfs_sec_bits(&none_for_owner, &nobody), 0, "the owner gets its own bits only");
}

Test(access, search_above_and_read_on_the_key)
{
	struct cfs_key *open = key(NULL, "Open", 0755, 0, 0);
	struct cfs_key *vault = key(NULL, "Vault", 0700, 0, 0);
	struct cfs_key *inside = key(vault, "Pub", 0755, 0, 0);
	struct cfs_key *pass = key(NULL, "Pass", 0711, 0, 0);
	struct cfs_key *through = key(pass, "In", 0755, 0, 0);
	struct cfs_key *grp = key(NULL, "Grp", 0750, 0, 4242);
	cr_assert(cfs_key_readable(open, &nobody));
	cr_assert_not(cfs_key_readable(vault, &nobody));
	cr_assert_not(cfs_key_readable(inside, &nobody), "no search on the key above");
	cr_assert_not(cfs_key_readable(pass, &nobody), "search but no read");
	cr_assert(cfs_key_readable(through, &nobody));
	cr_assert_not(cfs_key_readable(grp, &nobody));
	cr_assert(cfs_key_readable(grp, &member));
	cr_assert(cfs_key_readable(vault, &admin));
	struct cfs_sec *chain;
	uint32_t n;
	cr_assert_eq(cfs_key_sec_chain(inside, &chain, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(chain[0].mode, m.reg.root->mode);
	cr_assert_eq(chain[1].mode, 0700);
	cr_assert_eq(chain[2].mode, 0755);
	cr_assert_not(cfs_sec_chain_readable(chain, n, &nobody));
	chain[1].mode = 0711;
	cr_assert(cfs_sec_chain_readable(chain, n, &nobody));
	cr_assert_not(cfs_sec_chain_readable(NULL, 0, &nobody), "no security known: admins only");
	cr_assert(cfs_sec_chain_readable(NULL, 0, &admin));
	free(chain);
}

Test(access, records)
{
	struct cfs_key *k = key(NULL, "K", 0755, 0, 0);
	struct cfs_record r = {.kind = CFS_KIND_REGISTRY, .change = CFS_CH_VALUE_SET,
			       .obj_id = "", .obj_name = "K", .parent_id = "", .key_id = k->id};
	cr_assert(cfs_record_visible(&m, &r, &nobody));
	k->mode = 0700;
	cr_assert_not(cfs_record_visible(&m, &r, &nobody), "the key's security now counts");
	cr_assert(cfs_record_visible(&m, &r, &admin));

	/* Gone: the record's own chain; none: admins only. */
	struct cfs_sec chain[2] = {{0755, 0, 0}, {0755, 0, 0}};
	struct cfs_record gone = r;
	gone.key_id = 999999;
	cr_assert_not(cfs_record_visible(&m, &gone, &nobody));
	gone.sec = chain;
	gone.nsec = 2;
	cr_assert(cfs_record_visible(&m, &gone, &nobody));

	/* After a restart: no key id, found by its path. */
	struct cfs_record reloaded = r;
	reloaded.key_id = 0;
	k->mode = 0755;
	cr_assert(cfs_record_visible(&m, &reloaded, &nobody));
	reloaded.obj_name = "Missing";
	cr_assert_not(cfs_record_visible(&m, &reloaded, &nobody));

	/* Objects: everyone, except property records on a closed key. */
	struct cfs_record obj = {.kind = CFS_KIND_GROUP, .change = CFS_CH_STATE, .key_id = k->id};
	k->mode = 0700;
	cr_assert(cfs_record_visible(&m, &obj, &nobody));
	obj.change = CFS_CH_PROPERTY;
	cr_assert_not(cfs_record_visible(&m, &obj, &nobody));
}
