// center.js: vitrine's transparency center, verified in the visitor's browser. It fetches the
// copy of the log that `vitrine center build` put beside it (log/: the checkpoint and the
// c2sp.org/tlog-tiles files), and checks with WebCrypto (Ed25519, SHA-256; the tree's interior
// node hashes with a SHA-256 in JavaScript, checked against known answers), trusting only the
// tlog-policy baked into index.html:
//   - the checkpoint's signed-note signature by the log key (c2sp.org/signed-note),
//   - the witnesses' cosignature/v1 lines and the policy's k-of-n quorum (c2sp.org/tlog-cosignature),
//   - the tiles against the checkpoint's root hash (RFC 6962 hashing, c2sp.org/tlog-tiles),
//   - the inclusion of every entry it shows (its leaf hash is in an authenticated tile),
//   - consistency with the checkpoint this browser saw last (localStorage): a fork or a rollback
//     is shown as a red alarm and the old checkpoint is kept as evidence.
// Tiles and bundles come from their tlog-tiles files or, for batches of entries spread over
// the log, from the build's packs (pack/N: 16 tiles and their bundles in one file, fewer
// fetches), untrusted either way until authenticated.
// Anything that fails is shown as failed, never as verified. Entries are untrusted text: every
// piece of them reaches the page through textContent, never as HTML. No framework, nothing
// loaded from other sites. The verification functions are exported as window.vitrine for the
// browser tests (tests/browser) and the bench (bench/center.sh).
'use strict';

(() => {
  const utf8 = new TextEncoder();
  const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
  const MAX_NOTE = 64 * 1024;
  const MAX_SIGNATURES = 64;
  const HASH = 32;
  // A pack (pack/N, written by `vitrine center build`): the level-0 tiles N*16 .. N*16+15 and
  // then their entry bundles, one file instead of 32. It is fetched when a batch of entries needs
  // at least PACK_MIN_BUNDLES of its bundles: every fetch costs the browser a few milliseconds of
  // its own (about 2.5 ms on a 2-core VM, whatever the size), a pack of 1 MB about 20 ms of transfer.
  const PACK_TILES = 16;
  const PACK_MIN_BUNDLES = 4;

  class VerifyError extends Error {}

  // ---- bytes ----
  function concat(...parts) {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  function equal(a, b) {
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }
  function hex(bytes) {
    let s = '';
    for (const b of bytes) s += b.toString(16).padStart(2, '0');
    return s;
  }
  function b64encode(bytes) {
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin);
  }
  // Canonical base64 only: re-encoding must give the same text, so no changed character can
  // decode to the same bytes.
  function b64decode(text) {
    if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text))
      throw new VerifyError('not canonical base64');
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    if (b64encode(out) !== text) throw new VerifyError('not canonical base64');
    return out;
  }
  // A decimal without leading zeros, below 2^53 (the page's limit; the log's is 2^63).
  function decimal(text, what) {
    if (!/^(0|[1-9][0-9]{0,15})$/.test(text) || Number(text) > Number.MAX_SAFE_INTEGER)
      throw new VerifyError(`${what} is not a decimal this page can handle: ${text}`);
    return Number(text);
  }

  // ---- WebCrypto ----
  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  }
  const EMPTY = new Uint8Array(0);
  const leafHash = entry => sha256(concat([0], entry));

  // ---- SHA-256 in JavaScript (FIPS 180-4), for the tree's interior nodes only ----
  // Authenticating a full tile takes 255 node hashes; WebCrypto costs 18-40 us per digest in
  // Chromium (a round trip to another thread per call), so 1,000 entries scattered over a log of
  // 100,000 (391 tiles, ~100,000 digests) took 5-8 s. This synchronous SHA-256 of a 65-byte node
  // takes about 2 us. It is checked against known answers when the page loads (below): a
  // mismatch refuses to run rather than verify with a wrong hash. Entries, leaves, keys and the
  // page's own files are still hashed with WebCrypto.
  const K256 = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  const W256 = new Int32Array(64);
  // SHA-256 of buf (already padded: a multiple of 64 bytes) into a new 32-byte array.
  function sha256Blocks(buf) {
    let h0 = 0x6a09e667 | 0, h1 = 0xbb67ae85 | 0, h2 = 0x3c6ef372 | 0, h3 = 0xa54ff53a | 0;
    let h4 = 0x510e527f | 0, h5 = 0x9b05688c | 0, h6 = 0x1f83d9ab | 0, h7 = 0x5be0cd19 | 0;
    const w = W256, total = buf.length;
    for (let o = 0; o < total; o += 64) {
      for (let t = 0; t < 16; t++) {
        const j = o + 4 * t;
        w[t] = (buf[j] << 24) | (buf[j + 1] << 16) | (buf[j + 2] << 8) | buf[j + 3];
      }
      for (let t = 16; t < 64; t++) {
        const x = w[t - 15], y = w[t - 2];
        const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
      }
      let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (let t = 0; t < 64; t++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K256[t] + w[t]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
    }
    const out = new Uint8Array(HASH);
    const put = (i, v) => { out[i] = v >>> 24; out[i + 1] = v >>> 16; out[i + 2] = v >>> 8; out[i + 3] = v; };
    put(0, h0); put(4, h1); put(8, h2); put(12, h3); put(16, h4); put(20, h5); put(24, h6); put(28, h7);
    return out;
  }
  function padded(bytes, into) {
    const n = bytes.length, total = Math.ceil((n + 9) / 64) * 64;
    const buf = into || new Uint8Array(total);
    buf.set(bytes);
    buf[n] = 0x80;
    const bits = n * 8, hi = Math.floor(bits / 0x100000000), lo = bits >>> 0;
    for (let i = 0; i < 4; i++) {
      buf[total - 8 + i] = (hi >>> (24 - 8 * i)) & 0xff;
      buf[total - 4 + i] = (lo >>> (24 - 8 * i)) & 0xff;
    }
    return buf;
  }
  const sha256js = bytes => sha256Blocks(padded(bytes));
  // Known answers (FIPS 180-2 "abc", the empty string, a 65-byte node 0x01 || 00..3f, 768
  // bytes): checked once, before any use.
  for (const [input, want] of [
    [utf8.encode('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [EMPTY, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    [concat([1], Array.from({ length: 64 }, (_, i) => i)), '1a378704c17da31e2d05b6d121c2bb2c7d76f6ee6fa8f983e596c2d034963c57'],
    [Uint8Array.from({ length: 768 }, (_, i) => i & 0xff), 'f3a25aa93aa2fbba28d79260535bbd6a5eb0fc1c24a8b0f04e12b484c1dfe363'],
  ]) {
    if (hex(sha256js(input)) !== want) throw new Error('center.js: the JavaScript SHA-256 fails its known answers');
  }
  // A node's message 0x01 || left || right, padded once: only the two hashes change.
  const NODE = padded(new Uint8Array(1 + 2 * HASH), new Uint8Array(128));
  NODE[0] = 1;
  function nodeHashSync(l, r) {
    if (l.length !== HASH || r.length !== HASH) throw new VerifyError('a node hash is not 32 bytes');
    NODE.set(l, 1);
    NODE.set(r, 1 + HASH);
    return sha256Blocks(NODE);
  }
  const nodeHash = async (l, r) => nodeHashSync(l, r);
  async function ed25519Verify(key, signature, message) {
    if (signature.length !== 64) return false;
    try {
      return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
    } catch (e) {
      return false;
    }
  }

  // ---- keys: Go's note verifier format NAME+ID+base64(type || public key) ----
  function validKeyName(name) {
    return name.length > 0 && utf8.encode(name).length <= 256 && !/[\s+]/.test(name) &&
      !/[\x00-\x1f\x7f]/.test(name);
  }
  async function parseVerifierKey(text) {
    const m = /^([^+]*)\+([^+]*)\+(.*)$/.exec(text);
    const parts = m ? m.slice(1) : [];
    if (!m || !validKeyName(parts[0]) || !/^[0-9a-f]{8}$/.test(parts[1]))
      throw new VerifyError(`not a verifier key: ${text}`);
    const raw = b64decode(parts[2]);
    if (raw.length !== 33 || (raw[0] !== 1 && raw[0] !== 4))
      throw new VerifyError(`not an Ed25519 verifier key: ${text}`);
    const name = parts[0], type = raw[0], pub = raw.slice(1);
    const id = (await sha256(concat(utf8.encode(name), [0x0a, type], pub))).slice(0, 4);
    if (hex(id) !== parts[1]) throw new VerifyError(`key ID does not match the key: ${text}`);
    const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    return { name, type, id, pub, key, text };
  }

  // ---- c2sp.org/tlog-policy (baked in by `vitrine center build`, which validated it) ----
  async function parsePolicy(text) {
    const policy = { logs: [], items: new Map(), witnesses: [], quorum: null };
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      if (!line) continue;
      const f = line.split(/\s+/);
      if (f[0] === 'log' && (f.length === 2 || f.length === 3)) {
        const key = await parseVerifierKey(f[1]);
        if (key.type !== 1) throw new VerifyError('a log key must be of type 1');
        policy.logs.push(key);
      } else if (f[0] === 'witness' && (f.length === 3 || f.length === 4)) {
        const key = await parseVerifierKey(f[2]);
        if (key.type !== 4) throw new VerifyError('a witness key must be of type 4');
        const w = { kind: 'witness', name: f[1], key, url: f[3] || '' };
        policy.items.set(f[1], w);
        policy.witnesses.push(w);
      } else if (f[0] === 'group' && f.length >= 4) {
        const members = f.slice(3);
        const k = f[2] === 'all' ? members.length : f[2] === 'any' ? 1 : decimal(f[2], 'threshold');
        for (const m of members)
          if (!policy.items.has(m)) throw new VerifyError(`group member ${m} is not defined`);
        if (k < 1 || k > members.length) throw new VerifyError(`bad threshold in group ${f[1]}`);
        policy.items.set(f[1], { kind: 'group', name: f[1], k, members });
      } else if (f[0] === 'quorum' && f.length === 2) {
        if (f[1] !== 'none' && !policy.items.has(f[1]))
          throw new VerifyError(`quorum ${f[1]} is not defined`);
        policy.quorum = f[1];
      } else {
        throw new VerifyError(`policy line not understood: ${line}`);
      }
    }
    if (policy.quorum === null) throw new VerifyError('the policy has no quorum');
    if (policy.logs.length === 0) throw new VerifyError('the policy names no log');
    return policy;
  }
  function quorumMet(policy, cosigned) {
    const sat = name => {
      const item = policy.items.get(name);
      if (item.kind === 'witness') return cosigned.has(name);
      return item.members.filter(sat).length >= item.k;
    };
    return policy.quorum === 'none' || sat(policy.quorum);
  }

  // ---- c2sp.org/signed-note ----
  function parseNote(bytes) {
    if (bytes.length > MAX_NOTE) throw new VerifyError('signed note too large');
    let text;
    try { text = strictUtf8.decode(bytes); } catch (e) { throw new VerifyError('signed note is not UTF-8'); }
    if (/[\x00-\x09\x0b-\x1f]/.test(text)) throw new VerifyError('control character in signed note');
    if (!text.endsWith('\n')) throw new VerifyError('signed note does not end in a newline');
    const split = text.lastIndexOf('\n\n');
    if (split < 0) throw new VerifyError('no blank line before the signatures');
    const body = text.slice(0, split + 1);
    if (body.length === 0 || body === '\n') throw new VerifyError('empty note text');
    const sigLines = text.slice(split + 2, -1).split('\n');
    if (text.slice(split + 2) === '') throw new VerifyError('no signatures');
    if (sigLines.length > MAX_SIGNATURES) throw new VerifyError('too many signatures');
    const sigs = sigLines.map(line => {
      if (!line.startsWith('\u2014 ')) throw new VerifyError('signature line does not start with an em dash');
      const rest = line.slice(2);
      const space = rest.indexOf(' ');
      if (space < 0) throw new VerifyError('signature line has no signature');
      const name = rest.slice(0, space);
      if (!validKeyName(name)) throw new VerifyError('invalid key name in a signature line');
      const raw = b64decode(rest.slice(space + 1));
      if (raw.length < 5) throw new VerifyError('signature too short');
      return { name, id: raw.slice(0, 4), sig: raw.slice(4) };
    });
    return { body, bodyBytes: utf8.encode(body), sigs };
  }

  // ---- c2sp.org/tlog-checkpoint ----
  function parseCheckpoint(body) {
    const lines = body.slice(0, -1).split('\n');
    if (lines.length < 3) throw new VerifyError('a checkpoint has an origin, a size and a root hash');
    const root = b64decode(lines[2]);
    if (root.length !== HASH) throw new VerifyError('the root hash is not 32 bytes');
    for (const ext of lines.slice(3)) if (ext === '') throw new VerifyError('empty extension line');
    return { origin: lines[0], size: decimal(lines[1], 'tree size'), root };
  }

  // Verify a signed checkpoint under a policy: a valid signature of the policy's log key for
  // the checkpoint's origin (a signature by that key that does not verify fails it), and the
  // quorum of valid cosignatures (one that does not verify counts as absent: anyone relaying a
  // note can append junk). Never throws: returns {ok, reason, ...}.
  async function verifyCheckpoint(noteBytes, policy) {
    const result = { ok: false, reason: '', witnesses: [] };
    try {
      const note = parseNote(noteBytes);
      const cp = parseCheckpoint(note.body);
      Object.assign(result, cp, { body: note.body });
      const logKey = policy.logs.find(k => k.name === cp.origin);
      if (!logKey) throw new VerifyError(`no trusted log key for origin ${cp.origin}`);
      let signed = false;
      for (const s of note.sigs) {
        if (s.name !== logKey.name || !equal(s.id, logKey.id)) continue;
        if (!await ed25519Verify(logKey.key, s.sig, note.bodyBytes))
          throw new VerifyError('the log key\'s signature does not verify');
        signed = true;
      }
      if (!signed) throw new VerifyError('not signed by the log key');
      const cosigned = new Map();
      for (const w of policy.witnesses) {
        const entry = { name: w.name, key: w.key.name, status: 'absent', time: null };
        for (const s of note.sigs) {
          if (s.name !== w.key.name || !equal(s.id, w.key.id)) continue;
          if (s.sig.length !== 72) { entry.status = 'invalid'; continue; }
          let t = 0;
          for (let i = 0; i < 8; i++) t = t * 256 + s.sig[i];
          if (t > Number.MAX_SAFE_INTEGER) { entry.status = 'invalid'; continue; }
          const msg = concat(utf8.encode(`cosignature/v1\ntime ${t}\n`), note.bodyBytes);
          if (await ed25519Verify(w.key.key, s.sig.slice(8), msg)) {
            if (entry.time === null || t > entry.time) entry.time = t;
            entry.status = 'ok';
            cosigned.set(w.name, t);
          } else if (entry.status !== 'ok') {
            entry.status = 'invalid';
          }
        }
        result.witnesses.push(entry);
      }
      result.quorum = quorumMet(policy, cosigned);
      if (!result.quorum) throw new VerifyError(`the witness quorum (${policy.quorum}) is not met`);
      result.ok = true;
    } catch (e) {
      if (!(e instanceof VerifyError)) throw e;
      result.reason = e.message;
    }
    return result;
  }

  // ---- RFC 6962 trees from c2sp.org/tlog-tiles ----
  function indexPath(n) {
    let s = String(n % 1000).padStart(3, '0');
    for (n = Math.floor(n / 1000); n > 0; n = Math.floor(n / 1000))
      s = 'x' + String(n % 1000).padStart(3, '0') + '/' + s;
    return s;
  }
  const tilePath = (level, k, w) => `tile/${level}/${indexPath(k)}` + (w < 256 ? `.p/${w}` : '');
  const bundlePath = (k, w) => `tile/entries/${indexPath(k)}` + (w < 256 ? `.p/${w}` : '');
  // The complete subtrees of a tree of `size` leaves, left to right: [height, index].
  function decompose(size) {
    const parts = [];
    let start = 0;
    for (let h = 53; h >= 0; h--) {
      const p = 2 ** h;
      if (size - start >= p) { parts.push([h, start / p]); start += p; }
    }
    return parts;
  }
  // Synchronous (sha256js): a full tile's 255 node hashes take a few hundred microseconds.
  function merkle(hashes) {
    while (hashes.length > 1) {
      const next = [];
      for (let i = 0; i < hashes.length; i += 2) next.push(nodeHashSync(hashes[i], hashes[i + 1]));
      hashes = next;
    }
    return hashes[0];
  }
  function foldRight(hashes) {
    let acc = hashes[hashes.length - 1];
    for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHashSync(hashes[i], acc);
    return acc;
  }
  // `count` entries (2-byte big-endian length, bytes) from bytes[at]: [entries, end offset].
  function parseEntries(bytes, at, count, what) {
    const out = [];
    for (let i = 0; i < count; i++) {
      if (at + 2 > bytes.length) throw new VerifyError(`${what} ends before entry ${i}`);
      const n = bytes[at] * 256 + bytes[at + 1];
      if (at + 2 + n > bytes.length) throw new VerifyError(`${what} ends inside entry ${i}`);
      // A view, not a copy: copying every entry of 390 bundles cost more than hashing their tiles.
      out.push(bytes.subarray(at + 2, at + 2 + n));
      at += 2 + n;
    }
    return [out, at];
  }
  function parseBundle(bytes, count, what) {
    const [out, end] = parseEntries(bytes, 0, count, what);
    if (end !== bytes.length) throw new VerifyError(`${what} has bytes after its ${count} entries`);
    return out;
  }
  // A pack's parts, untrusted like the files they stand for: {tiles, bundles}.
  function parsePack(bytes, what) {
    const tileBytes = 256 * HASH, tiles = [], bundles = [];
    if (bytes.length < PACK_TILES * tileBytes) throw new VerifyError(`${what} is shorter than its ${PACK_TILES} tiles`);
    for (let j = 0; j < PACK_TILES; j++) tiles.push(bytes.subarray(j * tileBytes, (j + 1) * tileBytes));
    let at = PACK_TILES * tileBytes;
    for (let j = 0; j < PACK_TILES; j++) {
      const [entries, end] = parseEntries(bytes, at, 256, `${what}, bundle ${j}`);
      bundles.push(entries);
      at = end;
    }
    if (at !== bytes.length) throw new VerifyError(`${what} has bytes after its ${PACK_TILES} bundles`);
    return { tiles, bundles };
  }

  // A verified view of the tree of a verified checkpoint: tiles are fetched through
  // fetchPath(path) -> Uint8Array and trusted only once authenticated: the right-edge
  // (partial) tiles of every level by recomputing the checkpoint's root from them, a full tile
  // by its hash at the level above (in an authenticated tile). fetchPack(n) -> Uint8Array, if
  // given, fetches pack n for verifyEntries.
  class LogView {
    constructor(fetchPath, checkpoint, fetchPack = null) {
      this.fetchPath = fetchPath;
      this.fetchPack = fetchPack;
      this.packs = new Map();
      this.size = checkpoint.size;
      this.root = checkpoint.root;
      this.raw = new Map();
      this.authed = new Map();
      this.bundles = new Map();
      this.rootChecked = null;
    }
    count(level) { return Math.floor(this.size / 256 ** level); }
    width(count, k) {
      if ((k + 1) * 256 <= count) return 256;
      if (k === Math.floor(count / 256) && count % 256 > 0) return count % 256;
      throw new VerifyError(`tile ${k} is beyond the tree of size ${this.size}`);
    }
    rawTile(level, k) {
      const key = `${level}/${k}`;
      if (!this.raw.has(key)) this.raw.set(key, this.fetchTile(level, k));
      return this.raw.get(key);
    }
    fetchTile(level, k) {
      const w = this.width(this.count(level), k);
      const path = tilePath(level, k, w);
      return this.fetchPath(path).then(bytes => {
        if (bytes.length !== w * HASH) throw new VerifyError(`${path} has ${bytes.length} bytes, not ${w * HASH}`);
        return bytes;
      });
    }
    async subtree(height, index, tile) {
      const level = Math.floor(height / 8), n = 2 ** (height % 8), start = index * n;
      const t = await tile(level, Math.floor(start / 256));
      const off = (start % 256) * HASH;
      const hashes = [];
      for (let i = 0; i < n; i++) hashes.push(t.subarray(off + i * HASH, off + (i + 1) * HASH));
      return merkle(hashes);
    }
    // Recompute the root from the right-edge tiles; resolves when they are authenticated.
    checkRoot() {
      if (!this.rootChecked) {
        this.rootChecked = (async () => {
          const root = this.size === 0 ? await sha256(EMPTY)
            : await foldRight(await Promise.all(decompose(this.size).map(
              ([h, i]) => this.subtree(h, i, (l, k) => this.rawTile(l, k)))));
          if (!equal(root, this.root)) throw new VerifyError('the tiles do not hash to the checkpoint\'s root');
        })();
      }
      return this.rootChecked;
    }
    tile(level, k) {
      const key = `${level}/${k}`;
      if (!this.authed.has(key)) {
        this.authed.set(key, (async () => {
          if (this.width(this.count(level), k) < 256) {
            await this.checkRoot();
            return this.rawTile(level, k);
          }
          const [t, parent] = await Promise.all([this.rawTile(level, k), this.storedHash(level + 1, k)]);
          const hashes = [];
          for (let i = 0; i < 256; i++) hashes.push(t.subarray(i * HASH, (i + 1) * HASH));
          if (!equal(await merkle(hashes), parent))
            throw new VerifyError(`tile ${level}/${k} does not hash to its parent`);
          return t;
        })());
      }
      return this.authed.get(key);
    }
    async storedHash(level, i) {
      const t = await this.tile(level, Math.floor(i / 256));
      const off = (i % 256) * HASH;
      return t.subarray(off, off + HASH);
    }
    bundle(k) {
      if (!this.bundles.has(k)) this.bundles.set(k, this.fetchBundle(k));
      return this.bundles.get(k);
    }
    fetchBundle(k) {
      const w = this.width(this.size, k);
      const path = bundlePath(k, w);
      return this.fetchPath(path).then(bytes => parseBundle(bytes, w, path));
    }
    // The packs that hold at least PACK_MIN_BUNDLES bundles the entries need and not yet asked
    // for: their level-0 tiles and bundles are taken from the pack instead of their own files, as
    // untrusted as those files (the tiles still authenticated by their parents, the entries by
    // the tiles). A pack that cannot be fetched or parsed is only a lost shortcut: its parts are
    // then fetched from their own files.
    usePacks(indexes) {
      if (!this.fetchPack) return;
      const wanted = new Map();
      for (const i of indexes) {
        if (!Number.isSafeInteger(i) || i < 0 || i >= this.size) continue;
        const k = Math.floor(i / 256), n = Math.floor(k / PACK_TILES);
        if ((n + 1) * PACK_TILES * 256 > this.size || this.packs.has(n) || this.bundles.has(k)) continue;
        if (!wanted.has(n)) wanted.set(n, new Set());
        wanted.get(n).add(k);
      }
      for (const [n, ks] of wanted) {
        if (ks.size < PACK_MIN_BUNDLES) continue;
        const pack = Promise.resolve().then(() => this.fetchPack(n)).then(bytes => parsePack(bytes, `pack/${n}`)).catch(() => null);
        this.packs.set(n, pack);
        for (let j = 0; j < PACK_TILES; j++) {
          const k = n * PACK_TILES + j;
          if (!this.raw.has(`0/${k}`)) this.raw.set(`0/${k}`, pack.then(p => p ? p.tiles[j] : this.fetchTile(0, k)));
          if (!this.bundles.has(k)) this.bundles.set(k, pack.then(p => p ? p.bundles[j] : this.fetchBundle(k)));
        }
      }
    }
    // verifyEntry for each of `indexes` (in that order), fetching packs where they save fetches.
    verifyEntries(indexes) {
      this.usePacks(indexes);
      return Promise.all(indexes.map(i => this.verifyEntry(i)));
    }
    // Fetch entry i and check its inclusion. Never throws: {ok, reason, entry, sha256}.
    async verifyEntry(i) {
      const r = { index: i, ok: false, reason: '', entry: null, sha256: '' };
      try {
        if (!Number.isSafeInteger(i) || i < 0 || i >= this.size)
          throw new VerifyError(`entry ${i} is not in the tree of size ${this.size}`);
        r.entry = (await this.bundle(Math.floor(i / 256)))[i % 256];
        const [leaf, stored, digest] = await Promise.all([leafHash(r.entry), this.storedHash(0, i), sha256(r.entry)]);
        r.sha256 = hex(digest);
        if (!equal(leaf, stored)) throw new VerifyError('the entry is not the one the tree holds at this index');
        r.ok = true;
      } catch (e) {
        if (!(e instanceof VerifyError)) throw e;
        r.reason = e.message;
      }
      return r;
    }
    // The root of the tree's first m leaves, from authenticated tiles (a consistency check).
    async rootAt(m) {
      if (m > this.size) throw new VerifyError(`size ${m} is beyond the tree`);
      if (m === 0) return sha256(EMPTY);
      return foldRight(await Promise.all(decompose(m).map(([h, i]) => this.subtree(h, i, (l, k) => this.tile(l, k)))));
    }
  }

  // Does the tree of `view` extend the checkpoint {size, root} seen before? Never throws.
  async function checkExtends(view, old) {
    try {
      if (old.size > view.size)
        return { ok: false, kind: 'rollback', reason: `the log shows a tree of ${view.size} entries, older than the ${old.size} this browser saw` };
      const root = await view.rootAt(old.size);
      if (!equal(root, old.root))
        return { ok: false, kind: 'fork', reason: `the log's first ${old.size} entries are not the ones this browser saw: the log forked (two different trees signed with the same key)` };
      return { ok: true };
    } catch (e) {
      if (!(e instanceof VerifyError)) throw e;
      return { ok: false, kind: 'error', reason: e.message };
    }
  }

  // RFC 9162 section 2.1.3.2.
  async function verifyInclusionProof(index, size, leaf, proof, root) {
    if (index >= size || leaf.length !== HASH || root.length !== HASH || proof.some(p => p.length !== HASH))
      return false;
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && equal(r, root);
  }

  // A c2sp.org/tlog-proof@v1 file: its checkpoint under the policy, then the inclusion of the
  // entry (given, or the proof's extra data). Never throws: {ok, reason}.
  async function verifyTlogProof(bytes, policy, entry) {
    try {
      let text;
      try { text = strictUtf8.decode(bytes); } catch (e) { throw new VerifyError('proof is not UTF-8'); }
      const split = text.indexOf('\n\n');
      if (split < 0) throw new VerifyError('no blank line before the checkpoint');
      const lines = text.slice(0, split).split('\n');
      if (lines.shift() !== 'c2sp.org/tlog-proof@v1') throw new VerifyError('not a c2sp.org/tlog-proof@v1');
      let extra = null;
      if (lines.length && lines[0].startsWith('extra ')) extra = b64decode(lines.shift().slice(6));
      const m = /^index (.*)$/.exec(lines.shift() || '');
      if (!m) throw new VerifyError('expected an index line');
      const index = decimal(m[1], 'index');
      if (lines.length > 64) throw new VerifyError('too many proof hashes');
      const proof = lines.map(l => { const h = b64decode(l); if (h.length !== HASH) throw new VerifyError('a proof hash is not 32 bytes'); return h; });
      const cp = await verifyCheckpoint(utf8.encode(text.slice(split + 2)), policy);
      if (!cp.ok) return { ok: false, reason: `checkpoint: ${cp.reason}` };
      const data = entry || extra;
      if (!data) throw new VerifyError('no entry given and no extra data');
      if (!await verifyInclusionProof(index, cp.size, await leafHash(data), proof, cp.root))
        throw new VerifyError('the inclusion proof does not verify');
      return { ok: true, reason: '', index, size: cp.size };
    } catch (e) {
      if (!(e instanceof VerifyError)) throw e;
      return { ok: false, reason: e.message };
    }
  }

  // ---- entries: kinds (docs/entries.md) and display ----
  const KINDS = {
    'vitrine/rule-entry/v1': 'rule',
    'vitrine/bundle-entry/v1': 'bundle',
    'vitrine/release-entry/v1': 'release',
    'vitrine/data-policy-entry/v1': 'data policy',
    'vitrine/audit-ack-entry/v1': 'audit acknowledgment',
    'vitrine/page-entry/v1': 'page',
  };
  function describeEntry(bytes) {
    let text = null;
    try { text = strictUtf8.decode(bytes); } catch (e) { /* binary: shown as unknown */ }
    const first = text === null ? '' : text.slice(0, text.indexOf('\n'));
    const kind = text !== null && text.includes('\n') && KINDS[first] || 'unknown kind';
    const fields = new Map();
    let body = text;
    if (kind !== 'unknown kind') {
      const blank = text.indexOf('\n\n');
      const head = blank >= 0 ? text.slice(0, blank) : text;
      for (const line of head.split('\n').slice(1)) {
        const sp = line.indexOf(' ');
        if (sp > 0 && !fields.has(line.slice(0, sp))) fields.set(line.slice(0, sp), line.slice(sp + 1));
      }
      body = kind === 'rule' && blank >= 0 ? text.slice(blank + 2) : text;
    }
    return { kind, text, body, fields };
  }

  const YARA_KEYWORDS = new Set(('all and any ascii at base64 base64wide condition contains endswith entrypoint ' +
    'false filesize for fullword global icontains iendswith iequals import in include int16 int16be ' +
    'int32 int32be int8 int8be istartswith matches meta nocase none not of or private rule startswith ' +
    'strings them true uint16 uint16be uint32 uint32be uint8 uint8be wide xor defined').split(' '));
  // Split YARA source into [class, text] tokens; the caller puts each text in with textContent.
  function highlight(source) {
    const re = /(\/\/[^\n]*|\/\*[\s\S]*?\*\/)|("(?:[^"\\\n]|\\.)*")|([$#@!][A-Za-z0-9_]*\*?)|(\b(?:0x[0-9a-fA-F]+|[0-9]+(?:KB|MB)?)\b)|([A-Za-z_][A-Za-z0-9_]*)/g;
    const out = [];
    let last = 0, m;
    while ((m = re.exec(source)) !== null) {
      if (m.index > last) out.push(['', source.slice(last, m.index)]);
      const cls = m[1] ? 'cmt' : m[2] ? 'str' : m[3] ? 'var' : m[4] ? 'num' : YARA_KEYWORDS.has(m[5]) ? 'kw' : '';
      out.push([cls, m[0]]);
      last = re.lastIndex;
    }
    if (last < source.length) out.push(['', source.slice(last)]);
    return out;
  }

  window.vitrine = {
    VerifyError, sha256, hex, b64decode, b64encode, parseVerifierKey, parsePolicy, parseNote,
    verifyCheckpoint, LogView, checkExtends, verifyInclusionProof, verifyTlogProof,
    describeEntry, highlight, tilePath, bundlePath, parseBundle, parsePack, PACK_TILES,
  };

  // ---- the page ----
  const $ = id => document.getElementById(id);
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function setStatus(node, cls, text) { node.className = cls; node.textContent = text; }
  async function fetchBytes(path, options) {
    let r;
    try {
      r = await fetch(path, options);
    } catch (e) {
      throw new VerifyError(`cannot fetch ${path}: ${e.message}`);
    }
    if (!r.ok) throw new VerifyError(`cannot fetch ${path}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  }
  function age(seconds) {
    if (seconds < 0) return 'in the future';
    if (seconds < 120) return `${Math.round(seconds)} s`;
    if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
    if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
    return `${Math.round(seconds / 86400)} days`;
  }
  function row(table, cells) {
    const tr = el('tr');
    for (const [cls, text] of cells) tr.append(el('td', cls, text));
    (table.tBodies[0] || table).append(tr);
  }

  const state = { done: false, verified: false, alarm: null, entries: new Map(), self: null };
  window.vitrineCenter = state;

  function storageKey(cp) { return `vitrine-center:${cp.origin}`; }
  function loadSeen(cp) {
    try { return JSON.parse(localStorage.getItem(storageKey(cp))) || { history: [] }; } catch (e) { return { history: [] }; }
  }

  function showAlarm(text) {
    state.alarm = text;
    const a = $('alarm');
    a.textContent = text;
    a.hidden = false;
  }

  function renderEntry(container, result, feedItem) {
    const d = describeEntry(result.entry || EMPTY);
    container.replaceChildren();
    const meta = el('div', 'meta');
    const link = el('a', '', `#${result.index}`);
    link.href = `#${result.index}`;
    meta.append(link, ' ');
    meta.append(el('span', result.ok ? 'ok' : 'fail', result.ok ? 'included: verified' : `FAILED: ${result.reason}`));
    if (result.entry) {
      meta.append(el('span', '', d.kind));
      const name = d.fields.get('name') || d.fields.get('version') || (d.fields.has('serial') ? `serial ${d.fields.get('serial')}` : '');
      if (name) meta.append(el('span', '', name));
      if (d.fields.get('date')) meta.append(el('span', '', d.fields.get('date')));
    }
    container.append(meta);
    if (result.entry) container.append(el('div', 'hash', `sha256 ${result.sha256}`));
    if (feedItem && result.sha256 && feedItem.hash !== result.sha256)
      container.append(el('div', 'fail', `the feed names another hash for this index (${feedItem.hash}): the feed is wrong`));
    if (d.kind === 'rule') {
      const audit = feedItem && feedItem.hash === result.sha256 ? feedItem.audit : undefined;
      // The auditor's verdict, computed by `vitrine center build` (feed.json "audit", bound to
      // this entry by its hash): not something the browser can check, so said so.
      if (audit && typeof audit.verdict === 'string') {
        const box = el('div', 'audit');
        box.append(el('span', audit.verdict === 'clean' ? 'ok' : audit.verdict === 'flagged' ? 'fail' : 'pending',
          `audit: ${audit.verdict}`), el('span', '', ' (vitrine audit, run when this center was built)'));
        for (const f of Array.isArray(audit.findings) ? audit.findings : []) {
          box.append(el('div', f.severity === 'flag' ? 'fail' : '',
            `${f.id} ${f.rule || ''}${f.string ? ' ' + f.string : ''}: ${f.reason}`));
        }
        container.append(box);
      } else {
        container.append(el('div', 'pending', 'audit: no verdict in the feed'));
      }
    }
    if (result.entry && d.text !== null) {
      const details = el('details');
      details.append(el('summary', '', d.kind === 'rule' ? 'rule source' : 'entry text'));
      const pre = el('pre', 'source');
      if (d.kind === 'rule') for (const [cls, text] of highlight(d.body)) pre.append(cls ? el('span', cls, text) : text);
      else pre.textContent = d.text;
      details.append(pre);
      container.append(details);
    } else if (result.entry) {
      container.append(el('div', '', `binary entry, ${result.entry.length} bytes: ${hex(result.entry.slice(0, 64))}…`));
    }
  }

  async function showEntries(view, feed, indexes, append) {
    const list = $('entries');
    if (!append) list.replaceChildren();
    const byIndex = new Map((feed || []).map(f => [f.index, f]));
    view.usePacks(indexes);
    const work = indexes.map(i => {
      const div = el('div', 'entry');
      div.id = String(i);
      div.append(el('span', 'pending', `#${i} verifying…`));
      list.append(div);
      return view.verifyEntry(i).then(r => {
        state.entries.set(i, r);
        renderEntry(div, r, byIndex.get(i));
        return r;
      });
    });
    const results = await Promise.all(work);
    const failed = results.filter(r => !r.ok).length;
    setStatus($('entries-status'), failed ? 'fail' : 'ok',
      `${results.length} entries shown, ${results.length - failed} verified included in the signed tree` +
      (failed ? `, ${failed} FAILED` : ''));
    return results;
  }

  async function selfCheck(view, feed) {
    const node = $('self');
    const pages = (feed || []).filter(f => f.kind === 'page');
    if (!pages.length) { setStatus(node, 'pending', 'no page entry is logged: this page\'s own files cannot be checked'); return; }
    const newest = pages[pages.length - 1];
    const r = await view.verifyEntry(newest.index);
    if (!r.ok || describeEntry(r.entry).kind !== 'page') {
      setStatus(node, 'fail', `the page entry #${newest.index} does not verify: ${r.reason || 'not a page entry'}`);
      state.self = false;
      return;
    }
    const files = [];
    for (const line of strictUtf8.decode(r.entry).split('\n')) {
      const m = /^file ([A-Za-z0-9._+-]+) ([0-9a-f]{64})$/.exec(line);
      if (m) files.push([m[1], m[2]]);
    }
    const bad = [];
    for (const [name, want] of files) {
      try {
        const got = hex(await sha256(await fetchBytes(name, { cache: 'no-store' })));
        if (got !== want) bad.push(`${name} differs`);
      } catch (e) {
        bad.push(`${name}: ${e.message}`);
      }
    }
    state.self = bad.length === 0 && files.length > 0;
    setStatus(node, state.self ? 'ok' : 'fail', state.self
      ? `this page's files (${files.map(f => f[0]).join(', ')}) are the ones logged in page entry #${newest.index}`
      : `this page's files do NOT match page entry #${newest.index}: ${bad.join('; ') || 'it names no file'}`);
  }

  async function main() {
    const status = $('status');
    let policy;
    try {
      policy = await parsePolicy(JSON.parse($('vitrine-trust').textContent).policy);
    } catch (e) {
      setStatus(status, 'fail', `FAILED: the trust policy baked into this page is unusable: ${e.message}`);
      return;
    }
    let cp;
    try {
      cp = await verifyCheckpoint(await fetchBytes('log/checkpoint', { cache: 'no-store' }), policy);
    } catch (e) {
      cp = { ok: false, reason: e.message, witnesses: [] };
    }
    const table = $('checkpoint');
    if (cp.origin !== undefined) {
      row(table, [['', 'origin'], ['hash', cp.origin]]);
      row(table, [['', 'tree size'], ['', String(cp.size)]]);
      row(table, [['', 'root hash'], ['hash', b64encode(cp.root)]]);
    }
    const now = Date.now() / 1000;
    const wt = $('witnesses');
    for (const w of cp.witnesses) {
      row(wt, [['', w.key], [w.status === 'ok' ? 'ok' : 'fail', w.status === 'ok' ? 'verified' : w.status],
        ['', w.time === null ? '' : new Date(w.time * 1000).toISOString()], ['', w.time === null ? '' : age(now - w.time)]]);
    }
    const quorum = policy.quorum === 'none' ? 'the policy asks for no witness' : `quorum ${policy.quorum}`;
    setStatus($('quorum'), cp.quorum ? 'ok' : 'fail', cp.quorum ? `${quorum}: met` : `${quorum}: NOT met`);
    if (!cp.ok) {
      setStatus(status, 'fail', `FAILED: ${cp.reason}. Nothing below is verified.`);
      state.done = true;
      return;
    }
    const view = new LogView(path => fetchBytes(`log/${path}`), cp, n => fetchBytes(`pack/${n}`));
    try {
      await view.checkRoot();
    } catch (e) {
      if (!(e instanceof VerifyError)) throw e;
      setStatus(status, 'fail', `FAILED: ${e.message}. Nothing below is verified.`);
      state.done = true;
      return;
    }
    // Consistency with what this browser saw last.
    const seen = loadSeen(cp);
    if (seen.last) {
      const ext = await checkExtends(view, { size: seen.last.size, root: b64decode(seen.last.root) });
      if (!ext.ok) showAlarm(`ALARM (${ext.kind}): ${ext.reason}. Checkpoint seen before: size ${seen.last.size}, root ${seen.last.root}; now: size ${cp.size}, root ${b64encode(cp.root)}.`);
    }
    if (!state.alarm) {
      const root = b64encode(cp.root);
      if (!seen.history.some(h => h.size === cp.size && h.root === root))
        seen.history.push({ size: cp.size, root, first: new Date().toISOString() });
      seen.history = seen.history.slice(-100);
      seen.last = { size: cp.size, root };
      try { localStorage.setItem(storageKey(cp), JSON.stringify(seen)); } catch (e) { /* private mode */ }
    }
    for (const h of seen.history.slice().reverse()) row($('history'), [['', h.first], ['', String(h.size)], ['hash', h.root]]);
    state.verified = true;
    setStatus(status, state.alarm ? 'fail' : 'ok',
      `verified: signed by ${cp.origin}, witness quorum met, tiles match the root of ${cp.size} entries` +
      (state.alarm ? ', BUT this tree does not extend the one this browser saw before (see the alarm)'
        : seen.history.length > 1 ? `, consistent with the ${seen.history.length - 1} earlier checkpoints this browser saw` : ''));

    let feed = null;
    try {
      feed = JSON.parse(strictUtf8.decode(await fetchBytes('feed.json', { cache: 'no-store' }))).entries;
      if (!Array.isArray(feed)) feed = null;
    } catch (e) {
      feed = null;
    }
    const PAGE = 100;
    let shownFrom = cp.size;
    const more = $('more');
    const showOlder = async () => {
      const from = Math.max(0, shownFrom - PAGE), idx = [];
      for (let i = shownFrom - 1; i >= from; i--) idx.push(i);
      shownFrom = from;
      more.hidden = shownFrom === 0;
      await showEntries(view, feed, idx, true);
    };
    more.addEventListener('click', showOlder);
    const showHash = async () => {
      const m = /^#([0-9]+)$/.exec(location.hash);
      if (!m) return;
      const i = Number(m[1]);
      if (!document.getElementById(String(i))) await showEntries(view, feed, [i], false);
      const node = document.getElementById(String(i));
      if (node) node.scrollIntoView();
    };
    window.addEventListener('hashchange', showHash);
    $('search').addEventListener('input', async ev => {
      const q = ev.target.value.trim().toLowerCase();
      if (!q) { shownFrom = cp.size; $('entries').replaceChildren(); await showOlder(); return; }
      let idx = [];
      if (/^[0-9]+$/.test(q) && Number(q) < cp.size) idx.push(Number(q));
      if (feed) {
        for (const f of feed) {
          if (idx.length >= 200) break;
          if ((typeof f.hash === 'string' && q.length >= 4 && f.hash.startsWith(q)) ||
              (typeof f.name === 'string' && f.name.toLowerCase().includes(q)))
            if (!idx.includes(f.index)) idx.push(f.index);
        }
      }
      idx = idx.filter(i => Number.isSafeInteger(i) && i >= 0 && i < cp.size);
      more.hidden = true;
      await showEntries(view, feed, idx, false);
    });
    if (/^#[0-9]+$/.test(location.hash)) await showHash();
    else await showOlder();
    await selfCheck(view, feed);
    state.done = true;
  }

  document.addEventListener('DOMContentLoaded', () => {
    main().catch(e => {
      setStatus($('status'), 'fail', `FAILED: ${e.message}`);
    }).finally(() => { state.done = true; });
  });
})();
