import { startEchoServer } from '../../../bench/lib/echo-server';

describe('the echo server the API benchmarks compare with', () => {
  it.each([0, 2])('answers each request with its own body (%i cluster workers)', async (workers) => {
    const echo = await startEchoServer(workers);
    try {
      const bodies = Array.from({ length: 6 }, (_, i) =>
        JSON.stringify({ request: i, pad: 'x'.repeat(i * 100) }),
      );
      const answers = await Promise.all(
        bodies.map(async (body) => {
          const res = await fetch(`${echo.url}/events`, { method: 'POST', body });
          return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
        }),
      );
      expect(answers).toEqual(bodies.map((text) => ({ status: 200, type: 'application/json', text })));
    } finally {
      await echo.stop();
    }
  });
});
