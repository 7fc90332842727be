/* lazy_libs.c: libcurl, libmicrohttpd, SQLite and libarchive for the `vitrine` command, loaded
 * with dlopen the first time a subcommand calls them. Linking them would load them, and what
 * they pull in (GnuTLS, Kerberos, LDAP, p11-kit, ICU...), into every process: about 6 MB of
 * resident memory and their start-up work in each `vitrine yara` or `vitrine scan`, which use
 * none of them. The functions below carry the libraries' own names and prototypes, so the code
 * calling them (lib/tlog/fetch.c, lib/distrib/witness_client.c, server/, cli/version.c) is
 * unchanged; programs linking libvitrine directly (tests, benchmarks) use the real libraries.
 * When a library cannot be loaded, the reason is printed once and each call fails the way the
 * library reports failure (NULL, an error code). */
#define CURL_DISABLE_TYPECHECK /* curl_easy_setopt is defined here, not called */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include <archive.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <sqlite3.h>

typedef struct lazy_lib {
    const char *soname;
    _Atomic(void *) handle;
    atomic_bool failed;
} lazy_lib;

/* One handle per library for the whole process (dlopen's own table is process-wide too). */
static lazy_lib curl_lib = {"libcurl.so.4", NULL, false};
static lazy_lib mhd_lib = {"libmicrohttpd.so.12", NULL, false};
static lazy_lib sqlite_lib = {"libsqlite3.so.0", NULL, false};
static lazy_lib archive_lib = {"libarchive.so.13", NULL, false};

static void *lazy_symbol(lazy_lib *lib, const char *name)
{
    void *h = atomic_load(&lib->handle);
    if (!h) {
        if (atomic_load(&lib->failed))
            return NULL;
        h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            if (!atomic_exchange(&lib->failed, true))
                fprintf(stderr, "vitrine: cannot load %s: %s\n", lib->soname, dlerror());
            return NULL;
        }
        void *expected = NULL;
        if (!atomic_compare_exchange_strong(&lib->handle, &expected, h)) {
            dlclose(h); /* another thread won; dlopen counts references */
            h = expected;
        }
    }
    void *sym = dlsym(h, name);
    if (!sym)
        fprintf(stderr, "vitrine: %s lacks %s\n", lib->soname, name);
    return sym;
}

/* FN(lib, ret, name, (params), (args), fail): `name` calling the library's own, or returning
 * `fail` when the library is missing. VOID_FN: the same for functions returning nothing. */
#define FN(lib, ret, name, params, args, fail)                                                \
    ret name params                                                                           \
    {                                                                                         \
        static _Atomic(void *) cached;                                                        \
        void *p = atomic_load(&cached);                                                       \
        if (!p && (p = lazy_symbol(&lib, #name)))                                             \
            atomic_store(&cached, p);                                                         \
        return p ? ((ret(*) params)p)args : (fail);                                           \
    }
#define VOID_FN(lib, name, params, args)                                                      \
    void name params                                                                          \
    {                                                                                         \
        static _Atomic(void *) cached;                                                        \
        void *p = atomic_load(&cached);                                                       \
        if (!p && (p = lazy_symbol(&lib, #name)))                                             \
            atomic_store(&cached, p);                                                         \
        if (p)                                                                                \
            ((void(*) params)p)args;                                                          \
    }

/* ---- libcurl ---------------------------------------------------------------------------------- */

FN(curl_lib, CURL *, curl_easy_init, (void), (), NULL)
VOID_FN(curl_lib, curl_easy_cleanup, (CURL * c), (c))
VOID_FN(curl_lib, curl_easy_reset, (CURL * c), (c))
FN(curl_lib, CURLcode, curl_easy_perform, (CURL * c), (c), CURLE_FAILED_INIT)
FN(curl_lib, const char *, curl_easy_strerror, (CURLcode code), (code), "libcurl is missing")
FN(curl_lib, struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s),
   (l, s), NULL)
VOID_FN(curl_lib, curl_slist_free_all, (struct curl_slist * l), (l))
static curl_version_info_data missing_curl = {.version = "missing"};
FN(curl_lib, curl_version_info_data *, curl_version_info, (CURLversion v), (v), &missing_curl)

/* The variadic ones take exactly one more argument, whose type the option's number tells
 * (curl.h's CURLOPTTYPE_* ranges; every CURLINFO_* takes a pointer). */
CURLcode curl_easy_setopt(CURL *c, CURLoption option, ...)
{
    static _Atomic(void *) cached;
    void *p = atomic_load(&cached);
    if (!p && (p = lazy_symbol(&curl_lib, "curl_easy_setopt")))
        atomic_store(&cached, p);
    if (!p)
        return CURLE_FAILED_INIT;
    CURLcode (*fn)(CURL *, CURLoption, ...) = (CURLcode(*)(CURL *, CURLoption, ...))p;
    va_list ap;
    va_start(ap, option);
    CURLcode r;
    if (option < CURLOPTTYPE_OBJECTPOINT)
        r = fn(c, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        r = fn(c, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        r = fn(c, option, va_arg(ap, void (*)(void)));
    else if (option < CURLOPTTYPE_BLOB)
        r = fn(c, option, va_arg(ap, curl_off_t));
    else
        r = fn(c, option, va_arg(ap, void *));
    va_end(ap);
    return r;
}

CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
    static _Atomic(void *) cached;
    void *p = atomic_load(&cached);
    if (!p && (p = lazy_symbol(&curl_lib, "curl_easy_getinfo")))
        atomic_store(&cached, p);
    if (!p)
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, info);
    void *out = va_arg(ap, void *);
    va_end(ap);
    return ((CURLcode(*)(CURL *, CURLINFO, ...))p)(c, info, out);
}

/* ---- libmicrohttpd ------------------------------------------------------------------------ */

VOID_FN(mhd_lib, MHD_stop_daemon, (struct MHD_Daemon * d), (d))
VOID_FN(mhd_lib, MHD_destroy_response, (struct MHD_Response * r), (r))
FN(mhd_lib, enum MHD_Result, MHD_queue_response,
   (struct MHD_Connection * c, unsigned int status, struct MHD_Response *r), (c, status, r),
   MHD_NO)
FN(mhd_lib, struct MHD_Response *, MHD_create_response_from_buffer,
   (size_t size, void *buffer, enum MHD_ResponseMemoryMode mode), (size, buffer, mode), NULL)
FN(mhd_lib, struct MHD_Response *, MHD_create_response_from_fd, (size_t size, int fd),
   (size, fd), NULL)
FN(mhd_lib, enum MHD_Result, MHD_add_response_header,
   (struct MHD_Response * r, const char *header, const char *content), (r, header, content),
   MHD_NO)
FN(mhd_lib, const char *, MHD_lookup_connection_value,
   (struct MHD_Connection * c, enum MHD_ValueKind kind, const char *key), (c, kind, key), NULL)

const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *c,
                                                        enum MHD_ConnectionInfoType type, ...)
{
    static _Atomic(void *) cached;
    void *p = atomic_load(&cached);
    if (!p && (p = lazy_symbol(&mhd_lib, "MHD_get_connection_info")))
        atomic_store(&cached, p);
    /* the info types used here (socket, socket context) take no further argument */
    return p ? ((const union MHD_ConnectionInfo *(*)(struct MHD_Connection *,
                                                     enum MHD_ConnectionInfoType, ...))p)(c, type)
             : NULL;
}

const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *d,
                                                enum MHD_DaemonInfoType type, ...)
{
    static _Atomic(void *) cached;
    void *p = atomic_load(&cached);
    if (!p && (p = lazy_symbol(&mhd_lib, "MHD_get_daemon_info")))
        atomic_store(&cached, p);
    /* the info types used here take no further argument */
    return p ? ((const union MHD_DaemonInfo *(*)(struct MHD_Daemon *, enum MHD_DaemonInfoType,
                                                 ...))p)(d, type)
             : NULL;
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port,
                                    MHD_AcceptPolicyCallback apc, void *apc_cls,
                                    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
    static _Atomic(void *) cached;
    void *p = atomic_load(&cached);
    if (!p && (p = lazy_symbol(&mhd_lib, "MHD_start_daemon_va")))
        atomic_store(&cached, p);
    if (!p)
        return NULL;
    va_list ap;
    va_start(ap, dh_cls);
    struct MHD_Daemon *d = ((struct MHD_Daemon * (*)(unsigned int, uint16_t,
                                                      MHD_AcceptPolicyCallback, void *,
                                                      MHD_AccessHandlerCallback, void *,
                                                      va_list))p)(flags, port, apc, apc_cls, dh,
                                                                  dh_cls, ap);
    va_end(ap);
    return d;
}

/* ---- SQLite ------------------------------------------------------------------------------- */

FN(sqlite_lib, int, sqlite3_open, (const char *name, sqlite3 **db), (name, db), SQLITE_CANTOPEN)
FN(sqlite_lib, int, sqlite3_close, (sqlite3 * db), (db), SQLITE_MISUSE)
FN(sqlite_lib, int, sqlite3_exec,
   (sqlite3 * db, const char *sql, int (*cb)(void *, int, char **, char **), void *arg,
    char **errmsg),
   (db, sql, cb, arg, errmsg), SQLITE_ERROR)
FN(sqlite_lib, const char *, sqlite3_errmsg, (sqlite3 * db), (db), "SQLite is missing")
FN(sqlite_lib, int, sqlite3_prepare_v2,
   (sqlite3 * db, const char *sql, int n, sqlite3_stmt **stmt, const char **tail),
   (db, sql, n, stmt, tail), SQLITE_ERROR)
FN(sqlite_lib, int, sqlite3_step, (sqlite3_stmt * s), (s), SQLITE_ERROR)
FN(sqlite_lib, int, sqlite3_finalize, (sqlite3_stmt * s), (s), SQLITE_OK)
FN(sqlite_lib, int, sqlite3_bind_text,
   (sqlite3_stmt * s, int i, const char *text, int n, void (*destructor)(void *)),
   (s, i, text, n, destructor), SQLITE_ERROR)
FN(sqlite_lib, int, sqlite3_bind_blob,
   (sqlite3_stmt * s, int i, const void *blob, int n, void (*destructor)(void *)),
   (s, i, blob, n, destructor), SQLITE_ERROR)
FN(sqlite_lib, int, sqlite3_bind_int64, (sqlite3_stmt * s, int i, sqlite3_int64 v), (s, i, v),
   SQLITE_ERROR)
FN(sqlite_lib, const void *, sqlite3_column_blob, (sqlite3_stmt * s, int i), (s, i), NULL)
FN(sqlite_lib, int, sqlite3_column_bytes, (sqlite3_stmt * s, int i), (s, i), 0)
FN(sqlite_lib, sqlite3_int64, sqlite3_column_int64, (sqlite3_stmt * s, int i), (s, i), 0)
FN(sqlite_lib, const char *, sqlite3_libversion, (void), (), "missing")

/* ---- libarchive (only its version, for `vitrine version`) --------------------------------- */

FN(archive_lib, const char *, archive_version_string, (void), (), "libarchive missing")
