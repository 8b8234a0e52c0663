// The browser session in a real browser: Debian's chromium, driven by playwright-core (which
// downloads no browser of its own). Run by tests/features/auth/test_browser_in_chromium.py:
//
//   node cookie_session.mjs <chromium> <api port> <spa port> <sibling port> <attacker port> <email> <password>
//
// It serves three pages itself, all on loopback:
//   - the app, spa.html, at http://localhost:<spa port> (in the API's CORS_ALLOW_ORIGINS);
//   - a sibling, http://localhost:<sibling port>: the same site as the API (ports do not
//     count), so its requests carry the SameSite=Strict cookies, but not an allowed origin;
//   - an attacker, http://127.0.0.1:<attacker port>: another site altogether.
// and prints one JSON line per step, which the test asserts on. It exits 0 unless it broke.

import http from "node:http";
import { readFile } from "node:fs/promises";
import { chromium } from "playwright-core";

const [executablePath, apiPort, spaPort, siblingPort, attackerPort, email, password] = process.argv.slice(2);
const api = `http://localhost:${apiPort}`;
const spaHtml = await readFile(new URL("./spa.html", import.meta.url));

// A page that posts a form to the API when its button is pressed: what a forged
// cross-site request looks like (no script of the attacker can add headers to it).
function forgery(route) {
  return `<!doctype html><html><body>
    <form id="forged" method="post" action="${api}/api/v1/auth/browser/${route}" enctype="text/plain">
      <input type="hidden" name="{&quot;x&quot;:&quot;" value="&quot;}">
      <button id="forge" type="submit">win a prize</button>
    </form></body></html>`;
}

function listen(port, handler) {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(Number(port), "127.0.0.1", () => resolve(server));
  });
}

const servers = await Promise.all([
  listen(spaPort, (request, response) => {
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    response.end(spaHtml);
  }),
  listen(siblingPort, (request, response) => {
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    response.end(forgery(new URL(request.url, "http://x").searchParams.get("route") ?? "refresh"));
  }),
  listen(attackerPort, (request, response) => {
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    response.end(forgery(new URL(request.url, "http://x").searchParams.get("route") ?? "logout"));
  }),
]);

function report(step, facts) {
  process.stdout.write(JSON.stringify({ step, ...facts }) + "\n");
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    // No internet: every host but loopback fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
  ],
});
const refreshCookie = (cookies) => cookies.find((cookie) => /^(__Secure-)?avatar-refresh$/.test(cookie.name));
const csrfCookie = (cookies) => cookies.find((cookie) => /^(__Host-)?avatar-csrf$/.test(cookie.name));

try {
  const context = await browser.newContext();
  const app = await context.newPage();
  const consoleErrors = [];
  app.on("console", (message) => message.type() === "error" && consoleErrors.push(message.text()));
  const spa = `http://localhost:${spaPort}/spa.html?api=${encodeURIComponent(api)}`;
  await app.goto(spa);

  const login = await app.evaluate(([e, p]) => window.session.logIn(e, p), [email, password]);
  const afterLogin = await context.cookies();
  const refresh = refreshCookie(afterLogin);
  report("login", {
    status: login.status,
    body_keys: Object.keys(login.body ?? {}).sort(),
    document_cookie: await app.evaluate(() => window.session.cookies()),
    refresh_cookie: refresh ? { name: refresh.name, httpOnly: refresh.httpOnly, secure: refresh.secure, sameSite: refresh.sameSite, path: refresh.path } : null,
    csrf_cookie_is_body_token: csrfCookie(afterLogin)?.value === login.body?.csrf_token,
    refresh_token_seen_by_script: refresh ? (await app.evaluate(() => document.cookie)).includes(refresh.value) : null,
  });

  await app.reload(); // the page forgets its tokens; the cookies stay
  const reloaded = await app.evaluate(async () => {
    const csrf = window.session.csrfFromCookie();
    const refreshed = await window.session.refresh();
    const me = await window.session.me();
    return { csrf_from_cookie: csrf !== null, refreshed: refreshed.status, me: me.status, email: me.body.email };
  });
  const afterRefresh = await context.cookies();
  report("refresh_after_reload", {
    ...reloaded,
    rotated: refreshCookie(afterRefresh)?.value !== refresh?.value,
  });

  const withoutHeader = await app.evaluate(() => window.session.refresh({ csrf: false }));
  report("refresh_without_csrf_header", { status: withoutHeader.status, code: withoutHeader.body?.code });

  // Forged form posts: the browser sends them whatever the API wants; the API refuses them.
  for (const [step, origin, route] of [
    ["sibling_form_post", `http://localhost:${siblingPort}`, "refresh"],
    ["cross_site_form_post", `http://127.0.0.1:${attackerPort}`, "logout"],
  ]) {
    const page = await context.newPage();
    await page.goto(`${origin}/?route=${route}`);
    const [response] = await Promise.all([
      page.waitForResponse((candidate) => candidate.url().startsWith(`${api}/api/v1/auth/browser/`)),
      page.click("#forge"),
    ]);
    const sent = await response.request().allHeaders();
    let code = null;
    try {
      code = JSON.parse(await response.text()).code;
    } catch {
      code = null;
    }
    report(step, { status: response.status(), code, origin_sent: sent.origin ?? null, cookie_sent: "cookie" in sent });
    await page.close();
  }

  const stillSignedIn = await app.evaluate(() => window.session.refresh());
  report("refresh_after_forgeries", { status: stillSignedIn.status });

  const logout = await app.evaluate(() => window.session.logOut());
  const afterLogout = await context.cookies();
  const refreshAfterLogout = await app.evaluate(() => window.session.refresh());
  report("logout", {
    status: logout.status,
    cookies_left: afterLogout.map((cookie) => cookie.name),
    document_cookie: await app.evaluate(() => window.session.cookies()),
    refresh_after_logout: refreshAfterLogout.status,
  });
  // The page's own console: a CORS refusal would show here (the 401 and 403 above do too).
  report("console", { cors_errors: consoleErrors.filter((text) => text.includes("CORS")) });
} finally {
  await browser.close();
  for (const server of servers) server.close();
}
