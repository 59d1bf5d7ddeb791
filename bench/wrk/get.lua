-- GET a path: either fixed (/bench/constant) or /api/products/{random id in [FIRST, LAST]}.
-- wrk -s get.lua URL -- /bench/constant     |     wrk -s get.lua URL -- /api/products/ FIRST LAST
dofile(os.getenv("WRK_DIR") .. "/report.lua")
local path, first, last
function init(args)
  path, first, last = args[1], tonumber(args[2]), tonumber(args[3])
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
function request()
  if first then return wrk.format("GET", path .. math.random(first, last)) end
  return wrk.format("GET", path)
end
