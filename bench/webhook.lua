-- wrk script: POSTs AdmissionReviews, alternating an allowed and a denied pod.
-- args: DIR MODE [DELAY_MS]
--   DIR   holds allowed.json and denied.json (request bodies)
--   MODE  "webhook" posts both to /validate?timeout=5s;
--         "nginx" posts them to /allowed and /denied (static bodies of the
--         webhook's response sizes)
--   DELAY_MS  mean pause per connection between requests (for a fixed-rate
--             run); each pause is drawn uniformly from 0..2*DELAY_MS so the
--             connections do not fire in lockstep bursts (which would measure
--             wrk's own batching, not the server)
local allowed, denied, pa, pd, delay_ms
local n = 0

function init(args)
  local dir, mode = args[1], args[2]
  local f = assert(io.open(dir .. "/allowed.json")); allowed = f:read("*a"); f:close()
  f = assert(io.open(dir .. "/denied.json")); denied = f:read("*a"); f:close()
  if mode == "nginx" then
    pa, pd = "/allowed", "/denied"
  else
    pa, pd = "/validate?timeout=5s", "/validate?timeout=5s"
  end
  delay_ms = tonumber(args[3] or "0")
end

function request()
  n = n + 1
  local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json, */*" }
  if n % 2 == 0 then
    return wrk.format("POST", pa, headers, allowed)
  end
  return wrk.format("POST", pd, headers, denied)
end

function delay()
  if delay_ms == 0 then return 0 end
  return math.random(0, 2 * delay_ms)
end
