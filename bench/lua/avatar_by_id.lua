-- GET /api/v1/avatars/{id} with a random id from ids.txt (written by the seeding step).
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS") or "ids.txt") do ids[#ids + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/avatars/" .. ids[math.random(#ids)])
end
