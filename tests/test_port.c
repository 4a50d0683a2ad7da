/* SPDX-License-Identifier: MIT */
/* Tests of port.h: notification ports without FUSE (README "Ports").
 *
 * core/port*.c read three things of the engine: its journal (the records), its
 * model under the read lock (snapshots, and what a reader that is not an
 * admin may see: access.h) and applied_seq (where a snapshot ends). The
 * fixture gives it a stand-in engine with exactly those, fed by a small
 * committer of its own: commands applied through a transaction, their
 * records published, applied_seq moved; or records published directly,
 * when a test needs many of them (overflow). The store and the committer
 * thread are not involved.
 *
 * Readers and ports carry credentials: most cases use an admin's, which
 * sees everything and has no quota; the cases at the end use users' (what
 * they see, their quotas, the expiry of their ports).
 *
 * What fs/ does on top (blocking reads, poll, wait/wake) is covered by
 * test_notify_ports.c on a mount; here: named ports and their files,
 * durability across close and open, readers in order, filters as a port
 * uses them, cfs_reader_take's -EAGAIN, whole lines and buffer sizes,
 * seekable readers, start modes and their parsing, positions, overflow,
 * snapshots, stats and limits. The ports directory's writes and syncs
 * are failed with fault_inject.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_tmp.h"
#include "apply.h"
#include "fault_inject.h"
#include "port.h"
#include "value.h"

static char dir[64];
static struct cfs_engine *eng; /* the stand-in */
static struct cfs_ports ps;
static bool ps_open;
static struct cfs_vec readers; /* open readers, closed by the fixture */
static struct cfs_vec garbage;
/* The limits the ports are opened with (a test may change them and open
 * the ports again). */
static struct cfs_port_limits lim;
/* adm: an admin by its supplementary group (not root: uid 1000), whose
 * ports and readers no quota limits and which sees every record; most
 * cases use it. usr and other: users with quotas, who see what the
 * registry's security lets them read (access.h). */
#define ADMIN_GID 4242
static struct cfs_cred adm, usr, other;

static char *gc(char *p)
{
	cr_assert_not_null(p);
	cr_assert_eq(cfs_vec_push(&garbage, p), 0);
	return p;
}

static void engine_new(void)
{
	eng = calloc(1, sizeof(*eng));
	cr_assert_not_null(eng);
	pthread_rwlock_init(&eng->lock, NULL);
	cr_assert_eq(cfs_model_init(&eng->model), 0);
	cr_assert_eq(cfs_journal_init(&eng->journal, 1), 0);
	eng->applied_seq = 1;
}

static void engine_free(void)
{
	if (!eng)
		return;
	cfs_journal_free(&eng->journal);
	cfs_model_free(&eng->model);
	pthread_rwlock_destroy(&eng->lock);
	free(eng);
	eng = NULL;
}

static void open_ports(void)
{
	int r = cfs_ports_open(&ps, eng, dir, &lim);
	ps_open = true;
	cr_assert_eq(r, 0, "cfs_ports_open: %d", r);
}

static void close_ports(void)
{
	for (size_t i = readers.n; i-- > 0;)
		cfs_reader_close(&ps, readers.v[i]);
	readers.n = 0;
	if (ps_open)
		cfs_ports_close(&ps);
	ps_open = false;
}

static void setup_in(const char *base)
{
	snprintf(dir, sizeof(dir), "%s/cfs-port-test-XXXXXX", base);
	cr_assert_not_null(mkdtemp(dir));
	uint32_t g = ADMIN_GID;
	cr_assert_eq(cfs_cred_init(&adm, 1000, 1000, &g, 1, ADMIN_GID), 0);
	cr_assert_eq(cfs_cred_init(&usr, 65534, 65534, NULL, 0, ADMIN_GID), 0);
	cr_assert_eq(cfs_cred_init(&other, 65533, 65533, NULL, 0, ADMIN_GID), 0);
	cr_assert(adm.admin && !usr.admin && !other.admin);
	lim = CFS_PORT_LIMITS_DEFAULT;
	engine_new();
	open_ports();
}

static void setup(void)
{
	setup_in("/tmp");
}

static void teardown(void)
{
	fi_disarm();
	close_ports();
	cfs_vec_free(&readers);
	engine_free();
	cfs_cred_free(&adm);
	cfs_cred_free(&usr);
	cfs_cred_free(&other);
	for (size_t i = 0; i < garbage.n; i++)
		free(garbage.v[i]);
	cfs_vec_free(&garbage);
	if (dir[0])
		cfs_test_rm_rf(dir);
	dir[0] = '\0';
}

TestSuite(port, .init = setup, .fini = teardown, .timeout = 120);

/* ------------------------------------------------------------------ */
/* The stand-in engine's commits.                                      */

/* Applies the lines as one batch and moves applied_seq, as the engine's
 * committer does before its store commit; publish_batch() then publishes
 * the records, as it does after. */
static void apply_batch(const char *text, struct cfs_txn *t)
{
	const char *why = NULL;
	char *bad = NULL;
	int r = 0;
	pthread_rwlock_wrlock(&eng->lock);
	cfs_txn_init(t, &eng->model, eng->applied_seq);
	for (const char *p = text; *p && r == 0;) {
		size_t len = strcspn(p, "\n");
		struct cfs_cmd *c = NULL;
		if (len && (r = cfs_cmd_parse(p, len, &c, &why)) == 0) {
			cfs_cmd_stamp(c, 0, 0);
			r = cfs_apply(t, c, &why);
			cfs_cmd_free(c);
		}
		if (r < 0)
			bad = strndup(p, len);
		p += len + (p[len] == '\n');
	}
	if (r == 0)
		eng->applied_seq = t->next_seq;
	pthread_rwlock_unlock(&eng->lock);
	if (bad)
		gc(bad);
	if (r < 0)
		cfs_txn_free(t);
	cr_assert_eq(r, 0, "[%s]: %d (%s)", bad ? bad : "?", r, why ? why : "-");
}

static void publish_batch(struct cfs_txn *t)
{
	int r = cfs_journal_publish(&eng->journal, t->recs, t->nrecs);
	cfs_txn_forget(t);
	cfs_txn_free(t);
	cr_assert_eq(r, 0);
}

static void commit(const char *text)
{
	struct cfs_txn t;
	apply_batch(text, &t);
	publish_batch(&t);
}

/* Publishes n records directly: registry value_set records of key "Load",
 * value "vN" (N counting from the first), as fast as the ring takes them. */
static void publish(size_t n)
{
	enum { CHUNK = 4096 };
	struct cfs_record *recs = calloc(CHUNK, sizeof(*recs));
	char (*names)[24] = calloc(CHUNK, sizeof(*names));
	cr_assert(recs && names);
	for (size_t done = 0; done < n;) {
		size_t k = n - done < CHUNK ? n - done : CHUNK;
		uint64_t seq = cfs_journal_next_seq(&eng->journal);
		for (size_t i = 0; i < k; i++) {
			snprintf(names[i], sizeof(names[i]), "v%llu",
				 (unsigned long long)(seq + i));
			recs[i] = (struct cfs_record){.seq = seq + i,
						      .time_ns = 1000000000,
						      .kind = CFS_KIND_REGISTRY,
						      .change = CFS_CH_VALUE_SET,
						      .obj_id = "",
						      .obj_name = "Load",
						      .parent_id = "",
						      .prop = names[i],
						      .new_value = "x"};
		}
		cr_assert_eq(cfs_journal_publish(&eng->journal, recs, k), 0);
		pthread_rwlock_wrlock(&eng->lock);
		eng->applied_seq = seq + k;
		pthread_rwlock_unlock(&eng->lock);
		done += k;
	}
	free(recs);
	free(names);
}

static uint64_t next_seq(void)
{
	return cfs_journal_next_seq(&eng->journal);
}

/* ------------------------------------------------------------------ */
/* Ports and readers.                                                  */

static uint64_t create(const char *name)
{
	uint64_t id = 0;
	int r = cfs_port_create(&ps, name, &adm, &id);
	cr_assert_eq(r, 0, "create %s: %d", name, r);
	cr_assert_gt(id, 0);
	return id;
}

static struct cfs_reader *track(struct cfs_reader *rd)
{
	cr_assert_not_null(rd);
	cr_assert_eq(cfs_vec_push(&readers, rd), 0);
	return rd;
}

static struct cfs_reader *reader(uint64_t port_id)
{
	struct cfs_reader *rd = NULL;
	int r = cfs_reader_open(&ps, port_id, &adm, false, &rd);
	cr_assert_eq(r, 0, "open reader of port %llu: %d", (unsigned long long)port_id, r);
	return track(rd);
}

static struct cfs_reader *anon(void)
{
	struct cfs_reader *rd = NULL;
	cr_assert_eq(cfs_reader_open_anon(&ps, &adm, &rd), 0);
	return track(rd);
}

static void rd_close(struct cfs_reader *rd)
{
	cr_assert(cfs_vec_remove(&readers, rd));
	cfs_reader_close(&ps, rd);
}

static int rd_write(struct cfs_reader *rd, const char *text, const char **why)
{
	const char *w = NULL;
	int r = cfs_reader_write(&ps, rd, text, strlen(text), &w);
	if (why)
		*why = w;
	return r;
}

static void rd_write_ok(struct cfs_reader *rd, const char *text)
{
	const char *why = NULL;
	int r = rd_write(rd, text, &why);
	cr_assert_eq(r, 0, "[%s]: %d (%s)", text, r, why ? why : "-");
}

static void filter_ok(uint64_t id, const char *text)
{
	const char *why = NULL;
	int r = cfs_port_write_filter(&ps, id, &adm, text, strlen(text), &why);
	cr_assert_eq(r, 0, "filter [%s]: %d (%s)", text, r, why ? why : "-");
}

/* The same with credentials c: the result, and a tracked reader. */
static int reader_as(uint64_t port_id, const struct cfs_cred *c, bool seekable,
		     struct cfs_reader **ret)
{
	struct cfs_reader *rd = NULL;
	int r = cfs_reader_open(&ps, port_id, c, seekable, &rd);
	if (r == 0)
		*ret = track(rd);
	return r;
}

static int anon_as(const struct cfs_cred *c, struct cfs_reader **ret)
{
	struct cfs_reader *rd = NULL;
	int r = cfs_reader_open_anon(&ps, c, &rd);
	if (r == 0)
		*ret = track(rd);
	return r;
}

static int filter_as(uint64_t id, const struct cfs_cred *c, const char *text, const char **why)
{
	const char *w = NULL;
	int r = cfs_port_write_filter(&ps, id, c, text, strlen(text), &w);
	if (why)
		*why = w;
	return r;
}

/* A take at file offset off (a seekable reader's read after a seek). */
static ssize_t take_at(struct cfs_reader *rd, uint64_t off, char *buf, size_t size)
{
	pthread_mutex_lock(&ps.lock);
	ssize_t n = cfs_reader_take(&ps, rd, off, buf, size);
	pthread_mutex_unlock(&ps.lock);
	return n;
}

static ssize_t take(struct cfs_reader *rd, char *buf, size_t size)
{
	pthread_mutex_lock(&ps.lock);
	/* at the reader's own offset, as the kernel reads a stream */
	ssize_t n = cfs_reader_take(&ps, rd, rd->off, buf, size);
	pthread_mutex_unlock(&ps.lock);
	return n;
}

static bool ready(struct cfs_reader *rd)
{
	pthread_mutex_lock(&ps.lock);
	bool r = cfs_reader_ready(&ps, rd);
	pthread_mutex_unlock(&ps.lock);
	return r;
}

/* Everything a reader has now, read with size-byte takes; *ret_end is
 * set to the last take's result (-EAGAIN or 0 at end-of-file). Checks
 * that no take fills its buffer. */
static char *drain_by(struct cfs_reader *rd, size_t size, ssize_t *ret_end)
{
	struct cfs_buf b = {0};
	char *buf = malloc(size);
	cr_assert_not_null(buf);
	ssize_t n;
	while ((n = take(rd, buf, size)) > 0) {
		cr_assert_lt((size_t)n, size, "a take filled its buffer");
		cfs_buf_append(&b, buf, (size_t)n);
	}
	free(buf);
	if (ret_end)
		*ret_end = n;
	cfs_buf_append(&b, "", 0);
	return gc(cfs_buf_steal(&b));
}

static char *drain(struct cfs_reader *rd)
{
	ssize_t end;
	char *s = drain_by(rd, 1 << 20, &end);
	cr_assert_eq(end, -EAGAIN, "got %zd at the end", end);
	return s;
}

static char *render(uint64_t id, const char *file)
{
	struct cfs_buf b = {0};
	int r = cfs_port_render(&ps, id, file, &b);
	if (r < 0)
		cfs_buf_free(&b);
	cr_assert_eq(r, 0, "render %s: %d", file, r);
	cfs_buf_append(&b, "", 0);
	return gc(cfs_buf_steal(&b));
}

/* ------------------------------------------------------------------ */
/* Looking at JSON lines (flat objects; the tests' strings need no
 * escapes).                                                          */

static int nlines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Line i (0-based), without its newline. */
static char *line(const char *s, int i)
{
	for (; i > 0 && *s; s++)
		if (*s == '\n')
			i--;
	return gc(strndup(s, strcspn(s, "\n")));
}

static bool jnum(const char *l, const char *field, uint64_t *ret)
{
	char pat[40];
	snprintf(pat, sizeof(pat), "\"%s\":", field);
	const char *p = strstr(l, pat);
	if (!p || !(p[strlen(pat)] >= '0' && p[strlen(pat)] <= '9'))
		return false;
	*ret = strtoull(p + strlen(pat), NULL, 10);
	return true;
}

static uint64_t num(const char *l, const char *field)
{
	uint64_t v = 0;
	cr_assert(jnum(l, field, &v), "no number %s in %s", field, l);
	return v;
}

/* A string field, or "-" when the line has none. */
static char *str(const char *l, const char *field)
{
	char pat[40];
	snprintf(pat, sizeof(pat), "\"%s\":\"", field);
	const char *p = strstr(l, pat);
	if (!p)
		return "-";
	p += strlen(pat);
	struct cfs_buf b = {0};
	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		cfs_buf_append(&b, p, 1);
	}
	cfs_buf_append(&b, "", 0);
	return gc(cfs_buf_steal(&b));
}

/* "kind change name key=K" for each line: what the filter tables compare. */
static char *brief(const char *s)
{
	struct cfs_buf b = {0};
	for (int i = 0; i < nlines(s); i++) {
		char *l = line(s, i);
		uint64_t key;
		if (jnum(l, "key", &key))
			cfs_buf_printf(&b, "%s %s %s key=%llu\n", str(l, "kind"), str(l, "change"),
				       str(l, "name"), (unsigned long long)key);
		else
			cfs_buf_printf(&b, "%s %s %s key=-\n", str(l, "kind"), str(l, "change"),
				       str(l, "name"));
	}
	cfs_buf_append(&b, "", 0);
	return gc(cfs_buf_steal(&b));
}

/* Checks the lines are records with consecutive seqs from first. In one
 * pass and looking only at each line's start: some streams have 65,537
 * lines (and the sanitizer's strstr measures the whole rest each call). */
static void assert_seq_run(const char *s, uint64_t first, const char *what)
{
	static const char head[] = "{\"seq\":";
	uint64_t i = 0;
	for (const char *p = s; *p; i++) {
		size_t len = strcspn(p, "\n");
		bool ok = len > sizeof(head) && strncmp(p, head, sizeof(head) - 1) == 0 &&
			  strtoull(p + sizeof(head) - 1, NULL, 10) == first + i;
		cr_assert(ok, "%s: line %llu is %.*s", what, (unsigned long long)i, (int)len, p);
		p += len + (p[len] == '\n');
	}
}

/* ------------------------------------------------------------------ */
/* Named ports: creating, finding, removing, files.                    */

Test(port, create_and_find)
{
	uint64_t id = create("watch");
	cr_assert_eq(id, 1);
	pthread_mutex_lock(&ps.lock);
	struct cfs_port *p = cfs_port_find(&ps, "watch");
	bool same = p && cfs_port_by_id(&ps, id) == p;
	bool none = !cfs_port_by_id(&ps, 0) && !cfs_port_by_id(&ps, 99) &&
		    !cfs_port_find(&ps, "nosuch") && !cfs_port_find(&ps, "Watch");
	struct cfs_port copy = p ? *p : (struct cfs_port){0};
	pthread_mutex_unlock(&ps.lock);
	cr_assert_not_null(p);
	cr_assert(same);
	cr_assert(none);
	cr_assert_str_eq(copy.name, "watch");
	cr_assert_eq(copy.uid, 1000);
	cr_assert_eq(copy.filter.n, 0, "a new port has no registration");
	cr_assert_eq(copy.start, CFS_START_NOW);
	cr_assert_eq(copy.readers.n, 0);
	cr_assert_gt(copy.ctime_ns, 0);

	/* its file, private to the daemon */
	char path[128];
	snprintf(path, sizeof(path), "%s/ports/watch", dir);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s/ports", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700);

	cr_assert_eq(cfs_port_create(&ps, "watch", &adm, NULL), -EEXIST);
	cr_assert_eq(cfs_port_create(&ps, "clone", &adm, NULL), -EEXIST, "clone is taken");
	cr_assert_eq(cfs_port_create(&ps, "other", &adm, NULL), 0, "the id is optional");
	cr_assert_eq(create("third"), 3, "ids count up");
}

struct name_case {
	char name[300];
	int err;
};

static struct name_case name_cases[] = {
	{"", -EINVAL},	       {".", -EINVAL},	   {"..", -EINVAL},	  {"a/b", -EINVAL},
	{"a\\b", -EINVAL},     {"a\nb", -EINVAL},  {"\x01", -EINVAL},	  {"\xff", -EINVAL},
	{"", -ENAMETOOLONG}, /* 256 bytes, below */
	{"ok name", 0},	       {"caf\xc3\xa9", 0}, {"a.b", 0},		  {"clone2", 0},
	/* a dot file would not be loaded again (such files are leftovers) */
	{".hidden", -EINVAL},  {".p.tmp", -EINVAL},
	{"", 0}, /* 255 bytes, below */
};

ParameterizedTestParameters(port, names)
{
	size_t n = CFS_ARRAY_SIZE(name_cases);
	memset(name_cases[8].name, 'x', CFS_NAME_MAX + 1);
	memset(name_cases[n - 1].name, 'y', CFS_NAME_MAX);
	return cr_make_param_array(struct name_case, name_cases, n);
}

/* A port's name is a key name; a refused one leaves nothing behind. */
ParameterizedTest(struct name_case *nc, port, names)
{
	uint64_t id = 0;
	int r = cfs_port_create(&ps, nc->name, &adm, &id);
	cr_assert_eq(r, nc->err, "[%.20s...]: %d, want %d", nc->name, r, nc->err);
	char path[80];
	snprintf(path, sizeof(path), "%s/ports", dir);
	DIR *d = opendir(path);
	cr_assert_not_null(d);
	int files = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		files += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	cr_assert_eq(files, nc->err ? 0 : 1, "%d files in ports/", files);
	if (nc->err == 0) {
		/* and it is durable */
		close_ports();
		open_ports();
		pthread_mutex_lock(&ps.lock);
		struct cfs_port *p = cfs_port_find(&ps, nc->name);
		uint64_t got = p ? p->id : 0;
		pthread_mutex_unlock(&ps.lock);
		cr_assert_eq(got, id, "[%.20s...] did not survive a restart", nc->name);
	}
}

Test(port, remove)
{
	uint64_t id = create("p");
	struct cfs_reader *a = reader(id), *b = reader(id);
	filter_ok(id, "all");
	commit("node-add n1 1 10.0.0.1");
	cr_assert(ready(a));
	char buf[64];
	ssize_t part = take(a, buf, sizeof(buf));
	cr_assert_gt(part, 0);
	cr_assert_eq(cfs_port_remove(&ps, "p"), 0);
	pthread_mutex_lock(&ps.lock);
	bool gone = !cfs_port_find(&ps, "p") && !cfs_port_by_id(&ps, id);
	pthread_mutex_unlock(&ps.lock);
	cr_assert(gone);
	char path[80];
	snprintf(path, sizeof(path), "%s/ports/p", dir);
	cr_assert_eq(access(path, F_OK), -1, "the file is gone");

	/* a: what it had, then the closing record, then end-of-file */
	cr_assert(ready(a));
	ssize_t end;
	char *rest = drain_by(a, 1 << 16, &end);
	cr_assert_eq(end, 0, "end-of-file after the closing record");
	int n = nlines(rest);
	cr_assert_gt(n, 1);
	cr_assert_str_eq(line(rest, n - 1), "{\"change\":\"closed\",\"port\":\"p\"}");
	cr_assert_eq(take(a, buf, sizeof(buf)), 0, "and it stays at end-of-file");
	/* b: nothing taken yet; records committed before the removal and not
	 * formatted are not given any more: it closes at once */
	char *all_b = drain_by(b, 1 << 16, &end);
	cr_assert_eq(end, 0);
	cr_assert_str_eq(line(all_b, nlines(all_b) - 1), "{\"change\":\"closed\",\"port\":\"p\"}");
	cr_assert_eq(rd_write(b, "all", NULL), -EPIPE, "a closed port takes no lines");
	struct cfs_reader *c = NULL;
	cr_assert_eq(cfs_reader_open(&ps, id, &adm, false, &c), -ENOENT);
	cr_assert_eq(cfs_port_remove(&ps, "p"), -ENOENT);
	cr_assert_eq(cfs_port_remove(&ps, "nosuch"), -ENOENT);

	/* the name is free again, for a new port */
	uint64_t id2 = create("p");
	cr_assert_neq(id2, id);
	rd_close(a);
	rd_close(b);
	pthread_mutex_lock(&ps.lock);
	bool kept = cfs_port_by_id(&ps, id2) != NULL;
	pthread_mutex_unlock(&ps.lock);
	cr_assert(kept, "closing the old port's readers leaves the new port");
	cr_assert_eq(access(path, F_OK), 0);
}

/* Named ports survive a close and an open: id, filter, start, position;
 * new ids continue after the old ones; leftovers of interrupted saves are
 * ignored. */
Test(port, durable)
{
	uint64_t id = create("keep");
	create("gone");
	filter_ok(id, "kind=group,resource change=state key=7\n"
		      "\"registry=Soft ware\\\\x\" subtree\n"
		      "object=00000000-0000-4000-8000-000000000001 key=2\n"
		      "v2=group:0x8 key=3\nall key=4");
	cr_assert_eq(cfs_port_write_start(&ps, id, "42\n", 3), 0);
	char *filter = render(id, "filter");
	cr_assert_eq(nlines(filter), 5);
	cr_assert_eq(cfs_port_remove(&ps, "gone"), 0);
	/* position: a reader that read everything up to now */
	publish(5);
	struct cfs_reader *rd = reader(id);
	rd_write_ok(rd, "start 1");
	cr_assert_eq(nlines(drain(rd)), 5);
	rd_close(rd);
	char *stats = render(id, "stats");
	/* a save's temporary file is named after the port's id */
	char leftover[80];
	snprintf(leftover, sizeof(leftover), "%s/ports/.%llu.tmp", dir, (unsigned long long)id);
	int fd = open(leftover, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "id 99\n", 6), 6);
	close(fd);

	close_ports();
	open_ports();
	pthread_mutex_lock(&ps.lock);
	struct cfs_port *p = cfs_port_find(&ps, "keep");
	uint64_t got = p ? p->id : 0;
	uint32_t uid = p ? p->uid : 0;
	bool admin = p && p->admin;
	bool others = cfs_port_find(&ps, "gone") ||
		      cfs_port_find(&ps, strrchr(leftover, '/') + 1) || cfs_port_by_id(&ps, 99);
	pthread_mutex_unlock(&ps.lock);
	cr_assert_eq(got, id);
	cr_assert_eq(uid, 1000);
	cr_assert(admin, "an admin's port stays an admin's (no quota, no expiry)");
	cr_assert_not(others, "a removed port or a leftover came back");
	cr_assert_str_eq(render(id, "filter"), filter);
	cr_assert_str_eq(render(id, "start"), "42\n");
	cr_assert_str_eq(strstr(render(id, "stats"), "position"), strstr(stats, "position"));
	cr_assert_gt(create("new"), id, "ids continue after the ones on disk");
}

Test(port, load_refuses_a_file_without_id)
{
	char path[80];
	snprintf(path, sizeof(path), "%s/ports/bad", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "uid 1\nstart now 0\n", 18), 18);
	close(fd);
	close_ports();
	cr_assert_eq(cfs_ports_open(&ps, eng, dir, &lim), -EUCLEAN);
	ps_open = true;
}

/* A save that fails (its write or its fsync) fails the creation and
 * leaves no port and no file. */
Test(port, create_fails_with_the_disk)
{
	char prefix[80];
	snprintf(prefix, sizeof(prefix), "%s/ports/", dir);
	static const unsigned calls[] = {FI_WRITE, FI_FSYNC};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(calls); i++) {
		fi_arm(&(struct fi_plan){.calls = calls[i], .path_prefix = prefix, .times = 1});
		uint64_t id = 0;
		int r = cfs_port_create(&ps, "p", &adm, &id);
		unsigned injected = fi_injected();
		fi_disarm();
		cr_assert_eq(injected, 1, "case %zu: the fault was not hit", i);
		cr_assert_eq(r, -EIO, "case %zu: %d", i, r);
		pthread_mutex_lock(&ps.lock);
		bool none = !cfs_port_find(&ps, "p");
		pthread_mutex_unlock(&ps.lock);
		cr_assert(none);
		DIR *d = opendir(prefix);
		cr_assert_not_null(d);
		struct dirent *de;
		int files = 0;
		while ((de = readdir(d)))
			files += de->d_name[0] != '.' || strlen(de->d_name) > 2;
		closedir(d);
		cr_assert_eq(files, 0, "case %zu: a file was left", i);
	}
	create("p");
}

Test(port, limit_named_ports)
{
	/* 4096 durable creations: on tmpfs, where fsync costs nothing */
	if (access("/dev/shm", W_OK) == 0) {
		teardown();
		setup_in("/dev/shm");
	}
	for (int i = 0; i < CFS_PORTS_MAX; i++) {
		char name[16];
		snprintf(name, sizeof(name), "p%d", i);
		int r = cfs_port_create(&ps, name, &adm, NULL);
		cr_assert_eq(r, 0, "%s: %d", name, r);
	}
	cr_assert_eq(cfs_port_create(&ps, "onemore", &adm, NULL), -ENOSPC);
	/* anonymous ports do not count */
	anon();
	cr_assert_eq(cfs_port_remove(&ps, "p0"), 0);
	cr_assert_eq(cfs_port_create(&ps, "onemore", &adm, NULL), 0);
}

/* ------------------------------------------------------------------ */
/* Reading.                                                            */

/* Records come in sequence order, each as cfs_port_format makes it with
 * the registration's key, one line each; nothing from before the reader
 * started (start now). */
Test(port, records_in_order)
{
	commit("node-add n1 1 10.0.0.1");
	uint64_t id = create("p");
	filter_ok(id, "all key=9");
	struct cfs_reader *rd = reader(id);
	uint64_t first = next_seq();
	commit("type-create T\ngroup-create web n1\nresource-create r T web");
	commit("group-online web\nreg-create-key K\nreg-set K v sz \"a \\\"b\\\"\"");
	char *s = drain(rd);
	int n = nlines(s);
	cr_assert_eq((uint64_t)n, next_seq() - first, "one line per record");
	assert_seq_run(s, first, "all");
	for (int i = 0; i < n; i++) {
		struct cfs_record r = {0};
		cr_assert_eq(cfs_journal_get(&eng->journal, first + (uint64_t)i, &r), 0);
		struct cfs_buf want = {0};
		cr_assert_eq(cfs_port_format(&r, 9, false, &want), 0);
		cfs_record_clear(&r);
		char *w = gc(cfs_buf_steal(&want));
		cr_assert_str_eq(line(s, i), w, "line %d", i);
	}
	cr_assert_eq(s[strlen(s) - 1], '\n');
	/* nothing more until the next commit */
	char buf[16];
	cr_assert_eq(take(rd, buf, sizeof(buf)), -EAGAIN);
}

/* A record as a port line: the journal's JSON plus the flags, the key and,
 * in a snapshot, "snapshot":true. */
Test(port, format)
{
	struct cfs_record r = {.seq = 12,
			       .time_ns = 1795317305519113096,
			       .kind = CFS_KIND_GROUP,
			       .change = CFS_CH_STATE,
			       .obj_id = "g-id",
			       .obj_name = "web",
			       .parent_id = "n-id",
			       .old_value = "offline",
			       .new_value = "online"};
	struct cfs_buf b = {0};
	cr_assert_eq(cfs_port_format(&r, 7, false, &b), 0);
	char *s = gc(cfs_buf_steal(&b));
	cr_assert_str_eq(s, "{\"seq\":12,\"time\":1795317305.519113096,\"kind\":\"group\","
			    "\"change\":\"state\",\"id\":\"g-id\",\"name\":\"web\","
			    "\"parent\":\"n-id\",\"old\":\"offline\",\"new\":\"online\","
			    "\"v1\":4096,\"v2type\":2,\"v2flags\":8,\"key\":7}");
	cr_assert_eq(cfs_port_format(&r, 0, true, &b), 0);
	s = gc(cfs_buf_steal(&b));
	cr_assert(strstr(s, ",\"key\":0,\"snapshot\":true}"), "%s", s);
	/* appended to what is there */
	cfs_buf_puts(&b, "X");
	cr_assert_eq(cfs_port_format(&r, 1, false, &b), 0);
	s = gc(cfs_buf_steal(&b));
	cr_assert_eq(strncmp(s, "X{\"seq\":12,", 11), 0);
}

/* Non-blocking semantics: -EAGAIN and not ready with nothing there (also
 * when records came that the filter does not want), ready once a line is
 * there; a take of nothing is refused, one of a byte gets that byte. */
Test(port, eagain_and_ready)
{
	commit("node-add n1 1 10.0.0.1");
	struct cfs_reader *rd = anon();
	rd_write_ok(rd, "kind=group");
	char buf[4096];
	cr_assert_not(ready(rd));
	cr_assert_eq(take(rd, buf, sizeof(buf)), -EAGAIN);
	commit("reg-create-key K");
	cr_assert_not(ready(rd), "a record the filter does not want");
	cr_assert_eq(take(rd, buf, sizeof(buf)), -EAGAIN);
	commit("group-create web n1");
	cr_assert(ready(rd));
	cr_assert(ready(rd), "ready does not consume");
	cr_assert_eq(take(rd, buf, 0), -EINVAL);
	/* a one-byte read cannot have a next part: it gets its byte */
	cr_assert_eq(take(rd, buf, 1), 1);
	cr_assert_eq(buf[0], '{');
	ssize_t n = take(rd, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(buf[n - 1], '\n');
	cr_assert_eq(strncmp(buf, "\"seq\":", 6), 0, "the rest of the line");
	cr_assert_not(ready(rd));
	cr_assert_eq(take(rd, buf, sizeof(buf)), -EAGAIN);
}

/* Any buffer size gives the same stream; a take never fills its buffer
 * and gives whole lines when one fits. */
Test(port, buffer_sizes)
{
	uint64_t first = next_seq();
	publish(40);
	commit("node-add n1 1 10.0.0.1\ngroup-create web n1");
	struct cfs_reader *ref = anon();
	rd_write_ok(ref, "all\nstart 1");
	char *want = drain(ref);
	cr_assert_eq((uint64_t)nlines(want), next_seq() - first);
	size_t l0 = strlen(line(want, 0)) + 1; /* the first line with its newline */
	const size_t sizes[] = {2, 3, 17, l0 - 1, l0, l0 + 1, 2 * l0 + 1, 4096, 65536};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(sizes); i++) {
		struct cfs_reader *rd = anon();
		rd_write_ok(rd, "all\nstart 1");
		char *buf = malloc(sizes[i]);
		cr_assert_not_null(buf);
		struct cfs_buf got = {0};
		ssize_t n;
		bool first_take = true;
		while ((n = take(rd, buf, sizes[i])) > 0) {
			cr_assert_lt((size_t)n, sizes[i], "size %zu: a take filled its buffer",
				     sizes[i]);
			if (sizes[i] > l0 && first_take)
				cr_assert_eq(buf[n - 1], '\n', "size %zu: a line fit", sizes[i]);
			if (sizes[i] == l0 + 1 && first_take)
				cr_assert_eq((size_t)n, l0, "exactly the first line");
			first_take = false;
			cfs_buf_append(&got, buf, (size_t)n);
		}
		free(buf);
		cr_assert_eq(n, -EAGAIN);
		cfs_buf_append(&got, "", 0);
		char *g = gc(cfs_buf_steal(&got));
		cr_assert_str_eq(g, want, "size %zu: another stream", sizes[i]);
		rd_close(rd);
	}
}

/* Readers of one port are independent: each gets every record. */
Test(port, readers_are_independent)
{
	uint64_t id = create("p");
	filter_ok(id, "all");
	struct cfs_reader *a = reader(id), *b = reader(id);
	publish(10);
	char *sa = drain(a);
	publish(5);
	char *sa2 = drain(a);
	char *sb = drain(b);
	cr_assert_eq(nlines(sa) + nlines(sa2), 15);
	struct cfs_buf both = {0};
	cfs_buf_puts(&both, sa);
	cfs_buf_puts(&both, sa2);
	char *all = gc(cfs_buf_steal(&both));
	cr_assert_str_eq(sb, all);
}

/* A seekable reader (an events file opened read-only: tools): one line
 * per read, whatever the size; a read at the end of what it used gives
 * that line again; an offset before what it was last given or past what
 * it was given is refused. Its position counts what it was given: a
 * record whose lines it was not all given comes again, whole, to the
 * next reader, and is delivered once. */
Test(port, seekable_reader)
{
	uint64_t id = create("p");
	filter_ok(id, "all key=1\nall key=2"); /* two lines per record */
	cr_assert_eq(cfs_port_write_start(&ps, id, "continue", 8), 0);
	struct cfs_reader *rd = NULL;
	cr_assert_eq(reader_as(id, &adm, true, &rd), 0);
	publish(2);
	char l[4][512];
	ssize_t n[4];
	uint64_t off = 0;
	for (int i = 0; i < 2; i++) {
		n[i] = take_at(rd, off, l[i], sizeof(l[i]) - 1);
		cr_assert_gt(n[i], 0);
		l[i][n[i]] = '\0';
		cr_assert_eq(nlines(l[i]), 1, "one line per read: %s", l[i]);
		off += (uint64_t)n[i];
	}
	cr_assert_eq(num(l[0], "seq"), 1);
	cr_assert_eq(num(l[0], "key"), 1);
	cr_assert_eq(num(l[1], "key"), 2);
	cr_assert_str_eq(strstr(render(id, "stats"), "position"), "position 2\n",
			 "record 1 is consumed once both its lines are given");
	/* a tool that read ahead seeks back to the end of what it used */
	n[2] = take_at(rd, (uint64_t)n[0], l[2], sizeof(l[2]) - 1);
	cr_assert_eq(n[2], n[1]);
	l[2][n[2]] = '\0';
	cr_assert_str_eq(l[2], l[1], "the line again");
	cr_assert_eq(take_at(rd, off + 1, l[3], sizeof(l[3])), -EINVAL, "past what it was given");
	/* reading on drops what was read before */
	n[3] = take_at(rd, off, l[3], sizeof(l[3]) - 1);
	cr_assert_gt(n[3], 0);
	l[3][n[3]] = '\0';
	cr_assert_eq(num(l[3], "seq"), 2);
	cr_assert_eq(num(l[3], "key"), 1);
	cr_assert_eq(take_at(rd, 0, l[0], sizeof(l[0])), -EINVAL, "before what it was last given");
	/* it stops with one of record 2's two lines: record 2 is not
	 * consumed, and its line given counts as delivered when it comes
	 * again */
	rd_close(rd);
	char *stats = render(id, "stats");
	cr_assert(strstr(stats, "delivered 2\n") && strstr(stats, "position 2\n"), "%s", stats);
	struct cfs_reader *next = reader(id);
	char *s = drain(next);
	cr_assert_eq(nlines(s), 2, "record 2 again, whole: %s", s);
	cr_assert(num(line(s, 0), "seq") == 2 && num(line(s, 0), "key") == 1);
	cr_assert(num(line(s, 1), "seq") == 2 && num(line(s, 1), "key") == 2);
	stats = render(id, "stats");
	cr_assert(strstr(stats, "delivered 4\n") && strstr(stats, "position 3\n"), "%s", stats);
}

/* ------------------------------------------------------------------ */
/* Filters, as a port applies them.                                    */

struct filter_case {
	char lines[160];
	char want[400];
};

/* The records of commit_scenario() each case's filter lets through, as
 * "kind change name key=K" lines. */
static struct filter_case filter_cases[] = {
	{"", ""},
	/* (a group goes online through pending: two state records) */
	{"kind=group",
	 "group added web key=0\n"
	 "group member_added web key=0\n"
	 "group state web key=0\n"
	 "group state web key=0\n"},
	{"kind=group change=added key=1\nkind=resource change=added key=2",
	 "group added web key=1\n"
	 "resource added r key=2\n"},
	/* a record several lines want comes once per line, in their order */
	{"kind=group change=added key=1\nchange=added key=2\nkind=group change=added key=3",
	 "node added n1 key=2\n"
	 "resourcetype added T key=2\n"
	 "group added web key=1\n"
	 "group added web key=2\n"
	 "group added web key=3\n"
	 "resource added r key=2\n"},
	/* a subkey's creation is a change of its parent's names */
	{"registry=K",
	 "registry key_added K key=0\n"
	 "registry value_set K key=0\n"
	 "registry key_added K\\S key=0\n"},
	{"registry=K subtree key=5",
	 "registry key_added K key=5\n"
	 "registry value_set K key=5\n"
	 "registry key_added K\\S key=5\n"},
	{"v1=0x4000", "group added web key=0\n"},
	{"v2=group:0x8 key=8", "group state web key=8\ngroup state web key=8\n"},
	{"kind=group key=1\nkind=node key=2\nremove key=1",
	 "node added n1 key=2\n"
	 "node property n1 key=2\n"
	 "node property n1 key=2\n"},
	{"kind=group\nreset", ""},
	{"kind=group\nreset\nkind=resourcetype", "resourcetype added T key=0\n"},
	{"# a comment\n\n   kind=resourcetype  \n\t# another", "resourcetype added T key=0\n"},
	{"kind=* change=added", "node added n1 key=0\n"
				"resourcetype added T key=0\n"
				"group added web key=0\n"
				"resource added r key=0\n"},
};

ParameterizedTestParameters(port, filters)
{
	return cr_make_param_array(struct filter_case, filter_cases,
				   CFS_ARRAY_SIZE(filter_cases));
}

static void commit_scenario(void)
{
	commit("node-add n1 1 10.0.0.1");
	commit("type-create T\ngroup-create web n1\nresource-create r T web");
	commit("group-online web");
	commit("reg-create-key K\nreg-set K v sz x\nreg-create-key K\\S");
}

/* The port's registrations pick the records and set their keys. Records
 * of the objects' own registry keys (Nodes\ID, ...) are left out of the
 * comparison unless a case asks for them. */
ParameterizedTest(struct filter_case *fc, port, filters)
{
	uint64_t id = create("p");
	if (fc->lines[0])
		filter_ok(id, fc->lines);
	struct cfs_reader *rd = reader(id);
	commit_scenario();
	char *got = brief(drain(rd));
	/* drop registry lines about objects' keys (paths with a '-' of a GUID) */
	struct cfs_buf b = {0};
	for (int i = 0; i < nlines(got); i++) {
		char *l = line(got, i);
		if (strncmp(l, "registry ", 9) == 0 && strchr(l, '-'))
			continue;
		cfs_buf_printf(&b, "%s\n", l);
	}
	cfs_buf_append(&b, "", 0);
	char *g = gc(cfs_buf_steal(&b));
	cr_assert_str_eq(g, fc->want, "filter [%s]:\n%s\nwant:\n%s", fc->lines, g, fc->want);
}

/* A write applies all its lines or none; a refused one says why. */
Test(port, filter_write_is_atomic)
{
	uint64_t id = create("p");
	filter_ok(id, "kind=group key=1");
	char *before = render(id, "filter");
	static const char *const bad[] = {
		"kind=node\nbogus",	     "kind=node\nkind=nosuch",	 "kind=node\nchange=nosuch",
		"kind=node\nkey=1",	     "kind=node\nremove key=x", "kind=node\nv1=0",
		"kind=node\nobject=short", "kind=node\n\"registry=K", "kind=node\nstart now",
	};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(bad); i++) {
		const char *why = NULL;
		int r = cfs_port_write_filter(&ps, id, &adm, bad[i], strlen(bad[i]), &why);
		cr_assert_eq(r, -EINVAL, "[%s]: %d", bad[i], r);
		cr_assert_not_null(why, "[%s] gave no reason", bad[i]);
		cr_assert_str_eq(render(id, "filter"), before, "[%s] changed the filter", bad[i]);
	}
	/* the same through a reader (where start lines are allowed) */
	struct cfs_reader *rd = reader(id);
	const char *why = NULL;
	cr_assert_eq(rd_write(rd, "kind=node\nstart 5\nbogus", &why), -EINVAL);
	cr_assert_not_null(why);
	cr_assert_str_eq(render(id, "filter"), before);
	cr_assert_str_eq(render(id, "start"), "now\n");
	cr_assert_eq(cfs_port_write_filter(&ps, 99, &adm, "all", 3, &why), -ENOENT);
}

Test(port, filter_limit)
{
	uint64_t id = create("p");
	struct cfs_buf b = {0};
	for (int i = 0; i < CFS_FILTER_MAX; i++)
		cfs_buf_printf(&b, "kind=group key=%d\n", i);
	char *text = gc(cfs_buf_steal(&b));
	const char *why = NULL;
	cr_assert_eq(cfs_port_write_filter(&ps, id, &adm, text, strlen(text), &why), 0);
	cr_assert_eq(nlines(render(id, "filter")), CFS_FILTER_MAX);
	cr_assert_eq(cfs_port_write_filter(&ps, id, &adm, "all", 3, &why), -E2BIG);
	cr_assert_not_null(why);
	cr_assert_eq(cfs_port_write_filter(&ps, id, &adm, "reset\nall", 9, &why), 0,
		     "a reset in the same write makes room");
	cr_assert_str_eq(render(id, "filter"), "all key=0\n");
	/* one write of more than the limit: none of it */
	cfs_buf_puts(&b, "reset\n");
	for (int i = 0; i <= CFS_FILTER_MAX; i++)
		cfs_buf_printf(&b, "kind=node key=%d\n", i);
	text = gc(cfs_buf_steal(&b));
	cr_assert_eq(cfs_port_write_filter(&ps, id, &adm, text, strlen(text), &why), -E2BIG);
	cr_assert_str_eq(render(id, "filter"), "all key=0\n");
}

/* object=ID: the object's own records, and a resource's addition on its
 * group (as a group's notification would report it). */
Test(port, filter_object)
{
	commit("node-add n1 1 10.0.0.1\ntype-create T\ngroup-create web n1\ngroup-create db n1");
	pthread_rwlock_rdlock(&eng->lock);
	char *gid = gc(strdup(cfs_obj_id(cfs_model_by_name(&eng->model, CFS_KIND_GROUP, "web"))));
	pthread_rwlock_unlock(&eng->lock);
	struct cfs_reader *rd = anon();
	char text[80];
	snprintf(text, sizeof(text), "object=%s key=3", gid);
	rd_write_ok(rd, text);
	commit("resource-create r T web\nresource-create other T db\ngroup-online web\n"
	       "group-online db");
	char *got = brief(drain(rd));
	cr_assert_str_eq(got, "resource added r key=3\n"
			      "group member_added web key=3\n"
			      "group state web key=3\n"
			      "group state web key=3\n");
}

/* ------------------------------------------------------------------ */
/* Where a reader starts.                                              */

struct start_case {
	char text[48];
	int err;
	enum cfs_start start; /* where the reader starts after the write */
	uint64_t seq;
};

static struct start_case start_cases[] = {
	{"start now", 0, CFS_START_NOW, 0},
	{"start snapshot", 0, CFS_START_SNAPSHOT, 0},
	{"start continue", 0, CFS_START_CONTINUE, 0},
	{"start 5", 0, CFS_START_SEQ, 5},
	{"start  7 ", 0, CFS_START_SEQ, 7},
	{"  start 8", 0, CFS_START_SEQ, 8},
	{"start 18446744073709551615", 0, CFS_START_SEQ, UINT64_MAX},
	{"kind=node\nstart 9\n", 0, CFS_START_SEQ, 9},
	{"start 0", -EINVAL, 0, 0},
	{"start -1", -EINVAL, 0, 0},
	{"start +5", -EINVAL, 0, 0},
	{"start 5x", -EINVAL, 0, 0},
	{"start 0x10", -EINVAL, 0, 0},
	{"start 18446744073709551616", -EINVAL, 0, 0},
	{"start later", -EINVAL, 0, 0},
	{"start Now", -EINVAL, 0, 0},
	{"start", -EINVAL, 0, 0},
	{"start ", -EINVAL, 0, 0},
};

ParameterizedTestParameters(port, start_lines)
{
	return cr_make_param_array(struct start_case, start_cases, CFS_ARRAY_SIZE(start_cases));
}

/* "start ..." lines written to a reader: the words and numbers taken and
 * refused, seen where the reader starts again. A reader's start is its
 * own (port.h), also the one reader's of an anonymous port: the port's
 * start does not change, so the reader's stream is what tells. */
ParameterizedTest(struct start_case *sc, port, start_lines)
{
	publish(10); /* seqs 1 to 10 */
	struct cfs_reader *rd = anon();
	rd_write_ok(rd, "all\nstart 3");
	const char *why = NULL;
	int r = rd_write(rd, sc->text, &why);
	cr_assert_eq(r, sc->err, "[%s]: %d, want %d", sc->text, r, sc->err);
	char *s = drain(rd);
	if (r < 0) {
		cr_assert_not_null(why);
		cr_assert_eq(nlines(s), 8, "[%s] moved the reader", sc->text);
		assert_seq_run(s, 3, sc->text);
		return;
	}
	if (sc->start == CFS_START_SNAPSHOT) {
		char *end = line(s, nlines(s) - 1);
		cr_assert_str_eq(str(end, "change"), "snapshot_end", "[%s]: %s", sc->text, s);
		cr_assert_eq(num(end, "seq"), 11);
		return;
	}
	if (sc->start == CFS_START_SEQ && sc->seq <= 10) {
		cr_assert_eq((uint64_t)nlines(s), 11 - sc->seq, "[%s]: %s", sc->text, s);
		assert_seq_run(s, sc->seq, sc->text);
		return;
	}
	/* now, continue (an anonymous port has no position: it is now), or a
	 * seq still to come: nothing before it */
	cr_assert_str_eq(s, "", "[%s]", sc->text);
	publish(1);
	s = drain(rd);
	if (sc->start == CFS_START_SEQ) {
		cr_assert_str_eq(s, "", "[%s]", sc->text);
	} else {
		cr_assert_eq(nlines(s), 1, "[%s]: %s", sc->text, s);
		assert_seq_run(s, 11, sc->text);
	}
}

struct start_file_case {
	char text[48];
	int err;
	char render[24];
};

static struct start_file_case start_file_cases[] = {
	{"now\n", 0, "now\n"},
	{"snapshot", 0, "snapshot\n"},
	{"continue\n", 0, "continue\n"},
	{"42\n", 0, "42\n"},
	{"42  \n", 0, "42\n"},
	{"42\r\n", 0, "42\n"},
	{"43\nignored", 0, "43\n"},
	{"", -EINVAL, ""},
	{"\n", -EINVAL, ""},
	{"0\n", -EINVAL, ""},
	{"-1\n", -EINVAL, ""},
	{"+1\n", -EINVAL, ""},
	{"now later\n", -EINVAL, ""},
	{"1234567890123456789012345678901234567890", -EINVAL, ""},
};

ParameterizedTestParameters(port, start_file)
{
	return cr_make_param_array(struct start_file_case, start_file_cases,
				   CFS_ARRAY_SIZE(start_file_cases));
}

/* The start file of a named port: one word or number. The text is handed
 * over as a write() gives it: len bytes, no terminator after them. */
ParameterizedTest(struct start_file_case *sc, port, start_file)
{
	uint64_t id = create("p");
	size_t len = strlen(sc->text);
	/* the text ends where a page the process cannot read begins */
	long pg = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	cr_assert_neq(map, MAP_FAILED);
	cr_assert_eq(mprotect(map + pg, (size_t)pg, PROT_NONE), 0);
	char *buf = map + pg - len;
	memcpy(buf, sc->text, len);
	int r = cfs_port_write_start(&ps, id, buf, len);
	munmap(map, 2 * (size_t)pg);
	cr_assert_eq(r, sc->err, "[%s]: %d, want %d", sc->text, r, sc->err);
	cr_assert_str_eq(render(id, "start"), r ? "now\n" : sc->render);
	cr_assert_eq(cfs_port_write_start(&ps, 99, "now", 3), -ENOENT);
}

/* A reader's own start line restarts that reader only: neither the
 * port's start nor its other readers change. */
Test(port, reader_start_is_its_own)
{
	uint64_t id = create("p");
	filter_ok(id, "all");
	publish(10);
	struct cfs_reader *a = reader(id), *b = reader(id);
	rd_write_ok(a, "start 3");
	cr_assert_str_eq(render(id, "start"), "now\n");
	char *sa = drain(a);
	cr_assert_eq(nlines(sa), 8);
	assert_seq_run(sa, 3, "a");
	cr_assert_eq(take(b, (char[8]){0}, 8), -EAGAIN, "b still starts now");
	/* the new start also drops what was formatted and not taken */
	publish(2);
	char small[64];
	cr_assert_gt(take(a, small, sizeof(small)), 0);
	rd_write_ok(a, "start 1");
	char *again = drain(a);
	assert_seq_run(again, 1, "a again");
	cr_assert_eq(nlines(again), 12);
	/* a reader opened later starts as the port says */
	struct cfs_reader *c = reader(id);
	cr_assert_eq(take(c, small, sizeof(small)), -EAGAIN);
}

/* A port's start file sets where new readers start. */
Test(port, start_file_applies_to_new_readers)
{
	uint64_t id = create("p");
	filter_ok(id, "all");
	publish(10);
	cr_assert_eq(cfs_port_write_start(&ps, id, "4", 1), 0);
	struct cfs_reader *a = reader(id);
	char *s = drain(a);
	cr_assert_eq(nlines(s), 7);
	assert_seq_run(s, 4, "from 4");
}

Test(port, resume_from_seq)
{
	publish(20);
	struct cfs_reader *rd = anon();
	rd_write_ok(rd, "all\nstart 15");
	char *s = drain(rd);
	cr_assert_eq(nlines(s), 6);
	assert_seq_run(s, 15, "from 15");
	/* a seq still to come: nothing before it */
	rd_write_ok(rd, "start 25");
	cr_assert_eq(take(rd, (char[64]){0}, 64), -EAGAIN);
	publish(7);
	s = drain(rd);
	cr_assert_eq(nlines(s), 3);
	assert_seq_run(s, 25, "from 25");
}

/* A resume from below what the journal keeps: an error record that says
 * so, then the stream from the first retained record. */
Test(port, resume_not_retained)
{
	publish(CFS_JOURNAL_RING + 100);
	uint64_t first = cfs_journal_first_seq(&eng->journal);
	cr_assert_eq(first, 101);
	struct cfs_reader *rd = anon();
	rd_write_ok(rd, "all\nstart 50");
	char buf[4096];
	ssize_t n = take(rd, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_assert_str_eq(line(buf, 0), "{\"seq\":101,\"change\":\"error\","
				       "\"error\":\"not_retained\",\"requested\":50,"
				       "\"first_retained\":101}");
	cr_assert_eq(num(line(buf, 1), "seq"), 101);
}

/* continue: where the port's readers stopped, across readers and across
 * a close and an open of the ports. Nothing given is given again, and
 * nothing is skipped, also when the reader stopped with lines formatted
 * for it and not yet taken. */
Test(port, continue_where_readers_stopped)
{
	uint64_t id = create("p");
	filter_ok(id, "all");
	cr_assert_eq(cfs_port_write_start(&ps, id, "continue", 8), 0);
	struct cfs_reader *a = reader(id);
	publish(30);
	/* a reads part of what is there, in whole lines */
	char buf[1000];
	ssize_t n = take(a, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	int got = nlines(buf);
	cr_assert_gt(got, 0);
	cr_assert_lt(got, 30);
	uint64_t last = num(line(buf, got - 1), "seq");
	rd_close(a);
	struct cfs_reader *b = reader(id);
	char *s = drain(b);
	cr_assert_gt(nlines(s), 0);
	cr_assert_eq(num(line(s, 0), "seq"), last + 1, "continue skipped or repeated records");
	rd_close(b);
	/* across a restart of the ports */
	publish(3);
	close_ports();
	open_ports();
	struct cfs_reader *c = reader(id);
	s = drain(c);
	cr_assert_eq(nlines(s), 3);
	assert_seq_run(s, 31, "after the restart");
}

/* ------------------------------------------------------------------ */
/* Overflow.                                                           */

/* A reader more than the ring behind: ONE overflow record naming what it
 * lost (with CLUSTER_RECONNECT and CLUSTER_LOST_NOTIFICATIONS), then the
 * oldest record still there, on in order; stats add up. */
Test(port, overflow)
{
	uint64_t id = create("p");
	filter_ok(id, "all");
	struct cfs_reader *rd = reader(id);
	publish(5);
	char buf[1 << 16];
	cr_assert_gt(take(rd, buf, sizeof(buf)), 0); /* it read seqs 1..5 */
	publish(CFS_JOURNAL_RING + 10);
	uint64_t first = cfs_journal_first_seq(&eng->journal);
	cr_assert_eq(first, 16);
	char *s = drain(rd);
	char *l0 = line(s, 0);
	cr_assert_str_eq(l0, "{\"seq\":16,\"change\":\"overflow\",\"lost_from\":6,\"lost_to\":15,"
			     "\"lost\":10,\"v1\":524288,\"v2type\":1,\"v2flags\":512,\"key\":0}");
	cr_assert_eq(nlines(s), 1 + CFS_JOURNAL_RING);
	const char *rest = strchr(s, '\n') + 1;
	assert_seq_run(rest, first, "after the overflow record");
	cr_assert_null(memmem(rest, strlen(rest), "overflow", 8), "a second overflow record");
	char *stats = render(id, "stats");
	cr_assert_str_eq(stats, "readers 1\nqueued 0\ndelivered 65541\ndropped 10\n"
				"position 65552\n");
	/* delivered + dropped = produced */
	cr_assert_eq(65541 + 10, next_seq() - 1);
}

/* ------------------------------------------------------------------ */
/* Snapshots.                                                          */

/* One record per object, key and value the filter wants ("snapshot":true),
 * then snapshot_end with S and the count, then every record from S on. */
Test(port, snapshot)
{
	commit("cluster-rename cl");
	commit("node-add n1 1 10.0.0.1\ntype-create T\ngroup-create web n1\n"
	       "resource-create r T web\ngroup-online web");
	commit("reg-create-key Soft\nreg-create-key Soft\\Sub\nreg-set Soft s sz text\n"
	       "reg-set Soft\\Sub b binary \"\\x00\\xff\"\nreg-set Soft\\Sub d dword 7");
	uint64_t S = next_seq();
	struct cfs_reader *rd = anon();
	rd_write_ok(rd, "kind=node,group,resource,resourcetype,cluster key=1\n"
			"registry=Soft subtree key=2\nstart snapshot");
	struct cfs_reader *all = anon();
	rd_write_ok(all, "all\nstart snapshot");
	commit("group-offline web");
	char *s = drain(rd);
	char *b = brief(s);
	/* objects in kind order, then the registry from the root down */
	const char *want_head = "cluster added cl key=1\n"
				"node added n1 key=1\n"
				"group added web key=1\n"
				"resource added r key=1\n"
				"resourcetype added T key=1\n"
				"registry key_added Soft key=2\n"
				"registry value_set Soft key=2\n"
				"registry key_added Soft\\Sub key=2\n"
				"registry value_set Soft\\Sub key=2\n"
				"registry value_set Soft\\Sub key=2\n";
	cr_assert_eq(strncmp(b, want_head, strlen(want_head)), 0, "snapshot:\n%s\nwant:\n%s", b,
		     want_head);
	for (int i = 0; i < 10; i++) {
		char *l = line(s, i);
		cr_assert(strstr(l, "\"snapshot\":true}"), "%s", l);
		cr_assert_eq(num(l, "seq"), 0, "snapshot records have no seq");
	}
	cr_assert_str_eq(str(line(s, 2), "new"), "online", "an object's state");
	cr_assert_str_eq(str(line(s, 4), "new"), "-", "a type has no state");
	cr_assert_str_eq(str(line(s, 6), "prop"), "s");
	cr_assert_str_eq(str(line(s, 6), "new"), "text");
	cr_assert_str_eq(str(line(s, 8), "new"), "00ff", "binary values in hex");
	cr_assert_str_eq(str(line(s, 9), "new"), "7");
	char end[96];
	snprintf(end, sizeof(end), "{\"seq\":%llu,\"change\":\"snapshot_end\",\"records\":10}",
		 (unsigned long long)S);
	cr_assert_str_eq(line(s, 10), end);
	/* then the records from S on */
	int n = nlines(s);
	cr_assert_gt(n, 11);
	for (int i = 11; i < n; i++)
		cr_assert_geq(num(line(s, i), "seq"), S);
	cr_assert(strstr(b, "group state web key=1\n"));
	/* no gap and no overlap: with all, they run from S on */
	s = drain(all);
	const char *after = strstr(s, "\"change\":\"snapshot_end\"");
	cr_assert_not_null(after);
	after = strchr(after, '\n') + 1;
	cr_assert_gt(strlen(after), 0);
	assert_seq_run(after, S, "after the snapshot");
	cr_assert_eq((uint64_t)nlines(after), next_seq() - S);
}

/* A snapshot stands for applied_seq: records applied before it are in
 * the snapshot, records from it on come after it, even when they are not
 * published yet (the engine publishes after its store commit). */
Test(port, snapshot_at_applied_seq)
{
	commit("node-add n1 1 10.0.0.1");
	pthread_rwlock_rdlock(&eng->lock);
	uint64_t S = eng->applied_seq;
	pthread_rwlock_unlock(&eng->lock);
	cr_assert_eq(S, next_seq());
	struct cfs_reader *rd = anon();
	rd_write_ok(rd, "kind=node change=added\nstart snapshot");
	char *s = drain(rd);
	cr_assert_eq(nlines(s), 2);
	cr_assert_eq(num(line(s, 1), "seq"), S);
	cr_assert_eq(num(line(s, 1), "records"), 1);
	/* applied, not yet published: in the snapshot, and not again after */
	struct cfs_txn t;
	apply_batch("node-add n2 2 10.0.0.2", &t);
	struct cfs_reader *late = anon();
	rd_write_ok(late, "kind=node change=added\nstart snapshot");
	publish_batch(&t);
	commit("node-add n3 3 10.0.0.3");
	cr_assert_str_eq(brief(drain(rd)), "node added n2 key=0\nnode added n3 key=0\n");
	s = drain(late);
	cr_assert_str_eq(brief(s), "node added n1 key=0\nnode added n2 key=0\n"
				   "- snapshot_end - key=-\nnode added n3 key=0\n");
}

/* ------------------------------------------------------------------ */
/* Stats and files.                                                    */

Test(port, stats)
{
	uint64_t id = create("p");
	filter_ok(id, "registry=Load key=1\nall key=2");
	cr_assert_str_eq(render(id, "stats"),
			 "readers 0\nqueued 0\ndelivered 0\ndropped 0\nposition 0\n");
	struct cfs_reader *a = reader(id);
	reader(id);
	publish(10);
	cr_assert_str_eq(render(id, "stats"),
			 "readers 2\nqueued 20\ndelivered 0\ndropped 0\nposition 0\n");
	cr_assert_eq(nlines(drain(a)), 20, "two lines per record");
	cr_assert_str_eq(render(id, "stats"),
			 "readers 2\nqueued 10\ndelivered 20\ndropped 0\nposition 11\n");
	cr_assert_str_eq(render(id, "filter"), "\"registry=Load\" key=1\nall key=2\n");
	cr_assert_str_eq(render(id, "start"), "now\n");
	struct cfs_buf b = {0};
	cr_assert_eq(cfs_port_render(&ps, id, "events", &b), -ENOENT);
	cr_assert_eq(cfs_port_render(&ps, 99, "stats", &b), -ENOENT);
	cfs_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Users other than root and the admin group: what they see, quotas,   */
/* expiry (the mount's side of these: test_security.c).                */

/* A user's reader gets only the records it may read (access.h), checked
 * against the model as they are formatted for it; the ones it may not
 * read still count as consumed (they do not come again, nor hold the
 * position back) but not as delivered. A snapshot leaves out what it may
 * not read, in its count too. */
Test(port, user_sees_what_it_may_read)
{
	uint64_t id = 0;
	cr_assert_eq(cfs_port_create(&ps, "spy", &usr, &id), 0);
	cr_assert_eq(filter_as(id, &usr, "all", NULL), 0);
	cr_assert_eq(cfs_port_write_start(&ps, id, "continue", 8), 0);
	struct cfs_reader *u = NULL;
	cr_assert_eq(reader_as(id, &usr, false, &u), 0);
	uint64_t first = next_seq();
	commit("reg-create-key Open\nreg-create-key Vault 0700\nreg-set Vault pw sz s3cret\n"
	       "reg-set Open v sz hello");
	publish(5); /* about a key that does not exist: for admins only */
	cr_assert_str_eq(brief(drain(u)), "registry key_added Open key=0\n"
					  "registry value_set Open key=0\n");
	char want[80];
	snprintf(want, sizeof(want), "delivered 2\ndropped 0\nposition %llu\n",
		 (unsigned long long)next_seq());
	cr_assert_str_eq(strstr(render(id, "stats"), "delivered"), want);
	rd_close(u);
	cr_assert_eq(reader_as(id, &usr, false, &u), 0);
	cr_assert_str_eq(drain(u), "", "continue gave records again");
	/* an admin's reader of the user's port gets them all */
	struct cfs_reader *a = reader(id);
	char text[32];
	snprintf(text, sizeof(text), "start %llu", (unsigned long long)first);
	rd_write_ok(a, text);
	cr_assert_str_eq(brief(drain(a)), "registry key_added Open key=0\n"
					  "registry key_added Vault key=0\n"
					  "registry value_set Vault key=0\n"
					  "registry value_set Open key=0\n"
					  "registry value_set Load key=0\n"
					  "registry value_set Load key=0\n"
					  "registry value_set Load key=0\n"
					  "registry value_set Load key=0\n"
					  "registry value_set Load key=0\n");
	struct cfs_reader *snap = NULL;
	cr_assert_eq(anon_as(&usr, &snap), 0);
	rd_write_ok(snap, "registry=Open\nregistry=Vault\nstart snapshot");
	char *s = drain(snap);
	cr_assert_str_eq(brief(s), "registry key_added Open key=0\n"
				   "registry value_set Open key=0\n"
				   "- snapshot_end - key=-\n");
	cr_assert_eq(num(line(s, 2), "records"), 2);
}

/* Registration lines as a user writes them (--limit-filter): no more than
 * its quota in one port, through the filter file or a reader, all lines
 * or none; an admin may add more, also to the user's port, and the user
 * may still take lines away. */
Test(port, quota_filter_lines)
{
	close_ports();
	lim.filter = 2;
	open_ports();
	uint64_t id = 0;
	cr_assert_eq(cfs_port_create(&ps, "f", &usr, &id), 0);
	const char *why = NULL;
	cr_assert_eq(filter_as(id, &usr, "kind=node\nkind=group", &why), 0);
	cr_assert_eq(filter_as(id, &usr, "kind=resource", &why), -EDQUOT);
	cr_assert_not_null(why);
	cr_assert_str_eq(render(id, "filter"), "kind=node key=0\nkind=group key=0\n");
	cr_assert_eq(filter_as(id, &usr, "reset\nkind=resource\nkind=node", &why), 0,
		     "a reset in the same write makes room");
	filter_ok(id, "kind=group key=1\nkind=network key=2");
	cr_assert_eq(nlines(render(id, "filter")), 4);
	cr_assert_eq(filter_as(id, &usr, "remove key=1", &why), 0,
		     "fewer lines than before: allowed over the quota");
	cr_assert_eq(filter_as(id, &usr, "kind=cluster", &why), -EDQUOT);
	/* through a reader, where start lines come too */
	struct cfs_reader *rd = NULL;
	cr_assert_eq(anon_as(&usr, &rd), 0);
	cr_assert_eq(rd_write(rd, "all key=1\nall key=2\nall key=3\nstart 1", &why), -EDQUOT);
	cr_assert_not_null(why);
	rd_write_ok(rd, "all key=1\nall key=2");
	/* another user has its own quota, admins none */
	cr_assert_eq(anon_as(&other, &rd), 0);
	rd_write_ok(rd, "all key=1\nall key=2");
	rd_write_ok(anon(), "all key=1\nall key=2\nall key=3");
}

/* Readers of named ports, anonymous ports, and registrations of all a
 * user's readers together (--limit-readers, --limit-anon, --limit-watch):
 * counted while they are open, per user, never for admins. A filter
 * write counts once for each of the writer's readers of the port. */
Test(port, quota_readers_and_watch)
{
	close_ports();
	lim.filter = 0;
	lim.readers = 2;
	lim.anon = 1;
	lim.watch = 3;
	open_ports();
	uint64_t id = 0;
	cr_assert_eq(cfs_port_create(&ps, "w", &usr, &id), 0);
	cr_assert_eq(filter_as(id, &usr, "kind=node", NULL), 0);
	struct cfs_reader *r1 = NULL, *r2 = NULL, *r3 = NULL, *x = NULL;
	cr_assert_eq(reader_as(id, &usr, false, &r1), 0);
	cr_assert_eq(reader_as(id, &usr, true, &r2), 0);
	cr_assert_eq(reader_as(id, &usr, false, &r3), -EDQUOT, "a third reader");
	cr_assert_eq(reader_as(id, &other, false, &x), 0, "another user's count");
	reader(id);
	reader(id);
	const char *why = NULL;
	cr_assert_eq(filter_as(id, &usr, "kind=group", &why), -EDQUOT, "2 lines, 2 readers");
	cr_assert_not_null(why);
	cr_assert_eq(nlines(render(id, "filter")), 1);
	rd_close(r2);
	cr_assert_eq(filter_as(id, &usr, "kind=group", &why), 0, "2 lines, 1 reader");
	cr_assert_eq(reader_as(id, &usr, false, &r2), -EDQUOT, "2 + 2 registrations");
	/* an anonymous port counts its lines too, once they are written */
	cr_assert_eq(anon_as(&usr, &x), 0);
	cr_assert_eq(anon_as(&usr, &r3), -EDQUOT, "one anonymous port");
	cr_assert_eq(rd_write(x, "all\nall key=1", &why), -EDQUOT, "2 + 2 registrations");
	rd_write_ok(x, "all");
	rd_close(x);
	cr_assert_eq(anon_as(&usr, &x), 0, "closing gives the anonymous port back");
	rd_close(r1);
	cr_assert_eq(reader_as(id, &usr, false, &r1), 0, "closing gives the reader back");
}

/* Formatted unread bytes (--limit-pending): a snapshot that would put the
 * user over it is refused, at open and by a start line, counting what its
 * other readers have not read yet; a "start snapshot" line replaces what
 * the reader itself has not read. Live records are not refused. */
Test(port, quota_pending_bytes)
{
	commit("reg-create-key Big");
	for (int i = 0; i < 8; i++) {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "reg-set Big v%d sz %0200d", i, i);
		commit(cmd);
	}
	/* the size of that snapshot, as an admin gets it */
	struct cfs_reader *ref = anon();
	rd_write_ok(ref, "registry=Big\nstart snapshot");
	size_t size = strlen(drain(ref));
	close_ports();
	lim.pending = size + size / 2;
	open_ports();
	uint64_t id = 0;
	cr_assert_eq(cfs_port_create(&ps, "big", &usr, &id), 0);
	cr_assert_eq(filter_as(id, &usr, "registry=Big", NULL), 0);
	cr_assert_eq(cfs_port_write_start(&ps, id, "snapshot", 8), 0);
	struct cfs_reader *a = NULL, *b = NULL;
	cr_assert_eq(reader_as(id, &usr, false, &a), 0, "one snapshot fits");
	cr_assert_eq(reader_as(id, &usr, false, &b), -EDQUOT, "not two");
	cr_assert_eq(reader_as(id, &other, false, &b), 0, "another user's count");
	const char *why = NULL;
	cr_assert_eq(rd_write(a, "start snapshot", &why), 0, "it replaces a's own unread bytes");
	cr_assert_eq(rd_write(b, "start snapshot", &why), 0);
	struct cfs_reader *c = NULL;
	cr_assert_eq(anon_as(&usr, &c), 0);
	cr_assert_eq(rd_write(c, "registry=Big\nstart snapshot", &why), -EDQUOT);
	cr_assert_not_null(why);
	pthread_mutex_lock(&ps.lock);
	size_t nregs = c->port->filter.n;
	pthread_mutex_unlock(&ps.lock);
	cr_assert_eq(nregs, 0, "a refused write applies none of its lines");
	/* once a has read its snapshot, there is room */
	char *s = drain(a);
	cr_assert_eq(strlen(s), size);
	rd_write_ok(c, "registry=Big\nstart snapshot");
	/* and now none for a's: its port's filter stays as it was */
	char *before = render(id, "filter");
	cr_assert_eq(rd_write(a, "kind=node\nstart snapshot", &why), -EDQUOT);
	cr_assert_str_eq(render(id, "filter"), before);
	/* live records are formatted whatever their size */
	for (int i = 0; i < 8; i++) {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "reg-set Big v%d sz %0200d", i, i + 1);
		commit(cmd);
	}
	cr_assert_eq(nlines(drain(a)), 8);
}

/* Named ports of users that no reader has opened for the expiry time go
 * (their files too); admins' ports and ports with a reader stay, and the
 * idle time counts from the last reader's close, kept across a restart.
 * Sweeps are at most one per every_ns. */
Test(port, expiry_of_idle_user_ports)
{
	const int64_t s = 1000000000;
	close_ports();
	lim.expiry_ns = 10 * s;
	open_ports();
	uint64_t idle = 0, busy = 0, mine = 0;
	cr_assert_eq(cfs_port_create(&ps, "idle", &usr, &idle), 0);
	cr_assert_eq(cfs_port_create(&ps, "busy", &usr, &busy), 0);
	cr_assert_eq(cfs_port_create(&ps, "mine", &adm, &mine), 0);
	struct cfs_reader *rd = NULL;
	cr_assert_eq(reader_as(busy, &usr, false, &rd), 0);
	int64_t t0 = cfs_now_ns();
	cr_assert_eq(cfs_ports_expire(&ps, t0 + 5 * s, 0), 0, "not idle long enough");
	cr_assert_eq(cfs_ports_expire(&ps, t0 + 11 * s, 0), 1);
	pthread_mutex_lock(&ps.lock);
	bool gone = !cfs_port_by_id(&ps, idle);
	bool kept = cfs_port_by_id(&ps, busy) && cfs_port_by_id(&ps, mine);
	pthread_mutex_unlock(&ps.lock);
	cr_assert(gone && kept);
	char path[128];
	snprintf(path, sizeof(path), "%s/ports/idle", dir);
	cr_assert_eq(access(path, F_OK), -1, "the file is gone");
	rd_close(rd);
	int64_t t1 = cfs_now_ns();
	close_ports();
	open_ports();
	cr_assert_eq(cfs_ports_expire(&ps, t1 + 5 * s, 0), 0, "idle since its reader closed");
	cr_assert_eq(cfs_ports_expire(&ps, t1 + 20 * s, 60 * s), 0, "a sweep 15 s ago");
	cr_assert_eq(cfs_ports_expire(&ps, t1 + 66 * s, 60 * s), 1);
	cr_assert_eq(cfs_ports_expire(&ps, t1 + 1000 * s, 0), 0, "an admin's port stays");
	cr_assert_str_eq(render(mine, "start"), "now\n");
}
