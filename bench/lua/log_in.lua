-- POST /api/v1/auth/login with the account in BENCH_EMAIL / BENCH_PASSWORD.
local body = string.format('{"email":"%s","password":"%s"}', os.getenv("BENCH_EMAIL"), os.getenv("BENCH_PASSWORD"))
request = function()
  return wrk.format("POST", "/api/v1/auth/login", {["Content-Type"] = "application/json"}, body)
end
