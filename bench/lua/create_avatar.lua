-- POST /api/v1/avatars, authenticated, a fresh name each time.
local token = os.getenv("BENCH_TOKEN")
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"name":"Bench %d","color":"#%06X"}', counter, (counter * 2654435761) % 16777216)
  return wrk.format("POST", "/api/v1/avatars", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end
