-- Argo CD health of a Skiff Workload or HostConfig, read from its status the way kstatus
-- reads it: Healthy when Ready is True for the current generation; Degraded when the
-- operator reports a failure it cannot get past (Stalled) or a failed start it retries
-- (Progressing False); Progressing otherwise. Lua 5.1 (Argo CD's gopher-lua) and later.
local hs = { status = "Progressing", message = "Waiting for the Skiff operator" }

local function describe(c)
  if c.message ~= nil and c.message ~= "" then
    return (c.reason or c.type) .. ": " .. c.message
  end
  return c.reason or c.type
end

if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.message = "Deleting: the operator stops the replicas first"
  return hs
end
if obj.status == nil or obj.status.conditions == nil then
  return hs
end

local generation = 0
if obj.metadata ~= nil and obj.metadata.generation ~= nil then
  generation = obj.metadata.generation
end
local observed = obj.status.observedGeneration
if observed ~= nil and observed < generation then
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local conditions = {}
for _, c in ipairs(obj.status.conditions) do
  -- A condition set for an older generation says nothing about this one.
  if c.type ~= nil and (c.observedGeneration == nil or c.observedGeneration >= generation) then
    conditions[c.type] = c
  end
end

local ready = conditions["Ready"]
local stalled = conditions["Stalled"]
local progressing = conditions["Progressing"]
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
elseif ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
elseif ready ~= nil and progressing ~= nil and progressing.status == "False" then
  hs.status = "Degraded"
  hs.message = describe(ready)
elseif ready ~= nil then
  hs.message = describe(ready)
end
return hs
