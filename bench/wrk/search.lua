-- GET /api/products?q=<one of the bench queries>&limit=20, queries taken in turn from a file.
dofile(os.getenv("WRK_DIR") .. "/report.lua")
local queries, i = {}, 0
function init(args)
  for line in io.lines(args[1]) do queries[#queries + 1] = line:gsub(" ", "+") end
end
function request()
  i = i % #queries + 1
  return wrk.format("GET", "/api/products?limit=20&q=" .. queries[i])
end
