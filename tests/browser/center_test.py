#!/usr/bin/python3
# center_test.py: the transparency center page in headless chromium (tests/e2e/center.sh sets
# up the logs and servers). Prints "PASS what" / "FAIL what" lines. Checks:
#   - a real vitrine log served by `vitrine serve center`: checkpoint, 2-of-2 witness quorum,
#     every entry verified included, kinds, audit verdicts, highlighted rule source, HTML in a rule shown as
#     text (no element injected, no script run), its own files matching the logged page entry,
#     #INDEX links, search by name, hash and index;
#   - a copy of the page with one changed file: the self-check fails;
#   - the Tessera test log (entries of unknown kind) and Go's tlog-proof vector (with its
#     cosigned checkpoint);
#   - every single-bit change, run through the page's own verify functions in the page:
#     all bits of the signed checkpoint note (its text, the log signature and both cosignature
#     lines), all bits of the level-0 tile, all bits of one entry with its length prefix in
#     the entry bundle, all bits of the tlog-proof vector and of the cosigned vector checkpoint;
#     in a log of 300 entries, a full level-0 tile (authenticated by its parent, not the root):
#     one bit in each of its 256 hashes plus all 256 bits of one hash (an exhaustive run is
#     65,536 flips of ~255 digests each, too slow for the suite), and all bits of the level-1
#     tile;
#   - packs (pack/N: 16 full tiles and their bundles in one file), in a log of 4,400 entries:
#     entries spread over a pack verified through it in one fetch, a changed bit in its tile or
#     entry detected, a pack that does not parse or cannot be fetched replaced by the files;
#   - the fork alarm: the same browser profile visits the honest log, then (the server's log
#     switched to a fork signed with the same key) the fork;
#   - the rollback alarm: a profile that forgot everything visits the honest log, then (the
#     server's log switched to an older prefix of it, cosigned) the smaller tree;
# and keeps screenshots in --shots.
import argparse
import base64
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402


def report(ok, what, detail=None):
    print(('PASS ' if ok else 'FAIL ') + what)
    if not ok and detail is not None:
        print(f'  {detail}')
    sys.stdout.flush()


def text_of(b, id_):
    return b.evaluate(f'document.getElementById({json.dumps(id_)}).textContent')


POLICY_JS = "await V.parsePolicy(JSON.parse(document.getElementById('vitrine-trust').textContent).policy)"

# In the page: every bit of the checkpoint note (split in text+log signature and cosignatures).
CHECKPOINT_FLIPS = """(async () => {
  const V = window.vitrine;
  const policy = %s;
  const note = new Uint8Array(await (await fetch('log/checkpoint', {cache: 'no-store'})).arrayBuffer());
  const base = await V.verifyCheckpoint(note, policy);
  if (!base.ok) return {error: 'the unchanged checkpoint fails: ' + base.reason};
  const text = new TextDecoder().decode(note);
  // Byte offset where the cosignature lines start: after the log's own signature line.
  const sigStart = new TextEncoder().encode(text.slice(0, text.lastIndexOf('\\n\\n') + 2)).length;
  const firstSigEnd = note.indexOf(10, sigStart) + 1;
  const accepted = [];
  let cosigBits = 0;
  for (let i = 0; i < note.length * 8; i++) {
    const m = note.slice();
    m[i >> 3] ^= 1 << (i & 7);
    if ((i >> 3) >= firstSigEnd) cosigBits++;
    if ((await V.verifyCheckpoint(m, policy)).ok) accepted.push(i);
  }
  return {bits: note.length * 8, cosigBits, accepted, witnesses: base.witnesses.filter(w => w.status === 'ok').length};
})()""" % POLICY_JS

# In the page: every bit of the level-0 tile and of one entry (with its length prefix).
TILE_ENTRY_FLIPS = """(async () => {
  const V = window.vitrine;
  const policy = %s;
  const note = new Uint8Array(await (await fetch('log/checkpoint', {cache: 'no-store'})).arrayBuffer());
  const cp = await V.verifyCheckpoint(note, policy);
  if (!cp.ok) return {error: cp.reason};
  const cache = new Map();
  const get = p => {
    if (!cache.has(p)) cache.set(p, fetch('log/' + p).then(r => r.arrayBuffer()).then(a => new Uint8Array(a)));
    return cache.get(p).then(a => a.slice());
  };
  const tilePath = V.tilePath(0, 0, cp.size), bundlePath = V.bundlePath(0, cp.size);
  const tile = await get(tilePath), bundle = await get(bundlePath);
  const honest = new V.LogView(get, cp);
  for (let i = 0; i < cp.size; i++) if (!(await honest.verifyEntry(i)).ok) return {error: 'entry ' + i + ' fails unchanged'};
  const tileAccepted = [];
  for (let i = 0; i < tile.length * 8; i++) {
    const t = tile.slice();
    t[i >> 3] ^= 1 << (i & 7);
    const view = new V.LogView(p => p === tilePath ? Promise.resolve(t) : get(p), cp);
    for (let e = 0; e < cp.size; e++) if ((await view.verifyEntry(e)).ok) { tileAccepted.push([i, e]); break; }
  }
  const entryIndex = %d;
  let at = 0;
  for (let e = 0; e < entryIndex; e++) at += 2 + bundle[at] * 256 + bundle[at + 1];
  const len = 2 + bundle[at] * 256 + bundle[at + 1];
  const entryAccepted = [];
  const view = new V.LogView(get, cp);
  await view.checkRoot();
  for (let i = at * 8; i < (at + len) * 8; i++) {
    const b = bundle.slice();
    b[i >> 3] ^= 1 << (i & 7);
    view.bundles.clear();
    view.fetchPath = p => p === bundlePath ? Promise.resolve(b) : get(p);
    if ((await view.verifyEntry(entryIndex)).ok) entryAccepted.push(i);
  }
  return {tileBits: tile.length * 8, tileAccepted, entryBits: len * 8, entryAccepted};
})()"""

# In the page: a full level-0 tile and the level-1 tile of a 300-entry log.
FULL_TILE_FLIPS = """(async () => {
  const V = window.vitrine;
  const policy = %s;
  const cp = await V.verifyCheckpoint(new Uint8Array(await (await fetch('log/checkpoint', {cache: 'no-store'})).arrayBuffer()), policy);
  if (!cp.ok || cp.size !== 300) return {error: 'checkpoint: ' + cp.reason + ' ' + cp.size};
  const cache = new Map();
  const get = p => {
    if (!cache.has(p)) cache.set(p, fetch('log/' + p).then(r => r.arrayBuffer()).then(a => new Uint8Array(a)));
    return cache.get(p).then(a => a.slice());
  };
  const full = V.tilePath(0, 0, 256), upper = V.tilePath(1, 0, 1);
  const honest = new V.LogView(get, cp);
  for (const i of [0, 7, 255, 256, 299]) if (!(await honest.verifyEntry(i)).ok) return {error: 'entry ' + i + ' fails unchanged'};
  const bits = [];
  for (let h = 0; h < 256; h++) bits.push([full, h * 256 + (h %% 256)]);
  for (let i = 0; i < 256; i++) bits.push([full, 7 * 256 + i]);
  for (let i = 0; i < 256; i++) bits.push([upper, i]);
  const accepted = [];
  for (const [path, bit] of bits) {
    const t = await get(path);
    t[bit >> 3] ^= 1 << (bit & 7);
    const view = new V.LogView(p => p === path ? Promise.resolve(t) : get(p), cp);
    if ((await view.verifyEntry(7)).ok || (path === upper && (await view.verifyEntry(299)).ok)) accepted.push([path, bit]);
  }
  return {flips: bits.length, accepted};
})()""" % POLICY_JS

# In the page: Go's tlog-proof vector and its cosigned checkpoint, unchanged and every bit flipped.
VECTOR_FLIPS = """(async () => {
  const V = window.vitrine;
  const policy = await V.parsePolicy(%s);
  const proof = V.b64decode(%s), cosigned = V.b64decode(%s);
  const base = await V.verifyTlogProof(proof, policy);
  const cp = await V.verifyCheckpoint(cosigned, policy);
  const wrongEntry = await V.verifyTlogProof(proof, policy, new TextEncoder().encode('six'));
  const proofAccepted = [], cpAccepted = [];
  for (let i = 0; i < proof.length * 8; i++) {
    const m = proof.slice(); m[i >> 3] ^= 1 << (i & 7);
    if ((await V.verifyTlogProof(m, policy)).ok) proofAccepted.push(i);
  }
  for (let i = 0; i < cosigned.length * 8; i++) {
    const m = cosigned.slice(); m[i >> 3] ^= 1 << (i & 7);
    if ((await V.verifyCheckpoint(m, policy)).ok) cpAccepted.push(i);
  }
  return {base, cp: {ok: cp.ok, reason: cp.reason, size: cp.size, witnesses: cp.witnesses},
          wrongEntry: wrongEntry.ok, proofBits: proof.length * 8, proofAccepted,
          cpBits: cosigned.length * 8, cpAccepted};
})()"""


def check_real_log(b, args):
    url = args.center
    b.navigate(url)
    status = text_of(b, 'status')
    report(status.startswith('verified: signed by example.com/rules'), 'the real log verifies', status)
    report(text_of(b, 'quorum') == 'quorum both: met', 'the 2-of-2 witness quorum is met', text_of(b, 'quorum'))
    rows = b.evaluate("[...document.querySelectorAll('#witnesses tbody tr')].map(r => [...r.cells].map(c => c.textContent))")
    report(len(rows) == 2 and all(r[1] == 'verified' and r[3].endswith(' s') for r in rows),
           'both witnesses are listed with a verified cosignature and its age', rows)
    size = b.evaluate('window.vitrineCenter.entries.size')
    ok_all = b.evaluate('[...window.vitrineCenter.entries.values()].every(r => r.ok)')
    report(size == 7 and ok_all, 'all 7 entries are shown and verified included', (size, text_of(b, 'entries-status')))
    kinds = b.evaluate("[...document.querySelectorAll('.entry .meta')].map(m => m.children[2] ? m.children[2].textContent : '')")
    report(kinds == ['page', 'bundle', 'rule', 'bundle', 'rule', 'rule', 'rule'], 'each entry shows its kind', kinds)
    report(b.evaluate("document.querySelectorAll('#entries pre.source span.kw').length") > 10 and
           b.evaluate("[...document.querySelectorAll('#entries span.kw')].some(s => s.textContent === 'condition')"),
           'rule sources are highlighted')
    injected = b.evaluate("document.querySelectorAll('#entries img, #entries script, #entries iframe').length")
    pwned = b.evaluate('window.pwned === undefined')
    shown = b.evaluate("document.getElementById('4').textContent.includes('<img src=x onerror=\"window.pwned = 2\">')")
    report(injected == 0 and pwned and shown, 'HTML in a rule is shown as text: no element injected, no script run',
           (injected, pwned, shown))
    audit4 = b.evaluate("document.getElementById('4').querySelector('.audit').textContent")
    audit0 = b.evaluate("document.getElementById('0').querySelector('.audit').textContent")
    report(audit4.startswith('audit: flagged') and 'AUD-MARKING-001' in audit4 and audit0.startswith('audit: clean'),
           "the auditor's verdicts are shown: the marking hunter flagged, EICAR clean", (audit4, audit0))
    self_text = text_of(b, 'self')
    report(self_text.startswith("this page's files (center.css, center.js, index.html) are the ones logged in page entry #6"),
           "the page's own files match the logged page entry", self_text)
    hist = b.evaluate("document.querySelectorAll('#history tbody tr').length")
    report(hist == 1, 'the checkpoint history holds the checkpoint seen', hist)
    b.screenshot(os.path.join(args.shots, 'real-log.png'))
    # #INDEX links: a fresh load of #4 shows entry 4, the target.
    b.navigate(url + '#4')
    report(b.evaluate("document.querySelector('.entry:target') && document.querySelector('.entry:target').id") == '4'
           and b.evaluate('window.vitrineCenter.entries.get(4).ok'), 'an #INDEX link shows and verifies that entry')
    # Search by name, hash and index.
    feed = json.load(urllib.request.urlopen(url + 'feed.json'))['entries']
    for query, want in (('html', [4]), (feed[1]['hash'][:12], [1]), ('2', [2])):
        got = b.evaluate("""(async () => {
          const s = document.getElementById('search');
          s.value = %s;
          s.dispatchEvent(new Event('input'));
          for (let i = 0; i < 100; i++) {
            await new Promise(r => setTimeout(r, 50));
            const ids = [...document.querySelectorAll('#entries .entry')].map(e => Number(e.id));
            const st = document.getElementById('entries-status').textContent;
            if (ids.length && st.startsWith(ids.length + ' entries shown')) return ids;
          }
          return null;
        })()""" % json.dumps(query))
        report(got == want, f'search for {query!r} finds entry {want}', got)
    b.screenshot(os.path.join(args.shots, 'search.png'))


def check_flips(b, args):
    b.navigate(args.center)
    t0 = time.time()
    r = b.evaluate(CHECKPOINT_FLIPS)
    report('error' not in r and r['witnesses'] == 2 and not r['accepted'] and r['cosigBits'] > 1000,
           f"every single-bit change of the checkpoint note is rejected ({r.get('bits')} bits, "
           f"{r.get('cosigBits')} in the two cosignature lines, {time.time() - t0:.1f} s)", r)
    t0 = time.time()
    r = b.evaluate(TILE_ENTRY_FLIPS % (POLICY_JS, 4))
    report('error' not in r and not r['tileAccepted'] and r['tileBits'] == 7 * 256,
           f"every single-bit change of the level-0 tile is rejected ({r.get('tileBits')} bits)", r)
    report('error' not in r and not r['entryAccepted'] and r['entryBits'] > 1000,
           f"every single-bit change of entry 4 and its length prefix is rejected ({r.get('entryBits')} bits, "
           f"{time.time() - t0:.1f} s for both)", r)


def check_vectors(b, args):
    b.navigate(args.tessera)
    status = text_of(b, 'status')
    report(status.startswith('verified: signed by example.com/log/testdata') and 'root of 15 entries' in status,
           'the Tessera test log verifies', status)
    results = b.evaluate('[...window.vitrineCenter.entries.values()].map(r => r.ok)')
    kinds = set(b.evaluate("[...document.querySelectorAll('.entry .meta')].map(m => m.children[2].textContent)"))
    report(len(results) == 15 and all(results) and kinds == {'unknown kind'},
           'its 15 entries are verified and shown as unknown kind', (results, kinds))
    b.screenshot(os.path.join(args.shots, 'tessera.png'))
    vec = args.vectors + '/cosignature/'
    witness_key = open(vec + 'witness.vkey').read().strip()
    policy = f'log {args.tessera_key}\nwitness w1 {witness_key}\nquorum w1\n'
    proof = base64.b64encode(open(vec + 'entry6.tlog-proof', 'rb').read()).decode()
    cosigned = base64.b64encode(open(vec + 'checkpoint.15.cosigned', 'rb').read()).decode()
    t0 = time.time()
    r = b.evaluate(VECTOR_FLIPS % (json.dumps(policy), json.dumps(proof), json.dumps(cosigned)))
    report(r['base']['ok'] and r['base']['index'] == 6 and r['base']['size'] == 15,
           "Go's tlog-proof vector (entry 6 of 15, cosigned by witness.example/w1) verifies", r['base'])
    report(r['cp']['ok'] and r['cp']['witnesses'][0]['time'] == 1700000000,
           'the cosigned vector checkpoint verifies with cosignature time 1700000000', r['cp'])
    report(not r['wrongEntry'], 'the proof does not verify another entry')
    report(not r['proofAccepted'] and not r['cpAccepted'],
           f"every single-bit change of the proof ({r['proofBits']} bits) and of the cosigned checkpoint "
           f"({r['cpBits']} bits) is rejected ({time.time() - t0:.1f} s)",
           (r['proofAccepted'][:10], r['cpAccepted'][:10]))


def check_inclusion_vectors(b, args):
    # transparency-dev/merkle's inclusion proof vectors through the page's RFC 9162 verifier.
    import glob
    cases = []
    for path in sorted(glob.glob(args.vectors + '/transparency-dev-merkle/testdata/inclusion/*/*.json')):
        v = json.load(open(path))
        cases.append({'name': os.path.relpath(path, args.vectors), 'index': v['leafIdx'], 'size': v['treeSize'],
                      'leaf': v['leafHash'] or '', 'root': v['root'] or '', 'proof': v['proof'] or [],
                      'want': not v['wantErr']})
    wrong = b.evaluate("""(async () => {
      const V = window.vitrine, cases = %s, wrong = [];
      const d = t => { try { return V.b64decode(t); } catch (e) { return new Uint8Array(0); } };
      for (const c of cases) {
        const got = await V.verifyInclusionProof(c.index, c.size, d(c.leaf), c.proof.map(d), d(c.root));
        if (got !== c.want) wrong.push(c.name);
      }
      return wrong;
    })()""" % json.dumps(cases))
    report(len(cases) > 80 and wrong == [],
           f"the page's inclusion proof verifier agrees with all {len(cases)} transparency-dev/merkle vectors "
           f"({sum(c['want'] for c in cases)} valid, {sum(not c['want'] for c in cases)} invalid)", wrong)
    r = b.evaluate("""(async () => {
      const V = window.vitrine;
      const policy = %s;
      const cp = await V.verifyCheckpoint(new Uint8Array(await (await fetch('log/checkpoint', {cache: 'no-store'})).arrayBuffer()), policy);
      const view = new V.LogView(p => fetch('log/' + p).then(r => r.arrayBuffer()).then(a => new Uint8Array(a)), cp);
      const same = await V.checkExtends(view, {size: cp.size, root: cp.root});
      const prefix = await V.checkExtends(view, {size: 1, root: await view.rootAt(1)});
      const other = cp.root.slice(); other[0] ^= 1;
      const fork = await V.checkExtends(view, {size: cp.size, root: other});
      const rollback = await V.checkExtends(view, {size: cp.size + 1, root: cp.root});
      return [same.ok, prefix.ok, fork.kind, rollback.kind];
    })()""" % POLICY_JS)
    report(r == [True, True, 'fork', 'rollback'],
           'checkExtends: the same tree and a prefix extend; another root is a fork, a larger tree a rollback', r)


def check_full_tile(b, args):
    b.navigate(args.big)
    report(b.evaluate('[...window.vitrineCenter.entries.values()].every(r => r.ok)') and
           b.evaluate('window.vitrineCenter.entries.size') == 100, 'the 300-entry log verifies (newest 100 shown)')
    t0 = time.time()
    r = b.evaluate(FULL_TILE_FLIPS)
    report('error' not in r and not r['accepted'] and r['flips'] == 768,
           f"bit changes of a full level-0 tile (one per hash and all of hash 7) and of the level-1 tile are "
           f"rejected ({r.get('flips')} flips, {time.time() - t0:.1f} s)", r)


# In the page: a log of 4,400 entries (one pack: tiles 0-15 and their bundles). Entries spread
# over the pack are verified through it in one fetch; a changed bit in a pack's tile or entry
# fails exactly the entries that depend on it; a pack that does not parse or is missing is a lost
# shortcut: the files are fetched instead and verify.
PACKS = """(async () => {
  const V = window.vitrine;
  const policy = %s;
  const cp = await V.verifyCheckpoint(new Uint8Array(await (await fetch('log/checkpoint', {cache: 'no-store'})).arrayBuffer()), policy);
  if (!cp.ok) return {error: cp.reason};
  const bytes = new Map();
  const load = p => { if (!bytes.has(p)) bytes.set(p, fetch(p).then(r => { if (!r.ok) throw new Error(p + ': ' + r.status); return r.arrayBuffer(); }).then(a => new Uint8Array(a))); return bytes.get(p).then(a => a.slice()); };
  const pack = await load('pack/0');
  const run = async (changePack, indexes) => {
    const fetched = [];
    const view = new V.LogView(p => { fetched.push('log/' + p); return load('log/' + p); }, cp,
      n => { fetched.push('pack/' + n); return changePack(n); });
    const results = await view.verifyEntries(indexes);
    return {failed: results.filter(r => !r.ok).map(r => r.index), fetched};
  };
  const spread = [];
  for (let i = 0; i < 4096; i += 50) spread.push(i);
  const out = {};
  const honest = await run(n => load('pack/' + n), spread);
  out.honest = {failed: honest.failed, packs: honest.fetched.filter(p => p.startsWith('pack/')),
    inPack: honest.fetched.filter(p => /^log\/tile\/(0|entries)\/0(0[0-9]|1[0-5])$/.test(p))};
  const few = await run(n => load('pack/' + n), [5, 300, 600]);
  out.few = {failed: few.failed, packs: few.fetched.filter(p => p.startsWith('pack/')).length};
  // One bit of hash 5 of tile 3, one bit of entry 9 of bundle 7 (after its 2-byte length).
  const tileBit = pack.slice(); tileBit[3 * 8192 + 5 * 32 + 7] ^= 4;
  let at = 16 * 8192;
  for (let k = 0; k < 7; k++) for (let e = 0; e < 256; e++) at += 2 + pack[at] * 256 + pack[at + 1];
  for (let e = 0; e < 9; e++) at += 2 + pack[at] * 256 + pack[at + 1];
  const entryBit = pack.slice(); entryBit[at + 2] ^= 1;
  const lengthBit = pack.slice(); lengthBit[at] ^= 1;
  const tile3 = [], all = [];
  for (let i = 0; i < 4096; i++) { all.push(i); if (Math.floor(i / 256) === 3) tile3.push(i); }
  const t = await run(async () => tileBit, all);
  out.tile = {failed: t.failed.length, onlyTile3: t.failed.every(i => Math.floor(i / 256) === 3), allTile3: tile3.every(i => t.failed.includes(i))};
  out.entry = (await run(async () => entryBit, all)).failed;
  const l = await run(async () => lengthBit, all);
  out.length = {failed: l.failed, files: l.fetched.filter(p => p.startsWith('log/tile/entries/')).length};
  const m = await run(async () => { throw new Error('HTTP 404'); }, all);
  out.missing = {failed: m.failed, files: m.fetched.filter(p => p.startsWith('log/tile/entries/')).length};
  return out;
})()""" % POLICY_JS


def check_packs(b, args):
    b.navigate(args.packed)
    report(b.evaluate('[...window.vitrineCenter.entries.values()].every(r => r.ok)') and
           b.evaluate('window.vitrineCenter.entries.size') == 100, 'the 4,400-entry log verifies (newest 100 shown)')
    r = b.evaluate(PACKS)
    if 'error' in r:
        report(False, 'the pack checks ran', r)
        return
    report(r['honest'] == {'failed': [], 'packs': ['pack/0'], 'inPack': []},
           '82 entries spread over 16 tiles verify through one pack, no tile/0 or bundle file fetched', r['honest'])
    report(r['few'] == {'failed': [], 'packs': 0}, 'entries of fewer than 4 bundles of a pack are fetched without it', r['few'])
    report(r['tile'] == {'failed': 256, 'onlyTile3': True, 'allTile3': True},
           "a changed bit in a pack's tile fails the 256 entries of that tile and no other", r['tile'])
    report(r['entry'] == [7 * 256 + 9], "a changed bit in a pack's entry fails that entry and no other", r['entry'])
    report(r['length'] == {'failed': [], 'files': 16},
           "a pack whose entry length is changed does not parse: its 16 bundles are fetched as files and verify", r['length'])
    report(r['missing'] == {'failed': [], 'files': 16},
           'a pack that cannot be fetched: its 16 bundles are fetched as files and verify', r['missing'])


def check_tampered(b, args):
    b.navigate(args.tampered)
    self_text = text_of(b, 'self')
    report(self_text.startswith("this page's files do NOT match page entry #6: center.css differs"),
           'a copy of the page with a changed file fails its self-check', self_text)
    b.screenshot(os.path.join(args.shots, 'tampered-page.png'))


def switch_log(args, target):
    # Points the served log at `target` and waits for serve center --refresh to rebuild.
    before = urllib.request.urlopen(args.center + 'log/checkpoint').read()
    tmp = args.switch + '.new'
    os.symlink(target, tmp)
    os.replace(tmp, args.switch)
    for _ in range(200):
        if urllib.request.urlopen(args.center + 'log/checkpoint').read() != before:
            return True
        time.sleep(0.1)
    return False


def check_fork(b, args):
    # The same profile visited the honest log in check_real_log; now the server's log becomes
    # the fork (same key, same origin), rebuilt by serve center --refresh.
    if not switch_log(args, args.fork):
        report(False, 'serve center rebuilds from the switched log')
        return
    report(True, 'serve center rebuilds from the switched log')
    b.navigate(args.center)
    alarm = b.evaluate("document.getElementById('alarm').hidden ? '' : document.getElementById('alarm').textContent")
    report(alarm.startswith('ALARM (fork)'), 'the fork is shown as an alarm', alarm)
    status = text_of(b, 'status')
    report(status.startswith('verified: signed by') and 'BUT this tree does not extend' in status,
           "the fork's own checkpoint and tiles verify, and the status points at the alarm", status)
    b.screenshot(os.path.join(args.shots, 'fork-alarm.png'))
    # The alarm keeps the evidence: visiting again still alarms.
    b.navigate(args.center)
    report(b.evaluate("!document.getElementById('alarm').hidden"), 'the alarm stays on the next visit')


def check_rollback(b, args):
    # A fresh memory of the honest log, then the server's log becomes an older, smaller tree of
    # the same log (a prefix of it, cosigned by witnesses that never saw the larger one).
    b.evaluate('localStorage.clear()')
    if not switch_log(args, args.honest):
        report(False, 'serve center rebuilds from the honest log again')
        return
    b.navigate(args.center)
    report(b.evaluate("document.getElementById('alarm').hidden") and
           text_of(b, 'status').startswith('verified: signed by'), 'a forgotten profile visits the honest log: no alarm',
           text_of(b, 'status'))
    honest_size = b.evaluate("JSON.parse(localStorage.getItem('vitrine-center:example.com/rules')).last.size")
    if not switch_log(args, args.rollback):
        report(False, 'serve center rebuilds from the older log')
        return
    b.navigate(args.center)
    alarm = b.evaluate("document.getElementById('alarm').hidden ? '' : document.getElementById('alarm').textContent")
    report(alarm.startswith('ALARM (rollback)') and f'size {honest_size}' in alarm,
           f'a checkpoint smaller than the one this browser saw ({honest_size} entries) is shown as a rollback alarm', alarm)
    status = text_of(b, 'status')
    report('BUT this tree does not extend' in status, 'and the status points at the alarm', status)
    kept = b.evaluate("JSON.parse(localStorage.getItem('vitrine-center:example.com/rules')).last.size")
    report(kept == honest_size, 'the larger checkpoint stays remembered as evidence', kept)
    b.screenshot(os.path.join(args.shots, 'rollback-alarm.png'))


def main():
    p = argparse.ArgumentParser()
    for opt in ('center', 'switch', 'fork', 'honest', 'rollback', 'tessera', 'big', 'packed', 'tampered', 'vectors', 'tessera_key', 'shots'):
        p.add_argument('--' + opt.replace('_', '-'), required=True)
    args = p.parse_args()
    b = cdp.Browser()
    try:
        for step in (check_real_log, check_flips, check_vectors, check_inclusion_vectors, check_full_tile, check_packs, check_tampered, check_fork, check_rollback):
            try:
                step(b, args)
            except cdp.CdpError as e:
                report(False, f'{step.__name__} ran', e)
        errors = b.console_errors()
        report(not errors, 'no uncaught exception in any page', errors[:3])
    finally:
        b.close()


if __name__ == '__main__':
    main()
