/* fileio.c: reading whole files with a size limit, and writing files atomically and durably
 * (temporary file, fsync, rename, fsync of the directory), so that a crash at any point leaves
 * either the old file or the new one, never a part. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vitrine/common.h>

vt_status vt_read_file(const char *path, size_t max_size, unsigned char **data, size_t *len,
                       vt_error *err)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vt_error_errno(err, errno == ENOENT ? VT_ERR_NOT_FOUND : VT_ERR_IO, errno,
                              "cannot open %s", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return vt_error_errno(err, VT_ERR_IO, e, "cannot stat %s", path);
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return vt_error_set(err, VT_ERR_IO, "%s is a directory", path);
    }
    vt_buf buf = {0};
    unsigned char chunk[65536];
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            vt_buf_free(&buf);
            return vt_error_errno(err, VT_ERR_IO, e, "cannot read %s", path);
        }
        if (got == 0)
            break;
        if (buf.len + (size_t)got > max_size) {
            close(fd);
            vt_buf_free(&buf);
            return vt_error_set(err, VT_ERR_LIMIT, "%s is larger than the limit of %zu bytes",
                                path, max_size);
        }
        if (vt_buf_append(&buf, chunk, (size_t)got) != VT_OK) {
            close(fd);
            vt_buf_free(&buf);
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory reading %s", path);
        }
    }
    close(fd);
    *data = vt_buf_detach(&buf, len);
    if (!*data)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory reading %s", path);
    return VT_OK;
}

/* Directory part of a path ("." when there is none), into out. */
static void directory_of(const char *path, char *out, size_t out_size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, out_size, ".");
    else if (slash == path)
        snprintf(out, out_size, "/");
    else
        snprintf(out, out_size, "%.*s", (int)(slash - path), path);
}

vt_status vt_fsync_dir(const char *dir, vt_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot open directory %s", dir);
    if (fsync(fd) != 0 && errno != EINVAL) {
        int e = errno;
        close(fd);
        return vt_error_errno(err, VT_ERR_IO, e, "cannot fsync directory %s", dir);
    }
    close(fd);
    return VT_OK;
}

/* Written in pieces of at most 64 KB: the page cache then holds the file in small folios. One
 * write of a whole compiled ruleset leaves it in 2 MB folios, which the kernel maps whole into a
 * reader that maps the file (vt_ruleset_load), making the entire image resident in every
 * scanner as soon as it reads a few rules. */
#define WRITE_PIECE (64u << 10)

static vt_status write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t put = write(fd, p, len < WRITE_PIECE ? len : WRITE_PIECE);
        if (put < 0) {
            if (errno == EINTR)
                continue;
            return VT_ERR_IO;
        }
        p += put;
        len -= (size_t)put;
    }
    return VT_OK;
}

/* Write into an existing character device or FIFO (e.g. /dev/stdout, /dev/null): renaming a
 * temporary file over it would replace the device with a regular file. */
static vt_status write_to_special(const char *path, const void *data, size_t len, vt_error *err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot open %s", path);
    if (write_all(fd, data, len) != VT_OK) {
        int e = errno;
        close(fd);
        return vt_error_errno(err, VT_ERR_IO, e, "cannot write %s", path);
    }
    if (close(fd) != 0)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot write %s", path);
    return VT_OK;
}

vt_status vt_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                               vt_error *err)
{
    struct stat existing;
    if (stat(path, &existing) == 0 && !S_ISREG(existing.st_mode)) {
        if (S_ISCHR(existing.st_mode) || S_ISFIFO(existing.st_mode))
            return write_to_special(path, data, len, err);
        return vt_error_set(err, VT_ERR_IO, "refusing to replace %s: it is not a regular file",
                            path);
    }
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= sizeof tmp)
        return vt_error_set(err, VT_ERR_ARGUMENT, "path too long: %s", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot create a temporary file for %s",
                              path);
    if (fchmod(fd, (mode_t)mode) != 0 || write_all(fd, data, len) != VT_OK || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return vt_error_errno(err, VT_ERR_IO, e, "cannot write %s", path);
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return vt_error_errno(err, VT_ERR_IO, e, "cannot write %s", path);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return vt_error_errno(err, VT_ERR_IO, e, "cannot rename %s into place", path);
    }
    char dir[PATH_MAX];
    directory_of(path, dir, sizeof dir);
    return vt_fsync_dir(dir, err);
}
