--! keys: 1
-- A user's cached count that may be served, and the version a fill must find unchanged. None may
-- be served while a vote for the user is in flight: usually one between its mark and its settle,
-- whose count may or may not be cached yet; but also a vote committed and acknowledged whose
-- settle never reached Redis (Redis failed right after the MySQL commit), whose cached count lags
-- behind MySQL until its mark is healed. Either way the reader goes to MySQL, which is never
-- behind an acknowledged vote. KEYS: the user's votes hash. Returns {count or false, version}.
local h = redis.call('HMGET', KEYS[1], 'c', 'p', 'v')
if tonumber(h[2] or '0') > 0 then return {false, h[3] or '0'} end
return {h[1], h[3] or '0'}
