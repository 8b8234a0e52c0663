// Compiled by .ci/sdk/run (tsc --strict, noUncheckedIndexedAccess) against the types
// openapi-typescript generates from openapi.json (api.d.ts), used through openapi-fetch:
// if the document stops describing what a frontend relies on, this stops compiling.
// Nothing here runs; the journeys (hey-api, Python) are what talk to a live service.
import createClient from "openapi-fetch";

import type { components, operations, paths } from "./api";

type Problem = components["schemas"]["Problem"];
type FieldError = components["schemas"]["FieldError"];
type AvatarView = components["schemas"]["AvatarView"];
type Readiness = paths["/health/ready"]["get"]["responses"][200]["content"]["application/json"];
type ReadinessFailure = paths["/health/ready"]["get"]["responses"][503]["content"]["application/json"];

export const notFound: Problem = {
  type: "/problems/not_found",
  title: "Not Found",
  status: 404,
  detail: "Nothing is found at /nope.",
  instance: "/nope",
  code: "not_found",
  request_id: "01a20162-e971-7723-8378-04e487d87a8f",
};

const invalidName: FieldError = { pointer: "#/name", detail: "Expected `str` of length <= 50", location: "body" };
export const invalid: Problem = { ...notFound, status: 400, code: "validation_failed", errors: [invalidName] };

export const ready: Readiness = { status: "ok", checks: { database: "ok", migrations: "ok" } };
export const notReady: ReadinessFailure = { status: "unavailable", checks: { database: "timeout" } };

// --- response headers: openapi-typescript types them (openapi-fetch hands back a plain Response) ---
// An undeclared header is `unknown` (headers have a `[name: string]: unknown` index), so
// each is checked to be exactly its declared type, not merely assignable.
type Exactly<T, U> = [T] extends [U] ? ([U] extends [T] ? true : false) : false;
type Created = operations["createAvatar"]["responses"][201]["headers"];
export const declaredOnCreated: [
  Exactly<Created["ETag"], string>,
  Exactly<Created["Location"], string>,
  Exactly<Created["Idempotent-Replayed"], "true">,
  Exactly<Created["RateLimit"], string>,
  Exactly<Created["RateLimit-Policy"], string>,
  Exactly<Created["RateLimit-Remaining"], number>,
  Exactly<Created["X-Request-ID"], string>,
] = [true, true, true, true, true, true, true];
type TooMany = operations["createAvatar"]["responses"][429]["headers"];
export const declaredOn429: Exactly<TooMany["Retry-After"], number> = true;
type Image = operations["getAvatarImage"]["responses"];
export const declaredOnImage: Exactly<Image[200]["headers"]["ETag"], string> = true;
// 304 has no body: nothing to parse.
export const notModified: Exactly<Image[304]["content"], undefined> = true;

// --- the target contract: version and etag on the avatar, the OAuth 2 token endpoint ---------
export const etagOf = (avatar: AvatarView): string => avatar.etag;
export const versionOf = (avatar: AvatarView): number => avatar.version;
type TokenForm = NonNullable<operations["issueToken"]["requestBody"]>["content"]["application/x-www-form-urlencoded"];
export const passwordGrant: TokenForm = { grant_type: "password", username: "ada@example.com", password: "correct horse battery staple" };
export const refreshGrant: TokenForm = { grant_type: "refresh_token", refresh_token: "Yx8Lq3VbZb7mDZ6j0x0JYk0u2pbe8fN3wXa9pQy0s4I" };
type TokenAnswer = operations["issueToken"]["responses"][200]["content"]["application/json"];
export const tokenType = (answer: TokenAnswer): "Bearer" => answer.token_type;
type TokenError = operations["issueToken"]["responses"][400]["content"]["application/json"];
export const oauthError: TokenError = { error: "invalid_grant", error_description: "The credentials are not valid." };

// --- openapi-fetch: the same operations, typed from paths --------------------------------------
export async function journey(baseUrl: string, token: string): Promise<void> {
  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

  const created = await api.POST("/api/v1/avatars", {
    params: { header: { "Idempotency-Key": crypto.randomUUID() } },
    body: { name: "Ada Lovelace", color: "#3A7BD5" },
  });
  if (created.error) {
    const problem: Problem = created.error;
    throw new Error(`${problem.code}: ${problem.detail} (${problem.request_id})`);
  }
  const avatar: AvatarView = created.data;
  const location: string | null = created.response.headers.get("Location");

  const page = await api.GET("/api/v1/avatars", { params: { query: { owner_id: avatar.owner.id, limit: 2 } } });
  const listed = page.data?.data[0];
  const next: string | null | undefined = page.data?.meta.next_cursor;
  if (listed && next) {
    await api.GET("/api/v1/avatars", { params: { query: { limit: 2, cursor: next } } });
  }

  const updated = await api.PATCH("/api/v1/avatars/{avatar_id}", {
    params: { path: { avatar_id: avatar.id }, header: { "If-Match": listed?.etag ?? avatar.etag } },
    body: { name: "Ada" },
  });
  if (updated.response.status === 412 && updated.error) {
    const stale: Problem = updated.error;
    void stale.code;
  }

  const image = await api.GET("/api/v1/avatars/{avatar_id}/image.svg", {
    params: { path: { avatar_id: avatar.id } },
    parseAs: "blob",
  });
  const bytes: Blob | undefined = image.data;
  const cached = await api.GET("/api/v1/avatars/{avatar_id}/image.svg", {
    params: { path: { avatar_id: avatar.id }, header: { "If-None-Match": image.response.headers.get("ETag") ?? "" } },
  });
  void [location, bytes, cached.response.status];
}
