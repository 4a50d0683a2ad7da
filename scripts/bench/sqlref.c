/* SPDX-License-Identifier: MIT */
/* The reference for a durable write: a bare SQLite commit of one row.
 *
 *   sqlref DBFILE N DATAFILE
 *
 * Opens DBFILE in WAL mode with synchronous=FULL (as the daemon's store),
 * and times N one-row commits back to back (INSERT OR REPLACE of one row,
 * autocommit: one transaction, one WAL fsync each). DATAFILE gets one latency per
 * line (microseconds). Prints: RESULT key=value ... */
#include "common.h"

#include <sqlite3.h>

int main(int argc, char **argv)
{
	if (argc < 4)
		die("usage: sqlref DBFILE N DATAFILE");
	int n = atoi(argv[2]);
	sqlite3 *db;
	if (sqlite3_open(argv[1], &db) != SQLITE_OK)
		die("open %s: %s", argv[1], sqlite3_errmsg(db));
	char *err = NULL;
	if (sqlite3_exec(db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "CREATE TABLE IF NOT EXISTS t(k INTEGER PRIMARY KEY, v TEXT);",
			 NULL, NULL, &err) != SQLITE_OK)
		die("setup: %s", err);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO t VALUES(1, ?)", -1, &st, NULL) !=
	    SQLITE_OK)
		die("prepare: %s", sqlite3_errmsg(db));
	FILE *data = fopen(argv[3], "w");
	if (!data)
		die("%s: %s", argv[3], strerror(errno));
	int64_t *lat = calloc((size_t)n, sizeof(*lat));
	char val[32];
	for (int i = 0; i < n; i++) {
		snprintf(val, sizeof(val), "%d", i);
		int64_t t0 = now_ns();
		sqlite3_bind_text(st, 1, val, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("step: %s", sqlite3_errmsg(db));
		sqlite3_reset(st);
		lat[i] = now_ns() - t0;
		fprintf(data, "%.1f\n", lat[i] / 1e3);
	}
	fclose(data);
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("RESULT n=%d", n);
	print_pcts("commit", lat, (size_t)n);
	printf("\n");
	return 0;
}
