// Compiled by .ci/run against types that openapi-typescript generates from openapi.json:
// if the document stops describing what a frontend relies on, this stops compiling.
import type { components, paths } from "./api";

type Problem = components["schemas"]["Problem"];
type FieldError = components["schemas"]["FieldError"];
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
