# cdp.py: a small Chrome DevTools Protocol client for the browser tests (tests/browser/): starts
# Debian's chromium headless with a fresh profile and drives one page over a websocket
# (Debian's python3-websocket). No npm: nothing is downloaded at test time.
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket

CHROMIUM_FLAGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-default-apps', '--disable-extensions', '--mute-audio',
    '--remote-debugging-port=0', '--window-size=1200,1600',
]


class CdpError(Exception):
    pass


class Browser:
    def __init__(self, chromium=None):
        self.profile = tempfile.mkdtemp(prefix='vitrine-chromium.')
        exe = chromium or shutil.which('chromium') or '/usr/bin/chromium'
        self.proc = subprocess.Popen(
            [exe, *CHROMIUM_FLAGS, f'--user-data-dir={self.profile}', 'about:blank'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, 'DevToolsActivePort')
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().count('\n') >= 1:
                break
            if self.proc.poll() is not None:
                raise CdpError('chromium exited at start')
            time.sleep(0.05)
        else:
            raise CdpError('chromium did not open its DevTools port')
        port = open(port_file).read().split('\n')[0]
        targets = json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list'))
        page = next(t for t in targets if t['type'] == 'page')
        self.ws = websocket.create_connection(page['webSocketDebuggerUrl'], timeout=120,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []
        self.call('Page.enable')
        self.call('Runtime.enable')

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({'id': my_id, 'method': method, 'params': params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == my_id:
                if 'error' in msg:
                    raise CdpError(f'{method}: {msg["error"]}')
                return msg['result']
            self.events.append(msg)

    def evaluate(self, expression):
        r = self.call('Runtime.evaluate', expression=expression, awaitPromise=True,
                      returnByValue=True)
        if 'exceptionDetails' in r:
            raise CdpError(f'{expression[:80]}: {r["exceptionDetails"]}')
        return r['result'].get('value')

    def navigate(self, url, wait_for='window.vitrineCenter && window.vitrineCenter.done',
                 timeout=60):
        self.call('Page.navigate', url=url)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.evaluate(f'!!({wait_for})'):
                    return
            except CdpError:
                pass
            time.sleep(0.1)
        raise CdpError(f'{url}: the page did not finish within {timeout} s')

    def screenshot(self, path):
        import base64
        r = self.call('Page.captureScreenshot', format='png', captureBeyondViewport=True)
        with open(path, 'wb') as f:
            f.write(base64.b64decode(r['data']))

    def console_errors(self):
        return [e for e in self.events if e.get('method') == 'Runtime.exceptionThrown']

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
