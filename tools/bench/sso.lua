-- wrk script: every request is a fresh, unique AuthnRequest (HTTP-POST binding) from a
-- browser that already has an SSO session, so each one is a full issuance. Environment:
-- BENCH_SP (entityID), BENCH_COOKIE ("propusk_session=..."), BENCH_DEST (SSO URL),
-- BENCH_INSTANT (IssueInstant, fixed for the run: the run is shorter than the window).
-- The load generator must stay cheap: it shares the two cores with the server, so it reads
-- no response bodies (a Lua response() callback cost it a sixth of its CPU); tools/bench/run
-- counts the Responses the server issued in its audit log instead. Only the
-- request counter changes between requests, so the base64 of the fixed parts is computed
-- once (the ID's fixed prefix is padded to a multiple of 3 bytes, and the counter is 9
-- digits, so the three pieces encode independently and concatenate).
local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function b64(data)
  local out = {}
  for i = 1, #data, 3 do
    local a, b, c = data:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1, c2 = math.floor(n / 262144) % 64, math.floor(n / 4096) % 64
    local c3, c4 = math.floor(n / 64) % 64, n % 64
    out[#out + 1] = b64chars:sub(c1 + 1, c1 + 1) .. b64chars:sub(c2 + 1, c2 + 1) ..
      (b and b64chars:sub(c3 + 1, c3 + 1) or "=") .. (c and b64chars:sub(c4 + 1, c4 + 1) or "=")
  end
  return table.concat(out)
end
local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local counter = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  run = tostring(os.time()) .. tostring(math.random(100000, 999999))
  local prefix = '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ' ..
           'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_w' .. run .. "_" .. tid .. "_"
  while #prefix % 3 ~= 0 do prefix = prefix .. "x" end
  local suffix = '" Version="2.0" IssueInstant="' .. os.getenv("BENCH_INSTANT") .. '" Destination="' ..
           os.getenv("BENCH_DEST") .. '"><saml:Issuer>' .. os.getenv("BENCH_SP") ..
           "</saml:Issuer></samlp:AuthnRequest>"
  head = "SAMLRequest=" .. urlencode(b64(prefix))
  tail = urlencode(b64(suffix)) .. "&RelayState=bench"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
end

function request()
  counter = counter + 1
  -- base64 of nine ASCII digits never contains '+', '/' or '=': no URL encoding needed.
  local body = head .. b64(string.format("%09d", counter)) .. tail
  return wrk.format(nil, "/saml/sso", nil, body)
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  -- Socket errors only: a reply of any status is checked against the audit log.
  io.write(string.format("requests=%d errors=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f\n", summary.requests,
    e.connect + e.read + e.write + e.timeout,
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
