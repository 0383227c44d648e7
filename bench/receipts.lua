-- wrk script of bench/receipts_server.py: posts prepared requests, each once, and counts
-- the answers by status. The data file (ZNS_BENCH_REQUESTS) holds one request a line,
-- "<X-ZEvent-Signature>\t<body>"; thread n of t takes lines n, n+t, n+2t... so that no two
-- requests of a run share a msg_id. done() prints one JSON line, "RESULT {...}".

local threads = {}
local counter = 0

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local path, nthreads = os.getenv("ZNS_BENCH_REQUESTS"), tonumber(os.getenv("ZNS_BENCH_THREADS"))
   local target = os.getenv("ZNS_BENCH_PATH")
   requests, next_index, sent, wrapped, applied = {}, 0, 0, 0, 0
   statuses = {}
   local line_no = 0
   for line in io.lines(path) do
      if line_no % nthreads == tid then
         local tab = line:find("\t", 1, true)
         local headers = {["Content-Type"] = "application/json"}
         local signature = line:sub(1, tab - 1)
         if signature ~= "" then headers["X-ZEvent-Signature"] = signature end
         table.insert(requests, wrk.format("POST", target, headers, line:sub(tab + 1)))
      end
      line_no = line_no + 1
   end
end

function request()
   next_index = next_index + 1
   if next_index > #requests then
      -- Out of prepared requests: repeats from here (counted, reported as a fault of the run).
      next_index, wrapped = 1, wrapped + 1
   end
   sent = sent + 1
   return requests[next_index]
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if status == 200 and body:find('"outcome": *"applied"') then applied = applied + 1 end
end

function done(summary, latency, requests)
   local total_sent, total_wrapped, total_applied, by_status, by_thread = 0, 0, 0, {}, {}
   for _, thread in ipairs(threads) do
      total_sent = total_sent + thread:get("sent")
      table.insert(by_thread, tostring(thread:get("sent")))
      total_wrapped = total_wrapped + thread:get("wrapped")
      total_applied = total_applied + thread:get("applied")
      for key, n in pairs(thread:get("statuses")) do by_status[key] = (by_status[key] or 0) + n end
   end
   local parts = {}
   for key, n in pairs(by_status) do table.insert(parts, string.format('"%s": %d', key, n)) end
   local e = summary.errors
   io.write(string.format(
      'RESULT {"sent": %d, "sent_by_thread": [%s], "answered": %d, "duration_us": %d, "wrapped": %d, ' ..
      '"applied_answers": %d, "statuses": {%s}, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
      '"max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
      total_sent, table.concat(by_thread, ", "), summary.requests, summary.duration, total_wrapped, total_applied,
      table.concat(parts, ", "), latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout))
end
