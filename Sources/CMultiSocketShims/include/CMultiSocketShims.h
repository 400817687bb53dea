#ifndef C_MULTISOCKET_SHIMS_H
#define C_MULTISOCKET_SHIMS_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>
#include <errno.h>
#include <malloc.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/// The errno of the calling thread (Swift cannot read the macro directly in every toolchain).
static inline int cms_errno(void) { return errno; }

/// accept4(2) with non-blocking, close-on-exec flags (defined in shims.c, which needs _GNU_SOURCE).
int cms_accept(int fd);

static inline uint32_t cms_epollin(void) { return EPOLLIN; }
static inline uint32_t cms_epollout(void) { return EPOLLOUT; }
static inline uint32_t cms_epollet(void) { return EPOLLET; }
static inline uint32_t cms_epollerr(void) { return EPOLLERR; }
static inline uint32_t cms_epollhup(void) { return EPOLLHUP; }
static inline uint32_t cms_epollrdhup(void) { return EPOLLRDHUP; }
/// poll(2)'s peer-shut-down bit (Linux; the same value as EPOLLRDHUP, which handlers are given).
static inline short cms_pollrdhup(void) { return 0x2000; }

/// The bytes the kernel holds for `fd` that have not been read yet (FIONREAD), or 0 when unknown.
static inline int cms_unread_bytes(int fd) {
    int count = 0;
    return ioctl(fd, FIONREAD, &count) == 0 ? count : 0;
}

/// The kernel's id of the calling thread (gettid(2)).
static inline int cms_thread_id(void) { return (int)syscall(SYS_gettid); }

/// Sets glibc's mmap and trim thresholds (mallopt(3)); returns 1 when both were accepted.
static inline int cms_set_malloc_thresholds(int mmap_threshold, int trim_threshold) {
    return mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, trim_threshold) == 1;
}

#endif
