/* SPDX-License-Identifier: MIT */
/* Port start and filter lines through the port API (core/port.h), as the
 * files of a port take them: one engine and one named port for the whole
 * run (state in $TMPDIR, which the test's wrapper removes), an anonymous
 * reader and a reader of the named port. The input's parts (separated by
 * FUZZ_SEP) are, in turn: the named port's start file, its filter file,
 * then writes to the anonymous reader and the named reader, alternately
 * (filter and "start" lines). After each write the readers are drained;
 * after the input everything is reset.
 * Properties: a refused write changes nothing and has a reason (where the
 * API gives one); a reader gives whole JSON lines; no crash, leak or
 * undefined behaviour. */
#include <errno.h>
#include <ftw.h>
#include <unistd.h>

#include "engine.h"
#include "fuzz.h"
#include "port.h"

static struct cfs_engine *e;
static struct cfs_ports ps;
static uint64_t port_id;
static struct cfs_reader *named, *anon;
static uint64_t named_off; /* the named reader is seekable: its file offset */
static struct cfs_cred root;
static char dir[4096];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	if (named)
		cfs_reader_close(&ps, named);
	if (anon)
		cfs_reader_close(&ps, anon);
	cfs_ports_close(&ps);
	cfs_engine_free(e);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/cfs-fuzz-port.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	const char *why = NULL;
	struct cfs_engine_config cfg = {.state_dir = dir, .cluster_name = "fuzz"};
	root = cfs_cred_root();
	if (!mkdtemp(dir) || cfs_engine_open(&cfg, &e, &why) < 0 ||
	    cfs_ports_open(&ps, e, dir, NULL) < 0 ||
	    cfs_port_create(&ps, "fuzz", &root, &port_id) < 0 ||
	    cfs_reader_open(&ps, port_id, &root, true, &named) < 0 ||
	    cfs_reader_open_anon(&ps, &root, &anon) < 0) {
		fprintf(stderr, "fuzz_port: cannot set up in %s: %s\n", dir, why ? why : "");
		abort();
	}
	atexit(cleanup);
	return 0;
}

/* Takes everything a reader has: whole lines of JSON objects (one line
 * per read for the seekable named reader, read at its offset). */
static void drain(struct cfs_reader *rd)
{
	char buf[4096];
	pthread_mutex_lock(&ps.lock);
	for (int i = 0; i < 10000; i++) {
		ssize_t n = cfs_reader_take(&ps, rd, rd == named ? named_off : 0, buf, sizeof(buf));
		if (n <= 0) {
			FUZZ_CHECK(n == -EAGAIN || n == 0);
			break;
		}
		FUZZ_CHECK((size_t)n < sizeof(buf) && buf[0] == '{' && buf[n - 1] == '\n');
		if (rd == named) {
			FUZZ_CHECK(memchr(buf, '\n', (size_t)n) == buf + n - 1);
			named_off += (uint64_t)n;
		}
	}
	pthread_mutex_unlock(&ps.lock);
}

static void render(void)
{
	static const char *const files[] = {"filter", "start", "stats"};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(files); i++) {
		struct cfs_buf out = {0};
		FUZZ_CHECK(cfs_port_render(&ps, port_id, files[i], &out) == 0);
		cfs_buf_free(&out);
	}
}

static void reset(void)
{
	const char *why = NULL;
	FUZZ_CHECK(cfs_port_write_filter(&ps, port_id, &root, "reset\n", 6, &why) == 0);
	FUZZ_CHECK(cfs_port_write_start(&ps, port_id, "now\n", 4) == 0);
	FUZZ_CHECK(cfs_reader_write(&ps, named, "reset\nstart now\n", 16, &why) == 0);
	FUZZ_CHECK(cfs_reader_write(&ps, anon, "reset\nstart now\n", 16, &why) == 0);
	drain(named);
	drain(anon);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_split sp = {data ? data : (const uint8_t *)"", size};
	const uint8_t *part;
	size_t len;
	for (int i = 0; fuzz_part(&sp, &part, &len); i++) {
		/* The mount refuses a write with a NUL before a port sees it. */
		if (memchr(part, '\0', len))
			continue;
		char *text = fuzz_bytes(part, len);
		const char *why = NULL;
		int r;
		if (i == 0) {
			/* not terminated: the API bounds its reads by len */
			r = cfs_port_write_start(&ps, port_id, text, len);
		} else if (i == 1) {
			r = cfs_port_write_filter(&ps, port_id, &root, text, len, &why);
			FUZZ_CHECK(r == 0 || why || r == -ENOMEM);
		} else {
			r = cfs_reader_write(&ps, i % 2 ? named : anon, text, len, &why);
			FUZZ_CHECK(r == 0 || why || r == -ENOMEM);
			drain(i % 2 ? named : anon);
		}
		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -E2BIG || r == -ENOMEM);
		free(text);
	}
	render();
	reset();
	return 0;
}
