// A whole journey against the live service through the client @hey-api/openapi-ts
// generates (its fetch client), written against the target contract. Run by .ci/sdk/run
// with tsx after tsc --strict has checked it: API_URL is the service, RECEIVER_PORT a
// loopback port the service may deliver webhooks to. Every step prints ok, FAIL or skip;
// the exit status is 1 when any step did not pass.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

import { client } from "./client/client.gen";
import * as api from "./client/index";

const baseUrl = required("API_URL");
const receiverPort = Number(required("RECEIVER_PORT"));

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

// --- steps -------------------------------------------------------------------------------
class Skip extends Error {}
const results: { name: string; status: "ok" | "FAIL" | "skip" }[] = [];

async function step(name: string, body: () => Promise<string | void>): Promise<boolean> {
  const started = performance.now();
  try {
    const detail = await body();
    const ms = Math.round(performance.now() - started);
    console.log(`  ok    ${name}${detail ? `: ${detail}` : ""} (${ms} ms)`);
    results.push({ name, status: "ok" });
    return true;
  } catch (error) {
    if (error instanceof Skip) {
      console.log(`  skip  ${name}: ${error.message}`);
      results.push({ name, status: "skip" });
    } else {
      console.log(`  FAIL  ${name}: ${error instanceof Error ? error.message : String(error)}`);
      results.push({ name, status: "FAIL" });
    }
    return false;
  }
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Skip(`needs ${what}, which an earlier step did not get`);
  return value;
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** What the contract lacks, said once: the operation is not in the document the client was generated from. */
function operation<T>(fn: T | undefined, operationId: string, what: string): T {
  if (fn === undefined) {
    throw new Error(`the document has no operation ${operationId} (${what}): the generated client cannot call it`);
  }
  return fn;
}

function show(value: unknown): string {
  return JSON.stringify(value)?.slice(0, 300) ?? String(value);
}

/** A typed problem: every member RFC 9457 and our errors.md name, checked present. */
function problem(error: api.Problem | undefined, status: number, code: string): api.Problem {
  check(error !== undefined, `expected a ${status} problem, got no error body`);
  for (const member of ["type", "title", "status", "detail", "instance", "code", "request_id"] as const) {
    check(error[member] !== undefined, `the problem lacks ${member}: ${show(error)}`);
  }
  check(error.status === status && error.code === code, `expected ${status} ${code}, got ${show(error)}`);
  return error;
}

/** RateLimit (RFC draft): `"default";r=<remaining>;t=<seconds>`. */
function rateLimit(headers: Headers): string {
  const value = headers.get("RateLimit");
  check(value, "no RateLimit header");
  const remaining = /;r=(\d+)/.exec(value)?.[1];
  check(remaining !== undefined, `RateLimit without r=: ${value}`);
  return `RateLimit ${value} (remaining ${remaining}), RateLimit-Policy ${headers.get("RateLimit-Policy")}`;
}

// --- a webhook receiver on loopback -------------------------------------------------------
interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}
const deliveries: Delivery[] = [];
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
    response.writeHead(204).end();
  });
});

async function delivery(match: (payload: { type?: string; data?: unknown }) => boolean): Promise<Delivery> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const found = deliveries.find((d) => match(JSON.parse(d.body) as { type?: string }));
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no matching delivery within 20 s (received ${deliveries.length})`);
}

/** Standard Webhooks: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"> keyed with the secret's base64 part. */
function verifySignature(secret: string, received: Delivery): string {
  const header = (name: string): string => {
    const value = received.headers[name];
    check(typeof value === "string", `the delivery has no ${name} header`);
    return value;
  };
  const id = header("webhook-id");
  const timestamp = header("webhook-timestamp");
  const signatures = header("webhook-signature").split(" ");
  check(secret.startsWith("whsec_"), `the secret does not start with whsec_: ${secret.slice(0, 10)}...`);
  check(Math.abs(Date.now() / 1000 - Number(timestamp)) < 300, `webhook-timestamp ${timestamp} is not within 5 minutes`);
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${received.body}`).digest();
  const valid = signatures.some((signature) => {
    const [version, value] = signature.split(",", 2);
    if (version !== "v1" || value === undefined) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  check(valid, `no signature of ${signatures.join(" ")} verifies`);
  return id;
}

// --- the journey -------------------------------------------------------------------------
async function main(): Promise<number> {
  await new Promise<void>((resolve) => receiver.listen(receiverPort, "127.0.0.1", resolve));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

  let accessToken: string | undefined;
  client.setConfig({ baseUrl, auth: () => accessToken });

  const email = `journey-ts-${randomUUID()}@example.com`;
  const password = "a journey through the typescript client";
  let refreshToken: string | undefined;
  let first: api.AvatarView | undefined;
  const created: api.AvatarView[] = [];
  let listed: api.AvatarView[] | undefined;
  let webhook: api.NewSecretView | undefined;
  let webhookSecret: string | undefined;
  let eventId: string | undefined;

  await step("sign up", async () => {
    const { data, error, response } = await api.signUp({ body: { email, password, display_name: "Journey TS" } });
    check(data, `sign-up: ${response.status} ${show(error)}`);
    return `${response.status} ${data.id}, Location ${response.headers.get("Location")}`;
  });

  await step("log in (JSON POST /api/v1/auth/login)", async () => {
    const { data, error, response } = await api.logIn({ body: { email, password } });
    check(data, `login: ${response.status} ${show(error)}`);
    check(data.token_type === "Bearer", `token_type ${data.token_type}`);
    accessToken = data.access_token;
    refreshToken = data.refresh_token;
    return `${data.token_type} token, expires in ${data.expires_in} s; ${rateLimit(response.headers)}`;
  });

  await step("log in (OAuth 2 token endpoint, grant_type=password)", async () => {
    const issueToken = operation(api.issueToken, "issueToken", "POST /api/v1/auth/token");
    const { data, error, response } = await issueToken({
      body: { grant_type: "password", username: email, password },
    });
    check(data, `token: ${response.status} ${show(error)}`);
    check(data.token_type === "Bearer" && data.access_token && data.refresh_token, `token answer ${show(data)}`);
    check(
      response.headers.get("Content-Type")?.startsWith("application/json"),
      `Content-Type ${response.headers.get("Content-Type")}`,
    );
    const pair = await issueToken({ body: { grant_type: "refresh_token", refresh_token: data.refresh_token } });
    check(pair.data, `grant_type=refresh_token: ${pair.response.status} ${show(pair.error)}`);
    check(pair.data.refresh_token !== data.refresh_token, "the refresh_token grant did not rotate the refresh token");
    const issued = pair.data.access_token;
    const me = await api.getMyProfile({ auth: () => issued });
    check(me.data?.email === email, `GET /users/me with the issued token: ${me.response.status} ${show(me.error)}`);
    return `password grant: ${data.token_type}, expires in ${data.expires_in} s; refresh_token grant: a new pair; its token reads /users/me`;
  });

  await step("OAuth 2 error (RFC 6749 5.2): a wrong password", async () => {
    const issueToken = operation(api.issueToken, "issueToken", "POST /api/v1/auth/token");
    const { data, error, response } = await issueToken({
      body: { grant_type: "password", username: email, password: "not the password at all" },
    });
    check(data === undefined && error !== undefined, `expected an error, got ${response.status} ${show(data)}`);
    check(response.status === 400 || response.status === 401, `status ${response.status}`);
    check("error" in error && error.error === "invalid_grant", `expected error=invalid_grant, got ${show(error)}`);
    return `${response.status} ${error.error}: ${error.error_description}`;
  });

  await step("OAuth 2 discovery (RFC 8414 metadata, JWKS at /.well-known)", async () => {
    const getOAuthMetadata = operation(api.getOAuthMetadata, "getOAuthMetadata", "GET /.well-known/oauth-authorization-server");
    const getWellKnownJwks = operation(api.getWellKnownJwks, "getWellKnownJwks", "GET /.well-known/jwks.json");
    const metadata = await getOAuthMetadata();
    check(metadata.data, `/.well-known/oauth-authorization-server: ${metadata.response.status} ${show(metadata.error)}`);
    const { token_endpoint, jwks_uri, grant_types_supported } = metadata.data;
    check(token_endpoint.endsWith("/api/v1/auth/token"), `token_endpoint ${token_endpoint}`);
    check(jwks_uri.endsWith("/.well-known/jwks.json"), `jwks_uri ${jwks_uri}`);
    check(
      grant_types_supported.includes("password") && grant_types_supported.includes("refresh_token"),
      `grant_types_supported ${show(grant_types_supported)}`,
    );
    const jwks = await getWellKnownJwks();
    check(jwks.data, `/.well-known/jwks.json: ${jwks.response.status} ${show(jwks.error)}`);
    const token = need(accessToken, "an access token");
    const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString()) as { kid?: string };
    check(
      jwks.data.keys.some((key) => key.kid === header.kid),
      `the access token's kid ${header.kid} is not in the JWKS`,
    );
    return `token_endpoint ${token_endpoint}, grants ${grant_types_supported.join(" ")}; the access token's kid is in the JWKS`;
  });

  await step("create an avatar with an Idempotency-Key, then replay it", async () => {
    need(accessToken, "an access token");
    const key = randomUUID();
    const body = { name: "Journey One", color: "#3A7BD5" };
    const one = await api.createAvatar({ body, headers: { "Idempotency-Key": key } });
    check(one.data, `create: ${one.response.status} ${show(one.error)}`);
    check(one.response.status === 201, `status ${one.response.status}`);
    const location = one.response.headers.get("Location");
    const etag = one.response.headers.get("ETag");
    check(location === `/api/v1/avatars/${one.data.id}`, `Location ${location}`);
    check(etag, "no ETag on the 201");
    const again = await api.createAvatar({ body, headers: { "Idempotency-Key": key } });
    check(again.data, `replay: ${again.response.status} ${show(again.error)}`);
    check(again.data.id === one.data.id, `the replay created another avatar: ${again.data.id}`);
    check(
      again.response.headers.get("Idempotent-Replayed") === "true",
      `Idempotent-Replayed ${again.response.headers.get("Idempotent-Replayed")}`,
    );
    first = one.data;
    created.push(one.data);
    return `201 ${one.data.id}, Location ${location}, ETag ${etag}; replay: same id, Idempotent-Replayed: true`;
  });

  await step("list with cursors (3 avatars, limit=2, follow next_cursor)", async () => {
    const owner = need(first, "a created avatar").owner.id;
    for (const name of ["Journey Two", "Journey Three"]) {
      const { data, error, response } = await api.createAvatar({ body: { name, color: "#D53A7B" } });
      check(data, `create ${name}: ${response.status} ${show(error)}`);
      created.push(data);
    }
    const page1 = await api.listAvatars({ query: { owner_id: owner, limit: 2 } });
    check(page1.data, `page 1: ${page1.response.status} ${show(page1.error)}`);
    check(page1.data.data.length === 2, `page 1 has ${page1.data.data.length} items`);
    const cursor = page1.data.meta.next_cursor;
    check(typeof cursor === "string", "page 1 has no next_cursor");
    const page2 = await api.listAvatars({ query: { owner_id: owner, limit: 2, cursor } });
    check(page2.data, `page 2: ${page2.response.status} ${show(page2.error)}`);
    check(page2.data.data.length === 1 && page2.data.meta.next_cursor === null, `page 2: ${show(page2.data.meta)}`);
    const ids = [...page1.data.data, ...page2.data.data].map((avatar) => avatar.id);
    const expected = created.map((avatar) => avatar.id).reverse();
    check(show(ids) === show(expected), `newest first expected ${show(expected)}, got ${show(ids)}`);
    listed = [...page1.data.data, ...page2.data.data];
    return `2 + 1 items, newest first; ${rateLimit(page1.response.headers)}`;
  });

  await step("like", async () => {
    const avatar = need(first, "a created avatar");
    const like = await api.likeAvatar({ path: { avatar_id: avatar.id } });
    check(like.response.status === 204, `like: ${like.response.status} ${show(like.error)}`);
    const { data } = await api.getAvatar({ path: { avatar_id: avatar.id } });
    check(data && data.likes_count === 1 && data.liked_by_me, `after the like: ${show(data)}`);
    return `204; likes_count 1, liked_by_me true`;
  });

  await step("update with If-Match from a listed item's etag (200), then a stale one (412 problem)", async () => {
    const avatar = need(listed, "a listed page").find((item) => item.id === need(first, "a created avatar").id);
    check(avatar, "the first avatar is not in the list");
    const etag: string = avatar.etag;
    check(typeof etag === "string" && /^"v\d+"$/.test(etag), `AvatarView.etag is ${show(etag)} (the contract: "v<version>")`);
    const ok = await api.updateAvatar({
      path: { avatar_id: avatar.id },
      headers: { "If-Match": etag },
      body: { name: "Journey One, renamed" },
    });
    check(ok.data, `update: ${ok.response.status} ${show(ok.error)}`);
    check(ok.data.version === avatar.version + 1, `version ${avatar.version} -> ${ok.data.version}`);
    check(ok.response.headers.get("ETag") === ok.data.etag, `ETag ${ok.response.headers.get("ETag")} vs ${ok.data.etag}`);
    const stale = await api.updateAvatar({
      path: { avatar_id: avatar.id },
      headers: { "If-Match": etag },
      body: { name: "Journey One, lost update" },
    });
    check(stale.response.status === 412, `stale If-Match: ${stale.response.status}`);
    const error = problem(stale.error, 412, "precondition_failed");
    return `If-Match ${etag}: 200, ETag ${ok.data.etag}; stale: 412 ${error.code} (request ${error.request_id})`;
  });

  await step("the SVG as bytes, then 304 with If-None-Match", async () => {
    const avatar = need(first, "a created avatar");
    const image = await api.getAvatarImage({ path: { avatar_id: avatar.id } });
    check(image.data, `image: ${image.response.status} ${show(image.error)}`);
    check(image.data instanceof Blob, `the image is a ${typeof image.data}, not a Blob`);
    const bytes = new Uint8Array(await image.data.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    check(text.startsWith("<svg") || text.startsWith("<?xml"), `not an SVG: ${text.slice(0, 40)}`);
    check(image.response.headers.get("Content-Type")?.startsWith("image/svg+xml"), "Content-Type is not image/svg+xml");
    const etag = image.response.headers.get("ETag");
    check(etag, "no ETag on the image");
    const cached = await api.getAvatarImage({ path: { avatar_id: avatar.id }, headers: { "If-None-Match": etag } });
    check(cached.response.status === 304, `If-None-Match ${etag}: ${cached.response.status}`);
    return `${bytes.byteLength} bytes of image/svg+xml, ETag ${etag}; If-None-Match: 304`;
  });

  await step("refresh", async () => {
    const token = need(refreshToken, "a refresh token");
    const { data, error, response } = await api.refreshSession({ body: { refresh_token: token } });
    check(data, `refresh: ${response.status} ${show(error)}`);
    check(data.refresh_token !== token, "the refresh token did not rotate");
    accessToken = data.access_token;
    refreshToken = data.refresh_token;
    return `a new pair (the refresh token rotated)`;
  });

  await step("create a webhook to a local receiver; a delivery's Standard Webhooks signature verifies", async () => {
    need(accessToken, "an access token");
    const { data, error, response } = await api.createWebhook({
      body: { url: hookUrl, events: ["avatar.created", "avatar.updated", "avatar.liked"] },
      headers: { "Idempotency-Key": randomUUID() },
    });
    check(data, `create webhook: ${response.status} ${show(error)}`);
    const secret = data.secret;
    check(typeof secret === "string" && secret.startsWith("whsec_"), `the 201 carries no whsec_ secret: ${show(data)}`);
    webhook = data;
    const made = await api.createAvatar({ body: { name: "Journey Hooked", color: "#7BD53A" } });
    check(made.data, `create: ${made.response.status} ${show(made.error)}`);
    const id = made.data.id;
    const received = await delivery(
      (payload) => payload.type === "avatar.created" && show(payload.data).includes(id),
    );
    eventId = verifySignature(secret, received);
    webhookSecret = secret;
    return `${response.status} ${data.id} to ${hookUrl}; avatar.created delivered, webhook-id ${eventId}, signature verified`;
  });

  await step("ping the webhook", async () => {
    const hook = need(webhook, "a webhook");
    const secret = need(webhookSecret, "the webhook's secret");
    const { data, error, response } = await api.pingWebhook({ path: { webhook_id: hook.id } });
    check(data, `ping: ${response.status} ${show(error)}`);
    check(data.delivered && data.status_code === 204, `ping result ${show(data)}`);
    const received = await delivery((payload) => payload.type === "webhook.ping");
    verifySignature(secret, received);
    return `delivered, ${data.status_code} in ${data.duration_ms} ms; the ping's signature verified`;
  });

  await step("list deliveries", async () => {
    const hook = need(webhook, "a webhook");
    const event = need(eventId, "a delivered event");
    // The attempt is recorded once the receiver has answered: it may trail the delivery a little.
    const deadline = Date.now() + 10_000;
    let attempts: api.DeliveryAttemptView[] = [];
    let attempt: api.DeliveryAttemptView | undefined;
    while (attempt?.delivery_status !== "succeeded" && Date.now() < deadline) {
      const { data, error, response } = await api.listWebhookDeliveries({
        path: { webhook_id: hook.id },
        query: { limit: 10 },
      });
      check(data, `deliveries: ${response.status} ${show(error)}`);
      attempts = data.data;
      attempt = attempts.find((item) => item.event_id === event);
      if (attempt?.delivery_status !== "succeeded") await new Promise((resolve) => setTimeout(resolve, 200));
    }
    check(attempt, `the delivered event ${event} is not in the log: ${show(attempts)}`);
    check(attempt.succeeded && attempt.delivery_status === "succeeded", `attempt ${show(attempt)}`);
    return `${attempts.length} attempt(s); ${attempt.event_type} succeeded with ${attempt.status_code}`;
  });

  await step("errors read as typed problems (404, 400 with errors[])", async () => {
    const missing = await api.getAvatar({ path: { avatar_id: randomUUID() } });
    const notFound = problem(missing.error, 404, "not_found");
    check(
      missing.response.headers.get("Content-Type")?.startsWith("application/problem+json"),
      `Content-Type ${missing.response.headers.get("Content-Type")}`,
    );
    check(missing.response.headers.get("X-Request-ID") === notFound.request_id, "X-Request-ID differs from request_id");
    const invalid = await api.createAvatar({ body: { name: "Bad colour", color: "blue" } });
    const validation = problem(invalid.error, 400, "validation_failed");
    const field = validation.errors?.[0];
    check(field?.pointer === "#/color", `errors[] ${show(validation.errors)}`);
    return `404 ${notFound.code} (${notFound.instance}); 400 ${validation.code}, errors[0] ${field.pointer} in ${field.location}`;
  });

  await step("log out", async () => {
    const token = need(refreshToken, "a refresh token");
    const out = await api.logOut({ body: { refresh_token: token } });
    check(out.response.status === 204, `logout: ${out.response.status} ${show(out.error)}`);
    const after = await api.refreshSession({ body: { refresh_token: token } });
    const error = problem(after.error, 401, "invalid_token");
    return `204; the session's refresh token is now a 401 ${error.code}`;
  });

  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  const failed = results.filter((result) => result.status !== "ok");
  console.log(`hey-api journey: ${results.length - failed.length}/${results.length} steps passed`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
