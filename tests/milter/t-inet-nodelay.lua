-- t-inet-nodelay: on an inet socket the milter sets TCP_NODELAY on its
-- listener (Linux passes it on to every accepted connection).  Without it
-- the reply that follows an inserted header waits for the MTA's delayed
-- ACK, about 40 ms per message.  The fastest of several messages must
-- finish well below that, however slow the machine is otherwise.
local H = dofile(os.getenv("top_srcdir") .. "/tests/milter/helper.lua")

-- now_ms - wall clock in milliseconds (Lua itself has only seconds)
local function now_ms()
	local p = io.popen("date +%s%N")
	local ns = p:read("*l")
	p:close()
	return tonumber(string.sub(ns, 1, -7))
end

-- The clock itself costs a process; measure that and take it off.
local clock_cost = nil
for _ = 1, 3 do
	local a = now_ms()
	local b = now_ms()
	if clock_cost == nil or b - a < clock_cost then
		clock_cost = b - a
	end
end

-- A random port; another one if it is taken.
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
local t = nil
for _ = 1, 5 do
	local spec = "inet:" .. math.random(30000, 59999) .. "@127.0.0.1"
	t = H.start_on("t-inet-nodelay", H.policy("partners.yaml"), { spec = spec, may_fail = true })
	if t ~= nil then
		break
	end
end
H.check(t, t ~= nil, "the milter did not start on any of five TCP ports")
local conn = H.open(t)

H.connect(t, conn, "mx.example.net", "198.51.100.20")
H.helo(t, conn, "mx.example.net", H.TLS13)
local best = nil
for i = 1, 7 do
	H.expect_code(t, H.mail(t, conn, "<alice@example.net>"), SMFIR_CONTINUE, "MAIL " .. i)
	H.header(t, conn, "Subject", "message " .. i)
	-- Let miltertest's own unanswered header packet be ACKed first, so that
	-- only the milter's side of the exchange is measured.
	mt.sleep(0.1)
	local start = now_ms()
	H.eom(t, conn)
	local took = now_ms() - start - clock_cost
	mt.echo("message " .. i .. ": end of message took " .. took .. " ms (clock cost " ..
		clock_cost .. " ms taken off)")
	if best == nil or took < best then
		best = took
	end
	H.check_tag(t, conn, "mx.test; verdict=pass; partner=none; tls=TLSv1.3; " ..
		"cipher=TLS_AES_256_GCM_SHA384; bits=256; pfs=yes; reasons=-; action=accept")
end
H.check(t, best < 25, "fastest end of message took " .. best ..
	" ms: TCP_NODELAY is not in effect (delayed ACK stall)")
mt.disconnect(conn)
