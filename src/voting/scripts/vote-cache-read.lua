--! keys: 2
-- A cached count that may be served: none while a vote for the user is in flight. A vote in flight
-- is usually one between its Redis step and its settle, whose count may or may not be cached yet;
-- but it can also be a vote committed and acknowledged whose settle never reached Redis (Redis
-- failed right after the MySQL commit), whose cached count lags behind MySQL until the heal job
-- ends it. Either way the reader goes to MySQL, which is never behind an acknowledged vote.
-- KEYS: counts, pending. ARGV: user id. Returns the count, or nil (read MySQL).
if tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') > 0 then return false end
return redis.call('HGET', KEYS[1], ARGV[1])
