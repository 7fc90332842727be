/* mod_cuckoo.c: yara's cuckoo module (4.2.3). It reads no byte of the scanned file: its data is
 * a Cuckoo sandbox JSON report given as module data (yara's `-x cuckoo=report.json`), parsed
 * with jansson as yara parses it (json_loadb with JSON_ALLOW_NUL), and its functions search the
 * report's lists with a regex: network.dns_lookup, http_request, http_get, http_post,
 * http_user_agent, host, tcp, udp; registry.key_access; filesystem.file_access; sync.mutex.
 * Without module data every function answers 0; data that does not parse fails the import
 * (yara's ERROR_INVALID_MODULE_DATA). Entries are read through jansson's own unpacking, as in
 * yara, so type mismatches skip an entry; an entry of a plain string list that is not a string
 * makes yara 4.2.3 search a NULL pointer and fault, which is reported as a fault of the call. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "modrt_internal.h"

/* The parts of the report the functions read (borrowed from `report`). */
typedef struct cuckoo_report {
    json_t *report;
    json_t *network;
    json_t *keys;
    json_t *files;
    json_t *mutexes;
} cuckoo_report;

static const char fault_text[] = "module data on which yara faults: a list entry of the report "
                                 "is not a string (yara 4.2.3 searches a NULL string: error 4)";

/* yara's `yr_re_match(context, regex, text) > 0` over the C string text (cut at its first NUL,
 * as yara's strlen cuts it). A NULL text is yara's fault. */
static bool search(vt_modrt_fncall *call, const vt_modrt_arg *regex, const char *text)
{
    if (!text) {
        call->scan->fault = fault_text;
        return false;
    }
    return call->scan->options.regex_search(call->scan->options.regex_user, regex->regex,
                                            (const uint8_t *)text, strlen(text));
}

/* The report, or NULL without module data; false when no regex search is available (the
 * result is then undefined, as for the other modules' regex functions). */
static bool report_of(vt_modrt_fncall *call, const cuckoo_report **report)
{
    *report = call->module_data;
    return call->scan->options.regex_search != NULL;
}

/* Search the strings of a JSON list (registry keys, files, mutexes, hosts). */
static void search_string_list(vt_modrt_fncall *call, json_t *list)
{
    size_t index;
    json_t *value;
    int64_t result = 0;
    json_array_foreach(list, index, value) {
        if (search(call, &call->args[0], json_string_value(value))) {
            result = 1;
            break;
        }
        if (call->scan->fault)
            return;
    }
    vt_modrt_return_integer(call, result);
}

static void network_dns_lookup(vt_modrt_fncall *call)
{
    const cuckoo_report *r;
    if (!report_of(call, &r))
        return;
    /* Recent reports list "domains" [{ip, domain}], older ones "dns" [{ip, hostname}]. */
    const char *field = "domain";
    json_t *list = r ? json_object_get(r->network, "domains") : NULL;
    if (!list) {
        list = r ? json_object_get(r->network, "dns") : NULL;
        field = "hostname";
    }
    size_t index;
    json_t *value;
    int64_t result = 0;
    json_array_foreach(list, index, value) {
        const char *ip, *hostname;
        if (json_unpack(value, "{s:s, s:s}", "ip", &ip, field, &hostname) == 0 &&
            search(call, &call->args[0], hostname)) {
            result = 1;
            break;
        }
    }
    vt_modrt_return_integer(call, result);
}

enum { METHOD_GET = 1, METHOD_POST = 2 };

static void http_request(vt_modrt_fncall *call, int methods)
{
    const cuckoo_report *r;
    if (!report_of(call, &r))
        return;
    json_t *list = r ? json_object_get(r->network, "http") : NULL;
    size_t index;
    json_t *value;
    int64_t result = 0;
    json_array_foreach(list, index, value) {
        const char *uri, *method;
        if (json_unpack(value, "{s:s, s:s}", "uri", &uri, "method", &method) == 0 &&
            (((methods & METHOD_GET) && strcasecmp(method, "get") == 0) ||
             ((methods & METHOD_POST) && strcasecmp(method, "post") == 0)) &&
            search(call, &call->args[0], uri)) {
            result = 1;
            break;
        }
    }
    vt_modrt_return_integer(call, result);
}

static void network_http_request(vt_modrt_fncall *call) { http_request(call, METHOD_GET | METHOD_POST); }
static void network_http_get(vt_modrt_fncall *call) { http_request(call, METHOD_GET); }
static void network_http_post(vt_modrt_fncall *call) { http_request(call, METHOD_POST); }

static void network_http_user_agent(vt_modrt_fncall *call)
{
    const cuckoo_report *r;
    if (!report_of(call, &r))
        return;
    json_t *list = r ? json_object_get(r->network, "http") : NULL;
    size_t index;
    json_t *value;
    int64_t result = 0;
    json_array_foreach(list, index, value) {
        const char *agent;
        if (json_unpack(value, "{s:s}", "user-agent", &agent) == 0 &&
            search(call, &call->args[0], agent)) {
            result = 1;
            break;
        }
    }
    vt_modrt_return_integer(call, result);
}

static void network_host(vt_modrt_fncall *call)
{
    const cuckoo_report *r;
    if (report_of(call, &r))
        search_string_list(call, r ? json_object_get(r->network, "hosts") : NULL);
}

/* tcp and udp: an entry {dport, dst} whose dst matches and whose port, read as a C int the way
 * jansson's "i" unpacks it, equals the integer argument. */
static void connection(vt_modrt_fncall *call, const char *protocol)
{
    const cuckoo_report *r;
    if (!report_of(call, &r))
        return;
    json_t *list = r ? json_object_get(r->network, protocol) : NULL;
    size_t index;
    json_t *value;
    int64_t result = 0;
    json_array_foreach(list, index, value) {
        int dport;
        const char *dst;
        if (json_unpack(value, "{s:i, s:s}", "dport", &dport, "dst", &dst) == 0 &&
            search(call, &call->args[0], dst) && (int64_t)dport == call->args[1].i) {
            result = 1;
            break;
        }
    }
    vt_modrt_return_integer(call, result);
}

static void network_tcp(vt_modrt_fncall *call) { connection(call, "tcp"); }
static void network_udp(vt_modrt_fncall *call) { connection(call, "udp"); }

static void registry_key_access(vt_modrt_fncall *call)
{
    const cuckoo_report *r;
    if (report_of(call, &r))
        search_string_list(call, r ? r->keys : NULL);
}

static void filesystem_file_access(vt_modrt_fncall *call)
{
    const cuckoo_report *r;
    if (report_of(call, &r))
        search_string_list(call, r ? r->files : NULL);
}

static void sync_mutex(vt_modrt_fncall *call)
{
    const cuckoo_report *r;
    if (report_of(call, &r))
        search_string_list(call, r ? r->mutexes : NULL);
}

static vt_status load(vt_modrt_scan *scan, vt_modrt_loaded *module, const uint8_t *data,
                      size_t size)
{
    (void)data;
    (void)size;
    const uint8_t *report_bytes;
    size_t report_size;
    if (!vt_modrt_module_data(scan, "cuckoo", &report_bytes, &report_size))
        return VT_OK;
    json_error_t error;
    json_t *json = json_loadb((const char *)report_bytes, report_size, JSON_ALLOW_NUL, &error);
    if (!json)
        return json_error_code(&error) == json_error_out_of_memory ? VT_ERR_NOMEM
                                                                    : VT_ERR_FORMAT;
    cuckoo_report *r = vt_modrt_alloc(scan, sizeof *r);
    if (!r) {
        json_decref(json);
        return VT_ERR_NOMEM;
    }
    r->report = json;
    r->network = json_object_get(json, "network");
    json_t *summary = json_object_get(json_object_get(json, "behavior"), "summary");
    r->keys = json_object_get(summary, "keys");
    r->files = json_object_get(summary, "files");
    r->mutexes = json_object_get(summary, "mutexes");
    module->data = r;
    return VT_OK;
}

static void unload(vt_modrt_loaded *module)
{
    cuckoo_report *r = module->data;
    if (r)
        json_decref(r->report);
}

static const vt_modrt_function_def functions[] = {
    {"network", "dns_lookup", "r", network_dns_lookup},
    {"network", "http_get", "r", network_http_get},
    {"network", "http_post", "r", network_http_post},
    {"network", "http_request", "r", network_http_request},
    {"network", "http_user_agent", "r", network_http_user_agent},
    {"network", "host", "r", network_host},
    {"network", "tcp", "ri", network_tcp},
    {"network", "udp", "ri", network_udp},
    {"registry", "key_access", "r", registry_key_access},
    {"filesystem", "file_access", "r", filesystem_file_access},
    {"sync", "mutex", "r", sync_mutex},
};

const vt_modrt_module_def vt_modrt_module_cuckoo = {
    .name = "cuckoo",
    .load = load,
    .functions = functions,
    .function_count = sizeof functions / sizeof functions[0],
    .unload = unload,
};
