/* SPDX-License-Identifier: MIT */
/* libcgha_cmm: the one place where errno values become CMM codes, and
 * cmm_strerror(). */
#include <errno.h>

#include "cmm_i.h"

cmm_error_t cmmi_error(int err)
{
	switch (err) {
	case 0:
		return CMM_OK;
	case EPERM:
	case EACCES:
		return CMM_EPERM; /* only the master may; seize not allowed */
	case ECANCELED:
		return CMM_ECANCELED; /* no vice-master can take over */
	case EHOSTDOWN:
		return CMM_ENOCLUSTER; /* this node is not in the cluster */
	case ENOENT:
		return CMM_ESRCH; /* no such node */
	case EINVAL:
		return CMM_EINVAL;
	case EEXIST:
		return CMM_EEXIST;
	case ERANGE:
		return CMM_ERANGE;
	case ENOMEM: /* out of resources: try again (reference: CMM_EBUSY) */
	case EMFILE:
	case ENFILE:
		return CMM_EBUSY;
	case ETIMEDOUT:
		return CMM_ETIMEDOUT;
	case EBUSY:
	case EAGAIN:
		return CMM_EBUSY;
	case EBADF:
	case EPIPE:
		return CMM_EBADF;
	case ENOTCONN:	   /* no mount, or the daemon is gone */
	case ENODEV:
	case ECONNABORTED:
	case ENXIO:
	case EIO:
		return CMM_ECONN;
	default:
		return CMM_ENOTSUP; /* an unexpected service error */
	}
}

__attribute__((visibility("default"))) char *cmm_strerror(cmm_error_t errnum)
{
	switch (errnum) {
	case CMM_OK:
		return "CMM_OK: success";
	case CMM_EBADF:
		return "CMM_EBADF: bad notification file descriptor";
	case CMM_EBUSY:
		return "CMM_EBUSY: service temporarily busy, retry";
	case CMM_ECANCELED:
		return "CMM_ECANCELED: operation canceled";
	case CMM_EEXIST:
		return "CMM_EEXIST: a callback is already registered";
	case CMM_EINVAL:
		return "CMM_EINVAL: invalid argument";
	case CMM_ENOENT:
		return "CMM_ENOENT: no callback registered";
	case CMM_ENOMSG:
		return "CMM_ENOMSG: no message";
	case CMM_ENOTSUP:
		return "CMM_ENOTSUP: unexpected service error";
	case CMM_EPERM:
		return "CMM_EPERM: operation not permitted";
	case CMM_ERANGE:
		return "CMM_ERANGE: table too small";
	case CMM_ESRCH:
		return "CMM_ESRCH: no such member";
	case CMM_ENOCLUSTER:
		return "CMM_ENOCLUSTER: not in a cluster, or no master";
	case CMM_ECONN:
		return "CMM_ECONN: cannot reach the cluster membership service";
	case CMM_ETIMEDOUT:
		return "CMM_ETIMEDOUT: timeout expired";
	case CMM_EAGAIN:
		return "CMM_EAGAIN: information may be out of date";
	case CMM_ENOMEM:
		return "CMM_ENOMEM: out of memory";
	case CMM_EOTHER:
		return "CMM_EOTHER: other error";
	}
	return "unknown CMM error";
}
