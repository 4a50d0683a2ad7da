/* SPDX-License-Identifier: MIT */
/* libclusapi's record parser (clusapi/cl_notify_record.c): the JSON Lines a
 * notification port gives, turned into V1 and V2 events and copied out as
 * GetClusterNotify and GetClusterNotifyV2 do (cl_notify_replay). The first
 * byte is the size of the pieces the text arrives in (0: one piece), the
 * second the callers' buffer size in units; the rest is what the port
 * gives. The mount is a path that does not exist: every lookup the parser
 * makes of the mount fails, as when the daemon went away.
 * Properties: no crash, leak or undefined behaviour whatever the text;
 * at most one event per complete line, and more than one only for an
 * overflow record (one per registration). */
#include "cl_i.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t chunk = data[0];
	DWORD cch = data[1];
	char *text = fuzz_bytes(data + 2, size - 2);
	long events = cl_notify_replay("/nonexistent/clusterfs-fuzz", text, size - 2, chunk, cch);
	size_t lines = 0;
	for (size_t i = 0; i < size - 2; i++)
		lines += text[i] == '\n';
	FUZZ_CHECK(events >= 0 && (size_t)events <= lines * 9);
	free(text);
	return 0;
}
