/* SPDX-License-Identifier: MIT */
/* OCF agents as resource types: every executable OCF_ROOT/resource.d/
 * PROVIDER/AGENT is the type ocf:PROVIDER:AGENT, with its meta-data's
 * short description, parameters, start timeout (PendingTimeout) and
 * monitor interval (LooksAlivePollInterval). A type whose agent file is
 * unchanged (AgentStamp: its mtime and size) is not read again; a type
 * whose agent is gone is deleted when no resource uses it. */
#include "agent_scan.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "cmd.h"
#include "ocf_meta.h"
#include "proc.h"

struct found {
	char *name;  /* ocf:PROV:AGENT */
	char *path;
	char *stamp; /* "mtime size" */
};

static int add_found(struct cfs_vec *v, const char *prov, const char *agent, const char *path,
		     const struct stat *st)
{
	struct found *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (asprintf(&f->name, "ocf:%s:%s", prov, agent) < 0 || !(f->path = strdup(path)) ||
	    asprintf(&f->stamp, "%lld %lld",
		     (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec,
		     (long long)st->st_size) < 0 ||
	    cfs_vec_push(v, f) < 0) {
		free(f->name);
		free(f->path);
		free(f);
		return -ENOMEM;
	}
	return 0;
}

static void found_free(struct cfs_vec *v)
{
	for (size_t i = 0; i < v->n; i++) {
		struct found *f = v->v[i];
		free(f->name);
		free(f->path);
		free(f->stamp);
		free(f);
	}
	cfs_vec_free(v);
}

static bool good_name(const char *s)
{
	if (!*s || s[0] == '.' || strlen(s) > 100)
		return false;
	for (; *s; s++)
		if (*s == ':' || *s == '/' || *s == '\\' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

/* Every agent under root/resource.d (providers are its directories). */
static int list_agents(const char *root, struct cfs_vec *out)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/resource.d", root);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *pe;
	int r = 0;
	while (r == 0 && (pe = readdir(d))) {
		char pdir[4096 + 256];
		struct stat st;
		snprintf(pdir, sizeof(pdir), "%s/%s", dir, pe->d_name);
		if (!good_name(pe->d_name) || stat(pdir, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		DIR *p = opendir(pdir);
		struct dirent *ae;
		while (p && r == 0 && (ae = readdir(p))) {
			char path[4096 + 512];
			snprintf(path, sizeof(path), "%s/%s", pdir, ae->d_name);
			if (good_name(ae->d_name) && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			    access(path, X_OK) == 0)
				r = add_found(out, pe->d_name, ae->d_name, path, &st);
		}
		if (p)
			closedir(p);
	}
	closedir(d);
	return r;
}

/* type-agent for one agent, from its meta-data. */
static int describe(const char *root, const struct found *f, struct cfs_cmd **ret,
		    void (*log)(int, const char *, ...))
{
	char *env_root;
	if (asprintf(&env_root, "OCF_ROOT=%s", root) < 0)
		return -ENOMEM;
	char *argv[] = {f->path, "meta-data", NULL};
	char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			env_root, "OCF_RA_VERSION_MAJOR=1", "OCF_RA_VERSION_MINOR=1",
			"HA_LOGFACILITY=none", NULL};
	struct cfs_buf out = {0};
	int status = 1;
	int r = cfs_proc_run(argv, envp, "/", 10000, &out, &status, NULL);
	free(env_root);
	struct cfs_ocf_meta meta = {0};
	bool have = r == 0 && status == 0 && out.data &&
		    cfs_ocf_meta_parse(out.data, out.len, &meta) == 0;
	if (!have && log)
		log(LOG_WARNING, "agent %s: no usable meta-data; its parameters are not checked",
		    f->name);
	cfs_buf_free(&out);
	/* name dll description stamp pending monitor [param def]... */
	struct cfs_vec args = {0};
	struct cfs_vec owned = {0};
	char pending[32], monitor[32];
	snprintf(pending, sizeof(pending), "%u",
		 have && meta.start_ms >= 100 ? meta.start_ms : 180000);
	snprintf(monitor, sizeof(monitor), "%u", have ? meta.monitor_interval_ms : 0);
	if (have && !meta.monitor_interval_ms)
		snprintf(monitor, sizeof(monitor), "%u", 10000u);
	if (!have)
		snprintf(monitor, sizeof(monitor), "%u", 10000u);
	r = 0;
	const char *fixed[] = {f->name, f->path, have ? meta.shortdesc : "", f->stamp, pending,
			       monitor};
	for (size_t i = 0; r == 0 && i < CFS_ARRAY_SIZE(fixed); i++)
		r = cfs_vec_push(&args, (void *)fixed[i]);
	for (size_t i = 0; r == 0 && have && i < meta.nparams && i < CFS_LIST_MAX / 2 - 4; i++) {
		const struct cfs_param_def *d = &meta.params[i];
		if (cfs_reg_check_name(d->name, false) < 0)
			continue;
		struct cfs_buf b = {0};
		cfs_buf_printf(&b, "%s%s%s", d->content, d->required ? " required" : "",
			       d->unique ? " unique" : "");
		if (d->dflt && *d->dflt)
			cfs_buf_printf(&b, " default=%s", d->dflt);
		char *def = cfs_buf_steal(&b);
		if (!def || cfs_vec_push(&owned, def) < 0) {
			free(def);
			r = -ENOMEM;
			break;
		}
		if ((r = cfs_vec_push(&args, d->name)) == 0)
			r = cfs_vec_push(&args, def);
	}
	if (r == 0)
		r = cfs_cmd_new(ret, CFS_OP_TYPE_AGENT, (int)args.n, (const char *const *)args.v);
	for (size_t i = 0; i < owned.n; i++)
		free(owned.v[i]);
	cfs_vec_free(&owned);
	cfs_vec_free(&args);
	cfs_ocf_meta_free(&meta);
	return r;
}

int cfs_agent_scan(struct cfs_engine *e, const char *root, void (*log)(int, const char *, ...),
		   const volatile bool *stop)
{
	struct cfs_vec found = {0};
	int r = list_agents(root, &found);
	if (r < 0)
		goto out;
	/* What the cluster knows: each ocf: type's stamp, and whether a
	 * resource uses it. */
	struct cfs_vec stale = {0}, gone = {0};
	cfs_engine_rdlock(e);
	struct cfs_model *m = &e->model;
	for (size_t i = 0; i < found.n; i++) {
		struct found *f = found.v[i];
		struct cfs_object *t = cfs_model_by_name(m, CFS_KIND_RESTYPE, f->name);
		if (!t || strcmp(cfs_key_get_sz(t->key, CFS_P_AGENT_STAMP, NULL), f->stamp) != 0 ||
		    strcmp(cfs_key_get_sz(t->key, CFS_P_DLL_NAME, NULL), f->path) != 0)
			cfs_vec_push(&stale, f);
	}
	struct cfs_key *tc = m->coll[CFS_KIND_RESTYPE];
	for (size_t i = 0; i < tc->subkeys.n; i++) {
		struct cfs_object *t = ((struct cfs_key *)tc->subkeys.v[i])->obj;
		if (!t || strncmp(t->name, "ocf:", 4) != 0 ||
		    !cfs_key_value(t->key, CFS_P_AGENT_STAMP))
			continue;
		bool here = false;
		for (size_t j = 0; j < found.n && !here; j++)
			here = strcmp(((struct found *)found.v[j])->name, t->name) == 0;
		bool used = false;
		struct cfs_key *rc = m->coll[CFS_KIND_RESOURCE];
		for (size_t j = 0; j < rc->subkeys.n && !used; j++)
			used = strcmp(cfs_key_get_sz(rc->subkeys.v[j], CFS_P_TYPE, NULL),
				      cfs_obj_id(t)) == 0;
		char *name = !here && !used ? strdup(t->name) : NULL;
		if (name && cfs_vec_push(&gone, name) < 0)
			free(name);
	}
	cfs_engine_unlock(e);
	/* One command per agent: a bad one spoils nothing else. */
	for (size_t i = 0; i < stale.n && !*stop; i++) {
		struct found *f = stale.v[i];
		struct cfs_cmd *c;
		const char *why = NULL;
		if (describe(root, f, &c, log) < 0)
			continue;
		int q = cfs_engine_run(e, c, &why);
		if (q < 0 && log)
			log(LOG_WARNING, "agent %s: not registered: %s", f->name,
			    why ? why : strerror(-q));
	}
	for (size_t i = 0; i < gone.n; i++) {
		const char *a[] = {gone.v[i]};
		struct cfs_cmd *c;
		const char *why = NULL;
		if (!*stop && cfs_cmd_new(&c, CFS_OP_TYPE_DELETE, 1, a) == 0 &&
		    cfs_engine_run(e, c, &why) == 0 && log)
			log(LOG_INFO, "agent %s is gone: its type is deleted", (char *)gone.v[i]);
		free(gone.v[i]);
	}
	if (log && stale.n)
		log(LOG_INFO, "%zu OCF agent type(s) registered or updated from %s", stale.n, root);
	cfs_vec_free(&stale);
	cfs_vec_free(&gone);
out:
	found_free(&found);
	return r;
}
