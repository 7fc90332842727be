/* policy.c: c2sp.org/tlog-policy: which logs are trusted, which witnesses are known, and the
 * quorum (a witness, or a tree of k-of-n groups defined before use) that a checkpoint's
 * cosignatures must satisfy. Parsed strictly: known keywords only, names defined before use,
 * no duplicate keys or members, 1 <= k <= n, bounded sizes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlog_internal.h"

enum { ITEM_WITNESS, ITEM_GROUP };

struct policy_item {
    int kind;
    char *name;
    vt_tlog_verifier *key; /* witness */
    char *url;
    unsigned threshold;    /* group */
    size_t *members;
    size_t member_count;
};

struct policy_log {
    vt_tlog_verifier *key;
    char *url;
};

struct vt_tlog_policy {
    struct policy_log logs[VT_TLOG_MAX_POLICY_ITEMS];
    size_t log_count;
    struct policy_item items[VT_TLOG_MAX_POLICY_ITEMS];
    size_t item_count;
    size_t witness_index[VT_TLOG_MAX_POLICY_ITEMS]; /* item index of the i-th witness */
    size_t witness_count;
    int has_quorum;
    long quorum; /* item index, -1 for none */
};

void vt_tlog_policy_free(vt_tlog_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->log_count; i++) {
        vt_tlog_verifier_free(p->logs[i].key);
        free(p->logs[i].url);
    }
    for (size_t i = 0; i < p->item_count; i++) {
        free(p->items[i].name);
        vt_tlog_verifier_free(p->items[i].key);
        free(p->items[i].url);
        free(p->items[i].members);
    }
    free(p);
}

size_t vt_tlog_policy_log_count(const vt_tlog_policy *p) { return p->log_count; }
const vt_tlog_verifier *vt_tlog_policy_log(const vt_tlog_policy *p, size_t i) { return p->logs[i].key; }
const char *vt_tlog_policy_log_url(const vt_tlog_policy *p, size_t i) { return p->logs[i].url; }
size_t vt_tlog_policy_witness_count(const vt_tlog_policy *p) { return p->witness_count; }
const vt_tlog_verifier *vt_tlog_policy_witness(const vt_tlog_policy *p, size_t i)
{
    return p->items[p->witness_index[i]].key;
}
const char *vt_tlog_policy_witness_url(const vt_tlog_policy *p, size_t i)
{
    return p->items[p->witness_index[i]].url;
}

const vt_tlog_verifier *vt_tlog_policy_log_for(const vt_tlog_policy *p, const char *origin)
{
    for (size_t i = 0; i < p->log_count; i++)
        if (strcmp(vt_tlog_verifier_name(p->logs[i].key), origin) == 0)
            return p->logs[i].key;
    return NULL;
}

#define MAX_TOKENS (VT_TLOG_MAX_POLICY_ITEMS + 4)

static long find_name(const vt_tlog_policy *p, const char *name, size_t len)
{
    for (size_t i = 0; i < p->item_count; i++)
        if (strlen(p->items[i].name) == len && memcmp(p->items[i].name, name, len) == 0)
            return (long)i;
    return -1;
}

static char *dup_token(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

static int key_known(const vt_tlog_policy *p, const vt_tlog_verifier *key)
{
    for (size_t i = 0; i < p->log_count; i++)
        if (vt_tlog_verifier_same_key(p->logs[i].key, key))
            return 1;
    for (size_t i = 0; i < p->item_count; i++)
        if (p->items[i].kind == ITEM_WITNESS && vt_tlog_verifier_same_key(p->items[i].key, key))
            return 1;
    return 0;
}

static vt_status parse_line(vt_tlog_policy *p, const char **tok, const size_t *tlen, size_t n,
                            unsigned line, vt_error *err)
{
#define FAIL(...) return vt_error_at(err, VT_ERR_SYNTAX, "", line, 1, __VA_ARGS__)
#define IS(i, word) (tlen[i] == strlen(word) && memcmp(tok[i], word, tlen[i]) == 0)
    if (IS(0, "log")) {
        if (n < 2 || n > 3)
            FAIL("expected 'log VKEY [URL]'");
        if (p->log_count == VT_TLOG_MAX_POLICY_ITEMS)
            return vt_error_at(err, VT_ERR_LIMIT, "", line, 1, "too many logs");
        vt_tlog_verifier *key;
        if (vt_tlog_verifier_parse(tok[1], tlen[1], &key, err) != VT_OK)
            return vt_error_at(err, VT_ERR_SYNTAX, "", line, 1, "invalid log key: %s",
                               err ? err->message : "");
        if (vt_tlog_verifier_type(key) != VT_TLOG_SIG_ED25519 || key_known(p, key)) {
            vt_tlog_verifier_free(key);
            FAIL("log key must be an Ed25519 (type 0x01) key not listed before");
        }
        p->logs[p->log_count].key = key;
        p->logs[p->log_count].url = n == 3 ? dup_token(tok[2], tlen[2]) : NULL;
        p->log_count++;
        if (n == 3 && !p->logs[p->log_count - 1].url)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        return VT_OK;
    }
    if (IS(0, "witness") || IS(0, "group")) {
        int witness = IS(0, "witness");
        if (n < (witness ? 3u : 4u) || (witness && n > 4))
            FAIL(witness ? "expected 'witness NAME VKEY [URL]'" : "expected 'group NAME K NAME...'");
        if (IS(1, "none") || find_name(p, tok[1], tlen[1]) >= 0)
            FAIL("name '%.*s' is already defined", (int)tlen[1], tok[1]);
        if (p->item_count == VT_TLOG_MAX_POLICY_ITEMS)
            return vt_error_at(err, VT_ERR_LIMIT, "", line, 1, "too many witnesses and groups");
        struct policy_item item = {0};
        item.kind = witness ? ITEM_WITNESS : ITEM_GROUP;
        if (witness) {
            if (vt_tlog_verifier_parse(tok[2], tlen[2], &item.key, err) != VT_OK)
                return vt_error_at(err, VT_ERR_SYNTAX, "", line, 1, "invalid witness key: %s",
                                   err ? err->message : "");
            if (vt_tlog_verifier_type(item.key) != VT_TLOG_SIG_COSIGNATURE_V1 || key_known(p, item.key)) {
                vt_tlog_verifier_free(item.key);
                FAIL("witness key must be a cosignature (type 0x04) key not listed before");
            }
        } else {
            size_t members = n - 3;
            uint64_t k;
            if (IS(2, "all"))
                k = members;
            else if (IS(2, "any"))
                k = 1;
            else if (!vt_tlog_parse_decimal(tok[2], tlen[2], &k) || k < 1 || k > members)
                FAIL("group threshold must be 'all', 'any' or a number from 1 to %zu", members);
            item.threshold = (unsigned)k;
            item.members = calloc(members, sizeof *item.members);
            if (!item.members)
                return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            for (size_t m = 0; m < members; m++) {
                long idx = find_name(p, tok[3 + m], tlen[3 + m]);
                int dup = 0;
                for (size_t j = 0; j < m; j++)
                    dup |= idx >= 0 && item.members[j] == (size_t)idx;
                if (idx < 0 || dup) {
                    free(item.members);
                    FAIL("group member '%.*s' is %s", (int)tlen[3 + m], tok[3 + m],
                         idx < 0 ? "not defined before" : "listed twice");
                }
                item.members[m] = (size_t)idx;
            }
            item.member_count = members;
        }
        item.name = dup_token(tok[1], tlen[1]);
        if (witness && n == 4)
            item.url = dup_token(tok[3], tlen[3]);
        if (!item.name || (witness && n == 4 && !item.url)) {
            free(item.name);
            free(item.url);
            free(item.members);
            vt_tlog_verifier_free(item.key);
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        }
        if (witness)
            p->witness_index[p->witness_count++] = p->item_count;
        p->items[p->item_count++] = item;
        return VT_OK;
    }
    if (IS(0, "quorum")) {
        if (n != 2)
            FAIL("expected 'quorum NAME'");
        if (p->has_quorum)
            FAIL("more than one quorum line");
        long idx = IS(1, "none") ? -1 : find_name(p, tok[1], tlen[1]);
        if (idx < 0 && !IS(1, "none"))
            FAIL("quorum '%.*s' is not defined before", (int)tlen[1], tok[1]);
        p->has_quorum = 1;
        p->quorum = idx;
        return VT_OK;
    }
    FAIL("unknown keyword '%.*s' (expected log, witness, group or quorum)", (int)tlen[0], tok[0]);
#undef IS
#undef FAIL
}

vt_status vt_tlog_policy_parse(const char *text, size_t len, vt_tlog_policy **out, vt_error *err)
{
    *out = NULL;
    if (len > VT_TLOG_MAX_POLICY)
        return vt_error_set(err, VT_ERR_LIMIT, "policy larger than %u bytes", VT_TLOG_MAX_POLICY);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 && c != '\t' && c != '\n') {
            unsigned line = 1;
            for (size_t j = 0; j < i; j++)
                line += text[j] == '\n';
            return vt_error_at(err, VT_ERR_SYNTAX, "", line, 0, "control character in policy");
        }
        if (c == 0x7f)
            return vt_error_set(err, VT_ERR_SYNTAX, "DEL character in policy");
    }
    vt_tlog_policy *p = calloc(1, sizeof *p);
    if (!p)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    const char **tok = malloc(MAX_TOKENS * sizeof *tok);
    size_t *tlen = malloc(MAX_TOKENS * sizeof *tlen);
    vt_status st = tok && tlen ? VT_OK : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    unsigned line = 0;
    for (size_t pos = 0; st == VT_OK && pos < len;) {
        line++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n = 0;
        for (size_t i = pos; i < end;) {
            while (i < end && (text[i] == ' ' || text[i] == '\t'))
                i++;
            if (i == end)
                break;
            size_t start = i;
            while (i < end && text[i] != ' ' && text[i] != '\t')
                i++;
            if (n == MAX_TOKENS) {
                st = vt_error_at(err, VT_ERR_LIMIT, "", line, 1, "too many items on one line");
                break;
            }
            tok[n] = text + start;
            tlen[n++] = i - start;
        }
        pos = end + 1;
        if (st != VT_OK || n == 0 || tok[0][0] == '#')
            continue;
        st = parse_line(p, tok, tlen, n, line, err);
    }
    free(tok);
    free(tlen);
    if (st == VT_OK && !p->has_quorum)
        st = vt_error_set(err, VT_ERR_SYNTAX, "policy has no quorum line");
    if (st != VT_OK) {
        vt_tlog_policy_free(p);
        return st;
    }
    *out = p;
    return VT_OK;
}

vt_status vt_tlog_policy_check(const vt_tlog_policy *p, const vt_tlog_verifier *log_key,
                               const vt_tlog_note *note, vt_error *err)
{
    vt_tlog_checkpoint cp;
    vt_status st = vt_tlog_checkpoint_parse(note->text, note->text_len, &cp, err);
    if (st != VT_OK)
        return st;
    const vt_tlog_verifier *key = log_key ? log_key : vt_tlog_policy_log_for(p, cp.origin);
    vt_tlog_checkpoint_clear(&cp);
    if (!key)
        return vt_error_set(err, VT_ERR_VERIFY, "checkpoint is not from a log the policy lists");
    st = vt_tlog_note_verify(note, key, NULL, err);
    if (st != VT_OK)
        return st;
    if (p->quorum < 0)
        return VT_OK;
    /* Items are defined before use, so one pass in order evaluates every group. */
    unsigned char witnessed[VT_TLOG_MAX_POLICY_ITEMS] = {0};
    for (size_t i = 0; i < p->item_count; i++) {
        const struct policy_item *item = &p->items[i];
        if (item->kind == ITEM_WITNESS) {
            /* A cosignature that does not verify counts as absent: anyone relaying the note could
             * have added it. */
            witnessed[i] = vt_tlog_note_verify(note, item->key, NULL, NULL) == VT_OK;
        } else {
            size_t count = 0;
            for (size_t m = 0; m < item->member_count; m++)
                count += witnessed[item->members[m]];
            witnessed[i] = count >= item->threshold;
        }
    }
    if (!witnessed[p->quorum])
        return vt_error_set(err, VT_ERR_VERIFY, "checkpoint cosignatures do not satisfy the quorum '%s'",
                            p->items[p->quorum].name);
    return VT_OK;
}
