-- wrk script for the autosave benchmark: one connection per wrk thread, each
-- saving its own candidate's answer from the version the last save returned,
-- as the drafting page does. The sessions come from bench_sessions (args[1]).
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  dofile(args[1])
  me = sessions[((id - 1) % #sessions) + 1]
  version = me.version
  count = 0
end

function request()
  count = count + 1
  local body = "text=" .. me.text .. "+save+" .. count .. "&version=" .. version .. "&owner=" .. me.owner
  return wrk.format("POST", me.path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
    ["Cookie"] = "sessionid=" .. me.sessionid .. "; csrftoken=" .. me.csrf,
    ["X-CSRFToken"] = me.csrf,
  }, body)
end

function response(status, headers, body)
  local saved = body:match('"version": (%d+)')
  if saved then
    version = tonumber(saved)
  end
end
