-- wrk -s ingest.lua URL -- PATH API_KEY RUN: lab results of about 1 KB, each unique
-- (its own event_id), to an inbound endpoint that takes unsigned requests.
local threads = {}

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   path, key, run = args[1], args[2], args[3]
   counter, accepted, other = 0, 0, 0
   notes = string.rep("x", 640)
end

function request()
   counter = counter + 1
   local n = tid * 10000000 + counter
   local body = string.format(
      '{"event_id":"%s-%d","id":"S-%d","patient":{"ref":"P-%d","name":"Jane Roe",'
         .. '"birth_date":"1980-01-01"},"results":[{"code":"LOINC-0001","value":1.5,'
         .. '"unit":"mmol/L"},{"code":"LOINC-0002","value":3.0,"unit":"mmol/L"}],'
         .. '"notes":"%s"}',
      run, n, n, n % 9973, notes)
   return wrk.format("POST", path, {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. key,
   }, body)
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      accepted = accepted + 1
   else
      other = other + 1
   end
end

function done(summary, latency, requests)
   local ok, bad = 0, 0
   for _, thread in ipairs(threads) do
      ok = ok + thread:get("accepted")
      bad = bad + thread:get("other")
   end
   io.write(string.format("WRK accepted=%d other=%d errors=%d p50_ms=%.1f p99_ms=%.1f\n",
      ok, bad, summary.errors.connect + summary.errors.read + summary.errors.write
         + summary.errors.timeout, latency:percentile(50) / 1000,
      latency:percentile(99) / 1000))
end
