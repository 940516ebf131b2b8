/*
 * err.h: the client's one error enum. 0 is success; TL_EAGAIN means "need
 * more input" and is not a failure.
 */
#ifndef TL_ERR_H
#define TL_ERR_H

enum tl_err {
	TL_OK = 0,
	TL_EAGAIN = 1,   /* need more input */
	TL_EINVAL = -1,  /* bad input (a protocol or format violation) */
	TL_ENOMEM = -2,
	TL_EIO = -3,     /* a system call failed; errno was logged */
	TL_ELIMIT = -4,  /* a bound in bounds.h was exceeded */
	TL_ENOTSUP = -5, /* valid but not supported */
	TL_ENOENT = -6,
};

/* Process exit codes (doc/trackless.1). */
#define TL_EXIT_OK 0
#define TL_EXIT_FAIL 1
#define TL_EXIT_USAGE 2

#endif
