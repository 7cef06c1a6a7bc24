-- wrk script of bench/pages.py: counts the responses that are not 200 (a redirect to the login
-- page is a 302, which wrk itself counts as a success) and prints "Not 200: N" at the end.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
  end
  io.write(string.format("Not 200: %d\n", total))
end
