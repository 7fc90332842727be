/* atoms.c: yara 4.2.3's atom extraction and heuristic atom quality (libyara atoms.c), used to
 * give the same "string may slow down scanning" verdicts as yara. The atom tree is built the way
 * yara builds it: a concatenation is an OR node (any one of its atoms suffices, the best is
 * chosen), an alternation is an AND node (one atom per branch is needed, the worst counts). */
#include <stdlib.h>
#include <string.h>

#include "atoms.h"
#include "string_internal.h"

int vt_atom_quality(const vt_atom *atom)
{
    /* the distinct bytes, at most VT_MAX_ATOM_LENGTH: a list, not a set of 256 bits (the
     * extractor asks for the quality of every window of a hex string) */
    uint8_t seen[VT_MAX_ATOM_LENGTH];
    int quality = 0, unique = 0;
    for (int i = 0; i < atom->len; i++) {
        switch (atom->mask[i]) {
        case 0x00: quality -= 10; break;
        case 0x0F: case 0xF0: quality += 4; break;
        case 0xFF: {
            uint8_t b = atom->bytes[i];
            if (b == 0x00 || b == 0x20 || b == 0xCC || b == 0xFF)
                quality += 12;
            else if ((b | 0x20) >= 'a' && (b | 0x20) <= 'z')
                quality += 18;
            else
                quality += 20;
            int k = 0;
            while (k < unique && seen[k] != b)
                k++;
            if (k == unique)
                seen[unique++] = b;
            break;
        }
        default: break;
        }
    }
    if (unique == 1 && (seen[0] == 0x00 || seen[0] == 0x20 || seen[0] == 0x90 ||
                        seen[0] == 0xCC || seen[0] == 0xFF))
        quality -= 10 * atom->len;
    else
        quality += 2 * unique;
    return VT_MAX_ATOM_QUALITY - 22 * VT_MAX_ATOM_LENGTH + quality;
}

/* _yr_atoms_trim: drop leading/trailing wildcards; mostly-wildcard atoms shrink to one byte.
 * Returns how many bytes were dropped at the front. */
static int atom_trim(vt_atom *atom)
{
    int left = 0, mask_00 = 0, mask_ff = 0;
    _Static_assert(VT_MAX_ATOM_LENGTH == 4, "the test below reads four masks");
    if (atom->len == VT_MAX_ATOM_LENGTH && atom->mask[0] == 0xFF && atom->mask[1] == 0xFF &&
        atom->mask[2] == 0xFF && atom->mask[3] == 0xFF)
        return 0; /* the common case: nothing to trim */
    while (left < atom->len && atom->mask[left] == 0)
        left++;
    while (atom->len > left && atom->mask[atom->len - 1] == 0)
        atom->len--;
    atom->len = (uint8_t)(atom->len - left);
    if (atom->len == 0)
        return 0;
    for (int i = 0; i < atom->len; i++) {
        if (atom->mask[left + i] == 0xFF)
            mask_ff++;
        else if (atom->mask[left + i] == 0x00)
            mask_00++;
    }
    if (mask_00 >= mask_ff)
        atom->len = 1;
    if (left) {
        for (int i = 0; i < VT_MAX_ATOM_LENGTH - left; i++) {
            atom->bytes[i] = atom->bytes[left + i];
            atom->mask[i] = atom->mask[left + i];
        }
    }
    return left;
}

enum { TREE_LEAF, TREE_AND, TREE_OR };

typedef struct atree atree;
struct atree {
    int type;
    vt_atom atom;
    const vt_node *nodes[VT_MAX_ATOM_LENGTH]; /* LEAF: the node of each atom byte */
    atree **kids;
    size_t n, cap;
};

static atree *tree_new(int type)
{
    atree *t = calloc(1, sizeof *t);
    if (t)
        t->type = type;
    return t;
}

static void tree_free(atree *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        tree_free(t->kids[i]);
    free(t->kids);
    free(t);
}

static bool tree_add(atree *parent, atree *kid)
{
    if (!kid)
        return false;
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 4;
        atree **k = realloc(parent->kids, cap * sizeof *k);
        if (!k) {
            tree_free(kid);
            return false;
        }
        parent->kids = k;
        parent->cap = cap;
    }
    parent->kids[parent->n++] = kid;
    return true;
}

typedef struct item {
    const vt_node *node;
    atree *new_app;
    bool restore; /* pops back to new_app without a node */
} item;

typedef struct extractor {
    item *stack;
    size_t top, cap;
    bool failed;
    vt_atom recent;      /* the most recent atom-capable nodes, as bytes and masks */
    const vt_node *recent_nodes[VT_MAX_ATOM_LENGTH];
    int n;
    vt_atom best;
    const vt_node *best_nodes[VT_MAX_ATOM_LENGTH];
    int best_quality;
    atree *current;
} extractor;

static void push(extractor *x, const vt_node *node, atree *new_app)
{
    if (x->top == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 64;
        item *s = realloc(x->stack, cap * sizeof *s);
        if (!s) {
            x->failed = true;
            return;
        }
        x->stack = s;
        x->cap = cap;
    }
    x->stack[x->top++] = (item){node, new_app, node == NULL};
}

static void node_atom_byte(const vt_node *n, uint8_t *value, uint8_t *mask)
{
    if (n->kind == VT_NODE_ANY) {
        *value = 0;
        *mask = 0;
    } else {
        *value = n->value;
        *mask = n->kind == VT_NODE_MASKED ? n->mask : 0xFF;
    }
}

static void flush_leaf(extractor *x)
{
    if (x->n == 0)
        return;
    vt_atom atom = x->recent;
    atom.len = (uint8_t)x->n;
    int shift = atom_trim(&atom);
    int quality = vt_atom_quality(&atom);
    atree *leaf = tree_new(TREE_LEAF);
    if (!leaf) {
        x->failed = true;
        return;
    }
    leaf->type = TREE_LEAF;
    leaf->atom = quality > x->best_quality ? atom : x->best;
    for (int i = 0; i < VT_MAX_ATOM_LENGTH; i++)
        leaf->nodes[i] = quality > x->best_quality
                             ? (i + shift < VT_MAX_ATOM_LENGTH ? x->recent_nodes[i + shift] : NULL)
                             : x->best_nodes[i];
    if (!tree_add(x->current, leaf))
        x->failed = true;
    x->n = 0;
}

/* Take byte v under mask m (of `node`, NULL when only the quality is wanted) into the atoms. */
static void add_byte(extractor *x, uint8_t v, uint8_t m, const vt_node *node)
{
    if (x->n < VT_MAX_ATOM_LENGTH) {
        x->recent_nodes[x->n] = node;
        x->best_nodes[x->n] = node;
        x->recent.bytes[x->n] = v;
        x->recent.mask[x->n] = m;
        x->best.bytes[x->n] = v;
        x->best.mask[x->n] = m;
        x->best.len = (uint8_t)++x->n;
        return;
    }
    if (x->best_quality < VT_MAX_ATOM_QUALITY) {
        vt_atom atom = x->recent;
        atom.len = (uint8_t)x->n;
        int shift = atom_trim(&atom);
        int quality = vt_atom_quality(&atom);
        if (quality > x->best_quality) {
            x->best = atom;
            x->best_quality = quality;
            for (int i = 0; i < VT_MAX_ATOM_LENGTH; i++)
                x->best_nodes[i] = i + shift < VT_MAX_ATOM_LENGTH ? x->recent_nodes[i + shift]
                                                                  : NULL;
        }
        /* through copies: the loop this was became three calls of memmove */
        vt_atom moved = x->recent;
        const vt_node *nodes[VT_MAX_ATOM_LENGTH];
        memcpy(nodes, x->recent_nodes, sizeof nodes);
        for (int i = 1; i < VT_MAX_ATOM_LENGTH; i++) {
            x->recent.bytes[i - 1] = moved.bytes[i];
            x->recent.mask[i - 1] = moved.mask[i];
            x->recent_nodes[i - 1] = nodes[i];
        }
        x->recent_nodes[VT_MAX_ATOM_LENGTH - 1] = node;
        x->recent.bytes[VT_MAX_ATOM_LENGTH - 1] = v;
        x->recent.mask[VT_MAX_ATOM_LENGTH - 1] = m;
    }
}

static void add_node_byte(extractor *x, const vt_node *node)
{
    uint8_t v, m;
    node_atom_byte(node, &v, &m);
    add_byte(x, v, m, node);
}

/* A node extract() takes into atoms as one byte (the cases that call add_node_byte). */
static bool is_atom_byte(const vt_node *n)
{
    return n->kind == VT_NODE_ANY ||
           ((n->kind == VT_NODE_LITERAL || n->kind == VT_NODE_MASKED) && !n->negated);
}

static void extract(extractor *x, const vt_node *root, atree *root_or)
{
    push(x, NULL, root_or);
    push(x, root, root_or);
    x->stack[x->top - 1].restore = false;
    x->best_quality = -1;
    while (x->top && !x->failed) {
        item it = x->stack[--x->top];
        if (it.new_app) {
            flush_leaf(x);
            x->current = it.new_app;
            x->best_quality = -1;
        }
        const vt_node *n = it.node;
        if (!n)
            continue;
        switch (n->kind) {
        case VT_NODE_LITERAL:
            if (n->negated)
                goto breaker;
            /* fall through */
        case VT_NODE_ANY:
            add_node_byte(x, n);
            break;
        case VT_NODE_MASKED:
            if (n->negated)
                goto breaker;
            add_node_byte(x, n);
            break;
        case VT_NODE_CONCAT: {
            /* Its leading bytes at once, as popping them one by one would take them (nothing
             * comes between them on the stack); the rest through the stack. */
            size_t first = 0;
            for (; first < n->nkids && is_atom_byte(n->kids[first]); first++)
                if (x->n < VT_MAX_ATOM_LENGTH || x->best_quality < VT_MAX_ATOM_QUALITY)
                    add_node_byte(x, n->kids[first]); /* otherwise it would change nothing */
            for (size_t i = n->nkids; i-- > first;)
                push(x, n->kids[i], NULL);
            break;
        }
        case VT_NODE_ALT: {
            atree *and_node = tree_new(TREE_AND);
            if (!and_node || !tree_add(x->current, and_node)) {
                x->failed = true;
                break;
            }
            and_node->type = TREE_AND;
            push(x, NULL, x->current);
            /* yara's ALT is binary and left-nested; an n-ary AND of the branches gives the same
             * choice (min over branches) and keeps the branch order. */
            atree **ors = calloc(n->nkids, sizeof *ors);
            if (!ors) {
                x->failed = true;
                break;
            }
            for (size_t i = 0; i < n->nkids; i++) {
                ors[i] = tree_new(TREE_OR);
                if (!ors[i] || !tree_add(and_node, ors[i])) {
                    x->failed = true;
                    break;
                }
                ors[i]->type = TREE_OR;
            }
            for (size_t i = n->nkids; i-- > 0 && !x->failed;)
                push(x, n->kids[i], ors[i]);
            free(ors);
            break;
        }
        case VT_NODE_REPEAT:
            if (vt_node_is_range_any(n) || (n->min == 0 && n->max == -1))
                goto breaker; /* RANGE_ANY (`.?` breaks atoms as x? does), STAR */
            push(x, NULL, x->current);
            if (n->min == 1 && n->max == -1) { /* PLUS */
                push(x, n->kids[0], NULL);
            } else { /* RANGE: the child at least min times */
                for (int i = 0; i < n->min && i < VT_MAX_ATOM_LENGTH; i++)
                    push(x, n->kids[0], NULL);
            }
            break;
        default:
        breaker:
            push(x, NULL, x->current);
            break;
        }
    }
}

/* _yr_atoms_choose: the quality of the atoms chosen from a tree. */
static int choose(const atree *t)
{
    switch (t->type) {
    case TREE_LEAF: {
        vt_atom atom = t->atom;
        atom_trim(&atom);
        return atom.len > 0 ? vt_atom_quality(&atom) : VT_MIN_ATOM_QUALITY;
    }
    case TREE_OR: {
        int max = VT_MIN_ATOM_QUALITY;
        for (size_t i = 0; i < t->n; i++) {
            int q = choose(t->kids[i]);
            if (q > max)
                max = q;
            if (max == VT_MAX_ATOM_QUALITY)
                break;
        }
        return max;
    }
    default: {
        int min = VT_MAX_ATOM_QUALITY;
        for (size_t i = 0; i < t->n; i++) {
            int q = choose(t->kids[i]);
            if (q < min)
                min = q;
        }
        return min;
    }
    }
}

/* _yr_atoms_choose with the atoms themselves: appends to `list` the atoms chosen from `t`, in
 * yara's list order (an AND node puts each child's atoms before those of the children before
 * it), and returns their quality. */
static int choose_list(const atree *t, vt_chosen_atom_list *list, bool *failed)
{
    size_t start = list->count;
    switch (t->type) {
    case TREE_LEAF: {
        vt_atom atom = t->atom;
        int shift = atom_trim(&atom);
        if (atom.len == 0)
            return VT_MIN_ATOM_QUALITY;
        if (list->count == list->cap) {
            size_t cap = list->cap ? list->cap * 2 : 8;
            vt_chosen_atom *items = realloc(list->items, cap * sizeof *items);
            if (!items) {
                *failed = true;
                return VT_MIN_ATOM_QUALITY;
            }
            list->items = items;
            list->cap = cap;
        }
        list->items[list->count++] = (vt_chosen_atom){atom, t->nodes[shift]};
        return vt_atom_quality(&atom);
    }
    case TREE_OR: {
        int max = VT_MIN_ATOM_QUALITY;
        size_t best_at = start, best_n = 0;
        for (size_t i = 0; i < t->n && !*failed; i++) {
            size_t at = list->count;
            int q = choose_list(t->kids[i], list, failed);
            if (q > max) {
                /* keep this child's atoms only */
                if (list->count > at)
                    memmove(list->items + start, list->items + at,
                            (list->count - at) * sizeof *list->items);
                best_n = list->count - at;
                list->count = start + best_n;
                best_at = start;
                max = q;
            } else {
                list->count = at;
            }
            if (max == VT_MAX_ATOM_QUALITY)
                break;
        }
        list->count = best_at + best_n;
        return max;
    }
    default: {
        int min = VT_MAX_ATOM_QUALITY;
        for (size_t i = 0; i < t->n && !*failed; i++) {
            size_t at = list->count;
            int q = choose_list(t->kids[i], list, failed);
            if (q < min)
                min = q;
            /* this child's atoms go before those already chosen */
            size_t n = list->count - at, before = at - start;
            if (n && before) {
                vt_chosen_atom *tmp = malloc(n * sizeof *tmp);
                if (!tmp) {
                    *failed = true;
                    break;
                }
                memcpy(tmp, list->items + at, n * sizeof *tmp);
                memmove(list->items + start + n, list->items + start, before * sizeof *tmp);
                memcpy(list->items + start, tmp, n * sizeof *tmp);
                free(tmp);
            }
        }
        return min;
    }
    }
}

vt_status vt_atoms_choose(const vt_node *root, vt_chosen_atom_list *out)
{
    out->count = 0;
    atree *tree = tree_new(TREE_OR);
    if (!tree)
        return VT_ERR_NOMEM;
    tree->type = TREE_OR;
    extractor x = {0};
    extract(&x, root, tree);
    flush_leaf(&x);
    bool failed = x.failed;
    if (!failed)
        choose_list(tree, out, &failed);
    free(x.stack);
    tree_free(tree);
    if (failed) {
        out->count = 0;
        return VT_ERR_NOMEM;
    }
    return VT_OK;
}

int vt_atoms_pattern_quality(const vt_node *root)
{
    atree *tree = tree_new(TREE_OR);
    if (!tree)
        return VT_MIN_ATOM_QUALITY;
    tree->type = TREE_OR;
    extractor x = {0};
    extract(&x, root, tree);
    flush_leaf(&x);
    int q = x.failed ? VT_MIN_ATOM_QUALITY : choose(tree);
    free(x.stack);
    tree_free(tree);
    return q;
}

/* Hex strings with long jumps are split into chained pieces, each with its own atoms. */
static int chained_quality(const vt_node *root)
{
    if (root->kind != VT_NODE_CONCAT)
        return vt_atoms_pattern_quality(root);
    int min = VT_MAX_ATOM_QUALITY;
    size_t start = 0;
    for (size_t i = 0; i <= root->nkids; i++) {
        const vt_node *k = i < root->nkids ? root->kids[i] : NULL;
        bool split = k && k->hex_jump &&
                     (k->max < 0 || k->max > VT_STRING_CHAINING_THRESHOLD);
        if (k && !split)
            continue;
        vt_node piece = {.kind = VT_NODE_CONCAT, .kids = root->kids + start,
                         .nkids = i - start};
        int q = vt_atoms_pattern_quality(&piece);
        if (q < min)
            min = q;
        start = i + 1;
    }
    return min;
}

static int text_quality(const vt_string_spec *spec, int enough)
{
    const uint8_t *s = spec->data;
    size_t len = spec->len;
    /* without wide or xor the quality is the best window's: once a window reaches `enough`,
     * the rest can only raise it (with them, the first best window decides the variants) */
    int stop = spec->modifiers & (VT_MOD_WIDE | VT_MOD_XOR) ? VT_MAX_ATOM_QUALITY : enough;
    vt_atom best = {.len = (uint8_t)(len < VT_MAX_ATOM_LENGTH ? len : VT_MAX_ATOM_LENGTH)};
    for (int i = 0; i < best.len; i++) {
        best.bytes[i] = s[i];
        best.mask[i] = 0xFF;
    }
    int max = vt_atom_quality(&best);
    for (size_t i = VT_MAX_ATOM_LENGTH; i < len && max < VT_MAX_ATOM_QUALITY && max < stop; i++) {
        vt_atom a = {.len = VT_MAX_ATOM_LENGTH};
        memcpy(a.bytes, s + i - VT_MAX_ATOM_LENGTH + 1, VT_MAX_ATOM_LENGTH);
        memset(a.mask, 0xFF, VT_MAX_ATOM_LENGTH);
        int q = vt_atom_quality(&a);
        if (q > max) {
            max = q;
            best = a;
        }
    }
    int min = max;
    /* Recheck every generated atom (wide, case and xor variants). */
    vt_atom variants[2];
    int nvar = 0;
    bool wide = spec->modifiers & VT_MOD_WIDE;
    bool ascii = (spec->modifiers & VT_MOD_ASCII) || !wide;
    if (ascii || !wide)
        variants[nvar++] = best;
    if (wide) {
        vt_atom w = {.len = (uint8_t)(best.len * 2 < VT_MAX_ATOM_LENGTH ? best.len * 2
                                                                         : VT_MAX_ATOM_LENGTH)};
        memset(w.mask, 0xFF, sizeof w.mask);
        for (int i = 0; i < best.len && i * 2 < VT_MAX_ATOM_LENGTH; i++)
            w.bytes[i * 2] = best.bytes[i];
        variants[nvar++] = w;
    }
    for (int v = 0; v < nvar; v++) {
        if (spec->modifiers & VT_MOD_XOR) {
            for (int k = spec->xor_min; k <= spec->xor_max; k++) {
                vt_atom x = variants[v];
                for (int i = 0; i < x.len; i++)
                    x.bytes[i] ^= (uint8_t)k;
                int q = vt_atom_quality(&x);
                if (q < min)
                    min = q;
            }
        } else {
            int q = vt_atom_quality(&variants[v]); /* case variants have the same quality */
            if (q < min)
                min = q;
        }
    }
    return min;
}

int vt_atoms_hex_quality(const vt_pattern *hex)
{
    return chained_quality(hex->root);
}

vt_status vt_atoms_string_quality(const vt_string_spec *spec, int enough, int *quality,
                                  vt_error *err)
{
    vt_pattern *pat = NULL;
    vt_status st = VT_OK;
    if (spec->kind == VT_STRING_TEXT &&
        !(spec->modifiers & (VT_MOD_BASE64 | VT_MOD_BASE64WIDE))) {
        *quality = text_quality(spec, enough);
        return VT_OK;
    }
    if (spec->kind == VT_STRING_TEXT)
        st = vt_base64_pattern(spec, &pat, err);
    else if (spec->kind == VT_STRING_HEX)
        st = vt_pattern_parse_hex((const char *)spec->data, spec->len, &pat, err);
    else
        st = vt_pattern_parse_regex((const char *)spec->data, spec->len, spec->regex_flags,
                                    &pat, err);
    if (st != VT_OK)
        return st;
    *quality = spec->kind == VT_STRING_HEX ? chained_quality(pat->root)
                                           : vt_atoms_pattern_quality(pat->root);
    vt_pattern_free(pat);
    return VT_OK;
}

/* One piece of a flat hex string (no long jump inside), as extract() takes a concatenation of
 * bytes and short jumps: bytes (a jump [1] as ??) go into the atoms, a negated byte or another
 * jump ends the current atom. Its quality, or, as soon as the best atom so far reaches
 * `enough`, that atom's quality: the piece's is at least that (the leaf keeps its best atom or
 * a better one, and choose() takes the best leaf). */
static int flat_piece_quality(const vt_hex_item *items, size_t n, int enough)
{
    atree *tree = tree_new(TREE_OR);
    if (!tree)
        return VT_MIN_ATOM_QUALITY;
    extractor x = {.current = tree, .best_quality = -1};
    for (size_t i = 0; i < n && !x.failed; i++) {
        const vt_hex_item *it = &items[i];
        if (it->kind == VT_HEX_ITEM_BYTE) {
            if (x.n < VT_MAX_ATOM_LENGTH || x.best_quality < VT_MAX_ATOM_QUALITY)
                add_byte(&x, it->value, it->mask, NULL);
        } else { /* negated byte or jump: yara's breaker ([1] is a ?? byte item) */
            flush_leaf(&x);
            x.best_quality = -1;
        }
        if (x.best_quality >= enough) {
            tree_free(tree);
            return x.best_quality;
        }
    }
    flush_leaf(&x);
    int q = x.failed ? VT_MIN_ATOM_QUALITY : choose(tree);
    tree_free(tree);
    return q;
}

bool vt_atoms_flat_hex_is_slow(const vt_hex_item *items, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        bool split = i < n && items[i].kind == VT_HEX_ITEM_JUMP &&
                     (items[i].max < 0 || items[i].max > VT_STRING_CHAINING_THRESHOLD);
        if (i < n && !split)
            continue;
        /* the string's quality is its worst piece's */
        if (flat_piece_quality(items + start, i - start, VT_ATOM_QUALITY_WARNING_THRESHOLD) <
            VT_ATOM_QUALITY_WARNING_THRESHOLD)
            return true;
        start = i + 1;
    }
    return false;
}
