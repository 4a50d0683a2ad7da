/* SPDX-License-Identifier: MIT */
/* The thread's last error, and the one place where errnos become Win32
 * codes. Each call passes its own table first (the same errno means
 * different things to different calls: ENOENT is ERROR_GROUP_NOT_FOUND for
 * a group and ERROR_FILE_NOT_FOUND for a registry value); what it leaves
 * out falls to the generic table below. */
#include <errno.h>

#include "cl_i.h"

static __thread DWORD last_error;

CL_EXPORT DWORD WINAPI GetLastError(void)
{
	return last_error;
}

CL_EXPORT void WINAPI SetLastError(DWORD dwErrCode)
{
	last_error = dwErrCode;
}

DWORD cl_set_error(DWORD e)
{
	last_error = e;
	return e;
}

static const struct cl_errmap generic[] = {
	{EINVAL, ERROR_INVALID_PARAMETER},
	{ERANGE, ERROR_INVALID_PARAMETER},
	{ENOENT, ERROR_NOT_FOUND},
	{EEXIST, ERROR_OBJECT_ALREADY_EXISTS},
	{ENOTEMPTY, ERROR_DIR_NOT_EMPTY},
	{EBUSY, ERROR_INVALID_STATE},
	{EPERM, ERROR_ACCESS_DENIED},
	{EACCES, ERROR_ACCESS_DENIED},
	{EXDEV, ERROR_INVALID_PARAMETER},
	{ELOOP, ERROR_CIRCULAR_DEPENDENCY},
	{EHOSTDOWN, ERROR_HOST_NODE_NOT_AVAILABLE},
	{EAGAIN, ERROR_SHARING_PAUSED},
	{ENAMETOOLONG, ERROR_INVALID_NAME},
	{EFBIG, ERROR_INVALID_PARAMETER},
	{E2BIG, ERROR_INVALID_PARAMETER},
	{ENOSPC, ERROR_NOT_ENOUGH_MEMORY},
	{ENOMEM, ERROR_NOT_ENOUGH_MEMORY},
	/* The daemon went away or the mount is not there. */
	{ENOTCONN, RPC_S_SERVER_UNAVAILABLE},
	{ENODEV, RPC_S_SERVER_UNAVAILABLE},
	{ECONNABORTED, RPC_S_SERVER_UNAVAILABLE},
	{EIO, RPC_S_CALL_FAILED},
	{0, 0},
};

DWORD cl_win32(int neg_errno, const struct cl_errmap *map)
{
	int e = -neg_errno;
	if (e <= 0)
		return ERROR_SUCCESS;
	for (const struct cl_errmap *m = map; m && m->err; m++)
		if (m->err == e)
			return m->code;
	for (const struct cl_errmap *m = generic; m->err; m++)
		if (m->err == e)
			return m->code;
	return ERROR_GEN_FAILURE;
}
