// The attacker of the demo: a Web Worker that holds nothing but the copied token string. It sends no
// cookie and shares no memory with the page; it calls the protected API the way a thief would.
self.addEventListener('message', async (event) => {
  const { token, url } = event.data;
  const started = performance.now();
  try {
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}` },
      credentials: 'omit',
      cache: 'no-store',
    });
    const text = await response.text();
    let body = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = { error: 'not JSON', message: text.slice(0, 200) };
    }
    self.postMessage({
      status: response.status,
      body,
      challenge: response.headers.get('www-authenticate'),
      tookMs: performance.now() - started,
    });
  } catch (err) {
    self.postMessage({ failed: String(err?.message ?? err) });
  }
});
