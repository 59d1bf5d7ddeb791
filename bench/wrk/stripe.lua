-- POST /api/payments/webhooks/stripe: each request the next pre-signed event of this thread's share.
-- wrk -s stripe.lua URL -- EVENTS_FILE THREADS    (each line: the Stripe-Signature header, a tab, the body)
dofile(os.getenv("WRK_DIR") .. "/report.lua")
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter - 1)
end
local events, next_event, step = {}, 1, 1
function init(args)
  for line in io.lines(args[1]) do
    local signature, body = line:match("^([^\t]+)\t(.*)$")
    events[#events + 1] = {signature, body}
  end
  step = tonumber(args[2])
  next_event = id + 1
end
function request()
  local event = events[next_event] or events[#events]  -- past the end: duplicates, answered 200 all the same
  next_event = next_event + step
  return wrk.format("POST", "/api/payments/webhooks/stripe",
    {["Stripe-Signature"] = event[1], ["Content-Type"] = "application/json"}, event[2])
end
