/*
 * libnodelay.so: LD_PRELOADed into the link's ssh only. Takes the ~40 ms
 * Nagle/delayed-ACK stalls off the SSH transport to the GPU host.
 *
 * Why: OpenSSH turns Nagle off on the transport only for interactive sessions
 * (a pty or X11, ssh_packet_set_interactive), and `ssh -N` opens no session;
 * the GPU host's key may not have a pty (restrict,command="/bin/false"), so
 * neither end sets TCP_NODELAY. A request or reply sshd writes as more than
 * one SSH packet then waits for the peer's delayed ACK (~40 ms).
 *   - connect(): TCP_NODELAY on the transport, so our own packets leave at once
 *     (the sockets ssh accept()s for the forward already get it, channels.c).
 *   - read() on the transport: TCP_QUICKACK again after every read (Linux
 *     clears it by itself), so we ACK at once and the GPU host's sshd, which
 *     still runs Nagle and which we do not control, is not left waiting.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);
typedef ssize_t (*read_fn)(int, void *, size_t);

static connect_fn real_connect;
static read_fn real_read;
static int transport_fd = -1; /* the last TCP socket ssh connected: its transport (one per process) */

__attribute__((constructor)) static void init(void)
{
    real_connect = (connect_fn)dlsym(RTLD_NEXT, "connect");
    real_read = (read_fn)dlsym(RTLD_NEXT, "read");
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (!real_connect) {
        errno = ENOSYS;
        return -1;
    }
    if (addr && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6)) {
        int type = 0, one = 1, saved = errno;
        socklen_t tlen = sizeof type;
        /* before connecting: ssh's non-blocking connect (ConnectTimeout) returns EINPROGRESS */
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 && type == SOCK_STREAM) {
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            transport_fd = fd;
        }
        errno = saved;
    }
    return real_connect(fd, addr, len);
}

ssize_t read(int fd, void *buf, size_t count)
{
    if (!real_read) {
        errno = ENOSYS;
        return -1;
    }
    ssize_t n = real_read(fd, buf, count);
    if (fd == transport_fd && n > 0) {
        int one = 1, saved = errno;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        errno = saved;
    }
    return n;
}
