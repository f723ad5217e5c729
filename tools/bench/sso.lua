-- wrk script: every request is a fresh, unique AuthnRequest (HTTP-POST binding) from a
-- browser that already has an SSO session, so each one is a full issuance. Environment:
-- BENCH_SP (entityID), BENCH_COOKIE ("propusk_session=..."), BENCH_DEST (SSO URL),
-- BENCH_INSTANT (IssueInstant, fixed for the run: the run is shorter than the window).
local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function b64(data)
  return ((data:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#data % 3 + 1])
end
local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local counter = 0
local thread_id = 0
local failures = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

function init(args)
  run = tostring(os.time()) .. tostring(math.random(100000, 999999))
  prefix = '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ' ..
           'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_w' .. run .. "_" .. tid .. "_"
  suffix = '" Version="2.0" IssueInstant="' .. os.getenv("BENCH_INSTANT") .. '" Destination="' ..
           os.getenv("BENCH_DEST") .. '"><saml:Issuer>' .. os.getenv("BENCH_SP") ..
           "</saml:Issuer></samlp:AuthnRequest>"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
end

function request()
  counter = counter + 1
  local body = "SAMLRequest=" .. urlencode(b64(prefix .. counter .. suffix)) .. "&RelayState=bench"
  return wrk.format(nil, "/saml/sso", nil, body)
end

function response(status, headers, body)
  if status ~= 200 or not body:find('name="SAMLResponse"', 1, true) then failures = failures + 1 end
end

function done(summary, latency, requests)
  local f = 0
  for _, t in ipairs(threads) do f = f + (t:get("failures") or 0) end
  local secs = summary.duration / 1e6
  io.write(string.format("requests=%d failures=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f\n", summary.requests,
    f + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
