-- POST /api/orders, each request as the next buyer of this thread (a token per pre-filled cart).
-- wrk -s checkout.lua URL -- TOKENS_FILE THREADS
dofile(os.getenv("WRK_DIR") .. "/report.lua")
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter - 1)
end
local tokens, next_token, step = {}, 1, 1
local body = '{"shipping_address": {"name": "Bench Buyer", "line1": "1 Main St", "city": "Springfield", '
  .. '"postal_code": "12345", "country": "US"}}'
function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  step = tonumber(args[2])
  next_token = id + 1
end
function request()
  local token = tokens[next_token] or tokens[#tokens]  -- out of carts: later requests get 409 empty_cart
  next_token = next_token + step
  return wrk.format("POST", "/api/orders",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
