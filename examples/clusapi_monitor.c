/* SPDX-License-Identifier: MIT */
/*
 * clusapi_monitor.c: a cluster event monitor written the way a legacy
 * Windows cluster tool is (after Microsoft's "Notification Port Example"),
 * built unchanged against libclusapi on Linux.
 *
 * Build it with exactly this command (nothing but the pkg-config flags):
 *
 *   cc -fshort-wchar $(pkg-config --cflags clusapi) clusapi_monitor.c $(pkg-config --libs clusapi) -lpthread
 *
 * -fshort-wchar is needed: the strings are written as L"..." literals, as on
 * Windows, and clusapi.h's WCHAR is one UTF-16 unit, while Linux's wchar_t
 * is 32 bits unless -fshort-wchar makes it 16. (The check below stops a
 * build without it.) The program calls none of the C library's wide
 * functions (wprintf, wcslen, ...), which -fshort-wchar would break. Against
 * a build tree instead of an installed library, set
 * PKG_CONFIG_PATH=<builddir>/meson-uninstalled for the build and
 * LD_LIBRARY_PATH=<builddir>/clusapi for the run.
 *
 * Run:  CLUSTERFS_MOUNT=/mnt/clusterfs ./a.out [GROUP [RESOURCE]]
 *
 * The main thread opens the cluster and starts the event thread. The event
 * thread creates a notification port for group and resource events and
 * HANDLE_CLOSE on the cluster handle, then loops in GetClusterNotify
 * (2500 ms timeout). The main thread creates a group and a "Generic
 * Service" resource in it, brings the group online and offline, deletes
 * the resource and the group, closes their handles and then the cluster
 * handle, and joins the event thread. Closing the cluster handle queues
 * CLUSTER_CHANGE_HANDLE_CLOSE, on which the event thread leaves its loop
 * and closes the port.
 *
 * Output: one line per event on stdout, "<CHANGE> <object name>", for
 * example "GROUP_ADDED ClusapiMonitorGroup": the order is the cluster's, so
 * the transcript is the same on every run. Progress and errors go to
 * stderr. Exit status 0 when every call did what it should and the event
 * thread ended on HANDLE_CLOSE; 1 otherwise.
 *
 * Where it is stricter than Microsoft's sample: it checks the notify key
 * and that every event is one it asked for; its name buffer starts small
 * and grows on ERROR_MORE_DATA (the event must still be there on the
 * retry); and it gives up after 30 s without any event instead of waiting
 * forever for a HANDLE_CLOSE that does not come.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <clusapi.h>

#if defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ != 2
#error "build with -fshort-wchar: the L\"...\" strings of this program must be UTF-16 (see the top of the file)"
#endif

#define MONITOR_FILTER                                                                    \
	(CLUSTER_CHANGE_GROUP_ADDED | CLUSTER_CHANGE_GROUP_DELETED |                       \
	 CLUSTER_CHANGE_GROUP_STATE | CLUSTER_CHANGE_RESOURCE_ADDED |                      \
	 CLUSTER_CHANGE_RESOURCE_DELETED | CLUSTER_CHANGE_RESOURCE_STATE |                 \
	 CLUSTER_CHANGE_HANDLE_CLOSE)
#define MONITOR_TIMEOUT_MS 2500 /* each GetClusterNotify */
#define MONITOR_MAX_IDLE 12	/* timeouts in a row before giving up (30 s) */
#define MONITOR_INITIAL_CCH 8	/* small on purpose: ERROR_MORE_DATA happens */

/* What the main thread hands to the event thread, and how the event thread
 * says that its port is ready (or could not be made). */
typedef struct _MONITOR_CONTEXT {
	HCLUSTER hCluster;
	pthread_mutex_t Lock;
	pthread_cond_t Changed;
	BOOL bPortReady;   /* guarded by Lock */
	DWORD dwPortError; /* guarded by Lock */
	DWORD dwResult;	   /* the event thread's result, read after the join */
} MONITOR_CONTEXT;

static const struct {
	DWORD dwFlag;
	const char *pszName;
} g_ChangeNames[] = {
	{CLUSTER_CHANGE_NODE_STATE, "NODE_STATE"},
	{CLUSTER_CHANGE_NODE_DELETED, "NODE_DELETED"},
	{CLUSTER_CHANGE_NODE_ADDED, "NODE_ADDED"},
	{CLUSTER_CHANGE_NODE_PROPERTY, "NODE_PROPERTY"},
	{CLUSTER_CHANGE_REGISTRY_NAME, "REGISTRY_NAME"},
	{CLUSTER_CHANGE_REGISTRY_ATTRIBUTES, "REGISTRY_ATTRIBUTES"},
	{CLUSTER_CHANGE_REGISTRY_VALUE, "REGISTRY_VALUE"},
	{CLUSTER_CHANGE_REGISTRY_SUBTREE, "REGISTRY_SUBTREE"},
	{CLUSTER_CHANGE_RESOURCE_STATE, "RESOURCE_STATE"},
	{CLUSTER_CHANGE_RESOURCE_DELETED, "RESOURCE_DELETED"},
	{CLUSTER_CHANGE_RESOURCE_ADDED, "RESOURCE_ADDED"},
	{CLUSTER_CHANGE_RESOURCE_PROPERTY, "RESOURCE_PROPERTY"},
	{CLUSTER_CHANGE_GROUP_STATE, "GROUP_STATE"},
	{CLUSTER_CHANGE_GROUP_DELETED, "GROUP_DELETED"},
	{CLUSTER_CHANGE_GROUP_ADDED, "GROUP_ADDED"},
	{CLUSTER_CHANGE_GROUP_PROPERTY, "GROUP_PROPERTY"},
	{CLUSTER_CHANGE_RESOURCE_TYPE_DELETED, "RESOURCE_TYPE_DELETED"},
	{CLUSTER_CHANGE_RESOURCE_TYPE_ADDED, "RESOURCE_TYPE_ADDED"},
	{CLUSTER_CHANGE_RESOURCE_TYPE_PROPERTY, "RESOURCE_TYPE_PROPERTY"},
	{CLUSTER_CHANGE_CLUSTER_RECONNECT, "CLUSTER_RECONNECT"},
	{CLUSTER_CHANGE_NETWORK_STATE, "NETWORK_STATE"},
	{CLUSTER_CHANGE_NETWORK_DELETED, "NETWORK_DELETED"},
	{CLUSTER_CHANGE_NETWORK_ADDED, "NETWORK_ADDED"},
	{CLUSTER_CHANGE_NETWORK_PROPERTY, "NETWORK_PROPERTY"},
	{CLUSTER_CHANGE_NETINTERFACE_STATE, "NETINTERFACE_STATE"},
	{CLUSTER_CHANGE_NETINTERFACE_DELETED, "NETINTERFACE_DELETED"},
	{CLUSTER_CHANGE_NETINTERFACE_ADDED, "NETINTERFACE_ADDED"},
	{CLUSTER_CHANGE_NETINTERFACE_PROPERTY, "NETINTERFACE_PROPERTY"},
	{CLUSTER_CHANGE_QUORUM_STATE, "QUORUM_STATE"},
	{CLUSTER_CHANGE_CLUSTER_STATE, "CLUSTER_STATE"},
	{CLUSTER_CHANGE_CLUSTER_PROPERTY, "CLUSTER_PROPERTY"},
	{CLUSTER_CHANGE_HANDLE_CLOSE, "HANDLE_CLOSE"},
};

static void PrintEvent(DWORD dwFilterType, LPCWSTR lpszName)
{
	const char *pszChange = NULL;
	for (size_t i = 0; i < sizeof(g_ChangeNames) / sizeof(g_ChangeNames[0]); i++)
		if (g_ChangeNames[i].dwFlag == dwFilterType)
			pszChange = g_ChangeNames[i].pszName;
	char *pszName = ClusapiWideToUtf8(lpszName);
	if (pszChange)
		printf("%s %s\n", pszChange, pszName ? pszName : "<bad UTF-16>");
	else
		printf("0x%08X %s\n", (unsigned)dwFilterType, pszName ? pszName : "<bad UTF-16>");
	ClusapiFree(pszName);
}

static void SignalPort(MONITOR_CONTEXT *pCtx, DWORD dwError)
{
	pthread_mutex_lock(&pCtx->Lock);
	pCtx->bPortReady = TRUE;
	pCtx->dwPortError = dwError;
	pthread_cond_signal(&pCtx->Changed);
	pthread_mutex_unlock(&pCtx->Lock);
}

/* The event thread: creates the port, prints events until HANDLE_CLOSE,
 * closes the port. Returns ERROR_SUCCESS or the first error. */
static DWORD WINAPI EventThread(LPVOID lpParam)
{
	MONITOR_CONTEXT *pCtx = lpParam;
	DWORD dwResult = ERROR_SUCCESS;
	DWORD dwIdle = 0;
	DWORD cchCapacity = MONITOR_INITIAL_CCH;
	LPWSTR lpszName = NULL;

	HCHANGE hChange = CreateClusterNotifyPort((HCHANGE)INVALID_HANDLE_VALUE, pCtx->hCluster,
						  MONITOR_FILTER, (DWORD_PTR)MONITOR_FILTER);
	if (hChange == NULL) {
		DWORD dwError = GetLastError();
		fprintf(stderr, "CreateClusterNotifyPort failed: error %u\n", (unsigned)dwError);
		SignalPort(pCtx, dwError);
		return dwError;
	}
	SignalPort(pCtx, ERROR_SUCCESS);

	lpszName = malloc(cchCapacity * sizeof(WCHAR));
	if (lpszName == NULL) {
		dwResult = ERROR_NOT_ENOUGH_MEMORY;
		goto close_port;
	}
	for (;;) {
		DWORD_PTR dwNotifyKey = 0;
		DWORD dwFilterType = 0;
		DWORD cchName = cchCapacity;
		DWORD dwStatus = GetClusterNotify(hChange, &dwNotifyKey, &dwFilterType, lpszName,
						  &cchName, MONITOR_TIMEOUT_MS);
		if (dwStatus == WAIT_TIMEOUT) {
			if (++dwIdle < MONITOR_MAX_IDLE)
				continue;
			fprintf(stderr, "EventThread: no event for %u ms; giving up\n",
				(unsigned)(MONITOR_MAX_IDLE * MONITOR_TIMEOUT_MS));
			dwResult = WAIT_TIMEOUT;
			break;
		}
		if (dwStatus == ERROR_MORE_DATA) {
			/* cchName is the length without the NUL; the event stays
			 * queued for the next call. */
			LPWSTR lpszBigger = realloc(lpszName, (cchName + 1) * sizeof(WCHAR));
			if (lpszBigger == NULL) {
				dwResult = ERROR_NOT_ENOUGH_MEMORY;
				break;
			}
			lpszName = lpszBigger;
			cchCapacity = cchName + 1;
			continue;
		}
		if (dwStatus != ERROR_SUCCESS) {
			fprintf(stderr, "GetClusterNotify failed: error %u\n", (unsigned)dwStatus);
			dwResult = dwStatus;
			break;
		}
		dwIdle = 0;
		PrintEvent(dwFilterType, lpszName);
		if (dwNotifyKey != (DWORD_PTR)MONITOR_FILTER && dwResult == ERROR_SUCCESS) {
			fprintf(stderr, "EventThread: notify key 0x%llx, expected 0x%x\n",
				(unsigned long long)dwNotifyKey, (unsigned)MONITOR_FILTER);
			dwResult = ERROR_INVALID_DATA;
		}
		if ((dwFilterType & ~MONITOR_FILTER) != 0 && dwResult == ERROR_SUCCESS) {
			fprintf(stderr, "EventThread: event 0x%08x is not in the filter\n",
				(unsigned)dwFilterType);
			dwResult = ERROR_INVALID_DATA;
		}
		if (dwFilterType == CLUSTER_CHANGE_HANDLE_CLOSE)
			break; /* the cluster handle is gone: so is our interest */
	}
	free(lpszName);
close_port:
	CloseClusterNotifyPort(hChange);
	return dwResult;
}

static void *EventThreadStart(void *lpParam)
{
	MONITOR_CONTEXT *pCtx = lpParam;
	pCtx->dwResult = EventThread(pCtx);
	return NULL;
}

/* Reports a failed call and returns FALSE. */
static BOOL Failed(const char *pszCall, DWORD dwError)
{
	fprintf(stderr, "%s failed: error %u\n", pszCall, (unsigned)dwError);
	return FALSE;
}


int main(int argc, char **argv)
{
	MONITOR_CONTEXT Ctx = {.Lock = PTHREAD_MUTEX_INITIALIZER,
			       .Changed = PTHREAD_COND_INITIALIZER};
	pthread_t hEventThread;
	HGROUP hGroup = NULL;
	HRESOURCE hResource = NULL;
	BOOL bOk = TRUE;
	BOOL bGroupExists = FALSE, bResourceExists = FALSE;
	DWORD dwStatus;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 3) {
		fprintf(stderr, "usage: %s [GROUP [RESOURCE]]\n", argv[0]);
		return 2;
	}
	/* Names from the command line (UTF-8) become WCHAR strings. */
	LPWSTR lpszGroupArg = argc > 1 ? ClusapiUtf8ToWide(argv[1]) : NULL;
	LPWSTR lpszResourceArg = argc > 2 ? ClusapiUtf8ToWide(argv[2]) : NULL;
	if ((argc > 1 && lpszGroupArg == NULL) || (argc > 2 && lpszResourceArg == NULL)) {
		fprintf(stderr, "a name is not valid UTF-8\n");
		ClusapiFree(lpszGroupArg);
		return 2;
	}
	LPCWSTR lpszGroup = lpszGroupArg ? lpszGroupArg : L"ClusapiMonitorGroup";
	LPCWSTR lpszResource = lpszResourceArg ? lpszResourceArg : L"ClusapiMonitorService";

	Ctx.hCluster = OpenCluster(NULL);
	if (Ctx.hCluster == NULL) {
		Failed("OpenCluster", GetLastError());
		ClusapiFree(lpszGroupArg);
		ClusapiFree(lpszResourceArg);
		return 1;
	}
	if (pthread_create(&hEventThread, NULL, EventThreadStart, &Ctx) != 0) {
		fprintf(stderr, "cannot start the event thread\n");
		CloseCluster(Ctx.hCluster);
		ClusapiFree(lpszGroupArg);
		ClusapiFree(lpszResourceArg);
		return 1;
	}
	/* Make no change before the port exists: it would be missed. */
	pthread_mutex_lock(&Ctx.Lock);
	while (!Ctx.bPortReady)
		pthread_cond_wait(&Ctx.Changed, &Ctx.Lock);
	DWORD dwPortError = Ctx.dwPortError;
	pthread_mutex_unlock(&Ctx.Lock);
	if (dwPortError != ERROR_SUCCESS) {
		bOk = FALSE;
		goto close_cluster;
	}

	fprintf(stderr, "creating the group\n");
	hGroup = CreateClusterGroup(Ctx.hCluster, lpszGroup);
	if (hGroup == NULL) {
		bOk = Failed("CreateClusterGroup", GetLastError());
		goto close_cluster;
	}
	bGroupExists = TRUE;

	fprintf(stderr, "creating the resource\n");
	hResource = CreateClusterResource(hGroup, lpszResource, L"Generic Service", 0);
	if (hResource == NULL) {
		bOk = Failed("CreateClusterResource", GetLastError());
		goto delete_objects;
	}
	bResourceExists = TRUE;

	fprintf(stderr, "bringing the group online\n");
	dwStatus = OnlineClusterGroup(hGroup, NULL);
	if (dwStatus == ERROR_IO_PENDING) {
		/* Finishing in the background: wait for it (up to 10 s). */
		for (int i = 0; i < 1000 && GetClusterGroupState(hGroup, NULL, NULL) ==
						      ClusterGroupPending; i++) {
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		dwStatus = ERROR_SUCCESS;
	}
	if (dwStatus != ERROR_SUCCESS) {
		bOk = Failed("OnlineClusterGroup", dwStatus);
		goto delete_objects;
	}
	if (GetClusterGroupState(hGroup, NULL, NULL) != ClusterGroupOnline) {
		bOk = Failed("GetClusterGroupState (online)", GetLastError());
		goto delete_objects;
	}

	fprintf(stderr, "taking the group offline\n");
	dwStatus = OfflineClusterGroup(hGroup);
	if (dwStatus != ERROR_SUCCESS && dwStatus != ERROR_IO_PENDING)
		bOk = Failed("OfflineClusterGroup", dwStatus);

delete_objects:
	/* Also the way out after an error: leave nothing behind. */
	if (bResourceExists) {
		if (!bOk)
			OfflineClusterGroup(hGroup);
		fprintf(stderr, "deleting the resource\n");
		dwStatus = DeleteClusterResource(hResource);
		if (dwStatus != ERROR_SUCCESS)
			bOk = Failed("DeleteClusterResource", dwStatus);
	}
	if (bGroupExists) {
		fprintf(stderr, "deleting the group\n");
		dwStatus = DeleteClusterGroup(hGroup);
		if (dwStatus != ERROR_SUCCESS)
			bOk = Failed("DeleteClusterGroup", dwStatus);
	}
	if (hResource != NULL && !CloseClusterResource(hResource))
		bOk = Failed("CloseClusterResource", GetLastError());
	if (hGroup != NULL && !CloseClusterGroup(hGroup))
		bOk = Failed("CloseClusterGroup", GetLastError());

close_cluster:
	/* This queues HANDLE_CLOSE on the port, which ends the event thread. */
	fprintf(stderr, "closing the cluster\n");
	if (!CloseCluster(Ctx.hCluster))
		bOk = Failed("CloseCluster", GetLastError());
	pthread_join(hEventThread, NULL);
	if (Ctx.dwResult != ERROR_SUCCESS && dwPortError == ERROR_SUCCESS)
		bOk = Failed("the event thread", Ctx.dwResult);
	ClusapiFree(lpszGroupArg);
	ClusapiFree(lpszResourceArg);
	fflush(stdout);
	fprintf(stderr, "%s\n", bOk ? "done" : "FAILED");
	return bOk ? 0 : 1;
}
