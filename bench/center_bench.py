#!/usr/bin/python3
# center_bench.py URL: times the transparency center page's inclusion checks in headless
# chromium (bench/center.sh starts the server). Prints one line per measurement.
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'browser'))
import cdp  # noqa: E402

RUN = """(async () => {
  const V = window.vitrine;
  const policy = await V.parsePolicy(JSON.parse(document.getElementById('vitrine-trust').textContent).policy);
  const cp = await V.verifyCheckpoint(new Uint8Array(await (await fetch('log/checkpoint', {cache: 'no-store'})).arrayBuffer()), policy);
  if (!cp.ok) return {error: cp.reason};
  const fetchLog = async p => { const r = await fetch('log/' + p, {cache: 'no-store'}); if (!r.ok) throw new Error(p); return new Uint8Array(await r.arrayBuffer()); };
  const idx = [];
  for (let i = 0; i < 1000; i++) idx.push(%s);
  let get = fetchLog;
  if (%s) {
    // Verification alone: every file the run reads, fetched before the clock starts.
    const files = new Map();
    const record = new V.LogView(p => { if (!files.has(p)) files.set(p, fetchLog(p)); return files.get(p); }, cp);
    await Promise.all(idx.map(i => record.verifyEntry(i)));
    for (const [p, v] of files) files.set(p, await v);
    get = async p => files.get(p);
  }
  const t0 = performance.now();
  const view = new V.LogView(get, cp);
  const results = %s;
  const ms = performance.now() - t0;
  return {ms, ok: results.filter(r => r.ok).length, size: cp.size};
})()"""


def main():
    url = sys.argv[1]
    b = cdp.Browser()
    try:
        t0 = time.time()
        b.navigate(url, timeout=120)
        status = b.evaluate("document.getElementById('status').textContent")
        print(f'page load until the newest 100 entries are verified: {time.time() - t0:.2f} s wall; '
              f'status: {status[:70]}')
        together = 'await Promise.all(idx.map(i => view.verifyEntry(i)))'
        for name, expr, prefetched in (('newest 1,000 (consecutive)', 'cp.size - 1000 + i', 'false'),
                                       ('1,000 spread (every 100th)', 'i * 100', 'false'),
                                       ('1,000 spread, files fetched beforehand (verification only)', 'i * 100', 'true')):
            times = []
            for _ in range(5):
                r = b.evaluate(RUN % (expr, prefetched, together))
                if 'error' in r or r['ok'] != 1000:
                    print(f'{name}: FAILED {r}')
                    return 1
                times.append(r['ms'])
            print(f'verify inclusion of {name} in a log of {r["size"]:,}: median {statistics.median(times):.0f} ms, '
                  f'min {min(times):.0f}, max {max(times):.0f} (5 runs, fresh LogView, no HTTP cache)')
    finally:
        b.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
