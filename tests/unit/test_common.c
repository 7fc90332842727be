/* test_common.c: the shared pieces of libvitrine: diagnostics, the byte buffer, atomic file
 * writes and size-limited reads. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vitrine/common.h>

#include "../check.h"

static void test_error_format_with_location(void)
{
    vt_error err;
    vt_error_clear(&err);
    CHECK_INT_EQ(vt_error_at(&err, VT_ERR_SYNTAX, "rules.yar", 3, 14, "expected '%s'", "{"),
                 VT_ERR_SYNTAX);
    char text[256];
    vt_error_format(&err, text, sizeof text);
    CHECK_STR_EQ(text, "rules.yar:3:14: expected '{'");
    CHECK_INT_EQ(err.status, VT_ERR_SYNTAX);
}

static void test_error_format_without_location(void)
{
    vt_error err;
    vt_error_clear(&err);
    vt_error_errno(&err, VT_ERR_IO, ENOENT, "cannot open %s", "x");
    char text[256];
    vt_error_format(&err, text, sizeof text);
    CHECK_STR_EQ(text, "cannot open x: No such file or directory");
    CHECK_INT_EQ(vt_error_set(NULL, VT_ERR_LIMIT, "ignored"), VT_ERR_LIMIT);
}

static void test_buffer_grows_and_terminates(void)
{
    vt_buf buf = {0};
    for (int i = 0; i < 1000; i++)
        CHECK_INT_EQ(vt_buf_printf(&buf, "%d,", i), VT_OK);
    CHECK(buf.len > 3000);
    CHECK_INT_EQ(buf.data[buf.len], 0);
    CHECK(strncmp((char *)buf.data, "0,1,2,", 6) == 0);
    size_t len;
    unsigned char *owned = vt_buf_detach(&buf, &len);
    CHECK(owned != NULL && len > 3000 && buf.data == NULL && buf.len == 0);
    free(owned);
    unsigned char *empty = vt_buf_detach(&buf, &len);
    CHECK(empty != NULL && len == 0 && empty[0] == 0);
    free(empty);
}

static void test_atomic_write_then_read(void)
{
    char dir[] = "/tmp/vitrine-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/file", dir);
    vt_error err;
    CHECK_INT_EQ(vt_write_file_atomic(path, "first", 5, 0600, &err), VT_OK);
    CHECK_INT_EQ(vt_write_file_atomic(path, "second", 6, 0600, &err), VT_OK);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    unsigned char *data;
    size_t len;
    CHECK_INT_EQ(vt_read_file(path, 100, &data, &len, &err), VT_OK);
    CHECK(len == 6 && memcmp(data, "second", 6) == 0);
    free(data);
    CHECK_INT_EQ(vt_read_file(path, 5, &data, &len, &err), VT_ERR_LIMIT);
    CHECK(data == NULL);
    unlink(path);
    CHECK_INT_EQ(vt_read_file(path, 5, &data, &len, &err), VT_ERR_NOT_FOUND);
    CHECK(strstr(err.message, "No such file") != NULL);
    CHECK_INT_EQ(vt_write_file_atomic("/nonexistent-dir/x", "a", 1, 0644, &err), VT_ERR_IO);
    rmdir(dir);
}

static void test_atomic_write_never_replaces_devices(void)
{
    vt_error err;
    struct stat before, after;
    CHECK(stat("/dev/null", &before) == 0 && S_ISCHR(before.st_mode));
    CHECK_INT_EQ(vt_write_file_atomic("/dev/null", "x", 1, 0644, &err), VT_OK);
    CHECK(stat("/dev/null", &after) == 0 && S_ISCHR(after.st_mode));
    CHECK(before.st_rdev == after.st_rdev);
    char dir[] = "/tmp/vitrine-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK_INT_EQ(vt_write_file_atomic(dir, "x", 1, 0644, &err), VT_ERR_IO);
    CHECK(strstr(err.message, "not a regular file") != NULL);
    struct stat st;
    CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
    rmdir(dir);
}

int main(void)
{
    RUN(test_error_format_with_location);
    RUN(test_error_format_without_location);
    RUN(test_buffer_grows_and_terminates);
    RUN(test_atomic_write_then_read);
    RUN(test_atomic_write_never_replaces_devices);
    return check_done();
}
