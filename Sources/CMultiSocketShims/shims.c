// accept4 is a GNU extension; defining _GNU_SOURCE here keeps it out of the shared header, whose
// declarations must match the ones other modules (Dispatch, Glibc) import.
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/socket.h>
#include "CMultiSocketShims.h"

int cms_accept(int fd) {
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
