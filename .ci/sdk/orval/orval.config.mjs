// orval 7, fetch client, as .ci/sdk/run drives it: the document and the output come from
// the environment (the run's temp dir). headers: true, or orval drops request headers
// (Idempotency-Key, If-Match, If-None-Match) from the generated functions' signatures.
export default {
  avatar: {
    input: { target: process.env.OPENAPI_DOCUMENT },
    output: { target: process.env.ORVAL_OUTPUT, client: "fetch", mode: "single", headers: true },
  },
};
