/* SPDX-License-Identifier: MIT */
/* A legacy-style watcher for the cluster tests: it opens the cluster at
 * $CLUSTERFS_MOUNT through libclusapi, creates a notification port for
 * node and group state changes and group property changes (the owner),
 * creates $READY once the port is registered, then prints
 * "<CHANGE> <name>" for every event until it has seen no event for
 * SECONDS (default 5) or was signalled.
 *
 *   clusapi_watch [SECONDS] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <clusapi.h>

#define FILTER                                                                               \
	(CLUSTER_CHANGE_NODE_STATE | CLUSTER_CHANGE_GROUP_STATE | CLUSTER_CHANGE_GROUP_PROPERTY | \
	 CLUSTER_CHANGE_RESOURCE_STATE)

static const char *change_name(DWORD t)
{
	switch (t) {
	case CLUSTER_CHANGE_NODE_STATE:
		return "NODE_STATE";
	case CLUSTER_CHANGE_GROUP_STATE:
		return "GROUP_STATE";
	case CLUSTER_CHANGE_GROUP_PROPERTY:
		return "GROUP_PROPERTY";
	case CLUSTER_CHANGE_RESOURCE_STATE:
		return "RESOURCE_STATE";
	default:
		return "OTHER";
	}
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 5;
	HCLUSTER c = OpenCluster(NULL);
	if (!c) {
		fprintf(stderr, "OpenCluster: %u\n", (unsigned)GetLastError());
		return 1;
	}
	HCHANGE port = CreateClusterNotifyPort(INVALID_HANDLE_VALUE, c, FILTER, 1);
	if (port == INVALID_HANDLE_VALUE) {
		fprintf(stderr, "CreateClusterNotifyPort: %u\n", (unsigned)GetLastError());
		return 1;
	}
	const char *ready = getenv("READY");
	if (ready) {
		FILE *f = fopen(ready, "w");
		if (f)
			fclose(f);
	}
	WCHAR name[512];
	for (;;) {
		DWORD_PTR key;
		DWORD type, cch = 512;
		DWORD st = GetClusterNotify(port, &key, &type, name, &cch, (DWORD)secs * 1000);
		if (st == WAIT_TIMEOUT)
			break;
		if (st != ERROR_SUCCESS) {
			fprintf(stderr, "GetClusterNotify: %u\n", (unsigned)st);
			break;
		}
		char *u = ClusapiWideToUtf8(name);
		printf("%s %s\n", change_name(type), u ? u : "?");
		fflush(stdout);
		ClusapiFree(u);
	}
	CloseClusterNotifyPort(port);
	CloseCluster(c);
	return 0;
}
