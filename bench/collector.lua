-- collector.lua: wrk script for bench/collector.sh: POSTs scan-summary reports following the
-- data policy at log index 0, each with its own id (thread number and a counter), and counts
-- every answer that is not 201.
local threads = {}
local day = os.getenv("VITRINE_BENCH_DAY")
local counter = 0
failures = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local id = string.format("%08x%024x", tid, counter)
  local body = string.format('{"policy":0,"report":"scan-summary","id":"%s","day":"%s",'
    .. '"fields":{"detections":{"4":%d,"9":1},"engine-version":"0.1.0","files-scanned":%d,'
    .. '"ruleset-serial":3,"scan-duration-ms":%d}}', id, day, counter % 7 + 1, counter, counter % 1000)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status ~= 201 then failures = failures + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("failures") end
  io.write(string.format("non-201 answers: %d\n", total))
end
