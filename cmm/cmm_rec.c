/* SPDX-License-Identifier: MIT */
/* Records -> CMM notifications (the table is in cmm.c's header comment).
 * Pure: no mount, no state, so the fuzz harness (fuzz/fuzz_cmm_records.c)
 * drives exactly what cmm_notify_dispatch runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cmm_i.h"

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

int cmmi_rec_parse(const char *line, struct cmmi_rec *r)
{
	struct json_object *o = json_tokener_parse(line);
	if (!o)
		return 0;
	int res = 0;
	const char *change = jstr(o, "change"), *kind = jstr(o, "kind"), *prop = jstr(o, "prop");
	if (strcmp(change, "closed") == 0) {
		res = -1;
	} else if (strcmp(change, "added") == 0 && strcmp(kind, "node") == 0) {
		char *end;
		errno = 0;
		unsigned long n = strtoul(prop, &end, 10);
		if (*prop && !*end && !errno && n > 0 && n < CMM_INVALID_NODE_ID) {
			memset(r, 0, sizeof(*r));
			r->learn = true;
			r->number = (cmm_nodeid_t)n;
			snprintf(r->id, sizeof(r->id), "%s", jstr(o, "id"));
			res = 1;
		}
	} else if (strcmp(change, "property") == 0 &&
		   ((strcmp(kind, "node") == 0 && strcmp(prop, "Role") == 0) ||
		    (strcmp(kind, "cluster") == 0 && strcmp(prop, "CmmStatus") == 0))) {
		memset(r, 0, sizeof(*r));
		r->cluster = kind[0] == 'c';
		snprintf(r->id, sizeof(r->id), "%s", jstr(o, "id"));
		snprintf(r->old, sizeof(r->old), "%s", jstr(o, "old"));
		snprintf(r->new, sizeof(r->new), "%s", jstr(o, "new"));
		res = 1;
	}
	json_object_put(o);
	return res;
}

int cmmi_rec_kinds(const struct cmmi_rec *r, cmm_cmchanges_t out[2])
{
	if (r->learn)
		return 0;
	if (r->cluster) {
		if (strcmp(r->new, "stale") == 0)
			out[0] = CMM_STALE_CLUSTER;
		else if (strcmp(r->new, "invalid") == 0)
			out[0] = CMM_INVALID_CLUSTER;
		else if (strcmp(r->new, "valid") == 0)
			out[0] = CMM_VALID_CLUSTER;
		else
			return 0;
		return 1;
	}
	const char *o = r->old, *n = r->new;
	if (strcmp(n, "out") == 0)
		return out[0] = CMM_MEMBER_LEFT, 1;
	if (strcmp(n, "master") == 0)
		return out[0] = CMM_MASTER_ELECTED, 1;
	if (strcmp(o, "master") == 0 && strcmp(n, "vicemaster") == 0) {
		out[0] = CMM_MASTER_DEMOTED;
		out[1] = CMM_VICEMASTER_ELECTED;
		return 2;
	}
	if (strcmp(n, "vicemaster") == 0)
		return out[0] = CMM_VICEMASTER_ELECTED, 1;
	if (strcmp(o, "master") == 0)
		return out[0] = CMM_MASTER_DEMOTED, 1;
	if (strcmp(o, "vicemaster") == 0)
		return out[0] = CMM_VICEMASTER_DEMOTED, 1;
	if (strcmp(o, "out") == 0)
		return out[0] = CMM_MEMBER_JOINED, 1;
	return 0;
}
