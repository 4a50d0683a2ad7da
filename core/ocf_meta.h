/* SPDX-License-Identifier: MIT */
/* An OCF agent's meta-data (the XML its "meta-data" action prints, OCF
 * resource agent API 1.0): its short description, parameters and the
 * timeouts and monitor interval it advises.
 *
 * The reader is small and careful rather than general: it walks the tags
 * and attributes of a well-formed document, decodes the five predefined
 * entities and numeric character references, and skips comments,
 * processing instructions, the DOCTYPE and CDATA. It never reads past the
 * given length and takes what it recognises; anything else is ignored. */
#ifndef CFS_OCF_META_H
#define CFS_OCF_META_H

#include <stddef.h>
#include <stdint.h>

#include "restype.h"

struct cfs_ocf_meta {
	char *shortdesc;		/* "" when none */
	struct cfs_param_def *params;	/* in document order */
	size_t nparams;
	uint32_t start_ms, stop_ms;	/* advised timeouts; 0: none given */
	uint32_t monitor_ms, monitor_interval_ms;
};

/* 0, or -EINVAL when the text is not an OCF resource-agent document
 * (no <resource-agent> element), or -ENOMEM. */
int cfs_ocf_meta_parse(const char *xml, size_t len, struct cfs_ocf_meta *ret);
void cfs_ocf_meta_free(struct cfs_ocf_meta *m);
/* A Pacemaker time ("20s", "20" (seconds), "100ms", "2m", "1h") in
 * milliseconds; 0 for what does not parse. */
uint32_t cfs_ocf_msec(const char *s);

#endif
