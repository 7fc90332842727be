/* policy.c: comparing two data policies (docs/telemetry.md "Consent"): every field added, category
 * raised, retention lengthened, expiry extended, type or purpose changed, endpoint changed, and
 * the narrowing changes; whether the newer policy needs new consent. Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitrine/telemetry.h>

static const char *const change_names[] = {
    [VT_POLICY_FIELD_ADDED] = "field added",
    [VT_POLICY_CATEGORY_RAISED] = "category raised",
    [VT_POLICY_RETENTION_LENGTHENED] = "retention lengthened",
    [VT_POLICY_EXPIRY_EXTENDED] = "expiry extended",
    [VT_POLICY_TYPE_CHANGED] = "type changed",
    [VT_POLICY_PURPOSE_CHANGED] = "purpose changed",
    [VT_POLICY_COLLECTOR_CHANGED] = "collector changed",
    [VT_POLICY_RELAY_CHANGED] = "relay changed",
    [VT_POLICY_FIELD_REMOVED] = "field removed",
    [VT_POLICY_CATEGORY_LOWERED] = "category lowered",
    [VT_POLICY_RETENTION_SHORTENED] = "retention shortened",
    [VT_POLICY_EXPIRY_SHORTENED] = "expiry shortened",
};

const char *vt_policy_change_kind_name(vt_policy_change_kind kind)
{
    if ((unsigned)kind < VT_POLICY_FIELD_ADDED || (unsigned)kind > VT_POLICY_EXPIRY_SHORTENED)
        return "unknown change";
    return change_names[kind];
}

int vt_policy_change_needs_consent(vt_policy_change_kind kind)
{
    return kind >= VT_POLICY_FIELD_ADDED && kind <= VT_POLICY_RELAY_CHANGED;
}

void vt_policy_change_clear(vt_policy_change *change)
{
    free(change->items);
    memset(change, 0, sizeof *change);
}

static vt_status add(vt_policy_change *c, vt_policy_difference d, vt_error *err)
{
    vt_policy_difference *grown = realloc(c->items, (c->count + 1) * sizeof *grown);
    if (!grown)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    c->items = grown;
    c->items[c->count++] = d;
    if (vt_policy_change_needs_consent(d.kind))
        c->needs_consent = 1;
    return VT_OK;
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static vt_status compare_field(vt_policy_change *c, const char *report, const vt_policy_field *o,
                               const vt_policy_field *n, vt_error *err)
{
    vt_status st = VT_OK;
    vt_policy_difference d = {.report = report, .field = n->name};
    if (n->type != o->type) {
        d.kind = VT_POLICY_TYPE_CHANGED;
        d.old_text = vt_policy_type_name(o->type);
        d.new_text = vt_policy_type_name(n->type);
        if ((st = add(c, d, err)) != VT_OK)
            return st;
    }
    if (n->category != o->category) {
        d.kind = n->category > o->category ? VT_POLICY_CATEGORY_RAISED : VT_POLICY_CATEGORY_LOWERED;
        d.old_text = d.new_text = NULL;
        d.old_value = o->category;
        d.new_value = n->category;
        if ((st = add(c, d, err)) != VT_OK)
            return st;
    }
    if (n->retention_days != o->retention_days) {
        d.kind = n->retention_days > o->retention_days ? VT_POLICY_RETENTION_LENGTHENED
                                                       : VT_POLICY_RETENTION_SHORTENED;
        d.old_text = d.new_text = NULL;
        d.old_value = o->retention_days;
        d.new_value = n->retention_days;
        if ((st = add(c, d, err)) != VT_OK)
            return st;
    }
    int cmp = strcmp(n->expires, o->expires);
    if (cmp != 0) {
        d.kind = cmp > 0 ? VT_POLICY_EXPIRY_EXTENDED : VT_POLICY_EXPIRY_SHORTENED;
        d.old_text = o->expires;
        d.new_text = n->expires;
        d.old_value = d.new_value = 0;
        if ((st = add(c, d, err)) != VT_OK)
            return st;
    }
    if (strcmp(n->purpose, o->purpose) != 0) {
        d.kind = VT_POLICY_PURPOSE_CHANGED;
        d.old_text = o->purpose;
        d.new_text = n->purpose;
        d.old_value = d.new_value = 0;
        st = add(c, d, err);
    }
    return st;
}

static vt_status compare(const vt_data_policy_entry *o, const vt_data_policy_entry *n,
                         vt_policy_change *c, vt_error *err)
{
    vt_status st;
    if (!same_text(o->collector, n->collector) &&
        (st = add(c,
                  (vt_policy_difference){.kind = VT_POLICY_COLLECTOR_CHANGED,
                                         .old_text = o->collector, .new_text = n->collector},
                  err)) != VT_OK)
        return st;
    if (!same_text(o->relay, n->relay) &&
        (st = add(c,
                  (vt_policy_difference){.kind = VT_POLICY_RELAY_CHANGED, .old_text = o->relay,
                                         .new_text = n->relay},
                  err)) != VT_OK)
        return st;
    for (size_t r = 0; r < n->report_count; r++) {
        const vt_policy_report *nr = &n->reports[r], *orep = vt_data_policy_report(o, nr->name);
        if (orep && strcmp(orep->purpose, nr->purpose) != 0 &&
            (st = add(c,
                      (vt_policy_difference){.kind = VT_POLICY_PURPOSE_CHANGED,
                                             .report = nr->name, .old_text = orep->purpose,
                                             .new_text = nr->purpose},
                      err)) != VT_OK)
            return st;
        for (size_t i = 0; i < nr->field_count; i++) {
            const vt_policy_field *nf = &nr->fields[i];
            const vt_policy_field *of = orep ? vt_policy_report_field(orep, nf->name) : NULL;
            if (!of)
                st = add(c,
                         (vt_policy_difference){.kind = VT_POLICY_FIELD_ADDED, .report = nr->name,
                                                .field = nf->name,
                                                .new_text = vt_policy_type_name(nf->type),
                                                .new_value = nf->category},
                         err);
            else
                st = compare_field(c, nr->name, of, nf, err);
            if (st != VT_OK)
                return st;
        }
    }
    for (size_t r = 0; r < o->report_count; r++) {
        const vt_policy_report *orep = &o->reports[r], *nr = vt_data_policy_report(n, orep->name);
        for (size_t i = 0; i < orep->field_count; i++)
            if ((!nr || !vt_policy_report_field(nr, orep->fields[i].name)) &&
                (st = add(c,
                          (vt_policy_difference){.kind = VT_POLICY_FIELD_REMOVED,
                                                 .report = orep->name,
                                                 .field = orep->fields[i].name,
                                                 .old_text =
                                                     vt_policy_type_name(orep->fields[i].type),
                                                 .old_value = orep->fields[i].category},
                          err)) != VT_OK)
                return st;
    }
    return VT_OK;
}

vt_status vt_data_policy_compare(const vt_data_policy_entry *old_policy,
                                 const vt_data_policy_entry *new_policy, vt_policy_change *out,
                                 vt_error *err)
{
    memset(out, 0, sizeof *out);
    vt_status st = compare(old_policy, new_policy, out, err);
    if (st != VT_OK)
        vt_policy_change_clear(out);
    return st;
}

const char *vt_policy_category_name(unsigned category)
{
    static const char *const names[] = {"unknown", "technical", "interaction", "stored content",
                                        "highly sensitive"};
    return names[category <= 4 ? category : 0];
}

/* "REPORT/FIELD", "REPORT" or "" for an endpoint. */
static void where(const vt_policy_difference *d, char *out, size_t size)
{
    snprintf(out, size, "%s%s%s", d->report ? d->report : "", d->field ? "/" : "",
             d->field ? d->field : "");
}

vt_status vt_policy_change_text(const vt_policy_change *change,
                                const vt_data_policy_entry *new_policy, vt_buf *out, vt_error *err)
{
    vt_status st = VT_OK;
    for (size_t i = 0; i < change->count && st == VT_OK; i++) {
        const vt_policy_difference *d = &change->items[i];
        char at[2 * VT_POLICY_MAX_NAME + 4];
        where(d, at, sizeof at);
        const char *name = vt_policy_change_kind_name(d->kind);
        char mark = vt_policy_change_needs_consent(d->kind) ? '!' : '-';
        switch (d->kind) {
        case VT_POLICY_FIELD_ADDED: {
            const vt_policy_report *r = vt_data_policy_report(new_policy, d->report);
            const vt_policy_field *f = r ? vt_policy_report_field(r, d->field) : NULL;
            if (f)
                st = vt_buf_printf(out,
                                   "+ field %s: %s, category %u (%s), kept %u days, sent until "
                                   "%s: %s\n",
                                   at, vt_policy_type_name(f->type), f->category,
                                   vt_policy_category_name(f->category), f->retention_days,
                                   f->expires, f->purpose);
            else
                st = vt_buf_printf(out, "+ field %s\n", at);
            break;
        }
        case VT_POLICY_CATEGORY_RAISED:
        case VT_POLICY_CATEGORY_LOWERED:
            st = vt_buf_printf(out, "%c %s %s: %u (%s) -> %u (%s)\n", mark, name, at, d->old_value,
                               vt_policy_category_name(d->old_value), d->new_value,
                               vt_policy_category_name(d->new_value));
            break;
        case VT_POLICY_RETENTION_LENGTHENED:
        case VT_POLICY_RETENTION_SHORTENED:
            st = vt_buf_printf(out, "%c %s %s: %u -> %u days\n", mark, name, at, d->old_value,
                               d->new_value);
            break;
        case VT_POLICY_FIELD_REMOVED:
            st = vt_buf_printf(out, "- field removed %s\n", at);
            break;
        case VT_POLICY_COLLECTOR_CHANGED:
        case VT_POLICY_RELAY_CHANGED:
            st = vt_buf_printf(out, "! %s: %s -> %s\n", name, d->old_text ? d->old_text : "(none)",
                               d->new_text ? d->new_text : "(none)");
            break;
        default:
            st = vt_buf_printf(out, "%c %s %s: %s -> %s\n", mark, name, at,
                               d->old_text ? d->old_text : "", d->new_text ? d->new_text : "");
            break;
        }
    }
    return st == VT_OK ? VT_OK : vt_error_set(err, VT_ERR_NOMEM, "out of memory");
}
